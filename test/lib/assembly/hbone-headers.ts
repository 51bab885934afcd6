// Test entry for lib/hbone-headers.ts.
import "../../../sdk/runtime/abort";
import { ConfigReader } from "../../../lib/config-reader";
import { parseSocketAddress } from "../../../lib/address";
import { HboneHeaderOptions, hboneHeaderValues, readHboneHeaderOptions } from "../../../lib/hbone-headers";
import { TraceparentSource } from "../../../lib/traceparent";
import { Workload, readWorkload } from "../../../lib/workloads";

function flag(b: bool): string {
  return b ? "1" : "0";
}

/**
 * Reads `json`'s "headers" over defaults with `originalDstHost` = `originalDstHostDefault`:
 * "baggage forwarded xForwardedFor traceparent originalDstHost" as 0/1 digits, or "!" + the first error.
 */
export function read(json: string, originalDstHostDefault: bool): string {
  const r = ConfigReader.fromText(json, true);
  const o = readHboneHeaderOptions(r, "headers", new HboneHeaderOptions(true, true, false, true, originalDstHostDefault));
  r.finish();
  if (!r.ok) return "!" + r.errors.first;
  return flag(o.baggage) + flag(o.forwarded) + flag(o.xForwardedFor) + flag(o.traceparent) + flag(o.originalDstHost);
}

/**
 * hboneHeaderValues with the options in `json` (defaults: all but xForwardedFor), source workload `sourceJson`
 * ("" = not in the table), client address `src` ("" = unknown), service host and original destination; the five
 * values joined by "|" (traceparent shown as its length).
 */
export function values(json: string, sourceJson: string, src: string, serviceHost: string, originalDst: string): string {
  const r = ConfigReader.fromText(json, true);
  const o = readHboneHeaderOptions(r, "headers", new HboneHeaderOptions(true, true, false, true, true));
  let source: Workload | null = null;
  if (sourceJson.length > 0) source = readWorkload(ConfigReader.fromText(sourceJson));
  const v = hboneHeaderValues(o, source, src.length > 0 ? parseSocketAddress(src) : null, serviceHost, originalDst,
    new TraceparentSource(7), 1_000_000, 3);
  return v.baggage + "|" + v.forwarded + "|" + v.xForwardedFor + "|" + v.traceparent.length.toString() + "|" + v.originalDstHost;
}
