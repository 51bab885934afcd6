// identity-rbac: Istio AuthorizationPolicy enforcement for plain Envoy, keyed on the mTLS peer identity.
// One module, three root ids (README.md): identity-rbac-l4 (network filter, ztunnel semantics),
// identity-rbac-l7 (HTTP filter, Envoy/waypoint semantics), identity-rbac-connect (HTTP filter on the HBONE
// CONNECT terminate, ztunnel semantics for the tunnelled connection, deny = 401).
export * from "../../sdk/exports";
import { RootContext, registerRootContext } from "../../sdk";
import { Mode, ROOT_ID_CONNECT, ROOT_ID_L4, ROOT_ID_L7 } from "./mode";
import { RbacRoot } from "./root";

registerRootContext(ROOT_ID_L4, (id: u32): RootContext => new RbacRoot(id, Mode.L4));
registerRootContext(ROOT_ID_L7, (id: u32): RootContext => new RbacRoot(id, Mode.L7));
registerRootContext(ROOT_ID_CONNECT, (id: u32): RootContext => new RbacRoot(id, Mode.Connect));
