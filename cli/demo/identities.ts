// Which SPIFFE id a certificate file of the bootstrap carries. `npm run certs` (scripts/certs.ts) names each
// workload certificate `<namespace>-<serviceAccount>-cert.pem` after envoy-configs/identities.json, so the demo can
// tell who presents a certificate without the files existing (they are generated, not committed).
import { readFileSync } from "node:fs";
import { basename } from "node:path";

interface IdentitiesFile {
  trustDomain: string;
  identities: Array<{ namespace: string; serviceAccount: string }>;
}

export type CertificateIdentities = (certificateFile: string) => string | null;

export function certificateIdentities(identitiesFile: string): CertificateIdentities {
  const { trustDomain, identities } = JSON.parse(readFileSync(identitiesFile, "utf8")) as IdentitiesFile;
  const byFile = new Map<string, string>();
  for (const id of identities) {
    byFile.set(`${id.namespace}-${id.serviceAccount}-cert.pem`, `spiffe://${trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`);
  }
  return (file) => byFile.get(basename(file)) ?? null;
}
