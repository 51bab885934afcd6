// TCP mode (network filter): istio_tcp_* for each connection (tcp-accounting.ts) — opened at the first data in either
// direction (or at the close of a connection that carried none), bytes from the data callbacks' sizes, closed with
// Envoy's final response flags.
//
// Not at proxy_on_new_connection: on a TLS listener Envoy calls it when the connection is accepted, before the
// handshake, so the peer certificate (source_principal, connection_security_policy) is not known yet; data only
// flows after the handshake. Found by running real Envoy (envoy-configs/README.md "Found by running real Envoy").

import { FilterStatus, TcpContext, getPropertyInt64 } from "../../sdk";
import { responseFlagsString } from "./response-flags";
import { StatsRoot } from "./root";
import { TcpAccounting } from "./tcp-accounting";

const RESPONSE_FLAGS_PATH: string[] = ["response", "flags"];

export class TcpStatsContext extends TcpContext {
  private accounting: TcpAccounting = new TcpAccounting();
  private started: bool = false;

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.accounting.open(changetype<StatsRoot>(this.root));
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    this.start();
    this.accounting.addBytes(changetype<StatsRoot>(this.root), 0, dataSize);
    return FilterStatus.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    this.start();
    this.accounting.addBytes(changetype<StatsRoot>(this.root), dataSize, 0);
    return FilterStatus.Continue;
  }

  onLog(): void {
    this.start();
    if (!this.accounting.isOpen) return;
    const flags = responseFlagsString(<u64>getPropertyInt64(RESPONSE_FLAGS_PATH, 0));
    this.accounting.close(changetype<StatsRoot>(this.root), flags);
  }
}
