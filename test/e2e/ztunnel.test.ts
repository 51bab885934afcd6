// envoy-configs/ztunnel.yaml on two nodes in real Envoy, with real capture (envoy/mesh/ztunnel.ts has the picture):
// what the far side received, the CONNECT node b received, each decision, and both nodes' /stats/prometheus.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curl, nodeClient } from "../../envoy/mesh/apps.ts";
import { certFile, startZtunnelMesh, ZTUNNEL_MESH as M, type ZtunnelMesh } from "../../envoy/mesh/ztunnel.ts";
import { realEnvoys, sampleValue, type Labels } from "./support.ts";

const CONNECT_BAGGAGE = {
  sleep: "k8s.cluster.name=Kubernetes,k8s.namespace.name=client,k8s.deployment.name=sleep,service.name=sleep,service.version=v1",
  intruder: "k8s.cluster.name=Kubernetes,k8s.namespace.name=other,k8s.deployment.name=intruder,service.name=intruder,service.version=latest",
};

/** Istio's TCP label set, in the order the shipped stats_tags print it. */
export function tcpLabels(reporter: "source" | "destination", source: "sleep" | "intruder", flags: string, security: string): Labels {
  const src = source === "sleep"
    ? { ns: "client", principal: M.identities.sleep, version: "v1" }
    : { ns: "other", principal: M.identities.intruder, version: "latest" };
  return {
    reporter,
    source_workload: source, source_workload_namespace: src.ns, source_principal: src.principal,
    source_app: source, source_version: src.version, source_cluster: "Kubernetes",
    destination_workload: "httpbin", destination_workload_namespace: "server", destination_principal: M.identities.httpbin,
    destination_app: "httpbin", destination_version: "v1",
    destination_service: "httpbin.server.svc.cluster.local", destination_service_name: "httpbin",
    destination_service_namespace: "server", destination_cluster: "Kubernetes",
    request_protocol: "tcp", response_flags: flags, connection_security_policy: security,
    source_canonical_service: source, destination_canonical_service: "httpbin",
    source_canonical_revision: src.version, destination_canonical_revision: "v1",
  };
}

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(v).slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(realEnvoys())("ztunnel.yaml, two nodes, real Envoy $version", ({ envoy, missing }) => {
  let mesh: ZtunnelMesh;
  beforeAll(async () => {
    if (envoy) mesh = await startZtunnelMesh({ envoy });
  });
  afterAll(async () => {
    await mesh?.stop();
  });

  it.skipIf(missing !== undefined)("client/sleep → service VIP: captured, tunnelled with the exact CONNECT, served; TCP metrics on both nodes", async () => {
    const r = await curl(mesh.nodeA, ["--interface", M.sleep, `http://${M.httpbinVip}:${M.servicePort}/hello`]);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as { hello: string; received: { peer: string; local: string; headers: Record<string, string> } };
    // The far side: httpbin on its pod port, the connection from node b's ztunnel (inbound_app dials from the pod IP).
    expect(body.hello).toBe("hello from httpbin");
    expect(body.received.local).toBe(`${M.httpbinPod}:80`);
    expect(body.received.headers.host).toBe(`${M.httpbinVip}:${M.servicePort}`);

    const [out] = await mesh.ztunnelA.waitForAccessLog("ztunnel_outbound", 1);
    const sourcePort = out.source.split(":")[1];
    expect(out).toMatchObject({
      source: `${M.sleep}:${sourcePort}`, original_dst: `${M.httpbinVip}:${M.servicePort}`, route: "hbone",
      cluster: "hbone_originate_client_sleep", upstream_host: `${M.httpbinPod}:15008`, connect_authority: `${M.httpbinPod}:80`,
      response_flags: "-",
    });

    const [connect] = await mesh.ztunnelB.waitForAccessLog("ztunnel_hbone", 1);
    expect(connect.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(connect).toEqual({
      log: "ztunnel_hbone",
      method: "CONNECT",
      authority: `${M.httpbinPod}:80`,
      baggage: CONNECT_BAGGAGE.sleep,
      forwarded: `for="${M.sleep}:${sourcePort}";host=httpbin.server.svc.cluster.local`,
      traceparent: connect.traceparent,
      x_envoy_original_dst_host: `${M.httpbinPod}:80`,
      x_forwarded_client_cert: null,
      peer: M.identities.sleep,
      downstream: expect.stringMatching(new RegExp(`^${M.nodeA.replace(/\./g, "\\.")}:\\d+$`)),
      response_code: 200,
      response_code_details: "via_upstream",
      response_flags: "-",
      upstream_host: `${M.httpbinPod}:80`,
    });

    const sent = Number(out.bytes_received);
    const back = Number(out.bytes_sent);
    expect(sent).toBeGreaterThan(0);
    expect(back).toBeGreaterThan(r.body.length); // status line and headers + the body curl printed
    for (const [proxy, reporter, security] of [[mesh.ztunnelA, "source", "unknown"], [mesh.ztunnelB, "destination", "mutual_tls"]] as const) {
      const lines = await until(`${reporter} closed_total`, () => proxy.prometheus(), (l) => sampleValue(l, "istio_tcp_connections_closed_total", tcpLabels(reporter, "sleep", "-", security)) === 1);
      const labels = tcpLabels(reporter, "sleep", "-", security);
      expect(sampleValue(lines, "istio_tcp_connections_opened_total", labels)).toBe(1);
      expect(sampleValue(lines, "istio_tcp_received_bytes_total", labels)).toBe(sent);
      expect(sampleValue(lines, "istio_tcp_sent_bytes_total", labels)).toBe(back);
    }
    expect(sampleValue(await mesh.ztunnelB.prometheus(), "identity_rbac_connect_allowed", {})).toBe(1);
  });

  it.skipIf(missing !== undefined)("a rogue workload's own CONNECT with intruder's certificate is answered 401 ", async () => {
    const r = await nodeClient(mesh.ext, {
      kind: "connect", host: M.nodeB, port: 15008, authority: `${M.httpbinPod}:80`,
      cert: certFile("other-intruder", "cert"), key: certFile("other-intruder", "key"), ca: certFile("root", "cert"),
      data: "GET / HTTP/1.1\r\nhost: x\r\n\r\n",
    });
    expect(r.status).toBe(401);
  });
});
