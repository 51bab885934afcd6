// Test entry for lib/traceparent.ts.
import "../../../sdk/runtime/abort";
import { TraceparentSource, isValidTraceparent, formatTraceparent } from "../../../lib/traceparent";

let source = new TraceparentSource(0);

export function reseed(seedHigh: i32, seedLow: i32): void {
  source = new TraceparentSource((<u64>(<u32>seedHigh) << 32) | <u64>(<u32>seedLow));
}

/** A fresh value for (now, salt). */
export function next(nowLow: i32, salt: i32): string {
  return source.next(<u64>(<u32>nowLow), <u64>(<u32>salt));
}

export function valid(s: string): bool {
  return isValidTraceparent(s);
}

export function zeros(): string {
  return formatTraceparent(0, 0, 0, true);
}
