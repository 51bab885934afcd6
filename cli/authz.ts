// `ambient-wasm authz convert <file.yaml>...`: Kubernetes AuthorizationPolicy YAML → identity-rbac plugin
// configuration JSON (stdout, or --output). Exit 0 on success, 1 when any policy is rejected, 2 on usage errors.
import { readFileSync, writeFileSync } from "node:fs";
import { convertYaml, formatError, type ConvertError, type PolicyEntry, type PolicyOrigin } from "./authz/convert.ts";
import { verifyWithFilter } from "./authz/verify.ts";

const USAGE = `usage: ambient-wasm authz convert <file.yaml>... [options]

Turns Kubernetes AuthorizationPolicy documents (one or many per file, also List objects) into the
identity-rbac plugin configuration (JSON).

options:
  --namespace <ns>            namespace for policies without metadata.namespace (default "default")
  --workload-namespace <ns>   namespace of the workload the filter protects (adds "workload")
  --workload-label <k=v>      a label of that workload (repeatable)
  --root-namespace <ns>       Istio root namespace (default istio-system)
  --dry-run                   set the plugin-wide dryRun flag
  --output, -o <file>         write the JSON there instead of stdout
  --no-verify                 skip checking the result with build/identity-rbac.wasm`;

interface Options {
  files: string[];
  namespace: string;
  workloadNamespace?: string;
  workloadLabels: Record<string, string>;
  rootNamespace?: string;
  dryRun: boolean;
  output?: string;
  verify: boolean;
}

function parseArgs(args: string[]): Options | string {
  const o: Options = { files: [], namespace: "default", workloadLabels: {}, dryRun: false, verify: true };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === "--namespace") o.namespace = value();
      else if (a === "--workload-namespace") o.workloadNamespace = value();
      else if (a === "--workload-label") {
        const kv = value();
        const eq = kv.indexOf("=");
        if (eq <= 0) return `--workload-label expects key=value, got "${kv}"`;
        o.workloadLabels[kv.slice(0, eq)] = kv.slice(eq + 1);
      } else if (a === "--root-namespace") o.rootNamespace = value();
      else if (a === "--dry-run") o.dryRun = true;
      else if (a === "--output" || a === "-o") o.output = value();
      else if (a === "--no-verify") o.verify = false;
      else if (a.startsWith("-") && a !== "-") return `unknown option ${a}`;
      else o.files.push(a);
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (o.files.length === 0) return "no input file";
  if (Object.keys(o.workloadLabels).length > 0 && !o.workloadNamespace) return "--workload-label needs --workload-namespace";
  return o;
}

export async function command(args: string[]): Promise<number> {
  if (args[0] !== "convert") {
    console.error(args[0] ? `ambient-wasm authz: unknown subcommand '${args[0]}'\n\n${USAGE}` : USAGE);
    return 2;
  }
  if (args.includes("-h") || args.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const opts = parseArgs(args.slice(1));
  if (typeof opts === "string") {
    console.error(`ambient-wasm authz convert: ${opts}\n\n${USAGE}`);
    return 2;
  }

  const policies: PolicyEntry[] = [];
  const origins: PolicyOrigin[] = [];
  const errors: ConvertError[] = [];
  for (const file of opts.files) {
    let text: string;
    try {
      text = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
    } catch (e) {
      errors.push({ file, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    const r = convertYaml(file, text, opts.namespace);
    for (const s of r.skipped) console.error(`note: ${s}`);
    errors.push(...r.errors);
    policies.push(...r.policies);
    origins.push(...r.origins);
  }
  const seen = new Map<string, PolicyOrigin>();
  for (const origin of origins) {
    const first = seen.get(origin.key);
    if (first) {
      errors.push({
        file: origin.file,
        document: origin.document,
        path: "metadata.name",
        message: `duplicate policy ${origin.key} (also in ${first.file} document ${first.document})`,
      });
    } else seen.set(origin.key, origin);
  }
  if (errors.length === 0 && policies.length === 0) errors.push({ file: opts.files.join(", "), message: "no AuthorizationPolicy documents found" });

  const config: Record<string, unknown> = {};
  if (opts.rootNamespace) config.rootNamespace = opts.rootNamespace;
  if (opts.workloadNamespace) config.workload = { namespace: opts.workloadNamespace, labels: opts.workloadLabels };
  if (opts.dryRun) config.dryRun = true;
  config.policies = policies;

  if (errors.length === 0 && opts.verify) errors.push(...(await verifyWithFilter(config, origins)));
  if (errors.length > 0) {
    for (const e of errors) console.error(formatError(e));
    return 1;
  }
  const json = JSON.stringify(config, null, 2) + "\n";
  if (opts.output) writeFileSync(opts.output, json);
  else process.stdout.write(json);
  return 0;
}
