// What a decision looks at, read lazily from Envoy so a request costs only the host calls its policies need.
//
// Identity comes from one place only: `connection.uri_san_peer_certificate`, the first URI SAN of the mTLS
// peer certificate — or, where the plugin is configured with `peerPrincipalFilterState` (an internal listener
// behind the listener that terminates the mTLS), the copy of that SAN Envoy's own set_filter_state filter stored
// under a key no Wasm filter can write (lib/peer-principal.ts). No header (baggage, forwarded,
// x-forwarded-client-cert, x-forwarded-for, ...) is ever consulted for the peer, its namespace or its address.
import { HeaderPair, getPropertyString, requestHeaders } from "../../sdk";
import { IpAddress, SocketAddress, parseHostPort } from "../../lib/address";
import { SpiffeId, parseSpiffeId, principalOf } from "../../lib/spiffe";
import { stripQueryAndFragment } from "../../lib/istio-match";
import { firstUriSan } from "../../lib/peer-principal";
import { DESTINATION_ADDRESS, SOURCE_ADDRESS, readAddress } from "../common/properties";
import { Mode } from "./mode";

const PEER_URI_SAN = ["connection", "uri_san_peer_certificate"];
const REQUESTED_SERVER_NAME = ["connection", "requested_server_name"];

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
      // The tunnelled connection goes to the workload named by :authority (ip:port, or host:port in double HBONE).
      const authority = this.header(":authority");
      if (authority === null) return;
      const hp = parseHostPort(authority, true);
      if (hp === null) return;
      this.destinationIpValue = hp.ip;
      this.destinationPortValue = hp.port;
      return;
    }
    const addr = readAddress(DESTINATION_ADDRESS);
    if (addr === null) return;
    this.destinationIpValue = addr.ip;
    this.destinationPortValue = addr.port;
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
   * All values of a request header joined with "," (as Envoy's header matcher sees them), or null when absent.
   * `name` must be lower-case. Always null at L4.
   */
  header(name: string): string | null {
    this.loadHeaders();
    const pairs = this.headerPairs;
    let result: string | null = null;
    for (let i = 0; i < pairs.length; i++) {
      const p = unchecked(pairs[i]);
      if (p.name != name) continue;
      result = result === null ? p.value : result + "," + p.value;
    }
    return result;
  }

  /** `:path` without query string and fragment (what Envoy's RBAC path matcher compares). */
  path(): string {
    const full = this.header(":path");
    return full === null ? "" : stripQueryAndFragment(full);
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
