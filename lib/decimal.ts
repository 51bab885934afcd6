// Exact decimal arithmetic for the JSON parser: correctly rounded decimal → f64 conversion (round half to even),
// and the range/integer checks that validate a number without converting it.
// AssemblyScript's own parseFloat misrounds some inputs (e.g. "1.2345678901234567e39" gives 1e38 scale),
// so numbers are converted here with small exact big-integer arithmetic instead.

/** Unsigned big integer, little-endian base-2^32 limbs. Only what the conversion needs. */
class BigNat {
  limbs: Array<u32> = new Array<u32>();

  static fromU32(v: u32): BigNat {
    const b = new BigNat();
    if (v != 0) b.limbs.push(v);
    return b;
  }

  isZero(): bool {
    return this.limbs.length == 0;
  }

  mulSmallAdd(factor: u32, addend: u32): void {
    let carry: u64 = addend;
    for (let i = 0, n = this.limbs.length; i < n; i++) {
      const v = <u64>unchecked(this.limbs[i]) * factor + carry;
      unchecked((this.limbs[i] = <u32>v));
      carry = v >> 32;
    }
    if (carry != 0) this.limbs.push(<u32>carry);
  }

  mulPow10(k: i32): void {
    while (k >= 9) {
      this.mulSmallAdd(1000000000, 0);
      k -= 9;
    }
    let f: u32 = 1;
    for (let i = 0; i < k; i++) f *= 10;
    if (f != 1) this.mulSmallAdd(f, 0);
  }

  bitLength(): i32 {
    const n = this.limbs.length;
    if (n == 0) return 0;
    return (n - 1) * 32 + (32 - <i32>clz(unchecked(this.limbs[n - 1])));
  }

  bit(i: i32): u32 {
    const limb = i >> 5;
    if (i < 0 || limb >= this.limbs.length) return 0;
    return (unchecked(this.limbs[limb]) >> (i & 31)) & 1;
  }

  /** True when any bit below position `i` is set. */
  anyBitBelow(i: i32): bool {
    if (i <= 0) return false;
    const full = min(i >> 5, this.limbs.length);
    for (let k = 0; k < full; k++) if (unchecked(this.limbs[k]) != 0) return true;
    if (full < this.limbs.length && (i & 31) != 0) {
      const mask: u32 = (<u32>1 << (i & 31)) - 1;
      if ((unchecked(this.limbs[full]) & mask) != 0) return true;
    }
    return false;
  }

  /** Bits [from, from+count) as an integer (count ≤ 64). */
  bits(from: i32, count: i32): u64 {
    let v: u64 = 0;
    for (let i = count - 1; i >= 0; i--) v = (v << 1) | <u64>this.bit(from + i);
    return v;
  }

  /** this = this * 2 + bit */
  shiftInBit(b: u32): void {
    let carry: u32 = b;
    for (let i = 0, n = this.limbs.length; i < n; i++) {
      const v = unchecked(this.limbs[i]);
      unchecked((this.limbs[i] = (v << 1) | carry));
      carry = v >> 31;
    }
    if (carry != 0) this.limbs.push(carry);
  }

  compare(other: BigNat): i32 {
    const a = this.limbs.length;
    const b = other.limbs.length;
    if (a != b) return a < b ? -1 : 1;
    for (let i = a - 1; i >= 0; i--) {
      const x = unchecked(this.limbs[i]);
      const y = unchecked(other.limbs[i]);
      if (x != y) return x < y ? -1 : 1;
    }
    return 0;
  }

  /** this -= other (requires this >= other). */
  subtract(other: BigNat): void {
    let borrow: i64 = 0;
    for (let i = 0, n = this.limbs.length; i < n; i++) {
      let v = <i64>unchecked(this.limbs[i]) - borrow - (i < other.limbs.length ? <i64>unchecked(other.limbs[i]) : 0);
      borrow = 0;
      if (v < 0) {
        v += <i64>1 << 32;
        borrow = 1;
      }
      unchecked((this.limbs[i] = <u32>v));
    }
    while (this.limbs.length > 0 && this.limbs[this.limbs.length - 1] == 0) this.limbs.pop();
  }
}

/** 2^k for -1074 ≤ k ≤ 1023, built from bits (exact). */
function pow2(k: i32): f64 {
  if (k >= -1022) return reinterpret<f64>(<u64>(k + 1023) << 52);
  return reinterpret<f64>(<u64>1 << <u64>(k + 1074));
}

/**
 * The f64 nearest to digits × 10^exponent (ties to even), where `digits` is a non-empty string of ASCII
 * decimal digits. Returns Infinity on overflow and 0 on underflow; never traps. `digits` longer than
 * 800 characters are truncated with a sticky digit (far beyond f64 precision, so the result is unchanged).
 */
export function decimalToF64(digits: string, exponent: i32): f64 {
  let start = 0;
  let end = digits.length;
  while (start < end && digits.charCodeAt(start) == 0x30) start++;
  while (end > start && digits.charCodeAt(end - 1) == 0x30) {
    end--;
    exponent++;
  }
  if (start == end) return 0;
  // Truncate absurdly long mantissas: keep 800 digits and fold the rest into a non-zero sticky digit.
  let sticky = false;
  if (end - start > 800) {
    exponent += end - start - 800;
    end = start + 800;
    sticky = true;
  }
  const count = end - start;
  // Magnitude checks before any big arithmetic: value is in [10^(count-1+exponent), 10^(count+exponent)).
  if (count + exponent > 310) return Infinity;
  if (count + exponent < -326) return 0;
  // Fast path (Clinger): both operands exact in f64, one correctly rounded operation.
  if (count <= 15 && !sticky && exponent >= -22 && exponent <= 22) {
    let m: f64 = 0;
    for (let i = start; i < end; i++) m = m * 10 + <f64>(digits.charCodeAt(i) - 0x30);
    return exponent >= 0 ? m * exactPow10(exponent) : m / exactPow10(-exponent);
  }
  const d = new BigNat();
  for (let i = start; i < end; i++) d.mulSmallAdd(10, <u32>(digits.charCodeAt(i) - 0x30));
  if (sticky) d.mulSmallAdd(10, 1);
  if (sticky) exponent -= 1;
  if (exponent >= 0) {
    d.mulPow10(exponent);
    return roundToF64(d, 0, false);
  }
  // value = d / 10^k: compute q = floor(d * 2^s / 10^k) with at least 66 significant bits, plus a sticky bit.
  const divisor = BigNat.fromU32(1);
  divisor.mulPow10(-exponent);
  const s = max(0, 66 + divisor.bitLength() - d.bitLength());
  const q = new BigNat();
  const r = new BigNat();
  const total = d.bitLength() + s;
  for (let i = total - 1; i >= 0; i--) {
    r.shiftInBit(i >= s ? d.bit(i - s) : 0);
    if (r.compare(divisor) >= 0) {
      r.subtract(divisor);
      q.shiftInBit(1);
    } else {
      q.shiftInBit(0);
    }
  }
  return roundToF64(q, s, !r.isZero());
}

/** Nearest f64 to n × 2^-scale (+ a sticky fraction when `sticky`), ties to even. */
function roundToF64(n: BigNat, scale: i32, sticky: bool): f64 {
  const length = n.bitLength();
  if (length == 0) return 0;
  const exponent = length - 1 - scale; // of the leading bit
  if (exponent > 1023) return Infinity;
  let precision = 53;
  if (exponent < -1022) precision = 53 - (-1022 - exponent);
  if (precision <= 0) {
    // Below half the smallest subnormal (or exactly half without sticky → rounds to even = 0).
    if (precision == 0 && (n.anyBitBelow(length - 1) || sticky)) return pow2(-1074);
    return 0;
  }
  const dropped = length - precision;
  let m: u64;
  if (dropped <= 0) {
    m = n.bits(0, length) << <u64>(-dropped);
  } else {
    m = n.bits(dropped, precision);
    const half = n.bit(dropped - 1);
    const rest = n.anyBitBelow(dropped - 1) || sticky;
    if (half == 1 && (rest || (m & 1) == 1)) m++;
  }
  // m × 2^(exponent - precision + 1); m may have carried to 2^precision, still exact (or Infinity).
  const k = exponent - precision + 1;
  // Split the scaling so every intermediate is exact.
  let v = <f64>m;
  if (k < -1022) {
    v *= pow2(-600);
    return v * pow2(k + 600);
  }
  if (k > 1023 - 53) {
    v *= pow2(k - 100);
    return v * pow2(100);
  }
  return v * pow2(k);
}

function exactPow10(k: i32): f64 {
  let v: f64 = 1;
  for (let i = 0; i < k; i++) v *= 10;
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// Exact checks on a decimal `digits × 10^exponent` (digits: ASCII, leading zeros allowed) without converting it:
// a JSON parser needs only these to validate a number, and configurations read integers.

/**
 * The smallest magnitude that rounds to infinity, 2^1024 − 2^970 (309 digits), in 18-digit chunks (zero-padded):
 * f64's largest finite value is (2^53 − 1)·2^971 and the half-way point above it rounds to even, i.e. up.
 */
const F64_OVERFLOW_CHUNKS: StaticArray<u64> = [
  179769313486231580, 793728971405303415, 79934132710037826, 936173778980444968, 292764750946649017,
  977587207096330286, 416692887910946555, 547851940402630657, 488671505820681908, 902000708383676273,
  854845817711531764, 475730270069855571, 366959622842914819, 860834936475292719, 74168444365510704,
  342711559699508093, 42880177904174497, 792000000000000000,
];
const F64_OVERFLOW_ORDER: i32 = 308; // the threshold lies in [10^308, 10^309)

/** True when the decimal's magnitude is too large for f64 (it would round to infinity). */
export function decimalExceedsF64(digits: string, exponent: i32): bool {
  const n = digits.length;
  let first = 0;
  while (first < n && digits.charCodeAt(first) == 0x30) first++;
  if (first == n) return false; // zero
  const order = n - first - 1 + exponent; // the value lies in [10^order, 10^(order+1))
  if (order != F64_OVERFLOW_ORDER) return order > F64_OVERFLOW_ORDER;
  for (let c = 0; c < F64_OVERFLOW_CHUNKS.length; c++) {
    let chunk: u64 = 0;
    for (let k = 0; k < 18; k++) {
      const at = first + c * 18 + k;
      chunk = chunk * 10 + (at < n ? <u64>(digits.charCodeAt(at) - 0x30) : 0);
    }
    const limit = unchecked(F64_OVERFLOW_CHUNKS[c]);
    if (chunk != limit) return chunk > limit;
  }
  return true; // equal to the threshold over all its digits: at least the threshold
}

/** The decimal's exact value when it is an integer below 2^63 in magnitude, else -1. */
export function decimalToInteger(digits: string, exponent: i32): i64 {
  let integralDigits = digits.length;
  if (exponent < 0) {
    integralDigits += exponent;
    if (integralDigits < 0) integralDigits = 0;
    for (let i = integralDigits; i < digits.length; i++) if (digits.charCodeAt(i) != 0x30) return -1; // a fraction
    exponent = 0;
  }
  let v: i64 = 0;
  for (let i = 0; i < integralDigits; i++) {
    const d = <i64>(digits.charCodeAt(i) - 0x30);
    if (v > (i64.MAX_VALUE - d) / 10) return -1;
    v = v * 10 + d;
  }
  for (let e = 0; e < exponent && v != 0; e++) {
    if (v > i64.MAX_VALUE / 10) return -1;
    v *= 10;
  }
  return v;
}
