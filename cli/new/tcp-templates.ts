// Files of a new TCP (network) filter (`ambient-wasm new <name> --tcp`): counts connections and the bytes each
// direction carries, under metric names built from a configured prefix.
import type { FilterNames } from "./names.ts";

export function tcpFilter(n: FilterNames): string {
  return `// ${n.name}: counts connections and bytes per direction (see README.md).
export * from "../../sdk/exports";
import { Counter, FilterStatus, RootContext, TcpContext, log, registerRootContext } from "../../sdk";
import { ${n.configClass}, parse${n.configClass} } from "./config";

class ${n.className}Root extends RootContext {
  connections: Counter | null = null;
  bytesIn: Counter | null = null;
  bytesOut: Counter | null = null;

  // Host calls (logging, metrics, properties) belong here or later, never in top-level code.
  onConfigure(configurationSize: u32): bool {
    const parsed = parse${n.configClass}(this.getPluginConfiguration());
    const config = parsed.config;
    if (config === null) {
      log.error("${n.name}: invalid configuration: " + parsed.error);
      return false;
    }
    if (this.connections === null) {
      this.connections = new Counter(config.metricPrefix + "_connections_total");
      this.bytesIn = new Counter(config.metricPrefix + "_received_bytes_total");
      this.bytesOut = new Counter(config.metricPrefix + "_sent_bytes_total");
    }
    return true;
  }

  newTcpContext(contextId: u32): TcpContext | null {
    return new ${n.className}Tcp(contextId, this);
  }
}

class ${n.className}Tcp extends TcpContext {
  onNewConnection(): FilterStatus {
    changetype<${n.className}Root>(this.root).connections!.increment();
    return FilterStatus.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    if (dataSize > 0) changetype<${n.className}Root>(this.root).bytesIn!.increment(<i64>dataSize);
    return FilterStatus.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    if (dataSize > 0) changetype<${n.className}Root>(this.root).bytesOut!.increment(<i64>dataSize);
    return FilterStatus.Continue;
  }
}

registerRootContext("${n.name}", (id: u32): RootContext => new ${n.className}Root(id));
`;
}

export function tcpConfig(n: FilterNames): string {
  return `// Plugin configuration of ${n.name} (JSON):
//   { "metric_prefix": "${n.metricPrefix}" }   // required: a-z, 0-9 and '_'
import { ConfigReader } from "../../lib/config-reader";

export class ${n.configClass} {
  metricPrefix: string = "";
}

/** The parsed configuration, or null with \`error\` set to "<json path>: <reason>". */
export class Parsed${n.configClass} {
  constructor(public config: ${n.configClass} | null, public error: string) {}
}

export function parse${n.configClass}(text: string): Parsed${n.configClass} {
  const root = ConfigReader.fromText(text);
  const config = new ${n.configClass}();
  config.metricPrefix = root.requiredString("metric_prefix");
  if (!isMetricName(config.metricPrefix)) root.fail("metric_prefix", "expected a-z, 0-9 and '_' only");
  root.finish();
  if (!root.ok) return new Parsed${n.configClass}(null, root.errors.first);
  return new Parsed${n.configClass}(config, "");
}

function isMetricName(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F)) return false;
  }
  return true;
}
`;
}

export function tcpTest(n: FilterNames): string {
  return `// ${n.name} through the emulator: connection and byte counters, configuration errors.
// Run: npm run build -- ${n.name} && npx vitest run filters/${n.name}
import { beforeAll, describe, expect, it } from "vitest";
import { Host } from "../../emulator/index.ts";
import { compileAssemblyScript } from "../../scripts/asc.mjs";

const CONFIG = JSON.stringify({ metric_prefix: "${n.metricPrefix}" });

let wasm: string;
beforeAll(async () => {
  wasm = (await compileAssemblyScript("filters/${n.name}/filter.ts", "build/${n.name}.wasm")).outFile;
});

async function load(configuration: string = CONFIG, host: Host = new Host()) {
  const plugin = await host.loadPlugin({ module: wasm, name: "${n.name}", rootId: "${n.name}", configuration });
  return { host, plugin };
}

describe("${n.name}", () => {
  it("counts the connection and the bytes of each direction", async () => {
    const { host, plugin } = await load();
    const c = host.tcpConnection({ filters: [plugin], properties: { "source.address": "10.0.0.1:4567", "destination.address": "10.0.0.2:80" } });
    c.open();
    c.downstreamData("hello", false);
    c.upstreamData("world!", true);
    c.closeDownstream("remote");
    expect(Number(host.metric("wasmcustom.${n.metricPrefix}_connections_total"))).toBe(1);
    expect(Number(host.metric("wasmcustom.${n.metricPrefix}_received_bytes_total"))).toBe(5);
    expect(Number(host.metric("wasmcustom.${n.metricPrefix}_sent_bytes_total"))).toBe(6);
    expect(host.traps).toEqual([]);
  });

  it("refuses a bad configuration, naming the JSON path", async () => {
    const host = new Host();
    await expect(load(JSON.stringify({ metric_prefix: "Bad-Name" }), host)).rejects.toThrow();
    const line = host.logs.find((l) => l.level === "error");
    expect(line?.message).toContain("${n.name}: invalid configuration: $.metric_prefix");
  });
});
`;
}
