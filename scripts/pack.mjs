// `npm pack` / `npm publish` (prepack, after `npm run build`): compiles the TypeScript the installed package runs —
// cli/, emulator/, envoy/, modules/ — to JavaScript with type declarations in dist/, and copies beside it what those
// modules read at run time: the built filters with build/modules.json (sha256 per module), the Envoy API descriptor
// set for `validate`, the pinned Envoy requirement files, and the descriptor build script `validate` imports.
// The installed package then runs on plain Node, with only its `dependencies`.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { root } from "./asc.mjs";

const dist = join(root, "dist");
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.pack.json")], { stdio: "inherit" });

const build = join(root, "build");
mkdirSync(join(dist, "build"), { recursive: true });
for (const f of readdirSync(build)) {
  if (/\.wasm$/.test(f) || ["modules.json", "envoy-api.binpb", "envoy-api.source.txt"].includes(f)) cpSync(join(build, f), join(dist, "build", f));
}
for (const needed of ["modules.json", "envoy-api.binpb"]) {
  if (!existsSync(join(dist, "build", needed))) throw new Error(`build/${needed} is missing: run \`npm run build\` first`);
}
cpSync(join(root, "envoy/requirements"), join(dist, "envoy/requirements"), { recursive: true });
mkdirSync(join(dist, "scripts"), { recursive: true });
cpSync(join(root, "scripts/build-descriptors.mjs"), join(dist, "scripts/build-descriptors.mjs"));
console.log(`dist/: compiled JavaScript, ${readdirSync(join(dist, "build")).length} build files`);
