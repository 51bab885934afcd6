// `ambient-wasm authz check`: would this request be allowed, and by which policy and rule?
//
// The answer is computed by build/identity-rbac.wasm itself: the policies are converted as `authz convert` does,
// loaded with the root_id of the mode at Envoy's trace log level, and one request (or connection, in mode l4) is
// sent through the emulator. The decision is what the filter did (403/401 local reply, closed connection, or
// forwarded); the deciding rule is the filter's decision log line; the per-rule explanation is the filter's
// trace lines (filters/identity-rbac/explain.ts). This module reads the arguments and the policies;
// explanation.ts runs the request and reads the filter's answer back; explanation-text.ts prints it.
import { parseArgs } from "node:util";
import { convertFile, formatError, locate, type ConvertError, type PolicyEntry, type PolicyOrigin } from "./convert.ts";
import { parseLabel } from "./convert-command.ts";
import { MODES, httpAttributes, treatPolicy, type Mode } from "./enforcement.ts";
import { explain, type Explanation, type Request } from "./explanation.ts";
import { formatText } from "./explanation-text.ts";
import { verifyWithFilter } from "./verify.ts";

type Obj = Record<string, unknown>;

export const CHECK_USAGE = `usage: ambient-wasm authz check --policies <file.yaml> --workload <ns>[/<k=v>,...] --from <uri>|plaintext --port <n> [options]

Sends one request through build/identity-rbac.wasm (in the emulator) with the given policies and explains the
decision: allowed or denied, the policy and rule that decided (or the default that applied), and for every
policy that applied but did not match, the first clause that failed.

options:
  --policies <file.yaml>      AuthorizationPolicy YAML, as for authz convert (repeatable; - for stdin)
  --workload <ns>[/k=v,...]   the destination workload: its namespace and labels, e.g. foo/app=httpbin,version=v1
  --from <uri>|plaintext      the peer certificate's URI SAN (spiffe://cluster.local/ns/foo/sa/sleep), or plaintext
  --port <n>                  destination port
  --mode l4|l7|connect        the filter deciding (default l7)
  --method <m>, --path <p>, --host <h>, --header <k=v> (repeatable)
                              the HTTP request (mode l7; defaults GET, /, <destination-ip>:<port>)
  --source-ip <ip>            the client address (required when a policy reads ipBlocks, remoteIpBlocks, source.ip)
  --destination-ip <ip>       the workload address (required when a policy reads destination.ip; else 192.0.2.1)
  --namespace <ns>            namespace for policies without metadata.namespace (default "default")
  --root-namespace <ns>       Istio root namespace (default istio-system)
  --skip-unsupported          leave CUSTOM policies out in mode l7 instead of failing
  --json                      print the explanation as JSON
  -h, --help                  this help

Policy YAML and the explanation's format: cli/README.md ("ambient-wasm authz check").`;

/** Used only when no policy reads the destination IP (TEST-NET-1, RFC 5737): it cannot change the decision. */
const PLACEHOLDER_DESTINATION_IP = "192.0.2.1";

function usage(message: string): number {
  console.error(`ambient-wasm authz check: ${message}\n\n${CHECK_USAGE}`);
  return 2;
}

/** Does any policy read this part of the connection? (to refuse a check that would need an invented value) */
function reads(specs: Obj[], sourceFields: string[], whenKeys: string[]): boolean {
  const text = JSON.stringify(specs);
  return sourceFields.some((f) => text.includes(`"${f}":`)) || whenKeys.some((k) => text.includes(`"key":"${k}"`));
}

export async function checkCommand(args: string[]): Promise<number> {
  if (args.includes("-h") || args.includes("--help")) {
    console.log(CHECK_USAGE);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        policies: { type: "string", multiple: true },
        workload: { type: "string" },
        from: { type: "string" },
        port: { type: "string" },
        mode: { type: "string" },
        method: { type: "string" },
        path: { type: "string" },
        host: { type: "string" },
        header: { type: "string", multiple: true },
        "source-ip": { type: "string" },
        "destination-ip": { type: "string" },
        namespace: { type: "string" },
        "root-namespace": { type: "string" },
        "skip-unsupported": { type: "boolean" },
        json: { type: "boolean" },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const v = parsed.values;
  const mode = (v.mode ?? "l7") as Mode;
  if (!MODES.includes(mode)) return usage(`--mode must be one of ${MODES.join(", ")}, got "${v.mode}"`);
  if (!v.policies?.length) return usage("--policies <file.yaml> is required");
  if (!v.workload) return usage("--workload <ns>[/k=v,...] is required");
  if (!v.from) return usage("--from <uri>|plaintext is required (the peer certificate's URI SAN)");
  if (!v.port) return usage("--port <n> is required");
  const port = Number(v.port);
  if (!/^\d+$/.test(v.port) || port > 65535) return usage(`--port expects 0..65535, got "${v.port}"`);
  if (v.from !== "plaintext" && !/^[a-z][a-z0-9+.-]*:\S+$/i.test(v.from)) return usage(`--from expects a URI (spiffe://...) or plaintext, got "${v.from}"`);
  const httpGiven = [v.method, v.path, v.host, v.header?.length ? "h" : undefined].some((x) => x !== undefined);
  if (mode !== "l7" && httpGiven) return usage(`--method/--path/--host/--header describe an HTTP request: mode ${mode} sees none (use --mode l7)`);
  const slash = v.workload.indexOf("/");
  const workloadNamespace = slash < 0 ? v.workload : v.workload.slice(0, slash);
  const labels: Record<string, string> = {};
  for (const kv of slash < 0 ? [] : v.workload.slice(slash + 1).split(",").filter((s) => s !== "")) {
    const label = parseLabel(kv);
    if (!label) return usage(`--workload labels expect k=v, got "${kv}"`);
    labels[label[0]] = label[1];
  }
  if (workloadNamespace === "") return usage("--workload needs a namespace");
  const extraHeaders: [string, string][] = [];
  for (const kv of v.header ?? []) {
    const h = parseLabel(kv);
    if (!h) return usage(`--header expects name=value, got "${kv}"`);
    extraHeaders.push([h[0].toLowerCase(), h[1]]);
  }

  // The policies, exactly as `authz convert` reads them.
  const errors: ConvertError[] = [];
  const entries: { entry: PolicyEntry; origin: PolicyOrigin }[] = [];
  const skippedRules = new Map<string, Map<number, string[]>>();
  for (const file of v.policies) {
    const r = convertFile(file, v.namespace ?? "default");
    errors.push(...r.errors);
    r.policies.forEach((entry, i) => {
      const origin = r.origins[i];
      const t = treatPolicy(origin.key, entry.spec, mode, v["skip-unsupported"] ?? false);
      if (t.error) errors.push({ file: origin.file, document: origin.document, ...locate(origin, t.error.path), message: t.error.message });
      for (const f of t.findings) if (f.severity === "warning") console.error(formatError({ file: origin.file, document: origin.document, ...locate(origin, f.path), message: `warning: ${f.message}` }));
      if (t.skip) return;
      entries.push({ entry, origin });
      if (mode !== "l7" && (entry.spec.action ?? "ALLOW") === "ALLOW") {
        const dropped = new Map<number, string[]>();
        ((entry.spec.rules as Obj[] | undefined) ?? []).forEach((rule, k) => {
          const http = httpAttributes(rule);
          if (http.length > 0) dropped.set(k, http);
        });
        skippedRules.set(origin.key, dropped);
      }
    });
  }
  if (errors.length > 0) {
    for (const e of errors) console.error(formatError(e));
    return 1;
  }
  const specs = entries.map((e) => e.entry.spec);
  const sourceIp = v["source-ip"] ?? null;
  if (sourceIp === null && reads(specs, ["ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"], ["source.ip", "remote.ip"])) {
    return usage("a policy reads the client address (ipBlocks, remoteIpBlocks, source.ip or remote.ip): pass --source-ip <ip>");
  }
  if (v["destination-ip"] === undefined && reads(specs, [], ["destination.ip"])) {
    return usage("a policy reads the destination address (destination.ip): pass --destination-ip <ip>");
  }
  const destinationIp = v["destination-ip"] ?? PLACEHOLDER_DESTINATION_IP;
  const authority = destinationIp.includes(":") ? `[${destinationIp}]:${port}` : `${destinationIp}:${port}`;
  const peer = v.from === "plaintext" ? null : v.from;
  const headers: [string, string][] =
    mode === "connect" ? [[":method", "CONNECT"], [":authority", authority]]
    : mode === "l7" ? [[":method", v.method ?? "GET"], [":path", v.path ?? "/"], [":authority", v.host ?? authority], [":scheme", "http"], ...extraHeaders]
    : [];
  const req: Request = { mode, from: peer, sourceIp, destinationIp, port, headers };

  // Invalid policies are reported like `authz convert` does: every error, at its place in the YAML.
  const config: Obj & { policies: unknown[] } = { workload: { namespace: workloadNamespace, labels }, policies: entries.map((e) => e.entry) };
  if (v["root-namespace"]) config.rootNamespace = v["root-namespace"];
  const verified = await verifyWithFilter(config, entries.map((e) => e.origin), mode, v.policies[0]);
  if (verified.errors.length > 0) {
    for (const e of verified.errors) console.error(formatError(e));
    return 1;
  }

  let explanation: Explanation;
  try {
    explanation = await explain(req, entries, { namespace: workloadNamespace, labels }, v["root-namespace"], skippedRules);
  } catch (e) {
    console.error(`ambient-wasm authz check: ${(e as Error).message}`);
    return 1;
  }
  if (v.json) process.stdout.write(JSON.stringify(explanation, null, 2) + "\n");
  else process.stdout.write(formatText(explanation));
  return 0;
}
