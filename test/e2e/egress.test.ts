// envoy-configs/egress.yaml in real Envoy, through a real squid (envoy/mesh/egress.ts has the picture): the target
// and headers the forward proxy receives, what the external service receives, and metrics naming the target service.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curl } from "../../envoy/mesh/apps.ts";
import { EGRESS_MESH as M, startEgressMesh, type EgressMesh } from "../../envoy/mesh/egress.ts";
import { realEnvoys, sampleValue, type Labels } from "./support.ts";

const PROXY_AUTHORIZATION = "Basic ZWdyZXNzOnMzY3JldA==";
const SLEEP_BAGGAGE = "k8s.cluster.name=Kubernetes,k8s.namespace.name=client,k8s.deployment.name=sleep,service.name=sleep,service.version=latest";

function egressLabels(protocol: "http" | "tcp", flags: string, serviceNamespace: string): Labels {
  const labels: Labels = {
    reporter: "source",
    source_workload: "egress-gateway", source_workload_namespace: "egress", source_principal: "unknown",
    source_app: "unknown", source_version: "unknown", source_cluster: "Kubernetes",
    destination_workload: "unknown", destination_workload_namespace: "unknown", destination_principal: "unknown",
    destination_app: "unknown", destination_version: "unknown",
    destination_service: M.targetName, destination_service_name: M.targetName, destination_service_namespace: serviceNamespace,
    destination_cluster: "unknown", request_protocol: protocol, response_flags: flags,
  };
  if (protocol === "http") labels.grpc_response_status = "";
  return Object.assign(labels, {
    connection_security_policy: "unknown",
    source_canonical_service: "egress-gateway", destination_canonical_service: "unknown",
    source_canonical_revision: "latest", destination_canonical_revision: "latest",
  });
}

describe.each(realEnvoys())("egress.yaml through squid, real Envoy $version", ({ envoy, missing }) => {
  let mesh: EgressMesh;
  beforeAll(async () => {
    if (envoy) mesh = await startEgressMesh({ envoy });
  });
  afterAll(async () => {
    await mesh?.stop();
  });
  const run = it.skipIf(missing !== undefined);

  run("an app's own CONNECT (:3128): squid gets the fixed target and the gateway's headers, forged ones replaced", async () => {
    const r = await curl(mesh.client, [
      "--proxytunnel", "-x", `http://${M.gateway}:3128`, "--cacert", mesh.pki.ca,
      "--proxy-header", "baggage: k8s.namespace.name=other,k8s.deployment.name=intruder",
      "--proxy-header", "proxy-authorization: Basic Zm9yZ2VkOmZvcmdlZA==",
      `https://${M.targetName}/via-connect`,
    ]);
    expect(r.status).toBe(200);
    // End-to-end TLS to api.example.com: the service sees the request from squid's address.
    expect(JSON.parse(r.body).received).toMatchObject({ kind: "https", path: "/via-connect", peer: expect.stringMatching(/^10\.77\.0\.50:/) });
    const got = await mesh.squid.waitFor((q) => q.method === "CONNECT" && q.headers.forwarded?.includes(`:${r.localPort}"`) === true);
    expect(got).toEqual({
      method: "CONNECT", target: `${M.targetName}:443`, status: 200, client: M.gateway,
      headers: {
        "proxy-authorization": PROXY_AUTHORIZATION,
        baggage: SLEEP_BAGGAGE,
        forwarded: `for="${M.client}:${r.localPort}";host=${M.targetName}`,
        traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/),
        host: `${M.targetName}:443`,
      },
    });
    // The tunnel is one Istio TCP connection to the target service, closed when curl hung up (DC).
    const labels = egressLabels("tcp", "DC", "unknown");
    const deadline = Date.now() + 8000;
    let lines = await mesh.egress.prometheus();
    while (sampleValue(lines, "istio_tcp_connections_closed_total", labels) !== 1 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 100));
      lines = await mesh.egress.prometheus();
    }
    expect(sampleValue(lines, "istio_tcp_connections_closed_total", labels)).toBe(1);
    expect(sampleValue(lines, "istio_tcp_connections_opened_total", egressLabels("tcp", "-", "unknown"))).toBe(1);
    expect(sampleValue(lines, "istio_tcp_sent_bytes_total", egressLabels("tcp", "-", "unknown"))).toBeGreaterThan(r.body.length);
    expect(sampleValue(lines, "istio_tcp_received_bytes_total", egressLabels("tcp", "-", "unknown"))).toBeGreaterThan(0);
  });

  run("plain HTTP for api.example.com (:15080): TLS originated inside a CONNECT through squid; HTTP metrics name the target", async () => {
    const r = await curl(mesh.client, ["-H", `host: ${M.targetName}`, `http://${M.gateway}:15080/via-http`]);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).received).toMatchObject({ kind: "https", path: "/via-http", headers: { host: M.targetName } });
    const lines = await mesh.egress.prometheus();
    expect(sampleValue(lines, "istio_requests_total", { response_code: "200", ...egressLabels("http", "-", "external") })).toBe(1);
    // squid logs a CONNECT when it ends; Envoy keeps its upstream TLS connection pooled, so stop Envoy first.
    await mesh.egress.stop();
    const got = await mesh.squid.waitFor((q) => q.method === "CONNECT" && q.headers.forwarded === undefined);
    expect(got).toEqual({
      method: "CONNECT", target: `${M.targetName}:443`, status: 200, client: M.gateway,
      headers: { "proxy-authorization": PROXY_AUTHORIZATION, host: `${M.targetName}:443` },
    });
  });
});
