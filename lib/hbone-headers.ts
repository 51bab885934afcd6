// Which HBONE-style CONNECT headers a filter sends — the `headers` block shared by the plugin configurations of
// hbone-outbound and connect-headers. The values come from lib/workloads (baggage), lib/forwarded and
// lib/traceparent; only the defaults differ between the filters.

import { ConfigReader } from "./config-reader";

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
