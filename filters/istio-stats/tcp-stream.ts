// TCP mode (network filter): istio_tcp_* for each connection (tcp-accounting.ts) — opened at
// proxy_on_new_connection, bytes from the data callbacks' sizes, closed with Envoy's final response flags.

import { FilterStatus, TcpContext, getPropertyInt64 } from "../../sdk";
import { responseFlagsString } from "./response-flags";
import { StatsRoot } from "./root";
import { TcpAccounting } from "./tcp-accounting";

const RESPONSE_FLAGS_PATH: string[] = ["response", "flags"];

export class TcpStatsContext extends TcpContext {
  private accounting: TcpAccounting = new TcpAccounting();

  onNewConnection(): FilterStatus {
    this.accounting.open(changetype<StatsRoot>(this.root));
    return FilterStatus.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    this.accounting.addBytes(changetype<StatsRoot>(this.root), 0, dataSize);
    return FilterStatus.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    this.accounting.addBytes(changetype<StatsRoot>(this.root), dataSize, 0);
    return FilterStatus.Continue;
  }

  onLog(): void {
    if (!this.accounting.isOpen) return;
    const flags = responseFlagsString(<u64>getPropertyInt64(RESPONSE_FLAGS_PATH, 0));
    this.accounting.close(changetype<StatsRoot>(this.root), flags);
  }
}
