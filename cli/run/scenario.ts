// The `ambient-wasm run` scenario file: parsed with the shared YAML loader (cli/common/, positions for every value)
// and checked strictly — unknown keys and wrong types are errors reported as `<file>:<line>:<col>: <path>: <reason>`.
// Its `bootstrap` part becomes Host options through the emulator's Envoy-bootstrap adapter, as in validate and demo.
import * as path from "node:path";
import { loadConfig } from "../common/yaml-loader.ts";
import { Report } from "../common/diagnostics.ts";
import { joinPath, type SourceMap } from "../common/location.ts";
import { hostOptions } from "../../emulator/envoy-bootstrap.ts";
import type { HostOptions } from "../../emulator/index.ts";

export type Pair = [string, string];
export type PropertyValue = string | number | boolean | null;

export interface HttpStreamSpec {
  properties: Record<string, PropertyValue>;
  requestHeaders: Pair[];
  requestBody: string[];
  requestTrailers: Pair[] | null;
  responseHeaders: Pair[] | null;
  responseBody: string[];
  responseTrailers: Pair[] | null;
}

export interface TcpConnectionSpec {
  properties: Record<string, PropertyValue>;
  downstream: string[];
  upstream: string[];
  close: "downstream" | "upstream";
  ticks: number;
}

export interface HttpCallRule {
  cluster: string | null;
  path: string | null;
  response: { headers: Pair[]; body: string; trailers: Pair[] } | null;
  reset: boolean;
}

export interface Scenario {
  file: string;
  /** Absolute module path (relative paths resolve against the scenario's directory). */
  module: string;
  name: string;
  rootId: string;
  vmId: string;
  vmConfig: string | null;
  pluginConfig: string | null;
  environment: Record<string, string>;
  failurePolicy: "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD" | null;
  allowOnHeadersStopIteration: boolean;
  listenerDirection: "UNSPECIFIED" | "INBOUND" | "OUTBOUND" | null;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "critical" | "off" | null;
  clusters: string[] | null;
  properties: Record<string, PropertyValue>;
  /** Host options from `bootstrap` (node, stats_config), as Envoy reads them (emulator/envoy-bootstrap.ts). */
  bootstrap: HostOptions;
  httpCalls: HttpCallRule[];
  ticks: { count: number; periodMs: number | null };
  http: HttpStreamSpec[];
  tcp: TcpConnectionSpec[];
}

export class ScenarioError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join("\n"));
  }
}

type Obj = Record<string, unknown>;

/** A cursor over the loaded document that records type errors with their source position. */
class Checker {
  constructor(private readonly report: Report, private readonly sourceMap: SourceMap) {}

  error(parent: unknown, key: string | number | undefined, where: string, message: string): void {
    this.report.error(where, this.sourceMap.at(parent, key), message);
  }

  isObject(v: unknown): v is Obj {
    return v !== null && typeof v === "object" && !Array.isArray(v);
  }

  /** The object at `parent[key]`, reporting unknown keys; null (after an error) when it is not a map. */
  object(parent: unknown, key: string | number | undefined, where: string, value: unknown, allowed: readonly string[]): Obj | null {
    if (!this.isObject(value)) {
      this.error(parent, key, where, `expected a map, got ${describe(value)}`);
      return null;
    }
    for (const k of Object.keys(value)) {
      if (!allowed.includes(k)) {
        this.report.error(joinPath(where, k), this.sourceMap.at(value, k, true), `unknown key "${k}" (allowed: ${allowed.join(", ")})`);
      }
    }
    return value;
  }

  string(obj: Obj, key: string, where: string, opts: { required?: boolean; scalar?: boolean } = {}): string | null {
    const v = obj[key];
    const at = joinPath(where, key);
    if (v === undefined || v === null) {
      if (opts.required) this.error(obj, key, at, v === null ? "must not be empty" : "is required");
      return null;
    }
    if (typeof v === "string") return v;
    if (opts.scalar && (typeof v === "number" || typeof v === "boolean")) return String(v);
    this.error(obj, key, at, `expected a string, got ${describe(v)}`);
    return null;
  }

  boolean(obj: Obj, key: string, where: string): boolean | null {
    const v = obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v === "boolean") return v;
    this.error(obj, key, joinPath(where, key), `expected true or false, got ${describe(v)}`);
    return null;
  }

  integer(obj: Obj, key: string, where: string, min: number): number | null {
    const v = obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v === "number" && Number.isInteger(v) && v >= min) return v;
    this.error(obj, key, joinPath(where, key), `expected an integer >= ${min}, got ${describe(v)}`);
    return null;
  }

  oneOf<T extends string>(obj: Obj, key: string, where: string, values: readonly T[]): T | null {
    const v = this.string(obj, key, where);
    if (v === null) return null;
    if ((values as readonly string[]).includes(v)) return v as T;
    this.error(obj, key, joinPath(where, key), `expected one of ${values.join(", ")}, got "${v}"`);
    return null;
  }

  list(obj: Obj, key: string, where: string): unknown[] | null {
    const v = obj[key];
    if (v === undefined || v === null) return null;
    if (Array.isArray(v)) return v;
    this.error(obj, key, joinPath(where, key), `expected a list, got ${describe(v)}`);
    return null;
  }

  /** A list of `[name, value]` pairs (values may be numbers or booleans, printed as YAML wrote them). */
  pairs(obj: Obj, key: string, where: string): Pair[] | null {
    const list = this.list(obj, key, where);
    if (!list) return null;
    const at = joinPath(where, key);
    const out: Pair[] = [];
    list.forEach((item, i) => {
      const itemAt = joinPath(at, i);
      if (!Array.isArray(item) || item.length !== 2) {
        this.error(list, i, itemAt, `expected a [name, value] pair, got ${describe(item)}`);
        return;
      }
      const [name, value] = item;
      if (typeof name !== "string" || name === "") {
        this.error(item, 0, joinPath(itemAt, 0), `expected a header name string, got ${describe(name)}`);
        return;
      }
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        this.error(item, 1, joinPath(itemAt, 1), `expected a header value string, got ${describe(value)}`);
        return;
      }
      out.push([name, String(value)]);
    });
    return out;
  }

  /** A body: one string, or a list of strings sent as separate chunks. */
  chunks(obj: Obj, key: string, where: string): string[] {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (typeof v === "string") return [v];
    if (Array.isArray(v)) {
      const at = joinPath(where, key);
      const out: string[] = [];
      v.forEach((c, i) => {
        if (typeof c === "string") out.push(c);
        else this.error(v, i, joinPath(at, i), `expected a string chunk, got ${describe(c)}`);
      });
      return out;
    }
    this.error(obj, key, joinPath(where, key), `expected a string or a list of string chunks, got ${describe(v)}`);
    return [];
  }

  /** A `path → scalar` map of properties. */
  properties(obj: Obj, key: string, where: string): Record<string, PropertyValue> {
    const v = obj[key];
    if (v === undefined || v === null) return {};
    const at = joinPath(where, key);
    if (!this.isObject(v)) {
      this.error(obj, key, at, `expected a map of property path → value, got ${describe(v)}`);
      return {};
    }
    const out: Record<string, PropertyValue> = {};
    for (const [k, value] of Object.entries(v)) {
      if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") out[k] = value;
      else this.error(v, k, joinPath(at, k), `expected a string, number, boolean or null, got ${describe(value)}`);
    }
    return out;
  }

  /** A configuration: a string is used as is, a map or list becomes its JSON text (Envoy's Struct → JSON). */
  config(obj: Obj, key: string, where: string): string | null {
    const v = obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v === "string") return v;
    if (typeof v === "object") return JSON.stringify(v);
    this.error(obj, key, joinPath(where, key), `expected a string or a map, got ${describe(v)}`);
    return null;
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

const TOP_KEYS = [
  "module", "name", "root_id", "vm_id", "vm_config", "plugin_config", "environment", "failure_policy",
  "allow_on_headers_stop_iteration", "listener_direction", "log_level", "clusters", "properties", "bootstrap",
  "http_calls", "ticks", "http", "tcp",
] as const;
const HTTP_KEYS = [
  "properties", "request_headers", "request_body", "request_trailers", "response_headers", "response_body",
  "response_trailers",
] as const;
const TCP_KEYS = ["properties", "downstream", "upstream", "close", "ticks"] as const;
const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "critical", "off"] as const;

/** Parse and check a scenario; throws ScenarioError with every problem found. */
export function parseScenario(file: string, source: string): Scenario {
  const report = new Report(file);
  const { value, sourceMap } = loadConfig(source, report, { json: file.endsWith(".json") });
  const fail = () => new ScenarioError(report.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.path || "(document)"}: ${d.message}`));
  if (report.errorCount > 0) throw fail();
  const c = new Checker(report, sourceMap);
  const top = c.object(undefined, undefined, "", value, TOP_KEYS);
  if (!top) throw fail();

  const moduleText = c.string(top, "module", "", { required: true });
  const environment: Record<string, string> = {};
  const env = top.environment;
  if (c.isObject(env)) {
    for (const k of Object.keys(env)) {
      const s = c.string(env, k, "environment", { scalar: true });
      if (s !== null) environment[k] = s;
    }
  } else if (env !== undefined && env !== null) {
    c.error(top, "environment", "environment", `expected a map of name → value, got ${describe(env)}`);
  }

  let clusters: string[] | null = null;
  const clusterList = c.list(top, "clusters", "");
  if (clusterList) {
    clusters = [];
    clusterList.forEach((x, i) => {
      if (typeof x === "string") clusters!.push(x);
      else c.error(clusterList, i, joinPath("clusters", i), `expected a cluster name, got ${describe(x)}`);
    });
  }

  if (top.bootstrap !== undefined && top.bootstrap !== null) {
    const b = c.object(top, "bootstrap", "bootstrap", top.bootstrap, ["node", "stats_config"]);
    if (b && b.node !== undefined && b.node !== null) {
      const n = c.object(b, "node", "bootstrap.node", b.node, ["id", "cluster", "metadata"]);
      if (n) {
        c.string(n, "id", "bootstrap.node");
        c.string(n, "cluster", "bootstrap.node");
        if (n.metadata !== undefined && n.metadata !== null && !c.isObject(n.metadata)) {
          c.error(n, "metadata", "bootstrap.node.metadata", `expected a map, got ${describe(n.metadata)}`);
        }
      }
    }
    if (b && b.stats_config !== undefined && b.stats_config !== null) {
      const at = "bootstrap.stats_config";
      const sc = c.object(b, "stats_config", at, b.stats_config, ["stats_tags", "use_all_default_tags"]);
      if (sc) {
        c.boolean(sc, "use_all_default_tags", at);
        const tags = c.list(sc, "stats_tags", at);
        tags?.forEach((t, i) => {
          const tagAt = joinPath(joinPath(at, "stats_tags"), i);
          const o = c.object(tags, i, tagAt, t, ["tag_name", "regex", "fixed_value"]);
          if (!o) return;
          c.string(o, "tag_name", tagAt, { required: true });
          const regex = c.string(o, "regex", tagAt);
          const fixed = c.string(o, "fixed_value", tagAt);
          if (regex !== null && fixed !== null) c.error(o, "fixed_value", joinPath(tagAt, "fixed_value"), "regex and fixed_value are mutually exclusive (oneof tag_value)");
        });
      }
    }
  }

  const httpCalls: HttpCallRule[] = [];
  c.list(top, "http_calls", "")?.forEach((r, i, list) => {
    const at = joinPath("http_calls", i);
    const o = c.object(list, i, at, r, ["cluster", "path", "response", "reset"]);
    if (!o) return;
    const reset = c.boolean(o, "reset", at) ?? false;
    let response: HttpCallRule["response"] = null;
    if (o.response !== undefined && o.response !== null) {
      const ro = c.object(o, "response", joinPath(at, "response"), o.response, ["headers", "body", "trailers"]);
      if (ro) response = {
        headers: c.pairs(ro, "headers", joinPath(at, "response")) ?? [],
        body: c.chunks(ro, "body", joinPath(at, "response")).join(""),
        trailers: c.pairs(ro, "trailers", joinPath(at, "response")) ?? [],
      };
    }
    if (reset && response) c.error(o, "reset", joinPath(at, "reset"), "a responder either resets or responds, not both");
    else if (!reset && !response && c.isObject(r)) c.error(list, i, at, "needs a response or reset: true");
    httpCalls.push({ cluster: c.string(o, "cluster", at), path: c.string(o, "path", at), response, reset });
  });

  const ticks = { count: 0, periodMs: null as number | null };
  const tickValue = top.ticks;
  if (typeof tickValue === "number") ticks.count = c.integer(top, "ticks", "", 0) ?? 0;
  else if (c.isObject(tickValue)) {
    const t = c.object(top, "ticks", "ticks", tickValue, ["count", "period_ms"])!;
    ticks.count = c.integer(t, "count", "ticks", 0) ?? 0;
    ticks.periodMs = c.integer(t, "period_ms", "ticks", 1);
  } else if (tickValue !== undefined && tickValue !== null) {
    c.error(top, "ticks", "ticks", `expected a count or {count, period_ms}, got ${describe(tickValue)}`);
  }

  const http: HttpStreamSpec[] = [];
  c.list(top, "http", "")?.forEach((s, i, list) => {
    const at = joinPath("http", i);
    const o = c.object(list, i, at, s, HTTP_KEYS);
    if (!o) return;
    const requestHeaders = c.pairs(o, "request_headers", at);
    if (requestHeaders === null && o.request_headers === undefined) c.error(list, i, joinPath(at, "request_headers"), "is required");
    http.push({
      properties: c.properties(o, "properties", at),
      requestHeaders: requestHeaders ?? [],
      requestBody: c.chunks(o, "request_body", at),
      requestTrailers: c.pairs(o, "request_trailers", at),
      responseHeaders: c.pairs(o, "response_headers", at),
      responseBody: c.chunks(o, "response_body", at),
      responseTrailers: c.pairs(o, "response_trailers", at),
    });
  });

  const tcp: TcpConnectionSpec[] = [];
  c.list(top, "tcp", "")?.forEach((s, i, list) => {
    const at = joinPath("tcp", i);
    const o = c.object(list, i, at, s, TCP_KEYS);
    if (!o) return;
    tcp.push({
      properties: c.properties(o, "properties", at),
      downstream: c.chunks(o, "downstream", at),
      upstream: c.chunks(o, "upstream", at),
      close: c.oneOf(o, "close", at, ["downstream", "upstream"] as const) ?? "downstream",
      ticks: c.integer(o, "ticks", at, 0) ?? 0,
    });
  });

  const scenario: Scenario = {
    file,
    module: moduleText === null ? "" : path.resolve(path.dirname(file), moduleText),
    name: c.string(top, "name", "") ?? "",
    rootId: c.string(top, "root_id", "") ?? "",
    vmId: c.string(top, "vm_id", "") ?? "",
    vmConfig: c.config(top, "vm_config", ""),
    pluginConfig: c.config(top, "plugin_config", ""),
    environment,
    failurePolicy: c.oneOf(top, "failure_policy", "", ["FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"] as const),
    allowOnHeadersStopIteration: c.boolean(top, "allow_on_headers_stop_iteration", "") ?? false,
    listenerDirection: c.oneOf(top, "listener_direction", "", ["UNSPECIFIED", "INBOUND", "OUTBOUND"] as const),
    logLevel: c.oneOf(top, "log_level", "", LOG_LEVELS),
    clusters,
    properties: c.properties(top, "properties", ""),
    bootstrap: hostOptions(top.bootstrap ?? {}),
    httpCalls,
    ticks,
    http,
    tcp,
  };
  if (report.errorCount > 0) throw fail();
  return scenario;
}
