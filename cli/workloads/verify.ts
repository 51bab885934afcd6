// A generated workload table, loaded into the real hbone-outbound module through the emulator: what the filter's
// proxy_on_configure refuses (with its JSON paths) is returned, so no tool prints a table a filter would reject.
import { Host, PluginLoadError } from "../../emulator/index.ts";
import { modulePath } from "../../modules/index.ts";
import type { WorkloadEntry } from "./table.ts";

export async function verifyWorkloadTable(workloads: WorkloadEntry[]): Promise<string[]> {
  const host = new Host({ logLevel: "warn" });
  try {
    await host.loadPlugin({ module: modulePath("hbone-outbound"), name: "hbone-outbound", rootId: "hbone-outbound", configuration: JSON.stringify({ workloads }) });
    return [];
  } catch (e) {
    if (!(e instanceof PluginLoadError)) throw e;
    const lines = host.logs.filter((l) => l.level === "warn" || l.level === "error" || l.level === "critical").map((l) => l.message);
    return lines.length > 0 ? lines : [e.message];
  }
}
