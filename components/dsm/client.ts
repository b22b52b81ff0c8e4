// The Fortanix DSM REST transport: credentials, one session per process, retries, errors; one
// module over axios, shared by the dynamic providers and the verify library. The operations are in
// api.ts.
//
// Serialization note: the dynamic providers reference this module, so the Pulumi closure serializer
// may capture it by value. Nothing at module level may hold a credential, a token or a live object:
// the per-process session cache lives on `globalThis` under a registered symbol and is only touched
// from inside functions.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as https from "node:https";
import { rootCertificates } from "node:tls";
import axios from "axios";

/** Where and how to authenticate to DSM. Holds secrets: never log it, never pass it to a resource. */
export interface DsmCredentials {
  /** DSM base URL, e.g. `https://amer.smartkey.io`. `http://` is accepted for loopback hosts only (emulators). */
  endpoint: string;
  /** API key of an (administrative) app: base64 of `<app_id>:<secret>`. Takes precedence over a user login. */
  apiKey?: string;
  /** User login (with `password` and `acctId`), used when no `apiKey` is given. */
  username?: string;
  /** Password of `username`. */
  password?: string;
  /** Account UUID selected after a user login (required even with a single account). */
  acctId?: string;
  /** Extra CA certificates trusted for `endpoint` (PEM text, or a path to a PEM file), for on-premises DSM. Default: system roots only. */
  caBundle?: string;
}

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

/**
 * Reads DSM credentials the way the Fortanix Terraform provider does: `DSM_ENDPOINT`, then `DSM_API_KEY`
 * or `DSM_USERNAME` + `DSM_PASSWORD` + `DSM_ACCT_ID`; plus `DSM_CA_BUNDLE` (PEM or path). Throws an
 * error naming the missing variables (never their values).
 */
export function dsmCredentialsFromEnv(env: Record<string, string | undefined> = process.env): DsmCredentials {
  return resolveDsmCredentials({}, env);
}

/** Settings from which credentials are assembled: explicit values first, then the environment. */
export interface DsmCredentialSettings {
  endpoint?: string;
  apiKey?: string;
  username?: string;
  password?: string;
  acctId?: string;
  caBundle?: string;
}

/**
 * Assembles credentials from explicit settings (e.g. stack config `dsm:*`) falling back to the
 * environment variable of the same meaning. An API key wins over a user login. Throws an error
 * naming what is missing.
 */
export function resolveDsmCredentials(
  settings: DsmCredentialSettings,
  env: Record<string, string | undefined> = process.env,
): DsmCredentials {
  const pick = (value: string | undefined, name: string): string | undefined => {
    const v = value !== undefined && value.trim() !== "" ? value : env[name];
    return v !== undefined && v.trim() !== "" ? v.trim() : undefined;
  };
  const endpoint = pick(settings.endpoint, "DSM_ENDPOINT");
  const apiKey = pick(settings.apiKey, "DSM_API_KEY");
  const username = pick(settings.username, "DSM_USERNAME");
  const password = settings.password !== undefined && settings.password !== "" ? settings.password : env.DSM_PASSWORD || undefined;
  const acctId = pick(settings.acctId, "DSM_ACCT_ID");
  const caBundle = pick(settings.caBundle, "DSM_CA_BUNDLE");
  if (endpoint === undefined) {
    throw dsmApiError(
      "DSM endpoint not set: give the resource an `endpoint`, or set the stack config `dsm:endpoint` or the environment variable DSM_ENDPOINT (e.g. https://amer.smartkey.io)",
      "config", "configure", "credentials",
    );
  }
  const endpointError = dsmEndpointProblem(endpoint);
  if (endpointError) throw dsmApiError(`DSM endpoint ${endpointError}`, "config", "configure", "credentials");
  const base: DsmCredentials = { endpoint: normalizeDsmEndpoint(endpoint), ...(caBundle !== undefined ? { caBundle } : {}) };
  if (apiKey !== undefined) return { ...base, apiKey };
  const missing = [
    username === undefined ? "DSM_USERNAME (dsm:username)" : undefined,
    password === undefined ? "DSM_PASSWORD (dsm:password)" : undefined,
    acctId === undefined ? "DSM_ACCT_ID (dsm:acctId)" : undefined,
  ].filter((m): m is string => m !== undefined);
  if (username === undefined && password === undefined) {
    throw dsmApiError(
      "DSM credentials not set: set DSM_API_KEY (stack config dsm:apiKey, secret) to an administrative app's API key, " +
        "or DSM_USERNAME + DSM_PASSWORD + DSM_ACCT_ID (dsm:username, dsm:password, dsm:acctId) for a user login",
      "config", "configure", "credentials",
    );
  }
  if (missing.length > 0) {
    throw dsmApiError(`DSM user login incomplete: missing ${missing.join(", ")}`, "config", "configure", "credentials");
  }
  return { ...base, username, password, acctId };
}

/** Why `endpoint` is not a usable DSM URL, or undefined when it is. */
export function dsmEndpointProblem(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `"${endpoint}" is not a URL (expected e.g. https://amer.smartkey.io)`;
  }
  if (url.username || url.password) return "must not carry a user or password in the URL";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return undefined;
  return `"${endpoint}" must be an https:// URL (http:// is accepted for loopback emulators only)`;
}

/** The endpoint without a trailing slash, so that equal URLs compare equal. */
export function normalizeDsmEndpoint(endpoint: string): string {
  return endpoint.trim().replace(/\/+$/, "");
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || hostname === "::1" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

// ---- per-process state (sessions, TLS agents), kept out of module scope ---------------------------

interface DsmSession {
  token?: string;
  expiresAt: number;
  pending?: Promise<string>;
  /** When `select_account` answered, for a user login: DSM may take seconds to apply it. */
  selectedAt?: number;
  /** Who the session acts as: the app or user id DSM answered (`entity_id`); objects it creates name it as `creator`. */
  entityId?: string;
}

/**
 * How long after `select_account` a refusal (401/403) is taken for the account switch not being
 * in effect yet ("it may take several seconds for the new Account to become the default one
 * selected", Fortanix's API document) and retried, milliseconds.
 */
const ACCOUNT_SELECTION_GRACE_MS = 15_000;

interface DsmProcessState {
  sessions: Map<string, DsmSession>;
  agents: Map<string, https.Agent>;
}

function dsmProcessState(): DsmProcessState {
  const key = Symbol.for("oci-ekm-fortanix.dsm.process-state");
  const holder = globalThis as unknown as Record<symbol, DsmProcessState | undefined>;
  let state = holder[key];
  if (!state) {
    state = { sessions: new Map(), agents: new Map() };
    holder[key] = state;
  }
  return state;
}

/** Forgets every cached DSM session of this process (the next call authenticates again). For tests and long-lived tools. */
export function resetDsmSessions(): void {
  dsmProcessState().sessions.clear();
}

function sessionKey(credentials: DsmCredentials): string {
  const identity = credentials.apiKey !== undefined
    ? `apikey\n${credentials.apiKey}`
    : `user\n${credentials.username}\n${credentials.password}\n${credentials.acctId}`;
  return `${credentials.endpoint}\n${createHash("sha256").update(identity).digest("hex")}`;
}

function readCaBundle(caBundle: string): string {
  if (caBundle.includes("-----BEGIN")) return caBundle;
  try {
    return readFileSync(caBundle, "utf8");
  } catch (err) {
    throw dsmApiError(
      `DSM CA bundle: cannot read "${caBundle}" (${(err as NodeJS.ErrnoException).code ?? "error"}); DSM_CA_BUNDLE / dsm:caBundle must be PEM text or the path of a PEM file`,
      "config", "configure", "CA bundle",
    );
  }
}

function agentFor(caBundle: string | undefined): https.Agent | undefined {
  if (caBundle === undefined) return undefined;
  const pem = readCaBundle(caBundle);
  const key = createHash("sha256").update(pem).digest("hex");
  const agents = dsmProcessState().agents;
  let agent = agents.get(key);
  if (!agent) {
    // Added to the system roots (not replacing them): a proxy or a SaaS endpoint keeps working.
    agent = new https.Agent({ keepAlive: true, ca: [...rootCertificates, pem] });
    agents.set(key, agent);
  }
  return agent;
}

// ---- the client -----------------------------------------------------------------------------------

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
    return dsmProcessState().sessions.get(sessionKey(this.credentials))?.entityId;
  }

  /** `POST /sys/v1/session/terminate` for this credential's session, if one is open. */
  async terminateSession(): Promise<void> {
    const sessions = dsmProcessState().sessions;
    const key = sessionKey(this.credentials);
    const token = sessions.get(key)?.token;
    sessions.delete(key);
    if (token === undefined) return;
    await this.send({
      method: "POST", path: "/sys/v1/session/terminate", operation: "end session", object: this.endpoint, auth: { header: `Bearer ${token}` },
    });
  }

  private async sessionToken(): Promise<string> {
    const sessions = dsmProcessState().sessions;
    const key = sessionKey(this.credentials);
    const existing = sessions.get(key);
    if (existing?.token !== undefined && existing.expiresAt > Date.now()) return existing.token;
    if (existing?.pending) return existing.pending;
    const session: DsmSession = { expiresAt: 0 };
    session.pending = this.openSession().then(
      ({ token, expiresInSeconds, selectedAt, entityId }) => {
        session.token = token;
        if (selectedAt !== undefined) session.selectedAt = selectedAt;
        if (entityId !== undefined) session.entityId = entityId;
        // Renew a little before DSM expires it, so a long `pulumi up` does not hit 401 mid-way.
        session.expiresAt = Date.now() + Math.max(1, expiresInSeconds - Math.min(60, expiresInSeconds / 10)) * 1000;
        delete session.pending;
        return token;
      },
      (err: unknown) => {
        if (sessions.get(key) === session) sessions.delete(key);
        throw err;
      },
    );
    sessions.set(key, session);
    return session.pending;
  }

  private invalidateSession(token: string): void {
    const sessions = dsmProcessState().sessions;
    const key = sessionKey(this.credentials);
    if (sessions.get(key)?.token === token) sessions.delete(key);
  }

  private async openSession(): Promise<{ token: string; expiresInSeconds: number; selectedAt?: number; entityId?: string }> {
    const c = this.credentials;
    const basic = c.apiKey !== undefined ? c.apiKey : Buffer.from(`${c.username}:${c.password}`).toString("base64");
    const who = c.apiKey !== undefined ? "with the API key (DSM_API_KEY / dsm:apiKey)" : "as the user (DSM_USERNAME / dsm:username)";
    let text: string;
    try {
      text = await this.send({
        method: "POST", path: "/sys/v1/session/auth", operation: "authenticate", object: `${who} at ${this.endpoint}`,
        auth: { header: `Basic ${basic}` },
      });
    } catch (err) {
      if (isDsmApiError(err) && (err.status === 401 || err.status === 403)) {
        throw dsmApiError(
          `${err.message}. Check the DSM credentials: DSM_API_KEY (or stack config dsm:apiKey) must be the API key of an enabled administrative app, ` +
            "or DSM_USERNAME / DSM_PASSWORD / DSM_ACCT_ID a valid user login",
          "auth", err.operation, err.object, err.status, err.dsmMessage, err.attempts,
        );
      }
      throw err;
    }
    let body: { access_token?: unknown; expires_in?: unknown; entity_id?: unknown; allowed_mfa_methods?: unknown; challenge?: unknown; fido2_assertion_options?: unknown } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // Never echoed: a truncated answer still holds (part of) a session token we cannot redact.
      throw dsmApiError(
        `DSM authenticate ${who} at ${this.endpoint} failed: the answer is not JSON (body not shown: it may hold a session token) (POST /sys/v1/session/auth)`,
        "auth", "authenticate", this.endpoint,
      );
    }
    // A user with two-factor authentication gets a session that can do nothing until the second
    // factor is given (the document's Authenticate): say so now rather than fail later with a 401/403.
    const mfa = (Array.isArray(body?.allowed_mfa_methods) && body.allowed_mfa_methods.length > 0) || body?.challenge != null || body?.fido2_assertion_options != null;
    if (mfa) {
      throw dsmApiError(
        `DSM authenticate ${who} at ${this.endpoint}: this user has two-factor authentication, and the session DSM opened can do nothing ` +
          "until a second factor is given, which a deployment cannot do. Use the API key of an administrative app for automation " +
          "(DSM_API_KEY, or stack config dsm:apiKey as a secret)",
        "auth", "authenticate", this.endpoint,
      );
    }
    if (!body || typeof body.access_token !== "string" || body.access_token === "") {
      throw dsmApiError(`DSM authenticate at ${this.endpoint}: the answer carries no access_token`, "auth", "authenticate", this.endpoint);
    }
    const token = body.access_token;
    const expiresInSeconds = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 600;
    const entity = typeof body.entity_id === "string" && body.entity_id !== "" ? { entityId: body.entity_id } : {};
    if (c.apiKey === undefined) {
      await this.send({
        method: "POST", path: "/sys/v1/session/select_account", body: { acct_id: c.acctId }, operation: "select account",
        object: String(c.acctId), auth: { header: `Bearer ${token}` },
      }, [token]);
      return { token, expiresInSeconds, selectedAt: Date.now(), ...entity };
    }
    return { token, expiresInSeconds, ...entity };
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
          this.invalidateSession(token);
          continue;
        }
        throw err;
      }
    }
  }

  /** When the session of `token` selected its account (a user login), else undefined. */
  private selectedAt(token: string): number | undefined {
    const session = dsmProcessState().sessions.get(sessionKey(this.credentials));
    return session?.token === token ? session.selectedAt : undefined;
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
        httpsAgent: agentFor(this.credentials.caBundle),
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

/** `Retry-After` (seconds or HTTP date) in milliseconds, or undefined. */
export function dsmRetryAfterMs(header: unknown, now: number = Date.now()): number | undefined {
  if (typeof header !== "string" || header.trim() === "") return undefined;
  const v = header.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
