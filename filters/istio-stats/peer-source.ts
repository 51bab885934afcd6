// Where each reporter learns who is on the other end, and the cache of label sets per peer.
//
// Identity is never taken from request headers:
// - destination / waypoint (downstream peer): principal = first URI SAN of the downstream mTLS certificate
//   (`connection.uri_san_peer_certificate`); workload metadata = filter state written by hbone-inbound.
//   With `peerPrincipalFilterState` (an internal listener behind the mTLS terminate, e.g. a waypoint's
//   main_internal) the principal is the copy of that SAN Envoy's set_filter_state stored under a key no Wasm filter
//   can write (lib/peer-principal.ts).
// - source / waypoint (upstream peer): metadata and principal = filter state written by hbone-outbound from its
//   workload table (`wasm.upstream_peer`, `wasm.upstream_peer_principal`).
// - source (the local side) on a node-level proxy: the source workload hbone-outbound matched in its workload table
//   (`wasm.hbone_source`: its identity, for tunnelled routes, and its baggage), else the local configuration. The
//   source principal is reported only for tunnelled (mTLS) connections, as ztunnel and Istio's sidecar do; plain,
//   passthrough and blackholed connections say `unknown` and name the cluster in destination_service_name.
// - destination with destinationFromFilterState (tunnel mode): the local side is the workload hbone-inbound
//   resolved for the CONNECT, published under the same keys (`wasm.upstream_peer`, `..._principal`,
//   `wasm.upstream_service`).

import { PeerMetadata } from "../../lib/baggage";
import { firstUriSan } from "../../lib/peer-principal";
import { getProperty, getPropertyString } from "../../sdk";
import { Reporter, StatsConfig } from "./config";
import { LATEST, UNKNOWN } from "./labels";
import { CacheBudget, MUTUAL_TLS, NONE, PeerLabels, ServiceDefaults, Side } from "./peer-labels";
import { fillPeerMetadata, peerMetadataFromBaggage } from "./peer-metadata";

const PEER_URI_SAN: string[] = ["connection", "uri_san_peer_certificate"];

/** Istio's destination_service_name for connections its sidecar sends to these clusters (istio_stats.cc). */
export const PASSTHROUGH_CLUSTER = "PassthroughCluster";
export const BLACKHOLE_CLUSTER = "BlackHoleCluster";
/** hbone-outbound route names (wasm.hbone_route). */
const ROUTE_HBONE = "hbone";
const ROUTE_WAYPOINT = "waypoint";
const ROUTE_PASSTHROUGH = "passthrough";
const ROUTE_BLACKHOLE = "blackhole";
const LOCAL_URI_SAN: string[] = ["connection", "uri_san_local_certificate"];

/**
 * Longest prefix (bytes) of a peer property that is used: one more than the W3C baggage limit, so longer
 * baggage stays over the limit (and describes no one, lib/baggage), while principals and hosts keep far more
 * than the 256 characters a label shows. The values come from filter state other filters write; bounding them
 * here bounds the cache keys and the garbage a hostile value leaves per request.
 */
const MAX_TEXT_BYTES: i32 = 8193;

/** A string property (filter state, certificate SAN) as text, "" when absent or not read, cut at MAX_TEXT_BYTES. */
export function readText(path: string[] | null): string {
  if (path === null) return "";
  const value = getProperty(path);
  if (value === null) return "";
  return String.UTF8.decodeUnsafe(changetype<usize>(value), <usize>min(value.byteLength, MAX_TEXT_BYTES));
}

/** `filter_state.<key>`; null when the configuration turned the key off (""), which saves its read. */
function filterStatePath(key: string): string[] | null {
  return key.length == 0 ? null : ["filter_state", key];
}

/** Bounds of the peer cache; past either it starts over (label strings are cheap to rebuild). */
const MAX_PEERS: i32 = 1024;
const MAX_CACHED_CHARS: i32 = 1 << 20;

export class PeerSource {
  private peers: Map<string, PeerLabels> = new Map<string, PeerLabels>();
  /** Hashes of the downstream label texts admitted so far (config.maxPeerLabelSets bounds it). */
  private seenPeerLabels: Set<u64> = new Set<u64>();
  private budget: CacheBudget = new CacheBudget();
  private downstreamPath: string[] | null;
  private upstreamPath: string[] | null;
  private upstreamPrincipalPath: string[] | null;
  private sourcePath: string[] | null;
  private upstreamServicePath: string[] | null;
  private routePath: string[] | null;
  private peerPrincipalPath: string[];
  /** Source reporter: the last connection went to a passthrough/blackhole cluster (no service to read). */
  private lastWithoutService: bool = false;
  /** Learned from the first connection that has one, unless configured. */
  private localPrincipal: string;

  constructor(
    public readonly config: StatsConfig,
    public readonly reporter: Reporter,
    /** The local workload with node-metadata and Istio fallbacks applied. */
    public readonly local: PeerMetadata,
    /** Destination reporter: describe the local side from the upstream-peer filter state when present. */
    public readonly destinationFromFilterState: bool,
  ) {
    this.localPrincipal = config.localPrincipal;
    this.downstreamPath = filterStatePath(config.downstreamPeerKey);
    this.upstreamPath = filterStatePath(config.upstreamPeerKey);
    this.upstreamPrincipalPath = filterStatePath(config.upstreamPeerPrincipalKey);
    this.sourcePath = filterStatePath(config.sourcePeerKey);
    this.upstreamServicePath = filterStatePath(config.upstreamServiceKey);
    this.routePath = filterStatePath(config.routeKey);
    const trusted = config.peerPrincipalFilterState;
    this.peerPrincipalPath = trusted.length > 0 ? ["filter_state", trusted] : PEER_URI_SAN;
  }

  /** The downstream peer's URI SAN: its certificate, or Envoy's trusted filter-state copy of it; "" = none. */
  private downstreamPrincipal(): string {
    const text = readText(this.peerPrincipalPath);
    return this.config.peerPrincipalFilterState.length > 0 ? firstUriSan(text) : text;
  }

  /** Label set of the current stream's peers (host calls: see README "Host calls"). */
  current(): PeerLabels {
    if (this.budget.chars > MAX_CACHED_CHARS) this.forget();
    if (this.reporter == Reporter.Source) return this.forSource();
    if (this.reporter == Reporter.Waypoint) return this.forWaypoint();
    return this.forDestination();
  }

  private forDestination(): PeerLabels {
    const principal = this.downstreamPrincipal();
    const raw = readText(this.downstreamPath);
    let targetRaw = "";
    let targetPrincipal = "";
    if (this.destinationFromFilterState) {
      targetRaw = readText(this.upstreamPath);
      targetPrincipal = readText(this.upstreamPrincipalPath);
    }
    const local = targetPrincipal.length > 0 ? targetPrincipal : this.localPrincipalFor(principal);
    const key = principal + "\n" + raw + "\n" + local + "\n" + targetRaw;
    if (this.peers.has(key)) return this.peers.get(key);
    let target = this.local;
    if (targetRaw.length > 0) {
      target = peerMetadataFromBaggage(targetRaw);
      if (target.clusterName.length == 0) target.clusterName = this.local.clusterName;
    }
    const peer = new Side(this.peerWorkload(raw), principal, true, LATEST);
    const self = new Side(target, local, false, LATEST);
    const services = new ServiceDefaults();
    this.applyConfiguredService(services);
    services.fallbackName = target.serviceName;
    services.fallbackNamespace = target.namespace;
    return this.remember(key, new PeerLabels(this.reporter, peer, self, securityPolicy(principal, local), services, this.budget));
  }

  /**
   * The destination service resolved by the HBONE filters (`wasm.upstream_service`) when this reporter uses it
   * and no service host is configured; "" otherwise.
   */
  resolvedServiceHost(): string {
    if (this.config.service.host.length > 0) return "";
    if (this.reporter == Reporter.Source) return this.lastWithoutService ? "" : readText(this.upstreamServicePath);
    if (this.reporter == Reporter.Destination && this.destinationFromFilterState) return readText(this.upstreamServicePath);
    return "";
  }

  private forSource(): PeerLabels {
    const raw = readText(this.upstreamPath);
    const principal = readText(this.upstreamPrincipalPath);
    // hbone-outbound publishes the peer principal only for tunnelled routes; otherwise the route tells plain,
    // passthrough and blackhole apart (and an identity-less waypoint from them).
    const route = principal.length > 0 ? ROUTE_HBONE : readText(this.routePath);
    const routeCluster = route == ROUTE_PASSTHROUGH ? PASSTHROUGH_CLUSTER : route == ROUTE_BLACKHOLE ? BLACKHOLE_CLUSTER : "";
    this.lastWithoutService = routeCluster.length > 0;
    // `<principal>\n<baggage>` from hbone-outbound; a value without a line break is baggage alone.
    const source = readText(this.sourcePath);
    const split = source.indexOf("\n");
    const sourceIdentity = split > 0 ? source.substring(0, split) : "";
    const sourceRaw = split >= 0 ? source.substring(split + 1) : source;
    // ztunnel reports the source identity only for HBONE (mTLS) connections, Istio's sidecar only when the
    // upstream TLS presented it: plain TCP (plain, passthrough, blackhole) has no source principal.
    let sourcePrincipal = "";
    if (route.length == 0 || route == ROUTE_HBONE || route == ROUTE_WAYPOINT) {
      sourcePrincipal = sourceIdentity.length > 0 ? sourceIdentity : this.config.localPrincipal;
    }
    const key = principal + "\n" + raw + "\n" + sourceRaw + "\n" + sourcePrincipal + "\n" + routeCluster;
    if (this.peers.has(key)) return this.peers.get(key);
    let sourceWorkload = this.local;
    if (sourceRaw.length > 0) {
      // A node-level proxy serves many workloads: describe the one hbone-outbound matched, not this proxy
      // (only the cluster, shared by the whole node, may come from the local configuration).
      sourceWorkload = peerMetadataFromBaggage(sourceRaw);
      if (sourceWorkload.clusterName.length == 0) sourceWorkload.clusterName = this.local.clusterName;
    }
    const self = new Side(sourceWorkload, sourcePrincipal, false, LATEST);
    const peer = new Side(this.peerWorkload(raw), principal, true, LATEST);
    const services = new ServiceDefaults();
    this.applyConfiguredService(services);
    services.fallbackNamespace = peer.namespace();
    services.clusterName = routeCluster;
    return this.remember(key, new PeerLabels(this.reporter, self, peer, UNKNOWN, services, this.budget));
  }

  private forWaypoint(): PeerLabels {
    const downPrincipal = this.downstreamPrincipal();
    const downRaw = readText(this.downstreamPath);
    const upRaw = readText(this.upstreamPath);
    const upPrincipal = readText(this.upstreamPrincipalPath);
    const local = this.localPrincipalFor(downPrincipal);
    const key = downPrincipal + "\n" + downRaw + "\n" + upPrincipal + "\n" + upRaw + "\n" + local;
    if (this.peers.has(key)) return this.peers.get(key);
    const source = new Side(this.peerWorkload(downRaw), downPrincipal, true, LATEST);
    // istio_stats.cc (ServerGateway): the destination's missing canonical revision is `unknown`.
    const destination = new Side(peerMetadataFromBaggage(upRaw), upPrincipal, true, UNKNOWN);
    const services = new ServiceDefaults();
    this.applyConfiguredService(services);
    return this.remember(key, new PeerLabels(this.reporter, source, destination, securityPolicy(downPrincipal, local), services, this.budget));
  }

  private peerWorkload(raw: string): PeerMetadata {
    if (raw.length == 0) return this.config.peerFallback;
    const hash = textHash(raw); // the set keeps 8 bytes per admitted text, not the text
    if (!this.seenPeerLabels.has(hash)) {
      // Never cleared with the label cache: the cap is on what a peer can make this VM define, ever.
      if (this.seenPeerLabels.size >= this.config.maxPeerLabelSets) return this.config.peerFallback;
      this.seenPeerLabels.add(hash);
    }
    const w = peerMetadataFromBaggage(raw);
    fillPeerMetadata(w, this.config.peerFallback);
    return w;
  }

  private applyConfiguredService(services: ServiceDefaults): void {
    const s = this.config.service;
    services.host = s.host;
    services.name = s.name;
    services.namespace = s.namespace;
  }

  /**
   * The local principal for a connection whose peer presented `peerPrincipal`: the configured one, else the
   * local certificate's URI SAN, read until one is seen — the certificate belongs to the listener, so every mTLS
   * connection shows the same one. A connection without a peer certificate (plaintext) is not assumed to have
   * it: only the configured principal applies there, so its labels do not depend on earlier connections.
   */
  private localPrincipalFor(peerPrincipal: string): string {
    if (peerPrincipal.length == 0) return this.config.localPrincipal;
    if (this.localPrincipal.length == 0) {
      const san = getPropertyString(LOCAL_URI_SAN);
      if (san !== null && san.length > 0) this.localPrincipal = san!;
    }
    return this.localPrincipal;
  }

  private remember(key: string, labels: PeerLabels): PeerLabels {
    if (this.peers.size >= MAX_PEERS) this.forget();
    this.budget.chars += key.length + labels.head.length + labels.tail.length;
    this.peers.set(key, labels);
    return labels;
  }

  private forget(): void {
    this.peers.clear();
    this.budget.chars = 0;
  }
}

/** FNV-1a over the UTF-16 code units: identifies an admitted peer label text without keeping it. */
function textHash(s: string): u64 {
  let h: u64 = 0xcbf29ce484222325;
  for (let i = 0, n = s.length; i < n; i++) h = (h ^ <u64>s.charCodeAt(i)) * 0x100000001b3;
  return h;
}

/**
 * Server-side connection_security_policy (istio_stats.cc): `mutual_tls` when both the peer and the local
 * certificate carry a URI SAN, else `none`.
 */
function securityPolicy(peerPrincipal: string, localPrincipal: string): string {
  return peerPrincipal.length > 0 && localPrincipal.length > 0 ? MUTUAL_TLS : NONE;
}
