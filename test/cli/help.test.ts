// CLI conventions: every command and subcommand answers --help with its options and a pointer to the format
// docs (exit 0), and an unknown option is a usage error (exit 2) naming it.
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";

afterEach(() => vi.restoreAllMocks());

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  vi.spyOn(console, "log").mockImplementation((...parts: unknown[]) => { out += parts.join(" ") + "\n"; });
  vi.spyOn(console, "error").mockImplementation((...parts: unknown[]) => { err += parts.join(" ") + "\n"; });
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, out, err };
}

const COMMANDS: Array<{ args: string[]; docs: string }> = [
  { args: ["run"], docs: "cli/README.md" },
  { args: ["validate"], docs: "cli/validate/README.md" },
  { args: ["authz"], docs: "cli/README.md" },
  { args: ["authz", "convert"], docs: "cli/README.md" },
  { args: ["authz", "check"], docs: "cli/README.md" },
  { args: ["envoy"], docs: "README.md" },
  { args: ["demo"], docs: "cli/README.md" },
  { args: ["new"], docs: "sdk/README.md" },
];

describe("--help", () => {
  for (const { args, docs } of COMMANDS) {
    it(`ambient-wasm ${args.join(" ")} --help: options and ${docs}`, async () => {
      for (const flag of ["--help", "-h"]) {
        const { code, out, err } = await cli(...args, flag);
        expect(code).toBe(0);
        expect(err).toBe("");
        expect(out).toMatch(/^usage: ambient-wasm /);
        expect(out).toContain(docs);
        if (args.length > 1 || args[0] !== "authz") expect(out).toContain("-h, --help");
      }
    });
  }

  it("ambient-wasm --help lists every command", async () => {
    const { code, out } = await cli("--help");
    expect(code).toBe(0);
    for (const name of ["run", "validate", "authz", "envoy", "demo", "new"]) expect(out).toContain(`  ${name} `);
  });
});

describe("unknown options", () => {
  for (const args of [["run"], ["validate"], ["envoy"], ["demo"], ["new"]]) {
    it(`ambient-wasm ${args[0]} --frobnicate is a usage error naming the option`, async () => {
      const { code, err } = await cli(...args, "--frobnicate", "x");
      expect(code).toBe(2);
      expect(err).toContain("Unknown option '--frobnicate'");
    });
  }
});
