// Every shipped Envoy config passes `ambient-wasm validate` (schema, references, internal listeners, and each
// Wasm plugin's proxy_on_configure in the emulator), and a config with one mistake — made here by mutating a
// shipped one — is rejected at the JSON path (and line) of that mistake.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { command } from "../../cli/validate/index.ts";
import type { Diagnostic } from "../../cli/validate/diagnostics.ts";
import { validateSource } from "../../cli/validate/validate-config.ts";
import { buildShippedModules, configDir, repoRoot, shippedBootstraps } from "./shipped.ts";

beforeAll(async () => {
  await buildShippedModules();
});
afterEach(() => vi.restoreAllMocks());

const read = (name: string) => readFileSync(join(configDir, name), "utf8");
const errorsOf = (ds: Diagnostic[]) => ds.filter((d) => d.severity === "error");

async function validate(source: string, name: string): Promise<Diagnostic[]> {
  return validateSource(source, name, { baseDir: repoRoot });
}

/** `source` with the single occurrence of `find` replaced (the shipped file must contain it exactly once). */
function mutate(source: string, find: string, replace: string): string {
  const count = source.split(find).length - 1;
  if (count !== 1) throw new Error(`expected exactly one ${JSON.stringify(find)}, found ${count}`);
  return source.replace(find, replace);
}

/**
 * 1-based line of the first line of `source` that differs from `original` or, with `marker`, of the first line
 * containing `marker` at or after it (searching backwards when the mistake sits inside the marked block).
 */
function lineOf(source: string, original: string, marker?: string): number {
  const lines = source.split("\n");
  const before = original.split("\n");
  const changed = lines.findIndex((l, n) => l !== before[n]);
  if (changed < 0) throw new Error("the mutation changed nothing");
  if (marker === undefined) return changed + 1;
  for (let i = changed; i < lines.length; i++) if (lines[i].includes(marker)) return i + 1;
  for (let i = changed; i >= 0; i--) if (lines[i].includes(marker)) return i + 1;
  throw new Error(`${marker} not found`);
}

describe("the shipped Envoy configs", () => {
  it("include the four bootstraps and the Docker demo's apps", () => {
    expect(shippedBootstraps().map((f) => basename(f))).toEqual(["app-client.yaml", "app-server.yaml", "egress.yaml", "sidecar.yaml", "waypoint.yaml", "ztunnel.yaml"]);
  });

  for (const file of shippedBootstraps()) {
    it(`${basename(file)} validates without errors or warnings`, async () => {
      expect(await validate(readFileSync(file, "utf8"), basename(file))).toEqual([]);
    });
  }

  it("every bootstrap that loads Wasm sets Istio's stats_tags and binds admin to loopback", () => {
    for (const file of shippedBootstraps()) {
      const text = readFileSync(file, "utf8");
      expect(text, basename(file)).toMatch(/admin:\n  address:\n    socket_address: \{ address: 127\.0\.0\.1,/);
      if (!text.includes("envoy.filters.network.wasm") && !text.includes("envoy.filters.http.wasm")) continue;
      for (const tag of ["response_code", "reporter", "source_principal", "destination_service", "response_flags", "connection_security_policy"]) {
        expect(text, `${basename(file)}: ${tag}`).toContain(`{ tag_name: ${tag}, regex: "(${tag}=\\\\.=`);
      }
    }
  });

  it("`ambient-wasm validate envoy-configs/*.yaml` exits 0 (the Compose file is skipped with a warning)", async () => {
    const log: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: string) => void log.push(s));
    vi.spyOn(console, "warn").mockImplementation((s: string) => void log.push(s));
    const files = [...shippedBootstraps(), join(configDir, "docker-compose.yaml")];
    expect(await command(["--base", repoRoot, ...files])).toBe(0);
    expect(log.filter((l) => l.endsWith(": valid"))).toHaveLength(shippedBootstraps().length);
    expect(log.join("\n")).toContain("skipped: a Docker Compose file");
  });
});

interface Broken {
  name: string;
  file: string;
  find: string;
  replace: string;
  /** Expected error paths (an anchor reused by two listeners reports once per use). */
  paths: string[];
  message: string | RegExp;
  /** Text on the line the (single) error must point at: the first at/after the change, else before it. Default: the changed line. */
  line?: string;
}

const Z_OUT = "static_resources.listeners[0].filter_chains[0].filters";
const Z_CAPTURE = "static_resources.listeners[1].filter_chains[0].filters";
const Z_HBONE = "static_resources.listeners[2].filter_chains[0]";
const Z_PLAIN = "static_resources.listeners[3].filter_chains[0].filters";

const broken: Broken[] = [
  {
    name: "tcp_proxy names a cluster that does not exist",
    file: "ztunnel.yaml",
    find: "stat_prefix: ztunnel_inbound_plaintext\n          cluster: inbound_app",
    replace: "stat_prefix: ztunnel_inbound_plaintext\n          cluster: inbound_ap",
    paths: [`${Z_PLAIN}[2].typed_config.cluster`],
    message: 'cluster "inbound_ap", which is not defined',
  },
  {
    name: "a route names a cluster that does not exist (HCM shared by the mTLS and plaintext chains)",
    file: "sidecar.yaml",
    find: "route: { cluster: InboundPassthroughCluster, timeout: 0s }",
    replace: "route: { cluster: InboundPassthrough, timeout: 0s }",
    paths: [
      "static_resources.listeners[1].filter_chains[1].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.cluster",
      "static_resources.listeners[1].filter_chains[2].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.cluster",
    ],
    message: 'route names cluster "InboundPassthrough"',
  },
  {
    name: "an HTTP filter type in a network filter list",
    file: "ztunnel.yaml",
    find: '"@type": type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm\n          config:\n            name: istio-stats-plaintext',
    replace: '"@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm\n          config:\n            name: istio-stats-plaintext',
    paths: [`${Z_PLAIN}[1].typed_config`],
    message: "is a HTTP filter, but",
  },
  {
    name: "tcp_proxy is not the last network filter",
    file: "sidecar.yaml",
    find: "    - name: outbound_passthrough\n      filters:\n",
    replace: "    - name: outbound_passthrough\n      filters:\n      - name: envoy.filters.network.tcp_proxy\n        typed_config:\n          \"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy\n          stat_prefix: early\n          cluster: PassthroughCluster\n",
    paths: ["static_resources.listeners[0].filter_chains[1].filters[0]"],
    message: /terminal filter/,
  },
  {
    name: "a Wasm module path that does not exist",
    file: "ztunnel.yaml",
    find: "code: { local: { filename: build/hbone-outbound.wasm } }",
    replace: "code: { local: { filename: build/hbone-outbund.wasm } }",
    paths: [`${Z_OUT}[0].typed_config.config.vm_config.code.local.filename`, `${Z_CAPTURE}[0].typed_config.config.vm_config.code.local.filename`],
    message: 'Wasm module file "build/hbone-outbund.wasm" does not exist',
  },
  {
    name: "an hbone-inbound configuration proxy_on_configure rejects",
    file: "ztunnel.yaml",
    find: '"target": "both"',
    replace: '"target": "everywhere"',
    paths: [`${Z_HBONE}.filters[0].typed_config.http_filters[0].typed_config.config`],
    message: "hbone-inbound: invalid plugin configuration: $.target: must be one of filterState, header, both",
    line: "name: hbone-inbound",
  },
  {
    name: "an AuthorizationPolicy identity-rbac rejects (shared by two listeners)",
    file: "ztunnel.yaml",
    find: '"action": "ALLOW",\n                                    "rules": [ { "from": [ { "source": { "principals": ["cluster.local/ns/client/sa/sleep"]',
    replace: '"action": "PERMIT",\n                                    "rules": [ { "from": [ { "source": { "principals": ["cluster.local/ns/client/sa/sleep"]',
    paths: [`${Z_HBONE}.filters[0].typed_config.http_filters[1].typed_config.config`, `${Z_PLAIN}[0].typed_config.config`],
    message: "identity-rbac: invalid configuration: $.policies[0].spec.action",
    line: "name: identity-rbac",
  },
  {
    name: "an istio-stats duration proxy_on_configure rejects",
    file: "egress.yaml",
    find: '{ "reporter": "source",\n                      "local": { "workload": "egress-gateway"',
    replace: '{ "reporter": "source", "tcpReportingDuration": "5 seconds",\n                      "local": { "workload": "egress-gateway"',
    paths: ["static_resources.listeners[2].filter_chains[0].filters[0].typed_config.http_filters[1].typed_config.config"],
    message: "istio-stats: invalid configuration: $.tcpReportingDuration",
    line: "name: istio-stats-egress-tunnel",
  },
  {
    name: "internal listeners without the internal_listener bootstrap extension",
    file: "waypoint.yaml",
    find: "bootstrap_extensions:\n- name: envoy.bootstrap.internal_listener\n  typed_config:\n    \"@type\": type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener\n",
    replace: "",
    paths: ["static_resources.listeners[1].internal_listener", "static_resources.listeners[2].internal_listener"],
    message: "needs the bootstrap extension envoy.bootstrap.internal_listener",
    line: "internal_listener: {}",
  },
  {
    name: "an internal address naming a listener that is not internal",
    file: "egress.yaml",
    find: "server_listener_name: egress_tunnel_api_example_com",
    replace: "server_listener_name: egress_http",
    paths: ["static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.envoy_internal_address.server_listener_name"],
    message: 'names listener "egress_http", which is not an internal listener',
  },
  {
    name: "a misspelt tunneling_config field",
    file: "waypoint.yaml",
    find: 'hostname: "%DOWNSTREAM_LOCAL_ADDRESS%"',
    replace: 'host_name: "%DOWNSTREAM_LOCAL_ADDRESS%"',
    paths: ["static_resources.listeners[2].filter_chains[0].filters[0].typed_config.tunneling_config.host_name", "static_resources.listeners[2].filter_chains[0].filters[0].typed_config.tunneling_config.hostname"],
    message: /unknown field "host_name"|at least 1 characters/,
  },
  {
    name: "a TLS version that does not exist",
    file: "waypoint.yaml",
    find: "tls_params: &tls13 { tls_minimum_protocol_version: TLSv1_3,",
    replace: "tls_params: &tls13 { tls_minimum_protocol_version: TLSv1_4,",
    paths: [
      "static_resources.listeners[0].filter_chains[0].transport_socket.typed_config.common_tls_context.tls_params.tls_minimum_protocol_version",
      "static_resources.clusters[3].transport_socket.typed_config.common_tls_context.tls_params.tls_minimum_protocol_version",
    ],
    message: 'invalid value "TLSv1_4"',
  },
  {
    name: "an ORIGINAL_DST cluster with a load-balancing policy of its own",
    file: "ztunnel.yaml",
    find: "  - name: inbound_app\n    type: ORIGINAL_DST\n    lb_policy: CLUSTER_PROVIDED",
    replace: "  - name: inbound_app\n    type: ORIGINAL_DST\n    lb_policy: ROUND_ROBIN",
    paths: ["static_resources.clusters[3].lb_policy"],
    message: "Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'",
  },
  {
    name: "a typed_config @type without the type.googleapis.com/ prefix",
    file: "app-server.yaml",
    find: '"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
    replace: '"@type": envoy.extensions.filters.http.router.v3.Router',
    paths: ["static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.@type"],
    message: /type\.googleapis\.com\//,
  },
];

describe("a shipped config with one mistake is rejected with the path of the mistake", () => {
  for (const b of broken) {
    it(`${b.file}: ${b.name}`, async () => {
      const source = mutate(read(b.file), b.find, b.replace);
      const errors = errorsOf(await validate(source, b.file));
      expect(errors.map((e) => e.path).sort()).toEqual([...b.paths].sort());
      for (const e of errors) {
        if (typeof b.message === "string") expect(e.message).toContain(b.message);
        else expect(e.message).toMatch(b.message);
      }
      if (b.paths.length === 1) expect(errors[0].line).toBe(lineOf(source, read(b.file), b.line));
    });
  }

  it("the CLI exits 1 and prints file:line:col, path and reason", async () => {
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((s: string) => void err.push(s));
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const file = join(mkdtempSync(join(tmpdir(), "validate-")), "ztunnel.yaml");
    writeFileSync(file, mutate(read("ztunnel.yaml"), '"target": "both"', '"target": "everywhere"'));
    expect(await command(["--base", repoRoot, file])).toBe(1);
    const line = read("ztunnel.yaml").split("\n").findIndex((l) => l.includes("name: hbone-inbound")) + 1;
    expect(err.join("\n")).toContain(`${file}:${line}:17: ${Z_HBONE}.filters[0].typed_config.http_filters[0].typed_config.config: HTTP Wasm plugin "hbone-inbound"`);
  });
});

describe("the listener's traffic_direction reaches each Wasm plugin as xds.listener_direction", () => {
  it("istio-stats without an explicit reporter takes it from the OUTBOUND listener", async () => {
    const original = read("ztunnel.yaml");
    const source = mutate(original, `{ "reporter": "source", "tcpReportingDuration": "5s" }`, `{ "tcpReportingDuration": "5s" }`);
    expect(errorsOf(await validate(source, "ztunnel.yaml"))).toEqual([]);
  });

  it("without a traffic_direction the same plugin configuration is rejected, naming the field", async () => {
    const original = read("ztunnel.yaml");
    let source = mutate(original, `{ "reporter": "source", "tcpReportingDuration": "5s" }`, `{ "tcpReportingDuration": "5s" }`);
    source = source.replace(/(\n    traffic_direction: OUTBOUND\n)([\s\S]*?"tcpReportingDuration")/, "\n$2");
    const errors = errorsOf(await validate(source, "ztunnel.yaml"));
    expect(errors.length).toBe(1);
    expect(errors[0].message).toContain("reporter");
  });
});
