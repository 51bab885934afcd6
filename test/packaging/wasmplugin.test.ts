// One sample Istio WasmPlugin per filter (deploy/istio/<filter>.yaml), checked against the WasmPlugin CRD schema of
// Istio's published API — the istio.io/api Go module, fetched at test time from the Go module proxy, not copied —
// and loaded into the filter it names through the emulator (pluginName as root id, pluginConfig as configuration),
// so a sample can neither break Istio's schema nor carry a configuration the filter refuses.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { Host } from "../../emulator/index.ts";
import { filterModules } from "../../modules/index.ts";
import { rootIdsOf } from "../../oci/build.ts";
import { inCI } from "../envoy/prerequisites.ts";
import { checkSchema, type SchemaNode } from "./structural-schema.ts";

const ISTIO_API = "istio.io/api@v1.32.0";
const samplesDir = join(import.meta.dirname, "../../deploy/istio");
const samples = readdirSync(samplesDir).filter((f) => f.endsWith(".yaml")).sort();

function wasmPluginSchema(): { schema?: SchemaNode; missing?: string } {
  const r = spawnSync("go", ["mod", "download", "-json", ISTIO_API], { encoding: "utf8", timeout: 300_000, env: { ...process.env, GOFLAGS: "-mod=mod" } });
  if (r.status !== 0) {
    const why = `cannot fetch ${ISTIO_API} with \`go mod download\`: ${r.error ?? r.stderr}`;
    if (inCI) throw new Error(`CI=true: ${why}`);
    console.warn(`SKIPPED (not CI): ${why}`);
    return { missing: why };
  }
  const dir = JSON.parse(r.stdout).Dir as string;
  for (const doc of parseAllDocuments(readFileSync(join(dir, "kubernetes/customresourcedefinitions.gen.yaml"), "utf8"))) {
    const crd = doc.toJS();
    if (crd?.spec?.names?.kind !== "WasmPlugin") continue;
    const v = crd.spec.versions.find((x: { name: string }) => x.name === "v1alpha1");
    return { schema: v.schema.openAPIV3Schema as SchemaNode };
  }
  throw new Error(`${ISTIO_API} has no WasmPlugin CRD`);
}

describe("Istio WasmPlugin samples", () => {
  it("one per filter, pulling the image `npm run oci` builds", () => {
    const version = (JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")) as { version: string }).version;
    expect(samples.map((f) => f.replace(/\.yaml$/, ""))).toEqual(Object.keys(filterModules()).sort());
    for (const f of samples) {
      const spec = parse(readFileSync(join(samplesDir, f), "utf8")).spec;
      expect(spec.url).toMatch(new RegExp(`^oci://[^/]+/ambient-wasm/${f.replace(/\.yaml$/, "")}:${version.replace(/\./g, "\\.")}-(compat|oci)$`));
    }
  });

  const { schema, missing } = wasmPluginSchema();
  for (const f of samples) {
    it.skipIf(!!missing)(`${f} is accepted by Istio's WasmPlugin CRD schema (${ISTIO_API})`, () => {
      const doc = parse(readFileSync(join(samplesDir, f), "utf8"));
      expect([doc.apiVersion, doc.kind]).toEqual(["extensions.istio.io/v1alpha1", "WasmPlugin"]);
      const { errors } = checkSchema({ spec: doc.spec }, { type: "object", properties: { spec: schema!.properties!.spec } });
      expect(errors).toEqual([]);
    });
  }

  it.skipIf(!!missing)("the schema check rejects what Istio's schema rejects", () => {
    const spec = schema!.properties!.spec;
    const check = (s: object) => checkSchema({ spec: s }, { type: "object", properties: { spec } }).errors;
    expect(check({ url: "oci://r/x:1", phase: "LATE" })[0]).toContain("phase: must be one of");
    expect(check({ url: "oci://r/x:1", sha256: "XYZ" })[0]).toContain("sha256: does not match");
    expect(check({ url: "oci://r/x:1", prioirty: 1 })[0]).toContain('unknown field "prioirty"');
    expect(check({ phase: "AUTHZ" })[0]).toContain('required field "url"');
    expect(check({ url: "oci://r/x:1", match: [{ ports: [{ number: 70000 }] }] })[0]).toContain("greater than 65535");
  });

  for (const f of samples) {
    it(`${f}: the filter accepts its pluginConfig under its pluginName`, async () => {
      const filter = f.replace(/\.yaml$/, "");
      const { spec } = parse(readFileSync(join(samplesDir, f), "utf8"));
      const roots = rootIdsOf(filter);
      if (roots.length > 0) expect(roots).toContain(spec.pluginName);
      const host = new Host({ logLevel: "warn" });
      const plugin = await host.loadPlugin({
        module: filterModules()[filter].path, name: filter, rootId: spec.pluginName, vmId: filter,
        configuration: JSON.stringify(spec.pluginConfig),
        listenerDirection: spec.match?.[0]?.mode === "CLIENT" ? "OUTBOUND" : "INBOUND",
      });
      expect(plugin).toBeDefined();
      expect(host.logs.filter((l) => ["warn", "error", "critical"].includes(l.level)).map((l) => l.message)).toEqual([]);
    });
  }
});
