import { readFileSync } from "node:fs";
import { fromJson, toBinary } from "@bufbuild/protobuf";
import { ListValueSchema, StructSchema, ValueSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  anyToBytes, EnvoyBootstrapError, hostOptions, listenerDirection, staticClusters, tcpProxyOf, wasmFilters, wasmPluginSettings,
} from "../../emulator/envoy-bootstrap.ts";

const STRUCT = { mode: "inbound", port: 15008, ratio: 0.5, on: true, none: null, list: [1, "two", { three: false }], nested: { a: {} } };

describe("envoy-bootstrap: configuration bytes (MessageUtil::anyToBytes)", () => {
  it("StringValue → its string, BytesValue → its base64-decoded bytes, absent → empty", () => {
    expect(anyToBytes({ "@type": "type.googleapis.com/google.protobuf.StringValue", value: '{"a":1}' })).toEqual({ bytes: '{"a":1}' });
    expect(anyToBytes({ "@type": "type.googleapis.com/google.protobuf.BytesValue", value: Buffer.from([0, 1, 255]).toString("base64") })).toEqual({ bytes: new Uint8Array([0, 1, 255]) });
    expect(anyToBytes(undefined)).toEqual({ bytes: "" });
  });

  it("Struct, Value and ListValue → the serialized message, as protobuf's own encoder writes it", () => {
    const struct = anyToBytes({ "@type": "type.googleapis.com/google.protobuf.Struct", value: STRUCT });
    expect(struct).toEqual({ bytes: toBinary(StructSchema, fromJson(StructSchema, STRUCT)) });
    const list = [1, "x", null, { k: [true] }];
    expect(anyToBytes({ "@type": "type.googleapis.com/google.protobuf.ListValue", value: list })).toEqual({ bytes: toBinary(ListValueSchema, fromJson(ListValueSchema, list)) });
    expect(anyToBytes({ "@type": "type.googleapis.com/google.protobuf.Value", value: "s" })).toEqual({ bytes: toBinary(ValueSchema, fromJson(ValueSchema, "s")) });
  });

  it("other types go to the caller's encoder, else are reported unsupported", () => {
    const any = { "@type": "type.googleapis.com/my.Config", x: 1 };
    expect(anyToBytes(any)).toEqual({ unsupported: "my.Config" });
    expect(anyToBytes(any, (a) => (a["@type"] === "type.googleapis.com/my.Config" && a.x === 1 ? new Uint8Array([8, 1]) : undefined))).toEqual({ bytes: new Uint8Array([8, 1]) });
    expect(anyToBytes(any, () => undefined)).toEqual({ unsupported: "my.Config" });
  });
});

describe("envoy-bootstrap: PluginConfig → plugin options", () => {
  const config = {
    name: "p", root_id: "r",
    vm_config: {
      vm_id: "vm", runtime: "envoy.wasm.runtime.v8", allow_precompiled: true, nack_on_code_cache_miss: true,
      code: { local: { filename: "build/x.wasm" } },
      configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: "vm-conf" },
      environment_variables: { key_values: { A: "1" }, host_env_keys: ["HOME_DIR", "UNSET"] },
    },
    configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: "{}" },
    allow_on_headers_stop_iteration: true,
  };

  it("maps every field the emulator models", () => {
    const s = wasmPluginSettings(config, "cfg", { direction: "OUTBOUND", hostEnv: { HOME_DIR: "/h" } });
    expect(s.options).toEqual({
      name: "p", rootId: "r", vmId: "vm", configuration: "{}", vmConfig: "vm-conf", environment: { A: "1", HOME_DIR: "/h" },
      failurePolicy: undefined, allowOnHeadersStopIteration: true, listenerDirection: "OUTBOUND",
    });
    expect(s.code).toEqual({ kind: "filename", filename: "build/x.wasm" });
    expect([s.runtime, s.allowPrecompiled, s.nackOnCodeCacheMiss]).toEqual(["envoy.wasm.runtime.v8", true, true]);
    expect(s.unsupported).toBeUndefined();
  });

  it("failure_policy, legacy fail_open, and never both", () => {
    expect(wasmPluginSettings({ ...config, failure_policy: "FAIL_RELOAD" }).options.failurePolicy).toBe("FAIL_RELOAD");
    expect(wasmPluginSettings({ ...config, failure_policy: "UNSPECIFIED" }).options.failurePolicy).toBeUndefined();
    // The legacy bool is its own option: Envoy hands only it to proxy-wasm's fail_open_ (emulator/failure.ts).
    expect(wasmPluginSettings({ ...config, fail_open: true }).options).toMatchObject({ failOpen: true, failurePolicy: undefined });
    expect(wasmPluginSettings({ ...config, failure_policy: "FAIL_OPEN" }).options.failOpen).toBeUndefined();
    expect(wasmPluginSettings({ ...config, reload_config: { backoff: { base_interval: "2.5s" } } }).options.reloadBackoffMs).toBe(2500);
    expect(() => wasmPluginSettings({ ...config, fail_open: true, failure_policy: "FAIL_CLOSED" }, "cfg")).toThrow(new EnvoyBootstrapError("cfg", "only one of fail_open or failure_policy can be set"));
  });

  it("rejects a key in both key_values and host_env_keys, and key_values on the Null VM", () => {
    const dup = { ...config, vm_config: { ...config.vm_config, environment_variables: { key_values: { A: "1" }, host_env_keys: ["A"] } } };
    expect(() => wasmPluginSettings(dup, "cfg")).toThrow(/cfg\.vm_config\.environment_variables\.host_env_keys: Key A is duplicated/);
    const nullVm = { ...config, vm_config: { ...config.vm_config, runtime: "envoy.wasm.runtime.null" } };
    expect(() => wasmPluginSettings(nullVm, "cfg")).toThrow(/key_values must not be set for NullVm/);
  });

  it("names the configuration it cannot serialize", () => {
    const s = wasmPluginSettings({ ...config, configuration: { "@type": "type.googleapis.com/x.Y" } }, "cfg");
    expect(s.unsupported).toEqual({ path: "cfg.configuration", typeName: "x.Y" });
  });

  it("reads inline and remote code sources", () => {
    const inline = wasmPluginSettings({ vm_config: { code: { local: { inline_bytes: Buffer.from("ab").toString("base64") } } } });
    expect(inline.code).toEqual({ kind: "inline", bytes: new Uint8Array([97, 98]), label: "<inline_bytes>" });
    const remote = wasmPluginSettings({ vm_config: { code: { remote: { http_uri: { uri: "https://x/m.wasm" }, sha256: "00" } } } });
    expect(remote.code).toEqual({ kind: "remote", uri: "https://x/m.wasm", sha256: "00" });
  });
});

describe("envoy-bootstrap: the shipped ztunnel bootstrap", () => {
  const bootstrap = parse(readFileSync(new URL("../../envoy-configs/ztunnel.yaml", import.meta.url), "utf8"), { maxAliasCount: -1 });

  it("finds every Wasm filter with its listener direction and kind", () => {
    const found = wasmFilters(bootstrap).map((w) => [w.listener.name, w.kind, w.pluginConfig.name, w.listener.direction]);
    expect(found).toContainEqual(["ztunnel_outbound", "network", "hbone-outbound", "OUTBOUND"]);
    expect(found.filter(([, kind]) => kind === "http").length).toBeGreaterThan(0);
    for (const w of wasmFilters(bootstrap)) {
      const settings = wasmPluginSettings(w.pluginConfig, w.pluginConfigPath, { direction: w.listener.direction });
      expect(settings.unsupported).toBeUndefined();
      expect(typeof settings.options.configuration).toBe("string");
      expect(w.pluginConfigPath).toMatch(/^static_resources\.listeners\[\d+\]\.filter_chains\[\d+\]\.filters\[\d+\]\.typed_config/);
    }
  });

  it("gives the outbound chain's tcp_proxy and the host options", () => {
    const outbound = wasmFilters(bootstrap).find((w) => w.pluginConfig.name === "hbone-outbound")!;
    expect(tcpProxyOf(outbound.chain)?.tunneling_config?.hostname).toBe("%FILTER_STATE(wasm.hbone_authority:PLAIN)%");
    const opts = hostOptions(bootstrap);
    expect(opts.statsTags![0]).toEqual({ tag_name: "response_code", regex: "(response_code=\\.=(.+?);\\.;)" });
    expect(opts.clusters).toEqual(staticClusters(bootstrap).map((c) => c.name));
    expect(opts.clusters).toContain("BlackHoleCluster");
  });

  it("reads listener directions and node options", () => {
    expect(listenerDirection({ traffic_direction: "inbound" })).toBe("INBOUND");
    expect(listenerDirection({})).toBe("UNSPECIFIED");
    expect(hostOptions({ node: { id: "n", cluster: "c", metadata: { A: "b" } }, stats_config: { use_all_default_tags: false }, dynamic_resources: { cds_config: {} } }))
      .toEqual({ statsTags: [], useAllDefaultTags: false, nodeId: "n", nodeCluster: "c", nodeMetadata: { A: "b" } });
  });
});
