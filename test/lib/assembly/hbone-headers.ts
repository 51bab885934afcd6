// Test entry for lib/hbone-headers.ts.
import "../../../sdk/runtime/abort";
import { ConfigReader } from "../../../lib/config-reader";
import { HboneHeaderOptions, readHboneHeaderOptions } from "../../../lib/hbone-headers";

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
