// One operation of a scenario through the emulator, and loading a scenario's plugins (or its floor modules).
import { readFileSync } from "node:fs";
import { Host, type HttpStream, type Plugin, type TcpConnection } from "../emulator/index.ts";
import { modulePath, REQUEST_BYTES, RESPONSE_BYTES, type FilterSpec, type Scenario } from "./scenarios.ts";

/** Runs one request (HTTP shapes) or connection (TCP) through `filters`; returns the finished stream. */
export function runOperation(host: Host, filters: Plugin[], scenario: Scenario): HttpStream | TcpConnection {
  switch (scenario.shape) {
    case "http-headers": {
      const s = host.httpStream({ filters, connection: scenario.connection });
      s.sendRequestHeaders(scenario.request!, true);
      s.sendResponseHeaders(scenario.response!, true);
      s.complete();
      return s;
    }
    case "http-tunnel": {
      const s = host.httpStream({ filters, connection: scenario.connection });
      s.sendRequestHeaders(scenario.request!, false);
      s.sendResponseHeaders(scenario.response!, false);
      s.sendRequestBody(REQUEST_BYTES, true);
      s.sendResponseBody(RESPONSE_BYTES, true);
      s.complete();
      return s;
    }
    case "tcp": {
      const c = host.tcpConnection({ filters, properties: scenario.connection });
      c.open();
      c.downstreamData(REQUEST_BYTES, false);
      c.upstreamData(RESPONSE_BYTES, true);
      c.closeUpstream();
      return c;
    }
  }
}

const moduleCache = new Map<string, Uint8Array>();

/** The bytes of build/<filter>.wasm (read once), or null when it has not been built. */
export function moduleBytes(filter: string): Uint8Array | null {
  let bytes = moduleCache.get(filter);
  if (!bytes) {
    try {
      bytes = new Uint8Array(readFileSync(modulePath(filter)));
    } catch {
      return null;
    }
    moduleCache.set(filter, bytes);
  }
  return bytes;
}

export function loadFilter(host: Host, spec: FilterSpec, bytes: Uint8Array): Plugin {
  return host.loadPluginSync({
    module: bytes, name: spec.name, rootId: spec.rootId, vmId: spec.vmId, configuration: spec.configuration,
    listenerDirection: spec.listenerDirection,
  });
}

/** A host with the scenario's plugins loaded (throws PluginLoadError / a missing-module error). */
export function loadScenario(scenario: Scenario, countHostCalls = false): { host: Host; plugins: Plugin[] } {
  const host = new Host({ ...scenario.hostOptions, countHostCalls });
  const plugins = scenario.filters.map((spec) => {
    const bytes = moduleBytes(spec.filter);
    if (!bytes) throw new Error(`build/${spec.filter}.wasm is missing`);
    return loadFilter(host, spec, bytes);
  });
  return { host, plugins };
}

/** A host with one floor module per filter of the scenario, each on its own VM like the filters. */
export function loadFloor(scenario: Scenario, floorModule: Uint8Array): { host: Host; plugins: Plugin[] } {
  const host = new Host(scenario.hostOptions);
  const plugins = scenario.filters.map((spec, i) =>
    host.loadPluginSync({ module: floorModule, name: `floor-${i}`, vmId: `floor-${i}`, configuration: "", listenerDirection: spec.listenerDirection }));
  return { host, plugins };
}

/** Linear-memory pages of the plugins' VMs (each VM counted once). */
export function memoryPages(plugins: Plugin[]): number {
  const vms = new Set(plugins.map((p) => p.vm));
  let pages = 0;
  for (const vm of vms) pages += vm.mem.memory.buffer.byteLength / 65536;
  return pages;
}
