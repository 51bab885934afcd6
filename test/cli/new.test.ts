// `ambient-wasm new`: the generated filter builds, passes its own test and its envoy.yaml validates, as generated.
// It is generated into a temporary copy of the repository's sources (all but filters/, tests and build output),
// so the repository's filters/ folder is never touched.
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../../scripts/asc.mjs";

const CLI = join(root, "bin/ambient-wasm.mjs");
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "ambient-wasm-new-"));
  for (const dir of ["sdk", "lib", "emulator", "scripts", "modules", "envoy", "cli"]) {
    cpSync(join(root, dir), join(work, dir), { recursive: true });
  }
  for (const file of ["asconfig.json", "package.json", "tsconfig.json"]) cpSync(join(root, file), join(work, file));
  symlinkSync(join(root, "node_modules"), join(work, "node_modules"));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function run(args: string[]) {
  const r = spawnSync(process.execPath, args, { cwd: work, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("ambient-wasm new", () => {
  for (const kind of ["http", "tcp"] as const) {
    it(`--${kind}: builds, passes its own test, validates`, async () => {
      const name = `my-${kind}-filter`;
      const created = run([CLI, "new", name, `--${kind}`]);
      expect(created.err).toBe("");
      expect(created.code).toBe(0);
      expect(readdirSync(join(work, "filters", name)).sort()).toEqual(
        ["README.md", "config.ts", "envoy.yaml", "filter.ts", `${name}.test.ts`].sort(),
      );

      const built = run(["scripts/build.mjs", name]);
      expect(built.err).toBe("");
      expect(built.code).toBe(0);
      expect(built.out).toMatch(new RegExp(`build/${name}\\.wasm\\s+\\d+ bytes`));
      expect(existsSync(join(work, "build", `${name}.wasm`))).toBe(true);

      const tested = run([join(root, "node_modules/vitest/vitest.mjs"), "run", `filters/${name}`, "--root", work, "--reporter", "dot"]);
      expect(tested.code, tested.out + tested.err).toBe(0);
      expect(tested.out).toMatch(/Tests\s+\d+ passed/);

      const validated = run([CLI, "validate", "--base", work, join(work, "filters", name, "envoy.yaml")]);
      expect(validated.code, validated.out + validated.err).toBe(0);
    }, 300_000);
  }

  it("refuses a name that is not a folder name, and an existing folder", () => {
    const bad = run([CLI, "new", "My Filter"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("'My Filter' is not a filter name");
    expect(run([CLI, "new", "twice"]).code).toBe(0);
    const again = run([CLI, "new", "twice"]);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`${join("filters", "twice")} exists already; nothing written`);
  });

  it("--help lists the options and points at the docs", () => {
    const help = run([CLI, "new", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("--tcp");
    expect(help.out).toContain("--dir <path>");
    expect(help.out).toContain("sdk/README.md");
  });
});
