// Tunnel mode: an HTTP filter on the HBONE CONNECT terminate (after hbone-inbound and identity-rbac) that
// reports each CONNECT stream the way ztunnel reports an inbound HBONE connection (tcp-accounting.ts): istio_tcp_*
// with request_protocol `tcp`; opened when the CONNECT headers arrive, received/sent bytes from the request/response
// body (the tunnelled payload), closed at the end of the stream with ztunnel's response flags:
// `DENY` when the CONNECT was refused with 401 or 403 (identity-rbac / Envoy RBAC), `CONNECT` when Envoy could
// not reach the local workload (UF or UH), otherwise Envoy's own flags (`-` normally).
// A CONNECT refused before this filter saw its headers is still counted as opened and closed (ztunnel counts
// the connection before its RBAC check).

import { FilterDataStatus, FilterHeadersStatus, HttpContext, getPropertyInt64 } from "../../sdk";
import { FLAG_NO_HEALTHY_UPSTREAM, FLAG_UPSTREAM_CONNECTION_FAILURE, responseFlagsString } from "./response-flags";
import { StatsRoot } from "./root";
import { TcpAccounting } from "./tcp-accounting";

const RESPONSE_CODE_PATH: string[] = ["response", "code"];
const RESPONSE_FLAGS_PATH: string[] = ["response", "flags"];

export const FLAG_DENY = "DENY";
export const FLAG_CONNECT = "CONNECT";

export class TunnelStatsContext extends HttpContext {
  private accounting: TcpAccounting = new TcpAccounting();

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    this.accounting.open(changetype<StatsRoot>(this.root));
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    this.accounting.addBytes(changetype<StatsRoot>(this.root), 0, bodySize);
    return FilterDataStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    this.accounting.addBytes(changetype<StatsRoot>(this.root), bodySize, 0);
    return FilterDataStatus.Continue;
  }

  onLog(): void {
    const root = changetype<StatsRoot>(this.root);
    if (!this.accounting.isOpen) this.accounting.open(root);
    if (!this.accounting.isOpen) return;
    const flags = tunnelFlags(getPropertyInt64(RESPONSE_CODE_PATH, 0), <u64>getPropertyInt64(RESPONSE_FLAGS_PATH, 0));
    this.accounting.close(root, flags);
  }
}

/** ztunnel's response_flags for a CONNECT that ended with HTTP status `code` and Envoy flag bits `mask`. */
export function tunnelFlags(code: i64, mask: u64): string {
  if (code == 401 || code == 403) return FLAG_DENY;
  if ((mask & (FLAG_UPSTREAM_CONNECTION_FAILURE | FLAG_NO_HEALTHY_UPSTREAM)) != 0) return FLAG_CONNECT;
  return responseFlagsString(mask);
}
