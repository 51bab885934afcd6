// The plugin's root context: configuration, counters, and the per-request decision shared by all modes.
import { HttpContext, LogLevel, RootContext, TcpContext, formatInt, log, setPropertyString } from "../../sdk";
import { Attributes } from "./attributes";
import { PluginConfig, parseConfig } from "./config";
import { Decision, NO_POLICY, auditMatch, decide, dryRunDenial } from "./engine";
import { explainPolicies } from "./explain";
import { Mode, modeName } from "./mode";
import { Reporter } from "./report";
import { Workload } from "./workload";
import { RbacHttpContext } from "./http-filter";
import { RbacTcpContext } from "./tcp-filter";

/** Filter state (`wasm.identity_rbac.audit_policy`) naming the AUDIT rule that matched, for access logs. */
const AUDIT_PROPERTY = "identity_rbac.audit_policy";

/** What to do with a connection or request. */
export class Verdict {
  constructor(public deny: bool, public policy: string) {}
}

export class RbacRoot extends RootContext {
  config: PluginConfig | null = null;
  reporter: Reporter | null = null;

  constructor(id: u32, public mode: Mode) {
    super(id);
  }

  onConfigure(configurationSize: u32): bool {
    const config = parseConfig(this.getPluginConfiguration(), this.mode);
    if (!config.ok) {
      log.error("identity-rbac: invalid configuration: " + config.errors.summary());
      return false;
    }
    this.config = config;
    this.reporter = new Reporter(config.statPrefix, modeName(this.mode));
    if (log.enabled(LogLevel.Info)) {
      log.info("identity-rbac: " + modeName(this.mode) + " mode, " + formatInt(config.policyCount) + " policies, " +
        formatInt(config.workloads.length) + " workload(s)" + (config.dryRun ? ", dry-run" : ""));
    }
    return true;
  }

  newTcpContext(contextId: u32): TcpContext | null {
    return this.mode == Mode.L4 && this.config !== null ? new RbacTcpContext(contextId, this) : null;
  }

  newHttpContext(contextId: u32): HttpContext | null {
    return this.mode != Mode.L4 && this.config !== null ? new RbacHttpContext(contextId, this) : null;
  }

  /** Decides, counts and logs. `malformed` is a reason to fail closed before looking at policies. */
  evaluate(attrs: Attributes, malformed: string = ""): Verdict {
    const config = this.config!;
    const reporter = this.reporter!;
    let workload: Workload | null = null;
    if (malformed.length == 0) workload = config.selectsByAddress ? config.workloadFor(attrs.destinationIp) : config.catchAll;
    if (workload === null) {
      reporter.unattributable(attrs, malformed.length > 0 ? malformed : "no-workload-for-destination", config.dryRun);
      return new Verdict(!config.dryRun, NO_POLICY);
    }
    const set = workload.policies;
    const label = workload.namespace + "/" + (workload.name.length > 0 ? workload.name : "*");
    if (log.enabled(LogLevel.Trace)) explainPolicies(set.policies, attrs, label);
    if (set.audit.length > 0) {
      const audited = auditMatch(set, attrs);
      if (audited !== null) {
        reporter.audit(audited, attrs, label);
        setPropertyString(AUDIT_PROPERTY, audited);
      }
    }
    const d: Decision = decide(set, attrs);
    if (!d.allowed && config.dryRun) {
      reporter.wouldDeny(d, attrs, label);
      return new Verdict(false, d.policy);
    }
    reporter.decision(d, attrs, label);
    if (d.allowed && set.hasDryRun) {
      const shadow = dryRunDenial(set, attrs, d);
      if (shadow !== null) reporter.wouldDeny(shadow, attrs, label);
    }
    return new Verdict(!d.allowed, d.policy);
  }
}
