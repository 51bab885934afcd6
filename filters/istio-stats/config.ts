// istio-stats plugin configuration (JSON; README.md documents every field).

import { PeerMetadata } from "../../lib/baggage";
import { ConfigErrors, ConfigReader } from "../../lib/config-reader";
import { parseSpiffeId } from "../../lib/spiffe";
import { parseDecimal } from "../../lib/strings";
import { readPeerPrincipalKey } from "../../lib/peer-principal";
import * as keys from "../../lib/filter-state-keys";
import { METRIC_NAMES } from "./series";

export enum Reporter {
  Source = 0,
  Destination = 1,
  Waypoint = 2,
}

export const REPORTER_NAMES: Array<string> = ["source", "destination", "waypoint"];

/** Istio's native filter reports TCP bytes every 5s by default (istio/proxy istio_stats.cc). */
export const DEFAULT_TCP_REPORTING_MS: u32 = 5000;
const MAX_TCP_REPORTING_MS: i64 = 24 * 3600 * 1000;

/** A service the destination_service* labels name. Empty fields are unknown. */
export class ServiceIdentity {
  host: string = "";
  name: string = "";
  namespace: string = "";
}

export class StatsConfig {
  errors: ConfigErrors = new ConfigErrors();
  /** Set when `reporter` was given; otherwise the listener direction decides (see root.ts). */
  reporterGiven: bool = false;
  reporter: Reporter = Reporter.Destination;
  /** The workload this proxy runs for; fields left empty are filled from node metadata. */
  local: PeerMetadata = new PeerMetadata();
  localPrincipal: string = "";
  service: ServiceIdentity = new ServiceIdentity();
  disableHostHeaderFallback: bool = false;
  /** Whether `destinationFromFilterState` was given; otherwise the mode decides (root.ts). */
  destinationFromFilterStateGiven: bool = false;
  destinationFromFilterState: bool = false;
  tcpReportingMs: u32 = DEFAULT_TCP_REPORTING_MS;
  /** Indexed like series.ts METRIC_NAMES / M_*. */
  dropped: StaticArray<bool> = new StaticArray<bool>(METRIC_NAMES.length);
  downstreamPeerKey: string = keys.DOWNSTREAM_PEER;
  upstreamPeerKey: string = keys.UPSTREAM_PEER;
  upstreamPeerPrincipalKey: string = keys.UPSTREAM_PEER_PRINCIPAL;
  /** Destination service hostname published by hbone-outbound (source reporter). */
  upstreamServiceKey: string = keys.UPSTREAM_SERVICE;
  /**
   * The source workload hbone-outbound matched (source reporter on a node-level proxy): `<principal>\n<baggage>`, the
   * principal only for tunnelled routes; a value without a line break is baggage alone.
   */
  sourcePeerKey: string = keys.HBONE_SOURCE;
  /** hbone-outbound's route (`hbone`, `waypoint`, `plain`, `passthrough`, `blackhole`), source reporter. */
  routeKey: string = keys.HBONE_ROUTE;
  /** Peer metadata used when the peer filter state is absent (never a principal). */
  peerFallback: PeerMetadata = new PeerMetadata();
  /**
   * Distinct downstream peer label texts (baggage) turned into metric labels per VM; a new one past the cap is
   * reported with `peerFallback`. The waypoint's downstream labels are the client's own baggage: this bounds the
   * metric series a client can create.
   */
  maxPeerLabelSets: i32 = 256;
  /**
   * Filter-state key with the downstream peer's URI SAN copied by Envoy's set_filter_state
   * (`%DOWNSTREAM_PEER_URI_SAN%`), read instead of the connection's certificate; "" = the certificate.
   */
  peerPrincipalFilterState: string = "";
}

/** Parses and validates the configuration; problems (with JSON paths) end up in `errors`. */
export function parseStatsConfig(text: string): StatsConfig {
  const r = ConfigReader.fromText(text, true);
  const c = new StatsConfig();
  c.errors = r.errors;

  const reporter = r.optionalEnum("reporter", REPORTER_NAMES, "");
  c.reporterGiven = reporter.length > 0;
  if (c.reporterGiven) c.reporter = <Reporter>REPORTER_NAMES.indexOf(reporter);

  const local = r.optionalObject("local");
  if (local !== null) {
    readWorkload(local, c.local);
    const identityKey = local.renamed("principal", "identity");
    const principal = local.optionalString(identityKey, "", false);
    if (principal.length > 0 && parseSpiffeId(principal) === null) {
      local.fail(identityKey, "must be a SPIFFE id spiffe://<trust-domain>/ns/<ns>/sa/<service-account>");
    } else {
      c.localPrincipal = principal;
    }
    local.finish();
  }

  const service = r.optionalObject("destinationService");
  if (service !== null) {
    c.service.host = service.optionalString("host", "", false);
    c.service.name = service.optionalString("name", "", false);
    c.service.namespace = service.optionalString("namespace", "", false);
    service.finish();
  }

  c.disableHostHeaderFallback = r.optionalBool("disableHostHeaderFallback", false);
  c.destinationFromFilterStateGiven = r.has("destinationFromFilterState");
  c.destinationFromFilterState = r.optionalBool("destinationFromFilterState", false);

  const duration = r.optionalString("tcpReportingDuration", "", false);
  if (duration.length > 0) {
    const ms = parseDurationMs(duration);
    if (ms < 0 || ms > MAX_TCP_REPORTING_MS) {
      r.fail("tcpReportingDuration", "must be a duration like \"5s\", \"1.5s\", \"500ms\" or \"1m\", at most 24h");
    } else {
      c.tcpReportingMs = <u32>ms;
    }
  }

  const metrics = r.optionalArray("metrics", METRIC_NAMES.length * 2);
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics.object(i);
    const name = m.requiredEnum("name", METRIC_NAMES);
    const drop = m.optionalBool("drop", false);
    m.finish();
    if (name.length > 0) unchecked((c.dropped[METRIC_NAMES.indexOf(name)] = drop));
  }

  const peerKeys = r.optionalObject("peerFilterState");
  if (peerKeys !== null) {
    c.downstreamPeerKey = peerKeys.optionalString("downstream", c.downstreamPeerKey);
    c.upstreamPeerKey = peerKeys.optionalString("upstream", c.upstreamPeerKey);
    c.upstreamPeerPrincipalKey = peerKeys.optionalString("upstreamPrincipal", c.upstreamPeerPrincipalKey);
    c.upstreamServiceKey = peerKeys.optionalString("upstreamService", c.upstreamServiceKey);
    c.sourcePeerKey = peerKeys.optionalString("source", c.sourcePeerKey);
    c.routeKey = peerKeys.optionalString("route", c.routeKey);
    peerKeys.finish();
  }

  c.peerPrincipalFilterState = readPeerPrincipalKey(r);

  c.maxPeerLabelSets = <i32>r.optionalInt("maxPeerLabelSets", c.maxPeerLabelSets, 0, 100000);

  const fallback = r.optionalObject("peerFallback");
  if (fallback !== null) {
    readWorkload(fallback, c.peerFallback);
    fallback.finish();
  }

  r.finish();
  return c;
}

/** The workload fields, named as in lib/workloads.ts (`name` was `workload` before). */
function readWorkload(r: ConfigReader, w: PeerMetadata): void {
  w.workloadName = r.optionalString(r.renamed("workload", "name"), "", false);
  w.namespace = r.optionalString("namespace", "", false);
  w.appName = r.optionalString("app", "", false);
  w.appVersion = r.optionalString("version", "", false);
  w.serviceName = r.optionalString("canonicalService", "", false);
  w.serviceVersion = r.optionalString("canonicalRevision", "", false);
  w.clusterName = r.optionalString("cluster", "", false);
}

/**
 * "5s", "1.5s", "500ms", "2m", "0s" → milliseconds; -1 when malformed. Seconds may carry up to three
 * decimals (anything finer than a millisecond cannot be a tick period).
 */
export function parseDurationMs(text: string): i64 {
  let unitMs: i64 = 0;
  let digits = text;
  if (text.endsWith("ms")) {
    unitMs = 1;
    digits = text.substring(0, text.length - 2);
  } else if (text.endsWith("s")) {
    unitMs = 1000;
    digits = text.substring(0, text.length - 1);
  } else if (text.endsWith("m")) {
    unitMs = 60000;
    digits = text.substring(0, text.length - 1);
  } else {
    return -1;
  }
  const dot = digits.indexOf(".");
  const whole = parseDecimal(dot >= 0 ? digits.substring(0, dot) : digits, 999_999_999);
  if (whole < 0) return -1;
  let ms = whole * unitMs;
  if (dot >= 0) {
    const fraction = digits.substring(dot + 1);
    let f = parseDecimal(fraction, 999);
    if (unitMs != 1000 || fraction.length > 3 || f < 0) return -1;
    for (let i = fraction.length; i < 3; i++) f *= 10;
    ms += f;
  }
  return ms;
}
