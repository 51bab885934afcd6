// L4 mode: one decision per connection, on its first bytes in either direction. Like Envoy's network RBAC
// filter (ONE_TIME_ON_FIRST_BYTE), this waits for data because on a TLS listener the peer certificate is
// only known after the handshake, and onNewConnection runs before it.
import { FilterStatus, TcpContext, upstreamData } from "../../sdk";
import { Attributes } from "./attributes";
import { RbacRoot } from "./root";

const EMPTY = new ArrayBuffer(0);

export class RbacTcpContext extends TcpContext {
  private decided: bool = false;
  private denied: bool = false;

  private decideOnce(): void {
    if (this.decided) return;
    this.decided = true;
    const root = changetype<RbacRoot>(this.root);
    this.denied = root.evaluate(new Attributes(root.mode, root.config!.peerPrincipalFilterState)).deny;
    if (this.denied) this.closeDownstream();
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    this.decideOnce();
    return this.denied ? FilterStatus.StopIteration : FilterStatus.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    // A server-first protocol: decide before the first server bytes reach the client.
    this.decideOnce();
    if (this.denied && dataSize > 0) upstreamData.replace(dataSize, EMPTY);
    return FilterStatus.Continue;
  }
}
