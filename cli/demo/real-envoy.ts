// The demo in real Envoy: the two-node mesh of envoy/mesh/ztunnel.ts (network namespaces, capture.sh, both nodes
// running envoy-configs/ztunnel.yaml) and the demo's connections as real traffic. For each connection it reports
// node a's decision (its access log), the CONNECT node b received (its access log), what the app received, and at
// the end both nodes' real /stats/prometheus lines.
import { spawnSync } from "node:child_process";
import { curl, nodeClient } from "../../envoy/mesh/apps.ts";
import { startZtunnelMesh, certFile, ZTUNNEL_MESH as M, type ZtunnelMesh } from "../../envoy/mesh/ztunnel.ts";
import { describeEnvoy, resolveEnvoy, type Envoy } from "../../envoy/provision.ts";

export type RealOutcome = "allowed" | "denied" | "blackholed" | "passthrough" | "failed";

export interface RealConnection {
  title: string;
  source: string;
  destination: string;
  /** node a's ztunnel_outbound access-log line (null for a workload's own CONNECT). */
  nodeA: Record<string, string> | null;
  /** node b's ztunnel_hbone access-log line: the CONNECT as node b received it, and its answer. */
  nodeB: Record<string, string> | null;
  /** What the destination app received (its record), if anything. */
  received: Record<string, unknown> | null;
  outcome: RealOutcome;
}

export interface RealDemoResult {
  mode: "real-envoy";
  envoy: { version: string; build: string; description: string };
  connections: RealConnection[];
  prometheus: Array<{ node: string; lines: string[] }>;
}

/** Why the real-Envoy demo cannot run here, or null when it can (root, network namespaces, an Envoy). */
export function realDemoUnavailable(): { reason: string } | { envoy: Envoy } {
  if (process.platform !== "linux") return { reason: `network namespaces need Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { reason: "not running as root (network namespaces and iptables need it)" };
  const probe = `aw-demo-probe-${process.pid}`;
  const add = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (add.status !== 0) return { reason: `\`ip netns add\` failed: ${(add.stderr || String(add.error)).trim()}` };
  spawnSync("ip", ["netns", "del", probe]);
  for (const tool of ["iptables", "curl", "setpriv"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return { reason: `${tool} is not installed (node scripts/ensure-system.mjs installs it)` };
  }
  try {
    return { envoy: resolveEnvoy() };
  } catch (e) {
    return { reason: (e as Error).message.split("\n")[0] };
  }
}

const REQUEST_PATH = "/demo";

async function captured(mesh: ZtunnelMesh, title: string, source: string, host: string, port: number): Promise<RealConnection> {
  const destination = `${host}:${port}`;
  const r = await nodeClient(mesh.nodeA, {
    kind: "tcp", host, port, localAddress: source, timeoutMs: 3000,
    data: `GET ${REQUEST_PATH} HTTP/1.1\r\nhost: ${destination}\r\nconnection: close\r\n\r\n`,
  });
  const nodeA = await mesh.ztunnelA.waitForLog("ztunnel_outbound", (l) => l.source.startsWith(`${source}:`) && l.original_dst === destination);
  const port_ = nodeA.source.split(":")[1];
  const nodeB = nodeA.route === "hbone"
    ? await mesh.ztunnelB.waitForLog("ztunnel_hbone", (l) => l.forwarded?.startsWith(`for="${source}:${port_}"`) ?? false, 5000).catch(() => null)
    : null;
  const received = r.ok ? (JSON.parse(r.received!.slice(r.received!.indexOf("\r\n\r\n") + 4)) as { received: Record<string, unknown> }).received : null;
  const outcome: RealOutcome = nodeA.route === "blackhole" ? "blackholed"
    : nodeA.route === "passthrough" ? (r.ok ? "passthrough" : "failed")
    : r.ok ? "allowed" : nodeB && Number(nodeB.response_code) >= 400 ? "denied" : "failed";
  return { title, source, destination, nodeA, nodeB, received, outcome };
}

export async function runRealDemo(envoy: Envoy): Promise<RealDemoResult> {
  const mesh = await startZtunnelMesh({ envoy });
  try {
    const connections: RealConnection[] = [];
    connections.push(await captured(mesh, "client/sleep calls the httpbin service", M.sleep, M.httpbinVip, M.servicePort));
    connections.push(await captured(mesh, "other/intruder calls the httpbin service", M.intruder, M.httpbinVip, M.servicePort));
    connections.push(await captured(mesh, "client/sleep calls the httpbin pod directly", M.sleep, M.httpbinPod, 80));
    connections.push(await captured(mesh, "client/sleep calls a port the service does not expose", M.sleep, M.httpbinVip, 9090));
    connections.push(await captured(mesh, "an unknown source calls the httpbin service", M.unknownSource, M.httpbinVip, M.servicePort));
    connections.push(await captured(mesh, "client/sleep calls an address outside the mesh", M.sleep, M.ext, 80));
    // A rogue workload skips its ztunnel and sends its own CONNECT with intruder's certificate and baggage
    // claiming to be client/sleep.
    const direct = await nodeClient(mesh.ext, {
      kind: "connect", host: M.nodeB, port: 15008, authority: `${M.httpbinPod}:80`,
      headers: { baggage: "k8s.cluster.name=Kubernetes,k8s.namespace.name=client,k8s.deployment.name=sleep,service.name=sleep,service.version=v1" },
      cert: certFile("other-intruder", "cert"), key: certFile("other-intruder", "key"), ca: certFile("root", "cert"),
      data: `GET ${REQUEST_PATH} HTTP/1.1\r\nhost: ${M.httpbinPod}\r\nconnection: close\r\n\r\n`,
    });
    const nodeB = await mesh.ztunnelB.waitForLog("ztunnel_hbone", (l) => l.downstream.startsWith(`${M.ext}:`), 5000).catch(() => null);
    connections.push({
      title: "other/intruder sends its own CONNECT with baggage claiming to be client/sleep",
      source: M.ext, destination: `${M.nodeB}:15008`, nodeA: null, nodeB, received: null,
      outcome: direct.status === 200 ? "allowed" : "denied",
    });
    await new Promise((r) => setTimeout(r, 300));
    const keep = (lines: string[]) => lines.filter((l) => /^(istio_|identity_rbac)/.test(l));
    const prometheus = [
      { node: "node-a", lines: keep(await mesh.ztunnelA.prometheus()) },
      { node: "node-b", lines: keep(await mesh.ztunnelB.prometheus()) },
    ];
    return { mode: "real-envoy", envoy: { version: envoy.version, build: envoy.build, description: describeEnvoy(envoy) }, connections, prometheus };
  } finally {
    await mesh.stop();
  }
}

export function renderRealText(result: RealDemoResult): string {
  const out = [
    `ambient-wasm demo — REAL ENVOY: ${result.envoy.description}`,
    "two network namespaces (node-a, node-b) with iptables capture (envoy-configs/capture.sh), both running envoy-configs/ztunnel.yaml",
    "",
  ];
  result.connections.forEach((c, i) => {
    out.push(`[${i + 1}] ${c.title}`, `    ${c.source} → ${c.destination}`);
    const a = c.nodeA;
    if (a) {
      out.push(`    node-a: route=${a.route} cluster=${a.cluster} upstream=${a.upstream_host ?? "-"} response_flags=${a.response_flags}` +
        (a.upstream_failure ? ` (${a.upstream_failure})` : ""));
    }
    const b = c.nodeB;
    if (b) {
      out.push(`    CONNECT node-b received (HTTP/2, from ${b.downstream}, peer certificate ${b.peer}):`);
      out.push(`      :authority ${b.authority}`);
      for (const k of ["baggage", "forwarded", "traceparent", "x_envoy_original_dst_host"] as const) {
        if (b[k] !== null && b[k] !== undefined) out.push(`      ${k.replace(/_/g, "-")}: ${b[k]}`);
      }
      out.push(`    node-b answered ${b.response_code} (${b.response_code_details})${b.upstream_host ? `, upstream ${b.upstream_host}` : ""}`);
    }
    if (c.received) out.push(`    the app received ${String(c.received.method)} ${String(c.received.path)} on ${String(c.received.local)} from ${String(c.received.peer)}`);
    out.push(`    ${c.outcome.toUpperCase()}`, "");
  });
  for (const node of result.prometheus) {
    const shown = node.lines.filter((l) => !/ 0$/.test(l));
    out.push(`${node.node} /stats/prometheus (real Envoy; ${shown.length} non-zero istio/identity samples, --json has all)`);
    out.push(...shown.map((l) => "  " + l), "");
  }
  return out.join("\n");
}
