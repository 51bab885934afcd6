// `ambient-wasm validate [--base <dir>] [--json] [--no-wasm] <file...>`: strict validation of Envoy bootstrap
// configs without Envoy. Prints `<file>:<line>:<col>: <json.path>: <message>` per finding; exit 0 when no errors.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatDiagnostic, type Diagnostic } from "./common/diagnostics.ts";
import { validateFile } from "./validate/validate-config.ts";

const usage = `usage: ambient-wasm validate [options] <envoy.yaml|envoy.json>...

Validates Envoy bootstrap configs against Envoy's v3 API (unknown fields, types, enums, Any/TypedStruct payloads,
PGV rules, deprecated fields), then checks references, internal listeners, ORIGINAL_DST clusters, filter chains,
and loads every Wasm module in the emulator with its plugin configuration.

options:
  --base <dir>  directory that relative Wasm filenames resolve against (default: the current directory)
  --json        print a JSON report instead of text
  --no-wasm     check that Wasm files exist but do not load them
  -h, --help    show this help

Findings print as <file>:<line>:<col>: <json.path>: <message>; exit 0 when there are no errors.
What is checked, and the --json report: cli/validate/README.md.`;

interface Options {
  files: string[];
  baseDir: string;
  json: boolean;
  loadWasm: boolean;
  help: boolean;
}

function parseOptions(args: string[]): Options | string {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { base: { type: "string" }, json: { type: "boolean" }, "no-wasm": { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
  } catch (e) {
    return (e as Error).message;
  }
  const { values, positionals } = parsed;
  if (values.base === "") return "--base needs a directory";
  if (!values.help && positionals.length === 0) return "no config files given";
  return {
    files: positionals,
    baseDir: values.base === undefined ? process.cwd() : resolve(values.base),
    json: values.json ?? false,
    loadWasm: !values["no-wasm"],
    help: values.help ?? false,
  };
}

export async function command(args: string[]): Promise<number> {
  const options = parseOptions(args);
  if (typeof options === "string") {
    console.error(`ambient-wasm validate: ${options}\n\n${usage}`);
    return 2;
  }
  if (options.help) {
    console.log(usage);
    return 0;
  }
  const results: Array<{ file: string; diagnostics: Diagnostic[] }> = [];
  for (const file of options.files) {
    results.push({ file, diagnostics: await validateFile(file, { baseDir: options.baseDir, loadWasm: options.loadWasm }) });
  }
  const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === "error").length;
  const failed = results.some((r) => errors(r.diagnostics) > 0);
  if (options.json) {
    const report = results.map((r) => ({ file: r.file, valid: errors(r.diagnostics) === 0, errors: errors(r.diagnostics), warnings: r.diagnostics.length - errors(r.diagnostics), diagnostics: r.diagnostics }));
    console.log(JSON.stringify({ valid: !failed, files: report }, null, 2));
  } else {
    for (const r of results) {
      for (const d of r.diagnostics) (d.severity === "error" ? console.error : console.warn)(formatDiagnostic(d));
      const e = errors(r.diagnostics);
      const w = r.diagnostics.length - e;
      const summary = `${r.file}: ${e === 0 ? "valid" : `${e} error${e === 1 ? "" : "s"}`}${w ? `, ${w} warning${w === 1 ? "" : "s"}` : ""}`;
      (e === 0 ? console.log : console.error)(summary);
    }
  }
  return failed ? 1 : 0;
}
