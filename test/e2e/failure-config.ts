// Envoy YAML for one Wasm filter, HTTP or network, with its plugin configuration and failure_policy.

export interface WasmFilterOptions {
  kind: "http" | "network";
  name: string;
  vmId: string;
  rootId: string;
  /** Absolute path of the module. */
  wasm: string;
  configuration?: string;
  /** vm_config.configuration (what on_vm_start reads). */
  vmConfiguration?: string;
  failurePolicy?: "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";
  /** FAIL_RELOAD's reload_config.backoff.base_interval. */
  reloadBackoffMs?: number;
  /** The legacy `fail_open: true`. */
  failOpen?: boolean;
  /** Column of the list item's dash. */
  indent: number;
}

/** A `- name: envoy.filters.<kind>.wasm` list item, starting with a newline. */
export function wasmFilterYaml(o: WasmFilterOptions): string {
  const pad = " ".repeat(o.indent);
  const lines = [
    `- name: envoy.filters.${o.kind}.wasm`,
    `  typed_config:`,
    `    "@type": type.googleapis.com/envoy.extensions.filters.${o.kind}.wasm.v3.Wasm`,
    `    config:`,
    `      name: ${JSON.stringify(o.name)}`,
    `      root_id: ${JSON.stringify(o.rootId)}`,
    ...(o.failurePolicy ? [`      failure_policy: ${o.failurePolicy}`] : []),
    ...(o.failOpen ? [`      fail_open: true`] : []),
    ...(o.reloadBackoffMs !== undefined ? [`      reload_config: { backoff: { base_interval: ${o.reloadBackoffMs / 1000}s } }`] : []),
    `      vm_config:`,
    `        vm_id: ${JSON.stringify(o.vmId)}`,
    `        runtime: envoy.wasm.runtime.v8`,
    `        code: { local: { filename: ${JSON.stringify(o.wasm)} } }`,
    ...(o.vmConfiguration !== undefined
      ? [`        configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: ${JSON.stringify(o.vmConfiguration)} }`]
      : []),
    ...(o.configuration !== undefined
      ? [
          `      configuration:`,
          `        "@type": type.googleapis.com/google.protobuf.StringValue`,
          `        value: ${JSON.stringify(o.configuration)}`,
        ]
      : []),
  ];
  return lines.map((l) => `\n${pad}${l}`).join("");
}
