import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import * as path from "node:path";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import wabtInit from "wabt";
import { command } from "../../cli/run.ts";
import { compileAssemblyScript } from "../../scripts/asc.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
const FIXTURES = path.join(import.meta.dirname, "fixtures/run");
const OUT = path.join(ROOT, "build/test/cli-run");
const fixture = (name: string) => path.join(FIXTURES, name);

beforeAll(async () => {
  const wabt = await wabtInit();
  mkdirSync(OUT, { recursive: true });
  for (const name of ["filter", "missing-import", "callout"]) {
    const module = wabt.parseWat(`${name}.wat`, readFileSync(fixture(`${name}.wat`), "utf8"));
    writeFileSync(path.join(OUT, `${name}.wasm`), module.toBinary({}).buffer);
    module.destroy();
  }
});

afterEach(() => vi.restoreAllMocks());

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(console, "error").mockImplementation((...parts: unknown[]) => {
    stderr += parts.join(" ") + "\n";
  });
  const code = await command(args);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

describe("ambient-wasm run", () => {
  it("runs HTTP streams and a TCP connection and reports what Envoy would have done", async () => {
    const { code, stdout, stderr } = await run(fixture("http-and-tcp.yaml"));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.load).toEqual({ ok: true });

    const [allowed, denied] = report.http;
    expect(allowed.request.headers).toContainEqual(["x-wasm", "yes"]);
    expect(allowed.request.end_stream).toBe(true);
    expect(allowed.response).toMatchObject({ headers: [[":status", "200"]], body: "hello", end_stream: true });
    expect(allowed.local_response).toBeNull();
    expect(allowed.filter_state["wasm.seen"]).toBe("1");

    expect(denied.local_response).toMatchObject({ status: 403, body: "denied", details: "denied_by_test" });
    expect(denied.request.headers).toBeNull(); // never got past the filter
    expect(denied.request.body).toBe("");

    expect(report.tcp).toHaveLength(1);
    expect(report.tcp[0].to_upstream).toBe("helloworld!");
    expect(report.tcp[0].to_downstream).toBe("ok");

    expect(report.logs.filter((l: { message: string }) => l.message === "request seen")).toEqual([
      { level: "info", message: "request seen" },
      { level: "info", message: "request seen" },
    ]);
    expect(report.logs).toContainEqual({ level: "info", message: "connection closed" });

    expect(report.metrics["wasmcustom.requests_total"]).toBe(2);
    const chunks = report.metrics["wasmcustom.reporter=.=destination;.;chunk_bytes"];
    expect(chunks.count).toBe(2);
    // circllhist bins [5, 5.1) and [6, 6.1), minimum-error midpoints.
    expect(chunks.sum).toBeCloseTo(5 + 0.1 * (5 / 10.1) + 6 + 0.1 * (6 / 12.1), 12);

    expect(report.prometheus).toContain("# TYPE requests_total counter\nrequests_total{} 2\n");
    expect(report.prometheus).toContain('chunk_bytes_bucket{reporter="destination",le="1"} 0\n');
    expect(report.prometheus).toContain('chunk_bytes_bucket{reporter="destination",le="5"} 1\n');
    expect(report.prometheus).toContain('chunk_bytes_bucket{reporter="destination",le="10"} 2\n');
    expect(report.prometheus).toContain('chunk_bytes_count{reporter="destination"} 2\n');
    expect(report.traps).toEqual([]);
  });

  it("answers http calls from the scenario's responders and fires ticks at the module's period", async () => {
    const { code, stdout } = await run(fixture("callouts-and-ticks.yaml"));
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.http_calls).toEqual([
      {
        cluster: "authz",
        headers: [[":method", "GET"], [":path", "/check"], [":authority", "authz"]],
        body: "",
        answer: "response",
      },
    ]);
    expect(report.http[0].request.headers).toEqual([[":method", "GET"], [":path", "/a"], [":authority", "app"], [":scheme", "http"]]);
    expect(report.http[0].response.headers).toEqual([[":status", "200"]]);
    expect(report.metrics["wasmcustom.authz_responses"]).toBe(1);
    expect(report.metrics["wasmcustom.ticks"]).toBe(3); // 3 × the module's 1000 ms period
  });

  it("leaves unmatched http calls pending and advances ticks by period_ms", async () => {
    const { code, stdout } = await run(fixture("pending-call.yaml"));
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.http_calls.map((c: { answer: string }) => c.answer)).toEqual(["pending"]);
    expect(report.http[0].request.headers).toBeNull(); // still paused
    expect(report.metrics["wasmcustom.authz_responses"]).toBe(0);
    expect(report.metrics["wasmcustom.ticks"]).toBe(1); // 2 × 500 ms = one 1000 ms period
  });

  it("reports a reset call, which still resumes the module", async () => {
    const report = JSON.parse((await run(fixture("reset-call.yaml"))).stdout);
    expect(report.http_calls.map((c: { answer: string }) => c.answer)).toEqual(["reset"]);
    expect(report.metrics["wasmcustom.authz_responses"]).toBe(1);
    expect(report.http[0].request.headers).not.toBeNull();
  });

  it("reports a failed on_configure as a load error and exits non-zero", async () => {
    const file = fixture("bad-config.yaml");
    const { code, stdout, stderr } = await run(file);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.load.ok).toBe(false);
    expect(stderr).toBe(`${file}: module: ${report.load.error}\n`);
  });

  it("prints the plugin's own configure error after Envoy's rejection", async () => {
    await compileAssemblyScript("filters/example-header/filter.ts", "build/example-header.wasm");
    const file = fixture("plugin-refuses-config.yaml");
    const { code, stderr } = await run(file);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `${file}: module: Failed to configure base Wasm plugin\n` +
      "  error: example-header: invalid configuration: $.response_header: required field is missing\n",
    );
  });

  it("names the import Envoy does not provide", async () => {
    const { code, stderr } = await run(fixture("missing-import.yaml"));
    expect(code).toBe(1);
    expect(stderr).toContain("env.abort");
  });

  it("fails with the file and reason when the module cannot be read", async () => {
    const file = fixture("missing-module.yaml");
    const { code, stdout, stderr } = await run(file);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(`${file}: module: cannot read module ${path.join(FIXTURES, "no-such-file.wasm")}: ENOENT\n`);
  });

  it("rejects a bad scenario with one line per problem", async () => {
    const file = fixture("bad-scenario.yaml");
    const { code, stdout, stderr } = await run(file);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(5);
    expect(stderr).toContain(`${file}:8:12: tcp[0].close: expected one of downstream, upstream, got "sideways"`);
  });

  it("--help prints the options and where the formats are documented", async () => {
    let out = "";
    vi.spyOn(console, "log").mockImplementation((...parts: unknown[]) => { out += parts.join(" ") + "\n"; });
    expect(await command(["--help"])).toBe(0);
    vi.restoreAllMocks();
    expect(out).toContain("-h, --help");
    expect(out).toContain("cli/README.md");
    expect((await run("--bogus", "a.yaml")).stderr).toContain("Unknown option '--bogus'");
  });

  it("prints usage without exactly one argument", async () => {
    expect((await run()).code).toBe(2);
    expect((await run("a.yaml", "b.yaml")).code).toBe(2);
    const missing = await run(path.join(FIXTURES, "nope.yaml"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("nope.yaml: cannot read scenario: ENOENT");
  });
});
