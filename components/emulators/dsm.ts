// In-memory Fortanix DSM: the REST subset of ../shared/reference/dsm-api.md (sessions, groups, apps,
// security objects), fault injection for client retry tests, and the OCI External Key Manager
// endpoints (dsm-ekm.ts). Library code: the tests and `npm run sandbox` both run it.
import { type CipherGCMTypes, createCipheriv, createDecipheriv, createPublicKey, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { DsmEkmEndpoints } from "./dsm-ekm";
import {
  EmulatorHttpError,
  EmulatorHttpServer,
  type EmulatorTlsOptions,
  emulatorAuthScheme,
  parseEmulatorBasicAuth,
  parseEmulatorBearerAuth,
  parseEmulatorJsonBody,
  readEmulatorRequestBody,
  sendEmulatorEmpty,
  sendEmulatorJson,
  sendEmulatorText,
} from "./http";

// ============================================================================================
// UNCONFIRMED BEHAVIOURS — the one place where the emulator picks an answer the reference leaves
// open ("not confirmed") or does not state. Everything else follows the reference. If real DSM is
// observed to differ, change it here (and the README list generated from this comment).
// ============================================================================================
/**
 * Choices the emulator makes where ../shared/reference/dsm-api.md says "not confirmed" or is silent.
 * Clients must not depend on these beyond what the reference allows (e.g. accept any 2xx on create,
 * accept 400 or 409 for a non-empty group).
 */
export const DSM_EMULATOR_UNCONFIRMED = {
  /** Deleting a group that still holds security objects: the reference says 400 or 409. */
  nonEmptyGroupDeleteStatus: 409,
  /** Status of a successful create (groups, apps, keys) and of rekey; the reference names no status. */
  createStatus: 201,
  /** Status of a successful revoke; the reference names no status. */
  revokeStatus: 204,
  /** Status when a user session calls anything before `select_account`. */
  accountNotSelectedStatus: 403,
  /** Body of a successful `select_account`. */
  selectAccountBody: {} as Record<string, never>,
  /** Error bodies of the management API: `{"message"}` JSON by default (option `errorFormat: "text"` sends plain text). */
  defaultErrorFormat: "json" as "json" | "text",
  /** Name given to the rotated-away key: `<name> (rotated at <YYYYMMDDTHHMMSSZ>)`, ` #2`, ` #3`… appended on a same-second clash. */
  rotatedName: (name: string, timestamp: string): string => `${name} (rotated at ${timestamp})`,
  /** Token claim matched to the JWT app's `name` on EKM calls: the first of these the token has. */
  jwtAppClaims: ["client_id", "sub"] as readonly string[],
  /** `aud` matches the DSM URL with or without one trailing slash. */
  audienceIgnoresTrailingSlash: true,
  /** The token's space-separated `scope` claim must contain exactly this element (not a fully qualified form). */
  ekmScope: "oci_ekms",
  /** Clock skew tolerated on `exp` / `nbf`, seconds. */
  tokenClockSkewSeconds: 60,
  /** `cache_duration` assumed when a fetched-keys JWT app does not set one, seconds. */
  defaultJwksCacheSeconds: 3600,
  /** Oracle error codes of the EKM endpoints, by HTTP status. */
  ekmErrorCodes: {
    400: "InvalidParameter",
    401: "NotAuthenticated",
    403: "NotAuthorized",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
  } as Record<number, string>,
  /** `state` of GET key metadata / key version metadata: ENABLED when enabled and Active, otherwise DISABLED. */
  ekmKeyStates: { usable: "ENABLED", unusable: "DISABLED" },
  /** Key ops given to an AES key created without `key_ops` ("every operation except EXPORT"). */
  defaultAesKeyOps: ["ENCRYPT", "DECRYPT", "WRAPKEY", "UNWRAPKEY", "DERIVEKEY", "MACGENERATE", "MACVERIFY", "APPMANAGEABLE"] as const,
  /** An app's `default_group` must be one of its groups (else 400). */
  defaultGroupMustBeMember: true,
  /** A crypto app only sees groups and keys of groups it belongs to; others answer 404 as if absent. */
  cryptoAppSeesOnlyItsGroups: true,
} as const;

// ============================================================================================
// Public types (DSM's JSON field names, as the API reads them back)
// ============================================================================================

/** Group permissions an app can hold (reference: "include SIGN, VERIFY, …"). */
export const DSM_EMULATOR_PERMISSIONS = [
  "SIGN", "VERIFY", "ENCRYPT", "DECRYPT", "WRAPKEY", "UNWRAPKEY", "DERIVEKEY", "MACGENERATE", "MACVERIFY",
  "EXPORT", "MANAGE", "AGREEKEY", "AUDIT",
] as const;
export type DsmEmulatorPermission = (typeof DSM_EMULATOR_PERMISSIONS)[number];

/** Security object operations accepted in `key_ops`. */
export const DSM_EMULATOR_KEY_OPS = [
  "SIGN", "VERIFY", "ENCRYPT", "DECRYPT", "WRAPKEY", "UNWRAPKEY", "DERIVEKEY", "TRANSFORM", "MACGENERATE",
  "MACVERIFY", "EXPORT", "APPMANAGEABLE", "HIGHVOLUME", "AGREEKEY", "AUDIT",
] as const;
export type DsmEmulatorKeyOp = (typeof DSM_EMULATOR_KEY_OPS)[number];

/** Who created an object, as DSM tags it. */
export type DsmEmulatorCreator = { app: string } | { user: string };

/** A group as `GET /sys/v1/groups/{id}` returns it. */
export interface DsmEmulatorGroup {
  group_id: string;
  acct_id: string;
  name: string;
  description?: string;
  created_at: string;
  creator: DsmEmulatorCreator;
}

/** Where a signed-JWT app finds the token signing keys. */
export type DsmEmulatorSigningKeys =
  | { kind: "fetched"; url: string; cache_duration?: number }
  | { kind: "stored"; keys: Record<string, string> };

/** The `signedjwt` credential of a JWT app. */
export interface DsmEmulatorSignedJwt {
  valid_issuers: string[];
  signing_keys: DsmEmulatorSigningKeys;
}

/** An app. `groups` is kept as the permission map; the API returns a uuid list unless `?group_permissions=true`. */
export interface DsmEmulatorApp {
  app_id: string;
  acct_id: string;
  name: string;
  description?: string;
  app_type: string;
  role: "admin" | "crypto";
  default_group?: string;
  groups: Record<string, DsmEmulatorPermission[]>;
  enabled: boolean;
  auth_type: "Secret" | "SignedJwt";
  /** Present for signed-JWT apps only (an API key's secret is never stored here). */
  credential?: { signedjwt: DsmEmulatorSignedJwt };
  created_at: string;
  creator: DsmEmulatorCreator;
}

export type DsmEmulatorKeyState = "PreActive" | "Active" | "Deactivated" | "Compromised" | "Destroyed" | "Deleted";

export interface DsmEmulatorRotationPolicy {
  interval_days?: number;
  interval_months?: number;
  effective_at?: string;
  deactivate_rotated_key?: boolean;
}

/** A security object as `GET /crypto/v1/keys/{kid}` returns it (the key material is never part of it). */
export interface DsmEmulatorSobject {
  kid: string;
  name: string;
  description?: string;
  group_id: string;
  acct_id: string;
  obj_type: string;
  key_size: number;
  key_ops: DsmEmulatorKeyOp[];
  enabled: boolean;
  state: DsmEmulatorKeyState;
  created_at: string;
  creator: DsmEmulatorCreator;
  kcv: string;
  links?: { replacement?: string; replaced?: string };
  deactivation_date?: string;
  custom_metadata?: Record<string, string>;
  rotation_policy?: DsmEmulatorRotationPolicy;
}

/** Which surface a recorded request hit. */
export type DsmEmulatorApi = "management" | "ekm";

/** One recorded request. Credentials and tokens are never recorded, only the scheme. */
export interface DsmEmulatorRequest {
  method: string;
  /** Path without the query string, e.g. `/crypto/v1/keys/info`. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body; `undefined` when empty, the raw text when not JSON. */
  body: unknown;
  auth: "Basic" | "Bearer" | "none" | "other";
  api: DsmEmulatorApi;
  /** Status answered; `undefined` when the connection was dropped by a fault. */
  status?: number;
  /** Kind of the injected fault that hit this request, if any. */
  fault?: DsmEmulatorFaultKind;
  /** `opc-request-id` header (EKM calls). */
  opcRequestId?: string;
}

export type DsmEmulatorFaultKind = "latency" | "status" | "reset" | "commit-then-drop";

/** A fault to inject into the next `times` matching requests. */
export interface DsmEmulatorFault {
  /** Only requests with this method (case-insensitive). Default: any. */
  method?: string;
  /** Only this exact path (string) or paths matching this RegExp. Default: any. */
  path?: string | RegExp;
  /**
   * latency: wait `ms` then serve normally; status: answer `status` (default 503) without doing anything,
   * with `Retry-After: retryAfterSeconds` when given; reset: destroy the socket without answering;
   * commit-then-drop: perform the operation, then destroy the socket without answering.
   */
  kind: DsmEmulatorFaultKind;
  /** Status of a "status" fault. Default: 503. */
  status?: number;
  /** `Retry-After` header (seconds) of a "status" fault. Default: none. */
  retryAfterSeconds?: number;
  /** Delay of a "latency" fault, milliseconds. Default: 100. */
  ms?: number;
  /** How many matching requests the fault hits before it is used up. Default: 1. */
  times?: number;
}

/** Authentication counters. */
export interface DsmEmulatorCounters {
  /** Successful `POST /sys/v1/session/auth`. */
  sessionAuthentications: number;
  /** Rejected `POST /sys/v1/session/auth`. */
  failedAuthentications: number;
  /** Calls other than session/auth authenticated with `Basic <api key>` (each costs real DSM a session). */
  basicAuthCalls: number;
  /** Successful `POST /sys/v1/session/select_account`. */
  accountSelections: number;
  /** Successful `POST /sys/v1/session/terminate`. */
  sessionTerminations: number;
}

/** Options of {@link DsmEmulator}. */
export interface DsmEmulatorOptions {
  /** Account UUID (the vault path segment of the EKM endpoints). Default: a random UUID. */
  accountId?: string;
  /** Serve HTTPS with this certificate. Default: plain HTTP on loopback. */
  tls?: EmulatorTlsOptions;
  /** Extra CA (PEM) trusted when fetching a JWT app's JWKS over https. Default: system roots only. */
  trustedCa?: string;
  /** The DSM URL tokens must name in `aud` (e.g. https://amer.smartkey.io). Default: the emulator's own `url`. */
  publicUrl?: string;
  /** `expires_in` of sessions, seconds. Default: 600. */
  sessionTtlSeconds?: number;
  /** Error body format of the management API. Default: "json" (`{"message"}`). */
  errorFormat?: "json" | "text";
  /** `vendor` of the EKM vault metadata. Default: "Fortanix". */
  vendor?: string;
  /** Clock in epoch milliseconds (sessions, timestamps, token expiry). Default: `Date.now`. */
  now?: () => number;
}

// ============================================================================================
// Internals shared with dsm-ekm.ts
// ============================================================================================

/** A reply computed by a route, written (or dropped by a fault) by the dispatcher. */
export interface DsmEmulatorReply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

/** What the EKM endpoints need from the emulator's store. */
export interface DsmEmulatorEkmStore {
  readonly accountId: string;
  readonly publicUrl: string;
  readonly trustedCa: string | undefined;
  readonly vendor: string;
  now(): number;
  appByName(name: string): DsmEmulatorApp | undefined;
  sobjectByName(name: string): DsmEmulatorSobject | undefined;
  sobjectByKid(kid: string): DsmEmulatorSobject | undefined;
  /** AES-GCM with the sobject's material. */
  encrypt(kid: string, plain: Buffer, aad?: Buffer): { cipher: Buffer; iv: Buffer; tag: Buffer };
  /** Throws when the tag does not verify. */
  decrypt(kid: string, cipher: Buffer, iv: Buffer, tag: Buffer, aad?: Buffer): Buffer;
}

interface AppRecord {
  app: DsmEmulatorApp;
  /** API key secret (Secret apps only). */
  secret?: string;
}

interface SobjectRecord {
  sobject: DsmEmulatorSobject;
  material: Buffer;
}

interface UserRecord {
  user_id: string;
  email: string;
  password: string;
}

type Principal =
  | { kind: "app"; appId: string }
  | { kind: "user"; userId: string }
  | { kind: "emulator" };

interface Session {
  principal: Principal;
  expiresAt: number;
  accountSelected: boolean;
}

interface RouteContext {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
}

class DsmError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMULATOR_PRINCIPAL_ID = "00000000-0000-0000-0000-000000000000";

/** `YYYYMMDDTHHMMSSZ`, DSM's timestamp format. */
function dsmTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function aesKcv(material: Buffer): string {
  const cipher = createCipheriv(`aes-${material.length * 8}-ecb`, material, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.alloc(16)), cipher.final()]).subarray(0, 3).toString("hex");
}

// ---- request body validation: every failure is a 400 naming the field -------------------------

function asObject(body: unknown, what = "request body"): Record<string, unknown> {
  if (body === undefined) throw new DsmError(400, `${what} is required (a JSON object)`);
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new DsmError(400, `${what} must be a JSON object`);
  return body as Record<string, unknown>;
}

function optString(o: Record<string, unknown>, field: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new DsmError(400, `${field} must be a string`);
  return v;
}

function reqString(o: Record<string, unknown>, field: string): string {
  const v = optString(o, field);
  if (v === undefined || v.trim() === "") throw new DsmError(400, `missing required field: ${field}`);
  return v;
}

function optBool(o: Record<string, unknown>, field: string): boolean | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new DsmError(400, `${field} must be true or false`);
  return v;
}

function optPositiveInt(o: Record<string, unknown>, field: string): number | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new DsmError(400, `${field} must be a positive integer`);
  return v;
}

function optUuid(o: Record<string, unknown>, field: string): string | undefined {
  const v = optString(o, field);
  if (v !== undefined && !UUID.test(v)) throw new DsmError(400, `${field} must be a UUID, got "${v}"`);
  return v;
}

function keyOpsOf(value: unknown, field = "key_ops"): DsmEmulatorKeyOp[] {
  if (!Array.isArray(value)) throw new DsmError(400, `${field} must be a list of key operations`);
  const ops: DsmEmulatorKeyOp[] = [];
  for (const op of value) {
    if (typeof op !== "string" || !(DSM_EMULATOR_KEY_OPS as readonly string[]).includes(op)) {
      throw new DsmError(400, `${field}: unknown key operation ${JSON.stringify(op)}`);
    }
    if (!ops.includes(op as DsmEmulatorKeyOp)) ops.push(op as DsmEmulatorKeyOp);
  }
  return ops;
}

function permissionsOf(value: unknown, field: string): DsmEmulatorPermission[] {
  if (!Array.isArray(value)) throw new DsmError(400, `${field} must be a list of permissions`);
  const perms: DsmEmulatorPermission[] = [];
  for (const p of value) {
    if (typeof p !== "string" || !(DSM_EMULATOR_PERMISSIONS as readonly string[]).includes(p)) {
      throw new DsmError(400, `${field}: unknown permission ${JSON.stringify(p)}`);
    }
    if (!perms.includes(p as DsmEmulatorPermission)) perms.push(p as DsmEmulatorPermission);
  }
  return perms;
}

function customMetadataOf(value: unknown): Record<string, string> {
  const o = asObject(value, "custom_metadata");
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== "string") throw new DsmError(400, `custom_metadata.${k} must be a string`);
  }
  return { ...(o as Record<string, string>) };
}

function rotationPolicyOf(value: unknown): DsmEmulatorRotationPolicy {
  const o = asObject(value, "rotation_policy");
  const policy: DsmEmulatorRotationPolicy = {};
  const days = optPositiveInt(o, "interval_days");
  const months = optPositiveInt(o, "interval_months");
  if (days !== undefined && months !== undefined) throw new DsmError(400, "rotation_policy: give interval_days or interval_months, not both");
  if (days === undefined && months === undefined) throw new DsmError(400, "rotation_policy: interval_days or interval_months is required");
  if (days !== undefined) policy.interval_days = days;
  if (months !== undefined) policy.interval_months = months;
  const effective = optString(o, "effective_at");
  if (effective !== undefined) {
    if (!/^\d{8}T\d{6}Z$/.test(effective)) throw new DsmError(400, `rotation_policy.effective_at must be YYYYMMDDTHHMMSSZ, got "${effective}"`);
    policy.effective_at = effective;
  }
  const deactivate = optBool(o, "deactivate_rotated_key");
  if (deactivate !== undefined) policy.deactivate_rotated_key = deactivate;
  return policy;
}

function groupPermissionMapOf(value: unknown, field: string): Record<string, DsmEmulatorPermission[]> {
  const o = asObject(value, field);
  const out: Record<string, DsmEmulatorPermission[]> = {};
  for (const [groupId, perms] of Object.entries(o)) {
    if (!UUID.test(groupId)) throw new DsmError(400, `${field}: "${groupId}" is not a group UUID`);
    out[groupId] = permissionsOf(perms, `${field}.${groupId}`);
  }
  return out;
}

function signedJwtOf(value: unknown): { signedjwt: DsmEmulatorSignedJwt } {
  const credential = asObject(value, "credential");
  const kinds = Object.keys(credential);
  if (kinds.length !== 1) throw new DsmError(400, `credential must have exactly one kind, got ${JSON.stringify(kinds)}`);
  if (kinds[0] !== "signedjwt") throw new DsmError(400, `credential kind "${kinds[0]}" is not supported by the emulator (only signedjwt, or none for an API key)`);
  const jwt = asObject(credential.signedjwt, "credential.signedjwt");
  const issuers = jwt.valid_issuers;
  if (!Array.isArray(issuers) || issuers.length === 0 || issuers.some((i) => typeof i !== "string" || i === "")) {
    throw new DsmError(400, "credential.signedjwt.valid_issuers must be a non-empty list of issuer strings");
  }
  const keys = asObject(jwt.signing_keys, "credential.signedjwt.signing_keys");
  const kind = keys.kind;
  let signing: DsmEmulatorSigningKeys;
  if (kind === "fetched") {
    const url = optString(keys, "url");
    let parsed: URL | undefined;
    try {
      parsed = url ? new URL(url) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
      throw new DsmError(400, `credential.signedjwt.signing_keys.url must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
    const cache = optPositiveInt(keys, "cache_duration");
    signing = { kind: "fetched", url: url as string, ...(cache !== undefined ? { cache_duration: cache } : {}) };
  } else if (kind === "stored") {
    const stored = asObject(keys.keys, "credential.signedjwt.signing_keys.keys");
    if (Object.keys(stored).length === 0) throw new DsmError(400, "credential.signedjwt.signing_keys.keys must hold at least one key");
    for (const [kid, der] of Object.entries(stored)) {
      try {
        if (typeof der !== "string") throw new Error("not a string");
        createPublicKey({ key: Buffer.from(der, "base64"), format: "der", type: "spki" });
      } catch {
        throw new DsmError(400, `credential.signedjwt.signing_keys.keys.${kid} must be a base64 DER public key`);
      }
    }
    signing = { kind: "stored", keys: { ...(stored as Record<string, string>) } };
  } else {
    throw new DsmError(400, `credential.signedjwt.signing_keys.kind must be "fetched" or "stored", got ${JSON.stringify(kind)}`);
  }
  return { signedjwt: { valid_issuers: [...(issuers as string[])], signing_keys: signing } };
}

const SUPPORTED_OBJ_TYPES = ["AES"];
const KNOWN_OBJ_TYPES = ["AES", "DES", "DES3", "RSA", "EC", "HMAC", "SECRET", "OPAQUE", "CERTIFICATE", "ARIA", "SEED", "DSA", "KCDSA", "ECKCDSA", "LMS", "MLDSA", "MLKEM", "BIP32", "BLS", "AESXTS", "EDDSA"];
const AES_SIZES = [128, 192, 256];

// ============================================================================================
// The emulator
// ============================================================================================

/**
 * An in-memory Fortanix DSM on 127.0.0.1 (HTTP, or HTTPS with `tls`), implementing the session, group,
 * app and security-object API of the reference with DSM's field names, statuses and error messages, fault
 * injection, a request log, and the OCI EKM endpoints under `/oci/ekm/v1/vaults/<accountId>`.
 *
 * ```ts
 * const dsm = new DsmEmulator();
 * await dsm.start();
 * const apiKey = dsm.createApiKey({ role: "admin" });   // DSM_ENDPOINT=dsm.url, DSM_API_KEY=apiKey
 * dsm.injectFault({ path: "/crypto/v1/keys", kind: "status", status: 429, retryAfterSeconds: 1, times: 2 });
 * …
 * await dsm.stop();
 * ```
 */
export class DsmEmulator {
  /** Account UUID: `acct_id` of every object and the vault id of the EKM endpoints. */
  readonly accountId: string;
  /** Every request received, oldest first (see {@link clearRequests}). */
  readonly requests: DsmEmulatorRequest[] = [];

  private readonly server: EmulatorHttpServer;
  private readonly options: DsmEmulatorOptions;
  private readonly groupsById = new Map<string, DsmEmulatorGroup>();
  private readonly appsById = new Map<string, AppRecord>();
  private readonly sobjectsByKid = new Map<string, SobjectRecord>();
  private readonly users = new Map<string, UserRecord>();
  private readonly sessions = new Map<string, Session>();
  private readonly faults: (DsmEmulatorFault & { remaining: number })[] = [];
  private readonly ekm: DsmEkmEndpoints;
  private readonly stats: DsmEmulatorCounters = {
    sessionAuthentications: 0,
    failedAuthentications: 0,
    basicAuthCalls: 0,
    accountSelections: 0,
    sessionTerminations: 0,
  };
  private apiKeyCounter = 0;

  constructor(options: DsmEmulatorOptions = {}) {
    if (options.accountId !== undefined && !UUID.test(options.accountId)) {
      throw new Error(`DsmEmulator accountId must be a UUID, got "${options.accountId}"`);
    }
    if (options.sessionTtlSeconds !== undefined && !(options.sessionTtlSeconds > 0)) {
      throw new Error(`DsmEmulator sessionTtlSeconds must be positive, got ${options.sessionTtlSeconds}`);
    }
    this.options = options;
    this.accountId = (options.accountId ?? randomUUID()).toLowerCase();
    this.server = new EmulatorHttpServer((req, res) => this.handle(req, res), { tls: options.tls });
    const self = this;
    const store: DsmEmulatorEkmStore = {
      get accountId() {
        return self.accountId;
      },
      get publicUrl() {
        return self.publicUrl;
      },
      get trustedCa() {
        return self.options.trustedCa;
      },
      get vendor() {
        return self.options.vendor ?? "Fortanix";
      },
      now: () => this.now(),
      appByName: (name) => this.findApp(name, true)?.app,
      sobjectByName: (name) => this.findSobjectByName(name)?.sobject,
      sobjectByKid: (kid) => this.sobjectsByKid.get(kid)?.sobject,
      encrypt: (kid, plain, aad) => this.aesGcmEncrypt(kid, plain, aad),
      decrypt: (kid, cipher, iv, tag, aad) => this.aesGcmDecrypt(kid, cipher, iv, tag, aad),
    };
    this.ekm = new DsmEkmEndpoints(store);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Starts listening on 127.0.0.1 (random port); resolves with {@link url}. */
  async start(): Promise<string> {
    return this.server.start();
  }

  /** Stops the server and closes open connections. The store is kept (a restarted emulator gets a new port). */
  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). Throws before `start()`. */
  get url(): string {
    return this.server.url;
  }

  /** The DSM URL expected in token audiences (option `publicUrl`, default {@link url}). */
  get publicUrl(): string {
    return this.options.publicUrl ?? this.url;
  }

  /** The vault URL OCI would call: `<url>/oci/ekm/v1/vaults/<accountId>`. */
  get ekmVaultUrl(): string {
    return `${this.url}/oci/ekm/v1/vaults/${this.accountId}`;
  }

  // ---- credentials --------------------------------------------------------------------------

  /**
   * Creates an API-key app and returns its API key (base64 of `<app_id>:<secret>`).
   * `role` defaults to "admin" (the recommended automation credential); a "crypto" app gets `groups`
   * (group id → permissions). `name` defaults to `emulator-<role>-<n>`.
   */
  createApiKey(options: { role?: "admin" | "crypto"; name?: string; groups?: Record<string, DsmEmulatorPermission[]> } = {}): string {
    const role = options.role ?? "admin";
    this.apiKeyCounter += 1;
    const name = options.name ?? `emulator-${role}-${this.apiKeyCounter}`;
    if (this.findApp(name, true)) throw new Error(`createApiKey: an app named "${name}" already exists`);
    for (const groupId of Object.keys(options.groups ?? {})) {
      if (!this.groupsById.has(groupId)) throw new Error(`createApiKey: group ${groupId} does not exist`);
    }
    const groups = clone(options.groups ?? {});
    const appId = randomUUID();
    const secret = randomBytes(24).toString("base64url");
    this.appsById.set(appId, {
      secret,
      app: {
        app_id: appId,
        acct_id: this.accountId,
        name,
        app_type: "default",
        role,
        ...(Object.keys(groups).length > 0 ? { default_group: Object.keys(groups)[0] } : {}),
        groups,
        enabled: true,
        auth_type: "Secret",
        created_at: dsmTimestamp(this.now()),
        creator: { user: EMULATOR_PRINCIPAL_ID },
      },
    });
    return Buffer.from(`${appId}:${secret}`).toString("base64");
  }

  /** Adds a user (an account administrator of this account) who logs in with Basic `email:password`. Returns the user id. */
  addUser(email: string, password: string): string {
    if ([...this.users.values()].some((u) => u.email === email)) throw new Error(`addUser: user ${email} already exists`);
    const userId = randomUUID();
    this.users.set(userId, { user_id: userId, email, password });
    return userId;
  }

  /** Makes every current session token expired (the next call with it answers 401). */
  expireSessions(): void {
    for (const session of this.sessions.values()) session.expiresAt = Number.NEGATIVE_INFINITY;
  }

  /** Number of sessions that have not expired or been terminated. */
  get activeSessions(): number {
    const now = this.now();
    return [...this.sessions.values()].filter((s) => s.expiresAt > now).length;
  }

  /** Authentication counters (a copy). */
  get counters(): DsmEmulatorCounters {
    return { ...this.stats };
  }

  /** Zeroes the counters. */
  resetCounters(): void {
    for (const key of Object.keys(this.stats) as (keyof DsmEmulatorCounters)[]) this.stats[key] = 0;
  }

  /** Empties {@link requests}. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  // ---- faults -------------------------------------------------------------------------------

  /** Injects a fault into the next `times` (default 1) requests matching `method` and `path`. Faults are tried in order. */
  injectFault(fault: DsmEmulatorFault): void {
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new Error(`injectFault: times must be a positive integer, got ${fault.times}`);
    if (fault.kind === "status" && fault.status !== undefined && (fault.status < 400 || fault.status > 599)) {
      throw new Error(`injectFault: status must be an HTTP error status (400-599), got ${fault.status}`);
    }
    this.faults.push({ ...fault, remaining: times });
  }

  /** Faults not yet used up, with the number of hits left. */
  pendingFaults(): (DsmEmulatorFault & { remaining: number })[] {
    return this.faults.filter((f) => f.remaining > 0).map((f) => ({ ...f }));
  }

  /** Removes every pending fault. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  // ---- typed read access to the store -------------------------------------------------------

  /** Every group (copies). */
  groups(): DsmEmulatorGroup[] {
    return [...this.groupsById.values()].map(clone);
  }

  /** A group by id or name (copy). */
  group(idOrName: string): DsmEmulatorGroup | undefined {
    const g = this.groupsById.get(idOrName) ?? [...this.groupsById.values()].find((x) => x.name === idOrName);
    return g ? clone(g) : undefined;
  }

  /** Every app (copies; `groups` as the permission map). */
  apps(): DsmEmulatorApp[] {
    return [...this.appsById.values()].map((r) => clone(r.app));
  }

  /** An app by id or name (copy). */
  app(idOrName: string): DsmEmulatorApp | undefined {
    const r = this.findApp(idOrName, false);
    return r ? clone(r.app) : undefined;
  }

  /** Every security object, rotated-away ones included (copies, without key material). */
  sobjects(): DsmEmulatorSobject[] {
    return [...this.sobjectsByKid.values()].map((r) => clone(r.sobject));
  }

  /** A security object by kid or name (copy). */
  sobject(kidOrName: string): DsmEmulatorSobject | undefined {
    const r = this.findSobject(kidOrName);
    return r ? clone(r.sobject) : undefined;
  }

  /** The key material of a security object (a copy), for tests that check ciphertexts independently. The API never returns it. */
  keyMaterial(kidOrName: string): Buffer | undefined {
    const r = this.findSobject(kidOrName);
    return r ? Buffer.from(r.material) : undefined;
  }

  // ---- changes "outside Pulumi" (drift), bypassing the API and its permission checks ---------

  /** Creates a group as if someone did it in the DSM console. */
  seedGroup(request: { name: string; description?: string }): DsmEmulatorGroup {
    return clone(this.createGroup(request, { kind: "emulator" }));
  }

  /** Creates an app from a `POST /sys/v1/apps` body (e.g. a signed-JWT app) as if done in the console. */
  seedApp(request: Record<string, unknown>): DsmEmulatorApp {
    return clone(this.createApp(request, { kind: "emulator" }).app);
  }

  /** Creates a security object from a `POST /crypto/v1/keys` body as if done in the console. */
  seedSobject(request: Record<string, unknown>): DsmEmulatorSobject {
    return clone(this.createSobject(request, { kind: "emulator" }).sobject);
  }

  /** Changes a group's fields directly (no validation). Throws when absent. */
  modifyGroup(idOrName: string, changes: Partial<Pick<DsmEmulatorGroup, "name" | "description">>): DsmEmulatorGroup {
    const g = this.groupsById.get(this.group(idOrName)?.group_id ?? "");
    if (!g) throw new Error(`modifyGroup: no group ${idOrName}`);
    Object.assign(g, clone(changes));
    return clone(g);
  }

  /** Changes an app's fields directly (no validation), e.g. `{ enabled: false }` or another credential. Throws when absent. */
  modifyApp(
    idOrName: string,
    changes: Partial<Pick<DsmEmulatorApp, "name" | "description" | "enabled" | "groups" | "default_group" | "credential" | "role">>,
  ): DsmEmulatorApp {
    const r = this.findApp(idOrName, false);
    if (!r) throw new Error(`modifyApp: no app ${idOrName}`);
    Object.assign(r.app, clone(changes));
    if (changes.credential) r.app.auth_type = "SignedJwt";
    return clone(r.app);
  }

  /** Changes a security object's fields directly (no validation), e.g. rename, disable, other key_ops. Throws when absent. */
  modifySobject(
    kidOrName: string,
    changes: Partial<Omit<DsmEmulatorSobject, "kid" | "acct_id" | "creator" | "created_at" | "kcv">>,
  ): DsmEmulatorSobject {
    const r = this.findSobject(kidOrName);
    if (!r) throw new Error(`modifySobject: no security object ${kidOrName}`);
    Object.assign(r.sobject, clone(changes));
    return clone(r.sobject);
  }

  /** Rotates a key by name as `POST /crypto/v1/keys/rekey` would; returns the new object. */
  rekeySobject(name: string): DsmEmulatorSobject {
    return clone(this.rekey({ name }, { kind: "emulator" }).sobject);
  }

  /** Deletes a group directly (even a non-empty one: its keys go with it). Throws when absent. */
  deleteGroup(idOrName: string): void {
    const g = this.group(idOrName);
    if (!g) throw new Error(`deleteGroup: no group ${idOrName}`);
    for (const [kid, r] of this.sobjectsByKid) if (r.sobject.group_id === g.group_id) this.sobjectsByKid.delete(kid);
    this.removeGroup(g.group_id);
  }

  /** Deletes an app directly. Throws when absent. */
  deleteApp(idOrName: string): void {
    const r = this.findApp(idOrName, false);
    if (!r) throw new Error(`deleteApp: no app ${idOrName}`);
    this.removeApp(r.app.app_id);
  }

  /** Destroys a security object directly (material included). Throws when absent. */
  deleteSobject(kidOrName: string): void {
    const r = this.findSobject(kidOrName);
    if (!r) throw new Error(`deleteSobject: no security object ${kidOrName}`);
    this.sobjectsByKid.delete(r.sobject.kid);
  }

  /** Forgets cached JWKS documents, so the next EKM call fetches the signing keys again. */
  clearJwksCache(): void {
    this.ekm.clearJwksCache();
  }

  // ============================================================================================
  // HTTP dispatch
  // ============================================================================================

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator.invalid");
    const method = (req.method ?? "GET").toUpperCase();
    const path = url.pathname;
    const api: DsmEmulatorApi = path.startsWith("/oci/ekm/") ? "ekm" : "management";
    let body: unknown;
    let bodyError: EmulatorHttpError | undefined;
    try {
      const raw = await readEmulatorRequestBody(req);
      try {
        body = parseEmulatorJsonBody(raw);
      } catch (err) {
        body = raw.toString("utf8");
        throw err;
      }
    } catch (err) {
      if (!(err instanceof EmulatorHttpError)) throw err;
      bodyError = err;
    }
    const opcRequestId = typeof req.headers["opc-request-id"] === "string" ? req.headers["opc-request-id"] : undefined;
    const record: DsmEmulatorRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
      auth: emulatorAuthScheme(req.headers.authorization),
      api,
      ...(opcRequestId !== undefined ? { opcRequestId } : {}),
    };
    this.requests.push(record);

    const fault = this.takeFault(method, path);
    if (fault) record.fault = fault.kind;
    if (fault?.kind === "latency") await new Promise((r) => setTimeout(r, fault.ms ?? 100));
    if (fault?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      const status = fault.status ?? 503;
      const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {};
      const message = status === 429 ? "too many requests (injected fault)" : `service unavailable (injected fault, HTTP ${status})`;
      record.status = status;
      this.write(res, api === "ekm" ? this.ekm.errorReply(status, message, headers) : this.errorReply(status, message, headers));
      return;
    }

    const ctx: RouteContext = { method, path, query: url.searchParams, body, headers: req.headers };
    let reply: DsmEmulatorReply;
    if (api === "ekm") {
      reply = bodyError ? this.ekm.errorReply(bodyError.status, bodyError.message) : await this.ekm.handle(ctx);
    } else {
      try {
        if (bodyError) throw new DsmError(bodyError.status, bodyError.message);
        reply = this.route(ctx);
      } catch (err) {
        if (!(err instanceof DsmError)) throw err;
        reply = this.errorReply(err.status, err.message, err.headers);
      }
    }
    if (fault?.kind === "commit-then-drop") {
      req.socket.destroy();
      return;
    }
    record.status = reply.status;
    this.write(res, reply);
  }

  private takeFault(method: string, path: string): DsmEmulatorFault | undefined {
    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (f.path === undefined || (typeof f.path === "string" ? f.path === path : f.path.test(path))),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }

  private write(res: ServerResponse, reply: DsmEmulatorReply): void {
    if (reply.json !== undefined) sendEmulatorJson(res, reply.status, reply.json, reply.headers);
    else if (reply.text !== undefined) sendEmulatorText(res, reply.status, reply.text, reply.headers);
    else sendEmulatorEmpty(res, reply.status, reply.headers);
  }

  private errorReply(status: number, message: string, headers: Record<string, string> = {}): DsmEmulatorReply {
    const format = this.options.errorFormat ?? DSM_EMULATOR_UNCONFIRMED.defaultErrorFormat;
    return format === "json" ? { status, json: { message }, headers } : { status, text: message, headers };
  }

  private route(ctx: RouteContext): DsmEmulatorReply {
    const { method, path } = ctx;
    const m = (re: RegExp): RegExpExecArray | null => re.exec(path);
    const methodNotAllowed = (): never => {
      throw new DsmError(405, `method ${method} not allowed on ${path}`);
    };

    if (path === "/sys/v1/session/auth") return method === "POST" ? this.sessionAuth(ctx) : methodNotAllowed();

    const principal = this.authenticate(ctx);
    if (path === "/sys/v1/session/select_account") return method === "POST" ? this.selectAccount(ctx, principal) : methodNotAllowed();
    if (path === "/sys/v1/session/terminate") return method === "POST" ? this.terminate(ctx) : methodNotAllowed();
    this.requireAccount(ctx, principal);

    let match: RegExpExecArray | null;
    if (path === "/sys/v1/groups") {
      if (method === "GET") return this.ok(this.visibleGroups(principal));
      if (method === "POST") {
        this.requireManager(principal, "create groups");
        return this.created(this.createGroup(ctx.body, principal));
      }
      return methodNotAllowed();
    }
    if ((match = m(/^\/sys\/v1\/groups\/([^/]+)$/))) {
      const id = decodeURIComponent(match[1]);
      if (method === "GET") return this.ok(this.visibleGroup(id, principal));
      if (method === "PATCH") {
        this.requireManager(principal, "update groups");
        return this.ok(this.patchGroup(id, ctx.body));
      }
      if (method === "DELETE") {
        this.requireManager(principal, "delete groups");
        this.deleteGroupApi(id);
        return { status: 204 };
      }
      return methodNotAllowed();
    }
    if (path === "/sys/v1/apps") {
      this.requireManager(principal, "manage apps");
      if (method === "GET") return this.ok(this.listApps(ctx.query));
      if (method === "POST") return this.created(this.appView(this.createApp(ctx.body, principal).app, false));
      return methodNotAllowed();
    }
    if ((match = m(/^\/sys\/v1\/apps\/([^/]+)$/))) {
      this.requireManager(principal, "manage apps");
      const id = decodeURIComponent(match[1]);
      const withPermissions = ctx.query.get("group_permissions") === "true";
      if (method === "GET") return this.ok(this.appView(this.appOr404(id).app, withPermissions));
      if (method === "PATCH") return this.ok(this.appView(this.patchApp(id, ctx.body).app, withPermissions));
      if (method === "DELETE") {
        this.appOr404(id);
        this.removeApp(id);
        return { status: 204 };
      }
      return methodNotAllowed();
    }
    if (path === "/crypto/v1/keys") {
      if (method === "GET") return this.ok(this.listSobjects(ctx.query, principal));
      if (method === "POST") return this.created(this.createSobject(ctx.body, principal).sobject);
      return methodNotAllowed();
    }
    if (path === "/crypto/v1/keys/info") {
      if (method !== "POST") return methodNotAllowed();
      return this.ok(this.sobjectInfo(ctx.body, principal).sobject);
    }
    if (path === "/crypto/v1/keys/rekey") {
      if (method !== "POST") return methodNotAllowed();
      return this.created(this.rekey(ctx.body, principal).sobject);
    }
    if ((match = m(/^\/crypto\/v1\/keys\/([^/]+)\/revoke$/))) {
      if (method !== "POST") return methodNotAllowed();
      this.revoke(decodeURIComponent(match[1]), ctx.body, principal);
      return { status: DSM_EMULATOR_UNCONFIRMED.revokeStatus };
    }
    if ((match = m(/^\/crypto\/v1\/keys\/([^/]+)$/))) {
      const kid = decodeURIComponent(match[1]);
      if (method === "GET") return this.ok(this.visibleSobject(kid, principal).sobject);
      if (method === "PATCH") return this.ok(this.patchSobject(kid, ctx.body, principal).sobject);
      if (method === "DELETE") {
        const r = this.manageableSobject(kid, principal, "delete");
        this.sobjectsByKid.delete(r.sobject.kid);
        return { status: 204 };
      }
      return methodNotAllowed();
    }
    if (path === "/crypto/v1/encrypt" || path === "/crypto/v1/decrypt") {
      if (method !== "POST") return methodNotAllowed();
      return this.ok(path.endsWith("encrypt") ? this.cryptoEncrypt(ctx.body, principal) : this.cryptoDecrypt(ctx.body, principal));
    }
    throw new DsmError(404, `no such endpoint: ${method} ${path}`);
  }

  private ok(json: unknown): DsmEmulatorReply {
    return { status: 200, json: clone(json) };
  }

  private created(json: unknown): DsmEmulatorReply {
    return { status: DSM_EMULATOR_UNCONFIRMED.createStatus, json: clone(json) };
  }

  // ============================================================================================
  // Sessions and authentication
  // ============================================================================================

  private sessionAuth(ctx: RouteContext): DsmEmulatorReply {
    const basic = parseEmulatorBasicAuth(headerOf(ctx.headers.authorization));
    if (!basic) {
      this.stats.failedAuthentications += 1;
      throw new DsmError(401, "authentication required: send Authorization: Basic <api key> or Basic base64(email:password)");
    }
    let principal: Principal | undefined;
    const app = this.appsById.get(basic.user);
    if (app && app.secret !== undefined && safeEqual(app.secret, basic.password)) {
      if (!app.app.enabled) {
        this.stats.failedAuthentications += 1;
        throw new DsmError(401, "app is disabled");
      }
      principal = { kind: "app", appId: app.app.app_id };
    } else {
      const user = [...this.users.values()].find((u) => u.email === basic.user);
      if (user && safeEqual(user.password, basic.password)) principal = { kind: "user", userId: user.user_id };
    }
    if (!principal) {
      this.stats.failedAuthentications += 1;
      throw new DsmError(401, "invalid credentials: unknown app or user, or wrong secret or password");
    }
    this.stats.sessionAuthentications += 1;
    const ttl = this.options.sessionTtlSeconds ?? 600;
    const token = randomBytes(32).toString("base64url");
    this.sessions.set(token, { principal, expiresAt: this.now() + ttl * 1000, accountSelected: principal.kind === "app" });
    return {
      status: 200,
      json: {
        token_type: "Bearer",
        expires_in: ttl,
        access_token: token,
        entity_id: principal.kind === "app" ? principal.appId : principal.kind === "user" ? principal.userId : EMULATOR_PRINCIPAL_ID,
      },
    };
  }

  private authenticate(ctx: RouteContext): Principal {
    const header = headerOf(ctx.headers.authorization);
    const bearer = parseEmulatorBearerAuth(header);
    if (bearer !== undefined) {
      const session = this.sessions.get(bearer);
      if (!session) throw new DsmError(401, "invalid bearer token: no such session");
      if (session.expiresAt <= this.now()) {
        this.sessions.delete(bearer);
        throw new DsmError(401, "session expired: authenticate again at /sys/v1/session/auth");
      }
      return session.principal;
    }
    const basic = parseEmulatorBasicAuth(header);
    if (basic) {
      const app = this.appsById.get(basic.user);
      if (app && app.secret !== undefined && safeEqual(app.secret, basic.password) && app.app.enabled) {
        this.stats.basicAuthCalls += 1;
        return { kind: "app", appId: app.app.app_id };
      }
      if ([...this.users.values()].some((u) => u.email === basic.user)) {
        throw new DsmError(401, "user credentials are only accepted by /sys/v1/session/auth: open a session and select the account");
      }
      throw new DsmError(401, "invalid API key");
    }
    throw new DsmError(401, "authentication required: Authorization: Bearer <session token> or Basic <api key>");
  }

  private sessionOf(ctx: RouteContext): Session | undefined {
    const bearer = parseEmulatorBearerAuth(headerOf(ctx.headers.authorization));
    return bearer === undefined ? undefined : this.sessions.get(bearer);
  }

  private selectAccount(ctx: RouteContext, principal: Principal): DsmEmulatorReply {
    const body = asObject(ctx.body);
    const acctId = reqString(body, "acct_id");
    if (acctId.toLowerCase() !== this.accountId) throw new DsmError(404, "account does not exist");
    const session = this.sessionOf(ctx);
    if (!session) throw new DsmError(400, "select_account needs a session: authenticate at /sys/v1/session/auth first");
    session.accountSelected = true;
    if (principal.kind === "user") this.stats.accountSelections += 1;
    return { status: 200, json: DSM_EMULATOR_UNCONFIRMED.selectAccountBody };
  }

  private terminate(ctx: RouteContext): DsmEmulatorReply {
    const bearer = parseEmulatorBearerAuth(headerOf(ctx.headers.authorization));
    if (bearer === undefined) throw new DsmError(400, "terminate needs a Bearer session token");
    this.sessions.delete(bearer);
    this.stats.sessionTerminations += 1;
    return { status: 204 };
  }

  private requireAccount(ctx: RouteContext, principal: Principal): void {
    if (principal.kind !== "user") return;
    const session = this.sessionOf(ctx);
    if (!session?.accountSelected) {
      throw new DsmError(
        DSM_EMULATOR_UNCONFIRMED.accountNotSelectedStatus,
        "no account selected: POST /sys/v1/session/select_account {\"acct_id\":…} first",
      );
    }
  }

  private appOf(principal: Principal): DsmEmulatorApp | undefined {
    return principal.kind === "app" ? this.appsById.get(principal.appId)?.app : undefined;
  }

  private isManager(principal: Principal): boolean {
    const app = this.appOf(principal);
    return app === undefined ? true : app.role === "admin";
  }

  private requireManager(principal: Principal, what: string): void {
    if (!this.isManager(principal)) throw new DsmError(403, `insufficient permissions: a crypto app cannot ${what} (use an administrative app or a user)`);
  }

  private memberGroups(principal: Principal): Set<string> | undefined {
    const app = this.appOf(principal);
    if (!app || app.role === "admin") return undefined; // everything
    return new Set(Object.keys(app.groups));
  }

  // ============================================================================================
  // Groups
  // ============================================================================================

  private creatorOf(principal: Principal): DsmEmulatorCreator {
    if (principal.kind === "app") return { app: principal.appId };
    return { user: principal.kind === "user" ? principal.userId : EMULATOR_PRINCIPAL_ID };
  }

  private createGroup(requestBody: unknown, principal: Principal): DsmEmulatorGroup {
    const body = asObject(requestBody);
    const name = reqString(body, "name");
    const description = optString(body, "description");
    if ([...this.groupsById.values()].some((g) => g.name === name)) throw new DsmError(409, "group already exists");
    const group: DsmEmulatorGroup = {
      group_id: randomUUID(),
      acct_id: this.accountId,
      name,
      ...(description !== undefined ? { description } : {}),
      created_at: dsmTimestamp(this.now()),
      creator: this.creatorOf(principal),
    };
    this.groupsById.set(group.group_id, group);
    return group;
  }

  private groupOr404(id: string): DsmEmulatorGroup {
    const g = this.groupsById.get(id);
    if (!g) throw new DsmError(404, "group does not exist");
    return g;
  }

  private visibleGroups(principal: Principal): DsmEmulatorGroup[] {
    const member = this.memberGroups(principal);
    return [...this.groupsById.values()].filter((g) => !member || member.has(g.group_id));
  }

  private visibleGroup(id: string, principal: Principal): DsmEmulatorGroup {
    const g = this.groupOr404(id);
    const member = this.memberGroups(principal);
    if (member && !member.has(id)) throw new DsmError(404, "group does not exist");
    return g;
  }

  private patchGroup(id: string, requestBody: unknown): DsmEmulatorGroup {
    const g = this.groupOr404(id);
    const body = asObject(requestBody);
    const name = optString(body, "name");
    const description = optString(body, "description");
    if (name !== undefined) {
      if (name.trim() === "") throw new DsmError(400, "name must not be empty");
      if (name !== g.name && [...this.groupsById.values()].some((x) => x.name === name)) throw new DsmError(409, "group already exists");
      g.name = name;
    }
    if (description !== undefined) g.description = description;
    return g;
  }

  private deleteGroupApi(id: string): void {
    this.groupOr404(id);
    const held = [...this.sobjectsByKid.values()].filter((r) => r.sobject.group_id === id).length;
    if (held > 0) {
      throw new DsmError(
        DSM_EMULATOR_UNCONFIRMED.nonEmptyGroupDeleteStatus,
        `group is not empty: it still holds ${held} security object${held === 1 ? "" : "s"}`,
      );
    }
    this.removeGroup(id);
  }

  private removeGroup(id: string): void {
    this.groupsById.delete(id);
    for (const { app } of this.appsById.values()) {
      if (!(id in app.groups)) continue;
      delete app.groups[id];
      if (app.default_group === id) {
        const next = Object.keys(app.groups)[0];
        if (next) app.default_group = next;
        else delete app.default_group;
      }
    }
  }

  // ============================================================================================
  // Apps
  // ============================================================================================

  private findApp(idOrName: string, byNameOnly: boolean): AppRecord | undefined {
    if (!byNameOnly) {
      const byId = this.appsById.get(idOrName);
      if (byId) return byId;
    }
    return [...this.appsById.values()].find((r) => r.app.name === idOrName);
  }

  private appOr404(id: string): AppRecord {
    const r = this.appsById.get(id);
    if (!r) throw new DsmError(404, "app does not exist");
    return r;
  }

  private appView(app: DsmEmulatorApp, withPermissions: boolean): Record<string, unknown> {
    const view: Record<string, unknown> = { ...clone(app) };
    if (!withPermissions) view.groups = Object.keys(app.groups);
    return view;
  }

  private listApps(query: URLSearchParams): Record<string, unknown>[] {
    const groupId = query.get("group_id");
    const withPermissions = query.get("group_permissions") === "true";
    const offset = nonNegativeIntParam(query, "offset") ?? 0;
    const limit = nonNegativeIntParam(query, "limit");
    const apps = [...this.appsById.values()].map((r) => r.app).filter((a) => !groupId || groupId in a.groups);
    return apps.slice(offset, limit === undefined ? undefined : offset + limit).map((a) => this.appView(a, withPermissions));
  }

  private checkGroupsExist(groups: Iterable<string>): void {
    for (const id of groups) if (!this.groupsById.has(id)) throw new DsmError(404, `group does not exist: ${id}`);
  }

  private createApp(requestBody: unknown, principal: Principal): AppRecord {
    const body = asObject(requestBody);
    const name = reqString(body, "name");
    const description = optString(body, "description");
    const appType = optString(body, "app_type") ?? "default";
    const role = optString(body, "role") ?? "crypto";
    if (role !== "crypto" && role !== "admin") throw new DsmError(400, `role must be "crypto" or "admin", got "${role}"`);
    const groups = body.add_groups === undefined || body.add_groups === null ? {} : groupPermissionMapOf(body.add_groups, "add_groups");
    this.checkGroupsExist(Object.keys(groups));
    let defaultGroup = optUuid(body, "default_group");
    if (defaultGroup !== undefined) {
      this.checkGroupsExist([defaultGroup]);
      if (DSM_EMULATOR_UNCONFIRMED.defaultGroupMustBeMember && !(defaultGroup in groups)) {
        throw new DsmError(400, `default_group ${defaultGroup} must also be listed in add_groups`);
      }
    } else {
      defaultGroup = Object.keys(groups)[0];
    }
    const enabled = optBool(body, "enabled") ?? true;
    const credential = body.credential === undefined || body.credential === null ? undefined : signedJwtOf(body.credential);
    if ([...this.appsById.values()].some((r) => r.app.name === name)) throw new DsmError(409, "app already exists");
    const app: DsmEmulatorApp = {
      app_id: randomUUID(),
      acct_id: this.accountId,
      name,
      ...(description !== undefined ? { description } : {}),
      app_type: appType,
      role,
      ...(defaultGroup !== undefined ? { default_group: defaultGroup } : {}),
      groups,
      enabled,
      auth_type: credential ? "SignedJwt" : "Secret",
      ...(credential ? { credential } : {}),
      created_at: dsmTimestamp(this.now()),
      creator: this.creatorOf(principal),
    };
    const record: AppRecord = { app, ...(credential ? {} : { secret: randomBytes(24).toString("base64url") }) };
    this.appsById.set(app.app_id, record);
    return record;
  }

  private patchApp(id: string, requestBody: unknown): AppRecord {
    const record = this.appOr404(id);
    const body = asObject(requestBody);
    // Validate everything before changing anything: a rejected PATCH leaves the app as it was.
    const next = clone(record.app);
    const name = optString(body, "name");
    if (name !== undefined) {
      if (name.trim() === "") throw new DsmError(400, "name must not be empty");
      if (name !== next.name && [...this.appsById.values()].some((r) => r.app.name === name)) throw new DsmError(409, "app already exists");
      next.name = name;
    }
    const description = optString(body, "description");
    if (description !== undefined) next.description = description;
    const appType = optString(body, "app_type");
    if (appType !== undefined) next.app_type = appType;
    const role = optString(body, "role");
    if (role !== undefined) {
      if (role !== "crypto" && role !== "admin") throw new DsmError(400, `role must be "crypto" or "admin", got "${role}"`);
      next.role = role;
    }
    const enabled = optBool(body, "enabled");
    if (enabled !== undefined) next.enabled = enabled;
    if (body.add_groups !== undefined && body.add_groups !== null) {
      const add = groupPermissionMapOf(body.add_groups, "add_groups");
      this.checkGroupsExist(Object.keys(add));
      for (const [g, perms] of Object.entries(add)) {
        if (g in next.groups) throw new DsmError(400, `add_groups: app is already in group ${g} (use mod_groups to change its permissions)`);
        next.groups[g] = perms;
      }
    }
    if (body.mod_groups !== undefined && body.mod_groups !== null) {
      const mod = groupPermissionMapOf(body.mod_groups, "mod_groups");
      for (const [g, perms] of Object.entries(mod)) {
        if (!(g in next.groups)) throw new DsmError(400, `mod_groups: app is not in group ${g} (use add_groups)`);
        next.groups[g] = perms;
      }
    }
    if (body.del_groups !== undefined && body.del_groups !== null) {
      if (!Array.isArray(body.del_groups) || body.del_groups.some((g) => typeof g !== "string")) {
        throw new DsmError(400, "del_groups must be a list of group UUIDs");
      }
      for (const g of body.del_groups as string[]) {
        if (!(g in next.groups)) throw new DsmError(400, `del_groups: app is not in group ${g}`);
        delete next.groups[g];
      }
    }
    const defaultGroup = optUuid(body, "default_group");
    if (defaultGroup !== undefined) {
      if (!(defaultGroup in next.groups)) throw new DsmError(400, `default_group ${defaultGroup} must be one of the app's groups`);
      next.default_group = defaultGroup;
    } else if (next.default_group !== undefined && !(next.default_group in next.groups)) {
      const first = Object.keys(next.groups)[0];
      if (first) next.default_group = first;
      else delete next.default_group;
    } else if (next.default_group === undefined && Object.keys(next.groups).length > 0) {
      next.default_group = Object.keys(next.groups)[0];
    }
    if (body.credential !== undefined && body.credential !== null) {
      if (record.secret !== undefined) throw new DsmError(400, "credential: an API-key app cannot be turned into a signed-JWT app");
      next.credential = signedJwtOf(body.credential);
      next.auth_type = "SignedJwt";
    }
    record.app = next;
    return record;
  }

  private removeApp(id: string): void {
    this.appsById.delete(id);
    for (const [token, s] of this.sessions) if (s.principal.kind === "app" && s.principal.appId === id) this.sessions.delete(token);
  }

  // ============================================================================================
  // Security objects
  // ============================================================================================

  private findSobjectByName(name: string): SobjectRecord | undefined {
    return [...this.sobjectsByKid.values()].find((r) => r.sobject.name === name);
  }

  private findSobject(kidOrName: string): SobjectRecord | undefined {
    return this.sobjectsByKid.get(kidOrName) ?? this.findSobjectByName(kidOrName);
  }

  private canSee(r: SobjectRecord, principal: Principal): boolean {
    const member = this.memberGroups(principal);
    return !member || member.has(r.sobject.group_id);
  }

  private visibleSobject(kid: string, principal: Principal): SobjectRecord {
    const r = this.sobjectsByKid.get(kid);
    if (!r || !this.canSee(r, principal)) throw new DsmError(404, "sobject does not exist");
    return r;
  }

  private manageableSobject(kid: string, principal: Principal, what: string): SobjectRecord {
    const r = this.visibleSobject(kid, principal);
    this.requireAppManageable(r, principal, what);
    return r;
  }

  private requireAppManageable(r: SobjectRecord, principal: Principal, what: string): void {
    const app = this.appOf(principal);
    if (app && app.role === "crypto" && !r.sobject.key_ops.includes("APPMANAGEABLE")) {
      throw new DsmError(403, `insufficient permissions: a crypto app can only ${what} a security object whose key_ops include APPMANAGEABLE`);
    }
  }

  private listSobjects(query: URLSearchParams, principal: Principal): DsmEmulatorSobject[] {
    const groupId = query.get("group_id");
    const name = query.get("name");
    const offset = nonNegativeIntParam(query, "offset") ?? 0;
    const limit = nonNegativeIntParam(query, "limit");
    return [...this.sobjectsByKid.values()]
      .filter((r) => this.canSee(r, principal) && (!groupId || r.sobject.group_id === groupId) && (!name || r.sobject.name === name))
      .slice(offset, limit === undefined ? undefined : offset + limit)
      .map((r) => r.sobject);
  }

  private sobjectInfo(requestBody: unknown, principal: Principal): SobjectRecord {
    const body = asObject(requestBody);
    const kid = optString(body, "kid");
    const name = optString(body, "name");
    if (kid === undefined && name === undefined) throw new DsmError(400, "give kid or name to identify the security object");
    const r = kid !== undefined ? this.sobjectsByKid.get(kid) : this.findSobjectByName(name as string);
    if (!r || !this.canSee(r, principal) || (name !== undefined && r.sobject.name !== name)) throw new DsmError(404, "sobject does not exist");
    return r;
  }

  private createSobject(requestBody: unknown, principal: Principal): SobjectRecord {
    const body = asObject(requestBody);
    const name = reqString(body, "name");
    const objType = reqString(body, "obj_type");
    if (!KNOWN_OBJ_TYPES.includes(objType)) throw new DsmError(400, `unknown obj_type "${objType}"`);
    if (!SUPPORTED_OBJ_TYPES.includes(objType)) throw new DsmError(400, `obj_type "${objType}" is not supported by the emulator (AES only)`);
    const keySize = body.key_size;
    if (keySize === undefined) throw new DsmError(400, "missing required field: key_size");
    if (typeof keySize !== "number" || !AES_SIZES.includes(keySize)) {
      throw new DsmError(400, `invalid key_size ${JSON.stringify(keySize)} for AES: must be 128, 192 or 256`);
    }
    const keyOps = body.key_ops === undefined || body.key_ops === null ? [...DSM_EMULATOR_UNCONFIRMED.defaultAesKeyOps] : keyOpsOf(body.key_ops);
    const description = optString(body, "description");
    const enabled = optBool(body, "enabled") ?? true;
    const customMetadata = body.custom_metadata === undefined || body.custom_metadata === null ? undefined : customMetadataOf(body.custom_metadata);
    const rotationPolicy = body.rotation_policy === undefined || body.rotation_policy === null ? undefined : rotationPolicyOf(body.rotation_policy);
    let groupId = optUuid(body, "group_id");
    const app = this.appOf(principal);
    if (groupId === undefined) {
      groupId = app?.default_group;
      if (groupId === undefined) throw new DsmError(400, "missing required field: group_id");
    }
    this.groupOr404(groupId);
    const member = this.memberGroups(principal);
    if (member && !member.has(groupId)) throw new DsmError(403, `insufficient permissions: the app is not a member of group ${groupId}`);
    if (this.findSobjectByName(name)) throw new DsmError(409, "sobject already exists");
    const material = randomBytes(keySize / 8);
    const sobject: DsmEmulatorSobject = {
      kid: randomUUID(),
      name,
      ...(description !== undefined ? { description } : {}),
      group_id: groupId,
      acct_id: this.accountId,
      obj_type: objType,
      key_size: keySize,
      key_ops: keyOps,
      enabled,
      state: "Active",
      created_at: dsmTimestamp(this.now()),
      creator: this.creatorOf(principal),
      kcv: aesKcv(material),
      ...(customMetadata !== undefined ? { custom_metadata: customMetadata } : {}),
      ...(rotationPolicy !== undefined ? { rotation_policy: rotationPolicy } : {}),
    };
    const record: SobjectRecord = { sobject, material };
    this.sobjectsByKid.set(sobject.kid, record);
    return record;
  }

  private patchSobject(kid: string, requestBody: unknown, principal: Principal): SobjectRecord {
    const r = this.manageableSobject(kid, principal, "update");
    const body = asObject(requestBody);
    const next = clone(r.sobject);
    for (const fixed of ["obj_type", "key_size", "acct_id"] as const) {
      if (body[fixed] !== undefined && body[fixed] !== r.sobject[fixed]) throw new DsmError(400, `${fixed} cannot be changed`);
    }
    const name = optString(body, "name");
    if (name !== undefined) {
      if (name.trim() === "") throw new DsmError(400, "name must not be empty");
      if (name !== next.name && this.findSobjectByName(name)) throw new DsmError(409, "sobject already exists");
      next.name = name;
    }
    const description = optString(body, "description");
    if (description !== undefined) next.description = description;
    const enabled = optBool(body, "enabled");
    if (enabled !== undefined) next.enabled = enabled;
    if (body.key_ops !== undefined && body.key_ops !== null) next.key_ops = keyOpsOf(body.key_ops);
    if (body.custom_metadata !== undefined) {
      if (body.custom_metadata === null) delete next.custom_metadata;
      else next.custom_metadata = customMetadataOf(body.custom_metadata);
    }
    if (body.rotation_policy !== undefined) {
      if (body.rotation_policy === null) delete next.rotation_policy;
      else next.rotation_policy = rotationPolicyOf(body.rotation_policy);
    }
    const groupId = optUuid(body, "group_id");
    if (groupId !== undefined && groupId !== next.group_id) {
      this.groupOr404(groupId);
      const member = this.memberGroups(principal);
      if (member && !member.has(groupId)) throw new DsmError(403, `insufficient permissions: the app is not a member of group ${groupId}`);
      next.group_id = groupId;
    }
    const deactivation = optString(body, "deactivation_date");
    if (deactivation !== undefined) {
      if (!/^\d{8}T\d{6}Z$/.test(deactivation)) throw new DsmError(400, `deactivation_date must be YYYYMMDDTHHMMSSZ, got "${deactivation}"`);
      next.deactivation_date = deactivation;
    }
    r.sobject = next;
    return r;
  }

  private rekey(requestBody: unknown, principal: Principal): SobjectRecord {
    const body = asObject(requestBody);
    const name = reqString(body, "name");
    const old = this.findSobjectByName(name);
    if (!old || !this.canSee(old, principal)) throw new DsmError(404, "sobject does not exist");
    this.requireAppManageable(old, principal, "rotate");
    if (old.sobject.obj_type !== "AES") throw new DsmError(400, `rekey of obj_type ${old.sobject.obj_type} is not supported by the emulator`);
    const keySize = body.key_size === undefined ? old.sobject.key_size : body.key_size;
    if (typeof keySize !== "number" || !AES_SIZES.includes(keySize)) {
      throw new DsmError(400, `invalid key_size ${JSON.stringify(keySize)} for AES: must be 128, 192 or 256`);
    }
    const keyOps = body.key_ops === undefined || body.key_ops === null ? [...old.sobject.key_ops] : keyOpsOf(body.key_ops);
    const description = optString(body, "description") ?? old.sobject.description;
    const enabled = optBool(body, "enabled") ?? old.sobject.enabled;
    const customMetadata =
      body.custom_metadata === undefined || body.custom_metadata === null ? old.sobject.custom_metadata : customMetadataOf(body.custom_metadata);
    const rotationPolicy =
      body.rotation_policy === undefined || body.rotation_policy === null ? old.sobject.rotation_policy : rotationPolicyOf(body.rotation_policy);
    const deactivateOld = optBool(body, "deactivate_rotated_key") ?? old.sobject.rotation_policy?.deactivate_rotated_key ?? false;

    const now = this.now();
    const base = DSM_EMULATOR_UNCONFIRMED.rotatedName(name, dsmTimestamp(now));
    let rotatedName = base;
    for (let n = 2; this.findSobjectByName(rotatedName); n += 1) rotatedName = `${base} #${n}`;

    const material = randomBytes(keySize / 8);
    const sobject: DsmEmulatorSobject = {
      kid: randomUUID(),
      name,
      ...(description !== undefined ? { description } : {}),
      group_id: old.sobject.group_id,
      acct_id: this.accountId,
      obj_type: old.sobject.obj_type,
      key_size: keySize,
      key_ops: keyOps,
      enabled,
      state: "Active",
      created_at: dsmTimestamp(now),
      creator: this.creatorOf(principal),
      kcv: aesKcv(material),
      links: { replaced: old.sobject.kid },
      ...(customMetadata !== undefined ? { custom_metadata: clone(customMetadata) } : {}),
      ...(rotationPolicy !== undefined ? { rotation_policy: clone(rotationPolicy) } : {}),
    };
    old.sobject.name = rotatedName;
    old.sobject.links = { ...(old.sobject.links ?? {}), replacement: sobject.kid };
    if (deactivateOld) {
      old.sobject.state = "Deactivated";
      old.sobject.deactivation_date = dsmTimestamp(now);
    }
    const record: SobjectRecord = { sobject, material };
    this.sobjectsByKid.set(sobject.kid, record);
    return record;
  }

  private revoke(kid: string, requestBody: unknown, principal: Principal): void {
    const r = this.manageableSobject(kid, principal, "revoke");
    const body = asObject(requestBody);
    const code = reqString(body, "code");
    const codes = ["Unspecified", "KeyCompromise", "CACompromise", "AffiliationChanged", "Superseded", "CessationOfOperation", "PrivilegeWithdrawn"];
    if (!codes.includes(code)) throw new DsmError(400, `code must be one of ${codes.join(", ")}, got "${code}"`);
    optString(body, "message");
    r.sobject.state = code === "KeyCompromise" || code === "CACompromise" ? "Compromised" : "Deactivated";
    r.sobject.deactivation_date = dsmTimestamp(this.now());
  }

  // ---- management-API crypto (beyond the reference; shows that admin apps cannot do crypto) --

  private cryptoTarget(body: Record<string, unknown>, principal: Principal, op: "ENCRYPT" | "DECRYPT"): SobjectRecord {
    const app = this.appOf(principal);
    if (app?.role === "admin") throw new DsmError(403, "insufficient permissions: an administrative app cannot perform cryptographic operations");
    const key = asObject(body.key, "key");
    const kid = optString(key, "kid");
    const name = optString(key, "name");
    const r = kid !== undefined ? this.sobjectsByKid.get(kid) : name !== undefined ? this.findSobjectByName(name) : undefined;
    if (kid === undefined && name === undefined) throw new DsmError(400, "key must have kid or name");
    if (!r || !this.canSee(r, principal)) throw new DsmError(404, "sobject does not exist");
    if (app && !(app.groups[r.sobject.group_id] ?? []).includes(op)) {
      throw new DsmError(403, `insufficient permissions: the app lacks ${op} permission on group ${r.sobject.group_id}`);
    }
    if (!r.sobject.enabled) throw new DsmError(400, "sobject is disabled");
    if (r.sobject.state !== "Active") throw new DsmError(400, `sobject is not Active (state ${r.sobject.state})`);
    if (!r.sobject.key_ops.includes(op)) throw new DsmError(400, `sobject does not allow the ${op} operation (key_ops)`);
    const alg = optString(body, "alg");
    const mode = optString(body, "mode");
    if (alg !== "AES" || mode !== "GCM") throw new DsmError(400, `the emulator supports alg "AES" with mode "GCM" only, got alg ${JSON.stringify(alg)} mode ${JSON.stringify(mode)}`);
    return r;
  }

  private cryptoEncrypt(requestBody: unknown, principal: Principal): Record<string, string> {
    const body = asObject(requestBody);
    const r = this.cryptoTarget(body, principal, "ENCRYPT");
    const plain = base64Field(body, "plain", true) as Buffer;
    const ad = base64Field(body, "ad", false);
    const { cipher, iv, tag } = this.aesGcmEncrypt(r.sobject.kid, plain, ad);
    return { kid: r.sobject.kid, cipher: cipher.toString("base64"), iv: iv.toString("base64"), tag: tag.toString("base64") };
  }

  private cryptoDecrypt(requestBody: unknown, principal: Principal): Record<string, string> {
    const body = asObject(requestBody);
    const r = this.cryptoTarget(body, principal, "DECRYPT");
    const cipher = base64Field(body, "cipher", true) as Buffer;
    const iv = base64Field(body, "iv", true) as Buffer;
    const tag = base64Field(body, "tag", true) as Buffer;
    const ad = base64Field(body, "ad", false);
    try {
      return { kid: r.sobject.kid, plain: this.aesGcmDecrypt(r.sobject.kid, cipher, iv, tag, ad).toString("base64") };
    } catch {
      throw new DsmError(400, "decryption failed: authentication tag mismatch");
    }
  }

  private material(kid: string): Buffer {
    const r = this.sobjectsByKid.get(kid);
    if (!r) throw new Error(`no security object ${kid}`);
    return r.material;
  }

  private aesGcmEncrypt(kid: string, plain: Buffer, aad?: Buffer): { cipher: Buffer; iv: Buffer; tag: Buffer } {
    const key = this.material(kid);
    const iv = randomBytes(12);
    const c = createCipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, iv);
    if (aad) c.setAAD(aad);
    const cipher = Buffer.concat([c.update(plain), c.final()]);
    return { cipher, iv, tag: c.getAuthTag() };
  }

  private aesGcmDecrypt(kid: string, cipher: Buffer, iv: Buffer, tag: Buffer, aad?: Buffer): Buffer {
    const key = this.material(kid);
    const d = createDecipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, iv);
    d.setAuthTag(tag);
    if (aad) d.setAAD(aad);
    return Buffer.concat([d.update(cipher), d.final()]);
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function nonNegativeIntParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (!/^\d+$/.test(v)) throw new DsmError(400, `query parameter ${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

function base64Field(o: Record<string, unknown>, field: string, required: boolean): Buffer | undefined {
  const v = optString(o, field);
  if (v === undefined) {
    if (required) throw new DsmError(400, `missing required field: ${field}`);
    return undefined;
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw new DsmError(400, `${field} must be base64`);
  return Buffer.from(v, "base64");
}
