// The PGV rule checks and proto3 JSON value parsers the validator is built from.
import { ScalarType } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { parseDuration, parseScalar, parseTimestamp } from "../../cli/validate/json-values.ts";
import { substitutionFormatViolations } from "../../cli/validate/substitution-format.ts";
import { countViolations, durationViolations, numberViolations, stringViolations } from "../../cli/validate/pgv.ts";

describe("proto3 JSON values", () => {
  it("parses durations strictly", () => {
    expect(parseDuration("1.5s")).toEqual({ ok: true, value: 1_500_000_000n });
    expect(parseDuration("-0.000000001s")).toEqual({ ok: true, value: -1n });
    for (const bad of ["5sec", "5", "1.5 s", "1.0000000001s", "s", "1h"]) expect(parseDuration(bad).ok, bad).toBe(false);
    expect(parseDuration(5).ok).toBe(false);
  });

  it("parses RFC 3339 timestamps", () => {
    expect(parseTimestamp("1970-01-01T00:00:01.5Z")).toEqual({ ok: true, value: 1_500_000_000n });
    expect(parseTimestamp("2024-13-01T00:00:00Z").ok).toBe(false);
  });

  it("checks integer ranges and forms per type", () => {
    expect(parseScalar("15001", ScalarType.UINT32)).toEqual({ ok: true, value: 15001n });
    expect(parseScalar(-1, ScalarType.UINT32).ok).toBe(false);
    expect(parseScalar(2 ** 32, ScalarType.UINT32).ok).toBe(false);
    expect(parseScalar(2 ** 31, ScalarType.INT32).ok).toBe(false);
    expect(parseScalar("9223372036854775807", ScalarType.INT64).ok).toBe(true);
    expect(parseScalar(1.5, ScalarType.INT32).ok).toBe(false);
    expect(parseScalar("abc", ScalarType.UINT32).ok).toBe(false);
    expect(parseScalar(true, ScalarType.UINT32).ok).toBe(false);
  });

  it("keeps strings, booleans and floats apart", () => {
    expect(parseScalar(5, ScalarType.STRING).ok).toBe(false);
    expect(parseScalar("true", ScalarType.BOOL).ok).toBe(false);
    expect(parseScalar("NaN", ScalarType.DOUBLE).ok).toBe(true);
    expect(parseScalar("1e400", ScalarType.FLOAT).ok).toBe(false);
    expect(parseScalar("aGk=", ScalarType.BYTES)).toEqual({ ok: true, value: new Uint8Array([104, 105]) });
    expect(parseScalar("a", ScalarType.BYTES).ok).toBe(false);
  });
});

describe("PGV rules", () => {
  it("string lengths count characters, bytes separately", () => {
    expect(stringViolations({ min_len: "2" }, "é")).toHaveLength(1);
    expect(stringViolations({ min_bytes: "2" }, "é")).toEqual([]);
    expect(stringViolations({ max_bytes: "1" }, "é")).toHaveLength(1);
    expect(stringViolations({ min_len: "1", ignore_empty: true }, "")).toEqual([]);
  });

  it("header name and value regexes (strict and lax)", () => {
    const name = { well_known_regex: "HTTP_HEADER_NAME" };
    expect(stringViolations(name, ":authority")).toEqual([]);
    expect(stringViolations(name, "bad header")).toHaveLength(1);
    expect(stringViolations({ ...name, strict: false }, "bad header")).toEqual([]);
    expect(stringViolations({ ...name, strict: false }, "bad\nheader")).toHaveLength(1);
    expect(stringViolations({ well_known_regex: "HTTP_HEADER_VALUE" }, "a\u0001b")).toHaveLength(1);
  });

  it("numeric bounds, including exclusive ranges", () => {
    expect(numberViolations("uint32", { lte: 65535 }, 65535n)).toEqual([]);
    expect(numberViolations("uint32", { lte: 65535 }, 65536n)).toHaveLength(1);
    expect(numberViolations("uint32", { gt: 0 }, 0n)).toHaveLength(1);
    expect(numberViolations("double", { gte: 0, lte: 100 }, 100.5)).toHaveLength(1);
    // gt above lt: the value must be outside [lt, gt]
    expect(numberViolations("int32", { lt: 10, gt: 20 }, 15)).toHaveLength(1);
    expect(numberViolations("int32", { lt: 10, gt: 20 }, 25)).toEqual([]);
  });

  it("duration bounds and collection counts", () => {
    expect(durationViolations({ gt: "0s" }, 0n)).toHaveLength(1);
    expect(durationViolations({ gte: "0.001s" }, 1_000_000n)).toEqual([]);
    expect(countViolations("repeated", { min_items: "1" }, 0)).toHaveLength(1);
    expect(countViolations("map", { max_pairs: "1" }, 2)).toHaveLength(1);
  });
});

describe("substitution format: FILTER_STATE operators", () => {
  it.each([
    ["%FILTER_STATE(wasm.x:PLAIN)%", 0],
    ["%FILTER_STATE(wasm.x)%", 0],
    ["%UPSTREAM_FILTER_STATE(wasm.x:TYPED)%:443", 0],
    ["%FILTER_STATE(wasm.x:FIELD:name)%", 0],
    ["%FILTER_STATE(wasm.x:PLAIN):10%", 0],
    ["%FILTER_STATE(:PLAIN)%", 1],
    ["%FILTER_STATE(wasm.x:plain)%", 1],
    ["%FILTER_STATE(wasm.x:FIELD)%", 1],
    ["%FILTER_STATE(wasm.x:PLAIN", 1],
    ["no operator here, 100%", 0],
  ])("%s → %i finding(s)", (text, n) => {
    expect(substitutionFormatViolations(text)).toHaveLength(n);
  });
});
