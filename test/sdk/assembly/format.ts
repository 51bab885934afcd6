// Test entry for sdk/format.ts (test/sdk/format.test.ts): compares formatInt with AssemblyScript's own toString.
import "../../../sdk/runtime/abort";
import { formatInt } from "../../../sdk/format";

export function format(n: i64): string {
  return formatInt(n);
}

/** 1 when formatInt agrees with i64#toString for `n`. */
export function agrees(n: i64): bool {
  return formatInt(n) == n.toString();
}
