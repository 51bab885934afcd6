// What every mesh topology of the e2e suite and the demo starts with: the build and the certificates checked, stale
// namespaces of dead runs removed, one Network, and a stop that ends what was started in reverse order and then
// removes the namespaces — also when starting failed half-way.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../provision.ts";
import { Network, removeStaleNamespaces } from "./net.ts";

export const CERT_DIR = join(repoRoot, "envoy-configs/certs");

export function certFile(identity: string, part: "cert" | "key"): string {
  return join(CERT_DIR, `${identity}-${part}.pem`);
}

/** Fails early with the fix when `npm run build` / `npm run certs` have not run. */
export function checkArtifacts(): void {
  for (const f of ["build/hbone-outbound.wasm", "build/hbone-inbound.wasm", "build/identity-rbac.wasm", "build/istio-stats.wasm"]) {
    try {
      readFileSync(join(repoRoot, f));
    } catch {
      throw new Error(`${f} is missing: run \`npm run build\``);
    }
  }
  try {
    readFileSync(join(CERT_DIR, "root-cert.pem"));
  } catch {
    throw new Error("envoy-configs/certs/ is missing: run `npm run certs`");
  }
}

export interface Topology {
  net: Network;
  /** Register each process as it starts; `stopAll` stops them newest first. */
  started: Array<{ stop(): Promise<void> }>;
  stopAll(): Promise<void>;
}

export function openTopology(): Topology {
  checkArtifacts();
  removeStaleNamespaces();
  const net = new Network();
  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => {
    await Promise.allSettled(started.splice(0).reverse().map((s) => s.stop()));
    net.destroy();
  };
  return { net, started, stopAll };
}
