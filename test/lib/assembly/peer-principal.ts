// Test entry for lib/peer-principal.ts.
import "../../../sdk/runtime/abort";
import { firstUriSan, peerPrincipalKeyProblem } from "../../../lib/peer-principal";

export function keyProblem(key: string): string {
  return peerPrincipalKeyProblem(key);
}

export function first(formatted: string): string {
  return firstUriSan(formatted);
}
