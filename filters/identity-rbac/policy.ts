// The compiled form of AuthorizationPolicy specs: everything parsed and validated at configure time, so a
// request only compares strings, CIDRs and integers. Empty lists mean "field not set" (matches anything).
import { formatInt } from "../../sdk";
import { Cidr } from "../../lib/cidr";
import { IstioStringMatch, PathTemplate } from "../../lib/istio-match";

export enum Action {
  Allow = 0,
  Deny = 1,
  Audit = 2,
}

export function actionName(action: Action): string {
  if (action == Action.Allow) return "ALLOW";
  if (action == Action.Deny) return "DENY";
  return "AUDIT";
}

/** A `namespaces` value: the string match (ztunnel, on the SPIFFE namespace) and the glob form of Istio's Envoy regex (any, "/ns/<v>/", any). */
export class NamespaceMatch {
  constructor(public match: IstioStringMatch, public envoyGlob: string) {}
}

/** One `from[].source`. Fields are ANDed; values inside a field are ORed; `not*` fields must not match. */
export class SourceMatch {
  principals: Array<IstioStringMatch> = [];
  notPrincipals: Array<IstioStringMatch> = [];
  namespaces: Array<NamespaceMatch> = [];
  notNamespaces: Array<NamespaceMatch> = [];
  /** As written (`<ns>/<sa>` or `<sa>`); `policyNamespace` completes the short form. */
  serviceAccounts: Array<string> = [];
  notServiceAccounts: Array<string> = [];
  ipBlocks: Array<Cidr> = [];
  notIpBlocks: Array<Cidr> = [];
  remoteIpBlocks: Array<Cidr> = [];
  notRemoteIpBlocks: Array<Cidr> = [];
  /** JWT request principals: never present (identity-rbac does not authenticate requests), so only counts matter. */
  requestPrincipals: i32 = 0;
  notRequestPrincipals: i32 = 0;
  /** Set by the ztunnel lowering when nothing enforceable is left: the source then matches nothing. */
  neverMatches: bool = false;

  constructor(public policyNamespace: string) {}

  hasHttpFields(): bool {
    return this.remoteIpBlocks.length > 0 || this.notRemoteIpBlocks.length > 0 || this.requestPrincipals > 0 ||
      this.notRequestPrincipals > 0;
  }

  hasL4Fields(): bool {
    return this.principals.length > 0 || this.notPrincipals.length > 0 || this.namespaces.length > 0 ||
      this.notNamespaces.length > 0 || this.serviceAccounts.length > 0 || this.notServiceAccounts.length > 0 ||
      this.ipBlocks.length > 0 || this.notIpBlocks.length > 0;
  }
}

/** `paths` entry: an Istio string match ("*" = non-empty), or a `{*}`/`{**}` template. */
export class PathMatch {
  constructor(public match: IstioStringMatch | null, public template: PathTemplate | null) {}

  /** `path` without query string and fragment. */
  matches(path: string): bool {
    const template = this.template;
    if (template !== null) return template.matches(path);
    return this.match!.matches(path);
  }
}

/** One `to[].operation`. */
export class OperationMatch {
  ports: Array<i32> = [];
  notPorts: Array<i32> = [];
  /** Compiled from lower-cased values: hosts match case-insensitively (Istio HostMatcher). */
  hosts: Array<IstioStringMatch> = [];
  notHosts: Array<IstioStringMatch> = [];
  methods: Array<IstioStringMatch> = [];
  notMethods: Array<IstioStringMatch> = [];
  paths: Array<PathMatch> = [];
  notPaths: Array<PathMatch> = [];
  neverMatches: bool = false;

  hasHttpFields(): bool {
    return this.hosts.length > 0 || this.notHosts.length > 0 || this.methods.length > 0 || this.notMethods.length > 0 ||
      this.paths.length > 0 || this.notPaths.length > 0;
  }
}

/** The attribute a `when` condition reads. */
export enum ConditionKey {
  SourceIp = 0,
  SourceNamespace = 1,
  SourcePrincipal = 2,
  DestinationIp = 3,
  DestinationPort = 4,
  // HTTP (or at least not enforced by ztunnel) from here on.
  RemoteIp = 5,
  RequestHeader = 6,
  ConnectionSni = 7,
  /** request.auth.principal / audiences / presenter / claims[...]: never present without JWT authentication. */
  RequestAuth = 8,
}

export function isL4ConditionKey(key: ConditionKey): bool {
  return key <= ConditionKey.DestinationPort;
}

/** One `when` entry: `values` (any must match) and `notValues` (none may match). */
export class Condition {
  /** Lower-cased header name for RequestHeader. */
  header: string = "";
  patterns: Array<IstioStringMatch> = [];
  notPatterns: Array<IstioStringMatch> = [];
  /** source.namespace values in both forms. */
  namespaces: Array<NamespaceMatch> = [];
  notNamespaces: Array<NamespaceMatch> = [];
  cidrs: Array<Cidr> = [];
  notCidrs: Array<Cidr> = [];
  ports: Array<i32> = [];
  notPorts: Array<i32> = [];
  /** Number of values/notValues, for keys whose attribute is never present. */
  valueCount: i32 = 0;
  notValueCount: i32 = 0;
  neverMatches: bool = false;

  constructor(public key: ConditionKey, public keyText: string) {}
}

export class Rule {
  /** `from[].source`; empty = not set (any source). */
  sources: Array<SourceMatch> = [];
  /** `to[].operation`; empty = any operation. */
  operations: Array<OperationMatch> = [];
  /** `when`; all must hold. */
  conditions: Array<Condition> = [];

  constructor(
    /** Index in the policy's `rules` as written (kept when ztunnel lowering drops other rules). */
    public index: i32,
    /** `ns[<ns>]-policy[<name>]-rule[<index>]`, Istio's RBAC policy name. */
    public id: string,
  ) {}

  hasHttpFields(): bool {
    for (let i = 0; i < this.sources.length; i++) if (unchecked(this.sources[i]).hasHttpFields()) return true;
    for (let i = 0; i < this.operations.length; i++) if (unchecked(this.operations[i]).hasHttpFields()) return true;
    for (let i = 0; i < this.conditions.length; i++) if (!isL4ConditionKey(unchecked(this.conditions[i]).key)) return true;
    return false;
  }
}

export class Policy {
  rules: Array<Rule> = [];
  /** `selector.matchLabels` (null = no selector: every workload in scope). */
  selector: Map<string, string> | null = null;
  /** Attached with targetRef/targetRefs (waypoint style) instead of a selector. */
  targeted: bool = false;

  constructor(public name: string, public namespace: string, public action: Action, public dryRun: bool) {}
}

export function ruleId(namespace: string, name: string, index: i32): string {
  return "ns[" + namespace + "]-policy[" + name + "]-rule[" + formatInt(index) + "]";
}
