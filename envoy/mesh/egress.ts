// envoy-configs/egress.yaml in real Envoy, tunnelling through a real squid:
//
//   client (10.77.1.10 = client/sleep)  curl, using the gateway as its HTTP proxy (:3128) or plain HTTP (:15080)
//   gw     (10.77.0.60)  egress Envoy (egress.yaml; the forward proxy's name and the CA bundle deployed)
//   proxy  (10.77.0.50)  squid :3128, resolving api.example.com from its hosts file
//   ext    (10.77.0.30)  api.example.com: HTTPS :443 with a certificate from a throw-away web CA
import type { Envoy } from "../provision.ts";
import { startApps, type Apps } from "./apps.ts";
import { startSquid, type ForwardProxy } from "./forward-proxy.ts";
import type { Network, Node } from "./net.ts";
import { openTopology } from "./topology.ts";
import { startProxy, type MeshProxy } from "./proxy.ts";
import { issueServerCertificate, type WebPki } from "./web-pki.ts";

export const EGRESS_MESH = {
  client: "10.77.1.10",
  gateway: "10.77.0.60",
  forwardProxy: "10.77.0.50",
  target: "10.77.0.30",
  targetName: "api.example.com",
} as const;

export interface EgressMesh {
  net: Network;
  client: Node;
  gateway: Node;
  egress: MeshProxy;
  squid: ForwardProxy;
  target: Apps;
  pki: WebPki;
  stop(): Promise<void>;
}

export async function startEgressMesh(options: { envoy: Envoy }): Promise<EgressMesh> {
  const m = EGRESS_MESH;
  const { net, started, stopAll } = openTopology();
  try {
    const client = net.addNode({ tag: "cli", addresses: [`${m.client}/16`] });
    const gateway = net.addNode({ tag: "gw", addresses: [`${m.gateway}/16`] });
    const proxyNode = net.addNode({ tag: "fwd", addresses: [`${m.forwardProxy}/16`] });
    const ext = net.addNode({ tag: "ext", addresses: [`${m.target}/16`] });
    const pki = await issueServerCertificate(m.targetName);
    const target = await startApps(ext, { name: m.targetName, https: { port: 443, cert: pki.cert, key: pki.key } });
    started.push(target);
    const squid = await startSquid(proxyNode, `${m.forwardProxy}:3128`, { [m.targetName]: m.target });
    started.push(squid);
    const egress = await startProxy({
      envoy: options.envoy, node: gateway, config: "envoy-configs/egress.yaml",
      deploy: { files: { "/etc/ssl/certs/ca-certificates.crt": pki.ca }, addresses: { "forward-proxy": m.forwardProxy } },
    });
    started.push(egress);
    return { net, client, gateway, egress, squid, target, pki, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
