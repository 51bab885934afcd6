// `ambient-wasm demo [--json] [--config <ztunnel.yaml>]`: sample connections between the workloads of the shipped
// ztunnel config, run through the emulator with the plugin configurations read from that config.
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BootstrapError, loadZtunnelBootstrap } from "./demo/bootstrap.ts";
import { certificateIdentities } from "./demo/identities.ts";
import { renderText } from "./demo/report.ts";
import { DEMO_CONNECTIONS } from "./demo/scenarios.ts";
import { Demo, type DemoResult } from "./demo/simulate.ts";
import { parseArgs } from "node:util";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const usage = `usage: ambient-wasm demo [--json] [--config <ztunnel.yaml>]

Runs sample connections (allowed and denied) between the workloads of envoy-configs/ztunnel.yaml through the
emulator: node-a's outbound capture (hbone-outbound, istio-stats), the CONNECT tcp_proxy would send, and node-b's
HBONE terminate (hbone-inbound, identity-rbac, istio-stats) with the client's SPIFFE certificate as the peer.
Prints each decision and both nodes' /stats/prometheus lines. Needs \`npm run build\` (npm start does it).

options:
  --json           print the result as JSON
  --config <file>  the ztunnel bootstrap to read (default envoy-configs/ztunnel.yaml)
  -h, --help       this help

The demo's output and the bootstrap it reads: cli/README.md ("ambient-wasm demo").`;

/** Runs the demo; exported for tests. */
export async function runDemo(configFile = join(repoRoot, "envoy-configs/ztunnel.yaml")): Promise<DemoResult> {
  const bootstrap = loadZtunnelBootstrap(configFile);
  const modules = [...bootstrap.outbound.filters, ...bootstrap.hbone.chains.flatMap((c) => c.httpFilters)].map((f) => f.module);
  const missing = [...new Set(modules)].filter((m) => !existsSync(resolve(repoRoot, m)));
  if (missing.length > 0) throw new BootstrapError(`missing Wasm module(s) ${missing.join(", ")}: run \`npm run build\` first`);
  const identities = certificateIdentities(join(repoRoot, "envoy-configs/identities.json"));
  return new Demo(bootstrap, identities, repoRoot).run(DEMO_CONNECTIONS, relative(process.cwd(), configFile) || configFile);
}

export async function command(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { json: { type: "boolean" }, config: { type: "string" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (e) {
    console.error(`ambient-wasm demo: ${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const json = values.json ?? false;
  const config = values.config;
  if (config === "") {
    console.error(`ambient-wasm demo: --config needs a file\n\n${usage}`);
    return 2;
  }
  try {
    const result = await runDemo(config === undefined ? undefined : resolve(config));
    console.log(json ? JSON.stringify(result, null, 2) : renderText(result));
    return 0;
  } catch (e) {
    const file = config ?? "envoy-configs/ztunnel.yaml";
    console.error(`ambient-wasm demo: ${file}: ${(e as Error).message}`);
    return 1;
  }
}
