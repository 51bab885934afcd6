// The two-node ambient mesh of envoy-configs/ztunnel.yaml in real Envoy, with real capture:
//
//   node a (10.77.0.10)  pods: client/sleep 10.77.1.10 (the default source of apps), other/intruder 10.77.2.10,
//                        and 10.77.9.9 (in no table)
//     capture.sh --outbound: every app connection → ztunnel :15001 (Envoy runs as uid 1337 and is not captured)
//   node b (10.77.0.20 = server/httpbin's pod IP)   apps: HTTP/1.1 :80, h2c :8080, gRPC :9090, TCP echo :7000
//     capture.sh --inbound: connections to the pod from outside → ztunnel :15006, except HBONE :15008
//   ext    (10.77.0.30)  outside the mesh: HTTP/1.1 :80 and TCP echo :7000 (passthrough target), and the place a
//                        rogue workload sends its own CONNECTs from
//
// The workload table, policies and the service VIP 10.96.0.20:8000 → 80 are the shipped config's; the addresses
// above are the ones it names, so both nodes run envoy-configs/ztunnel.yaml as shipped (deploy.ts for anything else).
import { join } from "node:path";
import type { Envoy } from "../provision.ts";
import { startApps, type Apps } from "./apps.ts";
import type { DeployParams } from "./deploy.ts";
import type { Network, Node } from "./net.ts";
import { openTopology } from "./topology.ts";
import { capture, startProxy, type MeshProxy } from "./proxy.ts";

export const ZTUNNEL_MESH = {
  nodeA: "10.77.0.10",
  nodeB: "10.77.0.20",
  ext: "10.77.0.30",
  sleep: "10.77.1.10",
  intruder: "10.77.2.10",
  unknownSource: "10.77.9.9",
  httpbinPod: "10.77.0.20",
  httpbinVip: "10.96.0.20",
  servicePort: 8000,
  ports: { http1: 80, http2: 8080, grpc: 9090, echo: 7000 },
  /** Dual-stack runs (`ipv6: true`): each IPv4 address of the mesh and its IPv6 twin, only inside the namespaces. */
  v6: {
    "10.77.0.10": "fd00:77::10", "10.77.0.20": "fd00:77::20", "10.77.0.30": "fd00:77::30",
    "10.77.1.10": "fd00:77::1:10", "10.77.2.10": "fd00:77::2:10", "10.77.9.9": "fd00:77::9:9", "10.96.0.20": "fd00:96::20",
  } as Record<string, string>,
  identities: {
    sleep: "spiffe://cluster.local/ns/client/sa/sleep",
    intruder: "spiffe://cluster.local/ns/other/sa/intruder",
    httpbin: "spiffe://cluster.local/ns/server/sa/httpbin",
  },
} as const;

export interface ZtunnelMeshOptions {
  envoy: Envoy;
  /** Deployment parameters for node b's ztunnel (e.g. a wrong certificate). */
  nodeBDeploy?: DeployParams;
  nodeADeploy?: DeployParams;
  /** Dual stack: IPv6 twins of every address (ZTUNNEL_MESH.v6), capture for both families, configs deployed dual-stack. */
  ipv6?: boolean;
  /** Worker threads of both ztunnels (default 1). */
  concurrency?: number;
}

export interface ZtunnelMesh {
  net: Network;
  nodeA: Node;
  nodeB: Node;
  ext: Node;
  ztunnelA: MeshProxy;
  ztunnelB: MeshProxy;
  /** The apps on node b (httpbin). */
  server: Apps;
  /** The apps outside the mesh. */
  outside: Apps;
  stop(): Promise<void>;
}

export { CERT_DIR, certFile, checkArtifacts } from "./topology.ts";

export async function startZtunnelMesh(options: ZtunnelMeshOptions): Promise<ZtunnelMesh> {
  const m = ZTUNNEL_MESH;
  const { net, started, stopAll } = openTopology();
  try {
    const v6 = options.ipv6 ? m.v6 : null;
    const withV6 = (list: string[], prefix: string) => (v6 ? [...list, ...list.map((a) => `${v6[a.split("/")[0]]}${a.includes("/") ? prefix : ""}`)] : list);
    const nodeA = net.addNode({ tag: "a", addresses: withV6([`${m.nodeA}/24`], "/64"), extraAddresses: withV6([m.sleep, m.intruder, m.unknownSource], "") });
    // Apps on node a run as root and, unless they bind another pod address, leave from client/sleep's address (the
    // proxy user keeps the node address for its HBONE connections, as the 2022 Envoy-based ztunnel did).
    nodeA.exec(["ip", "rule", "add", "uidrange", "0-0", "lookup", "100", "pref", "100"]);
    nodeA.exec(["ip", "route", "add", "default", "dev", "eth0", "src", m.sleep, "table", "100"]);
    if (v6) {
      nodeA.exec(["ip", "-6", "rule", "add", "uidrange", "0-0", "lookup", "100", "pref", "100"]);
      nodeA.exec(["ip", "-6", "route", "add", "default", "dev", "eth0", "src", v6[m.sleep], "table", "100"]);
    }
    const nodeB = net.addNode({ tag: "b", addresses: withV6([`${m.nodeB}/24`], "/64") });
    const ext = net.addNode({ tag: "ext", addresses: withV6([`${m.ext}/24`], "/64") });
    const family = v6 ? ["--ipv6"] : [];
    // The config names the workloads and the VIP; the nodes' own addresses are not in it.
    const dualStack = v6 ? Object.fromEntries([m.sleep, m.intruder, m.httpbinPod, m.httpbinVip].map((a) => [a, v6[a]])) : null;
    capture(nodeA, ["--outbound", ...family]);
    capture(nodeB, ["--inbound", ...family]);
    const host = v6 ? "::" : undefined;
    const [server, outside] = await Promise.all([
      startApps(nodeB, { name: "httpbin", host, ...m.ports }),
      startApps(ext, { name: "outside", host, http1: m.ports.http1, echo: m.ports.echo }),
    ]);
    started.push(server, outside);
    const [ztunnelA, ztunnelB] = await Promise.all([
      startProxy({ envoy: options.envoy, node: nodeA, config: "envoy-configs/ztunnel.yaml", deploy: { ...options.nodeADeploy, ...(dualStack ? { dualStack } : {}) }, concurrency: options.concurrency }),
      startProxy({ envoy: options.envoy, node: nodeB, config: "envoy-configs/ztunnel.yaml", deploy: { ...options.nodeBDeploy, ...(dualStack ? { dualStack } : {}) }, concurrency: options.concurrency }),
    ].map((p) => p.then((proxy) => (started.push(proxy), proxy))));
    return { net, nodeA, nodeB, ext, ztunnelA, ztunnelB, server, outside, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
