// `ambient-wasm workloads from-k8s [file.yaml ...|-]`: the workload table the filters read (the `workloads` array of
// hbone-outbound, hbone-inbound, connect-headers and istio-stats), from what
// `kubectl get pods,services,serviceaccounts,namespaces -A -o yaml` prints.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatMessage, readKubeObjects, type InputMessage, type KubeObject } from "./common/kube-documents.ts";
import { fromK8s } from "./workloads/from-k8s.ts";
import { verifyWorkloadTable } from "./workloads/verify.ts";

const usage = `usage: ambient-wasm workloads from-k8s [file.yaml ...] [options]

Reads Kubernetes pods, services, service accounts and namespaces (one or many YAML documents or List objects per
file, as \`kubectl get pods,services,serviceaccounts,namespaces -A -o yaml\` prints them; no file or "-" reads
standard input) and prints {"workloads": [...]}: addresses, SPIFFE identities, canonical service and revision,
services with their ports and target ports, waypoints, HBONE capability (ambient enrolment). The table is loaded
into hbone-outbound (build/hbone-outbound.wasm) through the emulator before it is printed.
Every object or part that is left out is named on stderr with file:line:col, document and path.

options:
  --trust-domain <td>      SPIFFE trust domain (default cluster.local)
  --cluster <name>         cluster name for the table and the metrics (default Kubernetes)
  --cluster-domain <dns>   service DNS suffix: <svc>.<ns>.svc.<dns> (default cluster.local)
  --out <file>             write the table there instead of standard output
  --no-verify              do not load the table into hbone-outbound
  --quiet                  do not print notes (errors are always printed)
Format of the table: lib/workloads.ts (filters' side) and cli/workloads/table.ts.`;

export async function command(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === "--help" || sub === "-h") {
    console.log(usage);
    return sub ? 0 : 2;
  }
  if (sub !== "from-k8s") {
    console.error(`ambient-wasm workloads: unknown subcommand '${sub}'\n\n${usage}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        "trust-domain": { type: "string", default: "cluster.local" },
        cluster: { type: "string", default: "Kubernetes" },
        "cluster-domain": { type: "string", default: "cluster.local" },
        out: { type: "string" },
        "no-verify": { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    console.error(`ambient-wasm workloads from-k8s: ${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const files = positionals.length > 0 ? positionals : ["-"];
  const objects: KubeObject[] = [];
  const errors: InputMessage[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file === "-" ? 0 : file, "utf8");
    } catch (e) {
      console.error(`${file}: ${(e as Error).message}`);
      return 1;
    }
    const read = readKubeObjects(file === "-" ? "<stdin>" : file, text);
    objects.push(...read.objects);
    errors.push(...read.errors);
  }
  const result = fromK8s(objects, { trustDomain: values["trust-domain"]!, cluster: values.cluster!, clusterDomain: values["cluster-domain"]! });
  errors.push(...result.errors);
  if (!values.quiet) for (const n of result.notes) console.error(`note: ${formatMessage(n)}`);
  for (const e of errors) console.error(`error: ${formatMessage(e)}`);
  if (!values["no-verify"]) {
    const refused = await verifyWorkloadTable(result.workloads);
    for (const r of refused) console.error(`error: the table as generated is refused by hbone-outbound: ${r}`);
    if (refused.length > 0) return 1;
  }
  const text = JSON.stringify({ workloads: result.workloads }, null, 2) + "\n";
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
  if (errors.length > 0) console.error(`${errors.length} error(s): the table leaves out what they name`);
  return errors.length > 0 ? 1 : 0;
}
