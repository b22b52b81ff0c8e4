// How Oracle's TypeScript SDK (oci-keymanagement over oci-common) is made to trust the emulator's test
// CA, found in the SDK's code and checked against the emulator:
//   - oci-common sends with the global `fetch` (isomorphic-fetch installs node-fetch only where there is
//     none; Node 18+ has its own, undici's), so an `https.Agent` in `httpOptions.agent` (what the
//     SDK itself does for OKE workload identity) is ignored on Node 20: the CA is not trusted;
//   - `NODE_EXTRA_CA_CERTS` is read once at process start, too early for a CA made at run time;
//   - `httpOptions` is passed to `fetch(request, httpOptions)` as is, and Node's fetch takes an undici
//     `dispatcher` there: an undici Agent whose `connect.ca` is the CA is trusted, for that client only;
//   - but with a circuit breaker (on by default) and `httpOptions` both set, oci-common's
//     FetchHttpClient hands the breaker's wrapped result (`{ response }`) on unwrapped, and every call
//     fails with an empty error: the client's circuit breaker is turned off
//     (`disableClientCircuitBreaker`, an option of the SDK's CircuitBreaker).
import { CircuitBreaker, type ClientConfiguration } from "oci-common";
import { Agent } from "undici";

/** A client configuration for Oracle's SDK that trusts one CA, and how to release its connections. */
export interface OciSdkTrust {
  /** Give to a client: `new KmsCryptoClient({ authenticationDetailsProvider }, trust.clientConfiguration)`. */
  clientConfiguration: ClientConfiguration;
  /** Closes the kept-alive connections (after the clients' own `close()`). */
  close(): Promise<void>;
}

/**
 * A `ClientConfiguration` under which the SDK's clients trust `caCertPem` and only it (the emulator's
 * test CA), without touching the process's other HTTPS clients.
 */
export function ociSdkTrustingCa(caCertPem: string): OciSdkTrust {
  const dispatcher = new Agent({ connect: { ca: caCertPem } });
  return {
    clientConfiguration: {
      httpOptions: { dispatcher },
      circuitBreaker: new CircuitBreaker({ disableClientCircuitBreaker: true }),
    },
    close: () => dispatcher.close(),
  };
}
