// Envoy parses command operators in substitution-format strings when it loads the config. We check the
// FILTER_STATE operators our configs rely on, with Envoy's rules and messages (source/common/formatter/
// stream_info_formatter.cc FilterStateFormatter::create): %FILTER_STATE(KEY[:PLAIN|:TYPED|:FIELD:NAME])%[:Z].

/** Fields whose strings are substitution formats (type name + "." + field name). */
export const substitutionFormatFields = new Set([
  "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.TunnelingConfig.hostname",
  "envoy.config.core.v3.HeaderValue.value",
  "envoy.config.core.v3.SubstitutionFormatString.text_format",
]);

const operator = /%(UPSTREAM_)?FILTER_STATE\(/g;

export function substitutionFormatViolations(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(operator)) {
    const argsStart = m.index! + m[0].length;
    const close = /\)(:[0-9]+)?%/.exec(text.slice(argsStart));
    if (!close) {
      out.push(`command operator ${m[0].slice(1)}… has no closing ")%"`);
      continue;
    }
    const [key, type = "", field = "", ...rest] = text.slice(argsStart, argsStart + close.index).split(":");
    if (rest.length > 0) continue; // more arguments than we know how to read
    if (key === "") out.push("Invalid filter state configuration, key cannot be empty.");
    else if (type !== "" && type !== "PLAIN" && type !== "TYPED" && type !== "FIELD") out.push("Invalid filter state serialize type, only support PLAIN/TYPED/FIELD.");
    else if ((type === "FIELD") !== (field !== "")) out.push("Invalid filter state serialize type, FIELD should be used with the field name.");
  }
  return out;
}
