// OCI's time budget for the key manager, in one place: the emulated OCI applies it to every call it
// makes to the key manager (sandbox), and verify measures its own calls against it.
//
// Oracle, "How External KMS Works" (OCI Key Management documentation): "OCI enforces the following
// timeout limits: read timeout: 1 second; connection timeout: 500 milliseconds"; a request that does
// not complete within the read timeout is retried, and if it still does not succeed OCI returns a
// timeout response to the service that asked. Everything on the way (private endpoint → API gateway
// → NAT → DSM, DSM's token check and its fetch of the signing keys) has to fit in it.

/** How long OCI waits for the connection to the key manager (TCP and TLS, through the private endpoint). */
export const OCI_EKM_CONNECT_TIMEOUT_MS = 500;

/** How long OCI waits for the key manager's answer once the request is sent. */
export const OCI_EKM_READ_TIMEOUT_MS = 1000;

/** How many times OCI sends a call that got no answer in time: the call and one retry. */
export const OCI_EKM_ATTEMPTS = 2;

/**
 * A call slower than this uses most of the budget: half of the read timeout. Measured from another
 * place than OCI's (this machine), it is the point where a path is worth a look before it times out.
 */
export const OCI_EKM_SLOW_CALL_MS = OCI_EKM_READ_TIMEOUT_MS / 2;

/**
 * OCI's answer when the key manager did not answer in time. Oracle's page says OCI "returns a timeout
 * response" without naming the status or the error code: the emulated OCI answers HTTP 504, HTTP's
 * own status for an upstream that did not answer, with this code (an assumption, not Oracle's word).
 */
export const OCI_EKM_TIMEOUT_ANSWER = { status: 504, code: "GatewayTimeout" } as const;

/** The budget in words, for reports: "500 ms to connect, 1000 ms to answer, 2 attempts". */
export const OCI_EKM_BUDGET_TEXT = `${OCI_EKM_CONNECT_TIMEOUT_MS} ms to connect, ${OCI_EKM_READ_TIMEOUT_MS} ms to answer, ${OCI_EKM_ATTEMPTS} attempts`;

/**
 * The key manager did not answer within OCI's budget on any attempt. The emulated OCI turns it into
 * {@link OCI_EKM_TIMEOUT_ANSWER}; `attempts` says how each one ended.
 */
export class OciEkmTimeoutError extends Error {
  constructor(
    /** The call, e.g. `Encrypt`. */
    readonly call: string,
    /** How each attempt ended, e.g. `no answer within 1000 ms`. */
    readonly attempts: readonly string[],
  ) {
    super(`${call}: ${OciEkmTimeoutError.outcome(attempts)}`);
    this.name = "OciEkmTimeoutError";
  }

  /** `no answer within OCI's budget (…): attempt 1 no answer within 1000 ms, attempt 2 …`. */
  static outcome(attempts: readonly string[]): string {
    return `no answer within OCI's budget (${OCI_EKM_BUDGET_TEXT}): ${attempts.map((a, i) => `attempt ${i + 1} ${a}`).join(", ")}`;
  }
}
