import type { Envoy } from "../../envoy/provision.ts";
import type { Placement } from "./measure.ts";
export async function measureModuleCost(_e: Envoy, _p: Placement, _log: (s: string) => void): Promise<{ summary: string }> {
  return { summary: "todo" };
}
