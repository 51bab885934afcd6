// Semantic check of a converted configuration by the filter itself: the configuration is loaded into
// build/identity-rbac.wasm through the emulator, so `convert` and Envoy reject exactly the same policies
// (bad ports, CIDRs, when keys, path templates, ...). Errors name `$.policies[i]...`, which map back to the
// document the policy came from.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { locate, parseJsonPath, type ConvertError, type PolicyOrigin } from "./convert.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const FILTER_WASM = join(root, "build", "identity-rbac.wasm");

/** `$.policies[2].spec.rules[0].to[0].operation.ports[1]: bad port "http"` (one per `; `-separated item). */
const ERROR_ITEM = /(\$[^\s:]*): ((?:(?!; \$).)+)/g;

export async function verifyWithFilter(config: Record<string, unknown>, origins: PolicyOrigin[]): Promise<ConvertError[]> {
  if (!existsSync(FILTER_WASM)) {
    console.error(`note: ${FILTER_WASM} not built; only the structure was checked (run npm run build)`);
    return [];
  }
  const { Host, PluginLoadError } = await import("../../emulator/index.ts");
  const host = new Host({ logLevel: "warn" });
  try {
    // The workload only scopes policies; a placeholder lets a policies-only configuration be checked.
    const checked = config.workload || config.workloads ? config : { ...config, workload: { namespace: "default" } };
    await host.loadPlugin({ module: FILTER_WASM, rootId: "identity-rbac-l7", configuration: JSON.stringify(checked) });
    return [];
  } catch (e) {
    if (!(e instanceof PluginLoadError)) throw e;
    const errors: ConvertError[] = [];
    for (const log of host.logs) {
      if (log.level !== "error") continue;
      for (const m of log.message.matchAll(ERROR_ITEM)) {
        const segments = parseJsonPath(m[1]);
        const message = m[2].replace(/;\s*$/, "");
        if (segments && segments[0] === "policies" && typeof segments[1] === "number" && origins[segments[1]]) {
          const origin = origins[segments[1]];
          const rest = segments.slice(2);
          // name/namespace/dryRun come from metadata; the rest of a policy entry is its spec.
          const inDocument = rest[0] === "spec" ? rest : rest[0] === "name" || rest[0] === "namespace" ? ["metadata", rest[0]] : [];
          const where = locate(origin, inDocument);
          errors.push({ file: origin.file, document: origin.document, path: where.path, line: where.line, message });
        } else {
          errors.push({ file: origins[0]?.file ?? "(config)", path: m[1], message });
        }
      }
    }
    if (errors.length === 0) errors.push({ file: origins[0]?.file ?? "(config)", message: `rejected by identity-rbac: ${(e as Error).message}` });
    return errors;
  }
}
