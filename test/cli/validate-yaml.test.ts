// The validator's YAML loader turns scalars into JSON the way Envoy's parseYamlNode (yaml-cpp) does, and remembers
// where each value is.
import { describe, expect, it } from "vitest";
import { Report } from "../../cli/common/diagnostics.ts";
import { envoyYamlScalar, loadConfig } from "../../cli/common/yaml-loader.ts";

describe("envoyYamlScalar (plain scalars)", () => {
  it.each([
    ["~", null], ["null", null], ["Null", null], ["NULL", null], ["", null],
    ["true", true], ["True", true], ["TRUE", true], ["yes", true], ["Yes", true], ["on", true], ["ON", true], ["y", true],
    ["false", false], ["no", false], ["off", false], ["Off", false], ["n", false], ["N", false],
    ["15001", 15001], ["-7", -7], ["+7", 7], ["0x10", 16], ["0o17", 15],
    ["2147483647", 2147483647], ["2147483648", "2147483648"], ["-2147483649", "-2147483649"],
    ["1.5", 1.5], ["1e3", 1000], [".inf", "Infinity"], ["-.inf", "-Infinity"], [".nan", "NaN"],
    ["5sec", "5sec"], ["tRue", "tRue"], ["0x", "0x"], ["3600s", "3600s"], ["%FILTER_STATE(x:PLAIN)%", "%FILTER_STATE(x:PLAIN)%"],
  ])("%j → %j", (text, expected) => {
    expect(envoyYamlScalar(text)).toEqual(expected);
  });
});

describe("loadConfig", () => {
  it("keeps quoted and block scalars as strings", () => {
    const r = new Report("t");
    const { value } = loadConfig(`a: "on"\nb: '15001'\nc: |\n  yes\n`, r);
    expect(value).toEqual({ a: "on", b: "15001", c: "yes\n" });
    expect(r.diagnostics).toEqual([]);
  });

  it("resolves aliases and drops !ignore keys", () => {
    const r = new Report("t");
    const { value } = loadConfig(`base: &b {x: 1}\nuse: *b\n!ignore hidden: 3\n`, r);
    expect(value).toEqual({ base: { x: 1 }, use: { x: 1 } });
  });

  it("gives line:col for values and keys", () => {
    const r = new Report("t");
    const { value, sourceMap } = loadConfig(`top:\n  list:\n  - first\n  - key: v\n`, r);
    const top = (value as any).top;
    expect(sourceMap.at(value, "top", true)).toEqual({ line: 1, col: 1 });
    expect(sourceMap.at(top, "list", true)).toEqual({ line: 2, col: 3 });
    expect(sourceMap.at(top.list, 1)).toEqual({ line: 4, col: 5 });
    expect(sourceMap.at(top.list[1], "key")).toEqual({ line: 4, col: 10 });
  });

  it("reports a duplicate key with its position", () => {
    const r = new Report("t");
    loadConfig(`a: 1\nb: 2\na: 3\n`, r);
    expect(r.diagnostics).toMatchObject([{ path: "a", line: 3, col: 1, severity: "error" }]);
  });

  it("reports YAML syntax errors with a position", () => {
    const r = new Report("t");
    loadConfig(`a: [1, 2\nb: 3\n`, r);
    expect(r.errorCount).toBeGreaterThan(0);
    expect(r.diagnostics[0].message).toMatch(/YAML syntax error/);
  });

  it("uses JSON scalars for .json files (no YAML booleans)", () => {
    const r = new Report("t");
    const { value } = loadConfig(`{"a": "on", "b": 15001, "c": true, "d": null}`, r, { json: true });
    expect(value).toEqual({ a: "on", b: 15001, c: true, d: null });
  });
});
