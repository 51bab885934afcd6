// `ambient-wasm authz convert --format envoy-rbac`: the RBAC filters istiod would generate, their structure and the
// choices that differ by enforcement point. What Envoy decides with them is test/cli/envoy-rbac-envoy.test.ts.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { command } from "../../cli/authz.ts";
import { captureOutput } from "./captured-output.ts";

const output = captureOutput();

const dir = mkdtempSync(join(tmpdir(), "aw-envoy-rbac-"));
function policyFile(yaml: string): string {
  const f = join(dir, `p${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, yaml);
  return f;
}

const POLICIES = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-sleep, namespace: foo }
spec:
  selector: { matchLabels: { app: httpbin } }
  rules: [ { from: [ { source: { principals: ["cluster.local/ns/foo/sa/sleep"], notNamespaces: ["bar"] } } ], to: [ { operation: { ports: ["8080"], methods: ["GET"] } } ] } ]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-admin, namespace: foo }
spec:
  action: DENY
  rules: [ { to: [ { operation: { paths: ["/admin*"] } } ] } ]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: other, namespace: foo }
spec: { selector: { matchLabels: { app: other } }, rules: [ {} ] }
`;

type Filter = { name: string; typed_config: { "@type": string; rules?: { action: string; policies: Record<string, { permissions: unknown[]; principals: unknown[] }> } } };

describe("authz convert --format envoy-rbac", () => {
  it("needs the workload", async () => {
    expect(await command(["convert", policyFile(POLICIES), "--format", "envoy-rbac"])).toBe(2);
    expect(output.err).toContain("--format envoy-rbac needs --workload-namespace");
  });

  it("rejects an unknown format", async () => {
    expect(await command(["convert", policyFile(POLICIES), "--format", "xds", "--workload-namespace", "foo"])).toBe(2);
    expect(output.err).toContain('--format must be identity-rbac or envoy-rbac, got "xds"');
  });

  it("one RBAC filter per action, DENY first, one policy per applicable rule, in Istio's shape", async () => {
    expect(await command(["convert", policyFile(POLICIES), "--format", "envoy-rbac", "--workload-namespace", "foo", "--workload-label", "app=httpbin"])).toBe(0);
    const { http_filters: http } = JSON.parse(output.out) as { http_filters: Filter[] };
    expect(http.map((f) => [f.name, f.typed_config.rules?.action])).toEqual([["envoy.filters.http.rbac", "DENY"], ["envoy.filters.http.rbac", "ALLOW"]]);
    expect(Object.keys(http[1].typed_config.rules!.policies)).toEqual(["ns[foo]-policy[allow-sleep]-rule[0]"]); // foo/other selects another app
    expect(output.err).toContain("foo/other: selector does not match the workload");
    const allow = http[1].typed_config.rules!.policies["ns[foo]-policy[allow-sleep]-rule[0]"];
    expect(allow.principals).toEqual([{ and_ids: { ids: [
      { or_ids: { ids: [{ authenticated: { principal_name: { exact: "spiffe://cluster.local/ns/foo/sa/sleep" } } }] } },
      { not_id: { or_ids: { ids: [{ authenticated: { principal_name: { safe_regex: { regex: ".*/ns/bar/.*" } } } }] } } },
    ] } }]);
    expect(allow.permissions).toEqual([{ and_rules: { rules: [
      { or_rules: { rules: [{ header: { name: ":method", string_match: { exact: "GET" } } }] } },
      { or_rules: { rules: [{ destination_port: 8080 }] } },
    ] } }]);
    expect(http[0].typed_config.rules!.policies["ns[foo]-policy[deny-admin]-rule[0]"].permissions).toEqual([
      { and_rules: { rules: [{ or_rules: { rules: [{ url_path: { path: { prefix: "/admin" } } }] } }] } },
    ]);
  });

  it("network filter: an ALLOW rule with HTTP fields is left out; a DENY rule with only HTTP fields denies all (l7) or never fires (l4)", async () => {
    const file = policyFile(POLICIES);
    expect(await command(["convert", file, "--format", "envoy-rbac", "--workload-namespace", "foo", "--workload-label", "app=httpbin"])).toBe(0);
    const sidecar = JSON.parse(output.out) as { network_filters: Filter[] };
    expect(sidecar.network_filters.map((f) => f.typed_config["@type"])).toEqual([
      "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC", "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC",
    ]);
    expect(sidecar.network_filters[1].typed_config.rules!.policies).toEqual({}); // allow-sleep uses methods: allows nothing at L4
    expect(sidecar.network_filters[0].typed_config.rules!.policies["ns[foo]-policy[deny-admin]-rule[0]"].permissions).toEqual([{ and_rules: { rules: [{ any: true }] } }]);
    output.out = "";
    expect(await command(["convert", file, "--format", "envoy-rbac", "--mode", "l4", "--workload-namespace", "foo", "--workload-label", "app=httpbin"])).toBe(0);
    const ztunnel = JSON.parse(output.out) as { network_filters: Filter[] };
    expect(ztunnel.network_filters[0].typed_config.rules!.policies).toEqual({});
    expect(output.err).toContain("ns[foo]-policy[deny-admin]-rule[0]: only HTTP-only conditions, so with ztunnel semantics the network RBAC filter leaves this rule out");
  });
});
