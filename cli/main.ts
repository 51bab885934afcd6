// `ambient-wasm <command>`: each command lives in its own module and exports `command(args): Promise<number>`
// (the process exit code). Modules are imported lazily so one command's dependencies never slow another.
import { existsSync, readFileSync } from "node:fs";

type Command = { summary: string; load: () => Promise<{ command: (args: string[]) => Promise<number> }> };

const commands: Record<string, Command> = {
  run: { summary: "run <scenario.yaml>        run a proxy-wasm module against a scenario, print a JSON report", load: () => import("./run.ts") },
  validate: { summary: "validate <envoy.yaml...>   validate Envoy configs against Envoy's API protos and load their Wasm", load: () => import("./validate/index.ts") },
  authz: { summary: "authz convert|check        convert AuthorizationPolicy YAML for identity-rbac; explain a decision", load: () => import("./authz.ts") },
  envoy: { summary: "envoy [--version V]        find or install the pinned real Envoy, print its version and path", load: () => import("./envoy.ts") },
  demo: { summary: "demo                       run the ztunnel demo through the emulator", load: () => import("./demo.ts") },
};

function usage(): string {
  return ["usage: ambient-wasm <command> [args]   (ambient-wasm --version)", "", ...Object.values(commands).map((c) => "  " + c.summary)].join("\n");
}

/** The package version, from the package.json above this file (cli/ in a clone, dist/cli/ when installed). */
function packageVersion(): string {
  for (const up of ["../package.json", "../../package.json"]) {
    const url = new URL(up, import.meta.url);
    if (existsSync(url)) {
      const pkg = JSON.parse(readFileSync(url, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "ambient-wasm") return pkg.version ?? "unknown";
    }
  }
  return "unknown";
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === "--version" || name === "-v" || name === "version") {
    console.log(packageVersion());
    return 0;
  }
  if (!name || name === "-h" || name === "--help" || name === "help") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`ambient-wasm: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await cmd.load()).command(args);
}
