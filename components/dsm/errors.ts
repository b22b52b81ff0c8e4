// Errors of the Fortanix DSM client: one plain-Error shape for every failure, with predicates a
// caller branches on, and DSM's own message read from an answer.
//
// Serialization note: the dynamic providers reference this module, so the Pulumi closure serializer
// may capture it by value. Nothing at module level may hold a credential, a token or a live object,
// and no `export const` is used from a function (a copied function cannot resolve `exports.NAME`).

/** What went wrong, in categories a caller can branch on. */
export type DsmErrorKind = "http" | "network" | "tls" | "auth" | "config";

/**
 * A failed DSM operation. The message names the operation, the object, the HTTP status and DSM's own
 * message; it never contains a credential or a session token (they are redacted if DSM echoes them).
 *
 * A plain `Error` with these fields, not a subclass: Pulumi's serializer copies the provider's code
 * by value when this library is not an installed package, and a copied `Error` subclass loses its
 * prototype chain and its message (pulumi/pulumi#10974). Recognise one with {@link isDsmApiError}.
 */
export interface DsmApiError extends Error {
  readonly name: "DsmApiError";
  /** Category of the failure. */
  readonly kind: DsmErrorKind;
  /** What was attempted, e.g. `create security object`. */
  readonly operation: string;
  /** The object, e.g. `"test-aes-key"`. */
  readonly object: string;
  /** HTTP status DSM answered, when it answered. */
  readonly status?: number;
  /** DSM's message (JSON `message` or plain text), redacted. */
  readonly dsmMessage?: string;
  /** Attempts made. */
  readonly attempts: number;
}

/** Makes a {@link DsmApiError}. */
export function dsmApiError(
  message: string,
  kind: DsmErrorKind,
  operation: string,
  object: string,
  status?: number,
  dsmMessage?: string,
  attempts = 1,
): DsmApiError {
  const err = new Error(message);
  err.name = "DsmApiError";
  return Object.assign(err, { kind, operation, object, attempts, ...(status !== undefined ? { status } : {}), ...(dsmMessage !== undefined ? { dsmMessage } : {}) }) as DsmApiError;
}

/** True when `err` is a {@link DsmApiError}, whichever copy of this module made it (no `instanceof`). */
export function isDsmApiError(err: unknown): err is DsmApiError {
  const e = err as Partial<DsmApiError> | null | undefined;
  return typeof e === "object" && e !== null && e.name === "DsmApiError" && typeof e.kind === "string" && typeof e.message === "string";
}

/** True when `err` is a DSM "not found" answer (HTTP 404). */
export function isDsmNotFound(err: unknown): boolean {
  return isDsmApiError(err) && err.kind === "http" && err.status === 404;
}

/** True when `err` is a DSM answer with this HTTP status. */
export function isDsmStatus(err: unknown, ...statuses: number[]): boolean {
  return isDsmApiError(err) && err.status !== undefined && statuses.includes(err.status);
}

/** DSM's error message from a JSON `{"message"}` body or a plain-text body, shortened. */
export function dsmMessageOf(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  try {
    const parsed = JSON.parse(trimmed) as unknown;
    if (typeof parsed === "string") return parsed.slice(0, 500);
    if (parsed && typeof parsed === "object" && typeof (parsed as { message?: unknown }).message === "string") {
      return ((parsed as { message: string }).message).slice(0, 500);
    }
  } catch {
    // plain text
  }
  return trimmed.slice(0, 500);
}
