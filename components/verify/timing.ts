// How long each of verify's calls on OCI's chain took from where verify runs, against OCI's budget for
// the key manager (components/oci-ekm-budget.ts): the Identity Domain (discovery, signing keys,
// token) and the vault URL (GetKeyMetadata through the private endpoint and the gateway to DSM). A
// call that takes more than half of OCI's read timeout is flagged: from here it already uses most of
// what OCI allows a call to the key manager (and DSM fetches the same signing keys while it answers).
import { performance } from "node:perf_hooks";
import { OCI_EKM_BUDGET_TEXT, OCI_EKM_READ_TIMEOUT_MS, OCI_EKM_SLOW_CALL_MS } from "../oci-ekm-budget";

/** One call verify made and how long it took, answered or not. */
export interface EkmCallTime {
  /** The check that made the call: `discovery`, `jwks`, `token`, `ekm-key-metadata`. */
  call: string;
  /** The key, for `ekm-key-metadata`. */
  subject?: string;
  /** Milliseconds, rounded. */
  ms: number;
  /** More than half of OCI's read timeout ({@link OCI_EKM_SLOW_CALL_MS}). */
  slow: boolean;
}

/** Runs `run` and adds its time to `times`, whether it answered or threw. */
export async function timedEkmCall<T>(times: EkmCallTime[], call: string, run: () => Promise<T>, subject?: string): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    const ms = Math.round(performance.now() - started);
    times.push({ call, ...(subject !== undefined ? { subject } : {}), ms, slow: ms > OCI_EKM_SLOW_CALL_MS });
  }
}

const label = (t: EkmCallTime): string => (t.subject ? `${t.call} [${t.subject}]` : t.call);

/** One warning per slow call: `⚠ token: 612 ms from this machine, more than half of …`. */
export function ekmSlowCallWarnings(times: readonly EkmCallTime[]): string[] {
  return times
    .filter((t) => t.slow)
    .map(
      (t) =>
        `⚠ ${label(t)}: ${t.ms} ms from this machine, more than half of the ${OCI_EKM_READ_TIMEOUT_MS} ms OCI gives the key manager to answer ` +
        "(over it OCI retries once, then fails the operation): measure from a host in the VCN, and look at the distance to DSM",
    );
}

/** The report's lines: each call's time on one line, then a warning per slow call. None without calls. */
export function renderEkmCallTimes(times: readonly EkmCallTime[]): string[] {
  if (times.length === 0) return [];
  return [`time per call (OCI's budget for the key manager: ${OCI_EKM_BUDGET_TEXT}): ${times.map((t) => `${label(t)} ${t.ms} ms`).join(", ")}`, ...ekmSlowCallWarnings(times)];
}
