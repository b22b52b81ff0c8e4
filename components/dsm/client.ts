// The Fortanix DSM REST transport: one module over axios, shared by the dynamic providers and the
// verify library: the client, its retries and its errors. Credentials are in credentials.ts, the
// per-process sessions in session.ts, the error shape in errors.ts, and the operations in api.ts.
//
// Serialization note: the dynamic providers reference this module, so the Pulumi closure serializer
// may capture it by value. Nothing at module level may hold a credential, a token or a live object:
// the per-process session cache lives on `globalThis` under a registered symbol and is only touched
// from inside functions.
import axios from "axios";
import { dsmCredentialsFromEnv, dsmEndpointProblem, normalizeDsmEndpoint, type DsmCredentials } from "./credentials";
import { dsmApiError, dsmMessageOf, isDsmApiError, type DsmApiError } from "./errors";
import {
  dsmAgentFor,
  dsmInvalidateSession,
  dsmOpenSession,
  dsmSessionEntityId,
  dsmSessionSelectedAt,
  dsmSessionToken,
  dsmTakeSessionToken,
} from "./session";

// What this module exported before its credentials, sessions and errors moved out: still here.
export {
  type DsmCredentials,
  type DsmCredentialSettings,
  dsmCredentialsFromEnv,
  dsmEndpointProblem,
  normalizeDsmEndpoint,
  resolveDsmCredentials,
} from "./credentials";
export { type DsmApiError, type DsmErrorKind, dsmApiError, dsmMessageOf, isDsmApiError, isDsmNotFound, isDsmStatus } from "./errors";
export { resetDsmSessions } from "./session";

/** Retry, timeout and budget settings of {@link DsmClient}. */
export interface DsmClientOptions {
  /** Per-request timeout, milliseconds. Default: 30 000. */
  timeoutMs?: number;
  /** Attempts per operation, first one included. Default: 6. */
  maxAttempts?: number;
  /** Total time an operation may spend retrying, milliseconds. Default: 60 000. */
  maxElapsedMs?: number;
  /** First backoff delay, doubled after each retry, milliseconds. Default: 500. */
  baseDelayMs?: number;
  /** Largest backoff delay (a `Retry-After` may ask for more, within `maxElapsedMs`), milliseconds. Default: 8 000. */
  maxDelayMs?: number;
}

/**
 * How long after `select_account` a refusal (401/403) is taken for the account switch not being
 * in effect yet ("it may take several seconds for the new Account to become the default one
 * selected", Fortanix's API document) and retried, milliseconds.
 */
const ACCOUNT_SELECTION_GRACE_MS = 15_000;

/** One DSM REST call, as {@link DsmClient.request} takes it. */
export interface DsmRequest {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  operation: string;
  object: string;
  /**
   * For non-idempotent POSTs (create, rekey): called before a retry when the failed attempt may have
   * been carried out (network error, timeout, 5xx). A value found there is the result of that attempt,
   * and no second POST is sent.
   */
  recover?: () => Promise<unknown>;
  /** Session calls authenticate themselves. */
  auth?: { header: string };
}

interface DsmRawResponse {
  status: number;
  headers: Record<string, unknown>;
  text: string;
}

const TLS_ERROR_CODES = [
  "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "ERR_TLS_CERT_ALTNAME_INVALID", "CERT_UNTRUSTED",
  "EPROTO", "ERR_SSL_WRONG_VERSION_NUMBER",
];

/**
 * Client of the DSM management API. Authenticates once per process per endpoint and credential
 * (`POST /sys/v1/session/auth`, then `select_account` for a user login), renews the session once on
 * a 401 or shortly before it expires, retries 429 (honouring `Retry-After`), 502/503/504 and network
 * errors with exponential backoff and jitter within a bounded number of attempts and total time, and
 * never retries another 4xx. TLS is always verified (`caBundle` adds trusted CAs). The operations
 * (groups, apps, security objects) are the functions of `./api` over it.
 */
export class DsmClient {
  /** The DSM base URL this client talks to (no trailing slash). */
  readonly endpoint: string;
  // Not `#private`: the closure serializer cannot re-create classes with private names. Non-enumerable
  // instead, so that logging or JSON-serializing a client never shows the credential.
  private declare readonly credentials: DsmCredentials;
  private declare readonly options: Required<DsmClientOptions>;

  constructor(credentials: DsmCredentials, options: DsmClientOptions = {}) {
    const problem = dsmEndpointProblem(credentials.endpoint);
    if (problem) throw dsmApiError(`DSM endpoint ${problem}`, "config", "configure", "credentials");
    if (credentials.apiKey === undefined && (credentials.username === undefined || credentials.password === undefined || credentials.acctId === undefined)) {
      throw dsmApiError(
        "DSM credentials incomplete: give apiKey, or username + password + acctId",
        "config", "configure", "credentials",
      );
    }
    this.endpoint = normalizeDsmEndpoint(credentials.endpoint);
    Object.defineProperty(this, "credentials", { value: { ...credentials, endpoint: this.endpoint }, enumerable: false });
    Object.defineProperty(this, "options", {
      value: {
        timeoutMs: options.timeoutMs ?? 30_000,
        maxAttempts: Math.max(1, options.maxAttempts ?? 6),
        maxElapsedMs: options.maxElapsedMs ?? 60_000,
        baseDelayMs: options.baseDelayMs ?? 500,
        maxDelayMs: options.maxDelayMs ?? 8_000,
      },
      enumerable: false,
    });
  }

  /** A client from {@link dsmCredentialsFromEnv}. */
  static fromEnv(options: DsmClientOptions = {}, env: Record<string, string | undefined> = process.env): DsmClient {
    return new DsmClient(dsmCredentialsFromEnv(env), options);
  }

  // ---- sessions ----------------------------------------------------------------------------------

  /** Opens (or reuses) this process's session for this endpoint and credential. */
  async authenticate(): Promise<void> {
    await this.sessionToken();
  }

  /**
   * The app or user id this client's session acts as (`entity_id` of DSM's authentication answer,
   * which the document requires), opening the session if none is open; undefined if DSM gave none.
   * DSM names it as the `creator` of what the session creates.
   */
  async sessionEntityId(): Promise<string | undefined> {
    await this.sessionToken();
    return dsmSessionEntityId(this.credentials);
  }

  /** `POST /sys/v1/session/terminate` for this credential's session, if one is open. */
  async terminateSession(): Promise<void> {
    const token = dsmTakeSessionToken(this.credentials);
    if (token === undefined) return;
    await this.send({
      method: "POST", path: "/sys/v1/session/terminate", operation: "end session", object: this.endpoint, auth: { header: `Bearer ${token}` },
    });
  }

  /** This credential's session token, the session opened through this client's transport if none is open. */
  private async sessionToken(): Promise<string> {
    return dsmSessionToken(this.credentials, () => dsmOpenSession(this.credentials, (spec, extraSecrets) => this.send(spec, extraSecrets)));
  }

  // ---- transport ---------------------------------------------------------------------------------

  /**
   * One DSM REST call with this client's session (opened on first use, renewed once on a 401) and
   * retries; resolves with the parsed JSON answer (undefined for an empty 2xx), or throws a
   * {@link DsmApiError}.
   */
  async request<T = unknown>(spec: DsmRequest): Promise<T> {
    let renewed = false;
    let waitMs = 250;
    let waited = false;
    for (;;) {
      const token = await this.sessionToken();
      try {
        const text = await this.send({ ...spec, auth: { header: `Bearer ${token}` } }, [token]);
        return (text === "" ? undefined : this.parseAnswer(text, spec, [token])) as T;
      } catch (err) {
        const refused = isDsmApiError(err) && (err.status === 401 || err.status === 403);
        const selectedAt = refused ? this.selectedAt(token) : undefined;
        if (refused && selectedAt !== undefined && (waited || Date.now() - selectedAt < ACCOUNT_SELECTION_GRACE_MS)) {
          // A user session just switched to its account: DSM may not apply it for a few seconds.
          if (Date.now() - selectedAt + waitMs <= ACCOUNT_SELECTION_GRACE_MS) {
            await new Promise((resolve) => setTimeout(resolve, waitMs));
            waitMs = Math.min(waitMs * 2, 2_000);
            waited = true;
            continue;
          }
          const e = err as DsmApiError;
          throw dsmApiError(
            `${e.message}; DSM selected the account ${String(this.credentials.acctId)} for this session ${Math.round((Date.now() - selectedAt) / 1000)} s ago ` +
              "and still refuses. select_account can take several seconds to take effect; if this persists, check DSM_ACCT_ID (dsm:acctId) and " +
              "that the user is a member of that account with the rights this operation needs",
            e.kind, e.operation, e.object, e.status, e.dsmMessage, e.attempts,
          );
        }
        // One renewal per call: a second 401 right after a fresh session is a real refusal.
        if (isDsmApiError(err) && err.status === 401 && !renewed) {
          renewed = true;
          dsmInvalidateSession(this.credentials, token);
          continue;
        }
        throw err;
      }
    }
  }

  /** When the session of `token` selected its account (a user login), else undefined. */
  private selectedAt(token: string): number | undefined {
    return dsmSessionSelectedAt(this.credentials, token);
  }

  /** One operation with retries; resolves with the response text of a 2xx. */
  private async send(spec: DsmRequest, extraSecrets: string[] = []): Promise<string> {
    const o = this.options;
    const started = Date.now();
    let lastFailure: DsmApiError | undefined;
    for (let attempt = 1; ; attempt += 1) {
      if (attempt > 1 && spec.recover) {
        const status = lastFailure?.status;
        if (status !== 429) {
          const recovered = await spec.recover();
          if (recovered !== undefined) return JSON.stringify(recovered);
        }
      }
      const result = await this.attempt(spec, extraSecrets, attempt);
      if (!(isDsmApiError(result))) return result.text;
      lastFailure = result;
      const retryable = result.kind === "network" || (result.status !== undefined && [429, 502, 503, 504].includes(result.status));
      if (!retryable) throw result;
      if (attempt >= o.maxAttempts) throw this.exhausted(result, attempt, "attempts");
      const backoff = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
      // "Equal jitter": never less than half the backoff, so retries stay spread out but bounded.
      let delay = backoff / 2 + Math.random() * (backoff / 2);
      const retryAfter = dsmRetryAfterMs(result.retryAfter);
      if (retryAfter !== undefined) delay = Math.max(delay, retryAfter);
      if (Date.now() - started + delay > o.maxElapsedMs) throw this.exhausted(result, attempt, "time");
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  private exhausted(last: DsmApiError, attempts: number, why: "attempts" | "time"): DsmApiError {
    const budget = why === "attempts"
      ? `gave up after ${attempts} attempts`
      : `gave up after ${attempts} attempt${attempts === 1 ? "" : "s"}: the next retry would exceed the ${Math.round(this.options.maxElapsedMs / 1000)} s retry budget`;
    return dsmApiError(`${last.message}; ${budget}`, last.kind, last.operation, last.object, last.status, last.dsmMessage, attempts);
  }

  private async attempt(spec: DsmRequest, extraSecrets: string[], attempt: number): Promise<DsmRawResponse | (DsmApiError & { retryAfter?: unknown })> {
    const where = `${spec.method} ${spec.path}`;
    const redact = (s: string): string => this.redact(s, extraSecrets);
    let response: DsmRawResponse;
    try {
      const r = await axios.request<string>({
        baseURL: this.endpoint,
        url: spec.path,
        method: spec.method,
        params: spec.query,
        headers: {
          Authorization: spec.auth?.header ?? "",
          Accept: "application/json",
          "User-Agent": "oci-ekm-fortanix",
          ...(spec.body !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        data: spec.body !== undefined ? JSON.stringify(spec.body) : undefined,
        timeout: this.options.timeoutMs,
        responseType: "text",
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
        maxRedirects: 0,
        httpsAgent: dsmAgentFor(this.credentials.caBundle),
      });
      response = { status: r.status, headers: r.headers as Record<string, unknown>, text: typeof r.data === "string" ? r.data : String(r.data ?? "") };
    } catch (err) {
      if (isDsmApiError(err)) throw err;
      const e = err as { code?: string; message?: string; cause?: { code?: string } };
      const code = e.code ?? e.cause?.code ?? "error";
      const detail = redact(String(e.message ?? code));
      if (TLS_ERROR_CODES.includes(code) || /certificate|self[- ]signed|SSL|TLS/i.test(detail)) {
        return dsmApiError(
          `DSM ${spec.operation} ${spec.object} failed: TLS verification of ${this.endpoint} failed (${code}: ${detail}). ` +
            "For an on-premises DSM with a private CA, set DSM_CA_BUNDLE (or stack config dsm:caBundle) to the CA certificate (PEM) (" + where + ")",
          "tls", spec.operation, spec.object, undefined, undefined, attempt,
        );
      }
      const what = code === "ECONNABORTED" || code === "ETIMEDOUT" ? `no answer within ${this.options.timeoutMs} ms` : `network error ${code} (${detail})`;
      return dsmApiError(
        `DSM ${spec.operation} ${spec.object} failed: ${what} contacting ${this.endpoint} (${where})`,
        "network", spec.operation, spec.object, undefined, undefined, attempt,
      );
    }
    if (response.status >= 200 && response.status < 300) return response;
    const message = redact(dsmMessageOf(response.text));
    const error: DsmApiError & { retryAfter?: unknown } = dsmApiError(
      `DSM ${spec.operation} ${spec.object} failed: HTTP ${response.status}${message ? ` "${message}"` : ""} (${where})`,
      "http", spec.operation, spec.object, response.status, message, attempt,
    );
    Object.defineProperty(error, "retryAfter", { value: response.headers["retry-after"], enumerable: false });
    return error;
  }

  /** A 2xx answer's JSON; the error for anything else names the call and shows the body redacted. */
  private parseAnswer(text: string, spec: DsmRequest, extraSecrets: string[]): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw dsmApiError(
        `DSM ${spec.operation} ${spec.object} failed: the answer is not JSON: ${this.redact(text, extraSecrets).slice(0, 200)} (${spec.method} ${spec.path})`,
        "http", spec.operation, spec.object,
      );
    }
  }

  private redact(text: string, extraSecrets: string[]): string {
    const c = this.credentials;
    // A user login travels as Basic base64(user:password): that form is a credential too.
    const basicLogin = c.username !== undefined && c.password !== undefined ? Buffer.from(`${c.username}:${c.password}`).toString("base64") : undefined;
    const secrets = [c.apiKey, c.password, basicLogin, ...extraSecrets].filter((s): s is string => s !== undefined && s.length >= 4);
    if (c.apiKey !== undefined) {
      const decoded = Buffer.from(c.apiKey, "base64").toString("utf8");
      const secret = decoded.includes(":") ? decoded.slice(decoded.indexOf(":") + 1) : "";
      if (secret.length >= 4) secrets.push(secret);
    }
    let out = text;
    for (const s of secrets) out = out.split(s).join("[redacted]");
    return out;
  }
}

/** `Retry-After` (seconds or HTTP date) in milliseconds, or undefined. */
export function dsmRetryAfterMs(header: unknown, now: number = Date.now()): number | undefined {
  if (typeof header !== "string" || header.trim() === "") return undefined;
  const v = header.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
