// The plugin's root context: configuration, counters, and the per-request decision shared by all modes.
import { HttpContext, LogLevel, RootContext, TcpContext, formatInt, log } from "../../sdk";
import { IDENTITY_RBAC_AUDIT_POLICY } from "../../lib/filter-state-keys";
import { setWasmFilterState } from "../common/filter-state";
import { Attributes } from "./attributes";
import { PluginConfig, parseConfig } from "./config";
import { Decision, NO_POLICY, auditMatch, decide, dryRunDenial } from "./engine";
import { explainPolicies } from "./explain";
import { Mode, modeName } from "./mode";
import { DecisionLog } from "./decision-log";
import { ProtectedWorkload } from "./protected-workload";
import { RbacHttpContext } from "./http-stream";
import { RbacTcpContext } from "./tcp-stream";

/** What to do with a connection or request. */
export class Verdict {
  constructor(public deny: bool, public policy: string) {}
}

export class RbacRoot extends RootContext {
  config: PluginConfig | null = null;
  decisionLog: DecisionLog | null = null;

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
    this.decisionLog = new DecisionLog(config.statPrefix, modeName(this.mode));
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
    const decisionLog = this.decisionLog!;
    let workload: ProtectedWorkload | null = null;
    if (malformed.length == 0) workload = config.selectsByAddress ? config.workloadFor(attrs.destinationIp) : config.catchAll;
    if (workload === null) {
      decisionLog.unattributable(attrs, malformed.length > 0 ? malformed : "no-workload-for-destination", config.dryRun);
      return new Verdict(!config.dryRun, NO_POLICY);
    }
    const set = workload.policies;
    const label = workload.namespace + "/" + (workload.name.length > 0 ? workload.name : "*");
    if (log.enabled(LogLevel.Trace)) explainPolicies(set.policies, attrs, label);
    if (set.audit.length > 0) {
      const audited = auditMatch(set, attrs);
      if (audited !== null) {
        decisionLog.audit(audited, attrs, label);
        setWasmFilterState(IDENTITY_RBAC_AUDIT_POLICY, audited); // names the AUDIT rule that matched, for access logs
      }
    }
    const d: Decision = decide(set, attrs);
    if (!d.allowed && config.dryRun) {
      decisionLog.wouldDeny(d, attrs, label);
      return new Verdict(false, d.policy);
    }
    decisionLog.decision(d, attrs, label);
    if (d.allowed && set.hasDryRun) {
      const shadow = dryRunDenial(set, attrs, d);
      if (shadow !== null) decisionLog.wouldDeny(shadow, attrs, label);
    }
    return new Verdict(!d.allowed, d.policy);
  }
}
