// `authz convert --format envoy-rbac` held against real Envoy: every case of identity-rbac's decision table
// (filters/identity-rbac/fixtures/decision-table.yaml, the L7 expectation) is sent through Envoy's own RBAC filters
// built by cli/authz/envoy-rbac.ts from the case's policies, from the case's source address with the case's peer
// certificate, to the case's destination — inside a network namespace that holds the table's addresses — and Envoy
// must decide as identity-rbac does.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify } from "yaml";
import type { PolicyEntry } from "../../cli/authz/convert.ts";
import { toEnvoyRbac } from "../../cli/authz/envoy-rbac.ts";
import { startEnvoy, type EnvoyProcess } from "../../envoy/process.ts";
import { repoRoot } from "../../envoy/provision.ts";
import { NAMESPACE_PREFIX, removeStaleNamespaces } from "../../envoy/mesh/net.ts";
import { envoyPrerequisite, namespacesPrerequisite } from "../envoy/prerequisites.ts";
import { issuePeerCerts, type IssuedCert } from "../envoy/peer-certs.ts";

interface TableCase {
  name: string;
  policies: string | unknown[];
  peer?: string | null;
  source?: string;
  destination?: string;
  request?: { method?: string; path?: string; authority?: string; headers?: Record<string, string> };
  expect: { decision: "allow" | "deny"; policy: string };
}
interface Table {
  workload: { namespace: string; labels: Record<string, string> };
  rootNamespace: string;
  peers: Record<string, string>;
  defaults: { peer: string; source: string; destination: string; request: { method: string; path: string; authority: string } };
  policySets: Record<string, PolicyEntry[]>;
  cases: TableCase[];
}

const table = parseYaml(spawnSync("cat", [join(repoRoot, "filters/identity-rbac/fixtures/decision-table.yaml")], { encoding: "utf8" }).stdout) as Table;
const envoy = envoyPrerequisite();
const netns = namespacesPrerequisite();
const ready = envoy.value !== undefined && netns.value !== undefined;

/** "10.1.0.7:40000" / "[fd00::7]:40000" → ip, port. */
function hostPort(s: string): { ip: string; port: number; v6: boolean } {
  const m = /^\[(.+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new Error(`bad address ${s}`);
  return { ip: m[1], port: Number(m[2]), v6: m[1].includes(":") };
}

const cases = table.cases.map((c, i) => {
  const source = hostPort(c.source ?? table.defaults.source);
  const destination = hostPort(c.destination ?? table.defaults.destination);
  const policies = Array.isArray(c.policies) ? (c.policies as PolicyEntry[]) : table.policySets[c.policies];
  return { i, c, source, destination, policies };
});
// A TCP connection cannot go from an IPv6 source to an IPv4 destination (or back): those cases stay emulator-only.
const runnable = cases.filter((x) => x.source.v6 === x.destination.v6);

const ns = `${NAMESPACE_PREFIX}${process.pid}-rbac`;
let dir = "";
let proc: EnvoyProcess | undefined;
let certs: { root: string; server: IssuedCert; peers: Record<string, IssuedCert> };

function routeFor(x: (typeof cases)[number]) {
  const rbac = toEnvoyRbac(x.policies, { workload: table.workload, rootNamespace: table.rootNamespace });
  const perFilter: Record<string, unknown> = {};
  for (const f of rbac.http) {
    const config = { ...f.typed_config } as Record<string, unknown>;
    delete config["@type"];
    const action = ((config.rules ?? config.shadow_rules) as { action: string }).action;
    perFilter[`rbac-${action.toLowerCase()}`] = { "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute", rbac: config };
  }
  return {
    match: { prefix: "/", headers: [{ name: "x-case", string_match: { exact: String(x.i) } }] },
    direct_response: { status: 200, body: { inline_string: "allowed" } },
    typed_per_filter_config: perFilter,
  };
}

function bootstrap(): string {
  const destinations = [...new Map(runnable.map((x) => [`${x.destination.ip}|${x.destination.port}`, x.destination])).values()];
  const tls = {
    name: "envoy.transport_sockets.tls",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
      // Optional, so the cases without a certificate (peer: null) reach RBAC as a peer without identity.
      require_client_certificate: false,
      common_tls_context: {
        tls_certificates: [{ certificate_chain: { filename: certs.server.cert }, private_key: { filename: certs.server.key } }],
        validation_context: { trusted_ca: { filename: certs.root } },
      },
    },
  };
  const rbacFilter = (name: string) => ({ name, typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC" } });
  const manager = {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
      stat_prefix: "rbac_table",
      use_remote_address: true,
      xff_num_trusted_hops: 0,
      normalize_path: true,
      merge_slashes: true,
      route_config: { virtual_hosts: [{ name: "all", domains: ["*"], routes: runnable.map(routeFor) }] },
      http_filters: [rbacFilter("rbac-log"), rbacFilter("rbac-deny"), rbacFilter("rbac-allow"), { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } }],
    },
  };
  return stringify({
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: 9901 } } },
    static_resources: {
      listeners: destinations.map((d, n) => ({
        name: `dest_${n}`,
        address: { socket_address: { address: d.ip, port_value: d.port } },
        filter_chains: [{ transport_socket: tls, filters: [manager] }],
      })),
    },
  }, { aliasDuplicateObjects: false });
}

function request(x: (typeof cases)[number]): Promise<number> {
  const r = { ...table.defaults.request, ...x.c.request };
  const peer = x.c.peer === undefined ? table.defaults.peer : x.c.peer;
  const host = x.destination.v6 ? `[${x.destination.ip}]` : x.destination.ip;
  const argv = ["ip", "netns", "exec", ns, "curl", "-sk", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
    "--interface", x.source.ip, "-X", r.method, "-H", `Host: ${r.authority}`, "-H", `x-case: ${x.i}`];
  for (const [k, v] of Object.entries(x.c.request?.headers ?? {})) argv.push("-H", `${k}: ${v}`);
  if (peer !== null) argv.push("--cert", certs.peers[peer].cert, "--key", certs.peers[peer].key);
  argv.push(`https://${host}:${x.destination.port}${r.path}`);
  return new Promise((resolveCode, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", () => resolveCode(Number(out)));
  });
}

describe.skipIf(!ready)("authz convert --format envoy-rbac in real Envoy decides as identity-rbac (decision table, L7)", () => {
  beforeAll(async () => {
    removeStaleNamespaces();
    dir = mkdtempSync(join(tmpdir(), "aw-envoy-rbac-"));
    certs = await issuePeerCerts(dir, table.peers);
    spawnSync("ip", ["netns", "add", ns]);
    const inNs = (...a: string[]) => {
      const r = spawnSync("ip", ["netns", "exec", ns, ...a], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${a.join(" ")}: ${r.stderr}`);
    };
    inNs("ip", "link", "set", "lo", "up");
    const addresses = new Set(runnable.flatMap((x) => [x.source, x.destination]).map((a) => (a.v6 ? `${a.ip}/128` : `${a.ip}/32`)));
    for (const a of addresses) inNs("ip", "addr", "add", a, "dev", "lo", ...(a.includes(":") ? ["nodad"] : []));
    proc = await startEnvoy({ envoy: envoy.value!, config: { yaml: bootstrap() }, cwd: repoRoot, netns: ns, logLevel: "warning", readyTimeoutMs: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await proc?.stop();
    spawnSync("ip", ["netns", "del", ns]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("leaves out only the cases whose source and destination are of different IP families", () => {
    expect(cases.length - runnable.length).toBeLessThanOrEqual(2);
    expect(runnable.length).toBeGreaterThan(80);
  });

  it("every case: 403 where identity-rbac denies, 200 where it allows", async () => {
    const got: string[] = [];
    const want: string[] = [];
    for (let k = 0; k < runnable.length; k += 8) {
      const batch = runnable.slice(k, k + 8);
      const codes = await Promise.all(batch.map(request));
      batch.forEach((x, j) => {
        got.push(`${x.c.name}: ${codes[j] === 200 ? "allow" : codes[j] === 403 ? "deny" : `HTTP ${codes[j]}`}`);
        want.push(`${x.c.name}: ${x.c.expect.decision}`);
      });
    }
    expect(got).toEqual(want);
  }, 120_000);
});
