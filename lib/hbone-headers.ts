// The HBONE-style CONNECT headers (docs/envoy-facts.md: hbone-headers): their names, which of them a filter sends
// — the `headers` block shared by the plugin configurations of hbone-outbound and connect-headers, whose
// defaults differ — and their values, computed here for both filters (hbone-outbound hands them to tcp_proxy
// through filter state, connect-headers writes them on the CONNECT it forwards).

import { SocketAddress, formatIp } from "./address";
import { ConfigReader } from "./config-reader";
import { buildForwarded } from "./forwarded";
import { TraceparentSource } from "./traceparent";
import { Workload } from "./workloads";

export const BAGGAGE_HEADER = "baggage";
export const FORWARDED_HEADER = "forwarded";
export const X_FORWARDED_FOR_HEADER = "x-forwarded-for";
export const TRACEPARENT_HEADER = "traceparent";
/** What an ORIGINAL_DST cluster with `use_http_header` dials (docs/envoy-facts.md: original-dst-order). */
export const ORIGINAL_DST_HOST_HEADER = "x-envoy-original-dst-host";

export class HboneHeaderOptions {
  constructor(
    /** `baggage` of the source workload (docs/envoy-facts.md: baggage-format). */
    public baggage: bool = true,
    /** `forwarded: for="ip:port"[;host=…]`, as ztunnel sends it. */
    public forwarded: bool = true,
    /** `x-forwarded-for: <source ip>`. */
    public xForwardedFor: bool = false,
    /** A fresh W3C `traceparent`. */
    public traceparent: bool = true,
    /** `x-envoy-original-dst-host: <target>`, as Istio's 2022 Envoy-based ztunnel sent it. */
    public originalDstHost: bool = true,
  ) {}
}

/**
 * Reads the optional object `key` of `r` — `{baggage, forwarded, xForwardedFor, traceparent, originalDstHost}`, all
 * booleans, each defaulting to `defaults` — and reports unknown members at their JSON path.
 */
export function readHboneHeaderOptions(r: ConfigReader, key: string, defaults: HboneHeaderOptions): HboneHeaderOptions {
  const headers = r.optionalObject(key);
  if (headers === null) return defaults;
  const options = new HboneHeaderOptions(
    headers.optionalBool("baggage", defaults.baggage),
    headers.optionalBool("forwarded", defaults.forwarded),
    headers.optionalBool("xForwardedFor", defaults.xForwardedFor),
    headers.optionalBool("traceparent", defaults.traceparent),
    headers.optionalBool("originalDstHost", defaults.originalDstHost),
  );
  headers.finish();
  return options;
}

/** The header values one CONNECT carries; "" = not sent. */
export class HboneHeaderValues {
  baggage: string = "";
  forwarded: string = "";
  xForwardedFor: string = "";
  traceparent: string = "";
  originalDstHost: string = "";
}

/**
 * The values of the headers `options` turns on: `baggage` of the `source` workload (when it is in the table),
 * `forwarded` and `x-forwarded-for` from the client address `src` (with `;host=<serviceHost>` when a service is
 * known), a fresh `traceparent` (from `traceparents`, the clock `nowNanoseconds` and a per-connection `salt`),
 * and `x-envoy-original-dst-host: <originalDst>` when `originalDst` is not "".
 */
export function hboneHeaderValues(
  options: HboneHeaderOptions, source: Workload | null, src: SocketAddress | null, serviceHost: string, originalDst: string,
  traceparents: TraceparentSource, nowNanoseconds: u64, salt: u64,
): HboneHeaderValues {
  const v = new HboneHeaderValues();
  if (options.baggage && source !== null) v.baggage = source.baggage();
  if (src !== null) {
    if (options.forwarded) v.forwarded = buildForwarded(src, serviceHost);
    if (options.xForwardedFor) v.xForwardedFor = formatIp(src.ip);
  }
  if (options.traceparent) v.traceparent = traceparents.next(nowNanoseconds, salt);
  if (options.originalDstHost) v.originalDstHost = originalDst;
  return v;
}
