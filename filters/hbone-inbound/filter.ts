// hbone-inbound: HTTP filter in the connection manager that terminates HBONE CONNECT on 15008. Checks that
// `:authority` names a local workload, tells the ORIGINAL_DST cluster where to dial, removes headers a client
// could forge, and turns `baggage` / `forwarded` into filter state for the metrics filter (README "Wiring").
export * from "../../sdk/exports";
import {
  FilterHeadersStatus, HeaderSnapshot, HttpContext, LogLevel, RootContext, WasmResult, log,
  registerRootContext, requestHeaders, setEnvoyFilterState,
} from "../../sdk";
import { encodePeerMetadata, parsePeerMetadata } from "../../lib/baggage";
import { forwardedHost } from "../../lib/forwarded";
import { BAGGAGE_HEADER, FORWARDED_HEADER, ORIGINAL_DST_HOST_HEADER } from "../../lib/hbone-headers";
import { DOWNSTREAM_PEER, HBONE_CONNECT_TARGET, ORIGINAL_DST_ADDRESS, UPSTREAM_PEER, UPSTREAM_PEER_PRINCIPAL, UPSTREAM_SERVICE } from "../../lib/filter-state-keys";
import { asciiLower } from "../../lib/strings";
import { setWasmFilterState } from "../common/filter-state";
import { DESTINATION_ADDRESS, SOURCE_ADDRESS, readAddress } from "../common/properties";
import { InboundConfig, SourceMetadata, TargetMode, parseInboundConfig } from "./config";
import { Destination, resolveDestination } from "./destination";

/** Longest `forwarded` header value we look at; longer ones are ignored (lib/forwarded has its own limits too). */
const MAX_FORWARDED = 4096;

class InboundRoot extends RootContext {
  config: InboundConfig = new InboundConfig();
  /** Source label sets seen from baggage (config.maxBaggagePeers bounds it). */
  baggagePeers: Set<string> = new Set<string>();

  onConfigure(configurationSize: u32): bool {
    const config = parseInboundConfig(this.getPluginConfiguration());
    if (!config.errors.ok) {
      log.error("hbone-inbound: invalid plugin configuration: " + config.errors.summary());
      return false;
    }
    this.config = config;
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null {
    return new InboundStream(contextId, this);
  }
}

/**
 * Removes, before any check, the headers no later filter may see: a client's x-envoy-original-dst-host (ORIGINAL_DST's
 * use_http_header trusts it blindly) and the configured `stripHeaders`. A host call only for those present.
 */
function stripForgeable(headers: HeaderSnapshot, config: InboundConfig): void {
  if (headers.drop(ORIGINAL_DST_HOST_HEADER)) requestHeaders.remove(ORIGINAL_DST_HOST_HEADER);
  for (let i = 0; i < config.stripHeaders.length; i++) {
    const name = unchecked(config.stripHeaders[i]);
    if (headers.drop(name)) requestHeaders.remove(name);
  }
}

class InboundStream extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const config = changetype<InboundRoot>(this.root).config;
    const headers = requestHeaders.snapshot(); // one host call for every header read below
    stripForgeable(headers, config);

    const method = headers.get(":method");
    if (method === null || method != "CONNECT") return this.refuse(400, "hbone_method_not_connect");
    const authority = headers.get(":authority");
    const d = resolveDestination(config, authority, readAddress(DESTINATION_ADDRESS));
    if (d.status != 0) return this.refuse(d.status, d.details);

    if (config.target != TargetMode.Header && setEnvoyFilterState(ORIGINAL_DST_ADDRESS, d.target) != WasmResult.Ok) {
      if (config.target == TargetMode.FilterState) return this.refuse(503, "hbone_filter_state_refused");
    }
    if (config.target != TargetMode.FilterState) requestHeaders.replace(ORIGINAL_DST_HOST_HEADER, d.target);
    this.publish(config, d, headers);
    if (log.enabled(LogLevel.Debug)) log.debug("hbone-inbound: CONNECT " + (authority !== null ? authority : "") + " -> " + d.target);
    return FilterHeadersStatus.Continue;
  }

  private refuse(status: u32, details: string): FilterHeadersStatus {
    if (log.enabled(LogLevel.Debug)) log.debug("hbone-inbound: refusing CONNECT: " + details);
    this.sendLocalResponse(status, details, details + "\n");
    return FilterHeadersStatus.StopIteration;
  }

  /** Filter state for identity-rbac / istio-stats on this stream (lib/filter-state-keys.ts). Labels only, never identity. */
  private publish(config: InboundConfig, d: Destination, headers: HeaderSnapshot): void {
    const local = d.workload!;
    // The one parse of the CONNECT target: identity-rbac (connect mode) judges exactly what ORIGINAL_DST dials.
    setWasmFilterState(HBONE_CONNECT_TARGET, d.target);
    setWasmFilterState(UPSTREAM_PEER, local.baggage());
    setWasmFilterState(UPSTREAM_PEER_PRINCIPAL, local.identity);

    let service = d.service;
    const forwarded = headers.get(FORWARDED_HEADER);
    if (service === null && forwarded !== null && forwarded.length <= MAX_FORWARDED) {
      // ztunnel reads only host= of `forwarded`, to pick among the destination's services; for= is ignored.
      const host = forwardedHost(forwarded);
      if (host !== null) service = local.service(asciiLower(host));
    }
    if (service !== null) setWasmFilterState(UPSTREAM_SERVICE, service.hostname);

    const peer = this.sourceBaggage(config, headers);
    if (peer.length > 0) setWasmFilterState(DOWNSTREAM_PEER, peer);
  }

  /** Source labels: the table entry of the TCP peer, else the CONNECT's baggage re-encoded from parsed fields. */
  private sourceBaggage(config: InboundConfig, headers: HeaderSnapshot): string {
    if (config.sourceMetadata != SourceMetadata.Baggage) {
      const src = readAddress(SOURCE_ADDRESS);
      const w = src !== null ? config.table.workloadAt(src.ip) : null;
      if (w !== null) return w.baggage();
      if (config.sourceMetadata == SourceMetadata.Table) return "";
    }
    const header = headers.get(BAGGAGE_HEADER);
    if (header === null) return "";
    const m = parsePeerMetadata(header); // null when over W3C limits (8192 bytes / 64 members)
    if (m === null || m.isEmpty()) return "";
    const labels = encodePeerMetadata(m);
    const root = changetype<InboundRoot>(this.root);
    if (!root.baggagePeers.has(labels)) {
      if (root.baggagePeers.size >= config.maxBaggagePeers) return ""; // claimed labels past the cap: unknown
      root.baggagePeers.add(labels);
    }
    return labels;
  }
}

registerRootContext("", (id: u32): RootContext => new InboundRoot(id));
