// identity-rbac through the emulator: the decision table at L7, L4 and on the HBONE CONNECT terminate,
// spoofing attempts, malformed configurations, dry-run, and the three denial forms.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { FilterState, Host, LifeSpan, PluginLoadError, envoyImportNames } from "../../emulator/index.ts";
import { compileAssemblyScript } from "../../scripts/asc.mjs";
import { IDENTITY_RBAC_AUDIT_POLICY, ISTIO_PEER_PRINCIPAL, ORIGINAL_DST_REMOTE_IP } from "../../lib/filter-state-keys.ts";
import { showFigure } from "../../test/figures.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const WASM = here("../../build/identity-rbac.wasm");
let module: Uint8Array;

const SPOOFER = "build/test/identity-rbac/peer-spoofer.wasm";

beforeAll(async () => {
  await compileAssemblyScript("filters/identity-rbac/filter.ts", "build/identity-rbac.wasm");
  await compileAssemblyScript("filters/identity-rbac/fixtures/peer-spoofer.ts", SPOOFER);
  module = readFileSync(WASM);
});

type Mode = "l7" | "l4" | "connect";
const ROOT_ID: Record<Mode, string> = { l7: "identity-rbac-l7", l4: "identity-rbac-l4", connect: "identity-rbac-connect" };

interface Expectation { decision: "allow" | "deny"; policy: string }
interface RequestSpec { method?: string; path?: string; authority?: string; headers?: Record<string, string> }
interface TableCase {
  name: string;
  policies: string | unknown[];
  peer?: string | null;
  source?: string;
  destination?: string;
  request?: RequestSpec;
  expect: Expectation;
  l4?: Expectation;
}
interface Table {
  workload: { namespace: string; labels: Record<string, string> };
  rootNamespace: string;
  peers: Record<string, string>;
  defaults: { peer: string; source: string; destination: string; request: Required<Omit<RequestSpec, "headers">> };
  policySets: Record<string, unknown[]>;
  cases: TableCase[];
}

const table = parseYaml(readFileSync(here("fixtures/decision-table.yaml"), "utf8")) as Table;

function configFor(policies: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ workload: table.workload, rootNamespace: table.rootNamespace, policies, ...extra });
}

function policiesOf(c: TableCase): unknown[] {
  if (Array.isArray(c.policies)) return c.policies;
  const set = table.policySets[c.policies];
  if (!set) throw new Error(`unknown policy set ${c.policies}`);
  return set;
}

function peerUri(c: TableCase): string | null {
  const peer = c.peer === undefined ? table.defaults.peer : c.peer;
  if (peer === null) return null;
  return table.peers[peer] ?? peer;
}

function connectionProps(peer: string | null, source: string, destination: string): Record<string, string | boolean> {
  const props: Record<string, string | boolean> = { "source.address": source, "destination.address": destination, "connection.mtls": peer !== null };
  if (peer !== null) props["connection.uri_san_peer_certificate"] = peer;
  return props;
}

/** The single decision line of a request: verdict and the policy it names. */
function decisionLine(host: Host): { verdict: string; policy: string } {
  const lines = host.logs.map((l) => l.message).filter((m) => /^identity-rbac: (allowed|denied|dry-run-denied) /.test(m));
  expect(lines, "exactly one decision log line").toHaveLength(1);
  const m = /^identity-rbac: (\S+) policy=(\S+) /.exec(lines[0])!;
  return { verdict: m[1], policy: m[2] };
}

async function load(host: Host, mode: Mode, configuration: string) {
  return host.loadPlugin({ module, rootId: ROOT_ID[mode], name: "rbac", configuration });
}

interface Outcome { allowed: boolean; policy: string; host: Host }

async function runL7(c: TableCase): Promise<Outcome> {
  const host = new Host({ logLevel: "debug" });
  const plugin = await load(host, "l7", configFor(policiesOf(c)));
  const r = { ...table.defaults.request, ...c.request };
  const s = host.httpStream({
    filters: [plugin],
    connection: connectionProps(peerUri(c), c.source ?? table.defaults.source, c.destination ?? table.defaults.destination),
  });
  const headers: Array<[string, string]> = [[":method", r.method], [":path", r.path], [":authority", r.authority], [":scheme", "https"]];
  for (const [k, v] of Object.entries(c.request?.headers ?? {})) headers.push([k, v]);
  s.sendRequestHeaders(headers, true);
  const line = decisionLine(host);
  if (s.localResponse) {
    expect(s.localResponse.status).toBe(403);
    expect(s.localResponse.bodyText).toBe("RBAC: access denied");
    expect(s.localResponse.details).toBe(`rbac_access_denied_matched_policy[${line.policy}]`);
    expect(s.upstreamRequest.headers).toBeNull();
    expect(line.verdict).toBe("denied");
  } else {
    expect(s.upstreamRequest.headers).not.toBeNull();
    expect(line.verdict).toBe("allowed");
  }
  expect(host.traps).toEqual([]);
  return { allowed: s.localResponse === null, policy: line.policy, host };
}

async function runL4(c: TableCase): Promise<Outcome> {
  const host = new Host({ logLevel: "debug" });
  const plugin = await load(host, "l4", configFor(policiesOf(c)));
  const conn = host.tcpConnection({
    filters: [plugin],
    properties: connectionProps(peerUri(c), c.source ?? table.defaults.source, c.destination ?? table.defaults.destination),
  });
  conn.open();
  conn.downstreamData("ping", false);
  const line = decisionLine(host);
  const allowed = conn.closed === null;
  if (allowed) {
    expect(new TextDecoder().decode(conn.toUpstream)).toBe("ping");
    expect(line.verdict).toBe("allowed");
  } else {
    expect(conn.toUpstream.length).toBe(0);
    expect(line.verdict).toBe("denied");
  }
  expect(host.traps).toEqual([]);
  return { allowed, policy: line.policy, host };
}

async function runConnect(c: TableCase): Promise<Outcome> {
  const host = new Host({ logLevel: "debug" });
  const plugin = await load(host, "connect", configFor(policiesOf(c)));
  // The CONNECT arrives on 15008 from the peer's address; the tunnel's destination is the :authority.
  const s = host.httpStream({
    filters: [plugin],
    connection: connectionProps(peerUri(c), c.source ?? table.defaults.source, "10.0.0.5:15008"),
  });
  s.sendRequestHeaders([[":method", "CONNECT"], [":authority", c.destination ?? table.defaults.destination]], false);
  const line = decisionLine(host);
  if (s.localResponse) {
    expect(s.localResponse.status).toBe(401);
    expect(s.localResponse.details).toBe(`rbac_access_denied_matched_policy[${line.policy}]`);
  } else {
    expect(s.upstreamRequest.headers).not.toBeNull();
  }
  expect(host.traps).toEqual([]);
  return { allowed: s.localResponse === null, policy: line.policy, host };
}

describe("decision table", () => {
  it("has at least 60 well-formed cases", () => {
    expect(table.cases.length).toBeGreaterThanOrEqual(60);
    const keys = new Set(["name", "policies", "peer", "source", "destination", "request", "expect", "l4"]);
    for (const c of table.cases) for (const k of Object.keys(c)) expect(keys.has(k), `${c.name}: ${k}`).toBe(true);
    expect(new Set(table.cases.map((c) => c.name)).size).toBe(table.cases.length);
  });

  for (const c of table.cases) {
    it(`L7: ${c.name}`, async () => {
      const o = await runL7(c);
      expect({ decision: o.allowed ? "allow" : "deny", policy: o.policy }).toEqual(c.expect);
    });
    it(`L4: ${c.name}`, async () => {
      const o = await runL4(c);
      expect({ decision: o.allowed ? "allow" : "deny", policy: o.policy }).toEqual(c.l4 ?? c.expect);
    });
    it(`CONNECT: ${c.name}`, async () => {
      const o = await runConnect(c);
      expect({ decision: o.allowed ? "allow" : "deny", policy: o.policy }).toEqual(c.l4 ?? c.expect);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------

const SLEEP = "spiffe://cluster.local/ns/foo/sa/sleep";
const CLIENT_BAR = "spiffe://cluster.local/ns/bar/sa/client";
const allowSleep = table.policySets["allow-sleep"];
const allowFooNamespace = table.policySets["allow-ns-foo"];
const allowNet = table.policySets["allow-ipblock-v4"];

/** Headers a client can send claiming to be spiffe://cluster.local/ns/foo/sa/sleep from 10.1.0.7. */
const FORGED_IDENTITY: Array<[string, string]> = [
  ["x-forwarded-client-cert", `By=${SLEEP};Hash=abc;URI=${SLEEP}`],
  ["baggage", "k8s.namespace.name=foo,k8s.deployment.name=sleep,service.name=sleep"],
  ["forwarded", 'for="10.1.0.7:40000";host=httpbin.foo.svc.cluster.local'],
  ["x-forwarded-for", "10.1.0.7"],
  ["x-envoy-peer-metadata-id", "sidecar~10.1.0.7~sleep.foo~foo.svc.cluster.local"],
  ["x-istio-source", "sidecar"],
  ["x-spiffe-id", SLEEP],
];

describe("spoofing: nothing in the request changes who the peer is", () => {
  it.each([
    ["principal", allowSleep, CLIENT_BAR, "10.1.0.7:40000"],
    ["namespace", allowFooNamespace, CLIENT_BAR, "10.1.0.7:40000"],
    ["principal, no certificate", allowSleep, null, "10.1.0.7:40000"],
    ["ipBlocks", allowNet, SLEEP, "192.168.3.4:40000"],
  ] as const)("L7 %s policy ignores forged headers", async (_name, policies, peer, source) => {
    const host = new Host({ logLevel: "debug" });
    const plugin = await load(host, "l7", configFor(policies as unknown[]));
    const s = host.httpStream({ filters: [plugin], connection: connectionProps(peer, source, "10.0.0.5:8000") });
    s.sendRequestHeaders([[":method", "GET"], [":path", "/info"], [":authority", "httpbin"], [":scheme", "https"], ...FORGED_IDENTITY], true);
    expect(s.localResponse?.status).toBe(403);
    expect(decisionLine(host)).toEqual({ verdict: "denied", policy: "none" });
    const line = host.logs.find((l) => l.message.startsWith("identity-rbac: denied"))!.message;
    expect(line).toContain(`peer=${peer ?? "-"}`);
  });

  it.each([
    ["principal", allowSleep, CLIENT_BAR, "10.1.0.7:40000"],
    ["ipBlocks", allowNet, SLEEP, "192.168.3.4:40000"],
  ] as const)("CONNECT %s policy ignores forged headers on the CONNECT", async (_name, policies, peer, source) => {
    const host = new Host({ logLevel: "debug" });
    const plugin = await load(host, "connect", configFor(policies as unknown[]));
    const s = host.httpStream({ filters: [plugin], connection: connectionProps(peer, source, "10.0.0.5:15008") });
    s.sendRequestHeaders([[":method", "CONNECT"], [":authority", "10.0.0.5:8000"], ...FORGED_IDENTITY], false);
    expect(s.localResponse?.status).toBe(401);
  });

  it("L4 ignores identity claims inside the byte stream", async () => {
    const host = new Host({ logLevel: "debug" });
    const plugin = await load(host, "l4", configFor(allowSleep));
    const conn = host.tcpConnection({ filters: [plugin], properties: connectionProps(CLIENT_BAR, "10.1.0.7:40000", "10.0.0.5:8000") });
    conn.open();
    const forged = FORGED_IDENTITY.map(([k, v]) => `${k}: ${v}\r\n`).join("");
    conn.downstreamData(`GET / HTTP/1.1\r\nhost: httpbin\r\n${forged}\r\n`, false);
    expect(conn.closed).not.toBeNull();
    expect(conn.toUpstream.length).toBe(0);
  });

  it("a forged identity header does not help the real peer either way", async () => {
    // The genuine peer is allowed whatever the headers claim.
    const host = new Host({ logLevel: "debug" });
    const plugin = await load(host, "l7", configFor(allowSleep));
    const s = host.httpStream({ filters: [plugin], connection: connectionProps(SLEEP, "10.1.0.7:40000", "10.0.0.5:8000") });
    s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "h"], [":scheme", "https"],
      ["x-forwarded-client-cert", `URI=${CLIENT_BAR}`], ["baggage", "k8s.namespace.name=bar"]], true);
    expect(s.localResponse).toBeNull();
  });
});

describe("peer principal from Envoy's set_filter_state (an internal listener behind the mTLS terminate)", () => {
  // waypoint.yaml: connect_terminate copies %DOWNSTREAM_PEER_URI_SAN% into `io.istio.peer_principal` (factory
  // envoy.string, shared_with_upstream ONCE); main_internal's connection receives it with Connection life span and
  // has no certificate of its own. The emulator stores it as Envoy's set_filter_state does: a string object.
  const TRUSTED = ISTIO_PEER_PRINCIPAL;

  function internalConnection(value: string | null): FilterState {
    const fs = new FilterState(LifeSpan.Connection);
    if (value !== null) fs.set(TRUSTED, value, LifeSpan.Connection);
    return fs;
  }

  async function l7Through(value: string | null, options: { trusted?: boolean; spoof?: string; extraHeaders?: Array<[string, string]> } = {}) {
    const host = new Host({ logLevel: "debug" });
    const extra = options.trusted === false ? {} : { peerPrincipalFilterState: TRUSTED };
    const rbac = await load(host, "l7", configFor(allowSleep, extra));
    const filters = [];
    if (options.spoof !== undefined) filters.push(await host.loadPlugin({ module: SPOOFER, name: "spoofer", vmId: "spoofer" }));
    filters.push(rbac);
    // An internal connection: no TLS, an envoy internal peer address (restored by original_dst).
    const s = host.httpStream({ filters, connection: connectionProps(null, "10.1.0.7:40000", "10.0.0.5:8000"), connectionFilterState: internalConnection(value) });
    const headers: Array<[string, string]> = [[":method", "GET"], [":path", "/info"], [":authority", "httpbin"], [":scheme", "http"]];
    if (options.spoof !== undefined) headers.push(["x-test-spoof", options.spoof]);
    s.sendRequestHeaders([...headers, ...(options.extraHeaders ?? [])], true);
    expect(host.traps).toEqual([]);
    return { host, s };
  }

  it("enforces principal rules with the principal Envoy copied from the TLS handshake", async () => {
    const allowed = await l7Through(SLEEP);
    expect(allowed.s.localResponse).toBeNull();
    expect(decisionLine(allowed.host)).toEqual({ verdict: "allowed", policy: "ns[foo]-policy[allow-sleep]-rule[0]" });
    expect(allowed.host.logs.find((l) => l.message.startsWith("identity-rbac: allowed"))!.message).toContain(`peer=${SLEEP}`);

    const denied = await l7Through(CLIENT_BAR);
    expect(denied.s.localResponse?.status).toBe(403);
    expect(denied.host.logs.find((l) => l.message.startsWith("identity-rbac: denied"))!.message).toContain(`peer=${CLIENT_BAR}`);
  });

  it("takes the first of several URI SANs (Envoy joins them with ',') and reads '-' or absence as no certificate", async () => {
    expect((await l7Through(`${SLEEP},spiffe://cluster.local/ns/bar/sa/client`)).s.localResponse).toBeNull();
    expect((await l7Through(`${CLIENT_BAR},${SLEEP}`)).s.localResponse?.status).toBe(403);
    for (const none of ["-", "", null]) {
      const { s, host } = await l7Through(none);
      expect(s.localResponse?.status).toBe(403);
      expect(host.logs.find((l) => l.message.startsWith("identity-rbac: denied"))!.message).toContain("peer=-");
    }
  });

  it("ignores the filter-state copy unless configured to trust it (the certificate is the default)", async () => {
    const { s } = await l7Through(SLEEP, { trusted: false });
    expect(s.localResponse?.status).toBe(403);
  });

  it("cannot be spoofed by a Wasm filter writing filter state, or by request headers", async () => {
    const forged = [...FORGED_IDENTITY, [TRUSTED, SLEEP], ["x-istio-peer-principal", SLEEP]] as Array<[string, string]>;
    // The real peer (bar/client) stays the peer, whatever an earlier Wasm filter or the client claims.
    const real = await l7Through(CLIENT_BAR, { spoof: SLEEP, extraHeaders: forged });
    expect(real.s.localResponse?.status).toBe(403);
    const spoofLog = real.host.logs.map((l) => l.message).filter((m) => m.startsWith("spoof "));
    // proxy_set_property can only create wasm.<name>; set_envoy_filter_state only keys of registered factories.
    expect(spoofLog).toContain("spoof io.istio.peer_principal set_property=ok set_envoy_filter_state=refused");
    expect(real.s.filterState.plain(`wasm.${TRUSTED}`)).toBe(SLEEP);
    expect(real.s.filterState.plain(TRUSTED)).toBe(CLIENT_BAR);
    // Without Envoy's copy there is no principal, however much is forged.
    const none = await l7Through(null, { spoof: SLEEP, extraHeaders: forged });
    expect(none.s.localResponse?.status).toBe(403);
    expect(none.host.logs.find((l) => l.message.startsWith("identity-rbac: denied"))!.message).toContain("peer=-");
  });

  it("works for the network filter on an internal listener too", async () => {
    const host = new Host({ logLevel: "debug" });
    const plugin = await load(host, "l4", configFor(allowSleep, { peerPrincipalFilterState: TRUSTED }));
    for (const [peer, allowed] of [[SLEEP, true], [CLIENT_BAR, false]] as const) {
      const conn = host.tcpConnection({ filters: [plugin], properties: connectionProps(null, "10.1.0.7:40000", "10.0.0.5:8000") });
      conn.filterState.set(TRUSTED, peer, LifeSpan.Connection);
      conn.open();
      conn.downstreamData("ping", false);
      expect(conn.closed === null).toBe(allowed);
    }
  });

  it.each([
    ["wasm.peer_principal", "proxy_set_property"],
    ["wasm.io.istio.peer_principal", "proxy_set_property"],
    ["envoy.string", "set_envoy_filter_state"],
    [ORIGINAL_DST_REMOTE_IP, "set_envoy_filter_state"],
    ["", "1..256"],
    ["io.istio.peer principal", "printable"],
  ])("rejects peerPrincipalFilterState %j at configure", async (key, reason) => {
    for (const mode of ["l7", "l4", "connect"] as const) {
      const host = new Host();
      await expect(load(host, mode, configFor(allowSleep, { peerPrincipalFilterState: key }))).rejects.toBeInstanceOf(PluginLoadError);
      const errors = host.logs.filter((l) => l.level === "error").map((l) => l.message).join("\n");
      expect(errors).toContain("$.peerPrincipalFilterState: ");
      expect(errors).toContain(reason);
    }
    const host = new Host();
    await expect(load(host, "l7", configFor(allowSleep, { peerPrincipalFilterState: 7 }))).rejects.toBeInstanceOf(PluginLoadError);
  });
});

// ---------------------------------------------------------------------------------------------------------------

interface MalformedCase { name: string; raw?: string; config?: Record<string, unknown>; policies?: unknown[]; path: string; reason: string }
const malformed = (parseYaml(readFileSync(here("fixtures/malformed-configs.yaml"), "utf8")) as { cases: MalformedCase[] }).cases;

describe("malformed configuration is rejected at proxy_on_configure with the JSON path", () => {
  for (const c of malformed) {
    it(c.name, async () => {
      const configuration = c.raw ?? JSON.stringify(c.config ?? { workload: { namespace: "foo" }, policies: c.policies });
      for (const mode of ["l7", "l4"] as const) {
        const host = new Host({ logLevel: "info" });
        await expect(load(host, mode, configuration)).rejects.toBeInstanceOf(PluginLoadError);
        const errors = host.logs.filter((l) => l.level === "error").map((l) => l.message).join("\n");
        expect(errors).toContain(`${c.path}: `);
        const item = errors.split(/; |\n/).find((e) => e.includes(`${c.path}: `))!;
        expect(item).toContain(c.reason);
        expect(host.traps).toEqual([]);
      }
    });
  }

  it("denyResponse is rejected for the network filter", async () => {
    const host = new Host();
    await expect(load(host, "l4", configFor([], { denyResponse: { status: 403 } }))).rejects.toBeInstanceOf(PluginLoadError);
    expect(host.logs.map((l) => l.message).join("\n")).toContain("$.denyResponse: a network filter denies by closing");
  });

  it("an unknown root id fails the plugin load", async () => {
    const host = new Host();
    await expect(host.loadPlugin({ module, rootId: "identity-rbac", configuration: configFor([]) })).rejects.toBeInstanceOf(PluginLoadError);
  });

  it("imports only what Envoy registers for ABI 0.2.1", () => {
    const allowed = envoyImportNames("0.2.1");
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(new Uint8Array(module))).map((i) => `${i.module}.${i.name}`);
    expect(imports.filter((i) => !allowed.has(i))).toEqual([]);
    expect(WebAssembly.Module.exports(new WebAssembly.Module(new Uint8Array(module))).map((e) => e.name)).toContain("proxy_abi_version_0_2_1");
  });

  it("a valid configuration loads in every mode", async () => {
    for (const mode of ["l7", "l4", "connect"] as const) {
      const host = new Host();
      await load(host, mode, configFor(table.policySets["deny-bar-allow-listed"]));
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------

function counters(host: Host, prefix: string) {
  const v = (name: string) => Number(host.metric(`${prefix}.${name}`) ?? 0);
  return { allowed: v("allowed"), denied: v("denied"), dryRunDenied: v("dry_run_denied"), audited: v("audited") };
}

function l7Request(host: Host, plugin: Awaited<ReturnType<typeof load>>, peer: string | null, path = "/info") {
  const s = host.httpStream({ filters: [plugin], connection: connectionProps(peer, "10.1.0.7:40000", "10.0.0.5:8000") });
  s.sendRequestHeaders([[":method", "GET"], [":path", path], [":authority", "httpbin"], [":scheme", "https"]], true);
  return s;
}

describe("dry-run", () => {
  it("plugin-wide dryRun logs and counts what it would deny, and lets it through", async () => {
    const host = new Host({ logLevel: "info" });
    const plugin = await load(host, "l7", configFor(table.policySets["allow-sleep"], { dryRun: true }));
    const denied = l7Request(host, plugin, CLIENT_BAR);
    expect(denied.localResponse).toBeNull();
    expect(denied.upstreamRequest.headers).not.toBeNull();
    const allowed = l7Request(host, plugin, SLEEP);
    expect(allowed.localResponse).toBeNull();
    expect(counters(host, "wasmcustom.identity_rbac.l7")).toEqual({ allowed: 1, denied: 0, dryRunDenied: 1, audited: 0 });
    const lines = host.logs.map((l) => l.message).filter((m) => m.startsWith("identity-rbac: dry-run-denied"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("policy=none");
    expect(lines[0]).toContain(`peer=${CLIENT_BAR}`);
  });

  it("plugin-wide dryRun on the network filter keeps the connection open", async () => {
    const host = new Host({ logLevel: "info" });
    const plugin = await load(host, "l4", configFor(table.policySets["deny-all"], { dryRun: true }));
    const conn = host.tcpConnection({ filters: [plugin], properties: connectionProps(SLEEP, "10.1.0.7:1", "10.0.0.5:8000") });
    conn.open();
    conn.downstreamData("x", false);
    expect(conn.closed).toBeNull();
    expect(new TextDecoder().decode(conn.toUpstream)).toBe("x");
    expect(counters(host, "wasmcustom.identity_rbac.l4").dryRunDenied).toBe(1);
    expect(host.logs.some((l) => l.message.includes("dry-run-denied policy=ns[foo]-policy[deny-all]-rule[0]"))).toBe(true);
  });

  it("an istio.io/dry-run DENY policy is reported but not enforced", async () => {
    const host = new Host({ logLevel: "info" });
    const policies = [{ name: "deny-bar", namespace: "foo", dryRun: true, spec: { action: "DENY", rules: [{ from: [{ source: { namespaces: ["bar"] } }] }] } }];
    const plugin = await load(host, "l7", configFor(policies));
    expect(l7Request(host, plugin, CLIENT_BAR).localResponse).toBeNull();
    expect(l7Request(host, plugin, SLEEP).localResponse).toBeNull();
    expect(counters(host, "wasmcustom.identity_rbac.l7")).toEqual({ allowed: 2, denied: 0, dryRunDenied: 1, audited: 0 });
    expect(host.logs.some((l) => l.message.startsWith("identity-rbac: dry-run-denied policy=ns[foo]-policy[deny-bar]-rule[0]"))).toBe(true);
  });

  it("an istio.io/dry-run ALLOW policy reports the default-deny it would introduce", async () => {
    const host = new Host({ logLevel: "info" });
    const policies = [{ name: "allow-sleep", namespace: "foo", dryRun: true, spec: { rules: [{ from: [{ source: { principals: ["cluster.local/ns/foo/sa/sleep"] } }] }] } }];
    const plugin = await load(host, "l7", configFor(policies));
    expect(l7Request(host, plugin, CLIENT_BAR).localResponse).toBeNull();
    expect(l7Request(host, plugin, SLEEP).localResponse).toBeNull();
    expect(counters(host, "wasmcustom.identity_rbac.l7")).toEqual({ allowed: 2, denied: 0, dryRunDenied: 1, audited: 0 });
  });
});

describe("denials: 403, 401, close", () => {
  it("L7 answers 403 RBAC: access denied and counts it", async () => {
    const host = new Host({ logLevel: "info" });
    const plugin = await load(host, "l7", configFor(table.policySets["deny-all"]));
    const s = l7Request(host, plugin, SLEEP);
    expect(s.localResponse).toMatchObject({ status: 403, bodyText: "RBAC: access denied", details: "rbac_access_denied_matched_policy[ns[foo]-policy[deny-all]-rule[0]]" });
    expect(counters(host, "wasmcustom.identity_rbac.l7")).toEqual({ allowed: 0, denied: 1, dryRunDenied: 0, audited: 0 });
  });

  it("the HTTP denial is configurable", async () => {
    const host = new Host();
    const plugin = await load(host, "l7", configFor(table.policySets["deny-all"], { denyResponse: { status: 401, body: "no" } }));
    expect(l7Request(host, plugin, SLEEP).localResponse).toMatchObject({ status: 401, bodyText: "no" });
  });

  it("CONNECT terminate answers 401 like ztunnel", async () => {
    const host = new Host();
    const plugin = await load(host, "connect", configFor(table.policySets["allow-nothing"]));
    const s = host.httpStream({ filters: [plugin], connection: connectionProps(SLEEP, "10.1.0.7:1", "10.0.0.5:15008") });
    s.sendRequestHeaders([[":method", "CONNECT"], [":authority", "10.0.0.5:8000"]], false);
    expect(s.localResponse).toMatchObject({ status: 401, details: "rbac_access_denied_matched_policy[none]" });
    expect(counters(host, "wasmcustom.identity_rbac.connect").denied).toBe(1);
  });

  it("CONNECT with an unparsable :authority fails closed", async () => {
    const host = new Host({ logLevel: "info" });
    const plugin = await load(host, "connect", configFor([]));
    const s = host.httpStream({ filters: [plugin], connection: connectionProps(SLEEP, "10.1.0.7:1", "10.0.0.5:15008") });
    s.sendRequestHeaders([[":method", "CONNECT"], [":authority", "not a host"]], false);
    expect(s.localResponse?.status).toBe(401);
    expect(host.logs.some((l) => l.message.includes("reason=bad-authority"))).toBe(true);
  });

  it("L4 closes the connection and forwards nothing, in either direction", async () => {
    const host = new Host({ logLevel: "info" });
    const plugin = await load(host, "l4", configFor(table.policySets["deny-all"]));
    const first = host.tcpConnection({ filters: [plugin], properties: connectionProps(SLEEP, "10.1.0.7:1", "10.0.0.5:8000") });
    first.open();
    first.downstreamData("hello", false);
    expect(first.closed).not.toBeNull();
    expect(first.toUpstream.length).toBe(0);
    // Server-first protocol: the decision is made before upstream bytes reach the client.
    const second = host.tcpConnection({ filters: [plugin], properties: connectionProps(SLEEP, "10.1.0.7:2", "10.0.0.5:8000") });
    second.open();
    second.upstreamData("220 banner\r\n", false);
    expect(second.toDownstream.length).toBe(0);
    expect(second.closed).not.toBeNull();
    expect(counters(host, "wasmcustom.identity_rbac.l4").denied).toBe(2);
  });

  it("L4 decides once per connection", async () => {
    const host = new Host({ logLevel: "debug" });
    const plugin = await load(host, "l4", configFor(table.policySets["allow-sleep"]));
    const conn = host.tcpConnection({ filters: [plugin], properties: connectionProps(SLEEP, "10.1.0.7:1", "10.0.0.5:8000") });
    conn.open();
    conn.downstreamData("a", false);
    conn.upstreamData("b", false);
    conn.downstreamData("c", false);
    expect(new TextDecoder().decode(conn.toUpstream)).toBe("ac");
    expect(new TextDecoder().decode(conn.toDownstream)).toBe("b");
    expect(counters(host, "wasmcustom.identity_rbac.l4")).toEqual({ allowed: 1, denied: 0, dryRunDenied: 0, audited: 0 });
  });

  it("a custom statPrefix renames the counters", async () => {
    const host = new Host();
    const plugin = await load(host, "l7", configFor([], { statPrefix: "waypoint_rbac" }));
    l7Request(host, plugin, SLEEP);
    expect(counters(host, "wasmcustom.waypoint_rbac").allowed).toBe(1);
  });
});

describe("audit and logging", () => {
  it("an AUDIT match is logged, counted and published in filter state without changing the decision", async () => {
    const host = new Host({ logLevel: "info" });
    const plugin = await load(host, "l7", configFor(table.policySets["audit-all"]));
    const s = l7Request(host, plugin, SLEEP);
    expect(s.localResponse).toBeNull();
    expect(counters(host, "wasmcustom.identity_rbac.l7")).toEqual({ allowed: 1, denied: 0, dryRunDenied: 0, audited: 1 });
    expect(s.filterState.plain(IDENTITY_RBAC_AUDIT_POLICY)).toBe("ns[foo]-policy[audit-all]-rule[0]");
  });

  it("allowed decisions are logged only at debug level", async () => {
    const host = new Host({ logLevel: "info" });
    const plugin = await load(host, "l7", configFor(table.policySets["allow-all"]));
    l7Request(host, plugin, SLEEP);
    expect(host.logs.some((l) => l.message.startsWith("identity-rbac: allowed"))).toBe(false);
    expect(counters(host, "wasmcustom.identity_rbac.l7").allowed).toBe(1);
  });
});

describe("workloads selected by destination address", () => {
  const workloads = [
    { name: "httpbin", namespace: "foo", labels: { app: "httpbin" }, addresses: ["10.0.0.5"] },
    { name: "db", namespace: "data", labels: { app: "db" }, addresses: ["10.0.0.9", "fd00::9"] },
  ];
  const policies = [
    { name: "db-only-from-foo", namespace: "data", spec: { rules: [{ from: [{ source: { namespaces: ["foo"] } }] }] } },
  ];

  it("applies each workload's policies and denies unknown destinations", async () => {
    const host = new Host({ logLevel: "info" });
    const plugin = await load(host, "connect", JSON.stringify({ workloads, policies }));
    const connect = (authority: string, peer: string) => {
      const s = host.httpStream({ filters: [plugin], connection: connectionProps(peer, "10.1.0.7:1", "10.0.0.1:15008") });
      s.sendRequestHeaders([[":method", "CONNECT"], [":authority", authority]], false);
      return s.localResponse?.status ?? 200;
    };
    expect(connect("10.0.0.5:8000", CLIENT_BAR)).toBe(200); // httpbin: no policy applies
    expect(connect("10.0.0.9:5432", CLIENT_BAR)).toBe(401); // db: only namespace foo
    expect(connect("[fd00::9]:5432", SLEEP)).toBe(200);
    expect(connect("10.0.0.77:80", SLEEP)).toBe(401); // no such workload
    expect(host.logs.some((l) => l.message.includes("reason=no-workload-for-destination"))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("host calls per request (steady state)", () => {
  const policies = [
    ...table.policySets["deny-bar-allow-listed"],
    { name: "paths", namespace: "foo", spec: { rules: [{ to: [{ operation: { paths: ["/info*"], methods: ["GET"], ports: ["8000"] } }], when: [{ key: "request.headers[x-user]", notValues: ["mallory"] }] }] } },
  ];

  it.each(["info", "debug"] as const)("stay within 8 at log level %s", async (logLevel) => {
    const host = new Host({ logLevel, countHostCalls: true });
    const counter = host.hostCalls!;
    const l7 = await load(host, "l7", configFor(policies));
    const l4 = await load(host, "l4", configFor(policies));
    const connect = await load(host, "connect", configFor(policies));
    const measure = (run: () => void) => {
      run(); // first request: lazy allocations, counter definitions already done at configure
      counter.reset();
      run();
      return counter.snapshot();
    };
    const http = (peer: string) => () => l7Request(host, l7, peer);
    const tcp = (peer: string) => () => {
      const c = host.tcpConnection({ filters: [l4], properties: connectionProps(peer, "10.1.0.7:1", "10.0.0.5:8000") });
      c.open();
      c.downstreamData("x", false);
    };
    const tunnel = (peer: string) => () => {
      const s = host.httpStream({ filters: [connect], connection: connectionProps(peer, "10.1.0.7:1", "10.0.0.5:15008") });
      s.sendRequestHeaders([[":method", "CONNECT"], [":authority", "10.0.0.5:8000"]], false);
    };
    const results: Record<string, Record<string, number>> = {
      "l7 allow": measure(http(SLEEP)),
      "l7 deny": measure(http(CLIENT_BAR)),
      "l4 allow": measure(tcp(SLEEP)),
      "l4 deny": measure(tcp(CLIENT_BAR)),
      "connect allow": measure(tunnel(SLEEP)),
      "connect deny": measure(tunnel(CLIENT_BAR)),
    };
    const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
    for (const [what, calls] of Object.entries(results)) {
      expect(total(calls), `${what}: ${JSON.stringify(calls)}`).toBeLessThanOrEqual(8);
      expect(Object.keys(calls).filter((c) => c === "env.proxy_get_log_level" || c === "env.proxy_define_metric"), what).toEqual([]);
    }
    expect(Object.keys(results["l7 deny"])).toContain("env.proxy_send_local_response");
    expect(Object.keys(results["l4 deny"])).toContain("env.proxy_close_stream");
    showFigure(`host calls per request at ${logLevel}:`, Object.entries(results).map(([k, v]) => `${k}=${total(v)}`).join(" "));
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("never traps on traffic", () => {
  // Every policy set of the table at once (renamed so names stay unique): all matchers get exercised.
  const everything = Object.entries(table.policySets).flatMap(([set, list]) =>
    (list as Array<{ name: string }>).map((p) => ({ ...p, name: `${set}.${p.name}` })));
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom("", "spiffe://", "spiffe://cluster.local/ns/foo/sa/sleep", "spiffe://a/ns//sa/", "10.0.0.5:8000",
      "[fd00::1]:80", "[::1", "1.2.3.4:99999", "/api/{*}", "/info?x#y", "*", "\n", "spiffe://x/ns/a\n/sa/b"),
    fc.string({ unit: "binary", maxLength: 30 }),
  );
  const headerName = fc.constantFrom(":method", ":path", ":authority", "x-user", "x-token", "x-env", "baggage", "host", "x-forwarded-for");

  it("L7, CONNECT and L4 always decide, whatever the attributes and headers", async () => {
    const host = new Host({ logLevel: "debug" });
    const plugins = {
      l7: await load(host, "l7", configFor(everything)),
      connect: await load(host, "connect", configFor(everything)),
      l4: await load(host, "l4", configFor(everything)),
    };
    fc.assert(
      fc.property(fc.option(text), text, text, fc.array(fc.tuple(headerName, text), { maxLength: 8 }), (peer, source, destination, headers) => {
        const props: Record<string, string | boolean> = { "source.address": source, "destination.address": destination, "connection.mtls": peer !== null };
        if (peer !== null) props["connection.uri_san_peer_certificate"] = peer;
        const before = host.logs.length;
        const s = host.httpStream({ filters: [plugins.l7], connection: props });
        s.sendRequestHeaders(headers, true);
        const t = host.httpStream({ filters: [plugins.connect], connection: props });
        t.sendRequestHeaders([[":method", "CONNECT"], ...headers], false);
        const c = host.tcpConnection({ filters: [plugins.l4], properties: props });
        c.open();
        c.downstreamData("x", true);
        const decisions = host.logs.slice(before).filter((l) => /^identity-rbac: (allowed|denied) /.test(l.message));
        expect(decisions).toHaveLength(3);
        expect(host.traps).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
