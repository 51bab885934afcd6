// `ambient-wasm validate` held against `envoy --mode validate` with every pinned Envoy: both accept every shipped
// bootstrap, and both reject every one-mistake variant, except the variants marked `stricterThanEnvoy`, where Envoy
// accepts at configuration time and ours deliberately rejects (the reason is written beside each variant).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { validateBootstrap } from "../../envoy/process.ts";
import { pinnedVersions } from "../../envoy/provision.ts";
import type { Diagnostic } from "../../cli/common/diagnostics.ts";
import { validateSource } from "../../cli/validate/validate-config.ts";
import { ensureMeshCerts } from "../../scripts/certs.ts";
import { envoyPrerequisite } from "../envoy/prerequisites.ts";
import { broken, mutate, read } from "./broken-variants.ts";
import { buildShippedModules, repoRoot, shippedBootstraps } from "./shipped.ts";

const oursRejects = async (source: string, name: string) =>
  (await validateSource(source, name, { baseDir: repoRoot })).some((d: Diagnostic) => d.severity === "error");

beforeAll(async () => {
  await buildShippedModules();
  await ensureMeshCerts();
}, 300_000);

describe.each(pinnedVersions())("Envoy %s and ambient-wasm validate agree", (version) => {
  const envoy = envoyPrerequisite(version);
  const dir = mkdtempSync(join(tmpdir(), `envoy-agreement-${version}-`));

  for (const file of shippedBootstraps()) {
    it.skipIf(!envoy.value)(`both accept ${basename(file)}`, async () => {
      const r = validateBootstrap(envoy.value!, file, repoRoot);
      expect(r.output).toMatch(/OK$/);
      expect(r.ok).toBe(true);
      expect(await oursRejects(readFileSync(file, "utf8"), basename(file))).toBe(false);
    });
  }

  for (const b of broken) {
    it.skipIf(!envoy.value)(`${b.file}: ${b.name}`, async () => {
      const source = mutate(read(b.file), b.find, b.replace);
      const path = join(dir, `${broken.indexOf(b)}-${b.file}`);
      writeFileSync(path, source);
      expect(await oursRejects(source, b.file)).toBe(true);
      const r = validateBootstrap(envoy.value!, path, repoRoot);
      if (b.stricterThanEnvoy) {
        expect(r.ok, `Envoy ${version} now rejects it too; drop stricterThanEnvoy:\n${r.output}`).toBe(true);
      } else {
        expect(r.ok, `Envoy ${version} accepted a variant ambient-wasm rejects`).toBe(false);
        expect(r.output).toMatch(/error initializing configuration/);
      }
    });
  }
});
