// Typed, path-reporting accessors over a parsed JSON plugin configuration.
//
// Accessors never trap and never return null for required values: a missing or mistyped field records an
// error ("$.workloads[2].addresses[0]: expected string, got number") in the shared ConfigErrors and
// returns a neutral default, so a config parser reads every field straight through and checks
// `errors.ok` once at the end. JSON `null` counts as absent for optional fields.

import { formatInt } from "../sdk/format";
import { JsonKind, JsonValue, jsonKindName, jsonPathIndex, jsonPathKey, parseJson, parseJsonBytes, JsonParseResult } from "./json";

/** Collects the errors found while reading one configuration; the first one is what gets logged. */
export class ConfigErrors {
  messages: Array<string> = new Array<string>();
  /** Keep at most this many messages (counting continues). */
  limit: i32 = 20;
  count: i32 = 0;
  /** Things that do not make the configuration invalid but deserve a log line (deprecated field names). */
  notices: Array<string> = new Array<string>();

  get ok(): bool {
    return this.count == 0;
  }

  /** The first error, or "" when there is none. */
  get first(): string {
    return this.messages.length > 0 ? unchecked(this.messages[0]) : "";
  }

  fail(path: string, message: string): void {
    this.count++;
    if (this.messages.length < this.limit) this.messages.push(path + ": " + message);
  }

  /** Records a notice about `path` (kept up to `limit`, like errors). */
  notice(path: string, message: string): void {
    if (this.notices.length < this.limit) this.notices.push(path + ": " + message);
  }

  /** All kept messages joined by "; " (with a "(+N more)" suffix when some were dropped). */
  summary(): string {
    let text = this.messages.join("; ");
    const dropped = this.count - this.messages.length;
    if (dropped > 0) text += "; (+" + formatInt(dropped) + " more)";
    return text;
  }
}

function typeError(expected: string, got: JsonValue): string {
  return "expected " + expected + ", got " + got.kindName();
}

/**
 * Reader over one JSON object at `path`. Marks the members it reads (`JsonValue.consumed`) so `finish()` can
 * reject the rest.
 */
export class ConfigReader {
  constructor(public node: JsonValue, public path: string, public errors: ConfigErrors) {}

  /**
   * Parses `text` and returns a reader over its root object. Parse errors (and a non-object root) are
   * already recorded in `errors`; the returned reader is then empty. With `allowEmpty`, text that is empty
   * or only whitespace reads as `{}` (plugins whose configuration is optional).
   */
  static fromText(text: string, allowEmpty: bool = false): ConfigReader {
    const errors = new ConfigErrors();
    if (allowEmpty && isBlank(text)) return new ConfigReader(JsonValue.newObject(), "$", errors);
    return ConfigReader.fromResult(parseJson(text), errors);
  }

  /** Like `fromText` for a UTF-8 configuration buffer. */
  static fromBytes(bytes: Uint8Array, allowEmpty: bool = false): ConfigReader {
    const errors = new ConfigErrors();
    if (allowEmpty && isBlankBytes(bytes)) return new ConfigReader(JsonValue.newObject(), "$", errors);
    return ConfigReader.fromResult(parseJsonBytes(bytes), errors);
  }

  private static fromResult(result: JsonParseResult, errors: ConfigErrors): ConfigReader {
    const error = result.error;
    if (error !== null) {
      errors.fail(error.path, error.message + (error.offset >= 0 ? " (offset " + formatInt(error.offset) + ")" : ""));
      return new ConfigReader(JsonValue.newObject(), "$", errors);
    }
    const root = result.value;
    if (root === null || !root.isObject()) {
      errors.fail("$", root === null ? "empty document" : typeError("object", root));
      return new ConfigReader(JsonValue.newObject(), "$", errors);
    }
    return new ConfigReader(root, "$", errors);
  }

  /** Path of member `key` of this object. */
  pathOf(key: string): string {
    return jsonPathKey(this.path, key);
  }

  /** Records an error about member `key`. */
  fail(key: string, message: string): void {
    this.errors.fail(this.pathOf(key), message);
  }

  /** Records an error about this object itself. */
  failHere(message: string): void {
    this.errors.fail(this.path, message);
  }

  get ok(): bool {
    return this.errors.ok;
  }

  /** Member names in document order. */
  keys(): Array<string> {
    return this.node.keys.slice(0);
  }

  /** True when `key` is present and not null. Does not mark it as read. */
  has(key: string): bool {
    const v = this.node.get(key);
    return v !== null && !v.isNull();
  }

  /**
   * The member name to read for a field renamed from `oldKey` to `key`: `oldKey` when only it is present (with a
   * deprecation notice), else `key`. Both present is an error at `oldKey`.
   */
  renamed(oldKey: string, key: string): string {
    if (!this.has(oldKey)) return key;
    if (this.has(key)) {
      this.fail(oldKey, "old name of \"" + key + "\"; set only \"" + key + "\"");
      this.allow(oldKey);
      return key;
    }
    this.errors.notice(this.pathOf(oldKey), "deprecated field name, use \"" + key + "\"");
    return oldKey;
  }

  /** Raw member value (null when absent or JSON null); marks `key` as read. */
  value(key: string): JsonValue | null {
    const v = this.node.get(key);
    if (v === null) return null;
    v.consumed = true;
    return v.isNull() ? null : v;
  }

  /** Marks members as known without reading them (e.g. documented but ignored fields). */
  allow(key: string): ConfigReader {
    const v = this.node.get(key);
    if (v !== null) v.consumed = true;
    return this;
  }

  private required(key: string): JsonValue | null {
    const v = this.value(key);
    if (v === null) this.fail(key, "required field is missing");
    return v;
  }

  requiredString(key: string, allowEmpty: bool = false): string {
    const v = this.required(key);
    return v === null ? "" : checkString(v, this.pathOf(key), allowEmpty, this.errors, "");
  }

  optionalString(key: string, defaultValue: string = "", allowEmpty: bool = true): string {
    const v = this.value(key);
    return v === null ? defaultValue : checkString(v, this.pathOf(key), allowEmpty, this.errors, defaultValue);
  }

  /** A string that must be one of `allowed` (exact, case-sensitive). */
  requiredEnum(key: string, allowed: Array<string>): string {
    const v = this.required(key);
    return v === null ? "" : checkEnum(v, this.pathOf(key), allowed, this.errors, "");
  }

  optionalEnum(key: string, allowed: Array<string>, defaultValue: string): string {
    const v = this.value(key);
    return v === null ? defaultValue : checkEnum(v, this.pathOf(key), allowed, this.errors, defaultValue);
  }

  /** An integral number within [min, max]. */
  requiredInt(key: string, min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    const v = this.required(key);
    return v === null ? 0 : checkInt(v, this.pathOf(key), min, max, this.errors, 0);
  }

  optionalInt(key: string, defaultValue: i64, min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    const v = this.value(key);
    return v === null ? defaultValue : checkInt(v, this.pathOf(key), min, max, this.errors, defaultValue);
  }

  /** A TCP/UDP port number 1..65535. */
  requiredPort(key: string): i32 {
    return <i32>this.requiredInt(key, 1, 65535);
  }

  optionalPort(key: string, defaultValue: i32): i32 {
    return <i32>this.optionalInt(key, defaultValue, 1, 65535);
  }

  requiredNumber(key: string): f64 {
    const v = this.required(key);
    return v === null ? 0 : checkNumber(v, this.pathOf(key), this.errors, 0);
  }

  optionalNumber(key: string, defaultValue: f64): f64 {
    const v = this.value(key);
    return v === null ? defaultValue : checkNumber(v, this.pathOf(key), this.errors, defaultValue);
  }

  requiredBool(key: string): bool {
    const v = this.required(key);
    return v === null ? false : checkBool(v, this.pathOf(key), this.errors, false);
  }

  optionalBool(key: string, defaultValue: bool): bool {
    const v = this.value(key);
    return v === null ? defaultValue : checkBool(v, this.pathOf(key), this.errors, defaultValue);
  }

  /** A nested object. On error returns an empty reader (reads from it yield defaults and more errors). */
  requiredObject(key: string): ConfigReader {
    const v = this.required(key);
    return v === null ? this.emptyObject(key) : this.objectFrom(v, key);
  }

  /** A nested object, or null when absent. A present non-object is an error (an empty reader is returned). */
  optionalObject(key: string): ConfigReader | null {
    const v = this.value(key);
    return v === null ? null : this.objectFrom(v, key);
  }

  private objectFrom(v: JsonValue, key: string): ConfigReader {
    if (!v.isObject()) {
      this.fail(key, typeError("object", v));
      return this.emptyObject(key);
    }
    return new ConfigReader(v, this.pathOf(key), this.errors);
  }

  private emptyObject(key: string): ConfigReader {
    return new ConfigReader(JsonValue.newObject(), this.pathOf(key), this.errors);
  }

  /** A nested array with at least `minItems` elements. */
  requiredArray(key: string, minItems: i32 = 0, maxItems: i32 = i32.MAX_VALUE): ConfigArray {
    const v = this.required(key);
    return v === null ? this.emptyArray(key) : this.arrayFrom(v, key, minItems, maxItems);
  }

  /** A nested array; absent reads as empty. */
  optionalArray(key: string, maxItems: i32 = i32.MAX_VALUE): ConfigArray {
    const v = this.value(key);
    return v === null ? this.emptyArray(key) : this.arrayFrom(v, key, 0, maxItems);
  }

  private arrayFrom(v: JsonValue, key: string, minItems: i32, maxItems: i32): ConfigArray {
    if (!v.isArray()) {
      this.fail(key, typeError("array", v));
      return this.emptyArray(key);
    }
    if (v.length < minItems) this.fail(key, "expected at least " + formatInt(minItems) + " element" + (minItems == 1 ? "" : "s"));
    if (v.length > maxItems) this.fail(key, "expected at most " + formatInt(maxItems) + " elements");
    return new ConfigArray(v, this.pathOf(key), this.errors);
  }

  private emptyArray(key: string): ConfigArray {
    return new ConfigArray(JsonValue.newArray(), this.pathOf(key), this.errors);
  }

  /** An array of strings (absent reads as empty). */
  optionalStringArray(key: string, allowEmptyStrings: bool = false): Array<string> {
    return this.optionalArray(key).strings(allowEmptyStrings);
  }

  requiredStringArray(key: string, minItems: i32 = 1, allowEmptyStrings: bool = false): Array<string> {
    return this.requiredArray(key, minItems).strings(allowEmptyStrings);
  }

  /** An object whose members are all strings (e.g. labels), in document order; absent reads as empty. */
  optionalStringMap(key: string): Map<string, string> {
    const out = new Map<string, string>();
    const obj = this.optionalObject(key);
    if (obj === null) return out;
    const node = obj.node;
    for (let i = 0; i < node.length; i++) {
      const name = node.keyAt(i);
      const v = node.at(i);
      if (name === null || v === null) continue;
      if (!v.isString()) {
        this.errors.fail(jsonPathKey(obj.path, name), typeError("string", v));
        continue;
      }
      out.set(name, v.stringValue);
    }
    return out;
  }

  /**
   * Rejects members that were never read (or allowed): "$.listener.prot: unknown field". Returns true when
   * there were none. Call after reading everything this object may contain.
   */
  finish(): bool {
    let clean = true;
    const keys = this.node.keys;
    const values = this.node.items;
    for (let i = 0; i < keys.length; i++) {
      if (!unchecked(values[i]).consumed) {
        this.fail(unchecked(keys[i]), "unknown field");
        clean = false;
      }
    }
    return clean;
  }
}

/** Reader over one JSON array at `path`. Element accessors check bounds and types, recording errors. */
export class ConfigArray {
  constructor(public node: JsonValue, public path: string, public errors: ConfigErrors) {}

  get length(): i32 {
    return this.node.length;
  }

  pathOf(index: i32): string {
    return jsonPathIndex(this.path, index);
  }

  fail(index: i32, message: string): void {
    this.errors.fail(this.pathOf(index), message);
  }

  /** Raw element (null when out of range). */
  value(index: i32): JsonValue | null {
    return this.node.at(index);
  }

  private element(index: i32): JsonValue | null {
    const v = this.node.at(index);
    if (v === null) this.fail(index, "index out of range");
    return v;
  }

  object(index: i32): ConfigReader {
    const v = this.element(index);
    if (v !== null && v.isObject()) return new ConfigReader(v, this.pathOf(index), this.errors);
    if (v !== null) this.fail(index, typeError("object", v));
    return new ConfigReader(JsonValue.newObject(), this.pathOf(index), this.errors);
  }

  array(index: i32): ConfigArray {
    const v = this.element(index);
    if (v !== null && v.isArray()) return new ConfigArray(v, this.pathOf(index), this.errors);
    if (v !== null) this.fail(index, typeError("array", v));
    return new ConfigArray(JsonValue.newArray(), this.pathOf(index), this.errors);
  }

  string(index: i32, allowEmpty: bool = false): string {
    const v = this.element(index);
    return v === null ? "" : checkString(v, this.pathOf(index), allowEmpty, this.errors, "");
  }

  int(index: i32, min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    const v = this.element(index);
    return v === null ? 0 : checkInt(v, this.pathOf(index), min, max, this.errors, 0);
  }

  bool(index: i32): bool {
    const v = this.element(index);
    return v === null ? false : checkBool(v, this.pathOf(index), this.errors, false);
  }

  /** Every element as a string (errors for the ones that are not). */
  strings(allowEmpty: bool = false): Array<string> {
    const out = new Array<string>();
    for (let i = 0; i < this.node.length; i++) {
      const v = this.node.at(i);
      if (v === null) continue;
      out.push(checkString(v, this.pathOf(i), allowEmpty, this.errors, ""));
    }
    return out;
  }
}

function checkString(v: JsonValue, path: string, allowEmpty: bool, errors: ConfigErrors, fallback: string): string {
  if (!v.isString()) {
    errors.fail(path, typeError("string", v));
    return fallback;
  }
  if (!allowEmpty && v.stringValue.length == 0) {
    errors.fail(path, "must not be empty");
    return fallback;
  }
  return v.stringValue;
}

function checkEnum(v: JsonValue, path: string, allowed: Array<string>, errors: ConfigErrors, fallback: string): string {
  if (!v.isString()) {
    errors.fail(path, typeError("string", v));
    return fallback;
  }
  if (!allowed.includes(v.stringValue)) {
    errors.fail(path, "must be one of " + allowed.join(", ") + " (got \"" + v.stringValue + "\")");
    return fallback;
  }
  return v.stringValue;
}

function checkInt(v: JsonValue, path: string, min: i64, max: i64, errors: ConfigErrors, fallback: i64): i64 {
  if (v.kind != JsonKind.Number) {
    errors.fail(path, typeError("integer", v));
    return fallback;
  }
  if (!v.isInteger) {
    errors.fail(path, "expected integer, got " + (v.numberText.length > 0 ? v.numberText : "a fraction"));
    return fallback;
  }
  if (v.integerValue < min || v.integerValue > max) {
    errors.fail(path, "must be between " + formatInt(min) + " and " + formatInt(max) + " (got " + formatInt(v.integerValue) + ")");
    return fallback;
  }
  return v.integerValue;
}

function checkNumber(v: JsonValue, path: string, errors: ConfigErrors, fallback: f64): f64 {
  if (v.kind != JsonKind.Number) {
    errors.fail(path, typeError("number", v));
    return fallback;
  }
  return v.numberValue;
}

function checkBool(v: JsonValue, path: string, errors: ConfigErrors, fallback: bool): bool {
  if (v.kind != JsonKind.Bool) {
    errors.fail(path, typeError("boolean", v));
    return fallback;
  }
  return v.boolValue;
}

function isBlank(text: string): bool {
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return false;
  }
  return true;
}

function isBlankBytes(bytes: Uint8Array): bool {
  for (let i = 0, n = bytes.length; i < n; i++) {
    const c = <i32>unchecked(bytes[i]);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return false;
  }
  return true;
}
