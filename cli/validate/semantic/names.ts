// Listener and cluster names must be unique; a listener needs an address or `internal_listener`; two bound
// listeners cannot share one socket address.
import { child, fail, stringField, type SemanticContext } from "./located.ts";
import type { BootstrapModel } from "./model.ts";

function duplicates<T extends { name: string | undefined }>(entries: T[], each: (entry: T, first: T) => void): void {
  const seen = new Map<string, T>();
  for (const e of entries) {
    if (e.name === undefined || e.name === "") continue;
    const first = seen.get(e.name);
    if (first) each(e, first);
    else seen.set(e.name, e);
  }
}

export function checkNames(model: BootstrapModel, ctx: SemanticContext): void {
  duplicates(model.listeners, (l, first) => fail(ctx, child(l.loc, "name")!, `duplicate listener name "${l.name}" (also ${first.loc.path})`));
  duplicates(model.clusters, (c, first) => fail(ctx, child(c.loc, "name")!, `duplicate cluster name "${c.name}" (also ${first.loc.path})`));
}

export function checkListenerAddresses(model: BootstrapModel, ctx: SemanticContext): void {
  const bound = new Map<string, string>();
  for (const l of model.listeners) {
    const address = child(l.loc, "address");
    if (!address && !l.internal) {
      fail(ctx, l.loc, `listener "${l.name ?? ""}" needs an address, or internal_listener for an internal listener`);
      continue;
    }
    if (address && l.internal) fail(ctx, address, `listener "${l.name ?? ""}" has both an address and internal_listener`);
    const bindToPort = child(l.loc, "bind_to_port");
    if (!address || (bindToPort && bindToPort.value === false)) continue;
    const socket = child(address, "socket_address");
    if (!socket) continue;
    const port = child(socket, "port_value")?.value;
    if (port === undefined || Number(port) === 0) continue;
    const key = `${stringField(socket, "protocol") ?? "TCP"} ${stringField(socket, "address") ?? ""}:${port}`;
    const first = bound.get(key);
    if (first) fail(ctx, socket, `listener "${l.name ?? ""}" binds ${key}, already bound by ${first}`);
    else bound.set(key, `listener "${l.name ?? ""}"`);
  }
}
