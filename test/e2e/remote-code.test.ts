// Envoy loads a filter by remote fetch (vm_config.code.remote: http_uri + sha256), from a module server on
// loopback, with every pinned Envoy: the shipped filters/example-header/envoy-remote.yaml, parameterised only by
// ports and the sha256. A wrong sha256 is refused the way Envoy reports it.
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { type AddressInfo, createServer as netServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { curlGet, startEnvoy } from "../../envoy/process.ts";
import { pinnedVersions } from "../../envoy/provision.ts";
import { filterModules } from "../../modules/index.ts";
import { envoyPrerequisite } from "../envoy/prerequisites.ts";

const repo = join(import.meta.dirname, "..", "..");
const shipped = readFileSync(join(repo, "filters/example-header/envoy-remote.yaml"), "utf8");

async function freePort(): Promise<number> {
  const s = netServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function replaceOnce(text: string, find: string, by: string): string {
  if (text.split(find).length !== 2) throw new Error(`envoy-remote.yaml must contain ${find} exactly once`);
  return text.replace(find, by);
}

let server: Server;
let modulePort = 0;
const fetched: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    fetched.push(req.url ?? "");
    const name = /^\/([a-z-]+)\.wasm$/.exec(req.url ?? "")?.[1];
    const module = name ? filterModules()[name] : undefined;
    if (module) res.writeHead(200, { "content-type": "application/wasm" }).end(readFileSync(module.path));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  modulePort = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function config(sha256: string): Promise<{ yaml: string; listener: number }> {
  const listener = await freePort();
  let yaml = replaceOnce(shipped, "port_value: 9901", `port_value: ${await freePort()}`);
  yaml = replaceOnce(yaml, "port_value: 10000", `port_value: ${listener}`);
  yaml = replaceOnce(yaml, "http://127.0.0.1:8000/", `http://127.0.0.1:${modulePort}/`);
  yaml = replaceOnce(yaml, "port_value: 8000", `port_value: ${modulePort}`);
  yaml = replaceOnce(yaml, '"0000000000000000000000000000000000000000000000000000000000000000"', `"${sha256}"`);
  return { yaml, listener };
}

function curlHeaders(url: string): string {
  return spawnSync("curl", ["-s", "-i", "--max-time", "5", url], { encoding: "utf8" }).stdout;
}

describe.each(pinnedVersions())("Envoy %s, remote code", (version) => {
  const envoy = envoyPrerequisite(version);

  it.skipIf(!envoy.value)("fetches the module, checks its sha256 and runs it", async () => {
    fetched.length = 0;
    const { yaml, listener } = await config(filterModules()["example-header"].sha256);
    const proxy = await startEnvoy({ envoy: envoy.value!, config: { yaml }, cwd: repo });
    try {
      const ok = curlHeaders(`http://127.0.0.1:${listener}/`);
      expect(ok).toMatch(/^HTTP\/1\.1 200/);
      expect(ok).toMatch(/\r\nx-served-by: ambient-wasm\r\n/);
      expect(curlHeaders(`http://127.0.0.1:${listener}/admin`)).toMatch(/^HTTP\/1\.1 403/);
      expect(fetched).toContain("/example-header.wasm");
    } finally {
      await proxy.stop();
    }
  });

  it.skipIf(!envoy.value)("refuses a module whose sha256 does not match: the plugin fails to load, the listener fails closed", async () => {
    fetched.length = 0;
    const { yaml, listener } = await config("ab".repeat(32));
    const proxy = await startEnvoy({ envoy: envoy.value!, config: { yaml }, cwd: repo });
    try {
      const deadline = Date.now() + 15_000;
      while (!/Plugin example-header failed to load/.test(proxy.log()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(proxy.log()).toContain("Plugin example-header failed to load");
      expect(fetched).toContain("/example-header.wasm"); // fetched, and refused for its bytes
      const refused = curlHeaders(`http://127.0.0.1:${listener}/`);
      expect(refused).toMatch(/^HTTP\/1\.1 503/);
      expect(refused).not.toMatch(/x-served-by/);
      expect(await curlGet(`http://${proxy.admin}/ready`)).toContain("LIVE");
    } finally {
      await proxy.stop();
    }
  });
});

/** One listener (on a port the kernel picks: nothing connects to it) running `filter` fetched by remote code, configured as its Istio sample (deploy/istio/<filter>.yaml). */
function oneRemoteFilter(filter: string, admin: number, sha256: string): string {
  const { spec } = parseYaml(readFileSync(join(repo, "deploy/istio", `${filter}.yaml`), "utf8"));
  const http = spec.type !== "NETWORK";
  const wasm = {
    name: http ? "envoy.filters.http.wasm" : "envoy.filters.network.wasm",
    typed_config: {
      "@type": `type.googleapis.com/envoy.extensions.filters.${http ? "http" : "network"}.wasm.v3.Wasm`,
      config: {
        name: filter, root_id: spec.pluginName,
        vm_config: { vm_id: filter, runtime: "envoy.wasm.runtime.v8", code: { remote: { http_uri: { uri: `http://127.0.0.1:${modulePort}/${filter}.wasm`, cluster: "modules", timeout: "5s" }, sha256 } } },
        configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: JSON.stringify(spec.pluginConfig) },
      },
    },
  };
  const filters = http
    ? [{ name: "envoy.filters.network.http_connection_manager", typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        stat_prefix: "h", route_config: { virtual_hosts: [{ name: "v", domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200 } }] }] },
        http_filters: [wasm, { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } }],
      } }]
    : [wasm, { name: "envoy.filters.network.tcp_proxy", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", stat_prefix: "t", cluster: "modules" } }];
  const cluster = { name: "modules", type: "STATIC", connect_timeout: "1s", load_assignment: { cluster_name: "modules", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: modulePort } } } }] }] } };
  return JSON.stringify({
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: admin } } },
    static_resources: { listeners: [{ name: "one", address: { socket_address: { address: "127.0.0.1", port_value: 0 } }, filter_chains: [{ filters }] }], clusters: [cluster] },
  });
}

describe.each(pinnedVersions())("Envoy %s loads every filter by remote code", (version) => {
  const envoy = envoyPrerequisite(version);
  for (const filter of Object.keys(filterModules())) {
    it.skipIf(!envoy.value)(`${filter}: fetched, sha256 checked, configured`, async () => {
      fetched.length = 0;
      const admin = await freePort();
      const yaml = oneRemoteFilter(filter, admin, filterModules()[filter].sha256);
      const proxy = await startEnvoy({ envoy: envoy.value!, config: { yaml }, cwd: repo, admin: `127.0.0.1:${admin}` });
      try {
        const deadline = Date.now() + 10_000;
        let stats = "";
        while (!/wasm\.remote_load_fetch_successes: [1-9]/.test(stats) && Date.now() < deadline) {
          stats = await proxy.adminGet("/stats?filter=wasm");
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(stats).toMatch(/wasm\.remote_load_fetch_successes: [1-9]/);
        expect(fetched).toContain(`/${filter}.wasm`);
        expect(proxy.log()).not.toMatch(/failed to load|Unable to create Wasm plugin/);
      } finally {
        await proxy.stop();
      }
    });
  }
});
