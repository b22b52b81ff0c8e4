// Sessions and accounts (the document's "Authentication" operations): Authenticate
// (POST /sys/v1/session/auth → AuthResponse), SelectAccount (POST /sys/v1/session/select_account,
// SelectAccountRequest → SelectAccountResponse) and Terminate (POST /sys/v1/session/terminate → 204);
// and how every other call is authenticated: a session's bearer token, or an API key as Basic auth.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { parseEmulatorBasicAuth, parseEmulatorBearerAuth } from "./http";
import { asObject, optUuid, missingField } from "./dsm-request";
import { DsmError, type DsmEmulatorReply, type DsmState, EMULATOR_PRINCIPAL_ID, type Principal, type RouteContext, type Session } from "./dsm-state";
import { DSM_EMULATOR_UNCONFIRMED } from "./dsm-unconfirmed";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Random text that reads the same in base64 and base64url (the document's `Base64UrlSafe` is `format: byte`). */
function base64Neutral(length: number): string {
  return [...randomBytes(length)].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join("");
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The MFA part of an AuthResponse for a user with a FIDO2 device: the challenge to sign, as the
 * document's `allowed_mfa_methods` (MfaAuthMethod `Fido2`) and `fido2_assertion_options`.
 */
function fido2Challenge(): Record<string, unknown> {
  const options = {
    challenge: base64Neutral(32),
    timeout: 60_000,
    allowCredentials: [{ type: "public-key", id: base64Neutral(44) }],
    userVerification: "discouraged",
  };
  return {
    allowed_mfa_methods: [
      { Fido2: { challenge: options, challenge_token: randomBytes(32).toString("base64"), mfa_devices: [{ name: "security key", type: "Fido2" }] } },
    ],
    fido2_assertion_options: options,
  };
}

/** `POST /sys/v1/session/auth` with `Authorization: Basic <api key>` or `Basic base64(email:password)`. */
export function authenticate(state: DsmState, headers: IncomingHttpHeaders): DsmEmulatorReply {
  const basic = parseEmulatorBasicAuth(headerOf(headers.authorization));
  const fail = (message: string): never => {
    state.stats.failedAuthentications += 1;
    throw new DsmError(401, message);
  };
  if (!basic) return fail("authentication required: send Authorization: Basic <api key> or Basic base64(email:password)");
  let principal: Principal | undefined;
  let twoFactor = false;
  const app = state.apps.get(basic.user);
  if (app && app.secret !== undefined && safeEqual(app.secret, basic.password)) {
    if (!app.app.enabled) fail("app is disabled");
    principal = { kind: "app", appId: app.app.app_id };
  } else {
    const user = [...state.users.values()].find((u) => u.email === basic.user);
    if (user && safeEqual(user.password, basic.password)) {
      principal = { kind: "user", userId: user.user_id };
      twoFactor = user.twoFactor;
    }
  }
  if (!principal) return fail("invalid credentials: unknown app or user, or wrong secret or password");
  state.stats.sessionAuthentications += 1;
  const ttl = state.options.sessionTtlSeconds ?? 600;
  const token = randomBytes(32).toString("base64url");
  // An app's session has its account already; a user's selects one.
  const session: Session = { principal, expiresAt: state.now() + ttl * 1000, secondFactorPending: twoFactor };
  if (principal.kind === "app") session.accountSelectedFrom = Number.NEGATIVE_INFINITY;
  state.sessions.set(token, session);
  const entityId = principal.kind === "app" ? principal.appId : principal.kind === "user" ? principal.userId : EMULATOR_PRINCIPAL_ID;
  return {
    status: 200,
    json: { token_type: "Bearer", expires_in: ttl, access_token: token, entity_id: entityId, ...(twoFactor ? fido2Challenge() : {}) },
  };
}

/** Who calls, from `Bearer <session token>` or `Basic <api key>`; a user's own credentials only open sessions. */
export function callerOf(state: DsmState, headers: IncomingHttpHeaders): { principal: Principal; session?: Session } {
  const header = headerOf(headers.authorization);
  const bearer = parseEmulatorBearerAuth(header);
  if (bearer !== undefined) {
    const session = state.sessions.get(bearer);
    if (!session) throw new DsmError(401, "invalid bearer token: no such session");
    if (session.expiresAt <= state.now()) {
      state.sessions.delete(bearer);
      throw new DsmError(401, "session expired: authenticate again at /sys/v1/session/auth");
    }
    if (session.secondFactorPending) {
      throw new DsmError(
        DSM_EMULATOR_UNCONFIRMED.secondFactorPendingStatus,
        "two-factor authentication required: this session can do nothing until the second factor is given at POST /sys/v1/session/auth/2fa/fido2",
      );
    }
    return { principal: session.principal, session };
  }
  const basic = parseEmulatorBasicAuth(header);
  if (basic) {
    const app = state.apps.get(basic.user);
    if (app && app.secret !== undefined && safeEqual(app.secret, basic.password) && app.app.enabled) {
      state.stats.basicAuthCalls += 1;
      return { principal: { kind: "app", appId: app.app.app_id } };
    }
    if ([...state.users.values()].some((u) => u.email === basic.user)) {
      throw new DsmError(401, "user credentials are only accepted by /sys/v1/session/auth: open a session and select the account");
    }
    throw new DsmError(401, "invalid API key");
  }
  throw new DsmError(401, "authentication required: Authorization: Bearer <session token> or Basic <api key>");
}

/** A user's session works on the account only once `select_account` has taken effect. */
export function requireAccount(state: DsmState, principal: Principal, session: Session | undefined): void {
  if (principal.kind !== "user") return;
  const from = session?.accountSelectedFrom;
  if (from === undefined || from > state.now()) {
    throw new DsmError(
      DSM_EMULATOR_UNCONFIRMED.accountNotSelectedStatus,
      'no account selected: POST /sys/v1/session/select_account {"acct_id":…} first (after it, the account can take seconds to become selected)',
    );
  }
}

/** `POST /sys/v1/session/select_account` `{"acct_id"}`: takes effect after `accountSelectionDelayMs`. */
export function selectAccount(state: DsmState, ctx: RouteContext, session: Session | undefined): DsmEmulatorReply {
  const body = asObject(ctx.body);
  const acctId = optUuid(body, "acct_id");
  if (acctId === undefined) throw missingField("", "acct_id");
  if (acctId.toLowerCase() !== state.accountId) throw new DsmError(404, "account does not exist");
  if (!session) throw new DsmError(400, "select_account needs a session: authenticate at /sys/v1/session/auth first");
  const delay = state.options.accountSelectionDelayMs ?? DSM_EMULATOR_UNCONFIRMED.accountSelectionDelayMs;
  // An app's session keeps its account; selecting again changes nothing for it.
  if (ctx.principal.kind === "user") {
    session.accountSelectedFrom = state.now() + delay;
    state.stats.accountSelections += 1;
  }
  return { status: 200, json: DSM_EMULATOR_UNCONFIRMED.selectAccountBody };
}

/** `POST /sys/v1/session/terminate` with the session's bearer token. */
export function terminate(state: DsmState, headers: IncomingHttpHeaders): DsmEmulatorReply {
  const bearer = parseEmulatorBearerAuth(headerOf(headers.authorization));
  if (bearer === undefined) throw new DsmError(400, "terminate needs a Bearer session token");
  state.sessions.delete(bearer);
  state.stats.sessionTerminations += 1;
  return { status: 204 };
}
