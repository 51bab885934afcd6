// L7 and HBONE CONNECT modes: one decision per request, at request headers.
import { FilterHeadersStatus, HttpContext } from "../../sdk";
import { Attributes } from "./attributes";
import { Mode } from "./mode";
import { RbacRoot } from "./root";

export class RbacHttpContext extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const root = changetype<RbacRoot>(this.root);
    const config = root.config!;
    const attrs = new Attributes(root.mode, root.config!.peerPrincipalFilterState);
    let malformed = "";
    if (root.mode == Mode.Connect) {
      // The tunnelled destination must be known before any policy can be applied to it.
      const method = attrs.header(":method");
      if (method === null || method != "CONNECT") malformed = "not-a-connect-request";
      else if (attrs.destinationPort < 0) malformed = "bad-authority";
    }
    const verdict = root.evaluate(attrs, malformed);
    if (!verdict.deny) return FilterHeadersStatus.Continue;
    // Envoy's RBAC filter reports the same response code details.
    this.sendLocalResponse(<u32>config.denyStatus, "rbac_access_denied_matched_policy[" + verdict.policy + "]", config.denyBody);
    return FilterHeadersStatus.StopIteration;
  }
}
