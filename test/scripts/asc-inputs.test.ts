// The build cache (scripts/asc.mjs) rebuilds a filter when any file it can import changes: its own folder, the
// SDK, lib/ and filters/common/ — but not another filter's folder.
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { assemblyInputs, root } from "../../scripts/asc.mjs";

describe("AssemblyScript build inputs", () => {
  const inputs = assemblyInputs(join(root, "filters/hbone-outbound/filter.ts")).map((f) => relative(root, f));

  it("include the SDK, lib/, filters/common/ and the filter's own folder", () => {
    expect(inputs).toContain("sdk/index.ts");
    expect(inputs).toContain("lib/filter-state-keys.ts");
    expect(inputs).toContain("filters/common/filter-state.ts");
    expect(inputs).toContain("filters/common/properties.ts");
    expect(inputs).toContain("filters/hbone-outbound/route.ts");
  });

  it("leave out other filters, tests and fixtures", () => {
    expect(inputs.some((f) => f.startsWith("filters/istio-stats/"))).toBe(false);
    expect(inputs.some((f) => f.endsWith(".test.ts"))).toBe(false);
    expect(inputs.some((f) => f.includes("/fixtures/"))).toBe(false);
  });
});
