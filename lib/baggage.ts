// W3C `baggage` header (https://www.w3.org/TR/baggage/) and the Istio peer-metadata keys carried in it
// (docs/envoy-facts.md: baggage-format). The same text is stored in filter state `wasm.upstream_peer` / `wasm.downstream_peer`.

import { StringBuilder, isToken, trimOws } from "./strings";
import { percentDecode, percentEncode } from "./percent";

/** W3C limits: a header over 8192 bytes or with more than 64 list members is rejected as a whole. */
export const BAGGAGE_MAX_BYTES: i32 = 8192;
export const BAGGAGE_MAX_MEMBERS: i32 = 64;

export class BaggageMember {
  constructor(public readonly key: string, public readonly value: string) {}
}

/** Parsed baggage: valid members in header order; malformed members are skipped and counted. */
export class Baggage {
  members: Array<BaggageMember> = new Array<BaggageMember>();
  /** Members dropped because their key, value or percent-encoding was malformed. */
  skipped: i32 = 0;

  /** The value of the last member named `key` (later duplicates win, as ztunnel and Istio's proxy read them). */
  get(key: string): string | null {
    for (let i = this.members.length - 1; i >= 0; i--) {
      const m = unchecked(this.members[i]);
      if (m.key == key) return m.value;
    }
    return null;
  }

  has(key: string): bool {
    return this.get(key) !== null;
  }

  /** Header text of the members (values percent-encoded where W3C requires). */
  toString(): string {
    const out = new StringBuilder(64);
    for (let i = 0; i < this.members.length; i++) {
      if (i > 0) out.appendCharCode(0x2c);
      const m = unchecked(this.members[i]);
      out.append(m.key).appendCharCode(0x3d).append(encodeBaggageValue(m.value));
    }
    return out.toString();
  }
}

/** W3C `baggage-octet`: printable ASCII except space, `"`, `,`, `;` and `\`. */
export function isBaggageOctet(c: i32): bool {
  return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

function isBaggageValueSafe(c: i32): bool {
  return isBaggageOctet(c) && c != 0x25; // `%` itself must be encoded
}

/** Percent-encodes what W3C baggage values cannot carry raw (Kubernetes names pass through unchanged). */
export function encodeBaggageValue(value: string): string {
  return percentEncode(value, isBaggageValueSafe);
}

/**
 * Parses a `baggage` header value. Returns null when it exceeds 8192 bytes or 64 list members. Otherwise
 * empty list members are ignored, OWS around `,` `=` `;` is allowed, properties (`;...`) are dropped,
 * values are percent-decoded (UTF-8), and a member with a non-token key, a character outside
 * `baggage-octet` or a bad `%` escape is skipped (counted in `skipped`) without affecting the others.
 * Several header lines can be passed joined with ",".
 */
export function parseBaggage(header: string): Baggage | null {
  if (header.length > BAGGAGE_MAX_BYTES || String.UTF8.byteLength(header) > BAGGAGE_MAX_BYTES) return null;
  const baggage = new Baggage();
  let count = 0;
  let start = 0;
  const n = header.length;
  for (let i = 0; i <= n; i++) {
    if (i < n && header.charCodeAt(i) != 0x2c) continue;
    const raw = trimOws(header.substring(start, i));
    start = i + 1;
    if (raw.length == 0) continue;
    if (++count > BAGGAGE_MAX_MEMBERS) return null;
    const member = parseMember(raw);
    if (member === null) baggage.skipped++;
    else baggage.members.push(member);
  }
  return baggage;
}

function parseMember(raw: string): BaggageMember | null {
  const semicolon = raw.indexOf(";");
  const pair = semicolon >= 0 ? raw.substring(0, semicolon) : raw;
  if (semicolon >= 0 && !propertiesWellFormed(raw.substring(semicolon + 1))) return null;
  const eq = pair.indexOf("=");
  if (eq < 0) return null;
  const key = trimOws(pair.substring(0, eq));
  const rawValue = trimOws(pair.substring(eq + 1));
  if (!isToken(key)) return null;
  for (let i = 0, n = rawValue.length; i < n; i++) if (!isBaggageOctet(rawValue.charCodeAt(i))) return null;
  const value = percentDecode(rawValue);
  if (value === null) return null;
  return new BaggageMember(key, value);
}

/** `property = key OWS "=" OWS value / key OWS`, separated by `;`. Only checked, never returned. */
function propertiesWellFormed(text: string): bool {
  let start = 0;
  const n = text.length;
  for (let i = 0; i <= n; i++) {
    if (i < n && text.charCodeAt(i) != 0x3b) continue;
    const property = text.substring(start, i);
    start = i + 1;
    const eq = property.indexOf("=");
    const key = trimOws(eq >= 0 ? property.substring(0, eq) : property);
    if (!isToken(key)) return false;
    if (eq >= 0) {
      const value = trimOws(property.substring(eq + 1));
      for (let k = 0, m = value.length; k < m; k++) if (!isBaggageOctet(value.charCodeAt(k))) return false;
    }
  }
  return true;
}

// ---- Istio peer metadata -------------------------------------------------------------------------------

export const KEY_CLUSTER = "k8s.cluster.name";
export const KEY_NAMESPACE = "k8s.namespace.name";
export const KEY_SERVICE_NAME = "service.name";
export const KEY_SERVICE_VERSION = "service.version";
export const KEY_APP_NAME = "app.name";
export const KEY_APP_VERSION = "app.version";
export const KEY_INSTANCE = "k8s.instance.name";
export const KEY_REGION = "cloud.region";
export const KEY_ZONE = "cloud.availability_zone";

/** Workload kinds that have a `k8s.<kind>.name` key (ztunnel's set); anything else is emitted as `pod`. */
export const WORKLOAD_KINDS: Array<string> = ["deployment", "cronjob", "pod", "job"];

/** What Istio knows about a peer workload. "" means unknown/absent. */
export class PeerMetadata {
  clusterName: string = "";
  namespace: string = "";
  /** Owner name (Deployment/Job/CronJob), or the pod name for bare pods. */
  workloadName: string = "";
  /** One of WORKLOAD_KINDS, or "". */
  workloadKind: string = "";
  /** Canonical service (`service.istio.io/canonical-name`). */
  serviceName: string = "";
  /** Canonical revision. */
  serviceVersion: string = "";
  appName: string = "";
  appVersion: string = "";
  instanceName: string = "";
  region: string = "";
  zone: string = "";

  /** True when no field is known. */
  isEmpty(): bool {
    return (
      this.clusterName.length == 0 && this.namespace.length == 0 && this.workloadName.length == 0 &&
      this.serviceName.length == 0 && this.serviceVersion.length == 0 && this.appName.length == 0 &&
      this.appVersion.length == 0 && this.instanceName.length == 0 && this.region.length == 0 && this.zone.length == 0
    );
  }

  /** The baggage text ztunnel would send for this workload (`encodePeerMetadata`). */
  toString(): string {
    return encodePeerMetadata(this);
  }
}

function workloadKindOfKey(key: string): string | null {
  if (!key.startsWith("k8s.") || !key.endsWith(".name") || key.length <= 9) return null;
  const kind = key.substring(4, key.length - 5);
  return WORKLOAD_KINDS.includes(kind) ? kind : null;
}

/**
 * Reads Istio's keys from parsed baggage. For each field the last member wins (an empty value clears it,
 * as ztunnel maps empty to absent); unknown keys are ignored. As in Istio's proxy, `service.name` also
 * gives the app name and `app.name` the canonical service when the other is missing (same for versions).
 */
export function peerMetadataFromBaggage(baggage: Baggage): PeerMetadata {
  const m = new PeerMetadata();
  for (let i = 0; i < baggage.members.length; i++) {
    const member = unchecked(baggage.members[i]);
    const key = member.key;
    const value = member.value;
    if (key == KEY_CLUSTER) m.clusterName = value;
    else if (key == KEY_NAMESPACE) m.namespace = value;
    else if (key == KEY_SERVICE_NAME) m.serviceName = value;
    else if (key == KEY_SERVICE_VERSION) m.serviceVersion = value;
    else if (key == KEY_APP_NAME) m.appName = value;
    else if (key == KEY_APP_VERSION) m.appVersion = value;
    else if (key == KEY_INSTANCE) m.instanceName = value;
    else if (key == KEY_REGION) m.region = value;
    else if (key == KEY_ZONE) m.zone = value;
    else {
      const kind = workloadKindOfKey(key);
      if (kind !== null) {
        m.workloadName = value;
        m.workloadKind = value.length > 0 ? kind : "";
      }
    }
  }
  if (m.appName.length == 0) m.appName = m.serviceName;
  if (m.serviceName.length == 0) m.serviceName = m.appName;
  if (m.appVersion.length == 0) m.appVersion = m.serviceVersion;
  if (m.serviceVersion.length == 0) m.serviceVersion = m.appVersion;
  return m;
}

/** `parseBaggage` + `peerMetadataFromBaggage`; null when the header breaks the W3C limits. */
export function parsePeerMetadata(header: string): PeerMetadata | null {
  const baggage = parseBaggage(header);
  return baggage === null ? null : peerMetadataFromBaggage(baggage);
}

/**
 * The `baggage` value ztunnel sends for a workload (ZT `baggage_header_val`): `k8s.cluster.name`,
 * `k8s.namespace.name`, `k8s.<kind>.name`, `service.name`, `service.version`, `cloud.region`,
 * `cloud.availability_zone`, in that order, comma-joined without spaces, each only when non-empty.
 * An unknown kind is written as `pod` (Istio proxy's default). App name/version and instance are not sent.
 */
export function encodePeerMetadata(m: PeerMetadata): string {
  const out = new StringBuilder(128);
  appendPair(out, KEY_CLUSTER, m.clusterName);
  appendPair(out, KEY_NAMESPACE, m.namespace);
  const kind = WORKLOAD_KINDS.includes(m.workloadKind) ? m.workloadKind : "pod";
  appendPair(out, "k8s." + kind + ".name", m.workloadName);
  appendPair(out, KEY_SERVICE_NAME, m.serviceName);
  appendPair(out, KEY_SERVICE_VERSION, m.serviceVersion);
  appendPair(out, KEY_REGION, m.region);
  appendPair(out, KEY_ZONE, m.zone);
  return out.toString();
}

function appendPair(out: StringBuilder, key: string, value: string): void {
  if (value.length == 0) return;
  if (out.length > 0) out.appendCharCode(0x2c);
  out.append(key).appendCharCode(0x3d).append(encodeBaggageValue(value));
}
