// `authz convert --mode`: the warnings istiod puts on a policy's status when it rewrites it for ztunnel
// (istio/istio:pilot/pkg/serviceregistry/ambient/authorization.go, handleRule and convertAuthorizationPolicy),
// one case per rule there; CUSTOM/AUDIT/targetRef; --strict; verification without invented input; the empty
// list; and every error of every document in one run. Claims the warnings make are checked against the filter
// with `authz check`.
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

const dir = mkdtempSync(join(tmpdir(), "authz-modes-"));
let fileCount = 0;
function yamlFile(text: string): string {
  const file = join(dir, `p${++fileCount}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** One AuthorizationPolicy document; `spec` is YAML indented by two spaces. */
function policy(name: string, spec: string, namespace = "foo"): string {
  return `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n${spec}`;
}

const WL = ["--workload-namespace", "foo"];
const warnings = () => output.err.split("\n").filter((l) => l.includes(": warning: "));

async function convert(file: string, mode: string, ...extra: string[]): Promise<number> {
  output.out = "";
  output.err = "";
  return command(["convert", file, ...WL, "--mode", mode, ...extra]);
}

describe("ALLOW rules with HTTP attributes are left out at L4 and CONNECT (handleRule: rules = nil)", () => {
  const allowWithHttp = policy("allow-http", `  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/foo/sa/sleep"]
    to:
    - operation:
        methods: ["GET"]
        paths: ["/info*"]
    when:
    - key: request.headers[x-user]
      values: ["alice"]
`);

  it("warns under --mode l4 and --mode connect, naming the policy, the rule and the fields; not under --mode l7", async () => {
    const file = yamlFile(allowWithHttp);
    for (const mode of ["l4", "connect"]) {
      expect(await convert(file, mode)).toBe(0);
      const w = warnings();
      expect(w).toContain(`${file}:9:5: document 1: spec.rules[0]: warning: policy foo/allow-http rule 0: ztunnel does not support HTTP ` +
        `attributes (found: methods, paths, request.headers[x-user]); in mode ${mode} this ALLOW rule is left out, so the policy ` +
        `allows less than written (more restrictive than requested). HTTP rules are enforced by a waypoint (identity-rbac-l7)`);
      expect(w).toContainEqual(expect.stringContaining(`9:3: document 1: spec.rules: warning: policy foo/allow-http: no rule is left in mode ${mode}; the policy still applies`));
      expect(w).toHaveLength(2);
      expect(JSON.parse(output.out).policies).toHaveLength(1);
    }
    expect(await convert(file, "l7")).toBe(0);
    expect(warnings()).toEqual([]);
    expect(output.err).toContain("note: verified: build/identity-rbac.wasm loads it as identity-rbac-l7 (mode l7)");
  });

  it("the warning is what the filter does: the request L7 allows is denied at L4 by default", async () => {
    const file = yamlFile(allowWithHttp);
    const ask = async (...a: string[]) => {
      output.out = "";
      expect(await command(["check", "--policies", file, "--workload", "foo", "--from", "spiffe://cluster.local/ns/foo/sa/sleep", "--port", "8000", "--json", ...a])).toBe(0);
      return JSON.parse(output.out);
    };
    const l7 = await ask("--method", "GET", "--path", "/info/1", "--header", "x-user=alice");
    expect(l7.decision).toBe("allow");
    expect(l7.decidedBy).toMatchObject({ policy: "foo/allow-http", rule: 0 });
    const l4 = await ask("--mode", "l4");
    expect(l4.decision).toBe("deny");
    expect(l4.decidedBy).toEqual({ default: "deny: ALLOW policies apply to the workload and none of their rules matched" });
    expect(l4.policies[0].rules).toEqual([{ rule: 0, result: "left-out", compared: expect.stringContaining("methods, paths, request.headers[x-user]") }]);
  });

  it.each([
    ["hosts", "operation", `hosts: ["a.example"]`],
    ["notHosts", "operation", `notHosts: ["a.example"]`],
    ["methods", "operation", `methods: ["GET"]`],
    ["notMethods", "operation", `notMethods: ["GET"]`],
    ["paths", "operation", `paths: ["/a"]`],
    ["notPaths", "operation", `notPaths: ["/a"]`],
    ["remoteIpBlocks", "source", `remoteIpBlocks: ["10.0.0.0/8"]`],
    ["notRemoteIpBlocks", "source", `notRemoteIpBlocks: ["10.0.0.0/8"]`],
    ["requestPrincipals", "source", `requestPrincipals: ["issuer/subject"]`],
    ["notRequestPrincipals", "source", `notRequestPrincipals: ["issuer/subject"]`],
  ])("%s is an HTTP attribute", async (field, kind, yaml) => {
    const clause = kind === "operation" ? `  - to:\n    - operation:\n        ${yaml}\n` : `  - from:\n    - source:\n        ${yaml}\n`;
    const file = yamlFile(policy("p", `  rules:\n${clause}  - to:\n    - operation:\n        ports: ["9000"]\n`));
    expect(await convert(file, "l4")).toBe(0);
    expect(warnings()).toEqual([expect.stringContaining(`spec.rules[0]: warning: policy foo/p rule 0: ztunnel does not support HTTP attributes (found: ${field}); in mode l4 this ALLOW rule is left out`)]);
  });

  it.each(["request.headers[x-user]", "request.auth.principal", "request.auth.claims[group]", "remote.ip", "connection.sni"])(
    "the when key %s is an HTTP attribute",
    async (key) => {
      const file = yamlFile(policy("p", `  rules:\n  - when:\n    - key: ${key}\n      values: ["10.0.0.1"]\n`));
      expect(await convert(file, "connect")).toBe(0);
      expect(warnings()).toContainEqual(expect.stringContaining(`warning: policy foo/p rule 0: ztunnel does not support HTTP attributes (found: ${key}); in mode connect this ALLOW rule is left out`));
    },
  );

  it("L4 attributes (sources, ports, the five L4 when keys) give no warning", async () => {
    const file = yamlFile(policy("p", `  rules:
  - from:
    - source: {principals: ["cluster.local/ns/foo/sa/a"], notNamespaces: ["bar"], ipBlocks: ["10.0.0.0/8"]}
    - source: {serviceAccounts: ["foo/a"], notIpBlocks: ["10.1.0.0/16"]}
    to:
    - operation: {ports: ["8000"], notPorts: ["9000"]}
    when:
    - {key: source.ip, values: ["10.0.0.1"]}
    - {key: source.namespace, values: ["foo"]}
    - {key: source.principal, values: ["cluster.local/ns/foo/sa/a"]}
    - {key: destination.ip, values: ["10.0.0.2"]}
    - {key: destination.port, values: ["8000"]}
`));
    expect(await convert(file, "l4")).toBe(0);
    expect(warnings()).toEqual([]);
  });
});

describe("DENY policies lose their HTTP attributes at L4 (handleRule keeps the rest; hasEffectiveRules)", () => {
  it("a rule with something enforceable left denies more than written", async () => {
    const file = yamlFile(policy("deny-post", `  action: DENY\n  rules:\n  - to:\n    - operation:\n        methods: ["POST"]\n        ports: ["8000"]\n`));
    expect(await convert(file, "l4")).toBe(0);
    expect(warnings()).toEqual([expect.stringContaining("warning: policy foo/deny-post rule 0: ztunnel does not support HTTP attributes (found: methods); " +
      "in mode l4 this DENY rule is enforced without them, so it denies more than written (more restrictive than requested)")]);
    // The filter agrees: any connection to port 8000 is denied at L4.
    output.out = "";
    expect(await command(["check", "--policies", file, "--workload", "foo", "--from", "plaintext", "--port", "8000", "--mode", "l4", "--json"])).toBe(0);
    expect(JSON.parse(output.out)).toMatchObject({ decision: "deny", decidedBy: { policy: "foo/deny-post", rule: 0 } });
  });

  it("a policy with nothing enforceable left has no effect", async () => {
    const file = yamlFile(policy("deny-admin", `  action: DENY
  rules:
  - to:
    - operation:
        paths: ["/admin*"]
  - from:
    - source:
        principals: ["cluster.local/ns/bar/sa/x"]
    when:
    - key: request.headers[x-admin]
      values: ["1"]
`));
    expect(await convert(file, "connect")).toBe(0);
    const w = warnings();
    expect(w).toHaveLength(3);
    expect(w).toContainEqual(expect.stringContaining("spec.rules[0]: warning: policy foo/deny-admin rule 0: ztunnel does not support HTTP attributes (found: paths); in mode connect nothing enforceable is left of this DENY rule, so it never denies"));
    expect(w).toContainEqual(expect.stringContaining("spec.rules[1]: warning: policy foo/deny-admin rule 1: ztunnel does not support HTTP attributes (found: request.headers[x-admin]); in mode connect nothing enforceable is left"));
    expect(w).toContainEqual(expect.stringContaining("spec.rules: warning: policy foo/deny-admin: after leaving out the HTTP attributes no rule can fire in mode connect; this DENY policy has no effect there"));
    output.out = "";
    expect(await command(["check", "--policies", file, "--workload", "foo", "--from", "spiffe://cluster.local/ns/bar/sa/x", "--port", "80", "--mode", "connect", "--json"])).toBe(0);
    const x = JSON.parse(output.out);
    expect(x.decision).toBe("allow");
    expect(x.policies[0].rules.map((r: { clause: string }) => r.clause)).toEqual(["to[0].operation.(dropped)", "when[0].(dropped)"]);
  });
});

describe("CUSTOM, AUDIT and waypoint policies", () => {
  const custom = policy("ext-authz", `  action: CUSTOM\n  provider: {name: my-authz}\n  rules:\n  - to:\n    - operation: {paths: ["/admin*"]}\n`) +
    "\n---\n" + policy("allow-all", `  rules:\n  - {}\n`);

  it("CUSTOM is skipped with a warning at L4/CONNECT (istiod leaves it out), an error at L7 unless --skip-unsupported", async () => {
    const file = yamlFile(custom);
    for (const mode of ["l4", "connect"]) {
      expect(await convert(file, mode)).toBe(0);
      expect(warnings()).toEqual([`${file}:7:11: document 1: spec.action: warning: policy foo/ext-authz skipped: ztunnel does not support the CUSTOM action (istiod leaves it out of what it sends a ztunnel node); external authorization needs a waypoint`]);
      expect(JSON.parse(output.out).policies.map((p: { name: string }) => p.name)).toEqual(["allow-all"]);
    }
    expect(await convert(file, "l7")).toBe(1);
    expect(output.out).toBe("");
    expect(output.err).toContain(`${file}:7:11: document 1: spec.action: action CUSTOM (external authorization) is not supported by identity-rbac; pass --skip-unsupported`);
    expect(await convert(file, "l7", "--skip-unsupported")).toBe(0);
    expect(warnings()[0]).toContain("warning: policy foo/ext-authz skipped (--skip-unsupported)");
    expect(JSON.parse(output.out).policies).toHaveLength(1);
  });

  it("AUDIT and targetRef policies get a note at L4, not a warning", async () => {
    const file = yamlFile(policy("audit", `  action: AUDIT\n  rules:\n  - to:\n    - operation: {paths: ["/x"]}\n`) + "\n---\n" +
      policy("waypoint", `  targetRefs:\n  - {kind: Service, group: "", name: httpbin}\n  rules:\n  - to:\n    - operation: {methods: ["GET"]}\n`));
    expect(await convert(file, "l4")).toBe(0);
    expect(warnings()).toEqual([]);
    expect(output.err).toContain("note: " + `${file}:7:11: document 1: spec.action: policy foo/audit: ztunnel does not receive AUDIT policies`);
    expect(output.err).toContain("policy foo/waypoint is attached to a waypoint (targetRef): mode l4 ignores it, as ztunnel does");
  });

  it("--strict turns warnings into errors and prints nothing", async () => {
    const file = yamlFile(custom);
    expect(await convert(file, "l4", "--strict")).toBe(1);
    expect(output.out).toBe("");
    expect(output.err).toContain(`${file}:7:11: document 1: spec.action: policy foo/ext-authz skipped: ztunnel does not support the CUSTOM action`);
    expect(output.err).toContain("(--strict)");
    expect(output.err).not.toContain("verified");
  });

  it("without --mode, says which mode it used and how many policies change at a ztunnel node", async () => {
    const file = yamlFile(policy("p", `  rules:\n  - to:\n    - operation: {methods: ["GET"]}\n`));
    expect(await command(["convert", file, ...WL])).toBe(0);
    expect(output.err).toContain("note: mode l7 (identity-rbac-l7, the HTTP filter of a sidecar or waypoint) is the default; a ztunnel-style node runs --mode l4 or --mode connect, where 1 of these policies would mean something else");
  });
});

describe("verification never invents input", () => {
  it("without --workload-namespace: a usage error naming the flag, and no 'verified'", async () => {
    const file = yamlFile(policy("p", `  rules:\n  - {}\n`));
    expect(await command(["convert", file])).toBe(2);
    expect(output.err).toContain("identity-rbac refuses a configuration without a workload, so there is nothing to verify: pass --workload-namespace <ns>");
    expect(output.err).not.toContain("verified");
    expect(output.out).toBe("");
    // --no-verify prints the policies alone, and says nothing was verified.
    expect(await command(["convert", file, "--no-verify", "--mode", "l4"])).toBe(0);
    expect(JSON.parse(output.out)).toEqual({ policies: [{ name: "p", namespace: "foo", spec: { rules: [{}] } }] });
    expect(output.err).not.toContain("verified");
  });

  it("an empty List (kubectl get with no policies) is the allow-all configuration, with a note", async () => {
    const file = yamlFile(`apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n`);
    expect(await convert(file, "l4")).toBe(0);
    expect(JSON.parse(output.out)).toEqual({ workload: { namespace: "foo", labels: {} }, policies: [] });
    expect(output.err).toContain("note: no AuthorizationPolicy to enforce: the configuration has no policies, so identity-rbac allows every request");
    expect(output.err).toContain("note: verified: build/identity-rbac.wasm loads it as identity-rbac-l4 (mode l4)");
  });
});

describe("every error of every document in one run", () => {
  it("reports YAML, structural and filter errors of several documents together, each file:line:col: document N: path: reason", async () => {
    const file = yamlFile([
      policy("yaml-broken", `  rules: [{from: [}\n`),
      policy("unknown-field", `  rules:\n  - to:\n    - operation:\n        method: ["GET"]\n`),
      policy("bad-port", `  rules:\n  - to:\n    - operation:\n        ports: ["8000", "http"]\n`),
      policy("both", `  rules:\n  - from:\n    - source:\n        ipBlocks: ["10.0.0.300/8"]\n        princpals: ["x"]\n  - when:\n    - key: request.headers[x]\n`),
      policy("fine", `  rules:\n  - {}\n`),
    ].join("\n---\n"));
    expect(await convert(file, "l7")).toBe(1);
    expect(output.out).toBe("");
    const lines = output.err.trim().split("\n").filter((l) => !l.startsWith("note:"));
    for (const l of lines) expect(l).toMatch(new RegExp(`^${file.replace(/[.\\/]/g, "\\$&")}:\\d+:\\d+: document \\d: `));
    expect(lines.some((l) => /:7:\d+: document 1: YAML: /.test(l))).toBe(true);
    expect(lines).toContain(`${file}:19:17: document 2: spec.rules[0].to[0].operation.method: unknown field "method"`);
    expect(lines).toContainEqual(expect.stringMatching(/:31:25: document 3: spec\.rules\[0\]\.to\[0\]\.operation\.ports\[1\]: bad port "http"/));
    // Document 4: the structural error and the filter's own errors for the same policy, in the same run.
    expect(lines).toContain(`${file}:44:20: document 4: spec.rules[0].from[0].source.princpals: unknown field "princpals"`);
    expect(lines).toContainEqual(expect.stringMatching(/:43:20: document 4: spec\.rules\[0\]\.from\[0\]\.source\.ipBlocks\[0\]: bad CIDR/));
    expect(lines).toContainEqual(expect.stringMatching(/: document 4: spec\.rules\[1\]\.when\[0\]/));
    expect(lines.filter((l) => l.includes("princpals"))).toHaveLength(1); // not reported twice
    expect(lines.some((l) => l.includes("document 5"))).toBe(false);
  });

  it("reports more than the filter's 20 problems per configuration", async () => {
    const docs = Array.from({ length: 25 }, (_, i) => policy(`p${i}`, `  rules:\n  - to:\n    - operation:\n        ports: ["x${i}"]\n`));
    const file = yamlFile(docs.join("\n---\n"));
    expect(await convert(file, "l4")).toBe(1);
    const lines = output.err.trim().split("\n").filter((l) => l.includes("bad port"));
    expect(lines).toHaveLength(25);
    expect(lines[24]).toContain(`document 25: spec.rules[0].to[0].operation.ports[0]: bad port "x24"`);
  });
});
