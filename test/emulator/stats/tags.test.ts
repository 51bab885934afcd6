import { describe, expect, it } from "vitest";
import { TagConfigError, TagProducer } from "../../../emulator/stats/tags.ts";
import { ISTIO_STATS_TAGS, istioStatName } from "../../../emulator/stats/istio-stats-tags.ts";

describe("TagProducer (Envoy TagProducerImpl)", () => {
  it("cuts group 1 out of the name and takes group 2 as the value (Istio naming)", () => {
    const producer = new TagProducer(ISTIO_STATS_TAGS);
    const name = istioStatName(
      [["reporter", "destination"], ["source_workload", "sleep"], ["response_code", "200"], ["grpc_response_status", ""]],
      "istio_requests_total",
    );
    expect(producer.produceTags(name)).toEqual({
      tagExtractedName: "wasmcustom.istio_requests_total",
      // Tags come in bootstrap order (response_code first), not in the order of the name.
      tags: [
        { name: "response_code", value: "200" },
        { name: "reporter", value: "destination" },
        { name: "source_workload", value: "sleep" },
        { name: "grpc_response_status", value: "" },
      ],
    });
  });

  it("takes group 1 as the value when the regex has a single group", () => {
    const producer = new TagProducer([{ tag_name: "kind", regex: "\\.(alpha|beta)$" }], { useAllDefaultTags: false });
    expect(producer.produceTags("wasmcustom.calls.beta")).toEqual({
      tagExtractedName: "wasmcustom.calls.",
      tags: [{ name: "kind", value: "beta" }],
    });
  });

  it("ignores a regex without capture groups and names it does not match", () => {
    const producer = new TagProducer(
      [{ tag_name: "a", regex: "calls" }, { tag_name: "b", regex: "(nomatch)" }],
      { useAllDefaultTags: false },
    );
    expect(producer.produceTags("wasmcustom.calls")).toEqual({ tagExtractedName: "wasmcustom.calls", tags: [] });
  });

  it("matches every extractor against the original name and removes the union of the cuts", () => {
    const producer = new TagProducer(
      [
        { tag_name: "outer", regex: "(x\\.(y\\.z)\\.)" },
        { tag_name: "inner", regex: "(y\\.(z))" },
      ],
      { useAllDefaultTags: false },
    );
    expect(producer.produceTags("wasmcustom.x.y.z.total")).toEqual({
      tagExtractedName: "wasmcustom.total",
      tags: [
        { name: "outer", value: "y.z" },
        { name: "inner", value: "z" },
      ],
    });
  });

  it("uses only the first matching extractor of a tag name", () => {
    const producer = new TagProducer(
      [
        { tag_name: "code", regex: "(code=(\\d+);)" },
        { tag_name: "code", regex: "(code=(\\w+);)" },
      ],
      { useAllDefaultTags: false },
    );
    expect(producer.produceTags("wasmcustom.code=200;n").tags).toEqual([{ name: "code", value: "200" }]);
    // The first does not match, so the second one applies.
    expect(producer.produceTags("wasmcustom.code=abc;n")).toEqual({
      tagExtractedName: "wasmcustom.n",
      tags: [{ name: "code", value: "abc" }],
    });
  });

  it("runs extractors anchored to a first token (^token\\.) after the others", () => {
    const producer = new TagProducer(
      [
        { tag_name: "first", regex: "^wasmcustom\\.((\\w+)\\.)" },
        { tag_name: "second", regex: "(\\.(total))$" },
      ],
      { useAllDefaultTags: false },
    );
    expect(producer.produceTags("wasmcustom.svc.total")).toEqual({
      tagExtractedName: "wasmcustom.", // cuts "svc." and ".total" overlap on the dot
      tags: [
        { name: "second", value: "total" },
        { name: "first", value: "svc" },
      ],
    });
    // A name with another first token never runs the anchored extractor.
    expect(producer.produceTags("other.svc.total").tags).toEqual([{ name: "second", value: "total" }]);
  });

  it("adds fixed_value tags to every stat without changing the name", () => {
    const producer = new TagProducer(
      [{ tag_name: "mesh", fixed_value: "ambient" }, ...ISTIO_STATS_TAGS.slice(0, 2)],
      { useAllDefaultTags: false },
    );
    expect(producer.produceTags(istioStatName([["reporter", "source"]], "istio_build"))).toEqual({
      tagExtractedName: "wasmcustom.istio_build",
      tags: [
        { name: "mesh", value: "ambient" },
        { name: "reporter", value: "source" },
      ],
    });
  });

  it("applies Envoy's unanchored default extractors unless use_all_default_tags is false", () => {
    const withDefaults = new TagProducer([]);
    expect(withDefaults.produceTags("wasmcustom.upstream_rq_503")).toEqual({
      tagExtractedName: "wasmcustom.upstream_rq",
      tags: [{ name: "envoy.response_code", value: "503" }],
    });
    expect(withDefaults.produceTags("wasmcustom.upstream_rq_5xx")).toEqual({
      tagExtractedName: "wasmcustom.upstream_rq_xx",
      tags: [{ name: "envoy.response_code_class", value: "5" }],
    });
    expect(withDefaults.produceTags("wasmcustom.http_local_rate_limit.enabled")).toEqual({
      tagExtractedName: "http_local_rate_limit.enabled",
      tags: [{ name: "envoy.local_http_ratelimit_prefix", value: "wasmcustom" }],
    });
    const without = new TagProducer([], { useAllDefaultTags: false });
    expect(without.produceTags("wasmcustom.upstream_rq_503").tags).toEqual([]);
  });

  it("accepts a default tag name without a regex", () => {
    const producer = new TagProducer([{ tag_name: "envoy.response_code" }], { useAllDefaultTags: false });
    expect(producer.produceTags("wasmcustom.x_rq_200").tags).toEqual([{ name: "envoy.response_code", value: "200" }]);
    expect(() => new TagProducer([{ tag_name: "envoy.cluster_name" }])).not.toThrow();
  });

  it("rejects configurations Envoy rejects, with Envoy's messages", () => {
    expect(() => new TagProducer([{ tag_name: "", regex: "(a)" }])).toThrow(new TagConfigError("tag_name cannot be empty"));
    expect(() => new TagProducer([{ tag_name: "custom" }])).toThrow(
      "No regex specified for tag specifier and no default regex for name: 'custom'",
    );
    expect(() => new TagProducer([{ tag_name: "bad", regex: "(unclosed" }])).toThrow(/^Invalid regex '\(unclosed': /);
  });
});
