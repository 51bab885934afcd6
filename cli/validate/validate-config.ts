// Validates one Envoy bootstrap: load (YAML or JSON), schema walk against the API descriptors, then — only when the
// schema is clean — the semantic checks Envoy does while building listeners, clusters and Wasm plugins.
import { readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { loadEnvoySchema } from "./descriptors.ts";
import { Report, type Diagnostic } from "../common/diagnostics.ts";
import { SchemaWalker } from "./schema-walker.ts";
import { loadConfig } from "../common/yaml-loader.ts";
import { checkSemantics } from "./semantic/index.ts";

export const BOOTSTRAP_TYPE = "envoy.config.bootstrap.v3.Bootstrap";

export interface ValidateOptions {
  /** Directory that relative Wasm `filename`s resolve against (Envoy resolves them against its working directory). */
  baseDir: string;
  /** Load each Wasm module in the emulator and run its plugin configuration through proxy_on_configure. */
  loadWasm?: boolean;
}

/** Validate config text; `file` is the name used in diagnostics. */
export async function validateSource(source: string, file: string, options: ValidateOptions & { configDir?: string }): Promise<Diagnostic[]> {
  const report = new Report(file);
  const schema = await loadEnvoySchema();
  const { value, sourceMap } = loadConfig(source, report, { json: /\.json$/i.test(file) });
  if (report.errorCount > 0) return report.diagnostics;
  new SchemaWalker(schema, report, sourceMap).walkRoot(BOOTSTRAP_TYPE, value);
  if (report.errorCount === 0) await checkSemantics(value as Record<string, unknown>, { report, sourceMap, baseDir: options.baseDir, loadWasm: options.loadWasm ?? true, configDir: options.configDir, source });
  return report.diagnostics;
}

/** Docker Compose files live next to the bootstraps (`envoy-configs/*.yaml` matches them); they are not Envoy configs. */
const composeFile = /^(docker-)?compose(\.[\w-]+)?\.ya?ml$/i;

export async function validateFile(file: string, options: ValidateOptions): Promise<Diagnostic[]> {
  if (composeFile.test(basename(file))) {
    return [{ file, line: 1, col: 1, path: "", message: "skipped: a Docker Compose file, not an Envoy bootstrap", severity: "warning" }];
  }
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (e) {
    return [{ file, line: 1, col: 1, path: "", message: `cannot read file: ${(e as Error).message}`, severity: "error" }];
  }
  return validateSource(source, file, { ...options, configDir: dirname(file) });
}
