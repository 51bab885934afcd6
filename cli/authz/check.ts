// `ambient-wasm authz check`: would this request be allowed, and by which policy and rule?
//
// The answer is computed by build/identity-rbac.wasm itself: the policies are converted as `authz convert` does,
// loaded with the root_id of the mode at Envoy's trace log level, and one request (or connection, in mode l4) is
// sent through the emulator. The decision is what the filter did (403/401 local reply, closed connection, or
// forwarded); the deciding rule is the filter's decision log line; the per-rule explanation is the filter's
// trace lines (filters/identity-rbac/explain.ts). This module only reads them back and points at the YAML.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { convertYaml, formatError, locate, type ConvertError, type PolicyEntry, type PolicyOrigin } from "./convert.ts";
import { parseLabel } from "./convert-command.ts";
import { MODES, ROOT_IDS, httpAttributes, treatPolicy, type Mode } from "./enforcement.ts";
import { FILTER_WASM, verifyWithFilter } from "./verify.ts";

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
  --json                      print the explanation as JSON`;

/** Used only when no policy reads the destination IP (TEST-NET-1, RFC 5737): it cannot change the decision. */
const PLACEHOLDER_DESTINATION_IP = "192.0.2.1";

interface Request {
  mode: Mode;
  from: string | null;
  sourceIp: string | null;
  destinationIp: string;
  port: number;
  headers: [string, string][];
}

interface RuleExplanation {
  rule: number;
  result: "matched" | "failed" | "left-out";
  clause?: string;
  /** The clause as written in the policy. */
  written?: unknown;
  /** What the request offered the clause. */
  compared?: string;
}

interface PolicyExplanation {
  policy: string;
  action: string;
  dryRun: boolean;
  applied: boolean;
  matched: boolean;
  location: string;
  rules: RuleExplanation[];
  firstFailedClause?: RuleExplanation;
  note?: string;
}

export interface Explanation {
  mode: Mode;
  rootId: string;
  request: Record<string, unknown>;
  decision: "allow" | "deny";
  effect: string;
  decidedBy: { policy: string; action: string; rule: number; location: string } | { default: string };
  audit: string | null;
  dryRunDenied: string | null;
  policies: PolicyExplanation[];
}

type Obj = Record<string, unknown>;

function usage(message: string): number {
  console.error(`ambient-wasm authz check: ${message}\n\n${CHECK_USAGE}`);
  return 2;
}

/** Does any policy read this part of the connection? (to refuse a check that would need an invented value) */
function reads(specs: Obj[], sourceFields: string[], whenKeys: string[]): boolean {
  const text = JSON.stringify(specs);
  return sourceFields.some((f) => text.includes(`"${f}":`)) || whenKeys.some((k) => text.includes(`"key":"${k}"`));
}

function valueAt(spec: Obj, path: (string | number)[]): unknown {
  let v: unknown = spec;
  for (const seg of path) v = v !== null && typeof v === "object" ? (v as Obj)[seg as string] : undefined;
  return v;
}

/** `to[0].operation.methods` → ["to", 0, "operation", "methods"]. */
function clauseSegments(clause: string): (string | number)[] {
  return clause.split(/\.|(?=\[)/).filter((s) => s !== "" && s !== "(dropped)").map((s) => (s.startsWith("[") ? Number(s.slice(1, -1)) : s));
}

function comparedAttribute(clause: string, written: unknown, req: Request): string {
  const field = clause.split(".").pop() ?? "";
  const header = (name: string) => req.headers.find(([k]) => k === name)?.[1];
  const peer = req.from === null ? "no peer certificate (plaintext)" : `peer ${req.from}`;
  if (clause.endsWith("(dropped)")) return `only HTTP attributes, which mode ${req.mode} removes: matches nothing`;
  if (/rincipals$|amespaces$|erviceAccounts$/.test(field) && !/equestPrincipals$/.test(field)) return peer;
  if (/equestPrincipals$/.test(field)) return "no JWT: identity-rbac does not authenticate requests";
  if (/IpBlocks$|ipBlocks$/.test(field)) return `source ${req.sourceIp ?? "-"}`;
  if (/orts$/.test(field)) return `port ${req.port}`;
  if (/ethods$/.test(field)) return `method ${header(":method") ?? "- (none at L4)"}`;
  if (/osts$/.test(field)) return `host ${header(":authority") ?? "- (none at L4)"}`;
  if (/aths$/.test(field)) return `path ${header(":path") ?? "- (none at L4)"}`;
  if (clause.startsWith("when") && written && typeof written === "object") {
    const key = String((written as Obj).key);
    const h = /^request\.headers\[(.+)\]$/.exec(key);
    if (h) return `header ${h[1]}: ${header(h[1].toLowerCase()) ?? "absent"}`;
    if (key === "source.principal" || key === "source.namespace") return peer;
    if (key === "source.ip" || key === "remote.ip") return `source ${req.sourceIp ?? "-"}`;
    if (key === "destination.ip") return `destination ${req.destinationIp}`;
    if (key === "destination.port") return `port ${req.port}`;
    return `${key}: not available to identity-rbac`;
  }
  return "";
}

const RULE_ID = /^ns\[(.*)\]-policy\[(.*)\]-rule\[(\d+)\]$/;
const DECISION = /^identity-rbac: (allowed|denied|dry-run-denied|audited) policy=(\S+)/;
const EXPLAIN = /^identity-rbac: explain workload=\S+ policy=([^/\s]+)\/(\S+) action=(\S+) dry_run=(\S+) rule=(\S+) result=(\S+)(?: clause=(\S+))?$/;

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
    let text: string;
    try {
      text = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
    } catch (e) {
      errors.push({ file, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    const r = convertYaml(file, text, v.namespace ?? "default");
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

async function explain(
  req: Request,
  entries: { entry: PolicyEntry; origin: PolicyOrigin }[],
  workload: { namespace: string; labels: Record<string, string> },
  rootNamespace: string | undefined,
  leftOut: Map<string, Map<number, string[]>>,
): Promise<Explanation> {
  const { existsSync } = await import("node:fs");
  if (!existsSync(FILTER_WASM)) throw new Error(`${FILTER_WASM} is not built (run npm run build)`);
  const { Host, PluginLoadError } = await import("../../emulator/index.ts");
  const host = new Host({ logLevel: "trace" });
  const config: Obj = { workload, policies: entries.map((e) => e.entry) };
  if (rootNamespace) config.rootNamespace = rootNamespace;
  const rootId = ROOT_IDS[req.mode];
  let plugin;
  try {
    plugin = await host.loadPlugin({ module: FILTER_WASM, rootId, configuration: JSON.stringify(config) });
  } catch (e) {
    if (!(e instanceof PluginLoadError)) throw e;
    const reason = host.logs.find((l) => l.level === "error")?.message ?? e.message;
    throw new Error(`identity-rbac refused the configuration: ${reason}`);
  }
  const connection: Record<string, string | boolean> = { "connection.mtls": req.from !== null };
  if (req.from !== null) connection["connection.uri_san_peer_certificate"] = req.from;
  if (req.sourceIp !== null) connection["source.address"] = req.sourceIp.includes(":") ? `[${req.sourceIp}]:40000` : `${req.sourceIp}:40000`;
  if (req.mode !== "connect") connection["destination.address"] = req.destinationIp.includes(":") ? `[${req.destinationIp}]:${req.port}` : `${req.destinationIp}:${req.port}`;

  const firstLog = host.logs.length;
  let denied: boolean;
  let effect: string;
  if (req.mode === "l4") {
    const conn = host.tcpConnection({ filters: [plugin], properties: connection });
    conn.open();
    conn.downstreamData("x");
    denied = conn.closed !== null;
    effect = denied ? "connection closed" : "connection forwarded";
  } else {
    const s = host.httpStream({ filters: [plugin], connection });
    s.sendRequestHeaders(req.headers, true);
    const reply = s.localResponse;
    denied = reply !== null;
    effect = reply ? `local reply ${reply.status} (${reply.details})` : "request forwarded";
  }
  const logs = host.logs.slice(firstLog).map((l) => l.message);

  let decisionPolicy: string | null = null;
  let audit: string | null = null;
  let dryRunDenied: string | null = null;
  const byPolicy = new Map<string, PolicyExplanation>();
  const originOf = new Map(entries.map((e) => [e.origin.key, e]));
  for (const line of logs) {
    const d = DECISION.exec(line);
    if (d) {
      if (d[1] === "audited") audit = d[2];
      else if (d[1] === "dry-run-denied") dryRunDenied = d[2];
      else {
        decisionPolicy = d[2];
        if ((d[1] === "denied") !== denied) throw new Error(`the filter logged "${d[1]}" but the request was ${effect}`);
      }
      continue;
    }
    const x = EXPLAIN.exec(line);
    if (!x) continue;
    const key = `${x[1]}/${x[2]}`;
    const found = originOf.get(key)!;
    let p = byPolicy.get(key);
    if (!p) {
      const where = locate(found.origin, ["metadata", "name"]);
      p = { policy: key, action: x[3], dryRun: x[4] === "true", applied: true, matched: false, location: `${found.origin.file}:${where.line}:${where.col}`, rules: [] };
      byPolicy.set(key, p);
    }
    if (x[5] === "-") {
      p.note = "no rules: matches nothing";
      continue;
    }
    const rule = Number(x[5]);
    if (x[6] === "matched") {
      p.matched = true;
      p.rules.push({ rule, result: "matched" });
    } else {
      const clause = x[7];
      const written = valueAt(found.entry.spec, ["rules", rule, ...clauseSegments(clause)]);
      p.rules.push({ rule, result: "failed", clause, written, compared: comparedAttribute(clause, written, req) });
    }
  }
  if (decisionPolicy === null) throw new Error("the filter logged no decision");

  const policies: PolicyExplanation[] = [];
  for (const { entry, origin } of entries) {
    const where = locate(origin, ["metadata", "name"]);
    const p = byPolicy.get(origin.key) ?? {
      policy: origin.key, action: String(entry.spec.action ?? "ALLOW"), dryRun: entry.dryRun === true, applied: false, matched: false,
      location: `${origin.file}:${where.line}:${where.col}`, rules: [],
      note: notAppliedReason(entry, workload, rootNamespace ?? "istio-system", req.mode),
    };
    for (const [index, http] of leftOut.get(origin.key) ?? []) {
      if (p.applied) p.rules.push({ rule: index, result: "left-out", compared: `uses HTTP attributes (${http.join(", ")}), which mode ${req.mode} leaves out of an ALLOW policy` });
    }
    p.rules.sort((a, b) => a.rule - b.rule);
    if (p.applied && !p.matched) {
      p.firstFailedClause = p.rules.find((r) => r.result === "failed") ?? p.rules[0];
      if (p.rules.length > 0 && p.rules.every((r) => r.result === "left-out")) p.note = `every rule is left out in mode ${req.mode}: matches nothing`;
    }
    policies.push(p);
  }

  let decidedBy: Explanation["decidedBy"];
  const id = RULE_ID.exec(decisionPolicy);
  if (id) {
    const key = `${id[1]}/${id[2]}`;
    const p = policies.find((q) => q.policy === key);
    decidedBy = { policy: key, action: p?.action ?? "?", rule: Number(id[3]), location: p?.location ?? "" };
  } else if (denied) {
    decidedBy = { default: "deny: ALLOW policies apply to the workload and none of their rules matched" };
  } else {
    decidedBy = { default: "allow: no ALLOW policy applies to the workload and no DENY policy matched" };
  }
  const request: Record<string, unknown> = {
    from: req.from ?? "plaintext",
    workload: `${workload.namespace}${Object.keys(workload.labels).length ? "/" + Object.entries(workload.labels).map(([k, val]) => `${k}=${val}`).join(",") : ""}`,
    source: req.sourceIp,
    destination: `${req.destinationIp}:${req.port}`,
  };
  if (req.headers.length > 0) request.headers = req.headers;
  return { mode: req.mode, rootId, request, decision: denied ? "deny" : "allow", effect, decidedBy, audit, dryRunDenied, policies };
}

/** Why a policy the filter did not list did not apply (a description for the operator; the filter decided it). */
function notAppliedReason(entry: PolicyEntry, workload: { namespace: string; labels: Record<string, string> }, rootNamespace: string, mode: Mode): string {
  if (entry.namespace !== workload.namespace && entry.namespace !== rootNamespace) return `namespace ${entry.namespace} is neither the workload's nor the root namespace`;
  if (entry.spec.targetRef !== undefined || entry.spec.targetRefs !== undefined) return `attached to a waypoint (targetRef): ignored in mode ${mode}`;
  return "selector does not match the workload's labels";
}

function formatText(x: Explanation): string {
  const lines: string[] = [];
  lines.push(`${x.decision.toUpperCase()} (mode ${x.mode}, ${x.rootId}: ${x.effect})`);
  const r = x.request;
  lines.push(`request: from ${r.from} to ${r.workload} ${r.destination}${r.source ? ` source ${r.source}` : ""}` +
    (Array.isArray(r.headers) ? " " + (r.headers as [string, string][]).map(([k, val]) => `${k}=${val}`).join(" ") : ""));
  if ("default" in x.decidedBy) lines.push(`decided by: default ${x.decidedBy.default}`);
  else lines.push(`decided by: ${x.decidedBy.policy} rule ${x.decidedBy.rule} (${x.decidedBy.action}) at ${x.decidedBy.location}`);
  if (x.audit) lines.push(`audited by: ${x.audit}`);
  if (x.dryRunDenied) lines.push(`a dry-run policy would deny: ${x.dryRunDenied}`);
  const unmatched = x.policies.filter((p) => p.applied && !p.matched);
  if (unmatched.length > 0) {
    lines.push("applied but did not match:");
    for (const p of unmatched) {
      const f = p.firstFailedClause;
      let why = p.note ?? "";
      if (f && f.result === "failed") why = `rule ${f.rule}: ${f.clause} ${JSON.stringify(f.written)} vs ${f.compared}`;
      else if (f && !p.note) why = `rule ${f.rule}: ${f.compared}`;
      lines.push(`  ${p.policy} (${p.action}${p.dryRun ? ", dry-run" : ""}) at ${p.location}: ${why}`);
    }
  }
  const matchedOthers = x.policies.filter((p) => p.applied && p.matched && !("policy" in x.decidedBy && x.decidedBy.policy === p.policy));
  if (matchedOthers.length > 0) lines.push(`also matched (did not decide): ${matchedOthers.map((p) => `${p.policy} (${p.action})`).join(", ")}`);
  const notApplied = x.policies.filter((p) => !p.applied);
  if (notApplied.length > 0) {
    lines.push("did not apply:");
    for (const p of notApplied) lines.push(`  ${p.policy} at ${p.location}: ${p.note}`);
  }
  return lines.join("\n") + "\n";
}
