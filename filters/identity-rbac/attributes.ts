// What a decision looks at, read lazily from Envoy so a request costs only the host calls its policies need.
//
// Identity comes from one place only: `connection.uri_san_peer_certificate`, the first URI SAN of the mTLS
// peer certificate — or, where the plugin is configured with `peerPrincipalFilterState` (an internal listener
// behind the listener that terminates the mTLS), the copy of that SAN Envoy's own set_filter_state filter stored
// under a key no Wasm filter can write (lib/peer-principal.ts). No header (baggage, forwarded,
// x-forwarded-client-cert, x-forwarded-for, ...) is ever consulted for the peer, its namespace or its address.
import { HeaderPair, getPropertyString, requestHeaders } from "../../sdk";
import { IpAddress, SocketAddress, parseHostPort, parseSocketAddress } from "../../lib/address";
import { SpiffeId, parseSpiffeId, principalOf } from "../../lib/spiffe";
import { stripQueryAndFragment } from "../../lib/istio-match";
import { StringBuilder, asciiLower } from "../../lib/strings";
import { firstUriSan } from "../../lib/peer-principal";
import { DESTINATION_ADDRESS, SOURCE_ADDRESS, readAddress } from "../common/properties";
import { HBONE_CONNECT_TARGET } from "../../lib/filter-state-keys";
import { Mode } from "./mode";

const PEER_URI_SAN = ["connection", "uri_san_peer_certificate"];
const REQUESTED_SERVER_NAME = ["connection", "requested_server_name"];
const CONNECT_TARGET = ["filter_state", HBONE_CONNECT_TARGET];

/** A request header's value as matched: `valid` false when Envoy's bytes were not valid UTF-8 (sdk/pairs.ts). */
export class HeaderValue {
  static readonly ABSENT: HeaderValue = new HeaderValue("", true, false);

  constructor(public text: string, public valid: bool, public present: bool = true) {}
}

export class Attributes {
  private peerLoaded: bool = false;
  private peerUriValue: string | null = null;
  private principalValue: string | null = null;
  private spiffeValue: SpiffeId | null = null;

  private sourceLoaded: bool = false;
  private sourceValue: SocketAddress | null = null;

  private destinationLoaded: bool = false;
  private destinationIpValue: IpAddress | null = null;
  private destinationPortValue: i32 = -1;

  private headersLoaded: bool = false;
  private headerPairs: Array<HeaderPair> = [];
  private headerCache: Map<string, HeaderValue> = new Map<string, HeaderValue>();
  private pathValue: string | null = null;
  private lowerHostValue: HeaderValue | null = null;

  private sniLoaded: bool = false;
  private sniValue: string = "";

  /** ztunnel semantics (L4, CONNECT) rather than Envoy's (L7) where the two differ. */
  readonly ztunnel: bool;

  /** `peerFilterStateKey`: "" = the connection's certificate, else the trusted filter-state copy of its SAN. */
  constructor(public mode: Mode, private peerFilterStateKey: string = "") {
    this.ztunnel = mode != Mode.L7;
  }

  private loadPeer(): void {
    if (this.peerLoaded) return;
    this.peerLoaded = true;
    const key = this.peerFilterStateKey;
    let uri: string | null;
    if (key.length == 0) {
      uri = getPropertyString(PEER_URI_SAN);
    } else {
      const formatted = getPropertyString(["filter_state", key]);
      uri = formatted === null ? null : firstUriSan(formatted!);
    }
    if (uri === null || uri.length == 0) return;
    this.peerUriValue = uri;
    this.principalValue = principalOf(uri);
    this.spiffeValue = parseSpiffeId(uri);
  }

  /** The peer certificate's URI SAN, or null without a (URI SAN in the) certificate. */
  get peerUri(): string | null {
    this.loadPeer();
    return this.peerUriValue;
  }

  /** The URI SAN without `spiffe://` ("" when there is none or it is not a SPIFFE URI, which no pattern matches). */
  get principal(): string {
    this.loadPeer();
    const p = this.principalValue;
    return p === null ? "" : p;
  }

  /** The parsed Istio identity (null when absent or not of the `<td>/ns/<ns>/sa/<sa>` form). */
  get spiffe(): SpiffeId | null {
    this.loadPeer();
    return this.spiffeValue;
  }

  private loadSource(): void {
    if (this.sourceLoaded) return;
    this.sourceLoaded = true;
    this.sourceValue = readAddress(SOURCE_ADDRESS);
  }

  /** The downstream peer address (`source.address`). */
  get source(): SocketAddress | null {
    this.loadSource();
    return this.sourceValue;
  }

  get sourceIp(): IpAddress | null {
    const s = this.source;
    return s === null ? null : s.ip;
  }

  private loadDestination(): void {
    if (this.destinationLoaded) return;
    this.destinationLoaded = true;
    if (this.mode == Mode.Connect) {
      this.loadConnectTarget();
      return;
    }
    const addr = readAddress(DESTINATION_ADDRESS);
    if (addr === null) return;
    this.destinationIpValue = addr.ip;
    this.destinationPortValue = addr.port;
  }

  /**
   * The tunnelled connection's destination: what hbone-inbound resolved and ORIGINAL_DST dials (filter state
   * HBONE_CONNECT_TARGET, the workload IP and target port). Without hbone-inbound in front, an `ip:port`
   * :authority with the same canonicalisation (v4-mapped IPv6 judged as the IPv4 address it is dialled as); a
   * hostname authority then stays unresolved (port -1: refused as bad-authority), never judged by its text.
   */
  private loadConnectTarget(): void {
    const resolved = getPropertyString(CONNECT_TARGET);
    if (resolved !== null) {
      const target = parseSocketAddress(resolved);
      if (target === null) return;
      this.destinationIpValue = target.ip.unmapped();
      this.destinationPortValue = target.port;
      return;
    }
    const authority = this.header(":authority");
    if (authority === null) return;
    const hp = parseHostPort(authority, true);
    if (hp === null || hp.ip === null) return;
    this.destinationIpValue = hp.ip!.unmapped();
    this.destinationPortValue = hp.port;
  }

  get destinationIp(): IpAddress | null {
    this.loadDestination();
    return this.destinationIpValue;
  }

  /** -1 when unknown (no port pattern matches it). */
  get destinationPort(): i32 {
    this.loadDestination();
    return this.destinationPortValue;
  }

  /** The destination as text for logs. */
  destinationText(): string {
    this.loadDestination();
    const ip = this.destinationIpValue;
    if (ip === null) return "-";
    return new SocketAddress(ip, this.destinationPortValue).toString();
  }

  private loadHeaders(): void {
    if (this.headersLoaded) return;
    this.headersLoaded = true;
    if (this.mode != Mode.L4) this.headerPairs = requestHeaders.getPairs();
  }

  /**
   * One request header as Envoy's header matcher sees it: all values joined with ",", built once per name and
   * request however many rules read it (so a request costs its own size, not rules × size). `name` must be
   * lower-case. Absent (and always at L4): `HeaderValue.ABSENT`.
   */
  headerValue(name: string): HeaderValue {
    const cache = this.headerCache;
    if (cache.has(name)) return cache.get(name);
    this.loadHeaders();
    const pairs = this.headerPairs;
    let first = -1;
    let count = 0;
    let joinedLength = 0;
    let valid = true;
    for (let i = 0; i < pairs.length; i++) {
      const p = unchecked(pairs[i]);
      if (p.name != name) continue;
      if (first < 0) first = i;
      count++;
      joinedLength += p.value.length + 1;
      if (!p.valid) valid = false;
    }
    let v = HeaderValue.ABSENT;
    if (count == 1) {
      v = new HeaderValue(unchecked(pairs[first]).value, valid);
    } else if (count > 1) {
      const joined = new StringBuilder(joinedLength);
      for (let i = first; i < pairs.length; i++) {
        const p = unchecked(pairs[i]);
        if (p.name != name) continue;
        if (i > first) joined.appendCharCode(0x2c);
        joined.append(p.value);
      }
      v = new HeaderValue(joined.toString(), valid);
    }
    cache.set(name, v);
    return v;
  }

  /** All values of a request header joined with ",", or null when absent (see `headerValue`). */
  header(name: string): string | null {
    const v = this.headerValue(name);
    return v.present ? v.text : null;
  }

  /** `:path` without query string and fragment (what Envoy's RBAC path matcher compares), computed once. */
  path(): string {
    let p = this.pathValue;
    if (p === null) {
      const full = this.header(":path");
      p = full === null ? "" : stripQueryAndFragment(full);
      this.pathValue = p;
    }
    return p!;
  }

  /** `:authority` lower-cased once (hosts match case-insensitively, Istio HostMatcher). */
  lowerHost(): HeaderValue {
    let h = this.lowerHostValue;
    if (h === null) {
      const raw = this.headerValue(":authority");
      h = raw.present ? new HeaderValue(asciiLower(raw.text), raw.valid) : HeaderValue.ABSENT;
      this.lowerHostValue = h;
    }
    return h!;
  }

  get sni(): string {
    if (!this.sniLoaded) {
      this.sniLoaded = true;
      const v = getPropertyString(REQUESTED_SERVER_NAME);
      if (v !== null) this.sniValue = v;
    }
    return this.sniValue;
  }
}
