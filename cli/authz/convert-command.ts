// `ambient-wasm authz convert <file.yaml>...`: Kubernetes AuthorizationPolicy YAML → identity-rbac plugin
// configuration JSON (stdout, or --output) for one enforcement point (--mode). Exit 0 on success, 1 when any
// document is rejected (every error of every document, in one run), 2 on usage errors.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { convertFile, formatError, locate, type ConvertError, type PolicyEntry, type PolicyOrigin } from "./convert.ts";
import { MODES, ROOT_IDS, treatPolicy, type Mode } from "./enforcement.ts";
import { toEnvoyRbac } from "./envoy-rbac.ts";
import { FILTER_WASM, verifyWithFilter } from "./verify.ts";

export const CONVERT_USAGE = `usage: ambient-wasm authz convert <file.yaml>... --workload-namespace <ns> [options]

Turns Kubernetes AuthorizationPolicy documents (one or many per file, also List objects, - for stdin) into the
identity-rbac plugin configuration (JSON) for one enforcement point, and loads it in build/identity-rbac.wasm.

options:
  --mode l4|l7|connect        the filter the output is for: identity-rbac-l4 (ztunnel-style network filter),
                              identity-rbac-l7 (sidecar/waypoint HTTP filter, the default), identity-rbac-connect
                              (HBONE CONNECT terminate); policies whose meaning changes there get a warning
  --strict                    treat warnings as errors
  --skip-unsupported          leave CUSTOM policies out in mode l7 (with a warning) instead of failing
  --workload-namespace <ns>   namespace of the workload the filter protects (required unless --no-verify)
  --workload-label <k=v>      a label of that workload (repeatable)
  --namespace <ns>            namespace for policies without metadata.namespace (default "default")
  --root-namespace <ns>       Istio root namespace (default istio-system)
  --dry-run                   set the plugin-wide dryRun flag
  --output, -o <file>         write the JSON there instead of stdout
  --no-verify                 do not load the result in build/identity-rbac.wasm (the workload may then be omitted)
  --format identity-rbac|envoy-rbac
                              identity-rbac (default): the plugin configuration; envoy-rbac: Envoy's native
                              envoy.filters.http.rbac / envoy.filters.network.rbac filters as istiod would generate
                              them for the workload ({"http_filters": [...], "network_filters": [...]}); with
                              --mode l4 or connect the network filter follows ztunnel's meaning of DENY rules
                              that have only HTTP conditions (never fire) instead of the sidecar's (deny all)
  -h, --help                  this help

What converts and how, and the plugin configuration format: cli/README.md ("ambient-wasm authz convert") and
filters/identity-rbac/README.md.`;

interface Options {
  files: string[];
  mode: Mode;
  modeGiven: boolean;
  strict: boolean;
  skipUnsupported: boolean;
  namespace: string;
  workloadNamespace?: string;
  workloadLabels: Record<string, string>;
  rootNamespace?: string;
  dryRun: boolean;
  output?: string;
  verify: boolean;
  format: "identity-rbac" | "envoy-rbac";
}

export function parseLabel(kv: string): [string, string] | null {
  const eq = kv.indexOf("=");
  return eq <= 0 ? null : [kv.slice(0, eq), kv.slice(eq + 1)];
}

function parseOptions(args: string[]): Options | string {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        mode: { type: "string" },
        strict: { type: "boolean" },
        "skip-unsupported": { type: "boolean" },
        namespace: { type: "string" },
        "workload-namespace": { type: "string" },
        "workload-label": { type: "string", multiple: true },
        "root-namespace": { type: "string" },
        "dry-run": { type: "boolean" },
        output: { type: "string", short: "o" },
        "no-verify": { type: "boolean" },
        format: { type: "string" },
      },
    });
  } catch (e) {
    return (e as Error).message;
  }
  const v = parsed.values;
  const mode = v.mode ?? "l7";
  if (!(MODES as readonly string[]).includes(mode)) return `--mode must be one of ${MODES.join(", ")}, got "${mode}"`;
  const o: Options = {
    files: parsed.positionals,
    mode: mode as Mode,
    modeGiven: v.mode !== undefined,
    strict: v.strict ?? false,
    skipUnsupported: v["skip-unsupported"] ?? false,
    namespace: v.namespace ?? "default",
    workloadNamespace: v["workload-namespace"],
    workloadLabels: {},
    rootNamespace: v["root-namespace"],
    dryRun: v["dry-run"] ?? false,
    output: v.output,
    verify: !v["no-verify"],
    format: (v.format ?? "identity-rbac") as Options["format"],
  };
  if (o.format !== "identity-rbac" && o.format !== "envoy-rbac") return `--format must be identity-rbac or envoy-rbac, got "${v.format}"`;
  if (o.format === "envoy-rbac") {
    if (!o.workloadNamespace) return "--format envoy-rbac needs --workload-namespace (istiod generates the filters for one workload)";
    o.verify = false;
  }
  for (const kv of v["workload-label"] ?? []) {
    const label = parseLabel(kv);
    if (!label) return `--workload-label expects key=value, got "${kv}"`;
    o.workloadLabels[label[0]] = label[1];
  }
  if (o.files.length === 0) return "no input file";
  if (Object.keys(o.workloadLabels).length > 0 && !o.workloadNamespace) return "--workload-label needs --workload-namespace";
  if (o.verify && !o.workloadNamespace) {
    return "identity-rbac refuses a configuration without a workload, so there is nothing to verify: pass " +
      "--workload-namespace <ns> (and --workload-label k=v for its labels), or --no-verify to print the policies alone";
  }
  return o;
}

/** A finding or error at a path inside a converted policy. */
function at(origin: PolicyOrigin, path: (string | number)[], message: string): ConvertError {
  return { file: origin.file, document: origin.document, ...locate(origin, path), message };
}

/** Input order: file, document, then (for errors) position; warnings of one policy keep their order (rules, then the policy). */
function byPosition(files: string[], withinDocument: boolean) {
  return (a: ConvertError, b: ConvertError) =>
    files.indexOf(a.file) - files.indexOf(b.file) || (a.document ?? 0) - (b.document ?? 0) ||
    (withinDocument ? (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0) : 0);
}

/** An error the filter reported at (or under) a path the structural check already reported is the same problem. */
function alreadyReported(e: ConvertError, structural: ConvertError[]): boolean {
  return structural.some((s) => s.file === e.file && s.document === e.document && s.path !== undefined && e.path !== undefined &&
    (e.path === s.path || e.path.startsWith(s.path + ".") || e.path.startsWith(s.path + "[")));
}

export async function convertCommand(args: string[]): Promise<number> {
  if (args.includes("-h") || args.includes("--help")) {
    console.log(CONVERT_USAGE);
    return 0;
  }
  const opts = parseOptions(args);
  if (typeof opts === "string") {
    console.error(`ambient-wasm authz convert: ${opts}\n\n${CONVERT_USAGE}`);
    return 2;
  }

  const notes: string[] = [];
  const errors: ConvertError[] = [];
  const warnings: ConvertError[] = [];
  const kept: { entry: PolicyEntry; origin: PolicyOrigin }[] = [];
  const invalid: { entry: PolicyEntry; origin: PolicyOrigin }[] = [];
  for (const file of opts.files) {
    const r = convertFile(file, opts.namespace);
    notes.push(...r.skipped);
    errors.push(...r.errors);
    invalid.push(...r.invalid);
    r.policies.forEach((entry, i) => kept.push({ entry, origin: r.origins[i] }));
  }
  const structural = [...errors];

  const seen = new Map<string, PolicyOrigin>();
  const unique = kept.filter(({ origin }) => {
    const first = seen.get(origin.key);
    if (!first) return seen.set(origin.key, origin), true;
    errors.push({ ...at(origin, ["metadata", "name"], `duplicate policy ${origin.key} (also in ${first.file} document ${first.document})`) });
    return false;
  });

  const output: { entry: PolicyEntry; origin: PolicyOrigin }[] = [];
  let changedAtZtunnel = 0;
  for (const p of unique) {
    const t = treatPolicy(p.origin.key, p.entry.spec, opts.mode, opts.skipUnsupported);
    if (t.error) errors.push(at(p.origin, t.error.path, t.error.message));
    for (const f of t.findings) {
      const e = at(p.origin, f.path, f.message);
      if (f.severity === "note") notes.push(formatError(e));
      else warnings.push(e);
    }
    if (!t.skip) output.push(p);
    if (!opts.modeGiven && treatPolicy(p.origin.key, p.entry.spec, "l4", false).findings.some((f) => f.severity === "warning")) changedAtZtunnel++;
  }

  const settings: Record<string, unknown> = {};
  if (opts.rootNamespace) settings.rootNamespace = opts.rootNamespace;
  if (opts.workloadNamespace) settings.workload = { namespace: opts.workloadNamespace, labels: opts.workloadLabels };
  if (opts.dryRun) settings.dryRun = true;
  const config = { ...settings, policies: output.map((p) => p.entry) };

  if (!opts.modeGiven) {
    notes.push(`mode l7 (identity-rbac-l7, the HTTP filter of a sidecar or waypoint) is the default; a ztunnel-style node runs ` +
      `--mode l4 or --mode connect` + (changedAtZtunnel > 0 ? `, where ${changedAtZtunnel} of these policies would mean something else` : ""));
  }
  if (errors.length === 0 && output.length === 0) {
    notes.push("no AuthorizationPolicy to enforce: the configuration has no policies, so identity-rbac allows every request (as Istio does without policies)");
  }

  if (opts.format === "envoy-rbac" && errors.length === 0) {
    const rbac = toEnvoyRbac(output.map((p) => p.entry), {
      workload: { namespace: opts.workloadNamespace!, labels: opts.workloadLabels },
      rootNamespace: opts.rootNamespace,
      networkSemantics: opts.mode === "l7" ? "sidecar" : "ztunnel",
    });
    for (const n of notes) console.error(`note: ${n}`);
    for (const n of rbac.notes) console.error(`note: ${n}`);
    for (const w of warnings.sort(byPosition(opts.files, false))) console.error(formatError({ ...w, message: `warning: ${w.message}` }));
    if (opts.strict && warnings.length > 0) return 1;
    const text = JSON.stringify({ http_filters: rbac.http, network_filters: rbac.network }, null, 2) + "\n";
    if (opts.output) writeFileSync(opts.output, text);
    else process.stdout.write(text);
    return 0;
  }

  let verified = false;
  if (opts.verify) {
    // Everything that can be read is loaded, including policies with structural errors, so the filter's own
    // errors for them come in this run too.
    const checked = [...output, ...invalid];
    const result = await verifyWithFilter({ ...config, policies: checked.map((p) => p.entry) }, checked.map((p) => p.origin), opts.mode, opts.files[0]);
    if (!result.ran) notes.push(`${FILTER_WASM} is not built; only the structure was checked (run npm run build)`);
    for (const e of result.errors) if (!alreadyReported(e, structural)) errors.push(e);
    verified = result.ran && result.errors.length === 0;
  }

  if (opts.strict) for (const w of warnings.splice(0)) errors.push({ ...w, message: `${w.message} (--strict)` });
  for (const n of notes) console.error(`note: ${n}`);
  for (const w of warnings.sort(byPosition(opts.files, false))) console.error(formatError({ ...w, message: `warning: ${w.message}` }));
  if (errors.length > 0) {
    for (const e of errors.sort(byPosition(opts.files, true))) console.error(formatError(e));
    return 1;
  }
  const json = JSON.stringify(config, null, 2) + "\n";
  if (opts.output) writeFileSync(opts.output, json);
  else process.stdout.write(json);
  if (verified) console.error(`note: verified: build/identity-rbac.wasm loads it as ${ROOT_IDS[opts.mode]} (mode ${opts.mode})`);
  return 0;
}
