// Plugin configuration of example-header (JSON, validated with lib/config-reader):
//   {
//     "response_header": { "name": "x-served-by", "value": "ambient-wasm" },   // required
//     "deny_paths": ["/admin"],                                                // optional, exact path match (query ignored)
//     "deny_status": 403                                                       // optional, 400..599, default 403
//   }
import { formatInt } from "../../sdk";
import { ConfigReader } from "../../lib/config-reader";

export class ExampleConfig {
  headerName: string = "";
  headerValue: string = "";
  denyPaths: string[] = [];
  denyStatus: u32 = 403;
}

/** The parsed configuration, or null with `error` set to "<json path>: <reason>". */
export class ParsedConfig {
  constructor(public config: ExampleConfig | null, public error: string) {}
}

export function parseExampleConfig(text: string): ParsedConfig {
  const root = ConfigReader.fromText(text);
  const config = new ExampleConfig();

  const header = root.requiredObject("response_header");
  config.headerName = header.requiredString("name");
  config.headerValue = header.requiredString("value", true);
  if (config.headerName.length > 0 && !isHeaderName(config.headerName)) {
    header.fail("name", "expected a lower-case header name (a-z, 0-9, '-', '_')");
  }
  header.finish();

  const paths = root.optionalStringArray("deny_paths");
  for (let i = 0; i < paths.length; i++) {
    if (!unchecked(paths[i]).startsWith("/")) root.errors.fail(root.pathOf("deny_paths") + "[" + formatInt(i) + "]", "expected a path starting with '/'");
  }
  config.denyPaths = paths;
  config.denyStatus = <u32>root.optionalInt("deny_status", 403, 400, 599);
  root.finish();

  if (!root.ok) return new ParsedConfig(null, root.errors.first);
  return new ParsedConfig(config, "");
}

function isHeaderName(name: string): bool {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F;
    if (!ok) return false;
  }
  return true;
}
