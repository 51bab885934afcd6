// The deployment parameterisation of the shipped configs rewrites only certificate paths, module paths, which
// identity's certificate is presented and the admin port — and fails when there is nothing to rewrite.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deployConfig } from "../../envoy/mesh/deploy.ts";
import { repoRoot } from "../../envoy/provision.ts";

const ztunnel = readFileSync(join(repoRoot, "envoy-configs/ztunnel.yaml"), "utf8");

function changedLines(a: string, b: string): Array<[string, string]> {
  const la = a.split("\n");
  const lb = b.split("\n");
  expect(lb.length).toBe(la.length);
  return la.map((l, i) => [l, lb[i]] as [string, string]).filter(([x, y]) => x !== y);
}

describe("deployConfig", () => {
  it("without parameters is the shipped config, byte for byte", () => {
    expect(deployConfig(ztunnel, {})).toBe(ztunnel);
  });

  it("moves certificates and modules, touching only `filename:` lines", () => {
    const out = deployConfig(ztunnel, { certDir: "/etc/mesh/certs", moduleDir: "/opt/wasm/" });
    const changed = changedLines(ztunnel, out);
    expect(changed.length).toBeGreaterThan(5);
    for (const [before, after] of changed) {
      expect(before).toMatch(/filename: (envoy-configs\/certs|build)\//);
      expect(after).toMatch(/filename: (\/etc\/mesh\/certs|\/opt\/wasm)\/[a-z-]+\.(pem|wasm)/);
    }
    expect(out).not.toMatch(/filename: (envoy-configs\/certs|build)\//);
  });

  it("swaps one identity's certificate and key everywhere it is presented", () => {
    const out = deployConfig(ztunnel, { certificates: { "server-httpbin": "other-intruder" } });
    const changed = changedLines(ztunnel, out);
    expect(changed.map(([, a]) => a.trim()).sort()).toEqual(
      changed.map(([b]) => b.trim().replace("server-httpbin", "other-intruder")).sort(),
    );
    expect(out).not.toContain("server-httpbin-cert.pem");
    expect(out).not.toContain("server-httpbin-key.pem");
  });

  it("moves the admin port and the admin cluster that publishes /stats/prometheus", () => {
    const changed = changedLines(ztunnel, deployConfig(ztunnel, { adminPort: 15999 }));
    expect(changed).toHaveLength(2);
    for (const [before, after] of changed) expect(after).toBe(before.replace("15000", "15999"));
  });

  it("fails when the config has nothing to rewrite", () => {
    expect(() => deployConfig("admin: {}\n", { certDir: "/x" })).toThrow(/no certificate file/);
    expect(() => deployConfig(ztunnel, { certificates: { "nobody-here": "x" } })).toThrow(/nobody-here-cert.pem/);
  });
});

describe("deployConfig files and addresses", () => {
  const egress = readFileSync(join(repoRoot, "envoy-configs/egress.yaml"), "utf8");
  it("replaces a named file and an upstream address, nothing else", () => {
    const out = deployConfig(egress, { files: { "/etc/ssl/certs/ca-certificates.crt": "/tmp/ca.pem" }, addresses: { "forward-proxy": "10.77.0.50" } });
    const changed = changedLines(egress, out);
    expect(changed).toHaveLength(2);
    expect(changed.map(([, a]) => a.trim()).sort()).toEqual([
      "socket_address: { address: 10.77.0.50, port_value: 3128 }",
      "trusted_ca: { filename: /tmp/ca.pem }",
    ]);
    expect(() => deployConfig(egress, { addresses: { "no-such-host": "1.2.3.4" } })).toThrow(/address no-such-host/);
  });
});
