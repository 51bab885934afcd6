import { describe, expect, it } from "vitest";
import { compareStatNames } from "../../../emulator/stats/stat-name.ts";

describe("compareStatNames (SymbolTable::lessThan)", () => {
  it("compares token by token, a token prefix first", () => {
    expect(compareStatNames("a.b", "a-b")).toBeLessThan(0); // "a" < "a-b" although '-' < '.'
    expect("a.b" < "a-b").toBe(false); // plain string order differs
    expect(compareStatNames("x.y", "x.y.z")).toBeLessThan(0);
    expect(compareStatNames("x.y.z", "x.y")).toBeGreaterThan(0);
    expect(compareStatNames("x.y", "x.y")).toBe(0);
  });

  it("compares differing tokens as bytes", () => {
    expect(compareStatNames("a.B", "a.a")).toBeLessThan(0);
    expect(compareStatNames("a.z", "a.é")).toBeLessThan(0);
  });
});
