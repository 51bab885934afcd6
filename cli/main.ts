// `ambient-wasm <command>`: each command lives in its own module and exports `command(args): Promise<number>`
// (the process exit code). Modules are imported lazily so one command's dependencies never slow another.

type Command = { summary: string; load: () => Promise<{ command: (args: string[]) => Promise<number> }> };

const commands: Record<string, Command> = {
  run: { summary: "run <scenario.yaml>        run a proxy-wasm module against a scenario, print a JSON report", load: () => import("./run.ts") },
  validate: { summary: "validate <envoy.yaml...>   validate Envoy configs against Envoy's API protos and load their Wasm", load: () => import("./validate/index.ts") },
  authz: { summary: "authz convert <file.yaml>  turn AuthorizationPolicy YAML into identity-rbac plugin configuration", load: () => import("./authz.ts") },
  envoy: { summary: "envoy [--version V]        find or install the pinned real Envoy, print its version and path", load: () => import("./envoy.ts") },
  demo: { summary: "demo                       run the two-node ztunnel demo (real Envoy when possible, else the emulator)", load: () => import("./demo.ts") },
};

function usage(): string {
  return ["usage: ambient-wasm <command> [args]", "", ...Object.values(commands).map((c) => "  " + c.summary)].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
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
