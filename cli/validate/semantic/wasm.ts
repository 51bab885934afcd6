// Each Wasm filter's module must exist and load, and its plugin configuration must pass proxy_on_configure —
// what Envoy checks when it creates the plugin at startup. Modules are run in our Envoy-faithful emulator.
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { unpackTypedConfig } from "../type-url.ts";
import { child, fail, isObject, items, stringField, warn, type Located, type SemanticContext } from "./located.ts";
import { filtersOf, HCM_TYPE, httpFilterList, HTTP_WASM_TYPE, NETWORK_WASM_TYPE, type BootstrapModel } from "./model.ts";

interface WasmPlugin {
  /** The PluginConfig (`typed_config.config`). */
  loc: Located;
  kind: "network" | "HTTP";
  /** The owning listener's `traffic_direction`, which Envoy hands the plugin as `xds.listener_direction`. */
  direction?: "UNSPECIFIED" | "INBOUND" | "OUTBOUND";
}

const directions = new Set(["UNSPECIFIED", "INBOUND", "OUTBOUND"]);

function wasmPlugins(model: BootstrapModel): WasmPlugin[] {
  const out: WasmPlugin[] = [];
  const pluginOf = (configLoc: Located | undefined, config: unknown): Located | undefined => (configLoc ? child({ ...configLoc, value: config }, "config") : undefined);
  for (const l of model.listeners) {
    const declared = stringField(l.loc, "traffic_direction")?.toUpperCase();
    const direction = declared && directions.has(declared) ? (declared as WasmPlugin["direction"]) : undefined;
    for (const f of l.networkChains.flatMap(filtersOf)) {
      const loc = f.typeName === NETWORK_WASM_TYPE ? pluginOf(f.configLoc, f.config) : undefined;
      if (loc) out.push({ loc, kind: "network", direction });
      if (f.typeName !== HCM_TYPE) continue;
      const list = httpFilterList(f);
      for (const h of list ? filtersOf(list) : []) {
        const httpLoc = h.typeName === HTTP_WASM_TYPE ? pluginOf(h.configLoc, h.config) : undefined;
        if (httpLoc) out.push({ loc: httpLoc, kind: "HTTP", direction });
      }
    }
  }
  return out;
}

type Bytes = string | Uint8Array;

/**
 * What the plugin reads as its configuration buffer (Envoy MessageUtil::knownAnyToBytes): StringValue → the string,
 * BytesValue → the bytes, Struct → JSON text, TypedStruct → its value as JSON text. `null` = a type we cannot render.
 */
function configurationBytes(any: Located | undefined): { bytes?: Bytes; unsupported?: string } {
  if (!any) return {};
  const unpacked = unpackTypedConfig(any.value);
  const value = isObject(any.value) ? any.value.value : undefined;
  switch (unpacked?.typedStruct ? "typed_struct" : unpacked?.typeName) {
    case "google.protobuf.StringValue":
      return { bytes: typeof value === "string" ? value : "" };
    case "google.protobuf.BytesValue":
      return { bytes: new Uint8Array(Buffer.from(typeof value === "string" ? value : "", "base64")) };
    case "google.protobuf.Struct":
      return { bytes: JSON.stringify(value ?? {}) };
    case "typed_struct":
      return { bytes: JSON.stringify(unpacked!.config) };
    default:
      return { unsupported: unpacked?.typeName ?? "unknown" };
  }
}

interface ModuleSource {
  bytes?: Uint8Array;
  /** Human name of the module for messages. */
  label: string;
}

function readModule(vmConfig: Located, ctx: SemanticContext): ModuleSource | undefined {
  const code = child(vmConfig, "code");
  if (!code) return undefined;
  const remote = child(code, "remote");
  if (remote) {
    warn(ctx, remote, "remote Wasm modules are not fetched; the module was not checked");
    return undefined;
  }
  const local = child(code, "local");
  if (!local) return undefined;
  const filename = child(local, "filename");
  if (filename && typeof filename.value === "string") {
    const path = isAbsolute(filename.value) ? filename.value : resolve(ctx.baseDir, filename.value);
    if (!existsSync(path)) {
      const nearConfig = ctx.configDir && !isAbsolute(filename.value) ? resolve(ctx.configDir, filename.value) : undefined;
      const hint = nearConfig && existsSync(nearConfig) ? ` (it exists next to the config file: pass --base ${relative(process.cwd(), ctx.configDir!) || "."})` : "";
      fail(ctx, filename, `Wasm module file "${filename.value}" does not exist (looked for ${path}; relative paths resolve against --base, default the current directory)${hint}`);
      return undefined;
    }
    return { bytes: new Uint8Array(readFileSync(path)), label: filename.value };
  }
  const inlineBytes = stringField(local, "inline_bytes");
  if (inlineBytes !== undefined) return { bytes: new Uint8Array(Buffer.from(inlineBytes, "base64")), label: "<inline_bytes>" };
  const inlineString = stringField(local, "inline_string");
  if (inlineString !== undefined) return { bytes: new Uint8Array(Buffer.from(inlineString, "utf8")), label: "<inline_string>" };
  return undefined;
}

type EmulatorModule = typeof import("../../../emulator/index.ts");
let emulator: Promise<EmulatorModule | Error> | undefined;
function loadEmulator(): Promise<EmulatorModule | Error> {
  emulator ??= import("../../../emulator/index.ts").catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  return emulator;
}

function hostOptions(model: BootstrapModel): Record<string, unknown> {
  const statsTags = items(child(model.root, "stats_config"), "stats_tags")
    .map((t) => t.value)
    .filter(isObject)
    .map((t) => ("regex" in t ? { tag_name: String(t.tag_name), regex: String(t.regex) } : { tag_name: String(t.tag_name), fixed_value: String(t.fixed_value ?? "") }));
  const node = child(model.root, "node");
  const metadata = node && child(node, "metadata");
  return {
    statsTags,
    clusters: model.dynamicClusters ? undefined : model.clusters.map((c) => c.name).filter((n): n is string => !!n),
    nodeMetadata: metadata && isObject(metadata.value) ? metadata.value : undefined,
    nodeId: stringField(node, "id"),
    nodeCluster: stringField(node, "cluster"),
    logLevel: "trace",
  };
}

const failurePolicies = new Set(["FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"]);

export async function checkWasmPlugins(model: BootstrapModel, ctx: SemanticContext): Promise<void> {
  const plugins = wasmPlugins(model);
  if (plugins.length === 0) return;
  let host: any;
  for (const plugin of plugins) {
    const vmConfig = child(plugin.loc, "vm_config");
    if (!vmConfig) continue;
    const module = readModule(vmConfig, ctx);
    if (!module?.bytes || !ctx.loadWasm) continue;
    const pluginConfig = configurationBytes(child(plugin.loc, "configuration"));
    const vmConfiguration = configurationBytes(child(vmConfig, "configuration"));
    const unsupported = pluginConfig.unsupported ?? vmConfiguration.unsupported;
    if (unsupported) {
      warn(ctx, plugin.loc, `configuration of type ${unsupported} reaches the plugin as serialized protobuf; the module was not run through proxy_on_configure`);
      continue;
    }
    const em = await loadEmulator();
    if (em instanceof Error) {
      warn(ctx, plugin.loc, `the Wasm emulator is unavailable (${em.message.split("\n")[0]}); ${module.label} was not loaded`);
      return;
    }
    host ??= new em.Host(hostOptions(model) as any);
    const name = stringField(plugin.loc, "name") ?? "";
    const policy = stringField(plugin.loc, "failure_policy")?.toUpperCase();
    const env = child(child(vmConfig, "environment_variables") ?? vmConfig, "key_values");
    const logsBefore: number = host.logs.length;
    try {
      await host.loadPlugin({
        module: module.bytes,
        vmId: stringField(vmConfig, "vm_id") ?? "",
        vmConfig: vmConfiguration.bytes,
        environment: env && isObject(env.value) ? (env.value as Record<string, string>) : undefined,
        name,
        rootId: stringField(plugin.loc, "root_id") ?? "",
        configuration: pluginConfig.bytes,
        failurePolicy: policy && failurePolicies.has(policy) ? policy : undefined,
        failOpen: child(plugin.loc, "fail_open")?.value === true,
        listenerDirection: plugin.direction,
      });
    } catch (e) {
      // The module's own complaints (proxy_log at warn and above), e.g. the JSON path of a bad setting.
      const logs = (host.logs as Array<{ level: string; message: string; line: string }>)
        .slice(logsBefore)
        .filter((l) => l.line.startsWith("wasm log") && (l.level === "warn" || l.level === "error" || l.level === "critical"));
      const detail = logs.length ? `; plugin log: ${logs.map((l) => l.message).join(" | ")}` : "";
      const isLoadError = e instanceof em.PluginLoadError;
      fail(ctx, plugin.loc, `${plugin.kind} Wasm plugin "${name}" (${module.label}) ${isLoadError ? "was rejected" : "failed in the emulator"}: ${(e as Error).message}${detail}`);
    }
  }
}
