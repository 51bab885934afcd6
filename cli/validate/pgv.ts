// The protoc-gen-validate rules Envoy's API declares, checked the way PGV's generated validators check them.
// Each function returns the violations of one value ([] when it passes); rule values come from
// EnvoySchema.fieldRules (JSON: 64-bit integers and durations as strings).
import type { DescEnum } from "@bufbuild/protobuf";
import { parseDuration } from "./json-values.ts";

type Rules = Record<string, any>;
const tag = (kind: string, rule: string) => ` [PGV ${kind}.${rule}]`;

// PGV's regexes for its well-known header rules (strict), and the lax form used when `strict: false`.
const headerName = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
const headerValue = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const laxHeader = /^[^\u0000\u000A\u000D]*$/;

const regexCache = new Map<string, RegExp | null>();
function compile(pattern: string): RegExp | null {
  if (!regexCache.has(pattern)) {
    try {
      regexCache.set(pattern, new RegExp(pattern, "u"));
    } catch {
      regexCache.set(pattern, null);
    }
  }
  return regexCache.get(pattern)!;
}

export function stringViolations(r: Rules, s: string): string[] {
  if (r.ignore_empty && s === "") return [];
  const out: string[] = [];
  const chars = [...s].length;
  const bytes = Buffer.byteLength(s, "utf8");
  const n = (x: unknown) => Number(x);
  if ("const" in r && s !== r.const) out.push(`value must equal ${JSON.stringify(r.const)}` + tag("string", "const"));
  if ("len" in r && chars !== n(r.len)) out.push(`value length must be ${r.len} characters` + tag("string", "len"));
  if ("min_len" in r && chars < n(r.min_len)) out.push(`value length must be at least ${r.min_len} characters${s === "" ? " (field is missing or empty)" : ""}` + tag("string", "min_len"));
  if ("max_len" in r && chars > n(r.max_len)) out.push(`value length must be at most ${r.max_len} characters` + tag("string", "max_len"));
  if ("len_bytes" in r && bytes !== n(r.len_bytes)) out.push(`value length must be ${r.len_bytes} bytes` + tag("string", "len_bytes"));
  if ("min_bytes" in r && bytes < n(r.min_bytes)) out.push(`value length must be at least ${r.min_bytes} bytes${s === "" ? " (field is missing or empty)" : ""}` + tag("string", "min_bytes"));
  if ("max_bytes" in r && bytes > n(r.max_bytes)) out.push(`value length must be at most ${r.max_bytes} bytes` + tag("string", "max_bytes"));
  if ("pattern" in r) {
    const re = compile(r.pattern);
    if (re && !re.test(s)) out.push(`value does not match regex pattern ${JSON.stringify(r.pattern)}` + tag("string", "pattern"));
  }
  if ("prefix" in r && !s.startsWith(r.prefix)) out.push(`value does not have prefix ${JSON.stringify(r.prefix)}` + tag("string", "prefix"));
  if ("suffix" in r && !s.endsWith(r.suffix)) out.push(`value does not have suffix ${JSON.stringify(r.suffix)}` + tag("string", "suffix"));
  if ("contains" in r && !s.includes(r.contains)) out.push(`value does not contain ${JSON.stringify(r.contains)}` + tag("string", "contains"));
  if ("not_contains" in r && s.includes(r.not_contains)) out.push(`value contains ${JSON.stringify(r.not_contains)}` + tag("string", "not_contains"));
  if (Array.isArray(r.in) && !r.in.includes(s)) out.push(`value must be in list [${r.in.map((x: string) => JSON.stringify(x)).join(", ")}]` + tag("string", "in"));
  if (Array.isArray(r.not_in) && r.not_in.includes(s)) out.push(`value must not be in list [${r.not_in.join(", ")}]` + tag("string", "not_in"));
  if (r.well_known_regex === "HTTP_HEADER_NAME" || r.well_known_regex === "HTTP_HEADER_VALUE") {
    const strict = r.strict !== false;
    const re = !strict ? laxHeader : r.well_known_regex === "HTTP_HEADER_NAME" ? headerName : headerValue;
    if (!re.test(s)) out.push(`value does not match ${r.well_known_regex}${strict ? "" : " (non-strict: no NUL, CR or LF)"}` + tag("string", "well_known_regex"));
  }
  if (r.hostname && !/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(s)) out.push("value must be a valid hostname" + tag("string", "hostname"));
  if (r.ip && !isIp(s)) out.push("value must be a valid IP address" + tag("string", "ip"));
  if (r.ipv4 && !isIpv4(s)) out.push("value must be a valid IPv4 address" + tag("string", "ipv4"));
  if (r.ipv6 && !isIpv6(s)) out.push("value must be a valid IPv6 address" + tag("string", "ipv6"));
  return out;
}

function isIpv4(s: string): boolean {
  return /^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$/.test(s);
}
function isIpv6(s: string): boolean {
  try {
    return s.includes(":") && new URL(`http://[${s}]/`).hostname.length > 0;
  } catch {
    return false;
  }
}
function isIp(s: string): boolean {
  return isIpv4(s) || isIpv6(s);
}

export function bytesViolations(r: Rules, b: Uint8Array): string[] {
  if (r.ignore_empty && b.length === 0) return [];
  const out: string[] = [];
  if ("len" in r && b.length !== Number(r.len)) out.push(`value length must be ${r.len} bytes` + tag("bytes", "len"));
  if ("min_len" in r && b.length < Number(r.min_len)) out.push(`value length must be at least ${r.min_len} bytes` + tag("bytes", "min_len"));
  if ("max_len" in r && b.length > Number(r.max_len)) out.push(`value length must be at most ${r.max_len} bytes` + tag("bytes", "max_len"));
  return out;
}

/** Numeric rules (int*, uint*, float, double, ...): const, lt/lte/gt/gte (a lower bound above the upper one means "outside"), in, not_in. */
export function numberViolations(kind: string, r: Rules, v: number | bigint): string[] {
  if (r.ignore_empty && (v === 0 || v === 0n)) return [];
  const num = (x: unknown): number | bigint => (typeof v === "bigint" ? BigInt(x as string) : Number(x));
  const out: string[] = [];
  if ("const" in r && v !== num(r.const)) out.push(`value must equal ${r.const}` + tag(kind, "const"));
  const lower = "gt" in r ? { at: num(r.gt), inclusive: false, name: "gt" } : "gte" in r ? { at: num(r.gte), inclusive: true, name: "gte" } : undefined;
  const upper = "lt" in r ? { at: num(r.lt), inclusive: false, name: "lt" } : "lte" in r ? { at: num(r.lte), inclusive: true, name: "lte" } : undefined;
  const aboveLower = lower ? (lower.inclusive ? v >= lower.at : v > lower.at) : true;
  const belowUpper = upper ? (upper.inclusive ? v <= upper.at : v < upper.at) : true;
  const words = (b: { inclusive: boolean }, up: boolean) => (up ? (b.inclusive ? "less than or equal to" : "less than") : b.inclusive ? "greater than or equal to" : "greater than");
  if (lower && upper && lower.at > upper.at) {
    if (!aboveLower && !belowUpper) out.push(`value must be ${words(upper, true)} ${upper.at} or ${words(lower, false)} ${lower.at}` + tag(kind, `${upper.name}/${lower.name}`));
  } else {
    if (!aboveLower) out.push(`value must be ${words(lower!, false)} ${lower!.at}, got ${v}` + tag(kind, lower!.name));
    if (!belowUpper) out.push(`value must be ${words(upper!, true)} ${upper!.at}, got ${v}` + tag(kind, upper!.name));
  }
  if (Array.isArray(r.in) && !r.in.map(num).includes(v)) out.push(`value must be in list [${r.in.join(", ")}]` + tag(kind, "in"));
  if (Array.isArray(r.not_in) && r.not_in.map(num).includes(v)) out.push(`value must not be in list [${r.not_in.join(", ")}]` + tag(kind, "not_in"));
  return out;
}

export function boolViolations(r: Rules, b: boolean): string[] {
  return "const" in r && b !== r.const ? [`value must equal ${r.const}` + tag("bool", "const")] : [];
}

export function enumViolations(r: Rules, n: number, desc: DescEnum): string[] {
  const out: string[] = [];
  if (r.defined_only && !desc.values.some((v) => v.number === n)) out.push(`value ${n} is not a defined value of ${desc.typeName}` + tag("enum", "defined_only"));
  if ("const" in r && n !== r.const) out.push(`value must equal ${r.const}` + tag("enum", "const"));
  if (Array.isArray(r.in) && !r.in.includes(n)) out.push(`value must be one of ${r.in.map((x: number) => desc.values.find((v) => v.number === x)?.name ?? x).join(", ")}` + tag("enum", "in"));
  if (Array.isArray(r.not_in) && r.not_in.includes(n)) out.push(`value must not be ${desc.values.find((v) => v.number === n)?.name ?? n}` + tag("enum", "not_in"));
  return out;
}

const nanos = (d: string): bigint => {
  const p = parseDuration(d);
  return p.ok ? p.value : 0n;
};

/** Duration rules on a set Duration (value in nanoseconds); `required` is checked by the caller. */
export function durationViolations(r: Rules, v: bigint): string[] {
  const out: string[] = [];
  const shown = `${Number(v) / 1e9}s`;
  if ("const" in r && v !== nanos(r.const)) out.push(`value must equal ${r.const}, got ${shown}` + tag("duration", "const"));
  if ("gt" in r && !(v > nanos(r.gt))) out.push(`value must be greater than ${r.gt}, got ${shown}` + tag("duration", "gt"));
  if ("gte" in r && !(v >= nanos(r.gte))) out.push(`value must be greater than or equal to ${r.gte}, got ${shown}` + tag("duration", "gte"));
  if ("lt" in r && !(v < nanos(r.lt))) out.push(`value must be less than ${r.lt}, got ${shown}` + tag("duration", "lt"));
  if ("lte" in r && !(v <= nanos(r.lte))) out.push(`value must be less than or equal to ${r.lte}, got ${shown}` + tag("duration", "lte"));
  if (Array.isArray(r.in) && !r.in.some((d: string) => nanos(d) === v)) out.push(`value must be one of ${r.in.join(", ")}` + tag("duration", "in"));
  if (Array.isArray(r.not_in) && r.not_in.some((d: string) => nanos(d) === v)) out.push(`value must not be ${shown}` + tag("duration", "not_in"));
  return out;
}

export function anyViolations(r: Rules, typeUrl: string): string[] {
  const out: string[] = [];
  if (Array.isArray(r.in) && !r.in.includes(typeUrl)) out.push(`type URL must be one of ${r.in.join(", ")}` + tag("any", "in"));
  if (Array.isArray(r.not_in) && r.not_in.includes(typeUrl)) out.push(`type URL ${typeUrl} is not allowed here` + tag("any", "not_in"));
  return out;
}

export function countViolations(kind: "repeated" | "map", r: Rules, count: number): string[] {
  const out: string[] = [];
  const [min, max, unit] = kind === "repeated" ? ["min_items", "max_items", "item(s)"] : ["min_pairs", "max_pairs", "pair(s)"];
  if (r.ignore_empty && count === 0) return [];
  if (min in r && count < Number(r[min])) out.push(`value must contain at least ${r[min]} ${unit}` + tag(kind, min));
  if (max in r && count > Number(r[max])) out.push(`value must contain no more than ${r[max]} ${unit}` + tag(kind, max));
  return out;
}
