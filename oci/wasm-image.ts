// A filter's module as the container images Istio's WasmPlugin pulls (istio/istio:pkg/wasm/imagefetcher.go, which
// follows the Wasm image spec in solo-io/wasm:spec/spec.md and spec/spec-compat.md):
// - compat: one `application/vnd.oci.image.layer.v1.tar+gzip` layer whose tar holds `plugin.wasm`, and the manifest
//   annotation `module.wasm.image/variant: compat` — pushable by any registry and tool;
// - oci: exactly two layers, a runtime config (`application/vnd.module.wasm.config.v1+json`: type envoy_proxy, ABI
//   versions, root ids) and the raw module (`application/vnd.module.wasm.content.layer.v1+wasm`).
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { type Descriptor, ImageLayout } from "./layout.ts";
import { tar } from "./tar.ts";

export const COMPAT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
export const WASM_CONFIG = "application/vnd.module.wasm.config.v1+json";
export const WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm";
const IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json";
const TITLE = "org.opencontainers.image.title";

export interface WasmImageInput {
  filter: string;
  module: Uint8Array;
  /** Root ids the module registers (what WasmPlugin's pluginName / Envoy's root_id select). */
  rootIds: string[];
  version: string;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Writes both variants into `dir` as one OCI layout, tagged `<version>-compat` and `<version>-oci`. */
export function writeWasmImages(dir: string, input: WasmImageInput): { compat: Descriptor; oci: Descriptor } {
  const layout = new ImageLayout(dir);
  const created = "1970-01-01T00:00:00Z"; // fixed: the image digest depends only on the module
  const labels = { "org.opencontainers.image.title": input.filter, "org.opencontainers.image.version": input.version };

  const layerTar = tar([{ name: "plugin.wasm", data: input.module }]);
  const layer = layout.blob(COMPAT_LAYER, gzipSync(layerTar, { level: 9 }));
  const imageConfig = layout.blob(IMAGE_CONFIG, JSON.stringify({
    created, architecture: "wasm", os: "wasip1", config: { Labels: labels },
    rootfs: { type: "layers", diff_ids: [`sha256:${sha256(layerTar)}`] },
  }));
  const compat = layout.manifest(`${input.version}-compat`, imageConfig, [layer], { "module.wasm.image/variant": "compat", ...labels });

  const runtime = JSON.stringify({ type: "envoy_proxy", abiVersions: ["proxy_abi_version_0_2_1"], config: { root_ids: input.rootIds } });
  const runtimeConfig = layout.blob(WASM_CONFIG, runtime);
  const oci = layout.manifest(`${input.version}-oci`, runtimeConfig, [
    layout.blob(WASM_CONFIG, runtime, { [TITLE]: "runtime-config.json" }),
    layout.blob(WASM_LAYER, input.module, { [TITLE]: "plugin.wasm" }),
  ], labels);
  return { compat, oci };
}
