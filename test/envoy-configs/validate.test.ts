// Every shipped Envoy config passes `ambient-wasm validate` (schema, references, internal listeners, and each
// Wasm plugin's proxy_on_configure in the emulator), and a config with one mistake — made here by mutating a
// shipped one — is rejected at the JSON path (and line) of that mistake.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { command } from "../../cli/validate.ts";
import type { Diagnostic } from "../../cli/common/diagnostics.ts";
import { validateSource } from "../../cli/validate/validate-config.ts";
import { broken, mutate, read, Z_HBONE } from "./broken-variants.ts";
import { buildShippedModules, configDir, repoRoot, shippedBootstraps } from "./shipped.ts";

beforeAll(async () => {
  await buildShippedModules();
});
afterEach(() => vi.restoreAllMocks());

const errorsOf = (ds: Diagnostic[]) => ds.filter((d) => d.severity === "error");

async function validate(source: string, name: string): Promise<Diagnostic[]> {
  return validateSource(source, name, { baseDir: repoRoot });
}

/**
 * 1-based line of the first line of `source` that differs from `original` or, with `marker`, of the first line
 * containing `marker` at or after it (searching backwards when the mistake sits inside the marked block).
 */
function lineOf(source: string, original: string, marker?: string): number {
  const lines = source.split("\n");
  const before = original.split("\n");
  const changed = lines.findIndex((l, n) => l !== before[n]);
  if (changed < 0) throw new Error("the mutation changed nothing");
  if (marker === undefined) return changed + 1;
  for (let i = changed; i < lines.length; i++) if (lines[i].includes(marker)) return i + 1;
  for (let i = changed; i >= 0; i--) if (lines[i].includes(marker)) return i + 1;
  throw new Error(`${marker} not found`);
}

describe("the shipped Envoy configs", () => {
  it("include the four bootstraps and the Docker demo's apps", () => {
    expect(shippedBootstraps().map((f) => basename(f))).toEqual(["app-client.yaml", "app-server.yaml", "egress.yaml", "sidecar.yaml", "waypoint.yaml", "ztunnel.yaml"]);
  });

  for (const file of shippedBootstraps()) {
    it(`${basename(file)} validates without errors or warnings`, async () => {
      expect(await validate(readFileSync(file, "utf8"), basename(file))).toEqual([]);
    });
  }

  it("every bootstrap that loads Wasm sets Istio's stats_tags and binds admin to loopback", () => {
    for (const file of shippedBootstraps()) {
      const text = readFileSync(file, "utf8");
      expect(text, basename(file)).toMatch(/admin:\n  address:\n    socket_address: \{ address: 127\.0\.0\.1,/);
      if (!text.includes("envoy.filters.network.wasm") && !text.includes("envoy.filters.http.wasm")) continue;
      for (const tag of ["response_code", "reporter", "source_principal", "destination_service", "response_flags", "connection_security_policy"]) {
        expect(text, `${basename(file)}: ${tag}`).toContain(`{ tag_name: ${tag}, regex: "(${tag}=\\\\.=`);
      }
    }
  });

  it("`ambient-wasm validate envoy-configs/*.yaml` exits 0 (the Compose file is skipped with a warning)", async () => {
    const log: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: string) => void log.push(s));
    vi.spyOn(console, "warn").mockImplementation((s: string) => void log.push(s));
    const files = [...shippedBootstraps(), join(configDir, "docker-compose.yaml")];
    expect(await command(["--base", repoRoot, ...files])).toBe(0);
    expect(log.filter((l) => l.endsWith(": valid"))).toHaveLength(shippedBootstraps().length);
    expect(log.join("\n")).toContain("skipped: a Docker Compose file");
  });
});

describe("a shipped config with one mistake is rejected with the path of the mistake", () => {
  for (const b of broken) {
    it(`${b.file}: ${b.name}`, async () => {
      const source = mutate(read(b.file), b.find, b.replace);
      const errors = errorsOf(await validate(source, b.file));
      // A mistake inside a YAML anchor is one error; the other paths that reach it through aliases are in alsoAt.
      expect(errors.flatMap((e) => [e.path, ...(e.alsoAt ?? [])]).sort()).toEqual([...b.paths].sort());
      for (const e of errors) {
        if (typeof b.message === "string") expect(e.message).toContain(b.message);
        else expect(e.message).toMatch(b.message);
      }
      if (errors.length === 1) expect(errors[0].line).toBe(lineOf(source, read(b.file), b.line));
    });
  }

  it("the CLI exits 1 and prints file:line:col, path and reason", async () => {
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((s: string) => void err.push(s));
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const file = join(mkdtempSync(join(tmpdir(), "validate-")), "ztunnel.yaml");
    writeFileSync(file, mutate(read("ztunnel.yaml"), '"target": "both"', '"target": "everywhere"'));
    expect(await command(["--base", repoRoot, file])).toBe(1);
    const line = read("ztunnel.yaml").split("\n").findIndex((l) => l.includes("name: hbone-inbound")) + 1;
    expect(err.join("\n")).toContain(`${file}:${line}:17: ${Z_HBONE}.filters[0].typed_config.http_filters[0].typed_config.config: HTTP Wasm plugin "hbone-inbound"`);
  });
});

describe("the listener's traffic_direction reaches each Wasm plugin as xds.listener_direction", () => {
  it("istio-stats without an explicit reporter takes it from the OUTBOUND listener", async () => {
    const original = read("ztunnel.yaml");
    const source = mutate(original, `{ "reporter": "source", "tcpReportingDuration": "5s" }`, `{ "tcpReportingDuration": "5s" }`);
    expect(errorsOf(await validate(source, "ztunnel.yaml"))).toEqual([]);
  });

  it("without a traffic_direction the same plugin configuration is rejected, naming the field", async () => {
    const original = read("ztunnel.yaml");
    let source = mutate(original, `{ "reporter": "source", "tcpReportingDuration": "5s" }`, `{ "tcpReportingDuration": "5s" }`);
    source = source.replace(/(\n    traffic_direction: OUTBOUND\n)([\s\S]*?"tcpReportingDuration")/, "\n$2");
    const errors = errorsOf(await validate(source, "ztunnel.yaml"));
    expect(errors.length).toBe(1);
    expect(errors[0].message).toContain("reporter");
  });
});
