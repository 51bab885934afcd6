import { describe, expect, it } from "vitest";
import { formatDoubleG32 } from "../../../emulator/stats/format-double.ts";

// Expected strings were produced with C printf("%.32g") semantics (Python's '%.32g' % x), which fmt's "{:.32g}" follows.
describe("formatDoubleG32 (fmt {:.32g})", () => {
  it("prints integers and short fractions without trailing zeros", () => {
    expect(formatDoubleG32(0)).toBe("0");
    expect(formatDoubleG32(0.5)).toBe("0.5");
    expect(formatDoubleG32(1)).toBe("1");
    expect(formatDoubleG32(3600000)).toBe("3600000");
    expect(formatDoubleG32(305)).toBe("305");
  });

  it("prints 32 significant digits of the exact binary value", () => {
    // From Envoy's docs (sandbox output): envoy_server_initialization_time_ms_sum{} 9.0500000000000007105427357601002
    expect(formatDoubleG32(9.05)).toBe("9.0500000000000007105427357601002");
    expect(formatDoubleG32(0.1)).toBe("0.10000000000000000555111512312578");
  });

  it("switches to scientific notation below 1e-4 and at 1e32", () => {
    expect(formatDoubleG32(0.0001)).toBe("0.00010000000000000000479217360238593");
    expect(formatDoubleG32(1e-5)).toBe("1.0000000000000000818030539140313e-05");
    expect(formatDoubleG32(1e31)).toBe("9999999999999999635896294965248");
    expect(formatDoubleG32(1e32)).toBe("1.0000000000000000536616220439347e+32");
    expect(formatDoubleG32(2 ** 200)).toBe("1.6069380442589902755419620923412e+60");
  });

  it("keeps the sign and prints non-finite values like fmt", () => {
    expect(formatDoubleG32(-2.5)).toBe("-2.5");
    expect(formatDoubleG32(Infinity)).toBe("inf");
    expect(formatDoubleG32(NaN)).toBe("nan");
  });
});
