// The validator's schema is read from the Envoy binary itself (envoy/api-descriptors.ts).
import { create, createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { apiDescriptorSet, embeddedDescriptors, isEnvoyApiFile } from "../../envoy/api-descriptors.ts";
import { newestPinned } from "../../envoy/provision.ts";
// @ts-ignore -- plain ESM build script
import { buildDescriptors, descriptorSourcePath } from "../../scripts/build-descriptors.mjs";
import { validateSource } from "../../cli/validate/validate-config.ts";
import { envoyPrerequisite } from "./prerequisites.ts";

const file = (name: string, pkg: string, deps: string[] = [], message = "M") =>
  toBinary(FileDescriptorProtoSchema, create(FileDescriptorProtoSchema, {
    name, package: pkg, dependency: deps, syntax: "proto3",
    messageType: [{ name: message, field: [{ name: "x", number: 1, type: 9, label: 1, jsonName: "x" }] }],
  }));

describe("descriptors embedded in a binary", () => {
  // Two descriptors back to back (as the C++ generator lays out descriptor tables), between unrelated bytes,
  // plus one whose import is not embedded.
  const a = file("envoy/a/v3/a.proto", "envoy.a.v3");
  const b = file("envoy/b/v3/b.proto", "envoy.b.v3", ["envoy/a/v3/a.proto"]);
  const orphan = file("envoy/c/v3/c.proto", "envoy.c.v3", ["envoy/missing/v3/m.proto"]);
  const junk = new TextEncoder().encode("\x00\x01garbage envoy/a/v3/a.proto text\xff\xff");
  const binary = new Uint8Array([...junk, ...a, ...b, 0, 0, ...orphan, ...junk]);

  it("finds each one whole, even when another follows directly", () => {
    const found = embeddedDescriptors(binary);
    expect([...found.keys()].sort()).toEqual(["envoy/a/v3/a.proto", "envoy/b/v3/b.proto", "envoy/c/v3/c.proto"]);
    expect(found.get("envoy/b/v3/b.proto")!.dependency).toEqual(["envoy/a/v3/a.proto"]);
    expect(found.get("envoy/a/v3/a.proto")!.messageType[0].name).toBe("M");
  });

  it("keeps only files whose imports are embedded, dependencies first", () => {
    const set = fromBinary(FileDescriptorSetSchema, apiDescriptorSet(binary, isEnvoyApiFile));
    expect(set.file.map((f) => f.name)).toEqual(["envoy/a/v3/a.proto", "envoy/b/v3/b.proto"]);
    expect(createFileRegistry(set).getMessage("envoy.b.v3.M")).toBeDefined();
  });
});

describe("the validator's schema is the newest pinned Envoy's API", () => {
  const envoy = envoyPrerequisite(newestPinned());
  it.skipIf(!envoy.value)("is read from that Envoy's binary and knows fields the 2024 snapshot did not", async () => {
    await buildDescriptors({ quiet: true });
    expect(readFileSync(descriptorSourcePath, "utf8")).toContain(`Envoy ${newestPinned()} (${envoy.value!.build})`);
    const set = createFileRegistry(fromBinary(FileDescriptorSetSchema, apiDescriptorSet(readFileSync(envoy.value!.path), isEnvoyApiFile)));
    expect(set.getMessage("envoy.config.bootstrap.v3.Bootstrap")).toBeDefined();
    expect(set.getExtension("validate.rules")).toBeDefined();
    // TcpProxy.backoff_options was added after the July 2024 API snapshot.
    const bootstrap = `static_resources:
  listeners:
  - name: l
    address: { socket_address: { address: 127.0.0.1, port_value: 1 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: p
          cluster: c
          backoff_options: { base_interval: 1s }
  clusters:
  - name: c
    connect_timeout: 1s
`;
    const errors = (await validateSource(bootstrap, "b.yaml", { baseDir: "." })).filter((d) => d.severity === "error");
    expect(errors).toEqual([]);
  });
});
