// A TLS client that trusts a CA bundle besides the public roots. Given `ca`, Node builds a new
// secure context for every connection and parses every one of the ~140 public roots again: 31 ms of
// CPU per connection on a two-core machine (measured with tls.createSecureContext), more than the
// rest of a loopback request. Built once per bundle and handed to each connection as
// `secureContext`, that is paid once per process.
import { createSecureContext, rootCertificates, type SecureContext } from "node:tls";

/** Bundles remembered at most: a long-lived process (a test run, many sandboxes) meets a new CA per sandbox. */
export const TRUSTED_CONTEXTS_KEPT = 16;

const contexts = new Map<string, SecureContext>();

/** The secure context trusting the public roots and `caPem` (one PEM or several), once per bundle (the last {@link TRUSTED_CONTEXTS_KEPT}). */
export function secureContextTrusting(caPem: string): SecureContext {
  let context = contexts.get(caPem);
  if (context === undefined) {
    context = createSecureContext({ ca: [...rootCertificates, caPem] });
    if (contexts.size >= TRUSTED_CONTEXTS_KEPT) contexts.delete(contexts.keys().next().value as string);
    contexts.set(caPem, context);
  }
  return context;
}
