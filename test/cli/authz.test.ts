// `ambient-wasm authz convert`: real AuthorizationPolicy YAML in, identity-rbac configuration out; rejections
// name the file, the document and the path.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { command } from "../../cli/authz.ts";
import { compileAssemblyScript } from "../../scripts/asc.mjs";
import { captureOutput } from "./captured-output.ts";

const fixture = (name: string) => fileURLToPath(new URL(`fixtures/authz/${name}`, import.meta.url));
/** Verification loads the configuration the filter will get, so it needs the workload. */
const WL = ["--workload-namespace", "default"];

const output = captureOutput();

beforeAll(async () => {
  // The semantic check runs the configuration through the filter itself.
  await compileAssemblyScript("filters/identity-rbac/filter.ts", "build/identity-rbac.wasm");
});

describe("authz convert", () => {
  it("converts several documents, keeps specs as written, skips other kinds", async () => {
    expect(await command(["convert", fixture("bookinfo.yaml"), ...WL])).toBe(0);
    const config = JSON.parse(output.out);
    expect(config.policies.map((p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`)).toEqual([
      "default/allow-nothing", "default/productpage-viewer", "default/details-viewer", "default/deny-untrusted-net",
    ]);
    expect(config.policies[0].spec).toEqual({});
    expect(config.policies[1].spec).toEqual({ selector: { matchLabels: { app: "productpage" } }, action: "ALLOW", rules: [{ to: [{ operation: { methods: ["GET"] } }] }] });
    expect(config.policies[2].dryRun).toBe(true);
    expect(config.policies[2].spec.rules[0].when).toEqual([{ key: "request.headers[x-canary]", notValues: ["true"] }]);
    expect(config.policies[1].dryRun).toBeUndefined();
    expect(output.err).toContain("document 4: skipped kind Service");
  });

  it("uses --namespace for policies without one and adds the workload", async () => {
    const code = await command(["convert", fixture("bookinfo.yaml"), "--namespace", "shop", "--workload-namespace", "default",
      "--workload-label", "app=details", "--workload-label", "version=v1", "--root-namespace", "mesh-root", "--dry-run"]);
    expect(code).toBe(0);
    const config = JSON.parse(output.out);
    expect(config.policies[3].namespace).toBe("shop");
    expect(config.policies[0].namespace).toBe("default");
    expect(config.workload).toEqual({ namespace: "default", labels: { app: "details", version: "v1" } });
    expect(config.rootNamespace).toBe("mesh-root");
    expect(config.dryRun).toBe(true);
  });

  it("reads List objects and ignores server-populated metadata and status", async () => {
    expect(await command(["convert", fixture("list.yaml"), ...WL])).toBe(0);
    const config = JSON.parse(output.out);
    expect(config.policies).toEqual([
      { name: "audit-admin", namespace: "shop", spec: { action: "AUDIT", rules: [{ to: [{ operation: { paths: ["/admin/*"] } }] }] } },
      { name: "allow-frontend", namespace: "shop", spec: { rules: [{ from: [{ source: { serviceAccounts: ["frontend"] } }] }] } },
    ]);
  });

  it("writes to --output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "authz-"));
    const file = join(dir, "rbac.json");
    expect(await command(["convert", fixture("list.yaml"), ...WL, "-o", file])).toBe(0);
    expect(output.out).toBe("");
    expect(JSON.parse(readFileSync(file, "utf8")).policies).toHaveLength(2);
  });

  it("rejects unknown fields with file, document, line and path", async () => {
    expect(await command(["convert", fixture("unknown-field.yaml"), ...WL, "--mode", "l7"])).toBe(1);
    expect(output.err.trim()).toBe(`${fixture("unknown-field.yaml")}:18:17: document 2: spec.rules[0].to[0].operation.method: unknown field "method"`);
    expect(output.out).toBe("");
  });

  it("rejects CUSTOM in mode l7 unless --skip-unsupported", async () => {
    expect(await command(["convert", fixture("custom-action.yaml"), ...WL, "--mode", "l7"])).toBe(1);
    expect(output.err).toContain(`${fixture("custom-action.yaml")}:7:11: document 1: spec.action: action CUSTOM (external authorization) is not supported by identity-rbac; pass --skip-unsupported`);
    expect(output.out).toBe("");
  });

  it("rejects values the filter rejects (checked by build/identity-rbac.wasm), pointing at the document", async () => {
    expect(await command(["convert", fixture("bad-port.yaml"), ...WL])).toBe(1);
    expect(output.err).toMatch(new RegExp(`bad-port\\.yaml:18:25: document 2: spec\\.rules\\[0\\]\\.to\\[0\\]\\.operation\\.ports\\[1\\]: bad port "http"`));
  });

  it("reports YAML syntax errors with the document", async () => {
    expect(await command(["convert", fixture("invalid.yaml"), ...WL])).toBe(1);
    expect(output.err).toMatch(/invalid\.yaml:6:19: document 1: YAML: Flow sequence/);
  });

  it("rejects duplicate policies", async () => {
    expect(await command(["convert", fixture("duplicate.yaml"), ...WL])).toBe(1);
    expect(output.err).toContain("document 2: metadata.name: duplicate policy default/same (also in");
  });

  it("rejects a document that is not an AuthorizationPolicy of a known version or lacks a name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "authz-"));
    const file = join(dir, "p.yaml");
    writeFileSync(file, "apiVersion: security.istio.io/v2\nkind: AuthorizationPolicy\nmetadata: {namespace: a}\nspec: {action: ALLOW, rules: [{to: [{operation: {ports: 80}}]}]}\n");
    expect(await command(["convert", file, ...WL])).toBe(1);
    expect(output.err).toContain("document 1: apiVersion: expected one of security.istio.io/v1, security.istio.io/v1beta1");
    expect(output.err).toContain("document 1: metadata.name: required");
    expect(output.err).toContain("document 1: spec.rules[0].to[0].operation.ports: expected a list, found number");
  });

  it("rejects a bad dry-run annotation", async () => {
    const dir = mkdtempSync(join(tmpdir(), "authz-"));
    const file = join(dir, "p.yaml");
    writeFileSync(file, "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: a\n  annotations:\n    istio.io/dry-run: maybe\nspec: {}\n");
    expect(await command(["convert", file, ...WL])).toBe(1);
    expect(output.err).toContain(`document 1: metadata.annotations["istio.io/dry-run"]: expected a boolean`);
  });

  it("fails on a missing file and on usage errors", async () => {
    expect(await command(["convert", "/nonexistent/p.yaml", ...WL])).toBe(1);
    expect(output.err).toContain("/nonexistent/p.yaml: cannot read: ENOENT");
    expect(await command(["convert"])).toBe(2);
    expect(await command(["bogus"])).toBe(2);
    expect(await command(["convert", fixture("list.yaml"), ...WL, "--frobnicate"])).toBe(2);
  });

  it("the converted configuration loads into the filter", async () => {
    expect(await command(["convert", fixture("bookinfo.yaml"), "--workload-namespace", "default", "--workload-label", "app=details"])).toBe(0);
    const { Host } = await import("../../emulator/index.ts");
    for (const rootId of ["identity-rbac-l7", "identity-rbac-l4", "identity-rbac-connect"]) {
      const host = new Host();
      await host.loadPlugin({ module: "build/identity-rbac.wasm", rootId, configuration: output.out });
    }
  });
});
