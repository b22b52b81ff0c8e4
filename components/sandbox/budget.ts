// OCI's one-second budget, seen in the sandbox: a DSM made slower than the budget (`--dsm-latency`),
// where the time of each call to the key manager went, and the lines the summary gains when the
// budget matters (a call it cut off, a call that used most of it, or an injected latency).
import type { DsmEmulator } from "../emulators/dsm";
import { OCI_EKM_BUDGET_TEXT, OCI_EKM_READ_TIMEOUT_MS, OCI_EKM_SLOW_CALL_MS } from "../oci-ekm-budget";
import type { SandboxContext } from "./context";
import type { EkmAttemptTiming, EkmCallTiming } from "./oci-ekm-call";
import type { StepFailureNotes } from "./step-runner";
import type { SandboxKeyManagerTimes, SandboxResult } from "./types";

/**
 * DSM's EKM Encrypt and Decrypt. The latency is put on these only: the calls OCI makes while it
 * creates the vault and the key references (GetVaultMetadata, GetKeyMetadata) stay on time, so that
 * the run reaches the Encrypt an application makes. A DSM that slow on every call would already fail
 * `pulumi up`, at CreateVault, with the same timeout.
 */
export const DSM_CRYPTO_PATH = /^\/oci\/ekm\/v1\/vaults\/[^/]+\/keys\/[^/]+\/(encrypt|decrypt)$/;

/** Above this a latency shows nothing more (OCI gave up long before), and timers overflow far beyond it. */
export const SANDBOX_MAX_DSM_LATENCY_MS = 60_000;

/** Why `ms` is no DSM latency the sandbox takes, or undefined when it is one: a whole number of milliseconds, 0 to 60000. */
export function dsmLatencyProblem(ms: number): string | undefined {
  if (Number.isInteger(ms) && ms >= 0 && ms <= SANDBOX_MAX_DSM_LATENCY_MS) return undefined;
  return `${ms} is not a whole number of milliseconds from 0 to ${SANDBOX_MAX_DSM_LATENCY_MS}`;
}

/** Makes DSM answer every Encrypt and Decrypt `ms` late, for the rest of the run (0: no delay). */
export function injectDsmLatency(dsm: DsmEmulator, ms: number): void {
  if (ms > 0) dsm.injectFault({ path: DSM_CRYPTO_PATH, kind: "latency", ms, times: Number.POSITIVE_INFINITY });
}

const ms = (n: number): string => `${Math.round(n)} ms`;

/**
 * One attempt: how it ended and each hop's share, e.g. `no answer after 1002 ms (read timeout):
 * private endpoint 1 ms, gateway 1 ms, DSM 1000 ms, still working when OCI gave up`.
 */
export function describeEkmAttempt(a: EkmAttemptTiming): string {
  const how =
    a.outcome === "answered" ? `HTTP ${a.status} after ${ms(a.ms)}` : a.outcome === "connection error" ? `connection error after ${ms(a.ms)} (${a.error})` : `no answer after ${ms(a.ms)} (${a.outcome})`;
  const connect = a.connectMs === undefined ? "" : ` (connecting ${ms(a.connectMs)})`;
  const dsm = { answered: "", working: ", still working when OCI gave up", "not reached": " (not reached)" }[a.hops.dsmState];
  return `${how}: private endpoint ${ms(a.hops.privateEndpoint)}${connect}, gateway ${ms(a.hops.gateway)}, DSM ${ms(a.hops.dsm)}${dsm}`;
}

/** One call, each attempt in turn: `Encrypt: attempt 1: no answer after 1002 ms (read timeout): …; attempt 2: …`. */
export function describeEkmCall(call: EkmCallTiming): string {
  if (call.attempts.length === 1) return `${call.call}: ${describeEkmAttempt(call.attempts[0])}`;
  return `${call.call}: ${call.attempts.map((a, i) => `attempt ${i + 1}: ${describeEkmAttempt(a)}`).join("; ")}`;
}

/** A failed step's note: where the time of each call that ran out of OCI's budget during the step went. */
export function keyManagerFailureNotes(ctx: SandboxContext): StepFailureNotes {
  return {
    mark: () => ctx.vaultClient?.calls.length ?? 0,
    notes: (mark) => {
      const cut = (ctx.vaultClient?.calls.slice(mark) ?? []).filter(cutOff);
      return cut.length === 0 ? undefined : `where the time went: ${cut.map(describeEkmCall).join("; ")}`;
    },
  };
}

/** OCI gave up on the call: no attempt got an answer, and at least one ran out of time (not a refused connection). */
function cutOff(call: EkmCallTiming): boolean {
  return !call.answered && call.attempts.some((a) => a.outcome === "connect timeout" || a.outcome === "read timeout");
}

/** The run's calls to the key manager, and the injected latency with the requests it delayed. */
export function keyManagerTimes(ctx: SandboxContext): SandboxKeyManagerTimes {
  const latency = ctx.options.dsmLatencyMs ?? 0;
  const delayedRequests = (ctx.dsm?.requests ?? []).filter((r) => r.fault === "latency" && DSM_CRYPTO_PATH.test(r.path)).length;
  // The replica region's OCI calls the same key manager through its own chain: its calls count too.
  return { calls: [...(ctx.vaultClient?.calls ?? []), ...(ctx.replica?.client?.calls ?? [])], ...(latency > 0 ? { dsmLatency: { ms: latency, delayedRequests } } : {}) };
}

const slowest = (c: EkmCallTiming): number => Math.max(...c.attempts.map((a) => a.ms));

/**
 * The summary's lines about OCI's budget, only when it matters: a latency was injected, a call was
 * cut off (its step's failure says where the time went), or a call that got through needed its retry
 * or more than half of the read timeout. Nothing otherwise.
 */
export function renderKeyManagerSummary(result: Pick<SandboxResult, "keyManager">): string[] {
  const { calls, dsmLatency } = result.keyManager;
  const cut = calls.filter(cutOff);
  const close = calls.filter((c) => c.answered && (c.attempts.length > 1 || slowest(c) > OCI_EKM_SLOW_CALL_MS));
  if (!dsmLatency && cut.length === 0 && close.length === 0) return [];
  const top = calls.length > 0 ? calls.reduce((a, b) => (slowest(b) > slowest(a) ? b : a)) : undefined;
  const lines = [
    `  OCI's budget           ${OCI_EKM_BUDGET_TEXT}: ${calls.length} call${calls.length === 1 ? "" : "s"} to the key manager, ${cut.length} cut off` +
      (top ? `; slowest ${top.call} ${ms(slowest(top))}` : ""),
  ];
  if (dsmLatency) lines.push(`  DSM latency            ${dsmLatency.ms} ms on Encrypt and Decrypt (--dsm-latency): ${dsmLatency.delayedRequests} requests delayed`);
  for (const c of close) {
    const why = c.attempts.length > 1 ? "answered on its retry" : `more than half of OCI's ${OCI_EKM_READ_TIMEOUT_MS} ms read timeout`;
    lines.push(`  ⚠ ${describeEkmCall(c)} (${why})`);
  }
  return lines;
}
