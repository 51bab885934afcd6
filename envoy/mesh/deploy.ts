// What a deployment changes in a shipped bootstrap, and nothing else. The shipped configs name their certificates
// `envoy-configs/certs/<identity>-{cert,key}.pem` and their modules `build/<filter>.wasm`, relative to Envoy's working
// directory, and bind the demo's addresses. A deployment may move those files (and others such as a CA bundle),
// swap which identity's certificate a node presents (a misconfigured or impersonating node), point an upstream
// address elsewhere, and move the admin port; every other byte of the config is what ships. Each rewrite must match something, so a renamed field in the YAML fails loudly instead of silently
// deploying the shipped value.

export interface DeployParams {
  /** Directory holding the certificates instead of `envoy-configs/certs` (absolute, or relative to Envoy's cwd). */
  certDir?: string;
  /** Directory holding the Wasm modules instead of `build`. */
  moduleDir?: string;
  /** Present another identity's certificate and key: `{ "server-httpbin": "other-intruder" }`. */
  certificates?: Record<string, string>;
  /** Move the admin listener (and the `admin` cluster that publishes /stats/prometheus) to this port. */
  adminPort?: number;
  /** Other files by their shipped path, e.g. the trusted CA bundle: `{ "/etc/ssl/certs/ca-certificates.crt": "/x/ca.pem" }`. */
  files?: Record<string, string>;
  /** Upstream addresses by their shipped value, e.g. the forward proxy's name: `{ "forward-proxy": "10.77.0.50" }`. */
  addresses?: Record<string, string>;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

const CERT_FILE = /(filename:\s*)envoy-configs\/certs\/([A-Za-z0-9_.-]+)/g;
const MODULE_FILE = /(filename:\s*)build\/([A-Za-z0-9_.-]+\.wasm)/g;

function replaceAll(text: string, pattern: RegExp, what: string, replace: (...groups: string[]) => string): string {
  let hits = 0;
  const out = text.replace(pattern, (_m, ...groups: string[]) => {
    hits++;
    return replace(...groups);
  });
  if (hits === 0) throw new Error(`deployConfig: the config has no ${what} to rewrite`);
  return out;
}

export function deployConfig(yaml: string, params: DeployParams): string {
  let out = yaml;
  if (params.certificates) {
    for (const [from, to] of Object.entries(params.certificates)) {
      for (const suffix of ["cert.pem", "key.pem"]) {
        const pattern = new RegExp(`(filename:\\s*envoy-configs/certs/)${from.replace(/[.-]/g, "\\$&")}-${suffix.replace(".", "\\.")}`, "g");
        out = replaceAll(out, pattern, `certificate ${from}-${suffix}`, (prefix) => `${prefix}${to}-${suffix}`);
      }
    }
  }
  if (params.certDir !== undefined) {
    const dir = params.certDir.replace(/\/$/, "");
    out = replaceAll(out, CERT_FILE, "certificate file", (field, file) => `${field}${dir}/${file}`);
  }
  if (params.moduleDir !== undefined) {
    const dir = params.moduleDir.replace(/\/$/, "");
    out = replaceAll(out, MODULE_FILE, "Wasm module file", (field, file) => `${field}${dir}/${file}`);
  }
  for (const [from, to] of Object.entries(params.files ?? {})) {
    out = replaceAll(out, new RegExp(`(filename:\\s*)${escape(from)}(?=[\\s,}])`, "g"), `file ${from}`, (field) => `${field}${to}`);
  }
  for (const [from, to] of Object.entries(params.addresses ?? {})) {
    out = replaceAll(out, new RegExp(`(socket_address:\\s*\\{\\s*address:\\s*)${escape(from)}(?=[\\s,}])`, "g"), `address ${from}`, (field) => `${field}${to}`);
  }
  if (params.adminPort !== undefined) {
    const port = params.adminPort;
    const admin = /(admin:\s*\n\s*address:\s*\n\s*socket_address:\s*\{\s*address:\s*127\.0\.0\.1,\s*port_value:\s*)(\d+)/;
    if (!admin.test(out)) throw new Error("deployConfig: the config has no admin socket_address to rewrite");
    const old = admin.exec(out)![2];
    out = out.replace(admin, `$1${port}`);
    // The `admin` cluster (if any) points at the same port.
    out = out.replace(
      new RegExp(`(cluster_name: admin[\\s\\S]*?socket_address:\\s*\\{\\s*address:\\s*127\\.0\\.0\\.1,\\s*port_value:\\s*)${old}`),
      `$1${port}`,
    );
  }
  return out;
}
