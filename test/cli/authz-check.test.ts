// `ambient-wasm authz check`: the decision build/identity-rbac.wasm makes for one request, the rule that made it
// (or the default), and for every policy that applied but did not match the first clause that failed.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { command } from "../../cli/authz.ts";
import { compileAssemblyScript } from "../../scripts/asc.mjs";
import { captureOutput } from "./captured-output.ts";

const output = captureOutput();

beforeAll(async () => {
  await compileAssemblyScript("filters/identity-rbac/filter.ts", "build/identity-rbac.wasm");
});

const dir = mkdtempSync(join(tmpdir(), "authz-check-"));
let fileCount = 0;
function yamlFile(...docs: string[]): string {
  const file = join(dir, `p${++fileCount}.yaml`);
  writeFileSync(file, docs.join("\n---\n"));
  return file;
}
function policy(name: string, spec: string, namespace = "foo"): string {
  return `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n${spec}`;
}

const SLEEP = "spiffe://cluster.local/ns/foo/sa/sleep";
const OTHER = "spiffe://cluster.local/ns/bar/sa/client";

const allowGet = policy("allow-get", `  selector:
    matchLabels: {app: httpbin}
  rules:
  - from:
    - source: {principals: ["cluster.local/ns/foo/sa/sleep"]}
    to:
    - operation: {methods: ["GET"], paths: ["/info*"]}
`);
const allowHeader = policy("allow-header", `  rules:
  - to:
    - operation: {ports: ["9000"]}
  - when:
    - key: request.headers[x-user]
      values: ["alice"]
`);
const denyAdmin = policy("deny-admin", `  action: DENY
  rules:
  - to:
    - operation: {paths: ["/admin*"]}
`);

async function check(file: string, ...args: string[]): Promise<Record<string, any>> {
  output.out = "";
  const code = await command(["check", "--policies", file, "--workload", "foo/app=httpbin", "--port", "8000", "--json", ...args]);
  expect(code, output.err).toBe(0);
  return JSON.parse(output.out);
}

describe("authz check", () => {
  it("allow: names the deciding policy and rule, and why the DENY policy did not match", async () => {
    const file = yamlFile(allowGet, denyAdmin);
    const x = await check(file, "--from", SLEEP, "--method", "GET", "--path", "/info/1");
    expect(x.decision).toBe("allow");
    expect(x.effect).toBe("request forwarded");
    expect(x.decidedBy).toEqual({ policy: "foo/allow-get", action: "ALLOW", rule: 0, location: `${file}:4:9` });
    const deny = x.policies.find((p: { policy: string }) => p.policy === "foo/deny-admin");
    expect(deny).toMatchObject({ applied: true, matched: false });
    expect(deny.firstFailedClause).toEqual({ rule: 0, result: "failed", clause: "to[0].operation.paths", written: ["/admin*"], compared: "path /info/1" });
  });

  it("deny: the DENY rule that matched, with the filter's own reply", async () => {
    const file = yamlFile(allowGet, denyAdmin);
    const x = await check(file, "--from", SLEEP, "--method", "GET", "--path", "/admin/users");
    expect(x.decision).toBe("deny");
    expect(x.effect).toBe("local reply 403 (rbac_access_denied_matched_policy[ns[foo]-policy[deny-admin]-rule[0]])");
    expect(x.decidedBy).toMatchObject({ policy: "foo/deny-admin", action: "DENY", rule: 0 });
  });

  it("default deny: every ALLOW policy that applied, with the first clause that failed in each", async () => {
    const file = yamlFile(allowGet, allowHeader, policy("allow-nothing", "  {}\n"));
    const x = await check(file, "--from", OTHER, "--method", "POST", "--path", "/info");
    expect(x.decision).toBe("deny");
    expect(x.decidedBy).toEqual({ default: "deny: ALLOW policies apply to the workload and none of their rules matched" });
    const byName = Object.fromEntries(x.policies.map((p: { policy: string }) => [p.policy, p]));
    expect(byName["foo/allow-get"].firstFailedClause).toEqual({
      rule: 0, result: "failed", clause: "from[0].source.principals", written: ["cluster.local/ns/foo/sa/sleep"], compared: `peer ${OTHER}`,
    });
    expect(byName["foo/allow-header"].rules).toEqual([
      { rule: 0, result: "failed", clause: "to[0].operation.ports", written: ["9000"], compared: "port 8000" },
      { rule: 1, result: "failed", clause: "when[0]", written: { key: "request.headers[x-user]", values: ["alice"] }, compared: "header x-user: absent" },
    ]);
    expect(byName["foo/allow-nothing"]).toMatchObject({ applied: true, matched: false, note: "no rules: matches nothing" });
    // The method is not the first failure of allow-get: the source is checked first, as the filter does.
    output.out = "";
    expect(await command(["check", "--policies", file, "--workload", "foo/app=httpbin", "--port", "8000", "--from", SLEEP, "--method", "POST", "--path", "/info"])).toBe(0);
    expect(output.out).toContain("DENY (mode l7, identity-rbac-l7: local reply 403 (rbac_access_denied_matched_policy[none]))");
    expect(output.out).toContain("decided by: default deny: ALLOW policies apply to the workload and none of their rules matched");
    expect(output.out).toContain(`foo/allow-get (ALLOW) at ${file}:4:9: rule 0: to[0].operation.methods ["GET"] vs method POST`);
    expect(output.out).toContain(`foo/allow-nothing (ALLOW) at ${file}:`);
  });

  it("no policy applies: allowed by default, and says why each policy did not apply", async () => {
    const file = yamlFile(allowGet, policy("other-ns", "  {}\n", "bar"));
    const x = await check(file, "--workload", "foo/app=other", "--from", "plaintext", "--method", "GET", "--path", "/");
    expect(x.decision).toBe("allow");
    expect(x.decidedBy).toEqual({ default: "allow: no ALLOW policy applies to the workload and no DENY policy matched" });
    expect(x.policies).toEqual([
      expect.objectContaining({ policy: "foo/allow-get", applied: false, note: "selector does not match the workload's labels" }),
      expect.objectContaining({ policy: "bar/other-ns", applied: false, note: "namespace bar is neither the workload's nor the root namespace" }),
    ]);
    // For the workload the selector names, the same request is denied by default.
    const y = await check(file, "--from", "plaintext", "--method", "GET", "--path", "/");
    expect(y).toMatchObject({ decision: "deny", decidedBy: { default: expect.stringMatching(/^deny/) } });
    expect(y.policies[0].firstFailedClause).toMatchObject({ clause: "from[0].source.principals", compared: "no peer certificate (plaintext)" });
    const empty = yamlFile("apiVersion: v1\nkind: List\nitems: []\n");
    const none = await check(empty, "--from", SLEEP, "--mode", "l4");
    expect(none).toMatchObject({ decision: "allow", effect: "connection forwarded", policies: [] });
  });

  it("L4 and CONNECT: the connection-level decision, with rules ztunnel leaves out marked", async () => {
    const file = yamlFile(allowGet, policy("allow-bar", `  rules:\n  - from:\n    - source: {namespaces: ["bar"]}\n`));
    const l4 = await check(file, "--from", SLEEP, "--mode", "l4");
    expect(l4.decision).toBe("deny");
    expect(l4.effect).toBe("connection closed");
    const get = l4.policies.find((p: { policy: string }) => p.policy === "foo/allow-get");
    expect(get.rules).toEqual([{ rule: 0, result: "left-out", compared: "uses HTTP attributes (methods, paths), which mode l4 leaves out of an ALLOW policy" }]);
    expect(get.note).toBe("every rule is left out in mode l4: matches nothing");
    const bar = l4.policies.find((p: { policy: string }) => p.policy === "foo/allow-bar");
    expect(bar.firstFailedClause).toMatchObject({ clause: "from[0].source.namespaces", written: ["bar"] });
    const connect = await check(file, "--from", OTHER, "--mode", "connect");
    expect(connect).toMatchObject({ decision: "allow", effect: "request forwarded", decidedBy: { policy: "foo/allow-bar", rule: 0 } });
  });

  it("reports AUDIT matches and dry-run denials the filter logged", async () => {
    const file = yamlFile(
      policy("audit-all", `  action: AUDIT\n  rules:\n  - {}\n`),
      policy("deny-dry", `  action: DENY\n  rules:\n  - {}\n`).replace("  namespace: foo\n", "  namespace: foo\n  annotations: {istio.io/dry-run: \"true\"}\n"),
    );
    const x = await check(file, "--from", SLEEP);
    expect(x).toMatchObject({ decision: "allow", audit: "ns[foo]-policy[audit-all]-rule[0]", dryRunDenied: "ns[foo]-policy[deny-dry]-rule[0]" });
  });

  it("never invents what a policy reads, and rejects HTTP options outside mode l7", async () => {
    const file = yamlFile(policy("ip", `  rules:\n  - from:\n    - source: {ipBlocks: ["10.0.0.0/8"]}\n`));
    expect(await command(["check", "--policies", file, "--workload", "foo", "--from", SLEEP, "--port", "80"])).toBe(2);
    expect(output.err).toContain("a policy reads the client address (ipBlocks, remoteIpBlocks, source.ip or remote.ip): pass --source-ip <ip>");
    const x = await check(file, "--from", SLEEP, "--source-ip", "10.1.2.3");
    expect(x).toMatchObject({ decision: "allow", decidedBy: { policy: "foo/ip", rule: 0 } });
    const y = await check(file, "--from", SLEEP, "--source-ip", "192.168.1.1");
    expect(y.policies[0].firstFailedClause).toMatchObject({ clause: "from[0].source.ipBlocks", compared: "source 192.168.1.1" });
    const dst = yamlFile(policy("dst", `  rules:\n  - when:\n    - {key: destination.ip, values: ["10.0.0.5"]}\n`));
    expect(await command(["check", "--policies", dst, "--workload", "foo", "--from", SLEEP, "--port", "80"])).toBe(2);
    expect(output.err).toContain("pass --destination-ip <ip>");
    expect(await command(["check", "--policies", file, "--workload", "foo", "--from", SLEEP, "--port", "80", "--mode", "l4", "--method", "GET"])).toBe(2);
    expect(await command(["check", "--policies", file, "--workload", "foo", "--from", SLEEP])).toBe(2);
    expect(await command(["check", "--policies", file, "--workload", "foo", "--from", "sleep", "--port", "80"])).toBe(2);
  });

  it("fails with the file position when the policies are invalid", async () => {
    const file = yamlFile(policy("bad", `  rules:\n  - to:\n    - operation: {ports: ["http"]}\n`));
    expect(await command(["check", "--policies", file, "--workload", "foo", "--from", SLEEP, "--port", "80"])).toBe(1);
    expect(output.err).toContain(`${file}:9:27: document 1: spec.rules[0].to[0].operation.ports[0]: bad port "http"`);
    expect(output.out).toBe("");
  });
});
