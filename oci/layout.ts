// An OCI image layout directory (opencontainers/image-spec: image-layout.md): `oci-layout`, `index.json` naming
// each manifest by tag (`org.opencontainers.image.ref.name`), and content-addressed `blobs/sha256/<hex>`.
// skopeo, oras, crane and containerd read and push it as it is.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

export class ImageLayout {
  private readonly manifests: Descriptor[] = [];
  constructor(readonly dir: string) {
    mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
    writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }) + "\n");
  }

  /** Stores a blob, returns its descriptor. */
  blob(mediaType: string, data: Uint8Array | string, annotations?: Record<string, string>): Descriptor {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    const hex = createHash("sha256").update(bytes).digest("hex");
    writeFileSync(join(this.dir, "blobs", "sha256", hex), bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length, ...(annotations ? { annotations } : {}) };
  }

  /** Stores an image manifest and names it `tag` in index.json. */
  manifest(tag: string, config: Descriptor, layers: Descriptor[], annotations?: Record<string, string>): Descriptor {
    const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers, ...(annotations ? { annotations } : {}) };
    const d = this.blob(OCI_MANIFEST, JSON.stringify(manifest));
    this.manifests.push({ ...d, annotations: { "org.opencontainers.image.ref.name": tag } });
    writeFileSync(join(this.dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: this.manifests }, null, 2) + "\n");
    return d;
  }
}

/** Reads a layout back: the manifest named `tag` and a blob reader. */
export function readLayout(dir: string, tag: string): { manifest: { config: Descriptor; layers: Descriptor[]; annotations?: Record<string, string> }; digest: string; blob(d: Descriptor | string): Buffer } {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: Descriptor[] };
  const entry = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag) ?? (index.manifests.length === 1 ? index.manifests[0] : undefined);
  if (!entry) throw new Error(`${dir}: no manifest tagged ${tag}`);
  const blob = (d: Descriptor | string) => readFileSync(join(dir, "blobs", "sha256", (typeof d === "string" ? d : d.digest).replace(/^sha256:/, "")));
  return { manifest: JSON.parse(blob(entry.digest).toString("utf8")), digest: entry.digest, blob };
}
