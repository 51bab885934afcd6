// envoy/extensions.ts: the extensions a real Envoy registers, read from its startup log; the Wasm runtimes the
// validator accepts come from here.
import { describe, expect, it } from "vitest";
import { parseExtensionList, registeredExtensions } from "../../envoy/extensions.ts";
import { envoyPrerequisite } from "./prerequisites.ts";

describe("registered extensions", () => {
  it("parses the category lines that follow 'statically linked extensions:'", () => {
    const log = [
      "[2026-01-01 00:00:00.000][1][info][main] [source/server/server.cc:465] statically linked extensions:",
      "[2026-01-01 00:00:00.000][1][info][main] [source/server/server.cc:467]   envoy.wasm.runtime: envoy.wasm.runtime.null, envoy.wasm.runtime.v8",
      "[2026-01-01 00:00:00.000][1][info][main] [source/server/server.cc:467]   envoy.bootstrap: envoy.bootstrap.wasm",
      "[2026-01-01 00:00:00.000][1][info][main] [source/server/server.cc:500] HTTP header map info:",
    ].join("\n");
    expect(parseExtensionList(log)).toEqual({
      "envoy.wasm.runtime": ["envoy.wasm.runtime.null", "envoy.wasm.runtime.v8"],
      "envoy.bootstrap": ["envoy.bootstrap.wasm"],
    });
  });

  const envoy = envoyPrerequisite();
  it.skipIf(!envoy.value)("are read from the pinned Envoy: V8 among its Wasm runtimes, no v8x", () => {
    const runtimes = registeredExtensions(envoy.value!)["envoy.wasm.runtime"];
    expect(runtimes).toContain("envoy.wasm.runtime.v8");
    expect(runtimes).not.toContain("envoy.wasm.runtime.v8x");
  });
});
