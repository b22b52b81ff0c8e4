// How verify words a call that failed: what came back, and the fix of an Identity Domain call that
// got no answer. Shared by the source region's checks (run.ts) and the replica region's (replica.ts).
import { EkmNetworkError, ekmTlsFix, ekmTlsProblem } from "./http";
import { EkmHttpStatusError } from "./oidc";

/** What a failed call found: the status and body, or the network error with its code. */
export function describeFailure(err: unknown): string {
  if (err instanceof EkmHttpStatusError) return `${err.status} ${err.body}`.trim();
  // The code is what a user searches for, and what the fix names.
  if (err instanceof EkmNetworkError && !err.message.includes(err.code)) return `${err.message} (${err.code})`;
  return (err as Error).message ?? String(err);
}

const DOMAIN_NAME_FIX = "give --domain-url (stack output identityDomainUrl) the host name its certificate carries";

/** The fix of a call to the Identity Domain that got no answer: TLS advice when TLS failed, else `otherwise`. */
export function networkFix(err: unknown, otherwise: string): string {
  const tls = ekmTlsProblem(err);
  return tls ? ekmTlsFix(tls, DOMAIN_NAME_FIX) : otherwise;
}
