// The ambient L7 path of the shipped configs in real Envoy: the two-node ztunnel mesh (ztunnel.ts) plus a third
// node running envoy-configs/waypoint.yaml at the waypoint address ztunnel.yaml names for the httpbin-l7 service.
//
//   node a: client/sleep ──captured──▶ ztunnel :15001 ──HBONE (sleep's cert)──▶ node w :15008
//   node w (10.77.0.40): waypoint — identity-rbac (CONNECT, then L7), istio-stats (reporter waypoint)
//                        ──HBONE (waypoint's cert)──▶ node b :15008 ──▶ httpbin :80 / :9090
import { startProxy, type MeshProxy } from "./proxy.ts";
import { startZtunnelMesh, ZTUNNEL_MESH, type ZtunnelMesh, type ZtunnelMeshOptions } from "./ztunnel.ts";
import type { Node } from "./net.ts";

export const AMBIENT_L7 = {
  ...ZTUNNEL_MESH,
  waypoint: "10.77.0.40",
  /** httpbin-l7.server.svc.cluster.local: ports 8000 → 80 (HTTP) and 9090 (gRPC), through the waypoint. */
  l7Vip: "10.96.0.21",
  l7Ports: { http: 8000, grpc: 9090 },
  waypointIdentity: "spiffe://cluster.local/ns/server/sa/waypoint",
} as const;

export interface AmbientL7Mesh extends ZtunnelMesh {
  nodeW: Node;
  waypoint: MeshProxy;
}

export async function startAmbientL7Mesh(options: ZtunnelMeshOptions): Promise<AmbientL7Mesh> {
  const mesh = await startZtunnelMesh(options);
  try {
    const nodeW = mesh.net.addNode({ tag: "w", addresses: [`${AMBIENT_L7.waypoint}/24`] });
    // Clients on node a that do not bind a source address (gRPC, curl without --interface) reach the L7 service
    // as client/sleep: the kernel picks sleep's pod IP as the source for that VIP.
    mesh.nodeA.exec(["ip", "route", "add", `${AMBIENT_L7.l7Vip}/32`, "dev", "eth0", "src", AMBIENT_L7.sleep]);
    const waypoint = await startProxy({ envoy: options.envoy, node: nodeW, config: "envoy-configs/waypoint.yaml" });
    const stopMesh = mesh.stop;
    return {
      ...mesh,
      nodeW,
      waypoint,
      async stop() {
        await waypoint.stop();
        await stopMesh();
      },
    };
  } catch (e) {
    await mesh.stop();
    throw e;
  }
}
