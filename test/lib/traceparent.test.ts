import { beforeAll, describe, expect, it } from "vitest";
import { loadAsModule, type AsModule } from "./harness.ts";

let m: AsModule;
beforeAll(async () => {
  m = await loadAsModule("traceparent");
});

const W3C = /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/;

describe("lib/traceparent", () => {
  it("makes W3C version-00, not-sampled values with non-zero ids", () => {
    m.num("reseed", 1, 2);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const v = m.str("next", 1000, i);
      expect(v).toMatch(W3C);
      expect(v.slice(3, 35)).not.toBe("0".repeat(32));
      expect(v.slice(36, 52)).not.toBe("0".repeat(16));
      expect(m.num("valid", v)).toBe(1);
      seen.add(v.slice(3, 35));
    }
    expect(seen.size).toBe(2000); // same clock reading and salts still give distinct trace ids
  });

  it("differs between VMs seeded differently at the same instant", () => {
    m.num("reseed", 0, 1);
    const a = m.str("next", 5, 5);
    m.num("reseed", 0, 2);
    const b = m.str("next", 5, 5);
    expect(a).not.toBe(b);
  });

  it("replaces all-zero ids (invalid in W3C) and keeps the sampled flag", () => {
    expect(m.str("zeros")).toBe("00-00000000000000000000000000000001-0000000000000001-01");
  });

  it("validates traceparent headers strictly", () => {
    const ok = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    expect(m.num("valid", ok)).toBe(1);
    expect(m.num("valid", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")).toBe(1);
    for (const bad of [
      "", ok.toUpperCase(), ok + "-", ok.slice(0, 54), "ff" + ok.slice(2), "00-" + "0".repeat(32) + "-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "x".repeat(10000),
    ]) {
      expect(m.num("valid", bad), bad).toBe(0);
    }
  });
});
