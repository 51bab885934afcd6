// `npm run certs`: a throw-away mesh CA and one workload certificate per identity in envoy-configs/identities.json,
// each carrying its SPIFFE id (spiffe://<trust-domain>/ns/<ns>/sa/<sa>) as the only URI SAN — the form Istio issues
// and the one identity-rbac reads from `connection.uri_san_peer_certificate`.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const day = 24 * 3600 * 1000;

interface Identity { namespace: string; serviceAccount: string }

export function spiffeId(trustDomain: string, id: Identity): string {
  return `spiffe://${trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

async function pemKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").replace(/.{64}/g, "$&\n")}\n-----END PRIVATE KEY-----\n`.replace(/\n\n/g, "\n");
}

export async function generateCerts(identitiesFile: string, outDir: string, validDays = 365): Promise<string[]> {
  const { trustDomain, identities } = JSON.parse(readFileSync(identitiesFile, "utf8")) as { trustDomain: string; identities: Identity[] };
  mkdirSync(outDir, { recursive: true });
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + validDays * day);

  const caKeys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: `O=${trustDomain},CN=ambient-wasm demo root`,
    notBefore, notAfter, signingAlgorithm: algorithm, keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const written = [join(outDir, "root-cert.pem")];
  writeFileSync(written[0], ca.toString("pem") + "\n");

  let serial = 2;
  for (const id of identities) {
    const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (serial++).toString(16).padStart(2, "0"),
      subject: `O=${trustDomain}`,
      issuer: ca.subject,
      notBefore, notAfter, signingAlgorithm: algorithm,
      publicKey: keys.publicKey, signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: "url", value: spiffeId(trustDomain, id) }], false),
        await x509.AuthorityKeyIdentifierExtension.create(ca, false),
      ],
    });
    const base = join(outDir, `${id.namespace}-${id.serviceAccount}`);
    writeFileSync(`${base}-cert.pem`, cert.toString("pem") + "\n");
    writeFileSync(`${base}-key.pem`, await pemKey(keys.privateKey));
    written.push(`${base}-cert.pem`, `${base}-key.pem`);
  }
  return written;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const meshCertsDir = join(root, "envoy-configs/certs");

/**
 * The shipped configs' certificates, issued once when envoy-configs/certs/ does not exist yet. Issued into a
 * temporary folder and renamed into place, so test workers starting together never mix two CAs.
 */
export async function ensureMeshCerts(): Promise<string> {
  if (meshCertsComplete()) return meshCertsDir;
  const tmp = mkdtempSync(join(root, "envoy-configs/.certs-"));
  chmodSync(tmp, 0o755); // mkdtemp makes it 0700; the e2e suite runs Envoy under its own uid (envoy/mesh/proxy.ts)
  await generateCerts(join(root, "envoy-configs/identities.json"), tmp);
  if (meshCertsComplete()) {
    rmSync(tmp, { recursive: true, force: true }); // another worker issued them meanwhile
    return meshCertsDir;
  }
  // A set missing an identity (identities.json grew) is replaced whole: one CA signs every certificate.
  const old = `${meshCertsDir}.old-${process.pid}`;
  if (existsSync(meshCertsDir)) renameSync(meshCertsDir, old);
  try {
    renameSync(tmp, meshCertsDir);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
  return meshCertsDir;
}

/** The root and a certificate and key for every identity of envoy-configs/identities.json are there. */
export function meshCertsComplete(): boolean {
  const { identities } = JSON.parse(readFileSync(join(root, "envoy-configs/identities.json"), "utf8")) as { identities: Identity[] };
  const files = ["root-cert.pem", ...identities.flatMap((id) => [`${id.namespace}-${id.serviceAccount}-cert.pem`, `${id.namespace}-${id.serviceAccount}-key.pem`])];
  return files.every((f) => existsSync(join(meshCertsDir, f)));
}

// `npm run certs` issues a new set; `--if-missing` (npm test, npm start) only when one is missing or incomplete.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--if-missing")) {
    if (!meshCertsComplete()) console.log(`issued ${(await ensureMeshCerts()).slice(root.length + 1)}/`);
  } else {
    const files = await generateCerts(join(root, "envoy-configs/identities.json"), meshCertsDir);
    for (const f of files) console.log(f.slice(root.length + 1));
  }
}
