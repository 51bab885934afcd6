// Envoy prints histogram bucket bounds and sums with fmt's `{:.32g}` (source/server/admin/prometheus_stats.cc,
// TextFormat::generateHistogram). That is printf's %g with precision 32: round to 32 significant digits, use
// fixed notation when the decimal exponent X satisfies -4 <= X < 32 and scientific notation otherwise, then drop
// trailing zeros (and a trailing decimal point). Scientific exponents have a sign and at least two digits.

const PRECISION = 32;

/** `fmt::format("{:.32g}", x)` for a finite or non-finite double. */
export function formatDoubleG32(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";

  const sign = x < 0 ? "-" : "";
  // toExponential rounds the exact binary value to PRECISION significant digits.
  const [mantissa, expText] = Math.abs(x).toExponential(PRECISION - 1).split("e");
  const digits = mantissa.replace(".", "");
  const exponent = Number(expText);

  if (exponent < -4 || exponent >= PRECISION) {
    const fraction = stripTrailingZeros(digits.slice(1));
    const expSign = exponent < 0 ? "-" : "+";
    const expDigits = String(Math.abs(exponent)).padStart(2, "0");
    return `${sign}${digits[0]}${fraction ? "." + fraction : ""}e${expSign}${expDigits}`;
  }
  if (exponent >= 0) {
    const integer = digits.slice(0, exponent + 1);
    const fraction = stripTrailingZeros(digits.slice(exponent + 1));
    return `${sign}${integer}${fraction ? "." + fraction : ""}`;
  }
  const fraction = stripTrailingZeros("0".repeat(-exponent - 1) + digits);
  return `${sign}0.${fraction}`;
}

function stripTrailingZeros(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 48) end--;
  return s.slice(0, end);
}
