// JSON values of the loaded config together with their path and source position, for the semantic checks.
import type { Report } from "../../common/diagnostics.ts";
import { joinPath, type SourceMap } from "../../common/location.ts";

export interface Located {
  value: unknown;
  path: string;
  parent: unknown;
  key: string | number | undefined;
}

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === "object" && !Array.isArray(v);

/** Child of an object by field name (snake_case or its JSON camelCase form), if present and not null. */
export function child(loc: Located, name: string): Located | undefined {
  if (!isObject(loc.value)) return undefined;
  const camel = name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  for (const key of [name, camel]) {
    const v = Object.hasOwn(loc.value, key) ? loc.value[key] : undefined;
    if (v !== undefined && v !== null) return { value: v, path: joinPath(loc.path, key), parent: loc.value, key };
  }
  return undefined;
}

/** Elements of a list field (empty when absent). */
export function items(loc: Located | undefined, name?: string): Located[] {
  const list = loc && name !== undefined ? child(loc, name) : loc;
  if (!list || !Array.isArray(list.value)) return [];
  return list.value.map((value, i) => ({ value, path: joinPath(list.path, i), parent: list.value, key: i }));
}

export function stringField(loc: Located | undefined, name: string): string | undefined {
  const c = loc && child(loc, name);
  return c && typeof c.value === "string" ? c.value : undefined;
}

/** Everything the semantic checks share. */
export interface SemanticContext {
  report: Report;
  sourceMap: SourceMap;
  /** Directory that relative Wasm filenames resolve against. */
  baseDir: string;
  /** Run Wasm modules through the emulator. */
  loadWasm: boolean;
  /** The config file's directory (for hints about relative paths). */
  configDir?: string;
  /** The config text (to locate errors inside embedded JSON strings). */
  source?: string;
}

export function fail(ctx: SemanticContext, loc: Located, message: string, ofKey = false): void {
  ctx.report.error(loc.path, ctx.sourceMap.at(loc.parent, loc.key, ofKey), message);
}

export function warn(ctx: SemanticContext, loc: Located, message: string): void {
  ctx.report.warning(loc.path, ctx.sourceMap.at(loc.parent, loc.key), message);
}

/** Every object in a subtree (depth first), with its location. */
export function* objects(loc: Located): Generator<Located> {
  if (isObject(loc.value)) {
    yield loc;
    for (const key of Object.keys(loc.value)) yield* objects({ value: loc.value[key], path: joinPath(loc.path, key), parent: loc.value, key });
  } else if (Array.isArray(loc.value)) {
    for (let i = 0; i < loc.value.length; i++) yield* objects({ value: loc.value[i], path: joinPath(loc.path, i), parent: loc.value, key: i });
  }
}
