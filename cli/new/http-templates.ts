// Files of a new HTTP filter (`ambient-wasm new <name> --http`): adds a configured response header and answers
// configured paths with a local reply that carries its own headers (HeaderPair).
import type { FilterNames } from "./names.ts";

export function httpFilter(n: FilterNames): string {
  return `// ${n.name}: adds a configured response header and answers configured paths locally (see README.md).
export * from "../../sdk/exports";
import {
  Counter, FilterHeadersStatus, HeaderPair, HttpContext, RootContext, log, registerRootContext, requestHeaders,
  responseHeaders,
} from "../../sdk";
import { ${n.configClass}, parse${n.configClass} } from "./config";

class ${n.className}Root extends RootContext {
  config: ${n.configClass} = new ${n.configClass}();
  requests: Counter | null = null;

  // Host calls (logging, metrics, properties) belong here or later, never in top-level code.
  onConfigure(configurationSize: u32): bool {
    const parsed = parse${n.configClass}(this.getPluginConfiguration());
    const config = parsed.config;
    if (config === null) {
      log.error("${n.name}: invalid configuration: " + parsed.error);
      return false;
    }
    this.config = config;
    if (this.requests === null) this.requests = new Counter("${n.metricPrefix}_requests_total");
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null {
    return new ${n.className}Http(contextId, this);
  }
}

class ${n.className}Http extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const root = changetype<${n.className}Root>(this.root);
    root.requests!.increment();
    const path = requestHeaders.get(":path");
    if (path !== null && root.config.denyPaths.includes(path)) {
      // A local reply with headers of its own: one HeaderPair per header (lower-case names).
      const headers: HeaderPair[] = [new HeaderPair(root.config.headerName, root.config.headerValue)];
      this.sendLocalResponse(403, "${n.detailsPrefix}_denied", "denied\\n", headers);
      return FilterHeadersStatus.StopIteration;
    }
    return FilterHeadersStatus.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const config = changetype<${n.className}Root>(this.root).config;
    responseHeaders.replace(config.headerName, config.headerValue);
    return FilterHeadersStatus.Continue;
  }
}

registerRootContext("${n.name}", (id: u32): RootContext => new ${n.className}Root(id));
`;
}

export function httpConfig(n: FilterNames): string {
  return `// Plugin configuration of ${n.name} (JSON):
//   {
//     "response_header": { "name": "x-served-by", "value": "${n.name}" },   // required; name in lower case
//     "deny_paths": ["/admin"]                                               // optional, exact :path match
//   }
import { ConfigReader } from "../../lib/config-reader";

export class ${n.configClass} {
  headerName: string = "";
  headerValue: string = "";
  denyPaths: string[] = [];
}

/** The parsed configuration, or null with \`error\` set to "<json path>: <reason>". */
export class Parsed${n.configClass} {
  constructor(public config: ${n.configClass} | null, public error: string) {}
}

export function parse${n.configClass}(text: string): Parsed${n.configClass} {
  const root = ConfigReader.fromText(text);
  const config = new ${n.configClass}();
  const header = root.requiredObject("response_header");
  config.headerName = header.requiredString("name");
  config.headerValue = header.requiredString("value", true);
  if (config.headerName != config.headerName.toLowerCase()) header.fail("name", "expected a lower-case header name");
  header.finish();
  config.denyPaths = root.optionalStringArray("deny_paths");
  root.finish();
  if (!root.ok) return new Parsed${n.configClass}(null, root.errors.first);
  return new Parsed${n.configClass}(config, "");
}
`;
}

export function httpTest(n: FilterNames): string {
  return `// ${n.name} through the emulator: response header, local reply with headers, configuration errors.
// Run: npm run build -- ${n.name} && npx vitest run filters/${n.name}
import { beforeAll, describe, expect, it } from "vitest";
import { Host } from "../../emulator/index.ts";
import { compileAssemblyScript } from "../../scripts/asc.mjs";

const CONFIG = JSON.stringify({ response_header: { name: "x-served-by", value: "${n.name}" }, deny_paths: ["/admin"] });
const GET = (path: string): Array<[string, string]> => [[":method", "GET"], [":path", path], [":authority", "example.test"], [":scheme", "http"]];

let wasm: string;
beforeAll(async () => {
  wasm = (await compileAssemblyScript("filters/${n.name}/filter.ts", "build/${n.name}.wasm")).outFile;
});

async function load(configuration: string = CONFIG, host: Host = new Host()) {
  const plugin = await host.loadPlugin({ module: wasm, name: "${n.name}", rootId: "${n.name}", configuration });
  return { host, plugin };
}

describe("${n.name}", () => {
  it("sets the configured response header", async () => {
    const { host, plugin } = await load();
    const s = host.httpStream({ filters: [plugin] });
    s.sendRequestHeaders(GET("/hello"), true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    expect(s.downstreamResponse.headers).toContainEqual(["x-served-by", "${n.name}"]);
    expect(Number(host.metric("wasmcustom.${n.metricPrefix}_requests_total"))).toBe(1);
    expect(host.traps).toEqual([]);
  });

  it("answers a denied path with a local reply carrying the header", async () => {
    const { host, plugin } = await load();
    const s = host.httpStream({ filters: [plugin] });
    s.sendRequestHeaders(GET("/admin"), true);
    expect(s.localResponse?.status).toBe(403);
    expect(s.localResponse?.headers).toContainEqual(["x-served-by", "${n.name}"]);
    expect(s.upstreamRequest.headers).toBeNull();
    expect(host.traps).toEqual([]);
  });

  it("refuses a bad configuration, naming the JSON path", async () => {
    const host = new Host();
    await expect(load(JSON.stringify({ response_header: { name: "X-Upper", value: "v" } }), host)).rejects.toThrow();
    const line = host.logs.find((l) => l.level === "error");
    expect(line?.message).toContain("${n.name}: invalid configuration: $.response_header.name");
  });
});
`;
}
