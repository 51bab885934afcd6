// A filter entry without `export * from "../../sdk/exports"` fails to build with a message naming the cause
// (scripts/asc.mjs), not only the compiler's "AS111: Element 'sdk/runtime/abort/abort' not found".
import { describe, expect, it } from "vitest";
import { compileAssemblyScript } from "../../scripts/asc.mjs";

describe("a filter entry without the SDK's exports", () => {
  it("fails with the line to add, keeping the compiler's own error", async () => {
    const entry = "test/scripts/assembly/no-sdk-exports/filter.ts";
    const error = await compileAssemblyScript(entry, "build/test/scripts/no-sdk-exports.wasm").then(() => null, (e: Error) => e);
    expect(error).not.toBeNull();
    expect(error!.message).toContain(`${entry} does not export the SDK's entry points (proxy_on_* and the abort handler).`);
    expect(error!.message).toContain(`Add this line to it:  export * from "../../../../sdk/exports";`);
    expect(error!.message).toContain("(compiler said: ERROR AS111: Element 'sdk/runtime/abort/abort' not found.)");
  });
});
