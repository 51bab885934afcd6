import { beforeAll, describe, expect, it } from "vitest";
import { type AsModule, loadAsModule } from "./harness.ts";
import { ISTIO_PEER_PRINCIPAL, UPSTREAM_SUBJECT_ALT_NAMES } from "../../lib/filter-state-keys.ts";

let m: AsModule;
beforeAll(async () => {
  m = await loadAsModule("peer-principal");
});

describe("lib/peer-principal", () => {
  it("accepts keys only Envoy configuration can write", () => {
    for (const key of [ISTIO_PEER_PRINCIPAL, "ambient_wasm.peer_principal", "x"]) expect(m.str("keyProblem", key)).toBe("");
  });

  it("rejects keys a Wasm filter can write, and malformed keys", () => {
    expect(m.str("keyProblem", "wasm.peer_principal")).toContain("proxy_set_property");
    expect(m.str("keyProblem", "wasm.")).toContain("proxy_set_property");
    expect(m.str("keyProblem", "envoy.string")).toContain("set_envoy_filter_state");
    expect(m.str("keyProblem", UPSTREAM_SUBJECT_ALT_NAMES)).toContain("set_envoy_filter_state");
    expect(m.str("keyProblem", "")).toContain("1..256");
    expect(m.str("keyProblem", "a".repeat(257))).toContain("1..256");
    expect(m.str("keyProblem", "io.istio.peer principal")).toContain("printable");
    expect(m.str("keyProblem", "io.istio.\u0000")).toContain("printable");
  });

  it("takes the first URI SAN of %DOWNSTREAM_PEER_URI_SAN% and reads \"-\" as no certificate", () => {
    expect(m.str("first", "spiffe://cluster.local/ns/a/sa/b")).toBe("spiffe://cluster.local/ns/a/sa/b");
    expect(m.str("first", "spiffe://cluster.local/ns/a/sa/b,spiffe://cluster.local/ns/c/sa/d")).toBe("spiffe://cluster.local/ns/a/sa/b");
    expect(m.str("first", "-")).toBe("");
    expect(m.str("first", "")).toBe("");
  });
});
