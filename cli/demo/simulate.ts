// Runs the demo connections through two emulated ztunnel Envoys built from the same bootstrap: node-a's outbound
// listener (hbone-outbound → istio-stats → tcp_proxy) and node-b's HBONE terminate chain (hbone-inbound →
// identity-rbac → istio-stats → router), with Envoy's own parts — tcp_proxy's tunnel, the ORIGINAL_DST dial, the
// TLS handshake checks, filter-chain matching — reduced to what the filters' decisions make them do.
import { BlockList, isIPv6 } from "node:net";
import { resolve } from "node:path";
import { Host } from "../../emulator/index.ts";
import type { Plugin, TcpConnection } from "../../emulator/index.ts";
import type { HboneChain, WasmFilterConfig, ZtunnelBootstrap } from "./bootstrap.ts";
import type { CertificateIdentities } from "./identities.ts";
import { HTTP_REQUEST, HTTP_RESPONSE, NODE_A_ADDRESS, type DemoConnection } from "./scenarios.ts";
import { connectRequest, type ConnectRequest } from "./tunnel-request.ts";

// Filter-state keys published by hbone-outbound / hbone-inbound (their READMEs, "What it publishes").
const TCP_PROXY_CLUSTER = "envoy.tcp_proxy.cluster";
const ORIGINAL_DST_ADDRESS = "envoy.network.transport_socket.original_dst_address";
const DISABLE_TUNNELING = "envoy.tcp_proxy.disable_tunneling";
const UPSTREAM_SANS = "envoy.network.upstream_subject_alt_names";
const ROUTE = "wasm.hbone_route";

// Envoy response flag bits (source/common/stream_info/utility.h order) set by tcp_proxy when it gives up.
const NO_HEALTHY_UPSTREAM = 1 << 1; // UH: cluster without hosts (BlackHoleCluster)
const UPSTREAM_CONNECTION_FAILURE = 1 << 5; // UF
const UPSTREAM_RETRY_LIMIT_EXCEEDED = 1 << 15; // URX
// A tunnel that was not established (TLS refused, CONNECT answered non-200) is a failed connect attempt to tcp_proxy;
// with its connect attempts (max_connect_attempts, default 1) used up it gives up with UF and URX: "UF,URX", as
// observed on Envoy 1.36.2 and 1.40.0 (envoy-configs/README.md "Found by running real Envoy"; the flags are set in
// envoyproxy/envoy:source/common/tcp_proxy/tcp_proxy.cc).
const TUNNEL_NOT_ESTABLISHED = UPSTREAM_CONNECTION_FAILURE | UPSTREAM_RETRY_LIMIT_EXCEEDED;

export type Outcome = "allowed" | "denied" | "blackholed" | "passthrough" | "failed";

export interface OutboundDecision {
  listener: string;
  route: string;
  cluster: string;
  /** ip:port the ORIGINAL_DST cluster dials. */
  dial: string | null;
  tunnelled: boolean;
  /** SPIFFE id the tunnel peer must present (envoy.network.upstream_subject_alt_names). */
  expectedPeer: string | null;
  /** SPIFFE id of the certificate the HBONE cluster presents. */
  clientIdentity: string | null;
}

export interface RbacDecision {
  action: string;
  policy: string;
}

export interface InboundDecision {
  listener: string;
  chain: string;
  /** The client certificate's SPIFFE id (`connection.uri_san_peer_certificate`). */
  peer: string;
  status: number;
  /** Local reply details when a filter refused the CONNECT. */
  details: string | null;
  rbac: RbacDecision | null;
  /** Where inbound_app (ORIGINAL_DST) dials: filter state first, then x-envoy-original-dst-host. */
  upstream: string | null;
}

export interface ConnectionResult {
  title: string;
  source: string;
  destination: string;
  outbound: OutboundDecision | null;
  connect: ConnectRequest | null;
  inbound: InboundDecision | null;
  outcome: Outcome;
  reason: string;
}

export interface NodeStats {
  node: string;
  lines: string[];
}

export interface DemoResult {
  config: string;
  connections: ConnectionResult[];
  prometheus: NodeStats[];
}

type Props = Record<string, string | number | boolean>;

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(":");
  return [address.slice(0, i).replace(/^\[|\]$/g, ""), Number(address.slice(i + 1))];
}

function chainFor(chains: HboneChain[], address: string): HboneChain | null {
  const [ip] = splitHostPort(address);
  const family = isIPv6(ip) ? "ipv6" : "ipv4";
  for (const chain of chains) {
    if (chain.prefixRanges.length === 0) return chain;
    const list = new BlockList();
    for (const [prefix, len] of chain.prefixRanges) list.addSubnet(prefix, len, isIPv6(prefix) ? "ipv6" : "ipv4");
    if (list.check(ip, family)) return chain;
  }
  return null;
}

/** One emulated Envoy: a Host with the bootstrap's stats_tags and the plugins it loaded. */
class EmulatedNode {
  readonly host: Host;
  private readonly plugins = new Map<string, Promise<Plugin>>();

  constructor(readonly name: string, statsTags: ZtunnelBootstrap["statsTags"], private readonly repoRoot: string) {
    this.host = new Host({ statsTags, logLevel: "debug" });
  }

  plugin(filter: WasmFilterConfig): Promise<Plugin> {
    let p = this.plugins.get(filter.path);
    if (!p) {
      p = this.host.loadPlugin({
        module: resolve(this.repoRoot, filter.module),
        vmId: filter.vmId,
        name: filter.name,
        rootId: filter.rootId,
        configuration: filter.configuration,
        listenerDirection: filter.listenerDirection,
      });
      this.plugins.set(filter.path, p);
    }
    return p;
  }

  /** identity-rbac's decision line logged since `from` ("identity-rbac: <action> policy=<name> …"). */
  rbacDecision(from: number): RbacDecision | null {
    for (const l of this.host.logs.slice(from)) {
      const m = /^identity-rbac: (\S+) policy=(\S+)/.exec(l.message);
      if (m) return { action: m[1], policy: m[2] };
    }
    return null;
  }

  prometheus(): NodeStats {
    return { node: this.name, lines: this.host.prometheus().split("\n").filter((l) => l.length > 0) };
  }
}

export class Demo {
  private readonly nodeA: EmulatedNode;
  private readonly nodeB: EmulatedNode;

  constructor(private readonly bootstrap: ZtunnelBootstrap, private readonly identities: CertificateIdentities, repoRoot: string) {
    this.nodeA = new EmulatedNode("node-a", bootstrap.statsTags, repoRoot);
    this.nodeB = new EmulatedNode("node-b", bootstrap.statsTags, repoRoot);
  }

  async run(connections: DemoConnection[], config: string): Promise<DemoResult> {
    const results: ConnectionResult[] = [];
    for (const c of connections) results.push(c.kind === "captured" ? await this.captured(c.title, c.source, c.destination) : await this.direct(c));
    return { config, connections: results, prometheus: [this.nodeA.prometheus(), this.nodeB.prometheus()] };
  }

  private async captured(title: string, source: string, destination: string): Promise<ConnectionResult> {
    const filters = await Promise.all(this.bootstrap.outbound.filters.map((f) => this.nodeA.plugin(f)));
    const props: Props = { "source.address": source, "destination.address": destination };
    const c = this.nodeA.host.tcpConnection({ filters, properties: props });
    c.open();
    const plain = (key: string) => c.filterState.plain(key);
    const cluster = plain(TCP_PROXY_CLUSTER) ?? "(none)";
    const tunnelled = plain(DISABLE_TUNNELING) !== "true";
    const certificate = this.bootstrap.clusterCertificates.get(cluster);
    const outbound: OutboundDecision = {
      listener: this.bootstrap.outbound.listener,
      route: plain(ROUTE) ?? "(none)",
      cluster,
      dial: plain(ORIGINAL_DST_ADDRESS),
      tunnelled,
      expectedPeer: plain(UPSTREAM_SANS),
      clientIdentity: certificate ? this.identities(certificate) : null,
    };
    const result: ConnectionResult = { title, source, destination, outbound, connect: null, inbound: null, outcome: "failed", reason: "" };
    if (c.closed) return { ...result, reason: `hbone-outbound closed the connection (${c.closed.details})` };

    if (this.bootstrap.emptyClusters.has(cluster)) {
      // tcp_proxy: the cluster has no hosts → no healthy upstream, the app's connection is closed.
      this.fail(c, props, NO_HEALTHY_UPSTREAM);
      return { ...result, outcome: "blackholed", reason: `${cluster} has no endpoints: tcp_proxy closes the connection (UH)` };
    }
    if (!tunnelled) {
      c.downstreamData(HTTP_REQUEST);
      c.closeDownstream("remote");
      return { ...result, outcome: "passthrough", reason: `plain TCP to ${outbound.dial ?? destination} through ${cluster}, no tunnel, no identity` };
    }

    const connect = connectRequest(this.bootstrap.outbound.tunneling, plain);
    result.connect = connect;
    const dial = outbound.dial ?? destination;
    const [, dialPort] = splitHostPort(dial);
    const chain = dialPort === this.bootstrap.hbone.port ? chainFor(this.bootstrap.hbone.chains, dial) : null;
    if (!chain) {
      this.fail(c, props, TUNNEL_NOT_ESTABLISHED);
      return { ...result, reason: `no HBONE filter chain in this demo accepts ${dial}` };
    }
    const serverIdentity = this.identities(chain.certificateFile);
    if (outbound.expectedPeer !== null && serverIdentity !== outbound.expectedPeer) {
      this.fail(c, props, TUNNEL_NOT_ESTABLISHED);
      return { ...result, reason: `TLS: the server presents ${serverIdentity}, the tunnel requires ${outbound.expectedPeer}` };
    }
    const peer = outbound.clientIdentity ?? "";
    const refused = clientCertificateRefused(chain, peer);
    if (refused) {
      this.fail(c, props, TUNNEL_NOT_ESTABLISHED);
      return { ...result, reason: refused };
    }
    // Each HBONE connection leaves node-a from its own ephemeral port.
    const inbound = await this.terminate(chain, `${NODE_A_ADDRESS}:${50000 + c.connectionId}`, dial, peer, connect);
    result.inbound = inbound.decision;
    if (!inbound.accepted) {
      // Envoy's tcp_proxy accepts only 200 on an HTTP/2 CONNECT (I §1.1) and closes the app's connection.
      this.fail(c, props, TUNNEL_NOT_ESTABLISHED);
      return { ...result, outcome: "denied", reason: `node-b answered the CONNECT with ${inbound.decision.status}; tcp_proxy closes the app's connection` };
    }
    c.downstreamData(HTTP_REQUEST);
    c.upstreamData(HTTP_RESPONSE);
    c.closeDownstream("remote");
    inbound.finish();
    return { ...result, outcome: "allowed", reason: `tunnel up: ${HTTP_REQUEST.length} bytes to ${inbound.decision.upstream}, ${HTTP_RESPONSE.length} bytes back` };
  }

  private async direct(c: Extract<DemoConnection, { kind: "direct" }>): Promise<ConnectionResult> {
    const result: ConnectionResult = { title: c.title, source: c.source, destination: c.destination, outbound: null, connect: { authority: c.authority, headers: c.headers }, inbound: null, outcome: "failed", reason: "" };
    const chain = chainFor(this.bootstrap.hbone.chains, c.destination);
    if (!chain) return { ...result, reason: `no HBONE filter chain accepts ${c.destination}` };
    const refused = clientCertificateRefused(chain, c.peer);
    if (refused) return { ...result, reason: refused };
    const inbound = await this.terminate(chain, c.source, c.destination, c.peer, result.connect!);
    result.inbound = inbound.decision;
    if (!inbound.accepted) return { ...result, outcome: "denied", reason: `node-b answered the CONNECT with ${inbound.decision.status}` };
    inbound.finish();
    return { ...result, outcome: "allowed", reason: "tunnel up" };
  }

  /** node-b's HBONE terminate: one CONNECT stream through the chain's HTTP filters, peer = the client certificate. */
  private async terminate(chain: HboneChain, source: string, destination: string, peer: string, connect: ConnectRequest) {
    const filters = await Promise.all(chain.httpFilters.map((f) => this.nodeB.plugin(f)));
    const logsFrom = this.nodeB.host.logs.length;
    const s = this.nodeB.host.httpStream({
      filters,
      connection: {
        "source.address": source,
        "destination.address": destination,
        "connection.mtls": true,
        "connection.uri_san_peer_certificate": peer,
        "connection.uri_san_local_certificate": this.identities(chain.certificateFile) ?? "",
      },
    });
    s.sendRequestHeaders([[":method", "CONNECT"], [":authority", connect.authority], ...connect.headers]);
    const local = s.localResponse;
    const forwarded = s.upstreamRequest.headers ?? [];
    const headerTarget = forwarded.find(([k]) => k === "x-envoy-original-dst-host")?.[1] ?? null;
    const decision: InboundDecision = {
      listener: this.bootstrap.hbone.listener,
      chain: chain.name,
      peer,
      status: local ? local.status : 200,
      details: local ? local.details : null,
      rbac: this.nodeB.rbacDecision(logsFrom),
      upstream: local ? null : s.filterState.plain(ORIGINAL_DST_ADDRESS) ?? headerTarget,
    };
    if (local) s.complete();
    else s.sendResponseHeaders([[":status", "200"]]);
    return {
      accepted: !local,
      decision,
      finish: () => {
        s.sendRequestBody(HTTP_REQUEST);
        s.sendResponseBody(HTTP_RESPONSE);
        s.sendRequestBody("", true);
        s.sendResponseBody("", true);
        s.complete();
      },
    };
  }

  /** tcp_proxy gives up on the upstream with Envoy response flag `flag` and closes the app's connection. */
  private fail(c: TcpConnection, props: Props, flag: number): void {
    props["response.flags"] = flag;
    c.closeUpstream();
  }
}

/**
 * The chain's DownstreamTlsContext: a client certificate is required and its URI SAN must match one of the
 * configured prefixes (the trust domain), else the handshake fails before any filter runs.
 */
function clientCertificateRefused(chain: HboneChain, peer: string): string | null {
  if (peer === "") return `TLS: ${chain.name} requires a client certificate`;
  if (chain.peerSanPrefixes.length > 0 && !chain.peerSanPrefixes.some((p) => peer.startsWith(p))) {
    return `TLS: ${chain.name} does not accept the client certificate ${peer}`;
  }
  return null;
}
