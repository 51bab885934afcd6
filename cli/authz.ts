// `ambient-wasm authz convert|check`: AuthorizationPolicy tooling around identity-rbac.
//   convert: Kubernetes AuthorizationPolicy YAML → identity-rbac plugin configuration (cli/authz/convert-command.ts)
//   check:   would this request be allowed, and by which policy and rule? (cli/authz/check.ts)
const USAGE = `usage: ambient-wasm authz <subcommand> [args]

  convert <file.yaml>...   turn AuthorizationPolicy YAML into identity-rbac plugin configuration
  check --policies <f>...  explain the decision identity-rbac makes for one request

ambient-wasm authz <subcommand> --help for the options`;

export async function command(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "convert") return (await import("./authz/convert-command.ts")).convertCommand(rest);
  if (sub === "check") return (await import("./authz/check.ts")).checkCommand(rest);
  if (sub === "-h" || sub === "--help") {
    console.log(USAGE);
    return 0;
  }
  console.error(sub ? `ambient-wasm authz: unknown subcommand '${sub}'\n\n${USAGE}` : USAGE);
  return 2;
}
