// Runs one request through build/identity-rbac.wasm at Envoy's trace level and reads back what the filter did
// and logged: the decision (local reply / closed connection / forwarded), the decision log line naming the rule,
// and the per-rule explanation lines (filters/identity-rbac/explain.ts). Nothing here decides anything: it only
// attaches the policy text (file position, the clause's values) and describes what the request offered.
import { existsSync } from "node:fs";
import { locate, type PolicyEntry, type PolicyOrigin } from "./convert.ts";
import { ROOT_IDS, type Mode } from "./enforcement.ts";
import { FILTER_WASM } from "./verify.ts";

export interface Request {
  mode: Mode;
  from: string | null;
  sourceIp: string | null;
  destinationIp: string;
  port: number;
  headers: [string, string][];
}

export interface RuleExplanation {
  rule: number;
  result: "matched" | "failed" | "left-out";
  clause?: string;
  /** The clause as written in the policy. */
  written?: unknown;
  /** What the request offered the clause. */
  compared?: string;
}

export interface PolicyExplanation {
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

function valueAt(spec: Obj, path: (string | number)[]): unknown {
  let v: unknown = spec;
  for (const seg of path) v = v !== null && typeof v === "object" ? (v as Obj)[seg as string] : undefined;
  return v;
}

/** `to[0].operation.methods` → ["to", 0, "operation", "methods"]. */
function clauseSegments(clause: string): (string | number)[] {
  return clause.split(/\.|(?=\[)/).filter((s) => s !== "" && s !== "(dropped)").map((s) => (s.startsWith("[") ? Number(s.slice(1, -1)) : s));
}

/** The request attribute each source/operation field compares. */
const FIELD_ATTRIBUTE: Record<string, "peer" | "jwt" | "source" | "port" | ":method" | ":authority" | ":path"> = {
  principals: "peer", notPrincipals: "peer", namespaces: "peer", notNamespaces: "peer", serviceAccounts: "peer", notServiceAccounts: "peer",
  requestPrincipals: "jwt", notRequestPrincipals: "jwt",
  ipBlocks: "source", notIpBlocks: "source", remoteIpBlocks: "source", notRemoteIpBlocks: "source",
  ports: "port", notPorts: "port", methods: ":method", notMethods: ":method", hosts: ":authority", notHosts: ":authority", paths: ":path", notPaths: ":path",
};
const WHEN_ATTRIBUTE: Record<string, "peer" | "source" | "destination" | "port"> = {
  "source.principal": "peer", "source.namespace": "peer", "source.ip": "source", "remote.ip": "source",
  "destination.ip": "destination", "destination.port": "port",
};

/** What the request offered the clause that failed, in words. */
function comparedAttribute(clause: string, written: unknown, req: Request): string {
  if (clause.endsWith("(dropped)")) return `only HTTP attributes, which mode ${req.mode} removes: matches nothing`;
  const header = (name: string) => req.headers.find(([k]) => k === name)?.[1];
  const describe = (attribute: string): string => {
    switch (attribute) {
      case "peer": return req.from === null ? "no peer certificate (plaintext)" : `peer ${req.from}`;
      case "jwt": return "no JWT: identity-rbac does not authenticate requests";
      case "source": return `source ${req.sourceIp ?? "-"}`;
      case "destination": return `destination ${req.destinationIp}`;
      case "port": return `port ${req.port}`;
      default: return `${attribute.slice(1).replace("authority", "host")} ${header(attribute) ?? "- (none at L4)"}`;
    }
  };
  if (!clause.startsWith("when")) return describe(FIELD_ATTRIBUTE[clause.split(".").pop() ?? ""] ?? "");
  const key = written !== null && typeof written === "object" ? String((written as Obj).key) : "";
  const h = /^request\.headers\[(.+)\]$/.exec(key);
  if (h) return `header ${h[1]}: ${header(h[1].toLowerCase()) ?? "absent"}`;
  if (WHEN_ATTRIBUTE[key]) return describe(WHEN_ATTRIBUTE[key]);
  if (key === "connection.sni") return "no SNI (authz check sends none)";
  return `${key}: never present (identity-rbac does not authenticate requests)`;
}

const RULE_ID = /^ns\[(.*)\]-policy\[(.*)\]-rule\[(\d+)\]$/;
const DECISION = /^identity-rbac: (allowed|denied|dry-run-denied|audited) policy=(\S+)/;
const EXPLAIN = /^identity-rbac: explain workload=\S+ policy=([^/\s]+)\/(\S+) action=(\S+) dry_run=(\S+) rule=(\S+) result=(\S+)(?: clause=(\S+))?$/;

export async function explain(
  req: Request,
  entries: { entry: PolicyEntry; origin: PolicyOrigin }[],
  workload: { namespace: string; labels: Record<string, string> },
  rootNamespace: string | undefined,
  leftOut: Map<string, Map<number, string[]>>,
): Promise<Explanation> {
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
