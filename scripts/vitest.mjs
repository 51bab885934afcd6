// Runs vitest (arguments passed through) without colour when stdout is not a terminal or NO_COLOR is set: vitest's
// colour check looks at TERM and FORCE_TTY but not at whether output is redirected.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const env = { ...process.env };
if (!process.stdout.isTTY || env.NO_COLOR !== undefined) {
  env.NO_COLOR = "1";
  env.FORCE_TTY = "false";
  delete env.FORCE_COLOR;
}
const vitest = join(dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");
const r = spawnSync(process.execPath, [vitest, ...process.argv.slice(2)], { stdio: "inherit", env });
process.exit(r.status ?? 1);
