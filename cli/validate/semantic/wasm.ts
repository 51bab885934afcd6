// Each Wasm filter's module must exist and load, and its plugin configuration must pass proxy_on_configure —
// what Envoy checks when it creates the plugin at startup. Modules are run in our Envoy-faithful emulator.
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { codeSource, EnvoyBootstrapError, hostOptions, wasmPluginSettings, type AnyEncoder, type WasmPluginSettings } from "../../../emulator/envoy-bootstrap.ts";
import { loadEnvoySchema, type EnvoySchema } from "../descriptors.ts";
import { didYouMean } from "../suggest.ts";
import { positionInScalar } from "./embedded-json.ts";
import { knownWasmRuntimes } from "./wasm-runtimes.ts";
import { child, fail, stringField, warn, type Located, type SemanticContext } from "./located.ts";
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

interface ModuleSource {
  bytes?: Uint8Array;
  /** Human name of the module for messages. */
  label: string;
}

function readModule(vmConfig: Located, ctx: SemanticContext): ModuleSource | undefined {
  const code = codeSource(vmConfig.value);
  const codeLoc = child(vmConfig, "code");
  if (code.kind === "remote") {
    warn(ctx, child(codeLoc!, "remote")!, "remote Wasm modules are not fetched; the module was not checked");
    return undefined;
  }
  if (code.kind === "inline") return { bytes: code.bytes, label: code.label };
  if (code.kind !== "filename") return undefined;
  const filename = child(child(codeLoc!, "local")!, "filename")!;
  const path = isAbsolute(code.filename) ? code.filename : resolve(ctx.baseDir, code.filename);
  if (!existsSync(path)) {
    const nearConfig = ctx.configDir && !isAbsolute(code.filename) ? resolve(ctx.configDir, code.filename) : undefined;
    const hint = nearConfig && existsSync(nearConfig) ? ` (it exists next to the config file: pass --base ${relative(process.cwd(), ctx.configDir!) || "."})` : "";
    fail(ctx, filename, `Wasm module file "${code.filename}" does not exist (looked for ${path}; relative paths resolve against --base, default the current directory)${hint}`);
    return undefined;
  }
  return { bytes: new Uint8Array(readFileSync(path)), label: code.filename };
}

type EmulatorModule = typeof import("../../../emulator/index.ts");
let emulator: Promise<EmulatorModule | Error> | undefined;
function loadEmulator(): Promise<EmulatorModule | Error> {
  emulator ??= import("../../../emulator/index.ts").catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  return emulator;
}

/** Serializes configuration Anys of any Envoy API type with the validator's descriptors: the Any's `value` bytes. */
function encodeWithSchema(schema: EnvoySchema | undefined): AnyEncoder | undefined {
  if (!schema) return undefined;
  return (any) => {
    try {
      return fromJson(AnySchema, any as JsonValue, { registry: schema.registry }).value;
    } catch {
      return undefined;
    }
  };
}

/** False (with an error) when vm_config.runtime names a runtime the pinned Envoy does not have. */
function checkRuntime(vmConfig: Located, ctx: SemanticContext): boolean {
  const runtime = child(vmConfig, "runtime");
  if (!runtime || typeof runtime.value !== "string") return true;
  const known = knownWasmRuntimes();
  if (known.names.includes(runtime.value)) return true;
  fail(ctx, runtime, `Wasm runtime "${runtime.value}" is not registered in ${known.source}; registered: ${known.names.join(", ")}${didYouMean(runtime.value, known.names)}`);
  return false;
}

/**
 * A module's complaint about its configuration string that gives an offset into it ("(offset 124)") is reported
 * at that character's YAML line and column, when the configuration is a string the source shows as written.
 */
function failInsideEmbeddedJson(ctx: SemanticContext, pluginLoc: Located, message: string): boolean {
  const offset = /\(offset (\d+)\)/.exec(message);
  const configuration = child(pluginLoc, "configuration");
  const value = configuration && child(configuration, "value");
  if (!offset || !value || typeof value.value !== "string" || ctx.source === undefined) return false;
  const at = positionInScalar(ctx.source, ctx.sourceMap.at(value.parent, value.key), value.value, Number(offset[1]));
  if (!at) return false;
  ctx.report.error(value.path, at, message.replace(offset[0], `(at line ${at.line}, column ${at.col} of this file)`));
  return true;
}

export async function checkWasmPlugins(model: BootstrapModel, ctx: SemanticContext): Promise<void> {
  const plugins = wasmPlugins(model);
  if (plugins.length === 0) return;
  const schema = await loadEnvoySchema().catch(() => undefined);
  let host: any;
  for (const plugin of plugins) {
    const vmConfig = child(plugin.loc, "vm_config");
    if (!vmConfig) continue;
    if (!checkRuntime(vmConfig, ctx)) continue;
    const module = readModule(vmConfig, ctx);
    if (!module?.bytes || !ctx.loadWasm) continue;
    let settings: WasmPluginSettings;
    try {
      settings = wasmPluginSettings(plugin.loc.value, plugin.loc.path, { direction: plugin.direction, encodeAny: encodeWithSchema(schema) });
    } catch (e) {
      if (!(e instanceof EnvoyBootstrapError)) throw e;
      fail(ctx, plugin.loc, e.message);
      continue;
    }
    if (settings.unsupported) {
      warn(ctx, plugin.loc, `configuration of type ${settings.unsupported.typeName} could not be serialized; the module was not run through proxy_on_configure`);
      continue;
    }
    const em = await loadEmulator();
    if (em instanceof Error) {
      warn(ctx, plugin.loc, `the Wasm emulator is unavailable (${em.message.split("\n")[0]}); ${module.label} was not loaded`);
      return;
    }
    host ??= new em.Host({ ...hostOptions(model.root.value), logLevel: "trace" });
    const name = settings.options.name ?? "";
    const logsBefore: number = host.logs.length;
    try {
      await host.loadPlugin({ ...settings.options, module: module.bytes });
    } catch (e) {
      // The module's own complaints (proxy_log at warn and above), e.g. the JSON path of a bad setting.
      const logs = (host.logs as Array<{ level: string; message: string; line: string }>)
        .slice(logsBefore)
        .filter((l) => l.line.startsWith("wasm log") && (l.level === "warn" || l.level === "error" || l.level === "critical"));
      const detail = logs.length ? `; plugin log: ${logs.map((l) => l.message).join(" | ")}` : "";
      const isLoadError = e instanceof em.PluginLoadError;
      const message = `${plugin.kind} Wasm plugin "${name}" (${module.label}) ${isLoadError ? "was rejected" : "failed in the emulator"}: ${(e as Error).message}${detail}`;
      if (!failInsideEmbeddedJson(ctx, plugin.loc, message)) fail(ctx, plugin.loc, message);
    }
  }
}
