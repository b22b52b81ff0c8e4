// Fortanix DSM sessions: one per process per endpoint and credential (`POST /sys/v1/session/auth`,
// then `select_account` for a user login), shared by every client of that credential and renewed
// shortly before it expires; and the TLS agents of on-premises CA bundles. The client (client.ts)
// sends the session calls through its transport.
//
// Serialization note: the dynamic providers reference this module, so the Pulumi closure serializer
// may capture it by value. Nothing at module level may hold a credential, a token or a live object:
// the per-process session cache lives on `globalThis` under a registered symbol and is only touched
// from inside functions.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as https from "node:https";
import { createSecureContext, rootCertificates } from "node:tls";
import type { DsmRequest } from "./client";
import type { DsmCredentials } from "./credentials";
import { dsmApiError, isDsmApiError } from "./errors";

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

/** The HTTPS agent trusting `caBundle` besides the system roots (one per bundle and process); undefined for the system roots only. */
export function dsmAgentFor(caBundle: string | undefined): https.Agent | undefined {
  if (caBundle === undefined) return undefined;
  const pem = readCaBundle(caBundle);
  const key = createHash("sha256").update(pem).digest("hex");
  const agents = dsmProcessState().agents;
  let agent = agents.get(key);
  if (!agent) {
    // Added to the system roots (not replacing them): a proxy or a SaaS endpoint keeps working. One
    // secure context for the agent's connections: given `ca`, Node would parse the ~140 public roots
    // again for each (31 ms of CPU).
    agent = new https.Agent({ keepAlive: true, secureContext: createSecureContext({ ca: [...rootCertificates, pem] }) });
    agents.set(key, agent);
  }
  return agent;
}

// ---- a credential's session -------------------------------------------------------------------------

/** What opening a session gives: the token, its lifetime, when a user login selected its account, who it acts as. */
export interface DsmOpenedSession {
  token: string;
  expiresInSeconds: number;
  selectedAt?: number;
  entityId?: string;
}

/** The client's transport: one call with retries, resolving with the text of a 2xx answer (`extraSecrets` redacted from errors). */
export type DsmSend = (spec: DsmRequest, extraSecrets?: string[]) => Promise<string>;

/** The token of this process's session for `credentials`, opened with `open` if none is (one opening shared by concurrent callers). */
export async function dsmSessionToken(credentials: DsmCredentials, open: () => Promise<DsmOpenedSession>): Promise<string> {
  const sessions = dsmProcessState().sessions;
  const key = sessionKey(credentials);
  const existing = sessions.get(key);
  if (existing?.token !== undefined && existing.expiresAt > Date.now()) return existing.token;
  if (existing?.pending) return existing.pending;
  const session: DsmSession = { expiresAt: 0 };
  session.pending = open().then(
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

/** Forgets the session of `credentials` if its token is still `token` (DSM refused it). */
export function dsmInvalidateSession(credentials: DsmCredentials, token: string): void {
  const sessions = dsmProcessState().sessions;
  const key = sessionKey(credentials);
  if (sessions.get(key)?.token === token) sessions.delete(key);
}

/** When the session of `token` selected its account (a user login), else undefined. */
export function dsmSessionSelectedAt(credentials: DsmCredentials, token: string): number | undefined {
  const session = dsmProcessState().sessions.get(sessionKey(credentials));
  return session?.token === token ? session.selectedAt : undefined;
}

/** The `entity_id` DSM answered for the session of `credentials`, if one is open and DSM gave one. */
export function dsmSessionEntityId(credentials: DsmCredentials): string | undefined {
  return dsmProcessState().sessions.get(sessionKey(credentials))?.entityId;
}

/** Forgets the session of `credentials` and returns its token, if one was open (to terminate it). */
export function dsmTakeSessionToken(credentials: DsmCredentials): string | undefined {
  const sessions = dsmProcessState().sessions;
  const key = sessionKey(credentials);
  const token = sessions.get(key)?.token;
  sessions.delete(key);
  return token;
}

/**
 * Opens a session for `credentials` through `send`: `POST /sys/v1/session/auth` with the API key or
 * the user login, then, for a user login, `select_account`.
 */
export async function dsmOpenSession(credentials: DsmCredentials, send: DsmSend): Promise<DsmOpenedSession> {
  const c = credentials;
  const endpoint = c.endpoint;
  const basic = c.apiKey !== undefined ? c.apiKey : Buffer.from(`${c.username}:${c.password}`).toString("base64");
  const who = c.apiKey !== undefined ? "with the API key (DSM_API_KEY / dsm:apiKey)" : "as the user (DSM_USERNAME / dsm:username)";
  let text: string;
  try {
    text = await send({
      method: "POST", path: "/sys/v1/session/auth", operation: "authenticate", object: `${who} at ${endpoint}`,
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
      `DSM authenticate ${who} at ${endpoint} failed: the answer is not JSON (body not shown: it may hold a session token) (POST /sys/v1/session/auth)`,
      "auth", "authenticate", endpoint,
    );
  }
  // A user with two-factor authentication gets a session that can do nothing until the second
  // factor is given (the document's Authenticate): say so now rather than fail later with a 401/403.
  const mfa = (Array.isArray(body?.allowed_mfa_methods) && body.allowed_mfa_methods.length > 0) || body?.challenge != null || body?.fido2_assertion_options != null;
  if (mfa) {
    throw dsmApiError(
      `DSM authenticate ${who} at ${endpoint}: this user has two-factor authentication, and the session DSM opened can do nothing ` +
        "until a second factor is given, which a deployment cannot do. Use the API key of an administrative app for automation " +
        "(DSM_API_KEY, or stack config dsm:apiKey as a secret)",
      "auth", "authenticate", endpoint,
    );
  }
  if (!body || typeof body.access_token !== "string" || body.access_token === "") {
    throw dsmApiError(`DSM authenticate at ${endpoint}: the answer carries no access_token`, "auth", "authenticate", endpoint);
  }
  const token = body.access_token;
  const expiresInSeconds = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 600;
  const entity = typeof body.entity_id === "string" && body.entity_id !== "" ? { entityId: body.entity_id } : {};
  if (c.apiKey === undefined) {
    await send({
      method: "POST", path: "/sys/v1/session/select_account", body: { acct_id: c.acctId }, operation: "select account",
      object: String(c.acctId), auth: { header: `Bearer ${token}` },
    }, [token]);
    return { token, expiresInSeconds, selectedAt: Date.now(), ...entity };
  }
  return { token, expiresInSeconds, ...entity };
}
