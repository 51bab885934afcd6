// Plugin configuration (JSON):
// {
//   "workload":  {"name": "httpbin", "namespace": "foo", "labels": {"app": "httpbin"}, "addresses": ["10.0.0.5"]},
//   "workloads": [ ...same shape... ],           // instead of "workload": several workloads, picked by address
//   "rootNamespace": "istio-system",             // default istio-system
//   "policies": [{"name": "allow-sleep", "namespace": "foo", "dryRun": false, "spec": { AuthorizationPolicy spec }}],
//   "dryRun": false,                             // log and count denials without enforcing them
//   "denyResponse": {"status": 403, "body": "RBAC: access denied"},   // HTTP modes
//   "statPrefix": "identity_rbac",
//   "peerPrincipalFilterState": "io.istio.peer_principal"  // peer from Envoy's set_filter_state, not the TLS socket
// }
import { ConfigErrors, ConfigReader } from "../../lib/config-reader";
import { IpAddress, parseIp } from "../../lib/address";
import { JsonValue } from "../../lib/json";
import { readPeerPrincipalKey } from "../../lib/peer-principal";
import { Mode, modeName, usesZtunnelSemantics } from "./mode";
import { Policy } from "./policy";
import { parsePolicy } from "./policy-parser";
import { lowerForZtunnel } from "./ztunnel-lowering";
import { ProtectedWorkload, policyApplies } from "./protected-workload";

export class PluginConfig {
  workloads: Array<ProtectedWorkload> = [];
  /** The workload without addresses, used when no address matches (null = unknown destinations are denied). */
  catchAll: ProtectedWorkload | null = null;
  rootNamespace: string = "istio-system";
  dryRun: bool = false;
  denyStatus: i32 = 403;
  denyBody: string = "RBAC: access denied";
  statPrefix: string = "";
  policyCount: i32 = 0;
  /**
   * Filter-state key holding the peer's URI SAN(s) as Envoy's set_filter_state formatted them
   * (`%DOWNSTREAM_PEER_URI_SAN%`), for listeners that do not terminate the mTLS themselves; "" = the connection's
   * own certificate (`connection.uri_san_peer_certificate`).
   */
  peerPrincipalFilterState: string = "";

  constructor(public mode: Mode, public errors: ConfigErrors) {}

  get ok(): bool {
    return this.errors.ok;
  }

  /** The workload a connection/request is for, by destination IP; the catch-all when none has that address. */
  workloadFor(ip: IpAddress | null): ProtectedWorkload | null {
    if (ip !== null) {
      for (let i = 0; i < this.workloads.length; i++) {
        const w = unchecked(this.workloads[i]);
        if (w.hasAddress(ip)) return w;
      }
    }
    return this.catchAll;
  }

  /** True when choosing the workload needs the destination address. */
  get selectsByAddress(): bool {
    return this.workloads.length > 1 || this.catchAll === null;
  }
}

const LABEL_NAME_MAX: i32 = 317; // prefix (253) + "/" + name (63)

function parseWorkload(w: ConfigReader): ProtectedWorkload {
  const workload = new ProtectedWorkload(w.optionalString("name", "", false), w.requiredString("namespace"), w.optionalStringMap("labels"));
  const addresses = w.optionalArray("addresses");
  const texts = addresses.strings();
  for (let i = 0; i < texts.length; i++) {
    const ip = parseIp(unchecked(texts[i]));
    if (ip === null) addresses.fail(i, "expected an IP address");
    else workload.addresses.push(ip);
  }
  const keys = workload.labels.keys();
  for (let i = 0; i < keys.length; i++) {
    const k = unchecked(keys[i]);
    if (k.length == 0 || k.length > LABEL_NAME_MAX) w.fail("labels", "bad label name \"" + k + "\"");
  }
  w.finish();
  return workload;
}

function isStatName(s: string): bool {
  if (s.length == 0 || s.length > 128) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2e;
    if (!ok) return false;
  }
  return s.charCodeAt(0) != 0x2e && s.charCodeAt(s.length - 1) != 0x2e;
}

/** Parses and compiles the configuration. Errors (with JSON paths) are in `config.errors`; check `ok`. */
export function parseConfig(text: string, mode: Mode): PluginConfig {
  const r = ConfigReader.fromText(text);
  const errors = r.errors;
  const config = new PluginConfig(mode, errors);
  if (!errors.ok) return config;

  config.rootNamespace = r.optionalString("rootNamespace", "istio-system", false);
  config.dryRun = r.optionalBool("dryRun", false);
  config.statPrefix = r.optionalString("statPrefix", "identity_rbac." + modeName(mode), false);
  if (r.has("statPrefix") && !isStatName(config.statPrefix)) r.fail("statPrefix", "use lower-case letters, digits, '_' and '.'");

  config.peerPrincipalFilterState = readPeerPrincipalKey(r);

  const deny = r.optionalObject("denyResponse");
  if (mode == Mode.Connect) {
    config.denyStatus = 401;
    config.denyBody = "";
  }
  if (deny !== null) {
    if (mode == Mode.L4) deny.failHere("a network filter denies by closing the connection (HTTP modes only)");
    config.denyStatus = <i32>deny.requiredInt("status", 200, 599);
    config.denyBody = deny.optionalString("body", "", true);
    deny.finish();
  }

  if (r.has("workload") && r.has("workloads")) r.failHere("set either workload or workloads, not both");
  const single = r.optionalObject("workload");
  if (single !== null) config.workloads.push(parseWorkload(single));
  const list = r.optionalArray("workloads");
  for (let i = 0; i < list.length; i++) config.workloads.push(parseWorkload(list.object(i)));
  if (single === null && list.length == 0) r.failHere("a workload is required (\"workload\": {\"namespace\": ...})");
  for (let i = 0; i < config.workloads.length; i++) {
    const w = unchecked(config.workloads[i]);
    for (let k = 0; k < w.addresses.length; k++) {
      const ip = unchecked(w.addresses[k]);
      for (let j = 0; j < i; j++) {
        if (unchecked(config.workloads[j]).hasAddress(ip)) r.fail("workloads", "address " + ip.toString() + " belongs to two workloads");
      }
    }
    if (w.addresses.length > 0) continue;
    if (config.catchAll !== null) r.fail(single !== null ? "workload" : "workloads", "only one workload may omit addresses");
    config.catchAll = w;
  }

  const policiesArray = r.requiredArray("policies");
  const policies = new Array<Policy>();
  const firstPath = new Map<string, string>(); // "namespace/name" → the path of the policy that has it
  for (let i = 0; i < policiesArray.length; i++) {
    const p = policiesArray.object(i);
    const name = p.requiredString("name");
    const namespace = p.requiredString("namespace");
    const dryRun = p.optionalBool("dryRun", false);
    const spec = p.optionalObject("spec");
    p.finish();
    const key = namespace + "/" + name;
    if (firstPath.has(key)) policiesArray.fail(i, "duplicate policy " + key + " (also at " + firstPath.get(key) + ")");
    else firstPath.set(key, policiesArray.pathOf(i));
    const specReader = spec !== null ? spec : new ConfigReader(JsonValue.newObject(), p.pathOf("spec"), errors);
    const policy = parsePolicy(name, namespace, dryRun, specReader);
    policies.push(policy);
  }
  r.finish();
  if (!errors.ok) return config;

  config.policyCount = policies.length;
  for (let i = 0; i < policies.length; i++) {
    const policy = unchecked(policies[i]);
    if (usesZtunnelSemantics(mode)) lowerForZtunnel(policy);
    for (let k = 0; k < config.workloads.length; k++) {
      const w = unchecked(config.workloads[k]);
      if (policyApplies(policy, w, config.rootNamespace, mode == Mode.L7)) w.policies.add(policy);
    }
  }
  return config;
}
