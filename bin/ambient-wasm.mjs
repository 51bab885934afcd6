#!/usr/bin/env node
// Entry point of the `ambient-wasm` command. In a clone it runs the TypeScript sources through tsx's loader; an
// installed package has no sources and runs the JavaScript compiled into dist/ at pack time (scripts/pack.mjs).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const sources = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
let main;
if (existsSync(sources)) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../cli/main.ts"));
} else {
  ({ main } = await import("../dist/cli/main.js"));
}
process.exitCode = await main(process.argv.slice(2));
