// A small, total JSON parser (RFC 8259) producing a typed tree whose errors carry a JSON path and offset.

import { formatInt } from "../sdk/format";
import { StringBuilder, hexDigitValue, isAsciiAlpha, isAsciiDigit, hexDigitLower, hexDigitUpper } from "./strings";
import { decodeUtf8Strict } from "./utf8";
import { decimalExceedsF64, decimalToF64, decimalToInteger } from "./decimal";

export enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

/** Default nesting limit; deeper documents are rejected instead of exhausting the stack. */
export const JSON_MAX_DEPTH: i32 = 64;
/** Default size limit in UTF-16 code units (configs are far smaller). */
export const JSON_MAX_LENGTH: i32 = 16 << 20;
const MAX_NUMBER_LITERAL: i32 = 400;
const OBJECT_INDEX_THRESHOLD: i32 = 8;
const NO_KEYS: Array<string> = new Array<string>(0);

/** One JSON value. Only the fields that belong to `kind` are meaningful. */
export class JsonValue {
  kind: JsonKind;
  /** UTF-16 offset in the source text where this value starts (-1 for values built in code). */
  offset: i32 = -1;
  boolValue: bool = false;
  /** A parsed number exactly as written (e.g. "1.5e3"); "" for numbers built in code. */
  numberText: string = "";
  private builtNumber: f64 = 0;
  /** True when the number is integral and `integerValue` holds it exactly. */
  isInteger: bool = false;
  integerValue: i64 = 0;
  stringValue: string = "";
  /** Array elements, or object member values (parallel to `keys`). Shared and empty for scalars: read only. */
  items: Array<JsonValue>;
  /** Object member names in document order. Shared and empty for other kinds: read only. */
  keys: Array<string>;
  /** Member name → value, built for objects with many members so lookups and the duplicate check stay fast. */
  private index: Map<string, JsonValue> | null = null;
  /** Set by a reader (lib/config-reader.ts) when it has read this value as an object member; starts false. */
  consumed: bool = false;

  constructor(kind: JsonKind) {
    this.kind = kind;
    // Scalars share empty containers: a large configuration holds many scalars.
    this.items = kind == JsonKind.Array || kind == JsonKind.Object ? new Array<JsonValue>(0) : NO_ITEMS;
    this.keys = kind == JsonKind.Object ? new Array<string>(0) : NO_KEYS;
  }

  /**
   * The number as the nearest f64. Parsed numbers are converted on first use only, so a configuration that
   * reads integers (`isInteger`/`integerValue`) never needs the decimal → f64 conversion.
   */
  get numberValue(): f64 {
    return this.numberText.length > 0 ? numberLiteralToF64(this.numberText) : this.builtNumber;
  }

  set numberValue(v: f64) {
    this.numberText = "";
    this.builtNumber = v;
  }

  static newNull(): JsonValue {
    return new JsonValue(JsonKind.Null);
  }

  static newBool(v: bool): JsonValue {
    const j = new JsonValue(JsonKind.Bool);
    j.boolValue = v;
    return j;
  }

  static newNumber(v: f64): JsonValue {
    const j = new JsonValue(JsonKind.Number);
    j.numberValue = v;
    if (isFinite(v) && Math.floor(v) == v && Math.abs(v) < 9223372036854775808.0) {
      j.isInteger = true;
      j.integerValue = <i64>v;
    }
    return j;
  }

  static newInteger(v: i64): JsonValue {
    const j = new JsonValue(JsonKind.Number);
    j.numberValue = <f64>v;
    j.isInteger = true;
    j.integerValue = v;
    return j;
  }

  static newString(v: string): JsonValue {
    const j = new JsonValue(JsonKind.String);
    j.stringValue = v;
    return j;
  }

  static newArray(): JsonValue {
    return new JsonValue(JsonKind.Array);
  }

  static newObject(): JsonValue {
    return new JsonValue(JsonKind.Object);
  }

  isNull(): bool { return this.kind == JsonKind.Null; }
  isBool(): bool { return this.kind == JsonKind.Bool; }
  isNumber(): bool { return this.kind == JsonKind.Number; }
  isString(): bool { return this.kind == JsonKind.String; }
  isArray(): bool { return this.kind == JsonKind.Array; }
  isObject(): bool { return this.kind == JsonKind.Object; }

  /** Number of array elements or object members (0 for scalars). */
  get length(): i32 {
    return this.items.length;
  }

  /** Array element or object member value at `i`, or null when out of range. */
  at(i: i32): JsonValue | null {
    if (i < 0 || i >= this.items.length) return null;
    return unchecked(this.items[i]);
  }

  /** Object member name at `i`, or null when out of range or not an object. */
  keyAt(i: i32): string | null {
    if (i < 0 || i >= this.keys.length) return null;
    return unchecked(this.keys[i]);
  }

  /** Position of member `key` in an object, or -1. */
  indexOf(key: string): i32 {
    if (this.kind != JsonKind.Object) return -1;
    const index = this.index;
    if (index !== null && !index.has(key)) return -1;
    const keys = this.keys;
    for (let i = 0, n = keys.length; i < n; i++) if (unchecked(keys[i]) == key) return i;
    return -1;
  }

  has(key: string): bool {
    return this.get(key) !== null;
  }

  /** Object member `key`, or null when absent (or this is not an object). */
  get(key: string): JsonValue | null {
    const index = this.index;
    if (index !== null) return index.has(key) ? index.get(key) : null;
    const i = this.indexOf(key);
    return i < 0 ? null : unchecked(this.items[i]);
  }

  /** Appends an array element (ignored unless this is an array). */
  push(v: JsonValue): JsonValue {
    if (this.kind == JsonKind.Array) this.items.push(v);
    return this;
  }

  /** Sets object member `key`, replacing an existing one in place (ignored unless this is an object). */
  set(key: string, v: JsonValue): JsonValue {
    if (this.kind != JsonKind.Object) return this;
    const i = this.indexOf(key);
    if (i >= 0) {
      unchecked((this.items[i] = v));
    } else {
      this.keys.push(key);
      this.items.push(v);
    }
    let index = this.index;
    if (index !== null) {
      index.set(key, v);
    } else if (this.keys.length > OBJECT_INDEX_THRESHOLD) {
      index = new Map<string, JsonValue>();
      for (let k = 0; k < this.keys.length; k++) index.set(unchecked(this.keys[k]), unchecked(this.items[k]));
      this.index = index;
    }
    return this;
  }

  /** Name of this value's kind as used in error messages ("string", "object", ...). */
  kindName(): string {
    return jsonKindName(this.kind);
  }

  /** Compact JSON text (members in document order). */
  toJson(): string {
    const out = new StringBuilder(64);
    writeJson(out, this, 0);
    return out.toString();
  }
}

const NO_ITEMS: Array<JsonValue> = new Array<JsonValue>(0);

export function jsonKindName(kind: JsonKind): string {
  switch (kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return "boolean";
    case JsonKind.Number: return "number";
    case JsonKind.String: return "string";
    case JsonKind.Array: return "array";
    default: return "object";
  }
}

/** A parse or validation error: where (JSON path and source offset) and what. */
export class JsonError {
  constructor(public path: string, public message: string, public offset: i32 = -1) {}

  /** "$.workloads[2].addresses[0]: expected string" (plus " (offset N)" when known). */
  toString(): string {
    const base = this.path + ": " + this.message;
    return this.offset >= 0 ? base + " (offset " + formatInt(this.offset) + ")" : base;
  }
}

export class JsonParseResult {
  constructor(public value: JsonValue | null, public error: JsonError | null) {}

  get ok(): bool {
    return this.error === null;
  }
}

/** Path of member `key` under `parent`: `$.name` for identifier-like keys, `$["odd key"]` otherwise. */
export function jsonPathKey(parent: string, key: string): string {
  let simple = key.length > 0;
  for (let i = 0, n = key.length; i < n && simple; i++) {
    const c = key.charCodeAt(i);
    simple = isAsciiAlpha(c) || c == 0x5f || c == 0x2d || (i > 0 && isAsciiDigit(c));
  }
  return simple ? parent + "." + key : parent + "[" + jsonQuote(key) + "]";
}

/** Path of array element `index` under `parent`: `$.items[3]`. */
export function jsonPathIndex(parent: string, index: i32): string {
  return parent + "[" + formatInt(index) + "]";
}

/** `s` as a JSON string literal (quotes included; control characters and lone surrogates escaped). */
export function jsonQuote(s: string): string {
  const out = new StringBuilder(s.length + 2);
  writeJsonString(out, s);
  return out.toString();
}

function writeJsonString(out: StringBuilder, s: string): void {
  out.appendCharCode(0x22);
  for (let i = 0, n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out.append("\\\"");
    else if (c == 0x5c) out.append("\\\\");
    else if (c == 0x0a) out.append("\\n");
    else if (c == 0x0d) out.append("\\r");
    else if (c == 0x09) out.append("\\t");
    else if (c == 0x08) out.append("\\b");
    else if (c == 0x0c) out.append("\\f");
    else if (c < 0x20 || isLoneSurrogateAt(s, i)) appendUnicodeEscape(out, c);
    else {
      out.appendCharCode(c);
      if (c >= 0xd800 && c <= 0xdbff) out.appendCharCode(s.charCodeAt(++i)); // valid pair: copy the low half
    }
  }
  out.appendCharCode(0x22);
}

function isLoneSurrogateAt(s: string, i: i32): bool {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = s.charCodeAt(i + 1);
    return !(next >= 0xdc00 && next <= 0xdfff);
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const prev = s.charCodeAt(i - 1);
    return !(prev >= 0xd800 && prev <= 0xdbff);
  }
  return false;
}

function appendUnicodeEscape(out: StringBuilder, c: i32): void {
  out.append("\\u");
  out.append(hexDigitLower(c >> 12));
  out.append(hexDigitLower(c >> 8));
  out.append(hexDigitLower(c >> 4));
  out.append(hexDigitLower(c));
}

function writeJson(out: StringBuilder, v: JsonValue, depth: i32): void {
  if (depth > JSON_MAX_DEPTH) {
    out.append("null");
    return;
  }
  switch (v.kind) {
    case JsonKind.Null: out.append("null"); break;
    case JsonKind.Bool: out.append(v.boolValue ? "true" : "false"); break;
    case JsonKind.Number: {
      if (v.isInteger) out.append(formatInt(v.integerValue));
      else if (v.numberText.length > 0) out.append(v.numberText);
      else if (isFinite(v.numberValue)) out.append(v.numberValue.toString());
      else out.append("null");
      break;
    }
    case JsonKind.String: writeJsonString(out, v.stringValue); break;
    case JsonKind.Array: {
      out.appendCharCode(0x5b);
      for (let i = 0; i < v.items.length; i++) {
        if (i > 0) out.appendCharCode(0x2c);
        writeJson(out, unchecked(v.items[i]), depth + 1);
      }
      out.appendCharCode(0x5d);
      break;
    }
    default: {
      out.appendCharCode(0x7b);
      for (let i = 0; i < v.items.length; i++) {
        if (i > 0) out.appendCharCode(0x2c);
        writeJsonString(out, unchecked(v.keys[i]));
        out.appendCharCode(0x3a);
        writeJson(out, unchecked(v.items[i]), depth + 1);
      }
      out.appendCharCode(0x7d);
    }
  }
}

/**
 * Parses JSON text. Never traps: malformed input, nesting deeper than `maxDepth`, text longer than
 * `maxLength` code units, duplicate object keys and unpaired `\u` surrogates give a JsonError.
 */
export function parseJson(text: string, maxDepth: i32 = JSON_MAX_DEPTH, maxLength: i32 = JSON_MAX_LENGTH): JsonParseResult {
  if (text.length > maxLength) {
    return new JsonParseResult(null, new JsonError("$", "document too large (" + formatInt(text.length) + " > " + formatInt(maxLength) + " characters)", 0));
  }
  const p = new JsonParser(text, maxDepth);
  p.skipWhitespace();
  const v = p.parseValue(0);
  if (v !== null && p.error === null) {
    p.skipWhitespace();
    if (p.pos < text.length) p.fail("unexpected character after the document");
  }
  const error = p.error;
  if (error !== null) return new JsonParseResult(null, error);
  return new JsonParseResult(v, null);
}

/** Parses UTF-8 encoded JSON (e.g. a plugin configuration buffer). Invalid UTF-8 is an error at `$`. */
export function parseJsonBytes(bytes: Uint8Array, maxDepth: i32 = JSON_MAX_DEPTH, maxLength: i32 = JSON_MAX_LENGTH): JsonParseResult {
  if (<i64>bytes.length > <i64>maxLength * 3) {
    return new JsonParseResult(null, new JsonError("$", "document too large (" + formatInt(bytes.length) + " bytes)", 0));
  }
  const text = decodeUtf8Strict(bytes);
  if (text === null) return new JsonParseResult(null, new JsonError("$", "document is not valid UTF-8", 0));
  return parseJson(text, maxDepth, maxLength);
}

class JsonParser {
  pos: i32 = 0;
  error: JsonError | null = null;
  // The path to the value being parsed: per nesting level a member name (objects) or an index (arrays).
  private pathKeys: Array<string | null> = new Array<string | null>();
  private pathIndexes: Array<i32> = new Array<i32>();

  constructor(private text: string, private maxDepth: i32) {}

  currentPath(): string {
    let path = "$";
    for (let i = 0; i < this.pathKeys.length; i++) {
      const key = unchecked(this.pathKeys[i]);
      path = key !== null ? jsonPathKey(path, key) : jsonPathIndex(path, unchecked(this.pathIndexes[i]));
    }
    return path;
  }

  fail(message: string): void {
    if (this.error === null) this.error = new JsonError(this.currentPath(), message, this.pos);
  }

  /** Fails with "expected <what>", saying so when the input simply ended. */
  failExpected(what: string): void {
    this.fail((this.peek() < 0 ? "unexpected end of input, expected " : "expected ") + what);
  }

  private peek(): i32 {
    return this.text.charCodeAt(this.pos); // -1 past the end
  }

  skipWhitespace(): void {
    const text = this.text;
    const n = text.length;
    while (this.pos < n) {
      const c = text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  parseValue(depth: i32): JsonValue | null {
    const c = this.peek();
    const start = this.pos;
    let v: JsonValue | null = null;
    if (c == 0x7b) v = this.parseObject(depth);
    else if (c == 0x5b) v = this.parseArray(depth);
    else if (c == 0x22) {
      const s = this.parseString();
      if (s !== null) v = JsonValue.newString(s);
    } else if (c == 0x2d || isAsciiDigit(c)) v = this.parseNumber();
    else if (this.matchWord("true")) v = JsonValue.newBool(true);
    else if (this.matchWord("false")) v = JsonValue.newBool(false);
    else if (this.matchWord("null")) v = JsonValue.newNull();
    else if (c < 0) this.failExpected("a value");
    else this.fail("unexpected character " + describeChar(c) + ", expected a value");
    if (v !== null) v.offset = start;
    return this.error === null ? v : null;
  }

  private matchWord(word: string): bool {
    const n = word.length;
    if (this.text.length - this.pos < n) return false;
    for (let i = 0; i < n; i++) if (this.text.charCodeAt(this.pos + i) != word.charCodeAt(i)) return false;
    this.pos += n;
    return true;
  }

  private enter(depth: i32): bool {
    if (depth >= this.maxDepth) {
      this.fail("nesting deeper than " + formatInt(this.maxDepth) + " levels");
      return false;
    }
    return true;
  }

  private parseObject(depth: i32): JsonValue | null {
    if (!this.enter(depth)) return null;
    this.pos++; // {
    const obj = JsonValue.newObject();
    this.skipWhitespace();
    if (this.peek() == 0x7d) {
      this.pos++;
      return obj;
    }
    let inMember = false; // whether pathKeys holds this object's current member name
    while (true) {
      if (inMember) {
        this.pathKeys.pop();
        this.pathIndexes.pop();
        inMember = false;
      }
      this.skipWhitespace();
      if (this.peek() != 0x22) {
        this.failExpected("a member name string");
        break;
      }
      const key = this.parseString();
      if (key === null) break;
      this.pathKeys.push(key);
      this.pathIndexes.push(0);
      inMember = true;
      if (obj.has(key)) {
        this.fail("duplicate member name");
        break;
      }
      this.skipWhitespace();
      if (this.peek() != 0x3a) {
        this.fail("expected ':' after the member name");
        break;
      }
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(depth + 1);
      if (value === null) break;
      obj.set(key, value);
      this.skipWhitespace();
      const c = this.peek();
      if (c == 0x2c) {
        this.pos++;
        continue;
      }
      if (c == 0x7d) {
        this.pos++;
        break;
      }
      this.failExpected("',' or '}'");
      break;
    }
    if (this.error !== null) return null;
    if (inMember) {
      this.pathKeys.pop();
      this.pathIndexes.pop();
    }
    return obj;
  }

  private parseArray(depth: i32): JsonValue | null {
    if (!this.enter(depth)) return null;
    this.pos++; // [
    const arr = JsonValue.newArray();
    this.skipWhitespace();
    if (this.peek() == 0x5d) {
      this.pos++;
      return arr;
    }
    this.pathKeys.push(null);
    this.pathIndexes.push(0);
    const level = this.pathKeys.length - 1;
    while (true) {
      unchecked((this.pathIndexes[level] = arr.items.length));
      this.skipWhitespace();
      const value = this.parseValue(depth + 1);
      if (value === null) break;
      arr.items.push(value);
      this.skipWhitespace();
      const c = this.peek();
      if (c == 0x2c) {
        this.pos++;
        continue;
      }
      if (c == 0x5d) {
        this.pos++;
        break;
      }
      this.failExpected("',' or ']'");
      break;
    }
    if (this.error !== null) return null;
    this.pathKeys.pop();
    this.pathIndexes.pop();
    return arr;
  }

  /** Parses a string literal at `pos` (which holds the opening quote). */
  parseString(): string | null {
    const text = this.text;
    const n = text.length;
    this.pos++; // opening quote
    let runStart = this.pos;
    let out: StringBuilder | null = null;
    while (true) {
      if (this.pos >= n) {
        this.fail("unterminated string");
        return null;
      }
      const c = text.charCodeAt(this.pos);
      if (c == 0x22) {
        let result: string;
        if (out === null) result = text.substring(runStart, this.pos);
        else result = out.appendRange(text, runStart, this.pos).toString();
        this.pos++;
        return result;
      }
      if (c < 0x20) {
        this.fail("control character " + describeChar(c) + " in string");
        return null;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      if (out === null) out = new StringBuilder(this.pos - runStart + 16);
      out.appendRange(text, runStart, this.pos);
      const escapeStart = this.pos;
      this.pos++; // backslash
      const e = text.charCodeAt(this.pos);
      if (e == 0x22 || e == 0x5c || e == 0x2f) out.appendCharCode(e);
      else if (e == 0x62) out.appendCharCode(0x08);
      else if (e == 0x66) out.appendCharCode(0x0c);
      else if (e == 0x6e) out.appendCharCode(0x0a);
      else if (e == 0x72) out.appendCharCode(0x0d);
      else if (e == 0x74) out.appendCharCode(0x09);
      else if (e == 0x75) {
        const unit = this.readHex4(this.pos + 1);
        if (unit < 0) {
          this.pos = escapeStart;
          this.fail("invalid \\u escape");
          return null;
        }
        this.pos += 4;
        if (unit >= 0xdc00 && unit <= 0xdfff) {
          this.pos = escapeStart;
          this.fail("unpaired surrogate in \\u escape");
          return null;
        }
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = text.charCodeAt(this.pos + 1) == 0x5c && text.charCodeAt(this.pos + 2) == 0x75 ? this.readHex4(this.pos + 3) : -1;
          if (low < 0xdc00 || low > 0xdfff) {
            this.pos = escapeStart;
            this.fail("unpaired surrogate in \\u escape");
            return null;
          }
          out.appendCharCode(unit);
          out.appendCharCode(low);
          this.pos += 6;
        } else {
          out.appendCharCode(unit);
        }
      } else {
        this.pos = escapeStart;
        this.fail(e < 0 ? "unterminated string" : "invalid escape \\" + String.fromCharCode(e));
        return null;
      }
      this.pos++;
      runStart = this.pos;
    }
  }

  private readHex4(at: i32): i32 {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const d = hexDigitValue(this.text.charCodeAt(at + i));
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  private parseNumber(): JsonValue | null {
    const text = this.text;
    const start = this.pos;
    let i = start;
    let negative = false;
    if (text.charCodeAt(i) == 0x2d) {
      negative = true;
      i++;
    }
    const intStart = i;
    const first = text.charCodeAt(i);
    if (first == 0x30) {
      i++;
    } else if (isAsciiDigit(first)) {
      while (isAsciiDigit(text.charCodeAt(i))) i++;
    } else {
      this.pos = i;
      this.fail("invalid number");
      return null;
    }
    const intEnd = i;
    let fracStart = 0; // 0: no fraction
    if (text.charCodeAt(i) == 0x2e) {
      i++;
      if (!isAsciiDigit(text.charCodeAt(i))) {
        this.pos = i;
        this.fail("invalid number: expected a digit after '.'");
        return null;
      }
      fracStart = i;
      while (isAsciiDigit(text.charCodeAt(i))) i++;
    }
    const fracEnd = i; // where the exponent (if any) starts
    const e = text.charCodeAt(i);
    if (e == 0x65 || e == 0x45) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign == 0x2b || sign == 0x2d) i++;
      if (!isAsciiDigit(text.charCodeAt(i))) {
        this.pos = i;
        this.fail("invalid number: expected a digit in the exponent");
        return null;
      }
      while (isAsciiDigit(text.charCodeAt(i))) i++;
    }
    if (i - start > MAX_NUMBER_LITERAL) {
      this.fail("number literal too long");
      return null;
    }
    // value = digits × 10^exponent, checked exactly (no f64 conversion: see JsonValue.numberValue)
    let digits = text.substring(intStart, intEnd);
    let exponent: i32 = 0;
    if (fracStart > 0) {
      digits += text.substring(fracStart, fracEnd);
      exponent = fracStart - fracEnd;
    }
    if (fracEnd < i) exponent += exponentValue(text, fracEnd + 1, i);
    if (decimalExceedsF64(digits, exponent)) {
      this.fail("number out of range");
      return null;
    }
    this.pos = i;
    const j = new JsonValue(JsonKind.Number);
    j.numberText = text.substring(start, i);
    const magnitude = decimalToInteger(digits, exponent);
    if (magnitude >= 0) {
      j.isInteger = true;
      j.integerValue = negative ? -magnitude : magnitude;
    }
    return j;
  }
}

/** Value of the exponent digits text[start, end) with an optional sign, clamped far beyond f64's range. */
function exponentValue(text: string, start: i32, end: i32): i32 {
  let i = start;
  const sign = text.charCodeAt(i);
  if (sign == 0x2b || sign == 0x2d) i++;
  let e: i32 = 0;
  for (; i < end; i++) if (e < 100000) e = e * 10 + (text.charCodeAt(i) - 0x30);
  return sign == 0x2d ? -e : e;
}

/** The f64 nearest to a grammar-checked JSON number literal. */
function numberLiteralToF64(literal: string): f64 {
  const negative = literal.charCodeAt(0) == 0x2d;
  const n = literal.length;
  let i = negative ? 1 : 0;
  const intStart = i;
  while (i < n && isAsciiDigit(literal.charCodeAt(i))) i++;
  let digits = literal.substring(intStart, i);
  let exponent: i32 = 0;
  if (i < n && literal.charCodeAt(i) == 0x2e) {
    const fracStart = ++i;
    while (i < n && isAsciiDigit(literal.charCodeAt(i))) i++;
    digits += literal.substring(fracStart, i);
    exponent = fracStart - i;
  }
  if (i < n) exponent += exponentValue(literal, i + 1, n);
  const magnitude = decimalToF64(digits, exponent);
  return negative ? -magnitude : magnitude;
}

function describeChar(c: i32): string {
  if (c >= 0x21 && c <= 0x7e) return "'" + String.fromCharCode(c) + "'";
  return "U+" + hexDigitUpper(c >> 12) + hexDigitUpper(c >> 8) + hexDigitUpper(c >> 4) + hexDigitUpper(c);
}
