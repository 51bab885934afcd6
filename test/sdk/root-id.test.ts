// sdk/dispatcher.ts: a root_id that matches no registration. With several roots registered the load fails
// (test/sdk/dispatcher.test.ts); with one, that root serves the plugin and a warning names the mismatch.
import { beforeAll, describe, expect, it } from "vitest";
import { Host } from "../../emulator/index.ts";
import { compileAssemblyScript } from "../../scripts/asc.mjs";

let wasm: string;
beforeAll(async () => {
  wasm = (await compileAssemblyScript("filters/example-header/filter.ts", "build/example-header.wasm")).outFile;
});

const CONFIG = JSON.stringify({ response_header: { name: "x-a", value: "b" } });

describe("root_id matching no registration, one root registered", () => {
  it("loads with the only root and logs a warning naming both ids", async () => {
    const host = new Host();
    await host.loadPlugin({ module: wasm, rootId: "exmaple-header", configuration: CONFIG });
    const warning = host.logs.find((l) => l.message.includes("matches no registered root context"));
    expect(warning?.level).toBe("warn");
    expect(warning?.message).toContain("root_id 'exmaple-header' matches no registered root context; using the only one, 'example-header'");
  });

  it("logs no such warning when the root_id matches", async () => {
    const host = new Host();
    await host.loadPlugin({ module: wasm, rootId: "example-header", configuration: CONFIG });
    expect(host.logs.some((l) => l.message.includes("matches no registered root context"))).toBe(false);
  });
});
