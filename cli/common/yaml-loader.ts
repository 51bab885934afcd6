// Loads an Envoy config file into a JSON value the way Envoy does, remembering where every value came from.
//
// YAML scalars follow Envoy's parseYamlNode (source/common/protobuf/yaml_utility.cc) on yaml-cpp:
// non-plain (quoted, block) scalars are strings; plain `~`/null/Null/NULL/empty are null; yaml-cpp booleans
// (y/yes/true/on, n/no/false/off in lower, UPPER or Capitalised form) are booleans; an int64 (decimal, 0x hex,
// 0o octal) is a number when it fits in int32 and a decimal string otherwise; a finite double is a number
// (NaN/±inf become "NaN"/"Infinity"/"-Infinity"); anything else stays a string. Map keys tagged `!ignore`
// are dropped. `.json` files use JSON's own scalars.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Scalar } from "yaml";
import type { Report } from "./diagnostics.ts";
import { joinPath, SourceMap, type ChildPositions, type Position } from "./location.ts";

export interface LoadedConfig {
  value: unknown;
  sourceMap: SourceMap;
}

const yamlBooleans = new Map<string, boolean>();
for (const [word, value] of [["y", true], ["yes", true], ["true", true], ["on", true], ["n", false], ["no", false], ["false", false], ["off", false]] as const) {
  yamlBooleans.set(word, value);
  yamlBooleans.set(word.toUpperCase(), value);
  yamlBooleans.set(word[0].toUpperCase() + word.slice(1), value);
}
const yamlNulls = new Set(["", "~", "null", "Null", "NULL"]);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function yamlInteger(text: string): bigint | undefined {
  let n: bigint;
  if (/^[-+]?[0-9]+$/.test(text)) n = BigInt(text.replace(/^\+/, ""));
  else if (/^0x[0-9a-fA-F]+$/.test(text)) n = BigInt(text);
  else if (/^0o[0-7]+$/.test(text)) n = BigInt(text);
  else return undefined;
  return n >= INT64_MIN && n <= INT64_MAX ? n : undefined;
}

function yamlDouble(text: string): number | undefined {
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(text)) return NaN;
  if (/^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  return undefined;
}

/** A plain YAML scalar as Envoy's parseYamlNode turns it into a JSON value. */
export function envoyYamlScalar(text: string): unknown {
  if (yamlNulls.has(text)) return null;
  const bool = yamlBooleans.get(text);
  if (bool !== undefined) return bool;
  const int = yamlInteger(text);
  if (int !== undefined) return int >= -(2n ** 31n) && int < 2n ** 31n ? Number(int) : int.toString();
  const double = yamlDouble(text);
  if (double !== undefined) {
    if (Number.isFinite(double)) return double;
    return Number.isNaN(double) ? "NaN" : double > 0 ? "Infinity" : "-Infinity";
  }
  return text;
}

function jsonScalar(text: string): unknown {
  if (text === "null") return null;
  if (text === "true") return true;
  if (text === "false") return false;
  if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  return text;
}

/** Parse `source` (YAML, or JSON when `json`) into a JSON value; syntax errors go to `report`. */
export function loadConfig(source: string, report: Report, { json = false } = {}): LoadedConfig {
  const lineCounter = new LineCounter();
  const sourceMap = new SourceMap();
  const doc: Document = parseDocument(source, { schema: "failsafe", lineCounter, uniqueKeys: false, prettyErrors: false });
  const pos = (offset: number | undefined): Position => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };
  for (const e of doc.errors) report.error("", pos(e.pos[0]), `YAML syntax error: ${e.message.split("\n")[0]}`);
  if (doc.errors.length > 0) return { value: undefined, sourceMap };

  const scalar = (node: Scalar): unknown => {
    const text = String(node.value);
    if (node.type !== "PLAIN" || node.tag === "!") return text;
    return json ? jsonScalar(text) : envoyYamlScalar(text);
  };

  const convert = (node: Node | null | undefined, path: string, resolving: Set<Node>): unknown => {
    if (node == null) return null;
    if (isAlias(node)) {
      const target = node.resolve(doc) as Node | undefined;
      if (!target || resolving.has(target)) {
        report.error(path, pos(node.range?.[0]), `YAML alias *${node.source} cannot be resolved`);
        return null;
      }
      resolving.add(target);
      const v = convert(target, path, resolving);
      resolving.delete(target);
      return v;
    }
    if (isScalar(node)) return scalar(node);
    if (isSeq(node)) {
      const out: unknown[] = [];
      const positions: ChildPositions = { self: pos(node.range?.[0]), keys: new Map(), items: [] };
      node.items.forEach((item, i) => {
        positions.items.push(pos((item as Node | null)?.range?.[0] ?? node.range?.[0]));
        out.push(convert(item as Node | null, joinPath(path, i), resolving));
      });
      sourceMap.set(out, positions);
      return out;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const positions: ChildPositions = { self: pos(node.range?.[0]), keys: new Map(), items: [] };
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        const keyPos = pos(keyNode?.range?.[0] ?? node.range?.[0]);
        if (keyNode && isScalar(keyNode) && keyNode.tag === "!ignore") continue;
        if (!keyNode || !isScalar(keyNode)) {
          report.error(path, keyPos, "map key must be a scalar");
          continue;
        }
        const key = String(keyNode.value);
        const childPath = joinPath(path, key);
        const valueNode = pair.value as Node | null;
        if (Object.prototype.hasOwnProperty.call(out, key)) {
          report.error(childPath, keyPos, `duplicate key "${key}" (Envoy would silently keep only the last value)`);
        }
        positions.keys.set(key, { key: keyPos, value: valueNode?.range ? pos(valueNode.range[0]) : keyPos });
        Object.defineProperty(out, key, { value: convert(valueNode, childPath, resolving), enumerable: true, writable: true, configurable: true });
      }
      sourceMap.set(out, positions);
      return out;
    }
    report.error(path, pos((node as Node).range?.[0]), "unsupported YAML node");
    return null;
  };

  const value = convert(doc.contents as Node | null, "", new Set());
  return { value, sourceMap };
}
