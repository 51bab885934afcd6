// Semantic check of a converted configuration by the filter itself: the configuration is loaded into
// build/identity-rbac.wasm through the emulator with the root_id of the chosen mode, so `convert` and Envoy reject
// exactly the same policies (bad ports, CIDRs, when keys, path templates, ...). Errors name `$.policies[i]...`,
// which map back to the document the policy came from.
//
// The filter lists at most 20 problems per configure, so when the whole configuration is refused each policy is
// loaded on its own as well: every error of every policy is reported in one run. Nothing is invented: the
// configuration checked is the one printed (the caller requires the workload).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { locate, parseJsonPath, type ConvertError, type PolicyOrigin } from "./convert.ts";
import { ROOT_IDS, type Mode } from "./enforcement.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const FILTER_WASM = join(root, "build", "identity-rbac.wasm");

/** `$.policies[2].spec.rules[0].to[0].operation.ports[1]: bad port "http"` (one per `; `-separated item). */
const ERROR_ITEM = /(\$[^\s:]*): ((?:(?!; \$).)+)/g;

export interface VerifyResult {
  /** False when build/identity-rbac.wasm is missing: only the structure was checked. */
  ran: boolean;
  errors: ConvertError[];
}

type Config = Record<string, unknown> & { policies: unknown[] };

/** Loads `config` in the filter; the error log line's items, or [] when it loaded. */
async function rejections(config: Config, mode: Mode): Promise<{ path: string; message: string }[] | null> {
  const { Host, PluginLoadError } = await import("../../emulator/index.ts");
  const host = new Host({ logLevel: "warn" });
  try {
    await host.loadPlugin({ module: FILTER_WASM, rootId: ROOT_IDS[mode], configuration: JSON.stringify(config) });
    return null;
  } catch (e) {
    if (!(e instanceof PluginLoadError)) throw e;
    const items: { path: string; message: string }[] = [];
    for (const log of host.logs) {
      if (log.level !== "error") continue;
      for (const m of log.message.matchAll(ERROR_ITEM)) items.push({ path: m[1], message: m[2].replace(/;\s*$/, "") });
    }
    if (items.length === 0) items.push({ path: "$", message: `rejected by identity-rbac: ${(e as Error).message}` });
    return items;
  }
}

function toError(item: { path: string; message: string }, origins: PolicyOrigin[], fallbackFile: string): ConvertError {
  const segments = parseJsonPath(item.path);
  if (segments && segments[0] === "policies" && typeof segments[1] === "number" && origins[segments[1]]) {
    const origin = origins[segments[1]];
    const rest = segments.slice(2);
    // name/namespace/dryRun come from metadata; the rest of a policy entry is its spec.
    const inDocument = rest[0] === "spec" ? rest : rest[0] === "name" || rest[0] === "namespace" ? ["metadata", rest[0]] : [];
    const where = locate(origin, inDocument);
    return { file: origin.file, document: origin.document, ...where, message: item.message };
  }
  return { file: fallbackFile, path: item.path, message: item.message };
}

/** `origins[i]` is where `config.policies[i]` came from. */
export async function verifyWithFilter(config: Config, origins: PolicyOrigin[], mode: Mode, fallbackFile: string): Promise<VerifyResult> {
  if (!existsSync(FILTER_WASM)) return { ran: false, errors: [] };
  const whole = await rejections(config, mode);
  if (whole === null) return { ran: true, errors: [] };
  const errors: ConvertError[] = [];
  const seen = new Set<string>();
  const add = (e: ConvertError) => {
    const key = `${e.file}|${e.document}|${e.path}|${e.message}`;
    if (!seen.has(key)) (seen.add(key), errors.push(e));
  };
  // The parts outside policies (workload, rootNamespace, ...), then each policy alone.
  const withoutPolicies = await rejections({ ...config, policies: [] }, mode);
  for (const item of withoutPolicies ?? []) add(toError(item, origins, fallbackFile));
  for (let i = 0; i < config.policies.length; i++) {
    const alone = await rejections({ ...config, policies: [config.policies[i]] }, mode);
    for (const item of alone ?? []) add(toError({ ...item, path: item.path.replace(/^\$\.policies\[0\]/, `$.policies[${i}]`) }, origins, fallbackFile));
  }
  if (errors.length === 0) for (const item of whole) add(toError(item, origins, fallbackFile));
  return { ran: true, errors };
}
