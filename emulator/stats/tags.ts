// Tag extraction as Envoy's TagProducerImpl does it (envoyproxy/envoy source/common/stats/tag_producer_impl.cc,
// source/common/stats/tag_extractor_impl.cc, source/common/config/well_known_names.cc).
//
// - Extractors are created in this order: Envoy's defaults (unless `use_all_default_tags: false`), then the
//   bootstrap `stats_config.stats_tags` in order. Extractors whose regex starts with `^<token>\.` are keyed by that
//   first token and only run on names whose first dot-separated token matches; they run after all the others.
// - Every extractor sees the ORIGINAL stat name. A `{tag_name, regex}` extractor (std::regex, ECMAScript syntax,
//   regex_search) needs at least one capture group: group 1 is cut out of the name, group 2 (or group 1 when the
//   regex has a single group) is the tag value. The cut ranges of all extractors are removed at the end.
// - `{tag_name, fixed_value}` adds the tag and cuts nothing.
// - When two extractors share a tag name, only the first one that matches contributes.
//
// Default extractors modelled: the three that are not anchored to an Envoy-internal first token
// (envoy.response_code `_rq(_(\d{3}))$`, envoy.response_code_class `_rq_((\d))xx$`,
// envoy.local_http_ratelimit_prefix `$.http_local_rate_limit.**`) and so can match `wasmcustom.*` names.
// The remaining defaults are anchored to first tokens a Wasm stat never has (cluster., http., listener., vhost.,
// mongo., tcp., ...) and are not modelled.

export type TagSpecifier = { tag_name: string; regex?: string } | { tag_name: string; fixed_value: string };

export interface Tag {
  name: string;
  value: string;
}

export interface ExtractedTags {
  /** The stat name with every extracted range removed (Envoy's tagExtractedName). */
  tagExtractedName: string;
  /** Tags in extraction order (the order Envoy prints them). */
  tags: Tag[];
}

/** A bootstrap Envoy would reject at startup; `message` is Envoy's text. */
export class TagConfigError extends Error {}

interface Extractor {
  readonly name: string;
  /** First stat-name token this extractor is limited to, or "" for every name. */
  readonly prefix: string;
  sharesName: boolean;
  /** Appends its tag and cut range when it matches; returns whether it matched. */
  extract(statName: string, tokens: () => string[], tags: Tag[], cuts: Array<[number, number]>): boolean;
}

/** TagExtractorImplBase::extractRegexPrefix. */
function regexPrefix(regex: string): string {
  if (!regex.startsWith("^")) return "";
  for (let i = 1; i < regex.length; i++) {
    const c = regex[i];
    if (/[A-Za-z0-9_]/.test(c)) continue;
    if (i > 1) {
      const last = i === regex.length - 1;
      const rest = regex.slice(i);
      if ((!last && (rest.startsWith("\\.") || rest.startsWith("(?=\\."))) || (last && c === "$")) {
        return regex.slice(1, i);
      }
    }
    return "";
  }
  return "";
}

/** A user `{tag_name, regex}` (TagExtractorStdRegexImpl). */
class StdRegexExtractor implements Extractor {
  readonly prefix: string;
  sharesName = false;
  private readonly re: RegExp;

  constructor(readonly name: string, regex: string) {
    this.prefix = regexPrefix(regex);
    try {
      this.re = new RegExp(regex, "d");
    } catch (e) {
      throw new TagConfigError(`Invalid regex '${regex}': ${(e as Error).message}`);
    }
  }

  extract(statName: string, _tokens: () => string[], tags: Tag[], cuts: Array<[number, number]>): boolean {
    const m = this.re.exec(statName);
    if (!m || m.length <= 1) return false;
    // An unmatched group is an empty sub_match positioned at the end of the name.
    const removeRange = m.indices?.[1] ?? [statName.length, statName.length];
    const value = m.length > 2 ? (m[2] ?? "") : (m[1] ?? "");
    tags.push({ name: this.name, value });
    cuts.push([removeRange[0], removeRange[1]]);
    return true;
  }
}

/** A built-in RE2 extractor (TagExtractorRe2Impl): RE2::PartialMatch with two groups; an empty value means group 1. */
class Re2Extractor implements Extractor {
  readonly prefix: string;
  sharesName = false;
  private readonly re: RegExp;

  constructor(readonly name: string, regex: string, private readonly substr: string) {
    this.prefix = regexPrefix(regex);
    this.re = new RegExp(regex, "d");
  }

  extract(statName: string, _tokens: () => string[], tags: Tag[], cuts: Array<[number, number]>): boolean {
    if (this.substr && !statName.includes(this.substr)) return false;
    const m = this.re.exec(statName);
    if (!m || !m[1]) return false;
    const value = m[2] ? m[2] : m[1];
    const [start, end] = m.indices![1]!;
    tags.push({ name: this.name, value });
    cuts.push([start, end]);
    return true;
  }
}

/** A built-in dot-token pattern (TagExtractorTokensImpl): `$` is the value, `*` one token, `**` any tokens. */
class TokensExtractor implements Extractor {
  readonly prefix: string;
  sharesName = false;
  private readonly pattern: string[];
  private readonly matchIndex: number;

  constructor(readonly name: string, pattern: string) {
    this.pattern = pattern.split(".");
    this.matchIndex = Math.max(0, this.pattern.indexOf("$"));
    const first = this.pattern[0];
    this.prefix = first !== "$" && first !== "*" && first !== "**" ? first : "";
  }

  extract(_statName: string, tokens: () => string[], tags: Tag[], cuts: Array<[number, number]>): boolean {
    const input = tokens();
    const found = { start: 0, matchInput: input.length };
    if (!this.search(input, 0, 0, 0, found)) return false;
    const value = input[found.matchInput];
    let start = found.start;
    let end = start + value.length;
    if (found.matchInput < input.length - 1) end++; // "ab." or "cd." : remove the dot after the value
    else if (start > 0) start--; // ".ef" at the end: remove the dot before it
    tags.push({ name: this.name, value });
    cuts.push([start, end]);
    return true;
  }

  /** TagExtractorTokensImpl::searchTags; `found` plays the role of its reference out-parameters. */
  private search(
    input: string[],
    inputIndex: number,
    patternIndex: number,
    charIndex: number,
    found: { start: number; matchInput: number },
  ): boolean {
    for (; inputIndex < input.length && patternIndex < this.pattern.length; inputIndex++, patternIndex++) {
      if (patternIndex === this.matchIndex) {
        found.start = charIndex;
        found.matchInput = inputIndex;
        continue;
      }
      const expected = this.pattern[patternIndex];
      if (expected === "**") {
        if (patternIndex === this.pattern.length - 1) {
          patternIndex = this.pattern.length;
          inputIndex = input.length;
          break;
        }
        patternIndex++;
        for (; inputIndex < input.length; inputIndex++) {
          if (this.search(input, inputIndex, patternIndex, charIndex, found)) return true;
          charIndex += input[inputIndex].length + 1;
        }
        return false;
      }
      if (expected !== "*" && expected !== input[inputIndex]) return false;
      charIndex += input[inputIndex].length + 1;
    }
    return patternIndex === this.pattern.length && inputIndex === input.length;
  }
}

/** `{tag_name, fixed_value}` (TagExtractorFixedImpl). */
class FixedExtractor implements Extractor {
  readonly prefix: string;
  sharesName = false;

  constructor(readonly name: string, private readonly value: string) {
    // Envoy derives the prefix token from the value as if it were a regex.
    this.prefix = regexPrefix(value);
  }

  extract(_statName: string, _tokens: () => string[], tags: Tag[]): boolean {
    tags.push({ name: this.name, value: this.value });
    return true;
  }
}

/** The modelled subset of Envoy's default extractors, in Envoy's creation order (regex ones, then tokenized). */
function defaultExtractors(): Extractor[] {
  return [
    new Re2Extractor("envoy.response_code", "_rq(_(\\d{3}))$", "_rq_"),
    new Re2Extractor("envoy.response_code_class", "_rq_((\\d))xx$", "_rq_"),
    new TokensExtractor("envoy.local_http_ratelimit_prefix", "$.http_local_rate_limit.**"),
  ];
}
const MODELLED_DEFAULT_TAG_NAMES = new Set(defaultExtractors().map((e) => e.name));

/**
 * Envoy's other default tag names (source/common/config/well_known_names.h). A `{tag_name}` without a regex naming
 * one of them is valid in Envoy; their extractors only match Envoy-internal stat names, so here they match nothing.
 */
const UNMODELLED_DEFAULT_TAG_NAMES = new Set([
  "envoy.cluster_name", "envoy.listener_address", "envoy.http_conn_manager_prefix", "envoy.http_user_agent",
  "envoy.ssl_cipher", "cipher_suite", "envoy.clientssl_prefix", "envoy.mongo_prefix", "envoy.mongo_cmd",
  "envoy.mongo_collection", "envoy.mongo_callsite", "envoy.ratelimit_prefix", "envoy.local_network_ratelimit_prefix",
  "envoy.tcp_prefix", "envoy.udp_prefix", "envoy.fault_downstream_cluster", "envoy.dynamo_operation",
  "envoy.dynamo_table", "envoy.dynamo_partition_id", "envoy.grpc_bridge_service", "envoy.grpc_bridge_method",
  "envoy.virtual_host", "envoy.virtual_cluster", "envoy.rds_route_config", "envoy.route", "envoy.worker_id",
  "envoy.thrift_prefix", "envoy.redis_prefix",
]);

export interface TagProducerOptions {
  /** Bootstrap `stats_config.use_all_default_tags`; Envoy's default is true. */
  useAllDefaultTags?: boolean;
}

/** Envoy's TagProducerImpl for a bootstrap's stats_config. Throws TagConfigError where Envoy rejects the config. */
export class TagProducer {
  private readonly withoutPrefix: Extractor[] = [];
  private readonly byPrefix = new Map<string, Extractor[]>();
  private readonly byName = new Map<string, Extractor>();
  private readonly cache = new Map<string, ExtractedTags>();

  constructor(specifiers: readonly TagSpecifier[] = [], options: TagProducerOptions = {}) {
    if (options.useAllDefaultTags ?? true) for (const e of defaultExtractors()) this.add(e);
    for (const spec of specifiers) this.add(...extractorsFor(spec));
  }

  private add(...extractors: Extractor[]): void {
    for (const e of extractors) {
      const other = this.byName.get(e.name);
      if (other) {
        other.sharesName = true;
        e.sharesName = true;
      } else {
        this.byName.set(e.name, e);
      }
      if (!e.prefix) this.withoutPrefix.push(e);
      else {
        const list = this.byPrefix.get(e.prefix) ?? [];
        list.push(e);
        this.byPrefix.set(e.prefix, list);
      }
    }
  }

  /** TagProducerImpl::produceTags. */
  produceTags(statName: string): ExtractedTags {
    const cached = this.cache.get(statName);
    if (cached) return cached;
    const tags: Tag[] = [];
    const cuts: Array<[number, number]> = [];
    let tokenList: string[] | null = null;
    const tokens = () => (tokenList ??= statName.split("."));
    const extractedNames = new Set<string>();
    const run = (e: Extractor) => {
      if (e.sharesName && extractedNames.has(e.name)) return;
      if (e.extract(statName, tokens, tags, cuts) && e.sharesName) extractedNames.add(e.name);
    };
    for (const e of this.withoutPrefix) run(e);
    const dot = statName.indexOf(".");
    if (dot !== -1) for (const e of this.byPrefix.get(statName.slice(0, dot)) ?? []) run(e);
    const result = { tagExtractedName: removeRanges(statName, cuts), tags };
    this.cache.set(statName, result);
    return result;
  }
}

function extractorsFor(spec: TagSpecifier): Extractor[] {
  const name = spec.tag_name;
  if (typeof name !== "string" || name === "") throw new TagConfigError("tag_name cannot be empty");
  if ("fixed_value" in spec && spec.fixed_value !== undefined) return [new FixedExtractor(name, spec.fixed_value)];
  const regex = "regex" in spec ? spec.regex : undefined;
  if (regex) return [new StdRegexExtractor(name, regex)];
  if (MODELLED_DEFAULT_TAG_NAMES.has(name)) return defaultExtractors().filter((e) => e.name === name);
  if (UNMODELLED_DEFAULT_TAG_NAMES.has(name)) return [];
  throw new TagConfigError(`No regex specified for tag specifier and no default regex for name: '${name}'`);
}

/** StringUtil::removeCharacters over the union of the cut ranges. */
function removeRanges(s: string, cuts: Array<[number, number]>): string {
  if (cuts.length === 0) return s;
  const sorted = [...cuts].sort((a, b) => a[0] - b[0]);
  let out = "";
  let pos = 0;
  for (const [start, end] of sorted) {
    if (start > pos) out += s.slice(pos, start);
    pos = Math.max(pos, end);
  }
  return out + s.slice(pos);
}
