// The ambient L7 path, wired by the shipped configs, in real Envoy (envoy/mesh/waypoint.ts has the picture):
// client/sleep on node a → its ztunnel (ztunnel.yaml) → the waypoint (waypoint.yaml) → node b's ztunnel → httpbin,
// over HTTP/1.1, HTTP/2 and gRPC, with the waypoint's L7 identity-rbac and istio_requests_total, and node b's
// ztunnel seeing the waypoint as the source, as in Istio ambient.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curl, nodeClient } from "../../envoy/mesh/apps.ts";
import { compareVersions } from "../../envoy/provision.ts";
import type { MeshProxy } from "../../envoy/mesh/proxy.ts";
import { AMBIENT_L7 as M, startAmbientL7Mesh, type AmbientL7Mesh } from "../../envoy/mesh/waypoint.ts";
import { realEnvoys, sampleValue, samples, type Labels } from "./support.ts";
import { predictWaypoint, type WaypointRequest } from "./waypoint-emulator.ts";

const SLEEP_BAGGAGE = "k8s.cluster.name=Kubernetes,k8s.namespace.name=client,k8s.deployment.name=sleep,service.name=sleep,service.version=v1";
const URL = `http://${M.l7Vip}:${M.l7Ports.http}`;
// Access logs reach stdout when Envoy flushes its log buffer (envoy/mesh/proxy.ts sets the interval).
const LOG_WAIT_MS = 15_000;

/** The waypoint's istio_requests_total label set for client/sleep → httpbin-l7, in the order the stats_tags print. */
function waypointLabels(code: string, protocol: "http" | "grpc"): Labels {
  return {
    response_code: code, reporter: "waypoint",
    source_workload: "sleep", source_workload_namespace: "client", source_principal: M.identities.sleep,
    source_app: "sleep", source_version: "v1", source_cluster: "Kubernetes",
    destination_workload: "httpbin", destination_workload_namespace: "server", destination_principal: M.identities.httpbin,
    destination_app: "httpbin", destination_version: "v1",
    destination_service: "httpbin-l7.server.svc.cluster.local", destination_service_name: "httpbin-l7",
    destination_service_namespace: "server", destination_cluster: "Kubernetes",
    request_protocol: protocol, response_flags: "-", grpc_response_status: protocol === "grpc" ? "0" : "",
    connection_security_policy: "mutual_tls",
    source_canonical_service: "sleep", destination_canonical_service: "httpbin",
    source_canonical_revision: "v1", destination_canonical_revision: "v1",
  };
}

/** The first access-log line of `listener` matching `pred`, waiting for Envoy to write it. */
async function logLine(proxy: MeshProxy, listener: string, pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const deadline = Date.now() + LOG_WAIT_MS;
  for (;;) {
    const hit = proxy.accessLog(listener).find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no matching ${listener} access-log line within ${LOG_WAIT_MS} ms: ${JSON.stringify(proxy.accessLog(listener))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function metric(proxy: MeshProxy, name: string, labels: Labels): Promise<number> {
  return sampleValue(await proxy.prometheus(), name, labels);
}

describe.each(realEnvoys())("ambient L7 path (ztunnel → waypoint → ztunnel), real Envoy $version", ({ version, envoy, missing }) => {
  let mesh: AmbientL7Mesh;
  beforeAll(async () => {
    if (envoy) mesh = await startAmbientL7Mesh({ envoy });
  }, 60_000);
  afterAll(async () => {
    await mesh?.stop();
  });

  it.skipIf(missing !== undefined)("HTTP/1.1: tunnelled to the waypoint, allowed at L7, tunnelled on with the waypoint's identity, counted", async () => {
    const before = await metric(mesh.waypoint, "istio_requests_total", waypointLabels("200", "http"));
    const r = await curl(mesh.nodeA, ["--interface", M.sleep, `${URL}/hello`]);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as { hello: string; received: { kind: string; local: string; path: string } };
    expect(body.hello).toBe("hello from httpbin");
    expect(body.received).toMatchObject({ kind: "http1", local: `${M.httpbinPod}:80`, path: "/hello" });

    // Node a: the service has a waypoint, so the tunnel goes to the waypoint with :authority = the VIP:port dialled.
    const out = await logLine(mesh.ztunnelA, "ztunnel_outbound", (l) => l.original_dst === `${M.l7Vip}:${M.l7Ports.http}`);
    expect(out).toMatchObject({
      route: "waypoint", cluster: "hbone_originate_client_sleep", upstream_host: `${M.waypoint}:15008`,
      connect_authority: `${M.l7Vip}:${M.l7Ports.http}`, response_flags: "-",
    });
    expect(String(out.source)).toMatch(new RegExp(`^${M.sleep.replace(/\./g, "\\.")}:\\d+$`));
    // The waypoint: sleep's certificate on the CONNECT, sleep's baggage; the request with sleep as the peer.
    const connect = await logLine(mesh.waypoint, "waypoint_connect", (l) => l.authority === `${M.l7Vip}:${M.l7Ports.http}` && l.peer === M.identities.sleep);
    expect(connect).toMatchObject({ method: "CONNECT", baggage: SLEEP_BAGGAGE, response_code: 200 });
    const request = await logLine(mesh.waypoint, "waypoint_http", (l) => l.path === "/hello");
    expect(request).toMatchObject({
      method: "GET", protocol: "HTTP/1.1", destination: `${M.l7Vip}:${M.l7Ports.http}`, peer: M.identities.sleep,
      response_code: 200, response_code_details: "via_upstream", cluster: "outbound|8000||httpbin-l7.server.svc.cluster.local",
    });
    // Node b: the CONNECT comes from the waypoint, with the waypoint's identity, for the pod's target port.
    const hbone = await logLine(mesh.ztunnelB, "ztunnel_hbone", (l) => l.peer === M.waypointIdentity);
    expect(hbone).toMatchObject({ method: "CONNECT", authority: `${M.httpbinPod}:80`, response_code: 200, upstream_host: `${M.httpbinPod}:80` });
    expect(String(hbone.downstream)).toMatch(new RegExp(`^${M.waypoint.replace(/\./g, "\\.")}:\\d+$`));

    expect(await metric(mesh.waypoint, "istio_requests_total", waypointLabels("200", "http"))).toBe(before + 1);
  });

  it.skipIf(missing !== undefined)("HTTP/2 (h2c) from the client: the waypoint serves it as HTTP/2 and counts it", async () => {
    const before = await metric(mesh.waypoint, "istio_requests_total", waypointLabels("200", "http"));
    const r = await curl(mesh.nodeA, ["--interface", M.sleep, "--http2-prior-knowledge", `${URL}/over-h2`]);
    expect(r.status).toBe(200);
    // Port 8000's cluster speaks HTTP/1.1 to the app on :80, whatever the client spoke.
    expect(JSON.parse(r.body).received).toMatchObject({ kind: "http1", path: "/over-h2" });
    const request = await logLine(mesh.waypoint, "waypoint_http", (l) => l.path === "/over-h2");
    expect(request).toMatchObject({ protocol: "HTTP/2", peer: M.identities.sleep, response_code: 200 });
    expect(await metric(mesh.waypoint, "istio_requests_total", waypointLabels("200", "http"))).toBe(before + 1);
  });

  it.skipIf(missing !== undefined)("gRPC: the waypoint's 9090 filter chain sends it over HTTP/2 to the gRPC server; request_protocol grpc", async () => {
    // The gRPC client binds no source address; node a's route to the VIP picks sleep's pod IP (waypoint.ts).
    const r = await nodeClient(mesh.nodeA, { kind: "grpc", target: `${M.l7Vip}:${M.l7Ports.grpc}`, message: "hello over grpc" });
    expect(r).toMatchObject({ ok: true, grpcCode: 0 });
    expect(JSON.parse(r.received!).received).toMatchObject({ kind: "grpc", data: "hello over grpc" });
    const request = await logLine(mesh.waypoint, "waypoint_http", (l) => l.cluster === "outbound|9090||httpbin-l7.server.svc.cluster.local");
    expect(request).toMatchObject({
      method: "POST", protocol: "HTTP/2", destination: `${M.l7Vip}:${M.l7Ports.grpc}`, peer: M.identities.sleep,
      response_code: 200, grpc_status: 0,
    });
    expect(await metric(mesh.waypoint, "istio_requests_total", waypointLabels("200", "grpc"))).toBe(1);
  });

  it.skipIf(missing !== undefined)("L7 identity-rbac at the waypoint: 403 naming the policy, nothing reaches the app, counted as 403", async () => {
    const denied = await metric(mesh.waypoint, "identity_rbac_l7_denied", {});
    const r = await curl(mesh.nodeA, ["--interface", M.sleep, `${URL}/admin/settings`]);
    expect(r.status).toBe(403);
    expect(r.body).toBe("RBAC: access denied");
    const request = await logLine(mesh.waypoint, "waypoint_http", (l) => l.path === "/admin/settings");
    expect(request).toMatchObject({
      response_code: 403, response_code_details: "rbac_access_denied_matched_policy[ns[server]-policy[no-admin]-rule[0]]",
      peer: M.identities.sleep,
    });
    expect(mesh.server.received().some((x) => x.path === "/admin/settings")).toBe(false);
    expect(await metric(mesh.waypoint, "identity_rbac_l7_denied", {})).toBe(denied + 1);
    expect(await metric(mesh.waypoint, "istio_requests_total", waypointLabels("403", "http"))).toBe(1);
  });

  it.skipIf(missing !== undefined)("other/intruder: the waypoint refuses its CONNECT (401, no policy matched) and node a closes the app's connection", async () => {
    const r = await curl(mesh.nodeA, ["--interface", M.intruder, `${URL}/hello`]);
    expect(r.status).toBe(0);
    expect(r.exitCode).not.toBe(0);
    const out = await logLine(mesh.ztunnelA, "ztunnel_outbound", (l) => String(l.source).startsWith(`${M.intruder}:`) && l.original_dst === `${M.l7Vip}:${M.l7Ports.http}`);
    expect(out).toMatchObject({ route: "waypoint", cluster: "hbone_originate_other_intruder", upstream_host: `${M.waypoint}:15008`, response_flags: "UF,URX" });
    // Envoy 1.40.0 names the CONNECT's answer as the upstream failure; 1.36.2 leaves the field empty.
    expect(out.upstream_failure).toBe(compareVersions(version, "1.40.0") >= 0 ? "tunnel_response:401" : null);
    const connect = await logLine(mesh.waypoint, "waypoint_connect", (l) => l.peer === M.identities.intruder);
    expect(connect).toMatchObject({ response_code: 401, response_code_details: "rbac_access_denied_matched_policy[none]" });
    expect(await metric(mesh.waypoint, "identity_rbac_connect_denied", {})).toBe(1);
  });

  it.skipIf(missing !== undefined)("node b's ztunnel admits the waypoint by its identity (allow-waypoint) and reports it as the source", async () => {
    const lines = await mesh.ztunnelB.prometheus();
    const opened = samples(lines, "istio_tcp_connections_opened_total", {
      reporter: "destination", source_workload: "waypoint", source_workload_namespace: "server",
      source_principal: M.waypointIdentity, destination_workload: "httpbin", destination_principal: M.identities.httpbin,
      connection_security_policy: "mutual_tls", response_flags: "-",
    });
    expect(opened.length).toBe(1);
    expect(opened[0].value).toBeGreaterThanOrEqual(1);
    // Every CONNECT node b received on this path came from the waypoint and was allowed.
    const fromWaypoint = mesh.ztunnelB.accessLog("ztunnel_hbone").filter((l) => l.peer === M.waypointIdentity);
    expect(fromWaypoint.length).toBeGreaterThanOrEqual(1);
    for (const l of fromWaypoint) expect(l.response_code).toBe(200);
    expect(sampleValue(lines, "identity_rbac_connect_denied", {})).toBe(0);
  });

  it.skipIf(missing !== undefined)("the emulator, given the same requests, predicts the waypoint's decisions and istio_requests_total", async () => {
    const base = { peer: M.identities.sleep, baggage: SLEEP_BAGGAGE, method: "GET", destination: `${M.l7Vip}:${M.l7Ports.http}` };
    const sent: WaypointRequest[] = [
      { ...base, path: "/predict/h1", protocol: "HTTP/1.1" },
      { ...base, path: "/predict/h2", protocol: "HTTP/2" },
      { ...base, destination: `${M.l7Vip}:${M.l7Ports.grpc}`, method: "POST", path: "/ambientwasm.e2e.Echo/Say", protocol: "HTTP/2", headers: [["content-type", "application/grpc"]] },
      { ...base, path: "/admin/predict", protocol: "HTTP/1.1" },
    ];
    const counted = [["200", "http"], ["200", "grpc"], ["403", "http"]] as const;
    const countersOf = (lines: string[]) => [
      ...counted.map(([code, protocol]) => sampleValue(lines, "istio_requests_total", waypointLabels(code, protocol))),
      sampleValue(lines, "identity_rbac_l7_allowed", {}), sampleValue(lines, "identity_rbac_l7_denied", {}),
    ];
    const before = countersOf(await mesh.waypoint.prometheus());
    const grpcLinesBefore = mesh.waypoint.accessLog("waypoint_http").filter((l) => l.path === sent[2].path).length;
    await curl(mesh.nodeA, ["--interface", M.sleep, `${URL}${sent[0].path}`]);
    await curl(mesh.nodeA, ["--interface", M.sleep, "--http2-prior-knowledge", `${URL}${sent[1].path}`]);
    await nodeClient(mesh.nodeA, { kind: "grpc", target: `${M.l7Vip}:${M.l7Ports.grpc}`, message: "predict" });
    await curl(mesh.nodeA, ["--interface", M.sleep, `${URL}${sent[3].path}`]);

    const predicted = await predictWaypoint(sent);
    const lines = [
      await logLine(mesh.waypoint, "waypoint_http", (l) => l.path === sent[0].path),
      await logLine(mesh.waypoint, "waypoint_http", (l) => l.path === sent[1].path),
      (await (async () => {
        const deadline = Date.now() + LOG_WAIT_MS;
        for (;;) {
          const all = mesh.waypoint.accessLog("waypoint_http").filter((l) => l.path === sent[2].path);
          if (all.length > grpcLinesBefore) return all[all.length - 1];
          if (Date.now() > deadline) throw new Error("no new gRPC access-log line");
          await new Promise((r) => setTimeout(r, 100));
        }
      })()) as Record<string, unknown>,
      await logLine(mesh.waypoint, "waypoint_http", (l) => l.path === sent[3].path),
    ];
    for (const [i, line] of lines.entries()) {
      expect(line.response_code, sent[i].path).toBe(predicted[i].status);
      if (predicted[i].details !== null) expect(line.response_code_details).toBe(predicted[i].details);
    }
    expect(predicted.map((p) => p.status)).toEqual([200, 200, 200, 403]);
    // Envoy's counters moved by exactly what the emulator counted for the same four requests.
    const after = countersOf(await mesh.waypoint.prometheus());
    const emulated = countersOf(predicted[0].prometheus);
    expect(emulated).toEqual([2, 1, 1, 3, 1]);
    expect(after.map((v, i) => v - before[i])).toEqual(emulated);
  });
});
