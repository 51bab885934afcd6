// `npm run oci`: every filter as the two image formats Istio's WasmPlugin pulls, built into OCI layouts, then pushed
// to a real registry started on loopback (Debian's docker-registry, the CNCF distribution registry) with a real
// client (skopeo) and pulled back byte-identical.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filterModules } from "../../modules/index.ts";
import { buildOciImages, rootIdsOf } from "../../oci/build.ts";
import { readLayout } from "../../oci/layout.ts";
import { untar } from "../../oci/tar.ts";
import { COMPAT_LAYER, WASM_CONFIG, WASM_LAYER } from "../../oci/wasm-image.ts";
import { inCI } from "../envoy/prerequisites.ts";

const version = (JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")) as { version: string }).version;
const outDir = mkdtempSync(join(tmpdir(), "ambient-wasm-oci-"));
let images: ReturnType<typeof buildOciImages>;

beforeAll(() => {
  images = buildOciImages(outDir);
});

describe("npm run oci", () => {
  it("builds one layout per filter with a compat and an oci image", () => {
    expect(Object.keys(images).sort()).toEqual(Object.keys(filterModules()).sort());
  });

  for (const filter of Object.keys(filterModules())) {
    it(`${filter}: compat variant — one tar+gzip layer holding plugin.wasm, annotated compat`, () => {
      const { manifest, blob } = readLayout(images[filter].dir, `${version}-compat`);
      expect(manifest.annotations?.["module.wasm.image/variant"]).toBe("compat");
      expect(manifest.layers.map((l) => l.mediaType)).toEqual([COMPAT_LAYER]);
      const files = untar(gunzipSync(blob(manifest.layers[0])));
      expect([...files.keys()]).toEqual(["plugin.wasm"]);
      expect(Buffer.compare(files.get("plugin.wasm")!, readFileSync(filterModules()[filter].path))).toBe(0);
    });

    it(`${filter}: oci variant — runtime config and raw module, the two layers Istio requires`, () => {
      const { manifest, blob } = readLayout(images[filter].dir, `${version}-oci`);
      expect(manifest.config.mediaType).toBe(WASM_CONFIG);
      expect(manifest.layers.map((l) => l.mediaType)).toEqual([WASM_CONFIG, WASM_LAYER]);
      expect(Buffer.compare(blob(manifest.layers[1]), readFileSync(filterModules()[filter].path))).toBe(0);
      const runtime = JSON.parse(blob(manifest.layers[0]).toString("utf8"));
      expect(runtime).toEqual({ type: "envoy_proxy", abiVersions: ["proxy_abi_version_0_2_1"], config: { root_ids: rootIdsOf(filter) } });
    });
  }

  it("names the root ids each module registers", () => {
    expect(rootIdsOf("identity-rbac")).toEqual(["identity-rbac-connect", "identity-rbac-l4", "identity-rbac-l7"]);
    expect(rootIdsOf("istio-stats")).toEqual(["http", "tcp", "tunnel"]);
  });

  it("is reproducible: the same modules give the same digests", () => {
    const again = buildOciImages(mkdtempSync(join(tmpdir(), "ambient-wasm-oci-again-")));
    for (const f of Object.keys(images)) expect([again[f].compat, again[f].oci]).toEqual([images[f].compat, images[f].oci]);
  });
});

function missingTools(): string | undefined {
  const missing = ["skopeo", "docker-registry"].filter((t) => spawnSync("which", [t]).status !== 0);
  if (missing.length === 0) return undefined;
  const why = `${missing.join(", ")} not installed (Debian: apt-get install ${missing.join(" ")}; npm test installs them through scripts/ensure-system.mjs)`;
  if (inCI) throw new Error(`CI=true: ${why}`);
  console.warn(`SKIPPED (not CI): ${why}`);
  return why;
}

describe("through a real registry on loopback", () => {
  const missing = missingTools();
  let registry: ChildProcess | undefined;
  let address = "";

  beforeAll(async () => {
    if (missing) return;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    address = `127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    const dir = mkdtempSync(join(tmpdir(), "ambient-wasm-registry-"));
    writeFileSync(join(dir, "config.yml"), `version: 0.1\nlog: { level: warn }\nstorage: { filesystem: { rootdirectory: ${dir}/data } }\nhttp: { addr: "${address}" }\n`);
    registry = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      if (spawnSync("curl", ["-sf", `http://${address}/v2/`]).status === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("the registry did not start");
  }, 60_000);
  afterAll(() => void registry?.kill());

  for (const filter of Object.keys(filterModules())) {
    for (const variant of ["compat", "oci"]) {
      it.skipIf(!!missing)(`${filter} ${variant}: push with skopeo, pull back byte-identical`, () => {
        const tag = `${version}-${variant}`;
        const ref = `docker://${address}/ambient-wasm/${filter}:${tag}`;
        const push = spawnSync("skopeo", ["copy", "--dest-tls-verify=false", `oci:${images[filter].dir}:${tag}`, ref], { encoding: "utf8" });
        expect(push.stderr).toBe("");
        expect(push.status).toBe(0);
        const back = mkdtempSync(join(tmpdir(), "ambient-wasm-pulled-"));
        const pull = spawnSync("skopeo", ["copy", "--src-tls-verify=false", ref, `oci:${back}:${tag}`], { encoding: "utf8" });
        expect(pull.status, pull.stderr).toBe(0);
        const original = readLayout(images[filter].dir, tag);
        const pulled = readLayout(back, tag);
        expect(pulled.digest).toBe(original.digest);
        for (const d of [original.manifest.config, ...original.manifest.layers]) expect(Buffer.compare(pulled.blob(d), original.blob(d))).toBe(0);
        const inspect = spawnSync("skopeo", ["inspect", "--raw", "--tls-verify=false", ref], { encoding: "utf8" });
        expect(JSON.parse(inspect.stdout).layers.map((l: { mediaType: string }) => l.mediaType)).toEqual(original.manifest.layers.map((l) => l.mediaType));
      });
    }
  }
});
