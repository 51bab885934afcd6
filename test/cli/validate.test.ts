// `ambient-wasm validate`: the sample bootstrap validates clean, and each broken variant (one mistake) is rejected
// with the JSON path and line of the mistake.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../cli/common/diagnostics.ts";
import { validateSource } from "../../cli/validate/validate-config.ts";
import { compileFixtureWat, fixturesDir, repoRoot } from "./validate-wasm.ts";

const validPath = join(fixturesDir, "valid.yaml");
const valid = readFileSync(validPath, "utf8");

const L0 = "static_resources.listeners[0].filter_chains[0].filters";
const L1 = "static_resources.listeners[1].filter_chains[0].filters[0].typed_config";
const HCM = "static_resources.listeners[2].filter_chains[0].filters[0].typed_config";

beforeAll(async () => {
  await compileFixtureWat("config-check");
});

async function validate(source: string, name = "envoy.yaml"): Promise<Diagnostic[]> {
  return validateSource(source, name, { baseDir: repoRoot });
}

const errorsOf = (ds: Diagnostic[]) => ds.filter((d) => d.severity === "error");

/** Replace the single occurrence of `find` (the fixture must contain it exactly once). */
function mutate(find: string | RegExp, replace: string): string {
  const count = typeof find === "string" ? valid.split(find).length - 1 : (valid.match(new RegExp(find.source, "g")) ?? []).length;
  if (count !== 1) throw new Error(`fixture must contain ${find} exactly once, found ${count}`);
  return valid.replace(find, replace);
}

/** 1-based line of the first line containing `marker`, or by default of the first line the mutation changed. */
function lineOf(source: string, marker?: string): number {
  const lines = source.split("\n");
  const original = valid.split("\n");
  const i = marker === undefined ? lines.findIndex((l, n) => l !== original[n]) : lines.findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker ?? "(changed line)"} not in source`);
  return i + 1;
}

describe("validate: the sample bootstrap", () => {
  it("validates clean (no errors, no warnings)", async () => {
    const ds = await validate(valid);
    expect(ds).toEqual([]);
  });

  it("accepts the udpa TypedStruct as well as the xds one", async () => {
    expect(await validate(valid.replace("xds.type.v3.TypedStruct", "udpa.type.v1.TypedStruct"))).toEqual([]);
    const typo = valid.replace("xds.type.v3.TypedStruct", "udpa.type.v1.TypedStruct").replace("root_id: inbound", "rootid: inbound");
    expect(errorsOf(await validate(typo)).map((d) => d.path)).toEqual([`${HCM}.http_filters[0].typed_config.value.config.rootid`]);
  });

  it("validates clean as JSON too", async () => {
    const { loadConfig } = await import("../../cli/common/yaml-loader.ts");
    const { Report } = await import("../../cli/common/diagnostics.ts");
    const json = JSON.stringify(loadConfig(valid, new Report("x")).value, null, 2);
    expect(errorsOf(await validate(json, "envoy.json"))).toEqual([]);
  });
});

interface Variant {
  name: string;
  source: () => string;
  path: string;
  /** A text on the line the error must point at; default: the first line the mutation changed. */
  line?: string;
  message: RegExp;
}

const variants: Variant[] = [
  {
    name: "misspelled field",
    source: () => mutate("hostname: \"%FILTER_STATE", "hostnme: \"%FILTER_STATE"),
    path: `${L1}.tunneling_config.hostnme`,
    message: /unknown field "hostnme" in envoy\.extensions\.filters\.network\.tcp_proxy\.v3\.TcpProxy\.TunnelingConfig \(did you mean "hostname"\?\)/,
  },
  {
    name: "bad enum name",
    source: () => mutate("append_action: OVERWRITE_IF_EXISTS_OR_ADD", "append_action: OVERWRITE_IF_EXIST_OR_ADD"),
    path: `${L1}.tunneling_config.headers_to_add[0].append_action`,
    message: /invalid value "OVERWRITE_IF_EXIST_OR_ADD" for enum .*did you mean "OVERWRITE_IF_EXISTS_OR_ADD"/,
  },
  {
    name: "bad duration",
    source: () => mutate("idle_timeout: 3600s", "idle_timeout: 3600sec"),
    path: `${L1}.idle_timeout`,
    message: /invalid duration "3600sec"/,
  },
  {
    name: "number where a duration string is required",
    source: () => mutate("    connect_timeout: 5s\n    load_assignment", "    connect_timeout: 5\n    load_assignment"),
    path: "static_resources.clusters[0].connect_timeout",
    message: /expected duration string like "1\.5s", got number 5/,
  },
  {
    name: "wrong Any type",
    source: () => mutate("filters.http.router.v3.Router", "filters.http.router.v3.Routr"),
    path: `${HCM}.http_filters[1].typed_config.@type`,
    message: /unknown type "envoy\.extensions\.filters\.http\.router\.v3\.Routr" .*did you mean "envoy\.extensions\.filters\.http\.router\.v3\.Router"/,
  },
  {
    name: "v2 type",
    source: () => mutate("type.googleapis.com/envoy.extensions.filters.http.router.v3.Router", "type.googleapis.com/envoy.config.filter.http.router.v2.Router"),
    path: `${HCM}.http_filters[1].typed_config.@type`,
    message: /v2 xDS types were removed/,
  },
  {
    name: "missing type.googleapis.com/ prefix",
    source: () => mutate("type.googleapis.com/envoy.extensions.filters.listener.original_dst", "envoy.extensions.filters.listener.original_dst"),
    path: "static_resources.listeners[0].listener_filters[0].typed_config.@type",
    message: /invalid type URL .*must be of the form "type\.googleapis\.com\/<full\.type\.Name>"/,
  },
  {
    name: "typo inside a TypedStruct value",
    source: () => mutate("vm_id: inbound", "vm_idd: inbound"),
    path: `${HCM}.http_filters[0].typed_config.value.config.vm_config.vm_idd`,
    message: /unknown field "vm_idd" in envoy\.extensions\.wasm\.v3\.VmConfig \(did you mean "vm_id"\?\)/,
  },
  {
    name: "PGV string.min_len (empty stat_prefix)",
    source: () => mutate("stat_prefix: hbone_terminate", 'stat_prefix: ""'),
    path: `${HCM}.stat_prefix`,
    message: /value length must be at least 1 characters .*\[PGV string\.min_len\]/,
  },
  {
    name: "PGV message.required (headers_to_add entry without header)",
    source: () => mutate(/- header:\n\s+key: baggage\n\s+value: "[^"]*"\n\s+append_action/, "- append_action"),
    path: `${L1}.tunneling_config.headers_to_add[0].header`,
    line: "- append_action",
    message: /HeaderValueOption\.header: value is required \[PGV message\.required\]/,
  },
  {
    name: "PGV uint32.lte on a wrapper (port override out of range)",
    source: () => mutate("upstream_port_override: 15008", "upstream_port_override: 84430"),
    path: "static_resources.clusters[1].original_dst_lb_config.upstream_port_override",
    message: /less than or equal to 65535, got 84430 \[PGV uint32\.lte\]/,
  },
  {
    name: "YAML 1.1 boolean where a string is expected",
    source: () => mutate("stat_prefix: outbound", "stat_prefix: on"),
    path: `${L0}[1].typed_config.stat_prefix`,
    message: /expected string, got boolean true/,
  },
  {
    name: "two members of one oneof",
    source: () => mutate("cluster: hbone_original_dst\n", "cluster: hbone_original_dst\n          weighted_clusters: {clusters: [{name: hbone_original_dst, weight: 1}]}\n"),
    path: `${L1}.weighted_clusters`,
    message: /"cluster" and "weighted_clusters" are both set, but only one field of oneof cluster_specifier may be/,
  },
  {
    name: "missing cluster",
    source: () => mutate("cluster: hbone_original_dst\n", "cluster: hbone_original_dest\n"),
    path: `${L1}.cluster`,
    message: /tcp_proxy names cluster "hbone_original_dest", which is not defined in static_resources\.clusters \(did you mean "hbone_original_dst"\?\)/,
  },
  {
    name: "missing route cluster",
    source: () => mutate("cluster: inbound_original_dst\n", "cluster: inbound\n"),
    path: `${HCM}.route_config.virtual_hosts[0].routes[0].route.cluster`,
    message: /route names cluster "inbound", which is not defined/,
  },
  {
    name: "internal listener without the bootstrap extension",
    source: () => mutate(/bootstrap_extensions:\n(  .*\n|- .*\n)+/, ""),
    path: "static_resources.listeners[1].internal_listener",
    line: "internal_listener: {}",
    message: /internal listener "connect_originate" needs the bootstrap extension envoy\.bootstrap\.internal_listener/,
  },
  {
    name: "envoy_internal_address naming a listener that is not internal",
    source: () => mutate("server_listener_name: connect_originate", "server_listener_name: hbone_terminate"),
    path: "static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.envoy_internal_address.server_listener_name",
    message: /names listener "hbone_terminate", which is not an internal listener/,
  },
  {
    name: "ORIGINAL_DST cluster with a load_assignment",
    source: () => mutate("      upstream_port_override: 15008\n", "      upstream_port_override: 15008\n    load_assignment: {cluster_name: hbone_original_dst}\n"),
    path: "static_resources.clusters[1].load_assignment",
    message: /^ORIGINAL_DST clusters must have no load assignment configured$/,
  },
  {
    name: "ORIGINAL_DST cluster with the wrong lb_policy",
    source: () => mutate("    lb_policy: CLUSTER_PROVIDED\n    connect_timeout: 5s\n    original_dst_lb_config:\n      upstream_port_override", "    lb_policy: ROUND_ROBIN\n    connect_timeout: 5s\n    original_dst_lb_config:\n      upstream_port_override"),
    path: "static_resources.clusters[1].lb_policy",
    message: /LB policy ROUND_ROBIN is not valid for Cluster type ORIGINAL_DST/,
  },
  {
    name: "ORIGINAL_DST http_header_name without use_http_header",
    source: () => mutate("      use_http_header: true\n", ""),
    path: "static_resources.clusters[2].original_dst_lb_config.http_header_name",
    line: "http_header_name:",
    message: /invalid config http_header_name=:authority and use_http_header is false/,
  },
  {
    name: "duplicate cluster name",
    source: () => mutate("  - name: inbound_original_dst\n", "  - name: hbone_original_dst\n"),
    path: "static_resources.clusters[2].name",
    message: /duplicate cluster name "hbone_original_dst"/,
  },
  {
    name: "two listeners on one address",
    source: () => mutate("port_value: 15008", "port_value: 15001"),
    path: "static_resources.listeners[2].address.socket_address",
    message: /binds TCP 0\.0\.0\.0:15001, already bound by listener "outbound_capture"/,
  },
  {
    name: "router not the last HTTP filter",
    source: () => valid.replace(/(filters\.http\.router\.v3\.Router\n)/, "$1          - name: late\n            typed_config:\n              \"@type\": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC\n"),
    path: `${HCM}.http_filters[1]`,
    line: "- name: envoy.filters.http.router",
    message: /terminal filter named envoy\.filters\.http\.router of type envoy\.extensions\.filters\.http\.router\.v3\.Router must be the last filter in a http filter chain/,
  },
  {
    name: "HTTP filter in a network filter chain",
    source: () => mutate("type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm", "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"),
    path: `${L0}[0].typed_config`,
    message: /envoy\.extensions\.filters\.http\.wasm\.v3\.Wasm is a HTTP filter, but "envoy\.filters\.network\.wasm" is in a network filter list/,
  },
  {
    name: "duplicate YAML key",
    source: () => mutate("          stat_prefix: outbound\n", "          stat_prefix: outbound\n          stat_prefix: outbound2\n"),
    path: `${L0}[1].typed_config.stat_prefix`,
    message: /duplicate key "stat_prefix"/,
  },
  {
    name: "Wasm module file missing",
    source: () => mutate("\n                  filename: build/test/validate/config-check.wasm", "\n                  filename: build/test/validate/missing.wasm"),
    path: `${L0}[0].typed_config.config.vm_config.code.local.filename`,
    message: /Wasm module file "build\/test\/validate\/missing\.wasm" does not exist/,
  },
  {
    name: "Wasm plugin configuration rejected by proxy_on_configure",
    source: () => mutate(`value: '{"mode": "outbound"}'`, "value: 'mode=outbound'"),
    path: `${L0}[0].typed_config.config`,
    line: "            name: outbound",
    message: /network Wasm plugin "outbound" \(build\/test\/validate\/config-check\.wasm\) was rejected: .*configuration: expected a JSON object/,
  },
  {
    name: "HTTP Wasm plugin (in a TypedStruct) whose configuration proxy_on_configure rejects",
    source: () => mutate(`value: '{"mode": "inbound", "trust_domain": "cluster.local"}'`, "value: inbound"),
    path: `${HCM}.http_filters[0].typed_config.value.config`,
    line: "                  name: inbound",
    message: /HTTP Wasm plugin "inbound" \(build\/test\/validate\/config-check\.wasm\) was rejected: .*configuration: expected a JSON object/,
  },
  {
    // Envoy hands a Wasm plugin `Any.value` for any type but StringValue/BytesValue: a Struct arrives as protobuf
    // bytes, which a plugin parsing JSON rejects (emulator/envoy-bootstrap.ts).
    name: "HTTP Wasm plugin configured with a Struct gets protobuf bytes, not JSON",
    source: () => mutate(`"@type": type.googleapis.com/google.protobuf.StringValue\n                    value: '{"mode": "inbound", "trust_domain": "cluster.local"}'`, '"@type": type.googleapis.com/google.protobuf.Struct\n                    value: {mode: inbound, trust_domain: cluster.local}'),
    path: `${HCM}.http_filters[0].typed_config.value.config`,
    line: "                  name: inbound",
    message: /HTTP Wasm plugin "inbound" \(build\/test\/validate\/config-check\.wasm\) was rejected: .*configuration: expected a JSON object/,
  },
  {
    // Any other type is serialized with Envoy's API descriptors and handed over as it is: the plugin runs on it.
    name: "HTTP Wasm plugin configured with a UInt32Value gets its protobuf bytes",
    source: () => mutate(`"@type": type.googleapis.com/google.protobuf.StringValue\n                    value: '{"mode": "inbound", "trust_domain": "cluster.local"}'`, '"@type": type.googleapis.com/google.protobuf.UInt32Value\n                    value: 5'),
    path: `${HCM}.http_filters[0].typed_config.value.config`,
    line: "                  name: inbound",
    message: /HTTP Wasm plugin "inbound" \(build\/test\/validate\/config-check\.wasm\) was rejected: .*configuration: expected a JSON object/,
  },
  {
    name: "deprecated field that is disallowed by default",
    source: () => mutate("                  cluster: inbound_original_dst\n", "                  cluster: inbound_original_dst\n                  rate_limits: [{actions: [{dynamic_metadata: {descriptor_key: k, metadata_key: {key: ns, path: [{key: p}]}}}]}]\n"),
    path: `${HCM}.route_config.virtual_hosts[0].routes[0].route.rate_limits[0].actions[0].dynamic_metadata`,
    message: /envoy\.config\.route\.v3\.RateLimit\.Action\.dynamic_metadata is deprecated and disallowed by default/,
  },
  {
    name: "bad FILTER_STATE serialization in the tunnel hostname",
    source: () => mutate("%FILTER_STATE(wasm.upstream_host:PLAIN)%", "%FILTER_STATE(wasm.upstream_host:PLAN)%"),
    path: `${L1}.tunneling_config.hostname`,
    message: /^Invalid filter state serialize type, only support PLAIN\/TYPED\/FIELD\.$/,
  },
];

describe("validate: broken variants, one mistake each", () => {
  for (const v of variants) {
    it(`${v.name} → ${v.path}`, async () => {
      const source = v.source();
      const errors = errorsOf(await validate(source));
      const hit = errors.find((d) => d.path === v.path);
      expect(hit, `errors were:\n${errors.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`).join("\n")}`).toBeDefined();
      expect(hit!.message).toMatch(v.message);
      expect(hit!.line).toBe(lineOf(source, v.line));
    });
  }
});

describe("validate: warnings", () => {
  it("reports a deprecated field as a warning and still passes", async () => {
    const source = mutate("    typed_extension_protocol_options:\n", "    http2_protocol_options: {}\n    typed_extension_protocol_options:\n");
    const ds = await validate(source);
    expect(errorsOf(ds)).toEqual([]);
    const w = ds.find((d) => d.severity === "warning" && d.path === "static_resources.clusters[1].http2_protocol_options");
    expect(w?.message).toMatch(/envoy\.config\.cluster\.v3\.Cluster\.http2_protocol_options is deprecated/);
    expect(w?.line).toBe(lineOf(source, "http2_protocol_options: {}"));
  });

  it("reports every mistake of a config, not only the first", async () => {
    const source = valid.replace("hostname: \"%FILTER", "hostnme: \"%FILTER").replace("idle_timeout: 3600s", "idle_timeout: 1h").replace("codec_type: HTTP2", "codec_type: HTTP4");
    const paths = errorsOf(await validate(source)).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining([`${L1}.tunneling_config.hostnme`, `${L1}.idle_timeout`, `${HCM}.codec_type`]));
  });
});
