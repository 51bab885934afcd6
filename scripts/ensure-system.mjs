// Runs before `npm test` and `npm run e2e`: the Debian packages the real-Envoy suites drive (iproute2 for namespaces and veth
// pairs, iptables for capture, curl and nghttp2-client as clients, squid as the egress forward proxy,
// util-linux's setpriv to run Envoy as its own uid, skopeo and docker-registry for the OCI round trip), installed with apt-get when missing and running as root
// (`apt-get update` first, so it works on a fresh Debian machine); and the mesh certificates (`npm run certs`)
// when envoy-configs/certs/ lacks one. `--certs-only` (npm start) does only the latter. Uses only Node's built-ins.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** command → Debian package that provides it */
export const REQUIRED = {
  ip: "iproute2",
  iptables: "iptables",
  curl: "curl",
  nghttp: "nghttp2-client",
  h2load: "nghttp2-client", // the load generator of npm run bench:envoy
  taskset: "util-linux", // pins Envoy and the generator to their cores in npm run bench:envoy
  squid: "squid",
  setpriv: "util-linux",
  // test/packaging/oci.test.ts: images pushed to a loopback registry and pulled back
  skopeo: "skopeo",
  "docker-registry": "docker-registry",
};

function onPath(cmd) {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin"];
  return dirs.some((d) => d && existsSync(join(d, cmd)));
}

export function missingPackages() {
  return [...new Set(Object.entries(REQUIRED).filter(([cmd]) => !onPath(cmd)).map(([, pkg]) => pkg))];
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  return r.status === 0;
}

const certsOnly = process.argv.includes("--certs-only");
const missing = certsOnly ? [] : missingPackages();
if (missing.length > 0) {
  const canInstall = process.getuid?.() === 0 && onPath("apt-get");
  if (canInstall) {
    console.error(`Installing ${missing.join(" ")} (apt-get) for the e2e suite ...`);
    if (!run("apt-get", ["update"]) || !run("apt-get", ["install", "-y", "--no-install-recommends", ...missing])) {
      console.error("apt-get failed; see the output above.");
      process.exit(1);
    }
  } else {
    console.error(`The e2e suite needs ${missing.join(" ")}; install them (as root: apt-get install ${missing.join(" ")}).`);
  }
}

// Certificates for every identity of envoy-configs/identities.json (issued anew when one is missing).
if (!run(process.execPath, ["--import", "tsx", join(root, "scripts/certs.ts"), "--if-missing"])) process.exit(1);
