// Property reads several filters make, written once.
import { getPropertyString } from "../../sdk";
import { SocketAddress, parseSocketAddress } from "../../lib/address";

/** The downstream peer's address (docs/envoy-facts.md: address-properties). */
export const SOURCE_ADDRESS: string[] = ["source", "address"];
/** The connection's local address: the original destination once original_dst restored it. */
export const DESTINATION_ADDRESS: string[] = ["destination", "address"];

/** The `ip:port` property at `path` parsed, or null when it is absent or not an IP socket address. */
export function readAddress(path: string[]): SocketAddress | null {
  const text = getPropertyString(path);
  return text === null ? null : parseSocketAddress(text);
}
