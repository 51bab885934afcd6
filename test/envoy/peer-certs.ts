// A throw-away CA and client certificates carrying any URI SAN (SPIFFE ids of other trust domains, or a URI that is
// not SPIFFE at all), for tests whose peers the mesh's identities.json does not have.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

async function pemKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

export interface IssuedCert { cert: string; key: string }

/** Writes root-cert.pem, server-{cert,key}.pem and one `<name>-{cert,key}.pem` per URI into `dir`. */
export async function issuePeerCerts(dir: string, uris: Record<string, string>): Promise<{ root: string; server: IssuedCert; peers: Record<string, IssuedCert> }> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 24 * 3600 * 1000);
  const caKeys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01", name: "CN=ambient-wasm test root", notBefore, notAfter, signingAlgorithm: algorithm, keys: caKeys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const root = join(dir, "root-cert.pem");
  writeFileSync(root, ca.toString("pem") + "\n");
  let serial = 2;
  const issue = async (name: string, uri: string): Promise<IssuedCert> => {
    const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (serial++).toString(16).padStart(2, "0"), subject: "O=test", issuer: ca.subject, notBefore, notAfter,
      signingAlgorithm: algorithm, publicKey: keys.publicKey, signingKey: caKeys.privateKey,
      extensions: [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: "url", value: uri }], false),
      ],
    });
    const out = { cert: join(dir, `${name}-cert.pem`), key: join(dir, `${name}-key.pem`) };
    writeFileSync(out.cert, cert.toString("pem") + "\n");
    writeFileSync(out.key, await pemKey(keys.privateKey), { mode: 0o600 });
    return out;
  };
  const server = await issue("server", "spiffe://cluster.local/ns/foo/sa/httpbin");
  const peers: Record<string, IssuedCert> = {};
  for (const [name, uri] of Object.entries(uris)) peers[name] = await issue(name, uri);
  return { root, server, peers };
}
