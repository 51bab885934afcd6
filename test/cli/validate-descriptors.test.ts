// The descriptor set `npm run build` makes for the validator (read from the newest pinned Envoy binary), cached.
import { describe, expect, it } from "vitest";
// @ts-ignore -- plain ESM build script
import { buildDescriptors } from "../../scripts/build-descriptors.mjs";
import { loadEnvoySchema } from "../../cli/validate/descriptors.ts";

describe("Envoy API descriptor set", () => {
  it("is cached: a second build does no work", async () => {
    await buildDescriptors({ quiet: true });
    const again = await buildDescriptors({ quiet: true });
    expect(again.cached).toBe(true);
    expect(again.bytes).toBeGreaterThan(100_000);
  });

  it("holds the Envoy, xds and PGV types the validator needs", async () => {
    const schema = await loadEnvoySchema();
    for (const name of [
      "envoy.config.bootstrap.v3.Bootstrap",
      "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
      "envoy.extensions.filters.http.wasm.v3.Wasm",
      "envoy.extensions.bootstrap.internal_listener.v3.InternalListener",
      "xds.type.v3.TypedStruct",
      "udpa.type.v1.TypedStruct",
      "validate.StringRules",
    ]) {
      expect(schema.registry.getMessage(name), name).toBeDefined();
    }
    expect(schema.registry.getMessage("validate.StringRules")!.fields.map((f) => f.name)).toContain("ignore_empty");
  });

  it("reads only the PGV rules that are set (proto2 defaults are not rules)", async () => {
    const schema = await loadEnvoySchema();
    const cluster = schema.registry.getMessage("envoy.config.cluster.v3.Cluster")!;
    const field = (name: string) => cluster.fields.find((f) => f.name === name)!;
    expect(schema.fieldRules(field("name"))).toEqual({ string: { min_len: "1" } });
    expect(schema.fieldRules(field("connect_timeout"))).toEqual({ duration: { gt: "0s" } });
    const tcpProxy = schema.registry.getMessage("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy")!;
    expect(schema.oneofRequired(tcpProxy.oneofs.find((o) => o.name === "cluster_specifier")!)).toBe(true);
  });
});
