// Turning emulator results into the JSON report of `ambient-wasm run`.
import type { StatsStore } from "../../emulator/index.ts";

/** Bytes as text when they are valid UTF-8, else `{ "base64": ... }`. */
export type JsonBytes = string | { base64: string };

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function jsonBytes(data: Uint8Array | string): JsonBytes {
  if (typeof data === "string") return data;
  try {
    return strictUtf8.decode(data);
  } catch {
    return { base64: Buffer.from(data).toString("base64") };
  }
}

/** A uint64 as a JSON number when exact, else as a decimal string. */
export function jsonUint(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

export type MetricValue = number | string | { count: number; sum: number };

/** `name → value` for every stat: counters and gauges by value, histograms by sample count and approximate sum. */
export function metricsSnapshot(store: StatsStore): Record<string, MetricValue> {
  const out: Record<string, MetricValue> = {};
  const names = (list: Array<{ name: string }>) => list.map((m) => m.name).sort();
  for (const name of names(store.counters())) out[name] = jsonUint(store.counter(name).value());
  for (const name of names(store.gauges())) out[name] = jsonUint(store.gauge(name).value());
  for (const name of names(store.histograms())) {
    const stats = store.histogram(name).statistics();
    out[name] = { count: stats.sampleCount, sum: stats.sampleSum };
  }
  return out;
}

/** Indented JSON, with arrays of scalars (header pairs) kept on one line. */
export function formatJson(value: unknown, indent = ""): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((v) => v === null || typeof v !== "object")) return JSON.stringify(value);
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(",\n")}\n${indent}}`;
}
