// Every shipped config's stats_tags is a copy of Istio's (emulator/stats/istio-stats-tags.ts): same regex per tag,
// Istio's order, no tag of its own. Envoy applies the extractors in configuration order, so order matters too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { ISTIO_DEFAULT_STAT_TAGS, istioStatsTag } from "../../emulator/stats/istio-stats-tags.ts";
import type { TagSpecifier } from "../../emulator/stats/tags.ts";
import { repoRoot, shippedBootstraps } from "./shipped.ts";

const ISTIO_ORDER = ["response_code", ...ISTIO_DEFAULT_STAT_TAGS];

/** How `tags` departs from Istio's stats_tags; [] when it is Istio's list or an ordered subset of it. */
function statsTagsProblems(tags: TagSpecifier[]): string[] {
  const problems: string[] = [];
  let last = -1;
  for (const tag of tags) {
    const at = ISTIO_ORDER.indexOf(tag.tag_name);
    if (at < 0) { problems.push(`${tag.tag_name}: not one of Istio's tags`); continue; }
    if (JSON.stringify(tag) !== JSON.stringify(istioStatsTag(tag.tag_name))) problems.push(`${tag.tag_name}: differs from Istio's entry`);
    if (at <= last) problems.push(`${tag.tag_name}: out of Istio's order`);
    last = at;
  }
  return problems;
}

const configs = [...shippedBootstraps(), join(repoRoot, "filters/istio-stats/envoy.yaml")];

function statsTagsOf(file: string): TagSpecifier[] | undefined {
  return (parseYaml(readFileSync(file, "utf8")) as { stats_config?: { stats_tags?: TagSpecifier[] } }).stats_config?.stats_tags;
}

describe("stats_tags in the Envoy configs", () => {
  it("the check catches a changed regex, a foreign tag and a reordering", () => {
    const good = [istioStatsTag("response_code"), istioStatsTag("reporter"), istioStatsTag("source_workload")];
    expect(statsTagsProblems(good)).toEqual([]);
    expect(statsTagsProblems([{ tag_name: "reporter", regex: "(reporter=\\.=(.+?);\\.;)" }])).toEqual(["reporter: differs from Istio's entry"]);
    expect(statsTagsProblems([{ tag_name: "mine", regex: "(mine=\\.=(.*?);\\.;)" }])).toEqual(["mine: not one of Istio's tags"]);
    expect(statsTagsProblems([good[2], good[1]])).toEqual(["reporter: out of Istio's order"]);
  });

  for (const file of configs) {
    const tags = statsTagsOf(file);
    if (tags === undefined) continue;
    it(`${file.slice(repoRoot.length + 1)} carries Istio's stats_tags`, () => {
      expect(tags.length).toBeGreaterThan(0);
      expect(statsTagsProblems(tags)).toEqual([]);
    });
  }
});
