// `ambient-wasm validate` as a command: exit codes, the `<file>:<line>:<col>: <path>: <message>` lines, --json, --base.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { command } from "../../cli/validate.ts";
import { compileFixtureWat, fixturesDir, repoRoot } from "./validate-wasm.ts";

const valid = join(fixturesDir, "valid.yaml");
const scratch = join(repoRoot, "build/test/validate");

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  vi.spyOn(console, "warn").mockImplementation((...a) => void err.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  return { out, err };
}

beforeAll(async () => {
  await compileFixtureWat("config-check");
  mkdirSync(scratch, { recursive: true });
  writeFileSync(join(scratch, "broken.yaml"), readFileSync(valid, "utf8").replace("idle_timeout: 3600s", "idle_timeout: 3600sec").replace("codec_type: HTTP2", "codec_type: HTTP5"));
});

afterEach(() => vi.restoreAllMocks());

describe("ambient-wasm validate", () => {
  it("exits 0 for a valid config", async () => {
    const { out } = capture();
    expect(await command(["--base", repoRoot, valid])).toBe(0);
    expect(out.join("\n")).toMatch(/valid\.yaml: valid/);
  });

  it("exits 1 and prints every error as file:line:col: path: message", async () => {
    const { err } = capture();
    const broken = join(scratch, "broken.yaml");
    expect(await command(["--base", repoRoot, valid, broken])).toBe(1);
    const lines = err.filter((l) => l.startsWith(broken + ":"));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${broken}:\\d+:\\d+: static_resources\\.listeners\\[1\\]\\.filter_chains\\[0\\]\\.filters\\[0\\]\\.typed_config\\.idle_timeout: invalid duration "3600sec"`)),
        expect.stringMatching(/:\d+:\d+: static_resources\.listeners\[2\]\.filter_chains\[0\]\.filters\[0\]\.typed_config\.codec_type: invalid value "HTTP5"/),
      ]),
    );
    expect(err.join("\n")).toMatch(/broken\.yaml: 2 errors/);
  });

  it("--json gives a machine-readable report", async () => {
    const { out } = capture();
    expect(await command(["--json", "--base", repoRoot, join(scratch, "broken.yaml")])).toBe(1);
    const report = JSON.parse(out.join("\n"));
    expect(report.valid).toBe(false);
    expect(report.files[0].errors).toBe(2);
    expect(report.files[0].diagnostics[0]).toMatchObject({ severity: "error", line: expect.any(Number), col: expect.any(Number), path: expect.stringContaining("static_resources.") });
  });

  it("resolves relative Wasm filenames against --base", async () => {
    const { err } = capture();
    expect(await command(["--base", fixturesDir, valid])).toBe(1);
    expect(err.join("\n")).toMatch(/Wasm module file "build\/test\/validate\/config-check\.wasm" does not exist/);
  });

  it("skips Docker Compose files that a glob over a config folder picks up", async () => {
    const compose = join(scratch, "docker-compose.yaml");
    writeFileSync(compose, "services:\n  envoy:\n    image: envoyproxy/envoy\n");
    const { err } = capture();
    expect(await command(["--base", repoRoot, valid, compose])).toBe(0);
    expect(err.join("\n")).toMatch(/docker-compose\.yaml:1:1: warning: \(document\): skipped: a Docker Compose file/);
  });

  it("exits 2 on usage errors and for unreadable files reports the file", async () => {
    capture();
    expect(await command([])).toBe(2);
    expect(await command(["--frobnicate", valid])).toBe(2);
    const { err } = capture();
    expect(await command([join(scratch, "does-not-exist.yaml")])).toBe(1);
    expect(err.join("\n")).toMatch(/does-not-exist\.yaml:1:1: \(document\): cannot read file/);
  });
});
