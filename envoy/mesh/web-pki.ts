// A throw-away web PKI for an external service the egress proxy reaches (a CA and one server certificate whose DNS
// SAN is the service's name), written to a directory an unprivileged Envoy can read.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

export interface WebPki {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

async function pemKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key)).toString("base64");
  return `-----BEGIN PRIVATE KEY-----\n${der.replace(/.{1,64}/g, "$&\n")}-----END PRIVATE KEY-----\n`;
}

export async function issueServerCertificate(dnsName: string): Promise<WebPki> {
  const dir = mkdtempSync(join(tmpdir(), "aw-web-pki-"));
  chmodSync(dir, 0o755);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 2 * 24 * 3600 * 1000);
  const caKeys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01", name: "CN=ambient-wasm e2e web root", notBefore, notAfter, signingAlgorithm: algorithm, keys: caKeys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: "02", subject: `CN=${dnsName}`, issuer: ca.subject, notBefore, notAfter, signingAlgorithm: algorithm,
    publicKey: keys.publicKey, signingKey: caKeys.privateKey,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: "dns", value: dnsName }]),
    ],
  });
  const files = { ca: join(dir, "ca.pem"), cert: join(dir, "server-cert.pem"), key: join(dir, "server-key.pem") };
  writeFileSync(files.ca, ca.toString("pem") + "\n", { mode: 0o644 });
  writeFileSync(files.cert, cert.toString("pem") + "\n", { mode: 0o644 });
  writeFileSync(files.key, await pemKey(keys.privateKey), { mode: 0o644 });
  return { dir, ...files };
}
