// The downstream peer's identity on a listener that does not terminate the mTLS connection itself: an internal
// listener behind an HBONE CONNECT terminate (docs/envoy-facts.md: waypoint-config, peer-identity). There the certificate is not visible
// (`connection.uri_san_peer_certificate` is empty), so Envoy's own `set_filter_state` filter on the terminating
// listener copies `%DOWNSTREAM_PEER_URI_SAN%` into a string filter-state object shared with the internal
// connection (Istio's waypoint uses `io.istio.peer_principal`). identity-rbac and istio-stats can be told to read
// the peer from that key; this module decides which keys may be trusted for it and decodes the value.
//
// Why a key must not start with `wasm.` or `envoy.`: a Wasm filter can write filter state only through
// proxy_set_property, which always stores `wasm.<name>`, and through set_envoy_filter_state, which uses its key as
// the name of a registered object factory (Envoy's are all `envoy.*`, e.g. `envoy.string`). Any other key can only
// be written by Envoy configuration — set_filter_state — so no Wasm module and no request header can forge it.

import { ConfigReader } from "./config-reader";
import { ISTIO_PEER_PRINCIPAL, WASM_PREFIX } from "./filter-state-keys";

const MAX_KEY_LENGTH: i32 = 256;

/** "" when `key` may name the trusted peer-principal object, else the reason it may not. */
export function peerPrincipalKeyProblem(key: string): string {
  if (key.length == 0 || key.length > MAX_KEY_LENGTH) return "must be a filter-state key of 1..256 characters";
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return "must be printable ASCII without spaces";
  }
  if (key.startsWith(WASM_PREFIX)) {
    return "wasm.* keys are written by Wasm filters (proxy_set_property) and cannot carry identity; use a key only Envoy's set_filter_state writes, e.g. " + ISTIO_PEER_PRINCIPAL;
  }
  if (key.startsWith("envoy.")) {
    return "envoy.* keys name Envoy object factories, which Wasm filters can write (set_envoy_filter_state); use a key only Envoy's set_filter_state writes, e.g. " + ISTIO_PEER_PRINCIPAL;
  }
  return "";
}

/** Name of the plugin-configuration field that names the trusted key, the same in every filter that reads it. */
export const PEER_PRINCIPAL_FILTER_STATE_FIELD = "peerPrincipalFilterState";

/**
 * Reads the optional `peerPrincipalFilterState` field of `r`: the trusted key, or "" (the peer certificate) when
 * absent. A key that may not be trusted is a configuration error at the field's JSON path.
 */
export function readPeerPrincipalKey(r: ConfigReader): string {
  if (!r.has(PEER_PRINCIPAL_FILTER_STATE_FIELD)) return "";
  const key = r.optionalString(PEER_PRINCIPAL_FILTER_STATE_FIELD, "", true);
  const problem = peerPrincipalKeyProblem(key);
  if (problem.length == 0) return key;
  r.fail(PEER_PRINCIPAL_FILTER_STATE_FIELD, problem);
  return "";
}

/**
 * The certificate's first URI SAN from the text `%DOWNSTREAM_PEER_URI_SAN%` formatted: Envoy joins all URI SANs
 * with "," (a SPIFFE id never contains one), and a format string without `omit_empty_values` prints "-" when the
 * peer sent no certificate. "" = no principal.
 */
export function firstUriSan(formatted: string): string {
  if (formatted == "-") return "";
  const comma = formatted.indexOf(",");
  return comma < 0 ? formatted : formatted.substring(0, comma);
}
