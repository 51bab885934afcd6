// The bench cases (issue 16, point 1): (a) no filters, (b) Envoy's native RBAC with the same policies, (c) each Wasm
// filter alone, (d) the shipped chains. Every Wasm filter entry is taken from a shipped bootstrap as it ships.
import { toEnvoyRbac } from "../../cli/authz/envoy-rbac.ts";
import type { PolicyEntry } from "../../cli/authz/convert.ts";
import { pluginConfiguration, shippedWasmFilter, type FilterEntry } from "./shipped-filters.ts";
import type { DutFilters, Kind, Protocol } from "./topology.ts";

export type Group = "a" | "b" | "c" | "d";

export interface BenchCase {
  id: string;
  group: Group;
  kind: Kind;
  protocols: Protocol[];
  what: string;
  filters(): DutFilters;
  /** Also run one long TCP stream through it (MB/s). */
  stream?: boolean;
  /** Runs across two Envoys in network namespaces (bench/envoy/mesh-chain.ts), not in the loopback topology. */
  mesh?: boolean;
}

const sidecar = {
  rbacL7: () => shippedWasmFilter("sidecar.yaml", "identity-rbac-l7"),
  statsHttp: () => shippedWasmFilter("sidecar.yaml", "http", "istio-stats-inbound"),
  rbacL4: () => shippedWasmFilter("sidecar.yaml", "identity-rbac-l4"),
  statsTcp: () => shippedWasmFilter("sidecar.yaml", "tcp", "istio-stats-inbound-tcp"),
};
const ztunnel = {
  hboneInbound: () => shippedWasmFilter("ztunnel.yaml", "hbone-inbound"),
  rbacConnect: () => shippedWasmFilter("ztunnel.yaml", "identity-rbac-connect"),
  statsTunnel: () => shippedWasmFilter("ztunnel.yaml", "tunnel", "istio-stats-hbone"),
};

/**
 * The sidecar's policies (allow-sleep, deny-admin) as Envoy's native RBAC filters for httpbin. The network filter
 * takes ztunnel's meaning, the one identity-rbac-l4 enforces: deny-admin has only an HTTP condition, so at L4 it
 * never fires (with the sidecar's meaning it would deny every connection, and there would be nothing to measure).
 */
export function nativeRbac(): { http: FilterEntry[]; network: FilterEntry[] } {
  const config = pluginConfiguration(sidecar.rbacL7()) as { workload: { namespace: string; labels: Record<string, string> }; policies: PolicyEntry[] };
  const r = toEnvoyRbac(config.policies, { workload: config.workload, networkSemantics: "ztunnel" });
  return { http: r.http, network: r.network };
}

const BOTH: Protocol[] = ["h1", "h2"];
const H1: Protocol[] = ["h1"];

export const CASES: BenchCase[] = [
  { id: "http/none", group: "a", kind: "http", protocols: BOTH, what: "HCM + router over mTLS", filters: () => ({ http: [] }) },
  { id: "http/envoy-rbac", group: "b", kind: "http", protocols: BOTH, what: "envoy.filters.http.rbac (authz convert --format envoy-rbac of sidecar.yaml's policies)", filters: () => ({ http: nativeRbac().http }) },
  { id: "http/identity-rbac-l7", group: "c", kind: "http", protocols: BOTH, what: "identity-rbac (identity-rbac-l7), sidecar.yaml", filters: () => ({ http: [sidecar.rbacL7()] }) },
  { id: "http/istio-stats-http", group: "c", kind: "http", protocols: BOTH, what: "istio-stats (http), sidecar.yaml", filters: () => ({ http: [sidecar.statsHttp()] }) },
  { id: "http/sidecar-inbound", group: "d", kind: "http", protocols: BOTH, what: "identity-rbac-l7 → istio-stats http: the L7 chain of sidecar.yaml (the waypoint's L7 filters)", filters: () => ({ http: [sidecar.rbacL7(), sidecar.statsHttp()] }) },
  { id: "tcp/none", group: "a", kind: "tcp", protocols: H1, what: "tcp_proxy over mTLS", filters: () => ({ network: [] }), stream: true },
  { id: "tcp/envoy-rbac", group: "b", kind: "tcp", protocols: H1, what: "envoy.filters.network.rbac (same policies)", filters: () => ({ network: nativeRbac().network }) },
  { id: "tcp/identity-rbac-l4", group: "c", kind: "tcp", protocols: H1, what: "identity-rbac (identity-rbac-l4), sidecar.yaml", filters: () => ({ network: [sidecar.rbacL4()] }) },
  { id: "tcp/istio-stats-tcp", group: "c", kind: "tcp", protocols: H1, what: "istio-stats (tcp), sidecar.yaml", filters: () => ({ network: [sidecar.statsTcp()] }) },
  { id: "tcp/sidecar-inbound", group: "d", kind: "tcp", protocols: H1, what: "identity-rbac-l4 → istio-stats tcp: the TCP chain of sidecar.yaml", filters: () => ({ network: [sidecar.rbacL4(), sidecar.statsTcp()] }) },
  { id: "connect/none", group: "a", kind: "connect", protocols: H1, what: "HBONE CONNECT terminate (HCM h2 + router), no filters", filters: () => ({ http: [] }), stream: true },
  { id: "connect/hbone-inbound", group: "c", kind: "connect", protocols: H1, what: "hbone-inbound, ztunnel.yaml (target from :authority via ORIGINAL_DST)", filters: () => ({ http: [ztunnel.hboneInbound()], originalDst: true }) },
  { id: "connect/identity-rbac-connect", group: "c", kind: "connect", protocols: H1, what: "identity-rbac (identity-rbac-connect), ztunnel.yaml", filters: () => ({ http: [ztunnel.rbacConnect()] }) },
  { id: "connect/istio-stats-tunnel", group: "c", kind: "connect", protocols: H1, what: "istio-stats (tunnel), ztunnel.yaml", filters: () => ({ http: [ztunnel.statsTunnel()] }) },
  { id: "connect/ztunnel-inbound", group: "d", kind: "connect", protocols: H1, what: "hbone-inbound → identity-rbac-connect → istio-stats tunnel: ztunnel.yaml's 15008 chain", filters: () => ({ http: [ztunnel.hboneInbound(), ztunnel.rbacConnect(), ztunnel.statsTunnel()], originalDst: true }), stream: true },
  { id: "mesh/ztunnel-15001-15008", group: "d", kind: "connect", protocols: H1, mesh: true, what: "ztunnel.yaml on two nodes: 15001 (hbone-outbound → istio-stats tcp) → HBONE → 15008 chain; CPU and RSS of both Envoys", filters: () => ({}) },
];

/** The case without filters of the same kind: what "added over (a)" is measured against. */
export function baselineOf(c: BenchCase): string | undefined {
  return c.mesh ? undefined : `${c.kind}/none`;
}

/** Envoy's native equivalent, where there is one. */
export function nativeOf(c: BenchCase): string | undefined {
  return c.kind === "connect" || c.mesh ? undefined : `${c.kind}/envoy-rbac`;
}
