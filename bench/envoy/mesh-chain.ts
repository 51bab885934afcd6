// Case d across two Envoys: envoy-configs/ztunnel.yaml as shipped on two nodes (network namespaces, real capture,
// envoy/mesh/ztunnel.ts). h2load runs in node a as the sleep pod (a route gives connections to httpbin's service VIP
// the sleep pod's source address), its connections are captured to ztunnel a's 15001 (hbone-outbound, istio-stats
// tcp), tunnelled as HBONE to ztunnel b's 15008 (hbone-inbound → identity-rbac-connect → istio-stats tunnel) and
// reach httpbin's HTTP/1.1 app. CPU and RSS are both ztunnels', each pinned to the Envoy core.
import { spawnSync } from "node:child_process";
import type { Envoy } from "../../envoy/provision.ts";
import { startZtunnelMesh, ZTUNNEL_MESH } from "../../envoy/mesh/ztunnel.ts";
import { percentile, runH2load } from "./load.ts";
import { counter, type CaseMeasurement, type FixedRun, type Placement, type RunSettings } from "./measure.ts";
import { cpuSeconds, pin, rssMiB } from "./proc.ts";

export const MESH_CASE_ID = "mesh/ztunnel-15001-15008";

/** Root and `ip netns`: what the two-node mesh needs. */
export function meshAvailable(): string | true {
  if (process.getuid?.() !== 0) return "not running as root";
  const probe = `aw-e2e-${process.pid}-probe`;
  if (spawnSync("ip", ["netns", "add", probe]).status !== 0) return "`ip netns add` failed";
  spawnSync("ip", ["netns", "del", probe]);
  return true;
}

export async function measureMeshChain(envoy: Envoy, s: RunSettings, place: Placement): Promise<CaseMeasurement> {
  const m = ZTUNNEL_MESH;
  const mesh = await startZtunnelMesh({ envoy, concurrency: 2 });
  try {
    mesh.nodeA.exec(["ip", "route", "add", `${m.httpbinVip}/32`, "dev", "eth0", "src", m.sleep]);
    const pids = [mesh.ztunnelA.process.child.pid!, mesh.ztunnelB.process.child.pid!];
    if (place.dutCpu !== undefined) for (const pid of pids) pin(pid, place.dutCpu);
    const cpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const rss = () => pids.reduce((sum, pid) => sum + rssMiB(pid), 0);
    const url = `http://${m.httpbinVip}:${m.servicePort}`;
    const shape = { clients: 10, rpsPerClient: s.rate / 10, bodyBytes: s.bodyBytes, cpu: place.loadCpu, netns: mesh.nodeA.ns, protocol: "h1" as const, url };
    const startRss = rss();
    const counters = { sent: 0, answered2xx: 0, backendCounted: 0, dutCounted: 0, dutExpected: 0 };
    const appRequests = () => mesh.server.received().filter((r) => r.kind === "http1").length;
    await runH2load({ ...shape, requests: s.rate });
    const fixed: FixedRun[] = [];
    for (let i = 0; i < s.runs; i++) {
      const a0 = appRequests();
      const c0 = await counter(mesh.ztunnelA.process, "tcp.ztunnel_outbound.downstream_cx_total");
      const cpu0 = cpu();
      const t0 = process.hrtime.bigint();
      const r = await runH2load({ ...shape, requests: s.rate * s.seconds });
      const used = cpu() - cpu0;
      const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
      await new Promise((res) => setTimeout(res, 300));
      counters.sent += r.started;
      counters.answered2xx += r.status["2xx"];
      counters.backendCounted += appRequests() - a0;
      counters.dutCounted += (await counter(mesh.ztunnelA.process, "tcp.ztunnel_outbound.downstream_cx_total")) - c0;
      counters.dutExpected += shape.clients;
      fixed.push({
        requests: r.done, cpuSeconds: used, cpuPer1000: used / (r.done / 1000), vcpu: used / elapsed, rssMiB: rss(),
        p50Us: percentile(r.latencyUs, 50), p90Us: percentile(r.latencyUs, 90), p99Us: percentile(r.latencyUs, 99),
      });
    }
    const maxRps: number[] = [];
    for (let i = 0; i < s.runs; i++) {
      const r = await runH2load({ ...shape, rpsPerClient: undefined, clients: 16, durationS: s.maxSeconds });
      // Timed: the requests in flight at the end are cut off, so only the answers are checked (all 2xx).
      const non2xx = r.status["3xx"] + r.status["4xx"] + r.status["5xx"];
      if (non2xx > 0 || r.status["2xx"] === 0) throw new Error(`max-throughput run: ${non2xx} answers not 2xx, ${r.status["2xx"]} 2xx`);
      maxRps.push(r.rps);
    }
    return { id: MESH_CASE_ID, protocol: "h1", fixed, maxRps, startRssMiB: startRss, counters };
  } finally {
    await mesh.stop();
  }
}
