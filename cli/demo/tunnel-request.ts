// The CONNECT request tcp_proxy would send, rendered from its `tunneling_config` and the connection's filter
// state the way Envoy's formatter does for the `%FILTER_STATE(key:PLAIN)%` operators our configs use
// (docs/envoy-facts.md: plain-formatter, empty-header-skipped. PLAIN prints a Wasm CelState's raw bytes; a header whose value formats to empty is not added, while the
// hostname formatter prints "-" for a missing value).
import type { TunnelingConfig } from "./bootstrap.ts";

const FILTER_STATE_PLAIN = /%FILTER_STATE\(([^:)]+):PLAIN\)%/g;

export interface ConnectRequest {
  authority: string;
  headers: Array<[string, string]>;
}

function render(template: string, plain: (key: string) => string | null, missing: string): string {
  const rest = template.replace(FILTER_STATE_PLAIN, "");
  if (/%[A-Z_]+(\(.*?\))?%/.test(rest)) throw new Error(`tunneling_config: the demo renders only %FILTER_STATE(key:PLAIN)%, not ${JSON.stringify(template)}`);
  return template.replace(FILTER_STATE_PLAIN, (_m, key: string) => plain(key) ?? missing);
}

export function connectRequest(config: TunnelingConfig, plain: (key: string) => string | null): ConnectRequest {
  const headers: Array<[string, string]> = [];
  for (const h of config.headersToAdd) {
    const value = render(h.value, plain, "");
    if (value !== "") headers.push([h.key, value]);
  }
  return { authority: render(config.hostname, plain, "-"), headers };
}
