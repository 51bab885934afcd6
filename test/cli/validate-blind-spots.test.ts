// `ambient-wasm validate` on what it used to let through or locate badly: unknown Wasm runtimes, remote-code and
// xDS cluster references, errors inside a JSON plugin configuration, and a mistake in a YAML anchor used twice.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateSource } from "../../cli/validate/validate-config.ts";
import { knownWasmRuntimes } from "../../cli/validate/semantic/wasm-runtimes.ts";
import { positionInScalar } from "../../cli/validate/semantic/embedded-json.ts";
import { compileAssemblyScript, root } from "../../scripts/asc.mjs";

const EXAMPLE = readFileSync(join(root, "filters/example-header/envoy.yaml"), "utf8");

function variant(find: string, replace: string, append = ""): string {
  expect(EXAMPLE.split(find)).toHaveLength(2);
  return EXAMPLE.replace(find, replace) + append;
}

const errorsOf = async (source: string) =>
  (await validateSource(source, "envoy.yaml", { baseDir: root })).filter((d) => d.severity === "error");

beforeAll(async () => {
  await compileAssemblyScript("filters/example-header/filter.ts", "build/example-header.wasm");
});

describe("Wasm runtime names", () => {
  it("are checked against the registered runtimes, with a suggestion", async () => {
    const known = knownWasmRuntimes();
    expect(known.names).toContain("envoy.wasm.runtime.v8");
    const errors = await errorsOf(variant("runtime: envoy.wasm.runtime.v8", "runtime: envoy.wasm.runtime.v8x"));
    expect(errors).toHaveLength(1);
    expect(errors[0].path).toMatch(/vm_config\.runtime$/);
    expect(errors[0].message).toBe(
      `Wasm runtime "envoy.wasm.runtime.v8x" is not registered in ${known.source}; registered: ${known.names.join(", ")} ` +
      `(did you mean "envoy.wasm.runtime.v8"?)`,
    );
  });
});

describe("cluster references", () => {
  it("remote Wasm code naming a cluster that does not exist is an error", async () => {
    const errors = await errorsOf(variant(
      "local: { filename: build/example-header.wasm }",
      'remote: { http_uri: { uri: "http://127.0.0.1:8000/m.wasm", cluster: wasm_server, timeout: 5s }, sha256: "00" }',
    ));
    expect(errors.map((e) => e.message)).toEqual([
      'remote Wasm code (http_uri) names cluster "wasm_server", which is not defined in static_resources.clusters',
    ]);
    expect(errors[0].path).toMatch(/vm_config\.code\.remote\.http_uri\.cluster$/);
  });

  it("an ADS cluster_name typo is an error even though CDS supplies the other clusters", async () => {
    const ads = `dynamic_resources:
  ads_config:
    api_type: GRPC
    transport_api_version: V3
    grpc_services:
    - envoy_grpc: { cluster_name: backnd }
  cds_config: { ads: {}, resource_api_version: V3 }
`;
    const errors = await errorsOf(EXAMPLE + ads);
    expect(errors.map((e) => e.path)).toEqual(["dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name"]);
    expect(errors[0].message).toBe(
      'xDS config source names cluster "backnd", which is not defined in static_resources.clusters (xDS servers need a static cluster) (did you mean "backend"?)',
    );
    expect(await errorsOf(EXAMPLE + ads.replace("backnd", "backend"))).toEqual([]);
  });
});

describe("an error inside a JSON plugin configuration", () => {
  it("is located at its YAML line and column, not at an offset into the string", async () => {
    const source = variant('"deny_status": 403', '"deny_status": 403,,');
    const errors = await errorsOf(source);
    expect(errors).toHaveLength(1);
    const lines = source.split("\n");
    const line = lines.findIndex((l) => l.includes('"deny_status": 403,,')) + 1;
    const col = lines[line - 1].indexOf(",,") + 2; // the second comma, where a member name was expected
    expect({ line: errors[0].line, col: errors[0].col }).toEqual({ line, col });
    expect(errors[0].path).toMatch(/config\.configuration\.value$/);
    expect(errors[0].message).toContain(`$: expected a member name string (at line ${line}, column ${col} of this file)`);
    expect(errors[0].message).not.toContain("offset");
  });

  it("maps offsets in quoted and plain scalars on one line", () => {
    const source = `a:\n  value: '{"x": 1,}'\n  plain: x,y\n`;
    expect(positionInScalar(source, { line: 2, col: 10 }, '{"x": 1,}', 8)).toEqual({ line: 2, col: 19 });
    expect(positionInScalar(source, { line: 3, col: 10 }, "x,y", 2)).toEqual({ line: 3, col: 12 });
    expect(positionInScalar(source, { line: 2, col: 10 }, 'different', 3)).toBeNull();
  });
});

describe("a mistake inside a YAML anchor used twice", () => {
  it("is one error at the anchor, naming the other path that reaches it", async () => {
    const source = variant("  clusters:\n  - name: backend\n    type: STRICT_DNS", "  clusters:\n  - &c\n    name: backend\n    type: STRICT_DNZ")
      .replace("admin:", "  - *c\nadmin:");
    const errors = await errorsOf(source);
    expect(errors).toHaveLength(1);
    expect(errors[0].path).toBe("static_resources.clusters[0].type");
    expect(errors[0].alsoAt).toEqual(["static_resources.clusters[1].type"]);
    expect(errors[0].line).toBe(source.split("\n").findIndex((l) => l.includes("STRICT_DNZ")) + 1);
  });
});
