import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateCerts } from "../../scripts/certs.ts";

describe("npm run certs", () => {
  it("issues one CA-signed certificate per identity with its SPIFFE id as URI SAN", async () => {
    const dir = mkdtempSync(join(tmpdir(), "certs-"));
    const identities = join(dir, "identities.json");
    writeFileSync(identities, JSON.stringify({
      trustDomain: "example.org",
      identities: [{ namespace: "ns1", serviceAccount: "sa1" }, { namespace: "ns2", serviceAccount: "sa2" }],
    }));
    await generateCerts(identities, dir);
    const ca = new X509Certificate(readFileSync(join(dir, "root-cert.pem")));
    expect(ca.ca).toBe(true);
    for (const [ns, sa] of [["ns1", "sa1"], ["ns2", "sa2"]]) {
      const cert = new X509Certificate(readFileSync(join(dir, `${ns}-${sa}-cert.pem`)));
      expect(cert.subjectAltName).toBe(`URI:spiffe://example.org/ns/${ns}/sa/${sa}`);
      expect(cert.ca).toBe(false);
      expect(cert.verify(ca.publicKey)).toBe(true);
      const key = createPrivateKey(readFileSync(join(dir, `${ns}-${sa}-key.pem`)));
      expect(cert.checkPrivateKey(key)).toBe(true);
    }
  });
});
