// `ambient-wasm run <scenario.yaml>`: run a proxy-wasm module through the emulator as the scenario describes and
// print a JSON report. Exit 0 when the scenario ran (a module denying traffic is a result); 1 with
// `<file>:<line>:<col>: <path>: <reason>` on stderr for a bad scenario, or `<file>: module: <reason>` when the module
// cannot be loaded or configured, followed by the module's own error logs (the JSON report with `load.ok: false`
// is still printed); 2 for usage errors. The format is documented in cli/README.md.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parseScenario, ScenarioError } from "./run/scenario.ts";
import { runScenario, ModuleLoadError } from "./run/execute.ts";
import { formatJson } from "./run/report.ts";

export const HELP = `usage: ambient-wasm run <scenario.yaml>

Runs the scenario's proxy-wasm module through the emulator (an Envoy-faithful host) and prints a JSON report:
HTTP streams and TCP connections as Envoy would have handled them, callouts, logs, metrics, traps.

options:
  -h, --help   this help

Exit status: 0 the scenario ran; 1 bad scenario, or a module Envoy would refuse (its reason and the module's
own error logs on stderr); 2 usage. Scenario and report formats: cli/README.md ("ambient-wasm run").`;

/**
 * The error and critical log lines beside Envoy's rejection itself (already the first line): where a plugin says
 * why it refused its configuration.
 */
function moduleErrors(logs: Array<{ level: string; message: string }>, rejection: string): string[] {
  return logs
    .filter((l) => (l.level === "error" || l.level === "critical") && !l.message.endsWith(rejection))
    .map((l) => `  ${l.level}: ${l.message}`);
}

export async function command(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { help: { type: "boolean", short: "h" } } });
  } catch (e) {
    console.error(`ambient-wasm run: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(HELP);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    console.error(HELP);
    return 2;
  }
  const file = parsed.positionals[0];
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
      console.error([`${file}: module: ${report.load.error}`, ...moduleErrors(report.logs, report.load.error)].join("\n"));
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
