// Counters and decision log lines. Counters are fixed names (no per-policy or per-peer labels, so the stat
// count stays constant): <statPrefix>.allowed / .denied / .dry_run_denied / .audited.
// Log lines name the deciding rule as Istio's RBAC does: policy=ns[<ns>]-policy[<name>]-rule[<n>] (or none).
import { Counter, LogLevel, log } from "../../sdk";
import { Attributes } from "./attributes";
import { Decision } from "./engine";

export class DecisionLog {
  allowed: Counter;
  denied: Counter;
  dryRunDenied: Counter;
  audited: Counter;

  constructor(public statPrefix: string, public modeName: string) {
    this.allowed = new Counter(statPrefix + ".allowed");
    this.denied = new Counter(statPrefix + ".denied");
    this.dryRunDenied = new Counter(statPrefix + ".dry_run_denied");
    this.audited = new Counter(statPrefix + ".audited");
  }

  /** Describes the connection; only called once a log line is going to be written. */
  private context(attrs: Attributes, workload: string): string {
    const peer = attrs.peerUri;
    const source = attrs.source;
    return " mode=" + this.modeName + " workload=" + workload + " peer=" + (peer === null ? "-" : peer) +
      " source=" + (source === null ? "-" : source.toString()) + " destination=" + attrs.destinationText();
  }

  private line(level: LogLevel, verdict: string, policy: string, attrs: Attributes, workload: string, reason: string = ""): void {
    if (!log.enabled(level)) return;
    let text = "identity-rbac: " + verdict + " policy=" + policy + this.context(attrs, workload);
    if (reason.length > 0) text += " reason=" + reason;
    if (level == LogLevel.Debug) log.debug(text);
    else log.info(text);
  }

  /** Enforced outcome: allowed at debug level, denied at info. */
  decision(d: Decision, attrs: Attributes, workload: string): void {
    if (d.allowed) {
      this.allowed.increment();
      this.line(LogLevel.Debug, "allowed", d.policy, attrs, workload);
    } else {
      this.denied.increment();
      this.line(LogLevel.Info, "denied", d.policy, attrs, workload);
    }
  }

  /** A denial that dry-run (plugin-wide or an istio.io/dry-run policy) did not enforce. */
  wouldDeny(d: Decision, attrs: Attributes, workload: string): void {
    this.dryRunDenied.increment();
    this.line(LogLevel.Info, "dry-run-denied", d.policy, attrs, workload);
  }

  audit(policy: string, attrs: Attributes, workload: string): void {
    this.audited.increment();
    this.line(LogLevel.Info, "audited", policy, attrs, workload);
  }

  /** The request cannot be attributed to a configured workload (or its destination is unreadable): fail closed. */
  unattributable(attrs: Attributes, reason: string, dryRun: bool): void {
    if (dryRun) this.dryRunDenied.increment();
    else this.denied.increment();
    this.line(LogLevel.Info, dryRun ? "dry-run-denied" : "denied", "none", attrs, "-", reason);
  }
}
