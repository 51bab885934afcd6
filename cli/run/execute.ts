// Drives a parsed scenario through the emulator and collects the report.
import { readFile } from "node:fs/promises";
import { Host, PluginLoadError } from "../../emulator/index.ts";
import type { HeaderList, HttpCallRequest, HttpCallResponse, LocalResponse, ForwardedMessage } from "../../emulator/index.ts";
import type { Scenario, HttpStreamSpec, TcpConnectionSpec, HttpCallRule } from "./scenario.ts";
import { jsonBytes, metricsSnapshot, type JsonBytes, type MetricValue } from "./report.ts";

export interface ForwardedJson {
  headers: HeaderList | null;
  body: JsonBytes;
  trailers: HeaderList | null;
  end_stream: boolean;
}

export interface HttpStreamReport {
  /** What left the filter chain toward the upstream. */
  request: ForwardedJson;
  /** What left the filter chain toward the downstream client (a local reply, too, once it passed the encode path). */
  response: ForwardedJson;
  local_response: { status: number; headers: HeaderList; body: JsonBytes; details: string; grpc_status: number | null } | null;
  reset: unknown;
  filter_state: Record<string, JsonBytes>;
}

export interface TcpConnectionReport {
  to_upstream: JsonBytes;
  to_downstream: JsonBytes;
  closed: unknown;
  filter_state: Record<string, JsonBytes>;
}

export interface RunReport {
  scenario: string;
  load: { ok: true } | { ok: false; error: string };
  http: HttpStreamReport[];
  tcp: TcpConnectionReport[];
  http_calls: Array<{ cluster: string; headers: HeaderList; body: JsonBytes; answer: "response" | "reset" | "pending" }>;
  logs: Array<{ level: string; message: string }>;
  metrics: Record<string, MetricValue>;
  prometheus: string;
  traps: unknown[];
}

/** A module that cannot be read or that Envoy would refuse to load or configure. */
export class ModuleLoadError extends Error {}

function forwarded(m: ForwardedMessage): ForwardedJson {
  return { headers: m.headers, body: jsonBytes(m.body), trailers: m.trailers, end_stream: m.endStream };
}

function localResponse(r: LocalResponse | null): HttpStreamReport["local_response"] {
  if (!r) return null;
  return { status: r.status, headers: r.headers, body: jsonBytes(r.body), details: r.details, grpc_status: r.grpcStatus };
}

function filterStateJson(fs: { keys(): string[]; bytes(key: string): Uint8Array | null }): Record<string, JsonBytes> {
  const out: Record<string, JsonBytes> = {};
  for (const key of fs.keys().sort()) out[key] = jsonBytes(fs.bytes(key) ?? new Uint8Array());
  return out;
}

function header(headers: HeaderList, name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

function answerFor(rules: HttpCallRule[], req: HttpCallRequest): HttpCallRule | undefined {
  return rules.find((r) => (r.cluster === null || r.cluster === req.cluster) && (r.path === null || r.path === header(req.headers, ":path")));
}

export async function runScenario(s: Scenario): Promise<RunReport> {
  let moduleBytes: Uint8Array;
  try {
    moduleBytes = await readFile(s.module);
  } catch (e) {
    throw new ModuleLoadError(`cannot read module ${s.module}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }

  // The scenario's `clusters` (default: any) stands for the bootstrap's static clusters.
  const host = new Host({ ...s.bootstrap, clusters: s.clusters ?? undefined, logLevel: s.logLevel ?? undefined });

  const calls: RunReport["http_calls"] = [];
  host.onHttpCall((req) => {
    const rule = answerFor(s.httpCalls, req);
    const answer = !rule ? "pending" : rule.reset ? "reset" : "response";
    calls.push({ cluster: req.cluster, headers: req.headers, body: jsonBytes(req.body), answer });
    if (!rule) return undefined;
    if (rule.reset) return "reset";
    const response: HttpCallResponse = { headers: rule.response!.headers, body: rule.response!.body, trailers: rule.response!.trailers };
    return response;
  });

  const report: RunReport = { scenario: s.file, load: { ok: true }, http: [], tcp: [], http_calls: calls, logs: [], metrics: {}, prometheus: "", traps: [] };
  const finish = () => {
    report.logs = host.logs.map((l) => ({ level: l.level, message: l.message }));
    report.metrics = metricsSnapshot(host.stats);
    report.prometheus = host.prometheus();
    report.traps = [...host.traps];
    return report;
  };

  let plugin;
  try {
    plugin = await host.loadPlugin({
      module: moduleBytes,
      name: s.name,
      rootId: s.rootId,
      vmId: s.vmId,
      vmConfig: s.vmConfig ?? undefined,
      configuration: s.pluginConfig ?? undefined,
      environment: s.environment,
      failurePolicy: s.failurePolicy ?? undefined,
      allowOnHeadersStopIteration: s.allowOnHeadersStopIteration,
      listenerDirection: s.listenerDirection ?? undefined,
    });
  } catch (e) {
    if (!(e instanceof PluginLoadError)) throw e;
    report.load = { ok: false, error: e.message };
    return finish();
  }

  for (const spec of s.http) report.http.push(runHttpStream(host, plugin, s, spec));
  for (const spec of s.tcp) report.tcp.push(runTcpConnection(host, plugin, s, spec));
  const period = s.ticks.periodMs ?? host.tickPeriod(plugin) ?? 0;
  for (let i = 0; i < s.ticks.count; i++) host.advanceTime(period || 1000);
  return finish();
}

type PluginHandle = Awaited<ReturnType<Host["loadPlugin"]>>;

function runHttpStream(host: Host, plugin: PluginHandle, s: Scenario, spec: HttpStreamSpec): HttpStreamReport {
  const stream = host.httpStream({ filters: [plugin], connection: s.properties, properties: spec.properties });
  const stopped = () => stream.localResponse !== null || stream.reset !== null;

  const reqBodyEnds = spec.requestTrailers === null;
  stream.sendRequestHeaders(spec.requestHeaders, spec.requestBody.length === 0 && reqBodyEnds);
  spec.requestBody.forEach((chunk, i) => {
    if (!stopped()) stream.sendRequestBody(chunk, i === spec.requestBody.length - 1 && reqBodyEnds);
  });
  if (spec.requestTrailers && !stopped()) stream.sendRequestTrailers(spec.requestTrailers);

  if (spec.responseHeaders && !stopped()) {
    const respBodyEnds = spec.responseTrailers === null;
    stream.sendResponseHeaders(spec.responseHeaders, spec.responseBody.length === 0 && respBodyEnds);
    spec.responseBody.forEach((chunk, i) => {
      if (!stopped()) stream.sendResponseBody(chunk, i === spec.responseBody.length - 1 && respBodyEnds);
    });
    if (spec.responseTrailers && !stopped()) stream.sendResponseTrailers(spec.responseTrailers);
  }
  stream.complete();
  return {
    request: forwarded(stream.upstreamRequest),
    response: forwarded(stream.downstreamResponse),
    local_response: localResponse(stream.localResponse),
    reset: stream.reset,
    filter_state: filterStateJson(stream.filterState),
  };
}

function runTcpConnection(host: Host, plugin: PluginHandle, s: Scenario, spec: TcpConnectionSpec): TcpConnectionReport {
  const conn = host.tcpConnection({ filters: [plugin], properties: { ...s.properties, ...spec.properties } });
  conn.open();
  const rounds = Math.max(spec.downstream.length, spec.upstream.length);
  for (let i = 0; i < rounds && conn.closed === null; i++) {
    if (i < spec.downstream.length) conn.downstreamData(spec.downstream[i], false);
    if (i < spec.upstream.length && conn.closed === null) conn.upstreamData(spec.upstream[i], false);
  }
  const period = host.tickPeriod(plugin) || 1000;
  for (let i = 0; i < spec.ticks && conn.closed === null; i++) host.advanceTime(period);
  if (conn.closed === null) {
    if (spec.close === "downstream") conn.closeDownstream("remote");
    else conn.closeUpstream("remote");
  }
  return {
    to_upstream: jsonBytes(conn.toUpstream),
    to_downstream: jsonBytes(conn.toDownstream),
    closed: conn.closed,
    filter_state: filterStateJson(conn.filterState),
  };
}
