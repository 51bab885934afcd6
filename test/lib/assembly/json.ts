// Test entry for lib/json.ts and lib/config-reader.ts (compiled by test/lib/harness.ts).
import "../../../sdk/runtime/abort";
import { parseJson, parseJsonBytes, JsonValue, JsonKind, jsonQuote } from "../../../lib/json";
import { ConfigReader } from "../../../lib/config-reader";

function show(text: string, maxDepth: i32 = 64): string {
  const r = parseJson(text, maxDepth);
  const error = r.error;
  if (error !== null) return "err:" + error.toString();
  const v = r.value;
  return v === null ? "err:null" : "ok:" + v.toJson();
}

export function parse(text: string): string {
  return show(text);
}

export function parseDepth(text: string, maxDepth: i32): string {
  return show(text, maxDepth);
}

export function parseBytes(buf: ArrayBuffer): string {
  const r = parseJsonBytes(Uint8Array.wrap(buf));
  const error = r.error;
  if (error !== null) return "err:" + error.toString();
  return "ok:" + r.value!.toJson();
}

/** "integer|<i64>" or "float|<f64>" for a number document. */
export function number(text: string): string {
  const r = parseJson(text);
  const v = r.value;
  if (v === null || v.kind != JsonKind.Number) return "err";
  return v.isInteger ? "integer|" + v.integerValue.toString() : "float|" + v.numberValue.toString();
}

/** The string value of a string document (to check escapes exactly). */
export function stringValue(text: string): string {
  const r = parseJson(text);
  const v = r.value;
  if (v === null || !v.isString()) return "!err";
  return v.stringValue;
}

/** Object member names in document order, and lookups by name (exercises the index for big objects). */
export function objectKeys(text: string, probe: string): string {
  const r = parseJson(text);
  const v = r.value;
  if (v === null || !v.isObject()) return "!err";
  const probeValue = v.get(probe);
  return v.keys.join(",") + "|" + (probeValue === null ? "absent" : probeValue.toJson()) + "|" + v.indexOf(probe).toString();
}

export function quote(s: string): string {
  return jsonQuote(s);
}

/** Builds a tree in code and serializes it. */
export function built(): string {
  const o = JsonValue.newObject();
  o.set("a", JsonValue.newInteger(-5)).set("b", JsonValue.newArray().push(JsonValue.newBool(true)).push(JsonValue.newNull()));
  o.set("a", JsonValue.newString("x\"y"));
  o.set("c", JsonValue.newNumber(1.5));
  // Mutators on the wrong kind are ignored and never touch the containers scalars share.
  const scalar = JsonValue.newString("s");
  scalar.push(JsonValue.newNull()).set("k", JsonValue.newNull());
  JsonValue.newArray().set("k", JsonValue.newNull());
  o.set("d", scalar);
  return o.toJson() + "|" + JsonValue.newBool(false).length.toString() + "|" + JsonValue.newNull().keys.length.toString();
}

/**
 * A representative plugin-config parser: returns "ok:<values>" or "err:<all errors>".
 * { "name": str, "port"?: 1..65535 (15008), "debug"?: bool, "mode"?: "a"|"b",
 *   "workloads": [ { "name": str, "addresses": [str], "labels"?: {str: str}, "weight"?: int 0..100 } ] }
 */
export function readConfig(text: string, allowEmpty: bool): string {
  const cfg = ConfigReader.fromText(text, allowEmpty);
  const name = cfg.optionalString("name", "default");
  const port = cfg.optionalPort("port", 15008);
  const debug = cfg.optionalBool("debug", false);
  const mode = cfg.optionalEnum("mode", ["a", "b"], "a");
  const workloads = cfg.optionalArray("workloads");
  const parts = new Array<string>();
  parts.push(name);
  parts.push(port.toString());
  parts.push(debug ? "debug" : "quiet");
  parts.push(mode);
  for (let i = 0; i < workloads.length; i++) {
    const w = workloads.object(i);
    const wname = w.requiredString("name");
    const addresses = w.requiredStringArray("addresses");
    const labels = w.optionalStringMap("labels");
    const weight = w.optionalInt("weight", 1, 0, 100);
    const extra = w.optionalObject("extra");
    if (extra !== null) extra.requiredBool("flag");
    w.finish();
    if (extra !== null) extra.finish();
    parts.push(wname + "=" + addresses.join("+") + "#" + labels.size.toString() + "@" + weight.toString());
  }
  cfg.finish();
  if (!cfg.ok) return "err:" + cfg.errors.summary();
  return "ok:" + parts.join(";");
}

/** First error only, for the log-line format check. */
export function firstConfigError(text: string): string {
  const cfg = ConfigReader.fromText(text);
  cfg.requiredObject("listener").requiredArray("ports", 1).int(0, 1, 65535);
  return cfg.errors.first;
}

/** The f64 value of a number document (NaN when it is not one). */
export function numberValue(text: string): f64 {
  const v = parseJson(text).value;
  return v !== null && v.kind == JsonKind.Number ? v.numberValue : NaN;
}
