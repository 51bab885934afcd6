// `ambient-wasm run <scenario.yaml>`: run a proxy-wasm module through the emulator as the scenario describes and
// print a JSON report. Exit 0 when the scenario ran (a module denying traffic is a result); 1 with
// `<file>:<line>:<col>: <path>: <reason>` on stderr for a bad scenario, or `<file>: module: <reason>` when the module
// cannot be loaded or configured (the JSON report with `load.ok: false` is still printed); 2 for usage errors.
// The format is documented in cli/README.md.
import { readFile } from "node:fs/promises";
import { parseScenario, ScenarioError } from "./run/scenario.ts";
import { runScenario, ModuleLoadError } from "./run/execute.ts";
import { formatJson } from "./run/report.ts";

const USAGE = "usage: ambient-wasm run <scenario.yaml>";

export async function command(args: string[]): Promise<number> {
  if (args.length !== 1 || args[0] === "-h" || args[0] === "--help") {
    console.error(USAGE);
    return args[0] === "-h" || args[0] === "--help" ? 0 : 2;
  }
  const file = args[0];
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch (e) {
    console.error(`${file}: cannot read scenario: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return 1;
  }
  try {
    const report = await runScenario(parseScenario(file, source));
    process.stdout.write(formatJson(report) + "\n");
    if (!report.load.ok) {
      console.error(`${file}: module: ${report.load.error}`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof ScenarioError) {
      console.error(e.message);
      return 1;
    }
    if (e instanceof ModuleLoadError) {
      console.error(`${file}: module: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
