// envoy-configs/ztunnel.yaml on two nodes in real Envoy, with real capture (envoy/mesh/ztunnel.ts has the picture):
// what the far side received, the CONNECT node b received, each decision, and both nodes' /stats/prometheus.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curl, nodeClient } from "../../envoy/mesh/apps.ts";
import { compareVersions } from "../../envoy/provision.ts";
import { certFile, startZtunnelMesh, ZTUNNEL_MESH as M, type ZtunnelMesh } from "../../envoy/mesh/ztunnel.ts";
import { tcpLabels } from "./labels.ts";
import { realEnvoys, sampleValue, type Labels } from "./support.ts";

const CONNECT_BAGGAGE = {
  sleep: "k8s.cluster.name=Kubernetes,k8s.namespace.name=client,k8s.deployment.name=sleep,service.name=sleep,service.version=v1",
  intruder: "k8s.cluster.name=Kubernetes,k8s.namespace.name=other,k8s.deployment.name=intruder,service.name=intruder,service.version=latest",
};

/** Labels of a connection node a sent outside the mesh (passthrough) or nowhere (blackhole), from client/sleep. */
function unmeshedLabels(cluster: "PassthroughCluster" | "BlackHoleCluster", flags: string): Labels {
  return {
    reporter: "source",
    source_workload: "sleep", source_workload_namespace: "client", source_principal: "unknown",
    source_app: "sleep", source_version: "v1", source_cluster: "Kubernetes",
    destination_workload: "unknown", destination_workload_namespace: "unknown", destination_principal: "unknown",
    destination_app: "unknown", destination_version: "unknown",
    destination_service: "unknown", destination_service_name: cluster, destination_service_namespace: "unknown",
    destination_cluster: "unknown", request_protocol: "tcp", response_flags: flags, connection_security_policy: "unknown",
    source_canonical_service: "sleep", destination_canonical_service: "unknown",
    source_canonical_revision: "v1", destination_canonical_revision: "latest",
  };
}

/** A plaintext connection to httpbin's pod from outside the mesh, as node b reports it. */
const PLAINTEXT_LABELS: Labels = {
  reporter: "destination",
  source_workload: "unknown", source_workload_namespace: "unknown", source_principal: "unknown",
  source_app: "unknown", source_version: "unknown", source_cluster: "unknown",
  destination_workload: "httpbin", destination_workload_namespace: "server", destination_principal: M.identities.httpbin,
  destination_app: "httpbin", destination_version: "v1",
  destination_service: "httpbin.server.svc.cluster.local", destination_service_name: "httpbin",
  destination_service_namespace: "server", destination_cluster: "Kubernetes",
  request_protocol: "tcp", response_flags: "-", connection_security_policy: "none",
  source_canonical_service: "unknown", destination_canonical_service: "httpbin",
  source_canonical_revision: "latest", destination_canonical_revision: "v1",
};

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(v).slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(realEnvoys())("ztunnel.yaml, two nodes, real Envoy $version", ({ version, envoy, missing }) => {
  let mesh: ZtunnelMesh;
  /** %UPSTREAM_TRANSPORT_FAILURE_REASON% details (observed: present in 1.40.0, absent in 1.36.2). */
  const detailedFailures = compareVersions(version, "1.40.0") >= 0;
  beforeAll(async () => {
    if (envoy) mesh = await startZtunnelMesh({ envoy });
  });
  afterAll(async () => {
    await mesh?.stop();
  });
  const run = it.skipIf(missing !== undefined);
  const metric = (proxy: "A" | "B", name: string, labels: Labels) =>
    (proxy === "A" ? mesh.ztunnelA : mesh.ztunnelB).prometheus().then((l) => sampleValue(l, name, labels));
  /** Waits until the closed counter of a label set reaches `n` (closing is reported when the connection ends). */
  const closed = (proxy: "A" | "B", labels: Labels, n: number) =>
    until(`${proxy} closed_total ${labels.response_flags}`, () => metric(proxy, "istio_tcp_connections_closed_total", labels), (v) => v === n);

  run("client/sleep → service VIP: captured, tunnelled with the exact CONNECT, served; TCP metrics on both nodes", async () => {
    const r = await curl(mesh.nodeA, ["--interface", M.sleep, `http://${M.httpbinVip}:${M.servicePort}/hello`]);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as { hello: string; received: { peer: string; local: string; headers: Record<string, string> } };
    // The far side: httpbin on its pod port, reached by node b's ztunnel (inbound_app dials from the pod IP).
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
    for (const [proxy, reporter, security] of [["A", "source", "unknown"], ["B", "destination", "mutual_tls"]] as const) {
      const labels = tcpLabels(reporter, "sleep", "-", security);
      await closed(proxy, labels, 1);
      const lines = await (proxy === "A" ? mesh.ztunnelA : mesh.ztunnelB).prometheus();
      expect(sampleValue(lines, "istio_tcp_connections_opened_total", labels)).toBe(1);
      expect(sampleValue(lines, "istio_tcp_received_bytes_total", labels)).toBe(sent);
      expect(sampleValue(lines, "istio_tcp_sent_bytes_total", labels)).toBe(back);
    }
    expect(await metric("B", "identity_rbac_connect_allowed", {})).toBe(1);
  });

  run("HTTP/2 (curl), gRPC (grpc-js) and raw TCP (Node) to httpbin's pod address travel the tunnel to their own ports", async () => {
    const h2 = await curl(mesh.nodeA, ["--http2-prior-knowledge", `http://${M.httpbinPod}:${M.ports.http2}/h2`]);
    expect(h2.status).toBe(200);
    expect(JSON.parse(h2.body).received).toMatchObject({ kind: "http2", local: `${M.httpbinPod}:${M.ports.http2}`, path: "/h2" });

    const g = await nodeClient(mesh.nodeA, { kind: "grpc", target: `${M.httpbinPod}:${M.ports.grpc}`, message: "ping", metadata: { "x-call": "grpc-e2e" } });
    expect(g).toMatchObject({ ok: true, grpcCode: 0 });
    expect(JSON.parse(g.received!).received).toMatchObject({ kind: "grpc", data: "ping", headers: { "x-call": "grpc-e2e" } });

    const e = await nodeClient(mesh.nodeA, { kind: "tcp", host: M.httpbinPod, port: M.ports.echo, data: "raw bytes through HBONE" });
    expect(e).toMatchObject({ ok: true, received: "raw bytes through HBONE" });
    await mesh.server.waitFor((x) => x.kind === "echo" && x.data === "raw bytes through HBONE");

    const connects = await Promise.all([M.ports.echo, M.ports.http2, M.ports.grpc].map((p) =>
      mesh.ztunnelB.waitForLog("ztunnel_hbone", (c) => c.authority === `${M.httpbinPod}:${p}`)));
    // Workload-addressed: the CONNECT names the pod port dialled, and `forwarded` has no service host.
    expect(connects.map((c) => c.authority).sort()).toEqual([M.ports.echo, M.ports.http2, M.ports.grpc].map((p) => `${M.httpbinPod}:${p}`).sort());
    for (const c of connects) {
      expect(c).toMatchObject({ peer: M.identities.sleep, baggage: CONNECT_BAGGAGE.sleep, response_code: 200, upstream_host: c.authority, x_envoy_original_dst_host: c.authority });
      expect(c.forwarded).toMatch(new RegExp(`^for="${M.sleep.replace(/\./g, "\\.")}:\\d+"$`));
    }
    // Source side, workload-addressed: no destination service. Destination side: the workload's service.
    const src = { ...tcpLabels("source", "sleep", "-", "unknown"), destination_service: "unknown", destination_service_name: "unknown" };
    await closed("A", src, 3);
    expect(await metric("B", "istio_tcp_connections_opened_total", tcpLabels("destination", "sleep", "-", "mutual_tls"))).toBe(4);
  });

  run("other/intruder is denied: node b answers the CONNECT 401, node a closes the app's connection; DENY and UF,URX", async () => {
    const served = mesh.server.received().length;
    const r = await curl(mesh.nodeA, ["--interface", M.intruder, `http://${M.httpbinVip}:${M.servicePort}/intruder`]);
    expect(r.status).toBe(0);
    expect(r.exitCode).not.toBe(0);
    const out = await mesh.ztunnelA.waitForLog("ztunnel_outbound", (x) => x.source.startsWith(M.intruder));
    expect(out).toMatchObject({ cluster: "hbone_originate_other_intruder", route: "hbone", response_flags: "UF,URX", bytes_sent: 0 });
    // Envoy 1.40 names the reason; 1.36.2 leaves %UPSTREAM_TRANSPORT_FAILURE_REASON% empty for a refused CONNECT.
    expect(out.upstream_failure).toBe(detailedFailures ? "tunnel_response:401" : null);
    const denied = await mesh.ztunnelB.waitForLog("ztunnel_hbone", (x) => x.peer === M.identities.intruder);
    expect(denied).toMatchObject({
      authority: `${M.httpbinPod}:80`, baggage: CONNECT_BAGGAGE.intruder, response_code: 401,
      response_code_details: "rbac_access_denied_matched_policy[none]", upstream_host: null,
    });
    await closed("B", tcpLabels("destination", "intruder", "DENY", "mutual_tls"), 1);
    await closed("A", tcpLabels("source", "intruder", "UF,URX", "unknown"), 1);
    expect(await metric("B", "identity_rbac_connect_denied", {})).toBe(1);
    expect(mesh.server.received().length).toBe(served);
  });

  run("plaintext from outside the mesh to httpbin's pod is captured to 15006 and closed without a byte forwarded", async () => {
    const r = await nodeClient(mesh.ext, { kind: "tcp", host: M.httpbinPod, port: M.ports.echo, data: "plaintext from outside" });
    expect(r).toMatchObject({ ok: false, received: "", closedEarly: true });
    const log = await mesh.ztunnelB.waitForLog("ztunnel_inbound_plaintext", (x) => x.source.startsWith(`${M.ext}:`));
    expect(log).toMatchObject({ original_dst: `${M.httpbinPod}:${M.ports.echo}`, upstream_host: `${M.httpbinPod}:${M.ports.echo}` });
    expect(await metric("B", "identity_rbac_l4_denied", {})).toBe(1);
    // Found by running real Envoy: tcp_proxy may have dialled the app before identity-rbac saw the first byte, so the
    // app can see a connection open and close, with nothing on it (envoy-configs/README.md "Found by running real
    // Envoy"); whether it does is a race, so only the data is asserted.
    expect(mesh.server.received().some((x) => x.data === "plaintext from outside")).toBe(false);
    await closed("B", PLAINTEXT_LABELS, 1);
  });

  run("headers an application forges change nothing: the CONNECT, the identity and the labels stay the source's own", async () => {
    const openedBefore = await metric("B", "istio_tcp_connections_opened_total", tcpLabels("destination", "sleep", "-", "mutual_tls"));
    const forged = [
      `baggage: ${CONNECT_BAGGAGE.intruder}`,
      'forwarded: for="203.0.113.9";host=evil.example',
      `x-envoy-original-dst-host: ${M.ext}:${M.ports.echo}`,
      `x-forwarded-client-cert: By=${M.identities.httpbin};URI=${M.identities.intruder}`,
    ];
    const r = await curl(mesh.nodeA, [...forged.flatMap((h) => ["-H", h]), `http://${M.httpbinVip}:${M.servicePort}/forged`]);
    expect(r.status).toBe(200);
    // The app's own headers are payload inside the tunnel: httpbin receives them as sent, nothing more.
    expect(JSON.parse(r.body).received.headers).toMatchObject({ baggage: CONNECT_BAGGAGE.intruder, "x-envoy-original-dst-host": `${M.ext}:${M.ports.echo}` });
    expect(r.localPort).toBeGreaterThan(0);
    const connect = await mesh.ztunnelB.waitForLog("ztunnel_hbone", (c) => c.forwarded?.startsWith(`for="${M.sleep}:${r.localPort}"`) ?? false);
    expect(connect).toMatchObject({
      authority: `${M.httpbinPod}:80`, baggage: CONNECT_BAGGAGE.sleep, peer: M.identities.sleep,
      forwarded: `for="${M.sleep}:${r.localPort}";host=httpbin.server.svc.cluster.local`,
      x_envoy_original_dst_host: `${M.httpbinPod}:80`, x_forwarded_client_cert: null, upstream_host: `${M.httpbinPod}:80`,
    });
    await until("sleep opened +1", () => metric("B", "istio_tcp_connections_opened_total", tcpLabels("destination", "sleep", "-", "mutual_tls")), (v) => v === openedBefore + 1);
    expect(mesh.outside.received()).toEqual([]);
  });

  run("a workload's own CONNECT with forged x-envoy-original-dst-host / x-forwarded-client-cert reaches only the :authority", async () => {
    const r = await nodeClient(mesh.ext, {
      kind: "connect", host: M.nodeB, port: 15008, authority: `${M.httpbinPod}:${M.ports.echo}`,
      headers: {
        "x-envoy-original-dst-host": `${M.ext}:${M.ports.echo}`,
        "x-forwarded-client-cert": `By=${M.identities.httpbin};URI=${M.identities.intruder}`,
      },
      cert: certFile("client-sleep", "cert"), key: certFile("client-sleep", "key"), ca: certFile("root", "cert"),
      data: "direct tunnel",
    });
    expect(r).toMatchObject({ status: 200, received: "direct tunnel" });
    await mesh.server.waitFor((x) => x.kind === "echo" && x.data === "direct tunnel");
    expect(mesh.outside.received()).toEqual([]);
    const connect = await mesh.ztunnelB.waitForLog("ztunnel_hbone", (c) => c.downstream.startsWith(`${M.ext}:`) && c.peer === M.identities.sleep);
    expect(connect).toMatchObject({
      x_envoy_original_dst_host: `${M.httpbinPod}:${M.ports.echo}`, x_forwarded_client_cert: null,
      upstream_host: `${M.httpbinPod}:${M.ports.echo}`,
    });
  });

  run("the same CONNECT with intruder's certificate and baggage claiming client/sleep is answered 401", async () => {
    const r = await nodeClient(mesh.ext, {
      kind: "connect", host: M.nodeB, port: 15008, authority: `${M.httpbinPod}:${M.ports.echo}`,
      headers: { baggage: CONNECT_BAGGAGE.sleep },
      cert: certFile("other-intruder", "cert"), key: certFile("other-intruder", "key"), ca: certFile("root", "cert"),
      data: "should not arrive",
    });
    expect(r.status).toBe(401);
    expect(mesh.server.received().some((x) => x.data === "should not arrive")).toBe(false);
    expect(await metric("B", "identity_rbac_connect_denied", {})).toBe(2);
  });

  run("passthrough: a destination outside the mesh gets plain TCP from node a's address", async () => {
    const r = await nodeClient(mesh.nodeA, { kind: "tcp", host: M.ext, port: M.ports.echo, data: "to the outside" });
    expect(r).toMatchObject({ ok: true, received: "to the outside" });
    const got = await mesh.outside.waitFor((x) => x.data === "to the outside");
    expect(got.peer).toMatch(/^10\.77\.0\.10:/);
    const log = await mesh.ztunnelA.waitForLog("ztunnel_outbound", (x) => x.route === "passthrough");
    expect(log).toMatchObject({ cluster: "PassthroughCluster", upstream_host: `${M.ext}:${M.ports.echo}`, connect_authority: null, response_flags: "-", bytes_received: 14, bytes_sent: 14 });
    const labels = unmeshedLabels("PassthroughCluster", "-");
    await closed("A", labels, 1);
    expect(await metric("A", "istio_tcp_received_bytes_total", labels)).toBe(14);
    expect(await metric("A", "istio_tcp_sent_bytes_total", labels)).toBe(14);
  });

  run("blackhole: a service port the service does not expose, and a source in no table, are closed (UH)", async () => {
    const served = mesh.server.received().length;
    const unexposed = await nodeClient(mesh.nodeA, { kind: "tcp", host: M.httpbinVip, port: 9090, data: "x" });
    expect(unexposed).toMatchObject({ ok: false, received: "" });
    const unknown = await nodeClient(mesh.nodeA, { kind: "tcp", host: M.httpbinVip, port: M.servicePort, localAddress: M.unknownSource, data: "x" });
    expect(unknown).toMatchObject({ ok: false, received: "" });
    const logs = await until("blackhole logs", async () => mesh.ztunnelA.accessLog("ztunnel_outbound").filter((x) => x.route === "blackhole"), (l) => l.length === 2, 15_000);
    for (const l of logs) expect(l).toMatchObject({ cluster: "BlackHoleCluster", upstream_host: null, response_flags: "UH" });
    expect(logs.map((l) => `${l.source.split(":")[0]}→${l.original_dst}`).sort()).toEqual([`${M.sleep}→${M.httpbinVip}:9090`, `${M.unknownSource}→${M.httpbinVip}:${M.servicePort}`]);
    await closed("A", unmeshedLabels("BlackHoleCluster", "UH"), 1);
    const unknownLabels = Object.fromEntries(Object.entries(unmeshedLabels("BlackHoleCluster", "UH")).map(([k, v]) =>
      [k, k.startsWith("source_") && k !== "source_principal" ? (k === "source_canonical_revision" ? "latest" : "unknown") : v]));
    await closed("A", unknownLabels, 1);
    expect(mesh.server.received().length).toBe(served);
  });

  run("a node b presenting another identity's certificate is refused by node a's SAN pinning", async () => {
    const impostor = await startZtunnelMesh({ envoy: envoy!, nodeBDeploy: { certificates: { "server-httpbin": "other-intruder" } } });
    try {
      const r = await curl(impostor.nodeA, [`http://${M.httpbinVip}:${M.servicePort}/impostor`]);
      expect(r.status).toBe(0);
      const [out] = await impostor.ztunnelA.waitForAccessLog("ztunnel_outbound", 1);
      expect(out).toMatchObject({ cluster: "hbone_originate_client_sleep", response_flags: "UF,URX", bytes_sent: 0 });
      expect(out.upstream_failure).toContain("CERTIFICATE_VERIFY_FAILED");
      if (detailedFailures) expect(out.upstream_failure).toContain(`expected_SANs:_[${M.identities.httpbin}],_certificate_SANs:_[${M.identities.intruder}]`);
      await until("source closed UF,URX", () => impostor.ztunnelA.prometheus().then((l) => sampleValue(l, "istio_tcp_connections_closed_total", tcpLabels("source", "sleep", "UF,URX", "unknown"))), (v) => v === 1);
      expect(impostor.server.received()).toEqual([]);
      expect(impostor.ztunnelB.accessLog("ztunnel_hbone")).toEqual([]);
    } finally {
      await impostor.stop();
    }
  });
});
