// Checks Envoy makes while it builds listeners, clusters and Wasm plugins from a schema-valid bootstrap.
import { checkFilterChains } from "./filter-chains.ts";
import { checkOriginalDstClusters } from "./clusters.ts";
import type { JsonObject, SemanticContext } from "./located.ts";
import { buildModel } from "./model.ts";
import { checkListenerAddresses, checkNames } from "./names.ts";
import { checkClusterReferences, checkInternalListeners } from "./references.ts";
import { checkRemoteAddress } from "./remote-address.ts";
import { checkWasmPlugins } from "./wasm.ts";

export type { SemanticContext } from "./located.ts";

export async function checkSemantics(config: JsonObject, ctx: SemanticContext): Promise<void> {
  const model = buildModel(config);
  checkNames(model, ctx);
  checkListenerAddresses(model, ctx);
  checkClusterReferences(model, ctx);
  checkInternalListeners(model, ctx);
  checkOriginalDstClusters(model, ctx);
  checkFilterChains(model, ctx);
  checkRemoteAddress(model, ctx);
  await checkWasmPlugins(model, ctx);
}
