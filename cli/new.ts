// `ambient-wasm new <name> [--http|--tcp] [--dir <filters folder>]`: writes a filter folder (filter.ts, config.ts,
// <name>.test.ts, envoy.yaml, README.md) that builds, passes its own test and validates as generated.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { envoyYaml, readme, type FilterKind } from "./new/common-templates.ts";
import { httpConfig, httpFilter, httpTest } from "./new/http-templates.ts";
import { filterNames } from "./new/names.ts";
import { tcpConfig, tcpFilter, tcpTest } from "./new/tcp-templates.ts";

export const HELP = `usage: ambient-wasm new <name> [--http|--tcp] [--dir <filters folder>]

Creates <filters folder>/<name>/ with filter.ts, config.ts, <name>.test.ts, envoy.yaml and README.md.

options:
  --http         an HTTP filter (default): a response header and a local reply with headers
  --tcp          a network filter: connection and byte counters
  --dir <path>   the filters folder to write into (default: filters)
  -h, --help     this help

Run it in a clone of ambient-wasm (the filter builds against its sdk/ and lib/), then:
  npm run build -- <name> && npx vitest run filters/<name>
Filters and the SDK are described in README.md and sdk/README.md.`;

export async function command(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        http: { type: "boolean" },
        tcp: { type: "boolean" },
        dir: { type: "string", default: "filters" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    console.error(`ambient-wasm new: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1 || (values.http && values.tcp)) {
    console.error(HELP);
    return 2;
  }
  const names = filterNames(positionals[0]);
  if (typeof names === "string") {
    console.error(`ambient-wasm new: ${names}`);
    return 2;
  }
  const kind: FilterKind = values.tcp ? "tcp" : "http";
  const folder = join(values.dir!, names.name);
  if (existsSync(folder)) {
    console.error(`ambient-wasm new: ${folder} exists already; nothing written`);
    return 1;
  }
  const files: Record<string, string> = {
    "filter.ts": kind === "http" ? httpFilter(names) : tcpFilter(names),
    "config.ts": kind === "http" ? httpConfig(names) : tcpConfig(names),
    [`${names.name}.test.ts`]: kind === "http" ? httpTest(names) : tcpTest(names),
    "envoy.yaml": envoyYaml(names, kind),
    "README.md": readme(names, kind),
  };
  mkdirSync(folder, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(folder, file), text);
  const shown = relative(process.cwd(), folder) || folder;
  console.log(`created ${shown}/ (${kind}): ${Object.keys(files).join(", ")}`);
  console.log(`next: npm run build -- ${names.name} && npx vitest run ${shown}`);
  return 0;
}
