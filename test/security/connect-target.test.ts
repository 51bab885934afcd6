// Issue 14, finding 1: identity-rbac (connect mode) judges exactly the destination hbone-inbound makes Envoy dial.
// An attacker's :authority spelled as v4-mapped IPv6 (dotted or hex) or as a service hostname must be denied
// whenever the resolved ip:target-port would be.
import { describe, expect, it } from "vitest";
import { Host } from "../../emulator/index.ts";
import { HBONE_CONNECT_TARGET } from "../../lib/filter-state-keys.ts";

const ID = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
const SLEEP = ID("client", "sleep");
const INTRUDER = ID("other", "intruder");

const INBOUND = {
  node: "node-b",
  workloads: [
    { name: "httpbin", namespace: "server", kind: "deployment", node: "node-b", addresses: ["10.77.0.20"],
      identity: ID("server", "httpbin"),
      services: [{ hostname: "httpbin.server.svc.cluster.local", vips: ["10.96.0.20"], ports: [{ port: 8000, targetPort: 80 }] }] },
  ],
};

/** httpbin admits only sleep; every other destination (the catch-all) has no policy and is open. */
const RBAC_ALLOW_SLEEP = {
  workloads: [
    { name: "httpbin", namespace: "server", labels: { app: "httpbin" }, addresses: ["10.77.0.20"] },
    { name: "anything-else", namespace: "elsewhere", labels: {} },
  ],
  rootNamespace: "istio-system",
  policies: [{ name: "allow-sleep", namespace: "server", spec: { selector: { matchLabels: { app: "httpbin" } }, action: "ALLOW",
    rules: [{ from: [{ source: { principals: ["cluster.local/ns/client/sa/sleep"] } }] }] } }],
};

/** httpbin's target port 80 is closed to everyone but sleep; its other ports are open. */
const RBAC_DENY_PORT_80 = {
  workloads: [{ name: "httpbin", namespace: "server", labels: { app: "httpbin" }, addresses: ["10.77.0.20"] }],
  rootNamespace: "istio-system",
  policies: [{ name: "deny-80", namespace: "server", spec: { selector: { matchLabels: { app: "httpbin" } }, action: "DENY",
    rules: [{ from: [{ source: { notPrincipals: ["cluster.local/ns/client/sa/sleep"] } }], to: [{ operation: { ports: ["80"] } }] }] } }],
};

async function terminate(authority: string, peer: string, rbac: unknown, withInbound = true) {
  const host = new Host({ logLevel: "info" });
  const filters = [];
  if (withInbound) filters.push(await host.loadPlugin({ module: "build/hbone-inbound.wasm", configuration: JSON.stringify(INBOUND) }));
  filters.push(await host.loadPlugin({ module: "build/identity-rbac.wasm", rootId: "identity-rbac-connect", configuration: JSON.stringify(rbac) }));
  const s = host.httpStream({ filters, connection: {
    "connection.mtls": true, "connection.uri_san_peer_certificate": peer,
    "source.address": "10.77.2.10:40000", "destination.address": "10.77.0.20:15008",
  } });
  s.sendRequestHeaders([[":method", "CONNECT"], [":authority", authority]], false);
  expect(host.traps).toEqual([]);
  return { status: s.localResponse?.status ?? 200, forwarded: s.upstreamRequest.headers !== null, target: s.filterState.plain(HBONE_CONNECT_TARGET) };
}

describe("finding 1: one parse of the CONNECT target", () => {
  it("the legitimate peer still reaches httpbin in every spelling", async () => {
    for (const authority of ["10.77.0.20:80", "[::ffff:10.77.0.20]:80", "[::ffff:a4d:14]:80", "httpbin.server.svc.cluster.local:8000"]) {
      const r = await terminate(authority, SLEEP, RBAC_ALLOW_SLEEP);
      expect(r, authority).toEqual({ status: 200, forwarded: true, target: "10.77.0.20:80" });
    }
  });

  it("a v4-mapped IPv6 authority (dotted or hex) is judged as the IPv4 workload Envoy dials: intruder denied", async () => {
    for (const authority of ["10.77.0.20:80", "[::ffff:10.77.0.20]:80", "[::ffff:a4d:14]:80", "[0:0:0:0:0:ffff:0a4d:0014]:80"]) {
      const r = await terminate(authority, INTRUDER, RBAC_ALLOW_SLEEP);
      expect(r.status, authority).toBe(401);
      expect(r.forwarded, authority).toBe(false);
    }
  });

  it("a service-hostname authority is judged on the target port Envoy dials (80), not the service port (8000)", async () => {
    const r = await terminate("httpbin.server.svc.cluster.local:8000", INTRUDER, RBAC_DENY_PORT_80);
    expect(r).toEqual({ status: 401, forwarded: false, target: "10.77.0.20:80" });
    expect((await terminate("httpbin.server.svc.cluster.local:8000", SLEEP, RBAC_DENY_PORT_80)).status).toBe(200);
  });

  it("without hbone-inbound in front: mapped IPv6 is unmapped the same way, a hostname is refused unresolved", async () => {
    expect((await terminate("[::ffff:10.77.0.20]:80", INTRUDER, RBAC_ALLOW_SLEEP, false)).status).toBe(401);
    expect((await terminate("[::ffff:10.77.0.20]:80", SLEEP, RBAC_ALLOW_SLEEP, false)).status).toBe(200);
    expect((await terminate("httpbin.server.svc.cluster.local:8000", INTRUDER, RBAC_DENY_PORT_80, false)).status).toBe(401);
  });
});
