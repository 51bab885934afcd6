// Failure in real Envoy, for every pinned version, each case also run through the emulator, which must predict
// what Envoy did:
// - a module that traps fails its stream as the plugin's failure_policy (or legacy fail_open) says, while Envoy
//   keeps serving; FAIL_RELOAD rebuilds the VM only after its reload backoff;
// - a bad plugin configuration of each of our filters makes Envoy refuse the config, with the JSON path logged;
// - a module importing what Envoy lacks (or calling a host function where it may not) fails to load with Envoy's
//   message; an allocator that traps leaves a loaded plugin with a failed VM; a start section's host call crashes
//   Envoy.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Host, PluginLoadError } from "../../emulator/index.ts";
import { pinnedVersions, repoRoot, type Envoy } from "../../envoy/provision.ts";
import { runEnvoyExpectingExit, startEnvoy } from "../../envoy/process.ts";
import { wat } from "../emulator/wat.ts";
import { envoyPrerequisite } from "../envoy/prerequisites.ts";
import { echoUpstream, freePorts, httpGet, httpUpstream, tcpExchange, type EchoUpstream, type HttpUpstream } from "./loopback.ts";
import { wasmFilterYaml } from "./failure-config.ts";

/** How the plugin says what happens after a trap: `failure_policy`, or the legacy `fail_open: true`. */
type Policy = "FAIL_CLOSED" | "FAIL_OPEN" | "fail_open: true";

/** What a client saw: the HTTP status, or for TCP whether its bytes came back and who ended the connection. */
type Outcome = string;

interface Step {
  kind: "http" | "tcp";
  /** Through the plugin, or through a listener without it (Envoy keeps serving other streams). */
  via: "plugin" | "plain";
  trap: boolean;
}

// A healthy stream, a trapping one, then healthy ones again: after the trap the VM on that worker has failed.
const steps: Step[] = [
  { kind: "http", via: "plugin", trap: false },
  { kind: "http", via: "plugin", trap: true },
  { kind: "http", via: "plugin", trap: false },
  { kind: "http", via: "plain", trap: false },
  { kind: "tcp", via: "plugin", trap: false },
  { kind: "tcp", via: "plugin", trap: true },
  { kind: "tcp", via: "plugin", trap: false },
  { kind: "tcp", via: "plain", trap: false },
];

const label = (s: Step) => `${s.kind} ${s.via}${s.trap ? " trap" : ""}`;
const tcpPayload = (s: Step) => (s.trap ? "trap-me" : "hello");
const tcpOutcome = (sent: string, received: string, ended: "closed" | "open") =>
  `${received === sent ? "echoed" : received === "" ? "nothing back" : `got ${JSON.stringify(received)}`}, ${ended}`;

/** The emulator's prediction for the same module, policy and steps (one worker, as Envoy runs with --concurrency 1). */
async function predict(module: Uint8Array, policy: Policy): Promise<{ outcomes: Outcome[]; traps: string[] }> {
  const host = new Host();
  const failure = policy === "fail_open: true" ? { failOpen: true } : { failurePolicy: policy };
  const http = await host.loadPlugin({ module, name: "trap-http", rootId: "", vmId: "trap-http", ...failure });
  const tcp = await host.loadPlugin({ module, name: "trap-tcp", rootId: "", vmId: "trap-tcp", ...failure });
  const outcomes: Outcome[] = [];
  for (const step of steps) {
    const filters = step.via === "plugin" ? [step.kind === "http" ? http : tcp] : [];
    if (step.kind === "http") {
      const headers: Array<[string, string]> = [[":method", "GET"], [":path", "/"], [":authority", "x"], [":scheme", "http"]];
      if (step.trap) headers.push(["x-trap", "1"]);
      const s = host.httpStream({ filters }).sendRequestHeaders(headers, true);
      if (s.localResponse) outcomes.push(String(s.localResponse.status));
      else {
        s.sendResponseHeaders([[":status", "200"]], false).sendResponseBody("upstream ok", true);
        outcomes.push(s.downstreamResponse.headers?.find(([k]) => k === ":status")?.[1] ?? "none");
      }
      s.complete();
    } else {
      const sent = tcpPayload(step);
      const c = host.tcpConnection({ filters }).open().downstreamData(sent);
      // The echo server sends back whatever reached it.
      if (!c.closed && c.toUpstream.length > 0) c.upstreamData(c.toUpstream);
      outcomes.push(tcpOutcome(sent, c.toDownstreamText, c.closed ? "closed" : "open"));
      if (!c.closed) c.closeDownstream();
    }
  }
  return { outcomes, traps: host.traps.map((t) => t.message) };
}

const failureYaml = (policy: Policy) => (policy === "fail_open: true" ? { failOpen: true } : { failurePolicy: policy });

// What each policy does, per step (the emulator must predict the same). failure_policy FAIL_OPEN still fails the
// stream that trapped: Envoy gives proxy-wasm's CHECK_FAIL only the legacy fail_open bool
// (envoyproxy/envoy:source/extensions/common/wasm/plugin.h); it leaves the filter out of later streams.
const expected: Record<Policy, Outcome[]> = {
  FAIL_CLOSED: ["200", "503", "503", "200", "echoed, open", "nothing back, closed", "nothing back, closed", "echoed, open"],
  FAIL_OPEN: ["200", "503", "200", "200", "echoed, open", "nothing back, closed", "echoed, open", "echoed, open"],
  "fail_open: true": ["200", "200", "200", "200", "echoed, open", "echoed, open", "echoed, open", "echoed, open"],
};

function trapBootstrap(opts: { admin: number; ports: number[]; wasm: string; policy: Policy; http: number; echo: number }): string {
  const [httpPlugin, httpPlain, tcpPlugin, tcpPlain] = opts.ports;
  const hcm = (name: string, port: number, wasm: boolean) => `
  - name: ${name}
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ${name}
          access_log:
          - name: envoy.access_loggers.stdout
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
              log_format: { text_format_source: { inline_string: "ACCESS ${name} %RESPONSE_CODE% %RESPONSE_CODE_DETAILS%\\n" } }
          route_config:
            virtual_hosts:
            - { name: all, domains: ["*"], routes: [ { match: { prefix: "/" }, route: { cluster: http_upstream } } ] }
          http_filters:${wasm ? wasmFilterYaml({ kind: "http", name: "trap-http", vmId: "trap-http", rootId: "", wasm: opts.wasm, ...failureYaml(opts.policy), indent: 10 }) : ""}
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`;
  const tcp = (name: string, port: number, wasm: boolean) => `
  - name: ${name}
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:${wasm ? wasmFilterYaml({ kind: "network", name: "trap-tcp", vmId: "trap-tcp", rootId: "", wasm: opts.wasm, ...failureYaml(opts.policy), indent: 6 }) : ""}
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: ${name}
          cluster: echo_upstream`;
  const cluster = (name: string, port: number) => `
  - name: ${name}
    connect_timeout: 1s
    load_assignment:
      cluster_name: ${name}
      endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } } ] } ]`;
  return `admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${opts.admin} } }
static_resources:
  listeners:${hcm("http_plugin", httpPlugin, true)}${hcm("http_plain", httpPlain, false)}${tcp("tcp_plugin", tcpPlugin, true)}${tcp("tcp_plain", tcpPlain, false)}
  clusters:${cluster("http_upstream", opts.http)}${cluster("echo_upstream", opts.echo)}
`;
}

const versions = pinnedVersions();

describe.each(versions)("real Envoy %s: failures", (version) => {
  const envoy = envoyPrerequisite(version);
  const work = mkdtempSync(join(tmpdir(), "ambient-wasm-failure-"));
  let trapModule: Uint8Array;
  let trapPath: string;
  let http: HttpUpstream;
  let echo: EchoUpstream;

  beforeAll(async () => {
    trapModule = await wat("trap-on-demand");
    trapPath = join(work, "trap-on-demand.wasm");
    writeFileSync(trapPath, trapModule);
    http = await httpUpstream();
    echo = await echoUpstream();
  });
  afterAll(async () => {
    await http?.close();
    await echo?.close();
  });

  describe.each<Policy>(["FAIL_CLOSED", "FAIL_OPEN", "fail_open: true"])("a trapping module under %s", (policy) => {
    it.skipIf(!envoy.value)("fails its stream as the policy says while Envoy keeps serving, as the emulator predicts", async () => {
      const [admin, ...ports] = await freePorts(5);
      const proc = await startEnvoy({
        envoy: envoy.value!,
        config: { yaml: trapBootstrap({ admin, ports, wasm: trapPath, policy, http: http.port, echo: echo.port }) },
        cwd: repoRoot,
        concurrency: 1,
      });
      const seen: Outcome[] = [];
      try {
        for (const step of steps) {
          const port = ports[(step.kind === "http" ? 0 : 2) + (step.via === "plain" ? 1 : 0)];
          if (step.kind === "http") {
            const r = await httpGet(port, "/", step.trap ? { "x-trap": "1" } : {});
            seen.push(String(r.status));
          } else {
            const sent = tcpPayload(step);
            const r = await tcpExchange(port, sent);
            seen.push(tcpOutcome(sent, r.received, r.ended));
          }
        }
        // Envoy is still up and serving after the traps.
        expect((await proc.adminGet("/ready")).trim()).toBe("LIVE");
      } finally {
        await proc.stop();
      }
      const log = proc.log();
      const predicted = await predict(trapModule, policy);
      const byStep = (o: Outcome[]) => steps.map((s, i) => `${label(s)} → ${o[i]}`);
      expect(byStep(seen)).toEqual(byStep(predicted.outcomes));
      expect(byStep(seen)).toEqual(byStep(expected[policy]));
      // Envoy logs each trap word for word as the emulator records it.
      expect(predicted.traps).toEqual([
        "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable",
        "Function: proxy_on_downstream_data failed: Uncaught RuntimeError: unreachable",
      ]);
      for (const message of predicted.traps) expect(log).toContain(`[error][wasm] [source/extensions/common/wasm/wasm_vm.cc:38] ${message}`);
      if (policy !== "fail_open: true") expect(log).toMatch(/ACCESS http_plugin 503 wasm_fail_stream/);
    });
  });
});

/** One bad plugin configuration per filter of ours, in the filter type and root_id the shipped configs use. */
const badConfigurations = [
  { filter: "hbone-outbound", kind: "network", rootId: "hbone-outbound", configuration: '{"capturePort": "15001"}', path: "$.capturePort" },
  { filter: "hbone-inbound", kind: "http", rootId: "hbone-inbound", configuration: '{"target": "everywhere"}', path: "$.target" },
  { filter: "connect-headers", kind: "http", rootId: "connect-headers", configuration: '{"headers": 3}', path: "$.headers" },
  {
    filter: "identity-rbac", kind: "http", rootId: "identity-rbac-l7",
    configuration: '{"workloads": [{"name": "w", "namespace": "n"}], "policies": [{"name": "p", "namespace": "n", "spec": {"action": "PERMIT"}}]}',
    path: "$.policies[0].spec.action",
  },
  { filter: "istio-stats", kind: "network", rootId: "tcp", configuration: '{"reporter": "source", "tcpReportingDuration": "5 seconds"}', path: "$.tcpReportingDuration" },
  { filter: "example-header", kind: "http", rootId: "example-header", configuration: '{"response_header": {"value": "v"}}', path: "$.response_header.name" },
] as const;

/** Modules Envoy refuses to load (test/emulator/wat): imports it does not provide, a refused host call in _initialize. */
const unloadable = ["as-default-abort", "abi-0-2-1-old-import", "imported-global", "import-type-mismatch", "init-restricted"];

function oneFilterBootstrap(admin: number, port: number, filter: string): string {
  return `admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${admin} } }
static_resources:
  listeners:
  - name: one
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:${filter}
  clusters:
  - name: nowhere
    connect_timeout: 1s
    load_assignment: { cluster_name: nowhere }
`;
}

function httpChain(wasmFilter: string): string {
  return `
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: one
          route_config:
            virtual_hosts:
            - { name: all, domains: ["*"], routes: [ { match: { prefix: "/" }, route: { cluster: nowhere } } ] }
          http_filters:${wasmFilter}
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`;
}

function networkChain(wasmFilter: string): string {
  return `${wasmFilter}
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: one
          cluster: nowhere`;
}

async function refusedBy(envoy: Envoy, filterYaml: string): Promise<{ code: number | null; log: string }> {
  const [admin, port] = await freePorts(2);
  return runEnvoyExpectingExit({ envoy, config: { yaml: oneFilterBootstrap(admin, port, filterYaml) }, cwd: repoRoot, concurrency: 1 });
}

describe.each(versions)("real Envoy %s: FAIL_RELOAD", (version) => {
  const envoy = envoyPrerequisite(version);
  let http: HttpUpstream;
  beforeAll(async () => {
    http = await httpUpstream();
  });
  afterAll(async () => {
    await http?.close();
  });

  it.skipIf(!envoy.value)("keeps the failed VM within the reload backoff after the load, rebuilds it after, as the emulator predicts", async () => {
    const module = await wat("trap-on-demand");
    const wasm = join(mkdtempSync(join(tmpdir(), "ambient-wasm-reload-")), "trap-on-demand.wasm");
    writeFileSync(wasm, module);
    const backoffMs = 2000;
    const [admin, port] = await freePorts(2);
    const item = wasmFilterYaml({ kind: "http", name: "reload", vmId: "reload", rootId: "", wasm, failurePolicy: "FAIL_RELOAD", reloadBackoffMs: backoffMs, indent: 10 });
    const yaml = oneFilterBootstrap(admin, port, httpChain(item)).replace(
      "load_assignment: { cluster_name: nowhere }",
      `load_assignment: { cluster_name: nowhere, endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${http.port} } } } } ] } ] }`,
    );
    const proc = await startEnvoy({ envoy: envoy.value!, config: { yaml }, cwd: repoRoot, concurrency: 1 });
    // Envoy loaded the plugin on its worker before it answered /ready: everything until `reloadAt` is at least
    // 1.5 backoffs after that load.
    const reloadAt = Date.now() + 1.5 * backoffMs + 300;
    const seen: number[] = [];
    try {
      seen.push((await httpGet(port, "/", { "x-trap": "1" })).status);
      seen.push((await httpGet(port, "/")).status);
      await new Promise((r) => setTimeout(r, reloadAt - Date.now()));
      seen.push((await httpGet(port, "/")).status);
      seen.push((await httpGet(port, "/", { "x-trap": "1" })).status);
    } finally {
      await proc.stop();
    }

    const host = new Host();
    const plugin = await host.loadPlugin({ module, name: "reload", vmId: "reload", failurePolicy: "FAIL_RELOAD", reloadBackoffMs: backoffMs });
    const request = (trap: boolean) => {
      const headers: Array<[string, string]> = [[":method", "GET"], [":path", "/"], [":authority", "x"], [":scheme", "http"]];
      const s = host.httpStream({ filters: [plugin] }).sendRequestHeaders(trap ? [...headers, ["x-trap", "1"]] : headers, true);
      return s.localResponse?.status ?? 200;
    };
    const predicted = [request(true), request(false)];
    host.advanceTime(1.5 * backoffMs + 300);
    predicted.push(request(false), request(true));
    expect(seen).toEqual(predicted);
    expect(seen).toEqual([503, 503, 200, 503]);
  }, 20_000);
});

describe.each(versions)("real Envoy %s: plugins it refuses", (version) => {
  const envoy = envoyPrerequisite(version);
  const work = mkdtempSync(join(tmpdir(), "ambient-wasm-refused-"));

  it.skipIf(!envoy.value).each(badConfigurations)(
    "a bad $filter configuration: Envoy refuses it and logs the JSON path, as the emulator predicts",
    async ({ filter, kind, rootId, configuration, path }) => {
      const wasm = join(repoRoot, "build", `${filter}.wasm`);
      const host = new Host();
      const predicted = await host.loadPlugin({ module: wasm, name: filter, vmId: filter, rootId, configuration }).catch((e) => e);
      expect(predicted).toBeInstanceOf(PluginLoadError);
      const complaint = host.logs.find((l) => l.level === "error" && l.message.includes(`: ${path}:`));
      expect(complaint, "the emulator logs the JSON path").toBeDefined();

      const item = wasmFilterYaml({ kind, name: filter, vmId: filter, rootId, wasm, configuration, indent: kind === "http" ? 10 : 6 });
      const { code, log } = await refusedBy(envoy.value!, kind === "http" ? httpChain(item) : networkChain(item));
      expect(code, "Envoy must refuse the config").not.toBeNull();
      expect(code).not.toBe(0);
      // The module's own line as Envoy prints it ("wasm log <root_id> <vm_id>: ..."), word for word, and Envoy's
      // reason for the rejection, both as the emulator has them.
      expect(log).toContain(`[error][wasm]`);
      expect(log).toContain(complaint!.line);
      expect(log).toContain(predicted.envoyMessage);
    },
  );

  it.skipIf(!envoy.value).each(unloadable)("a module Envoy cannot load (%s) fails to load with Envoy's message", async (name) => {
    const module = await wat(name);
    const predicted = await new Host().loadPlugin({ module, name }).catch((e) => e);
    expect(predicted).toBeInstanceOf(PluginLoadError);
    const wasm = join(work, `${name}.wasm`);
    writeFileSync(wasm, module);
    const { code, log } = await refusedBy(envoy.value!, httpChain(wasmFilterYaml({ kind: "http", name, vmId: name, rootId: "", wasm, indent: 10 })));
    expect(code, "Envoy must refuse the config").not.toBeNull();
    expect(code).not.toBe(0);
    // The emulator's first line is Envoy's; a second line, when there is one, is the emulator's own hint.
    expect(log).toContain(predicted.message.split("\n")[0]);
    expect(log).toContain(predicted.envoyMessage);
  });

  it.skipIf(!envoy.value)("a start section calling a host function crashes Envoy, as the emulator says", async () => {
    const module = await wat("start-section-restricted");
    const predicted = await new Host().loadPlugin({ module, name: "start" }).catch((e) => e);
    expect(predicted).toBeInstanceOf(PluginLoadError);
    expect(predicted.message).toMatch(/^Envoy crashes \(segmentation fault\)/);
    const wasm = join(work, "start-section-restricted.wasm");
    writeFileSync(wasm, module);
    const { code, log } = await refusedBy(envoy.value!, httpChain(wasmFilterYaml({ kind: "http", name: "start", vmId: "start", rootId: "", wasm, indent: 10 })));
    expect(code).toBe(-1); // ended by a signal
    expect(log).toContain("Caught Segmentation fault");
  });

  it.skipIf(!envoy.value)("an allocator that traps under on_vm_start's host call: the plugin loads with a failed VM, its streams get 503", async () => {
    const module = await wat("malloc-restricted");
    const host = new Host();
    const plugin = await host.loadPlugin({ module, name: "alloc", vmId: "alloc", vmConfig: "x" });
    const predicted = host.httpStream({ filters: [plugin] })
      .sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "x"], [":scheme", "http"]], true).localResponse;
    expect(predicted).toMatchObject({ status: 503 });
    const wasm = join(work, "malloc-restricted.wasm");
    writeFileSync(wasm, module);
    const [admin, port] = await freePorts(2);
    const item = wasmFilterYaml({ kind: "http", name: "alloc", vmId: "alloc", rootId: "", wasm, vmConfiguration: "x", indent: 10 });
    const proc = await startEnvoy({ envoy: envoy.value!, config: { yaml: oneFilterBootstrap(admin, port, httpChain(item)) }, cwd: repoRoot, concurrency: 1 });
    try {
      const r = await httpGet(port, "/");
      expect(r.status).toBe(predicted!.status);
    } finally {
      await proc.stop();
    }
    expect(proc.log()).toContain(host.traps[0].message);
  });

  it.skipIf(!envoy.value)("a plugin setting both fail_open and failure_policy is refused, as the emulator says", async () => {
    const module = await wat("trap-on-demand");
    const predicted = await new Host().loadPlugin({ module, name: "both", failOpen: true, failurePolicy: "FAIL_OPEN" }).catch((e) => e);
    expect(predicted).toBeInstanceOf(PluginLoadError);
    const wasm = join(work, "both.wasm");
    writeFileSync(wasm, module);
    const item = wasmFilterYaml({ kind: "http", name: "both", vmId: "both", rootId: "", wasm, failOpen: true, failurePolicy: "FAIL_OPEN", indent: 10 });
    const { code, log } = await refusedBy(envoy.value!, httpChain(item));
    expect(code, "Envoy must refuse the config").not.toBeNull();
    expect(code).not.toBe(0);
    expect(log).toContain(predicted.message);
  });
});
