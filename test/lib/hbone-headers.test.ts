import { beforeAll, describe, expect, it } from "vitest";
import { type AsModule, loadAsModule } from "./harness.ts";

let m: AsModule;
beforeAll(async () => {
  m = await loadAsModule("hbone-headers");
});

describe("lib/hbone-headers (the `headers` block of hbone-outbound and connect-headers)", () => {
  it("keeps each filter's defaults for an absent block or absent members", () => {
    expect(m.str("read", "{}", 1)).toBe("11011");
    expect(m.str("read", "{}", 0)).toBe("11010");
    expect(m.str("read", '{"headers":{}}', 0)).toBe("11010");
    expect(m.str("read", '{"headers":null}', 1)).toBe("11011");
  });

  it("reads every member", () => {
    const all = '{"headers":{"baggage":false,"forwarded":false,"xForwardedFor":true,"traceparent":false,"originalDstHost":true}}';
    expect(m.str("read", all, 0)).toBe("00101");
    expect(m.str("read", '{"headers":{"originalDstHost":false}}', 1)).toBe("11010");
  });

  it("names the JSON path of a wrong type or an unknown member", () => {
    expect(m.str("read", '{"headers":{"baggage":"yes"}}', 1)).toMatch(/^!\$\.headers\.baggage: expected boolean/);
    expect(m.str("read", '{"headers":{"xff":true}}', 1)).toMatch(/^!\$\.headers\.xff: unknown field/);
    expect(m.str("read", '{"headers":[]}', 1)).toMatch(/^!\$\.headers: /);
  });
});
