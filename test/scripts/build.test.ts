// scripts/build.mjs (`npm run build [-- <filter>...]`): one filter on request, a first line at once, one line per
// module when output is not a terminal, and a clear error for a filter that does not exist.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { root } from "../../scripts/asc.mjs";

const build = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, "scripts/build.mjs"), ...args], { cwd: root, encoding: "utf8" });

describe("npm run build -- <filter>", () => {
  it("builds only that filter, announcing the work first and printing one plain line per module", () => {
    const r = build("example-header");
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("compiling 1 filter with AssemblyScript (unchanged ones are skipped)…");
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toMatch(/^build\/example-header\.wasm\s+\d+ bytes {2}\((unchanged|\d+\.\ds)\)$/);
    expect(r.stdout).not.toContain("\x1b[");
    expect(r.stdout).not.toContain("envoy-api.binpb"); // the other build steps run only for a full build
  });

  it("names the filters there are when asked for one that does not exist", () => {
    const r = build("no-such-filter");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^build: no filter named no-such-filter \(filters: .*example-header.*\)\n$/);
  });
});
