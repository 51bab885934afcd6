// Real-Envoy tests need prerequisites this machine may lack (the Envoy binary, root, network namespaces).
// Under CI=true a missing prerequisite is a failure; elsewhere the test is skipped and the reason printed.
import { spawnSync } from "node:child_process";
import { describeEnvoy, EnvoyUnavailable, resolveEnvoy, type Envoy } from "../../envoy/provision.ts";

export const inCI = process.env.CI === "true" || process.env.CI === "1";

export interface Prerequisite<T> {
  value?: T;
  /** Why it is missing; undefined when present. */
  missing?: string;
}

function settle<T>(what: string, get: () => T): Prerequisite<T> {
  try {
    return { value: get() };
  } catch (e) {
    const missing = `${what}: ${e instanceof EnvoyUnavailable ? e.message : (e as Error).message}`;
    if (inCI) throw new Error(`CI=true and a real-Envoy prerequisite is missing — ${missing}`);
    console.warn(`SKIPPED (not CI): ${missing}`);
    return { missing };
  }
}

/** The Envoy of that pinned version (installing it when needed), or the reason it cannot be had. */
export function envoyPrerequisite(version?: string): Prerequisite<Envoy> {
  const p = settle(`Envoy ${version ?? "(newest pinned)"}`, () => resolveEnvoy({ version }));
  if (p.value) console.log(`real Envoy: ${describeEnvoy(p.value)}`);
  return p;
}

/** Root and `ip netns` work here (namespaces, veth pairs and iptables need both). */
export function namespacesPrerequisite(): Prerequisite<true> {
  return settle("network namespaces", () => {
    if (process.getuid?.() !== 0) throw new Error("not running as root");
    const name = `aw-probe-${process.pid}`;
    const add = spawnSync("ip", ["netns", "add", name], { encoding: "utf8" });
    if (add.status !== 0) throw new Error(`\`ip netns add\` failed: ${add.stderr || add.error}`);
    spawnSync("ip", ["netns", "del", name]);
    return true as const;
  });
}

/** A command on PATH (e.g. h2load from Debian's nghttp2-client, installed by scripts/ensure-system.mjs). */
export function commandPrerequisite(command: string, debianPackage: string): Prerequisite<string> {
  return settle(command, () => {
    const r = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${command} is not on PATH (Debian: apt-get install ${debianPackage}; npm run e2e installs it)`);
    return r.stdout.trim();
  });
}
