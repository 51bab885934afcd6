// scripts/vitest.mjs (what npm test runs): no ANSI colour in test output that is not going to a terminal, even
// where the environment asks for colour (vitest alone colours redirected output).
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { root } from "../../scripts/asc.mjs";

describe("test output redirected to a file or pipe", () => {
  it("carries no escape sequences", () => {
    const r = spawnSync(process.execPath, [join(root, "scripts/vitest.mjs"), "run", "test/figures.ts", "--passWithNoTests"], {
      cwd: root, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "1", TERM: "xterm-256color" },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("RUN");
    expect(r.stdout + r.stderr).not.toContain("\x1b[");
  }, 120_000);
});
