// envoy-configs/sidecar.yaml in real Envoy with capture both ways (envoy/mesh/sidecar.ts has the picture): inbound
// identity RBAC on 15006 (HTTP and TCP, mTLS and plaintext), outbound PassthroughCluster and BlackHoleCluster, and
// the real /stats/prometheus.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curl, nodeClient } from "../../envoy/mesh/apps.ts";
import { SIDECAR_MESH as M, startSidecarMesh, type SidecarMesh } from "../../envoy/mesh/sidecar.ts";
import { certFile } from "../../envoy/mesh/ztunnel.ts";
import { realEnvoys, sampleValue, type Labels } from "./support.ts";

const SLEEP = "spiffe://cluster.local/ns/client/sa/sleep";
const INTRUDER = "spiffe://cluster.local/ns/other/sa/intruder";
const HTTPBIN = "spiffe://cluster.local/ns/server/sa/httpbin";

const tlsArgs = (identity: string) => ["--cert", certFile(identity, "cert"), "--key", certFile(identity, "key"), "--cacert", certFile("root", "cert"), "-k"];
const tlsClient = (identity: string) => ({ cert: certFile(identity, "cert"), key: certFile(identity, "key"), ca: certFile("root", "cert") });

/** Destination-side labels on httpbin's sidecar for a caller (by certificate, or none). */
function inbound(peer: string | null, protocol: "http" | "tcp"): Labels {
  const ns = peer ? /\/ns\/([^/]+)\//.exec(peer)![1] : "unknown";
  const labels: Labels = {
    reporter: "destination",
    source_workload: "unknown", source_workload_namespace: ns, source_principal: peer ?? "unknown",
    source_app: "unknown", source_version: "unknown", source_cluster: "unknown",
    destination_workload: "httpbin", destination_workload_namespace: "server", destination_principal: peer ? HTTPBIN : "unknown",
    destination_app: "httpbin", destination_version: "v1",
    destination_service: "httpbin.server.svc.cluster.local", destination_service_name: "httpbin",
    destination_service_namespace: "server", destination_cluster: "Kubernetes",
    request_protocol: protocol, response_flags: "-",
  };
  if (protocol === "http") labels.grpc_response_status = "";
  Object.assign(labels, {
    connection_security_policy: peer ? "mutual_tls" : "none",
    source_canonical_service: "unknown", destination_canonical_service: "httpbin",
    source_canonical_revision: "latest", destination_canonical_revision: "latest",
  });
  return labels;
}

function outbound(cluster: "PassthroughCluster" | "BlackHoleCluster", flags: string): Labels {
  return {
    reporter: "source",
    source_workload: "httpbin", source_workload_namespace: "server", source_principal: "unknown",
    source_app: "httpbin", source_version: "v1", source_cluster: "Kubernetes",
    destination_workload: "unknown", destination_workload_namespace: "unknown", destination_principal: "unknown",
    destination_app: "unknown", destination_version: "unknown",
    destination_service: "unknown", destination_service_name: cluster, destination_service_namespace: "unknown",
    destination_cluster: "unknown", request_protocol: "tcp", response_flags: flags, connection_security_policy: "unknown",
    source_canonical_service: "httpbin", destination_canonical_service: "unknown",
    source_canonical_revision: "v1", destination_canonical_revision: "latest",
  };
}

async function until(what: string, get: () => Promise<number>, want: number, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let v = await get();
  while (v !== want) {
    if (Date.now() > deadline) throw new Error(`${what}: ${v}, want ${want}`);
    await new Promise((r) => setTimeout(r, 100));
    v = await get();
  }
}

describe.each(realEnvoys())("sidecar.yaml, captured both ways, real Envoy $version", ({ envoy, missing }) => {
  let mesh: SidecarMesh;
  beforeAll(async () => {
    if (envoy) mesh = await startSidecarMesh({ envoy });
  });
  afterAll(async () => {
    await mesh?.stop();
  });
  const run = it.skipIf(missing !== undefined);
  const metric = (name: string, labels: Labels) => mesh.sidecar.prometheus().then((l) => sampleValue(l, name, labels));

  run("inbound HTTP over mTLS: sleep is allowed, /admin* and intruder are denied 403, plaintext has no principal → 403", async () => {
    const ok = await curl(mesh.client, [...tlsArgs("client-sleep"), `https://${M.pod}:${M.ports.http1}/get`]);
    expect(ok.status).toBe(200);
    // The app got the request from the sidecar's InboundPassthroughCluster (bound to 127.0.0.6), with the caller's
    // address in x-forwarded-for (use_remote_address).
    const got = JSON.parse(ok.body).received;
    expect(got).toMatchObject({ local: `${M.pod}:${M.ports.http1}`, path: "/get", headers: { "x-forwarded-for": M.client, "x-forwarded-proto": "https" } });
    expect(got.peer).toMatch(/^127\.0\.0\.6:/);

    for (const [identity, path] of [["client-sleep", "/admin/users"], ["other-intruder", "/get"]]) {
      const denied = await curl(mesh.client, [...tlsArgs(identity), `https://${M.pod}:${M.ports.http1}${path}`]);
      expect([denied.status, denied.body]).toEqual([403, "RBAC: access denied"]);
    }
    const plain = await curl(mesh.client, [`http://${M.pod}:${M.ports.http1}/get`]);
    expect([plain.status, plain.body]).toEqual([403, "RBAC: access denied"]);
    expect(mesh.app.received().filter((r) => r.kind === "http1").map((r) => r.path)).toEqual(["/get"]);

    const requests = (peer: string | null, code: string) => metric("istio_requests_total", { response_code: code, ...inbound(peer, "http") });
    await until("200 from sleep", () => requests(SLEEP, "200"), 1);
    expect(await requests(SLEEP, "403")).toBe(1);
    expect(await requests(INTRUDER, "403")).toBe(1);
    expect(await requests(null, "403")).toBe(1);
    expect(await metric("identity_rbac_l7_allowed", {})).toBe(1);
    expect(await metric("identity_rbac_l7_denied", {})).toBe(3);
  });

  run("inbound TCP: mTLS from sleep is proxied with its principal in the labels; plaintext is denied and closed", async () => {
    const ok = await nodeClient(mesh.client, { kind: "tcp", host: M.pod, port: M.ports.echo, data: "over mTLS", tls: tlsClient("client-sleep") });
    expect(ok).toMatchObject({ ok: true, received: "over mTLS" });
    const plain = await nodeClient(mesh.client, { kind: "tcp", host: M.pod, port: M.ports.echo, data: "plaintext" });
    expect(plain).toMatchObject({ ok: false, received: "" });
    // Not a byte of the denied connection reaches the app. Whether the app sees an empty connection open and close
    // first depends on whether tcp_proxy's upstream connect finished before identity-rbac closed on the first byte
    // (observed both ways on 1.36.2), so only the data is asserted.
    const echoed = mesh.app.received().filter((r) => r.kind === "echo").map((r) => r.data);
    expect(echoed.filter((d) => d !== "")).toEqual(["over mTLS"]);
    // The decision counters are read once they settled: the client may see its connection closed a moment before
    // Envoy's admin endpoint shows the denial (seen once on 1.36.2).
    await until("allowed counted", () => metric("identity_rbac_l4_allowed", {}), 1);
    await until("denied counted", () => metric("identity_rbac_l4_denied", {}), 1);
    // The principal is known only after the TLS handshake, i.e. after proxy_on_new_connection (found by running
    // real Envoy: istio-stats now resolves TCP labels at the first data).
    const mtls = inbound(SLEEP, "tcp");
    await until("mTLS closed", () => metric("istio_tcp_connections_closed_total", mtls), 1);
    expect(await metric("istio_tcp_connections_opened_total", mtls)).toBe(1);
    expect(await metric("istio_tcp_received_bytes_total", mtls)).toBe("over mTLS".length);
    expect(await metric("istio_tcp_sent_bytes_total", mtls)).toBe("over mTLS".length);
    await until("plaintext closed", () => metric("istio_tcp_connections_closed_total", inbound(null, "tcp")), 1);
  });

  run("outbound: the app's connection to the outside goes through PassthroughCluster; to 15001 itself, BlackHoleCluster", async () => {
    const out = await nodeClient(mesh.pod, { kind: "tcp", host: M.ext, port: M.ports.echo, data: "leaving the pod" });
    expect(out).toMatchObject({ ok: true, received: "leaving the pod" });
    const got = await mesh.outside.waitFor((r) => r.data === "leaving the pod");
    expect(got.peer).toMatch(/^10\.77\.0\.20:/);
    const loop = await nodeClient(mesh.pod, { kind: "tcp", host: M.ext, port: 15001, data: "loop" });
    expect(loop).toMatchObject({ ok: false, received: "" });

    const pass = outbound("PassthroughCluster", "-");
    await until("passthrough closed", () => metric("istio_tcp_connections_closed_total", pass), 1);
    expect(await metric("istio_tcp_received_bytes_total", pass)).toBe("leaving the pod".length);
    expect(await metric("istio_tcp_sent_bytes_total", pass)).toBe("leaving the pod".length);
    const lines = await mesh.sidecar.prometheus();
    expect(sampleValue(lines, "envoy_tcp_downstream_cx_total", { envoy_tcp_prefix: "BlackHoleCluster" })).toBe(1);
    expect(sampleValue(lines, "envoy_cluster_upstream_cx_total", { envoy_cluster_name: "BlackHoleCluster" })).toBe(0);
    expect(sampleValue(lines, "envoy_cluster_upstream_cx_total", { envoy_cluster_name: "PassthroughCluster" })).toBe(1);
    expect(mesh.outside.received().some((r) => r.data === "loop")).toBe(false);
  });
});
