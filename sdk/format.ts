// Number → text without AssemblyScript's general formatter: `n.toString()` links the any-radix integer code and
// its tables (≈ 0.8 KB per module); every integer the SDK and lib/ print goes through this instead.

/** Decimal text of `n`, exactly what `n.toString()` gives for an integer. */
export function formatInt(n: i64): string {
  if (n == 0) return "0";
  const negative = n < 0;
  let v: u64 = negative ? <u64>0 - <u64>n : <u64>n; // also right for i64.MIN_VALUE
  let digits = 0;
  for (let t = v; t != 0; t /= 10) digits++;
  const length = negative ? digits + 1 : digits;
  const out = changetype<string>(__new(<usize>length << 1, idof<string>()));
  const base = changetype<usize>(out);
  for (let i = length - 1; v != 0; i--) {
    store<u16>(base + (<usize>i << 1), <u16>(0x30 + <u32>(v % 10)));
    v /= 10;
  }
  if (negative) store<u16>(base, 0x2d);
  return out;
}
