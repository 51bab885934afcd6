// The npm package works installed: `npm pack` the repository, install the tarball into a fresh project, and use the
// CLI and the library entry points there — plain Node, only the package's `dependencies`, no tsx, no sources.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const repo = join(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string> };
let project = "";

function cli(args: string[]) {
  const r = spawnSync(join(project, "node_modules", ".bin", "ambient-wasm"), args, { cwd: project, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const out = mkdtempSync(join(tmpdir(), "ambient-wasm-pack-"));
  execFileSync("npm", ["pack", "--pack-destination", out], { cwd: repo, stdio: ["ignore", "ignore", "inherit"], timeout: 600_000 });
  const tarball = join(out, readdirSync(out).find((f) => f.endsWith(".tgz"))!);
  project = mkdtempSync(join(tmpdir(), "ambient-wasm-user-"));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", tarball], { cwd: project, stdio: ["ignore", "ignore", "inherit"], timeout: 600_000 });
}, 900_000);

describe("the installed npm package", () => {
  it("carries compiled JavaScript, the built modules and no TypeScript sources or tsx", () => {
    const root = join(project, "node_modules", "ambient-wasm");
    expect(readdirSync(root).sort()).toEqual(["README.md", "bin", "dist", "package.json"]);
    expect(readdirSync(join(project, "node_modules"))).not.toContain("tsx");
    const installed = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(installed.dependencies).toEqual(pkg.dependencies);
    const manifest = JSON.parse(readFileSync(join(root, "dist", "build", "modules.json"), "utf8")) as Record<string, { sha256: string }>;
    expect(Object.keys(manifest)).toEqual(expect.arrayContaining(["hbone-inbound", "hbone-outbound", "identity-rbac", "istio-stats", "connect-headers"]));
  });

  it("`ambient-wasm --version` and `--help`", () => {
    expect(cli(["--version"]).stdout.trim()).toBe(pkg.version);
    const help = cli(["--help"]);
    expect(help.status).toBe(0);
    for (const command of ["run", "validate", "authz"]) expect(help.stdout).toContain(command);
  });

  it("`ambient-wasm run` runs a shipped module through the emulator", () => {
    writeFileSync(join(project, "scenario.yaml"), [
      "module: node_modules/ambient-wasm/dist/build/example-header.wasm",
      "name: example-header",
      "root_id: example-header",
      'plugin_config: {response_header: {name: x-served-by, value: installed}, deny_paths: ["/admin"]}',
      "http:",
      '  - request_headers: [[":method", "GET"], [":path", "/"], [":authority", "a"], [":scheme", "http"]]',
      '    response_headers: [[":status", "200"]]',
      '  - request_headers: [[":method", "GET"], [":path", "/admin"], [":authority", "a"], [":scheme", "http"]]',
    ].join("\n") + "\n");
    const r = cli(["run", "scenario.yaml"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.stringify(JSON.parse(r.stdout));
    expect(report).toContain('["x-served-by","installed"]');
    expect(report).toContain('"status":403');
  });

  it("`ambient-wasm validate` checks a bootstrap against the Envoy API and loads its Wasm", () => {
    const bootstrap = readFileSync(join(repo, "filters", "example-header", "envoy.yaml"), "utf8")
      .replace("filename: build/example-header.wasm", "filename: node_modules/ambient-wasm/dist/build/example-header.wasm");
    writeFileSync(join(project, "envoy.yaml"), bootstrap);
    const good = cli(["validate", "envoy.yaml"]);
    expect(good.stdout).toContain("envoy.yaml: valid");
    expect(good.status).toBe(0);
    writeFileSync(join(project, "bad.yaml"), bootstrap.replace('"deny_status": 403', '"deny_status": "forbidden"'));
    const bad = cli(["validate", "bad.yaml"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/bad\.yaml:\d+:\d+: .*deny_status/);
  });

  it("`ambient-wasm authz convert` turns a policy into identity-rbac configuration, verified by the shipped module", () => {
    writeFileSync(join(project, "policy.yaml"), [
      "apiVersion: security.istio.io/v1",
      "kind: AuthorizationPolicy",
      "metadata: {name: allow-sleep, namespace: server}",
      "spec:",
      "  action: ALLOW",
      "  rules: [{from: [{source: {principals: [cluster.local/ns/client/sa/sleep]}}]}]",
    ].join("\n") + "\n");
    const r = cli(["authz", "convert", "policy.yaml", "--workload-namespace", "server"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("allow-sleep");
  });

  it("imports the emulator and the module paths, with types, from plain Node", () => {
    writeFileSync(join(project, "use.mjs"), `
      import { Host } from "ambient-wasm/emulator";
      import { filterModules, modulePath } from "ambient-wasm/modules";
      import { createHash } from "node:crypto";
      import { readFileSync } from "node:fs";
      const m = filterModules()["example-header"];
      const sha = createHash("sha256").update(readFileSync(m.path)).digest("hex");
      const host = new Host({});
      const plugin = await host.loadPlugin({ module: modulePath("example-header"), name: "eh", rootId: "example-header",
        configuration: JSON.stringify({ response_header: { name: "x-from", value: "node" } }) });
      const s = host.httpStream({ filters: [plugin] });
      s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "a"], [":scheme", "http"]], true);
      s.sendResponseHeaders([[":status", "200"]], true);
      s.complete();
      console.log(JSON.stringify({ shaOk: sha === m.sha256, header: s.downstreamResponse.headers }));
    `);
    const r = spawnSync(process.execPath, ["use.mjs"], { cwd: project, encoding: "utf8" });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.shaOk).toBe(true);
    expect(JSON.stringify(out.header)).toContain('["x-from","node"]');
    const types = readFileSync(join(project, "node_modules", "ambient-wasm", "dist", "emulator", "index.d.ts"), "utf8");
    expect(types).toMatch(/export .*Host/);
  });
});
