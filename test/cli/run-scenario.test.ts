import { describe, expect, it } from "vitest";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { parseScenario, ScenarioError } from "../../cli/run/scenario.ts";

const FIXTURES = path.join(import.meta.dirname, "fixtures/run");
const fixture = (name: string) => path.join(FIXTURES, name);

function errorsOf(file: string, source: string): string[] {
  try {
    parseScenario(file, source);
  } catch (e) {
    if (e instanceof ScenarioError) return e.lines;
    throw e;
  }
  throw new Error("scenario was accepted");
}

describe("scenario parsing", () => {
  it("reads every field of a scenario", () => {
    const file = fixture("http-and-tcp.yaml");
    const s = parseScenario(file, readFileSync(file, "utf8"));
    expect(s.module).toBe(path.resolve(FIXTURES, "../../../../build/test/cli-run/filter.wasm"));
    expect(s).toMatchObject({
      name: "test-filter",
      rootId: "test_root",
      vmId: "vm1",
      pluginConfig: '{"greeting":"hello"}',
      vmConfig: null,
      properties: { "source.address": "10.1.2.3:4567" },
      bootstrap: { statsTags: [{ tag_name: "reporter", regex: "(reporter=\\.=(.*?);\\.;)" }], useAllDefaultTags: true },
    });
    expect(s.http).toHaveLength(2);
    expect(s.http[0]).toEqual({
      properties: {},
      requestHeaders: [[":method", "GET"], [":path", "/"], [":authority", "example"], [":scheme", "http"]],
      requestBody: [],
      requestTrailers: null,
      responseHeaders: [[":status", "200"]],
      responseBody: ["hello"],
      responseTrailers: null,
    });
    expect(s.http[1].requestBody).toEqual(["part1", "part2"]);
    expect(s.tcp).toEqual([{ properties: {}, downstream: ["hello", "world!"], upstream: ["ok"], close: "downstream", ticks: 0 }]);
  });

  it("resolves the module relative to the scenario file", () => {
    const s = parseScenario("/some/dir/scenario.yaml", "module: ../filter.wasm\n");
    expect(s.module).toBe("/some/filter.wasm");
  });

  it("reports unknown keys and wrong types with file, line:col and path", () => {
    const file = fixture("bad-scenario.yaml");
    expect(errorsOf(file, readFileSync(file, "utf8"))).toEqual([
      `${file}:3:1: unknown_top: unknown key "unknown_top" (allowed: module, name, root_id, vm_id, vm_config, plugin_config, environment, failure_policy, allow_on_headers_stop_iteration, listener_direction, log_level, clusters, properties, bootstrap, http_calls, ticks, http, tcp)`,
      `${file}:5:43: http[0].request_headers[1]: expected a [name, value] pair, got a list`,
      `${file}:6:20: http[0].response_body: expected a string or a list of string chunks, got a map`,
      `${file}:8:12: tcp[0].close: expected one of downstream, upstream, got "sideways"`,
      `${file}:2:10: root_id: expected a string, got number 7`,
    ]);
  });

  it("requires a module and request headers", () => {
    expect(errorsOf("s.yaml", "http:\n  - response_headers: []\n")).toEqual([
      "s.yaml:1:1: module: is required",
      "s.yaml:2:5: http[0].request_headers: is required",
    ]);
  });

  it("reports YAML syntax errors and a document that is not a map", () => {
    expect(errorsOf("s.yaml", "module: [unclosed\n")[0]).toMatch(/^s\.yaml:\d+:\d+: \(document\): YAML syntax error: /);
    expect(errorsOf("s.yaml", "- 1\n")).toEqual(["s.yaml:1:1: (document): expected a map, got a list"]);
  });

  it("checks stats_tags entries like Envoy's TagSpecifier oneof", () => {
    const errors = errorsOf(
      "s.yaml",
      [
        "module: m.wasm",
        "bootstrap:",
        "  stats_config:",
        "    stats_tags:",
        "      - {tag_name: a, regex: '(x)', fixed_value: z}",
        "      - {regex: '(x)'}",
        "      - {tag_name: b, regexp: '(x)'}",
      ].join("\n"),
    );
    expect(errors).toEqual([
      "s.yaml:5:50: bootstrap.stats_config.stats_tags[0].fixed_value: regex and fixed_value are mutually exclusive (oneof tag_value)",
      "s.yaml:6:9: bootstrap.stats_config.stats_tags[1].tag_name: is required",
      's.yaml:7:23: bootstrap.stats_config.stats_tags[2].regexp: unknown key "regexp" (allowed: tag_name, regex, fixed_value)',
    ]);
  });

  it("accepts http_calls responders, ticks and per-connection settings", () => {
    const s = parseScenario(
      "s.yaml",
      [
        "module: m.wasm",
        "ticks: {count: 2, period_ms: 500}",
        "http_calls:",
        "  - cluster: authz",
        "    response: {headers: [[':status', 200]], body: ok}",
        "  - reset: true",
        "tcp:",
        "  - {downstream: abc, close: upstream, ticks: 1, properties: {connection.mtls: true}}",
      ].join("\n"),
    );
    expect(s.ticks).toEqual({ count: 2, periodMs: 500 });
    expect(s.httpCalls).toEqual([
      { cluster: "authz", path: null, response: { headers: [[":status", "200"]], body: "ok", trailers: [] }, reset: false },
      { cluster: null, path: null, response: null, reset: true },
    ]);
    expect(s.tcp[0]).toEqual({ properties: { "connection.mtls": true }, downstream: ["abc"], upstream: [], close: "upstream", ticks: 1 });
  });

  it("rejects ticks that are neither a count nor {count, period_ms}", () => {
    expect(errorsOf("s.yaml", "module: m.wasm\nticks: often\n")).toEqual([
      's.yaml:2:8: ticks: expected a count or {count, period_ms}, got the string "often"',
    ]);
    expect(errorsOf("s.yaml", "module: m.wasm\nticks: -1\n")).toEqual(["s.yaml:2:8: ticks: expected an integer >= 0, got number -1"]);
  });

  it("rejects a responder with neither a response nor reset", () => {
    expect(errorsOf("s.yaml", "module: m.wasm\nhttp_calls:\n  - cluster: x\n")).toEqual([
      "s.yaml:3:5: http_calls[0]: needs a response or reset: true",
    ]);
  });
});
