// envoy-configs/sidecar.yaml in real Envoy, captured both ways as Istio captures a pod:
//
//   pod    (10.77.0.20 = server/httpbin)  sidecar Envoy (uid 1337) + apps: HTTP/1.1 :80, TCP echo :7000
//          capture.sh (outbound → 15001, inbound → 15006)
//   client (10.77.0.40)  callers with and without a mesh certificate (curl, Node)
//   ext    (10.77.0.30)  outside the mesh: TCP echo :7000, the pod's outbound passthrough target
import type { Envoy } from "../provision.ts";
import { startApps, type Apps } from "./apps.ts";
import type { DeployParams } from "./deploy.ts";
import type { Network, Node } from "./net.ts";
import { openTopology } from "./topology.ts";
import { capture, startProxy, type MeshProxy } from "./proxy.ts";

export const SIDECAR_MESH = {
  pod: "10.77.0.20",
  client: "10.77.0.40",
  ext: "10.77.0.30",
  ports: { http1: 80, echo: 7000 },
} as const;

export interface SidecarMesh {
  net: Network;
  pod: Node;
  client: Node;
  ext: Node;
  sidecar: MeshProxy;
  app: Apps;
  outside: Apps;
  stop(): Promise<void>;
}

export async function startSidecarMesh(options: { envoy: Envoy; deploy?: DeployParams }): Promise<SidecarMesh> {
  const m = SIDECAR_MESH;
  const { net, started, stopAll } = openTopology();
  try {
    const pod = net.addNode({ tag: "pod", addresses: [`${m.pod}/24`] });
    const client = net.addNode({ tag: "cli", addresses: [`${m.client}/24`] });
    const ext = net.addNode({ tag: "ext", addresses: [`${m.ext}/24`] });
    capture(pod, ["--outbound", "--inbound"]);
    const [app, outside] = await Promise.all([
      startApps(pod, { name: "httpbin", ...m.ports }),
      startApps(ext, { name: "outside", echo: m.ports.echo }),
    ]);
    started.push(app, outside);
    const sidecar = await startProxy({ envoy: options.envoy, node: pod, config: "envoy-configs/sidecar.yaml", deploy: options.deploy });
    started.push(sidecar);
    return { net, pod, client, ext, sidecar, app, outside, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
