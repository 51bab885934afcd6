// Envoy orders stat names with SymbolTable::lessThan (source/common/stats/symbol_table.cc): the names are compared
// token by token (tokens are the '.'-separated elements), each pair of differing tokens as byte strings, and a name
// that is a token-prefix of another sorts first. This is not plain string order: "a.b" < "a-b" (token "a" is a
// prefix of "a-b") although '-' < '.'.

const encoder = new TextEncoder();

function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(encoder.encode(a), encoder.encode(b));
}

/** Negative when `a` sorts before `b` in Envoy's stat-name order, 0 when equal. */
export function compareStatNames(a: string, b: string): number {
  if (a === b) return 0;
  const at = a.split(".");
  const bt = b.split(".");
  const n = Math.min(at.length, bt.length);
  for (let i = 0; i < n; i++) {
    const c = compareBytes(at[i], bt[i]);
    if (c !== 0) return c;
  }
  return at.length - bt.length;
}
