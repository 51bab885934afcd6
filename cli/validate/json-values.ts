// Proto3 JSON forms of scalars and well-known types, as protobuf's JSON parser accepts them.
// Each parser returns the typed value, or a string describing why the JSON value is not acceptable.
import { ScalarType } from "@bufbuild/protobuf";

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (reason: string): Parsed<never> => ({ ok: false, reason });

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

const intRanges: Partial<Record<ScalarType, [bigint, bigint, string]>> = {
  [ScalarType.INT32]: [-(2n ** 31n), 2n ** 31n - 1n, "int32"],
  [ScalarType.SINT32]: [-(2n ** 31n), 2n ** 31n - 1n, "sint32"],
  [ScalarType.SFIXED32]: [-(2n ** 31n), 2n ** 31n - 1n, "sfixed32"],
  [ScalarType.UINT32]: [0n, 2n ** 32n - 1n, "uint32"],
  [ScalarType.FIXED32]: [0n, 2n ** 32n - 1n, "fixed32"],
  [ScalarType.INT64]: [-(2n ** 63n), 2n ** 63n - 1n, "int64"],
  [ScalarType.SINT64]: [-(2n ** 63n), 2n ** 63n - 1n, "sint64"],
  [ScalarType.SFIXED64]: [-(2n ** 63n), 2n ** 63n - 1n, "sfixed64"],
  [ScalarType.UINT64]: [0n, 2n ** 64n - 1n, "uint64"],
  [ScalarType.FIXED64]: [0n, 2n ** 64n - 1n, "fixed64"],
};

function parseInteger(v: unknown, type: ScalarType): Parsed<bigint> {
  const [min, max, name] = intRanges[type]!;
  let n: bigint;
  if (typeof v === "number") {
    if (!Number.isInteger(v)) return bad(`expected ${name}, got non-integer ${v}`);
    n = BigInt(v);
  } else if (typeof v === "string") {
    if (!/^-?[0-9]+$/.test(v)) return bad(`expected ${name}, got ${describe(v)}`);
    n = BigInt(v);
  } else {
    return bad(`expected ${name}, got ${describe(v)}`);
  }
  if (n < min || n > max) return bad(`${n} is out of range for ${name} (${min}..${max})`);
  return ok(n);
}

function parseFloating(v: unknown, type: ScalarType): Parsed<number> {
  const name = type === ScalarType.FLOAT ? "float" : "double";
  let n: number;
  if (typeof v === "number") n = v;
  else if (v === "NaN") return ok(NaN);
  else if (v === "Infinity") return ok(Infinity);
  else if (v === "-Infinity") return ok(-Infinity);
  else if (typeof v === "string" && /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(v)) n = Number(v);
  else return bad(`expected ${name}, got ${describe(v)}`);
  if (!Number.isFinite(n) || (type === ScalarType.FLOAT && Math.abs(n) > 3.4028234663852886e38)) return bad(`${v} is out of range for ${name}`);
  return ok(n);
}

function parseBytes(v: unknown): Parsed<Uint8Array> {
  if (typeof v !== "string") return bad(`expected base64 bytes, got ${describe(v)}`);
  const clean = v.replace(/[-_]/g, (c) => (c === "-" ? "+" : "/"));
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.replace(/=+$/, "").length % 4 === 1) return bad(`invalid base64 bytes ${JSON.stringify(v)}`);
  return ok(new Uint8Array(Buffer.from(clean, "base64")));
}

/** A scalar field's JSON value: numbers (or numeric strings for integers and floats), strings, booleans, base64. */
export function parseScalar(v: unknown, type: ScalarType): Parsed<number | bigint | string | boolean | Uint8Array> {
  switch (type) {
    case ScalarType.STRING:
      return typeof v === "string" ? ok(v) : bad(`expected string, got ${describe(v)}`);
    case ScalarType.BOOL:
      return typeof v === "boolean" ? ok(v) : bad(`expected boolean, got ${describe(v)}`);
    case ScalarType.BYTES:
      return parseBytes(v);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return parseFloating(v, type);
    default:
      return parseInteger(v, type);
  }
}

export function scalarDefault(type: ScalarType): number | bigint | string | boolean | Uint8Array {
  switch (type) {
    case ScalarType.STRING:
      return "";
    case ScalarType.BOOL:
      return false;
    case ScalarType.BYTES:
      return new Uint8Array();
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return 0;
    default:
      return 0n;
  }
}

const MAX_DURATION_SECONDS = 315_576_000_000n;

/** google.protobuf.Duration JSON: `"1.5s"`, `"-0.000000001s"`, at most 9 fractional digits. Value in nanoseconds. */
export function parseDuration(v: unknown): Parsed<bigint> {
  if (typeof v !== "string") return bad(`expected duration string like "1.5s", got ${describe(v)}`);
  const m = /^(-)?([0-9]+)(?:\.([0-9]{1,9}))?s$/.exec(v);
  if (!m) return bad(`invalid duration ${JSON.stringify(v)}: expected seconds with an "s" suffix, like "1.5s"`);
  const seconds = BigInt(m[2]);
  if (seconds > MAX_DURATION_SECONDS) return bad(`duration ${JSON.stringify(v)} is out of range (max ${MAX_DURATION_SECONDS}s)`);
  const nanos = seconds * 1_000_000_000n + BigInt((m[3] ?? "").padEnd(9, "0"));
  return ok(m[1] ? -nanos : nanos);
}

/** google.protobuf.Timestamp JSON: RFC 3339 with a Z or ±hh:mm offset. Value in nanoseconds since the epoch. */
export function parseTimestamp(v: unknown): Parsed<bigint> {
  if (typeof v !== "string") return bad(`expected RFC 3339 timestamp string, got ${describe(v)}`);
  const m = /^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})$/.exec(v);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) return bad(`invalid timestamp ${JSON.stringify(v)}: expected RFC 3339 like "2024-01-01T00:00:00Z"`);
  return ok(BigInt(ms) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0")));
}

/** Wrapper message types and the scalar they wrap (their JSON form is the bare scalar). */
export const wrapperScalars: Record<string, ScalarType> = {
  "google.protobuf.DoubleValue": ScalarType.DOUBLE,
  "google.protobuf.FloatValue": ScalarType.FLOAT,
  "google.protobuf.Int64Value": ScalarType.INT64,
  "google.protobuf.UInt64Value": ScalarType.UINT64,
  "google.protobuf.Int32Value": ScalarType.INT32,
  "google.protobuf.UInt32Value": ScalarType.UINT32,
  "google.protobuf.BoolValue": ScalarType.BOOL,
  "google.protobuf.StringValue": ScalarType.STRING,
  "google.protobuf.BytesValue": ScalarType.BYTES,
};

/** Well-known types whose JSON form is not an object of their fields, so inside an Any they go in `value`. */
export const valueFormTypes = new Set([
  ...Object.keys(wrapperScalars),
  "google.protobuf.Duration",
  "google.protobuf.Timestamp",
  "google.protobuf.FieldMask",
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.ListValue",
  "google.protobuf.Any",
]);
