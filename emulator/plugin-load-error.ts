// Why a plugin could not be created: Envoy rejects the configuration that names it.

/** The plugin could not be created; Envoy rejects the configuration (regardless of fail_open). */
export class PluginLoadError extends Error {
  /** What Envoy's filter factory throws around it. */
  readonly envoyMessage: string;
  constructor(readonly reason: string, readonly pluginName: string) {
    super(reason);
    this.name = "PluginLoadError";
    this.envoyMessage = `Unable to create Wasm plugin ${pluginName}`;
  }
}
