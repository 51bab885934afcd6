// AuthorizationPolicy → Envoy's native RBAC filters (envoy.filters.http.rbac and envoy.filters.network.rbac), the
// way istiod builds them for a workload: one RBAC filter per action (AUDIT → LOG, DENY, ALLOW, in that order), one
// Envoy policy `ns[<ns>]-policy[<name>]-rule[<i>]` per rule, dry-run policies as shadow rules.
//
// The mapping follows istio/istio:pilot/pkg/security/authz/model/model.go and generator.go:
//   - each `from` is one principal, each `to` one permission (Envoy ORs the lists); inside one, every field is ANDed
//     and the values of a field are ORed, `not*` values become a `not_id`/`not_rule` of their OR; `when` conditions
//     are appended to every `from` (source attributes) or `to` (destination attributes);
//   - principals → the peer certificate's URI SAN (`authenticated.principal_name`, with "spiffe://" prepended),
//     namespaces → regex `.*/ns/<ns>/.*` on it, ipBlocks → direct_remote_ip, remoteIpBlocks → remote_ip,
//     ports → destination_port, methods → `:method`, paths → url_path, hosts → `:authority` (case-insensitive);
//   - in the network filter HTTP-only fields cannot be checked: a rule of an ALLOW policy using one is dropped (it
//     allows less), a DENY or AUDIT rule keeps its other fields (it denies more) — istio/istio:pilot/pkg/security/
//     authz/model/model.go `checkError`.
// Two deliberate differences from istiod, because plain Envoy runs neither Istio's metadata exchange nor jwt_authn:
// the peer principal is read from the certificate (`authenticated`), not from the `io.istio.peer_principal` filter
// state; request principals / audiences / presenters / claims never match (no JWT is ever validated), so their
// `not*` forms always match.
import type { PolicyEntry } from "./convert.ts";

export interface EnvoyRbacWorkload {
  namespace: string;
  labels: Record<string, string>;
}

export interface EnvoyRbacOptions {
  workload: EnvoyRbacWorkload;
  rootNamespace?: string;
  /**
   * What the network filter means by a DENY rule whose every condition is HTTP-only: "sidecar" (istiod's sidecar
   * filter: the conditions are dropped, so the rule denies every connection) or "ztunnel" (what istiod sends
   * ztunnel, and identity-rbac-l4 enforces: nothing enforceable is left, so the rule never fires;
   * istio/istio:pilot/pkg/serviceregistry/ambient/authorization.go).
   */
  networkSemantics?: "sidecar" | "ztunnel";
}

export interface EnvoyRbacResult {
  /** HTTP filters, to put before the router. */
  http: RbacFilter[];
  /** Network filters, to put before tcp_proxy. */
  network: RbacFilter[];
  /** Policies or rules that do not apply or cannot be expressed, as messages. */
  notes: string[];
}

export interface RbacFilter {
  name: string;
  typed_config: Record<string, unknown>;
}

type Json = Record<string, unknown>;
type Action = "ALLOW" | "DENY" | "LOG";

const HTTP_RBAC = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC";
const NETWORK_RBAC = "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC";
const ANY_REGEX = { safe_regex: { regex: ".+" } };
const NEVER = { not_id: { any: true } };

class HttpOnly extends Error {}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/** Istio's string matching: "*" any non-empty, "*x" suffix, "x*" prefix, else exact (istio/istio:pilot/pkg/security/authz/matcher/string.go). */
function stringMatch(value: string, prefix = "", ignoreCase = false): Json {
  const ic = ignoreCase ? { ignore_case: true } : {};
  if (value === "*") return ANY_REGEX;
  if (value.startsWith("*")) return { suffix: value.slice(1), ...ic };
  if (value.endsWith("*")) return { prefix: prefix + value.slice(0, -1), ...ic };
  return { exact: prefix + value, ...ic };
}

function headerMatch(name: string, value: string, ignoreCase = false): Json {
  if (value === "*") return { name, present_match: true };
  return { name, string_match: stringMatch(value, "", ignoreCase) };
}

function cidr(value: string): Json {
  const [address, len] = value.split("/");
  const prefixLen = len !== undefined ? Number(len) : address.includes(":") ? 128 : 32;
  if (!/^[0-9a-fA-F:.]+$/.test(address) || !Number.isInteger(prefixLen)) throw new Error(`invalid IP or CIDR "${value}"`);
  return { address_prefix: address, prefix_len: prefixLen };
}

function regexEscape(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

type Gen = (value: string, forTCP: boolean) => Json;

const principalGen: Record<string, Gen> = {
  principals: (v) => ({ authenticated: { principal_name: stringMatch(v, "spiffe://") } }),
  namespaces: (v) => ({ authenticated: { principal_name: { safe_regex: { regex: `.*/ns/${regexEscape(v).replace(/\*/g, ".*")}/.*` } } } }),
  ipBlocks: (v) => ({ direct_remote_ip: cidr(v) }),
  remoteIpBlocks: (v) => ({ remote_ip: cidr(v) }),
  requestPrincipals: (_v, forTCP) => {
    if (forTCP) throw new HttpOnly();
    return NEVER;
  },
};

const permissionGen: Record<string, Gen> = {
  hosts: (v, forTCP) => {
    if (forTCP) throw new HttpOnly();
    return { header: headerMatch(":authority", v, true) };
  },
  methods: (v, forTCP) => {
    if (forTCP) throw new HttpOnly();
    return { header: headerMatch(":method", v) };
  },
  paths: (v, forTCP) => {
    if (forTCP) throw new HttpOnly();
    // `{*}` (one segment) and `{**}` (any number) make the path a template, matched by Envoy's URI template matcher.
    if (v.includes("{*}") || v.includes("{**}")) {
      return {
        uri_template: {
          name: "envoy.path.match.uri_template.uri_template_matcher",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig",
            path_template: v.replace(/\{\*\*\}/g, "**").replace(/\{\*\}/g, "*"),
          },
        },
      };
    }
    return { url_path: { path: stringMatch(v) } };
  },
  ports: (v) => {
    const port = Number(v);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port "${v}"`);
    return { destination_port: port };
  },
};

/** `when` keys → which side they belong to and how each value maps. */
function whenGenerator(key: string): { side: "principal" | "permission"; gen: Gen } {
  const header = /^request\.headers\[(.+)\]$/.exec(key);
  if (header) return { side: "principal", gen: (v, tcp) => { if (tcp) throw new HttpOnly(); return { header: headerMatch(header[1], v) }; } };
  if (key.startsWith("request.auth.")) return { side: "principal", gen: principalGen.requestPrincipals };
  switch (key) {
    case "source.ip": return { side: "principal", gen: principalGen.ipBlocks };
    case "remote.ip": return { side: "principal", gen: principalGen.remoteIpBlocks };
    case "source.namespace": return { side: "principal", gen: principalGen.namespaces };
    case "source.principal": return { side: "principal", gen: principalGen.principals };
    case "destination.ip": return { side: "permission", gen: (v) => ({ destination_ip: cidr(v) }) };
    case "destination.port": return { side: "permission", gen: permissionGen.ports };
    case "connection.sni": return { side: "permission", gen: (v) => ({ requested_server_name: stringMatch(v) }) };
    default: throw new Error(`unknown when key "${key}"`);
  }
}

interface Field { gen: Gen; values: string[]; notValues: string[] }

interface Tally { dropped: number; kept: number }

/** The AND of one field list, or null when an ALLOW rule uses a field the filter cannot check. */
function conjunction(fields: Field[], forTCP: boolean, action: Action, kind: "principal" | "permission", tally: Tally): Json | null {
  const and: Json[] = [];
  for (const f of fields) {
    for (const [values, negate] of [[f.values, false], [f.notValues, true]] as const) {
      const or: Json[] = [];
      for (const v of values) {
        try {
          or.push(f.gen(v, forTCP));
          tally.kept++;
        } catch (e) {
          if (!(e instanceof HttpOnly)) throw e;
          if (action === "ALLOW") return null;
          tally.dropped++;
        }
      }
      if (or.length === 0) continue;
      const any = kind === "principal" ? { or_ids: { ids: or } } : { or_rules: { rules: or } };
      and.push(negate ? (kind === "principal" ? { not_id: any } : { not_rule: any }) : any);
    }
  }
  if (and.length === 0) and.push({ any: true });
  return kind === "principal" ? { and_ids: { ids: and } } : { and_rules: { rules: and } };
}

function field(gen: Gen, obj: Json, key: string): Field {
  const notKey = `not${key[0].toUpperCase()}${key.slice(1)}`;
  return { gen, values: strings(obj[key]), notValues: strings(obj[notKey]) };
}

/** serviceAccounts: `<sa>` (in the policy's namespace) or `<ns>/<sa>`, as a regex over the SPIFFE id. */
function serviceAccountGen(policyNamespace: string): Gen {
  return (v) => {
    const slash = v.indexOf("/");
    const [ns, sa] = slash < 0 ? [policyNamespace, v] : [v.slice(0, slash), v.slice(slash + 1)];
    return { authenticated: { principal_name: { safe_regex: { regex: `spiffe://.+/ns/${regexEscape(ns)}/(.+/|)sa/${regexEscape(sa)}(/.+)?` } } } };
  };
}

/** One Envoy RBAC policy for one AuthorizationPolicy rule, or null when the rule cannot match in this filter. */
function rulePolicy(rule: Json, forTCP: boolean, action: Action, ztunnel: boolean, policyNamespace: string): Json | null {
  const tally: Tally = { dropped: 0, kept: 0 };
  const whenPrincipals: Field[] = [];
  const whenPermissions: Field[] = [];
  for (const c of (rule.when as Json[] | undefined) ?? []) {
    const w = whenGenerator(String(c.key));
    (w.side === "principal" ? whenPrincipals : whenPermissions).push({ gen: w.gen, values: strings(c.values), notValues: strings(c.notValues) });
  }
  const froms = (rule.from as Json[] | undefined) ?? [];
  const tos = (rule.to as Json[] | undefined) ?? [];
  const principals: Json[] = [];
  for (const from of froms.length ? froms : [{}]) {
    const s = (from.source ?? {}) as Json;
    const fields = ["principals", "requestPrincipals", "namespaces", "remoteIpBlocks", "ipBlocks"].map((k) => field(principalGen[k], s, k));
    fields.push(field(serviceAccountGen(policyNamespace), s, "serviceAccounts"));
    const p = conjunction([...fields, ...whenPrincipals], forTCP, action, "principal", tally);
    if (p === null) return null;
    principals.push(p);
  }
  const permissions: Json[] = [];
  for (const to of tos.length ? tos : [{}]) {
    const o = (to.operation ?? {}) as Json;
    const fields = ["hosts", "methods", "paths", "ports"].map((k) => field(permissionGen[k], o, k));
    const p = conjunction([...fields, ...whenPermissions], forTCP, action, "permission", tally);
    if (p === null) return null;
    permissions.push(p);
  }
  if (ztunnel && tally.dropped > 0 && tally.kept === 0) return null;
  return { permissions, principals };
}

/** Whether a policy applies to the workload: its namespace or the root namespace, and its selector's labels. */
export function appliesTo(p: PolicyEntry, o: EnvoyRbacOptions): string | true {
  const spec = p.spec as Json;
  if (spec.targetRef || spec.targetRefs) return `${p.namespace}/${p.name}: targetRef(s) attach a policy to a gateway or waypoint, not to this workload; left out`;
  if (p.namespace !== o.workload.namespace && p.namespace !== (o.rootNamespace ?? "istio-system")) return `${p.namespace}/${p.name}: another namespace; does not apply`;
  const match = ((spec.selector as Json | undefined)?.matchLabels ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(match)) if (o.workload.labels[k] !== v) return `${p.namespace}/${p.name}: selector does not match the workload; does not apply`;
  return true;
}

function buildFilters(policies: PolicyEntry[], forTCP: boolean, o: EnvoyRbacOptions, notes: string[]): RbacFilter[] {
  const byAction = new Map<Action, { rules: Json; shadow: Json; any: boolean; anyShadow: boolean }>();
  for (const p of policies) {
    const spec = p.spec as Json;
    const actionName = String(spec.action ?? "ALLOW");
    if (actionName === "CUSTOM") {
      if (!forTCP) notes.push(`${p.namespace}/${p.name}: CUSTOM needs an external authorizer (ext_authz); left out`);
      continue;
    }
    const action: Action = actionName === "AUDIT" ? "LOG" : (actionName as Action);
    const entry = byAction.get(action) ?? { rules: {}, shadow: {}, any: false, anyShadow: false };
    byAction.set(action, entry);
    // An ALLOW policy without rules allows nothing: its (empty) filter still denies everything else.
    if (p.dryRun) entry.anyShadow = true;
    else entry.any = true;
    ((spec.rules as Json[] | undefined) ?? []).forEach((rule, i) => {
      const policy = rulePolicy(rule ?? {}, forTCP, action, forTCP && o.networkSemantics === "ztunnel", p.namespace);
      const name = `ns[${p.namespace}]-policy[${p.name}]-rule[${i}]`;
      if (policy === null) {
        notes.push(action === "ALLOW"
          ? `${name}: uses HTTP-only fields, so the network RBAC filter leaves this ALLOW rule out (it allows less)`
          : `${name}: only HTTP-only conditions, so with ztunnel semantics the network RBAC filter leaves this rule out`);
        return;
      }
      (p.dryRun ? entry.shadow : entry.rules)[name] = policy;
    });
  }
  const filters: RbacFilter[] = [];
  for (const action of ["LOG", "DENY", "ALLOW"] as Action[]) {
    const e = byAction.get(action);
    if (!e) continue;
    const config: Json = { "@type": forTCP ? NETWORK_RBAC : HTTP_RBAC };
    if (forTCP) config.stat_prefix = "tcp.";
    if (e.any) config.rules = { action, policies: e.rules };
    if (e.anyShadow) {
      config.shadow_rules = { action, policies: e.shadow };
      config.shadow_rules_stat_prefix = action === "DENY" ? "istio_dry_run_deny_" : "istio_dry_run_allow_";
    }
    filters.push({ name: forTCP ? "envoy.filters.network.rbac" : "envoy.filters.http.rbac", typed_config: config });
  }
  return filters;
}

export function toEnvoyRbac(policies: PolicyEntry[], options: EnvoyRbacOptions): EnvoyRbacResult {
  const notes: string[] = [];
  const applicable = policies.filter((p) => {
    const a = appliesTo(p, options);
    if (a !== true) notes.push(a);
    return a === true;
  });
  return { http: buildFilters(applicable, false, options, notes), network: buildFilters(applicable, true, options, notes), notes };
}
