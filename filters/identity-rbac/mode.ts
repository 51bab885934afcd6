// The three ways identity-rbac runs, chosen by the plugin's root_id.

export enum Mode {
  /** Network filter on an inbound listener (15008 before the HCM, 15006 plaintext): ztunnel semantics. */
  L4 = 0,
  /** HTTP filter (sidecar / waypoint): Envoy RBAC semantics as Istio generates them. */
  L7 = 1,
  /** HTTP filter on the HBONE CONNECT terminate: ztunnel semantics for the tunnelled stream, deny = 401. */
  Connect = 2,
}

export const ROOT_ID_L4 = "identity-rbac-l4";
export const ROOT_ID_L7 = "identity-rbac-l7";
export const ROOT_ID_CONNECT = "identity-rbac-connect";

export function modeName(mode: Mode): string {
  if (mode == Mode.L4) return "l4";
  if (mode == Mode.L7) return "l7";
  return "connect";
}

/** L4 and CONNECT enforce what ztunnel enforces; only L7 sees HTTP attributes. */
export function usesZtunnelSemantics(mode: Mode): bool {
  return mode != Mode.L7;
}
