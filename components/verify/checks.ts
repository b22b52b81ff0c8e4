// The shape of one link check in the verification chain, shared by every verify module.

/** Outcome of one check: passed, failed, or not run (with the reason in `why`). A rotated key is a passed check with `rotation`. */
export type EkmCheckStatus = "passed" | "failed" | "skipped";

/**
 * One link of the chain OCI Vault → Identity Domain → API Gateway → DSM, checked the way the real
 * caller checks it. `expected` and `found` are human-readable values; `fix` says, in the user's
 * words, what to change when the check failed. Never holds a secret or a token.
 */
export interface EkmCheckResult {
  /** Stable check name, e.g. `token-audience-dsm`. */
  name: string;
  /** What the check is about when it is repeated per object, e.g. the DSM key name. */
  subject?: string;
  /** `passed`, `failed` or `skipped`. */
  status: EkmCheckStatus;
  /** True only when the check ran and passed. */
  ok: boolean;
  /** What a working setup has. */
  expected: string;
  /** What the check found (or, for a skipped check, an empty string). */
  found: string;
  /** What to change, in the user's words: on failed checks, and on a passed check that asks for a follow-up (a rotated key). */
  fix?: string;
  /** Why the check did not run (skipped checks only). */
  why?: string;
  /** Set on `dsm-key-rotated`: the key works, but the stack's outputs name a version DSM rotated away. */
  rotation?: EkmKeyRotation;
}

/** A key rotated since the stack's outputs were written. */
export interface EkmKeyRotation {
  /** The kid the outputs (`dsmKeyIds`) name. */
  previousKid: string;
  /** Its name now, `<name> (rotated at <timestamp>)`. */
  previousName: string;
  /** The kid now under the key's name. */
  currentKid: string;
  /** When the current version was made (ISO 8601), when DSM says. */
  since?: string;
}

/** A passed check. */
export function ekmCheckPassed(name: string, expected: string, found: string, subject?: string): EkmCheckResult {
  return { name, ...(subject !== undefined ? { subject } : {}), status: "passed", ok: true, expected, found };
}

/** A failed check with its fix. */
export function ekmCheckFailed(name: string, expected: string, found: string, fix: string, subject?: string): EkmCheckResult {
  return { name, ...(subject !== undefined ? { subject } : {}), status: "failed", ok: false, expected, found, fix };
}

/** A check that did not run, and why. */
export function ekmCheckSkipped(name: string, expected: string, why: string, subject?: string): EkmCheckResult {
  return { name, ...(subject !== undefined ? { subject } : {}), status: "skipped", ok: false, expected, found: "", why };
}

/** A passed or failed check depending on `ok`. */
export function ekmCheck(
  ok: boolean,
  name: string,
  expected: string,
  found: string,
  fix: string,
  subject?: string,
): EkmCheckResult {
  return ok ? ekmCheckPassed(name, expected, found, subject) : ekmCheckFailed(name, expected, found, fix, subject);
}
