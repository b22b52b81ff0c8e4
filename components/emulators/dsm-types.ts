// The public types of the DSM emulator: DSM's JSON field names, as Fortanix's OpenAPI document
// ("Fortanix DSM REST API" 0.1.0-20260710) names them.
// Each type says which schema of the document it follows.
import type { EkmHopClock } from "./hop-clock";
import type { EmulatorTlsOptions } from "./http";

/** Operations a security object allows (`KeyOperations`). MASKDECRYPT and AUDIT are app permissions, not key operations. */
export const DSM_EMULATOR_KEY_OPS = [
  "SIGN", "VERIFY", "ENCRYPT", "DECRYPT", "WRAPKEY", "UNWRAPKEY", "DERIVEKEY", "TRANSFORM", "MACGENERATE",
  "MACVERIFY", "EXPORT", "APPMANAGEABLE", "HIGHVOLUME", "AGREEKEY", "ENCAPSULATE", "DECAPSULATE",
] as const;
export type DsmEmulatorKeyOp = (typeof DSM_EMULATOR_KEY_OPS)[number];

/** Permissions an app holds on a group (`AppPermissions`), the fine-grained ones included. */
export const DSM_EMULATOR_PERMISSIONS = [
  "SIGN", "VERIFY", "ENCRYPT", "DECRYPT", "WRAPKEY", "UNWRAPKEY", "DERIVEKEY", "MACGENERATE", "MACVERIFY",
  "EXPORT", "MANAGE", "AGREEKEY", "MASKDECRYPT", "AUDIT", "TRANSFORM", "CREATE_SOBJECTS", "COPY_SOBJECTS",
  "ROTATE_SOBJECTS", "ACTIVATE_SOBJECTS", "REVOKE_SOBJECTS", "REVERT_SOBJECTS", "MOVE_SOBJECTS",
  "UPDATE_SOBJECTS_PROFILE", "UPDATE_SOBJECTS_ENABLED_STATE", "UPDATE_SOBJECT_POLICIES", "UPDATE_KEY_OPS",
  "DELETE_KEY_MATERIAL", "DELETE_SOBJECTS", "DESTROY_SOBJECTS", "RESTORE_EXTERNAL_SOBJECTS", "CALCULATE_DIGEST",
  "ENCAPSULATE", "DECAPSULATE",
] as const;
export type DsmEmulatorPermission = (typeof DSM_EMULATOR_PERMISSIONS)[number];

/** Types of security object (`ObjectType`). The emulator creates AES keys only; the others are refused as unsupported, not unknown. */
export const DSM_EMULATOR_OBJECT_TYPES = [
  "AES", "ARIA", "DES", "DES3", "SEED", "RSA", "DSA", "EC", "KCDSA", "ECKCDSA", "BIP32", "SLIP10", "BLS", "OPAQUE",
  "HMAC", "LEDABETA", "ROUND5BETA", "SECRET", "LMS", "XMSS", "MLDSA", "MLDSABETA", "MLKEM", "MLKEMBETA", "CERTIFICATE", "PBE",
] as const;

/** Revocation codes (`RevocationReasonCode`). */
export const DSM_EMULATOR_REVOCATION_CODES = [
  "Unspecified", "KeyCompromise", "CACompromise", "AffiliationChanged", "Superseded", "CessationOfOperation", "PrivilegeWithdrawn",
] as const;

/** Who created an object (`Principal`, the variants the emulator produces). */
export type DsmEmulatorCreator = { app: string } | { user: string };

/** A group (`Group`). */
export interface DsmEmulatorGroup {
  group_id: string;
  acct_id: string;
  name: string;
  description?: string;
  created_at: string;
  creator: DsmEmulatorCreator;
  /** Required by `Group`; the emulator keeps no client configuration, so it is always `{}`. */
  client_configurations: Record<string, never>;
  custom_metadata?: Record<string, string>;
}

/** Where a signed-JWT app finds the token signing keys (`SigningKeys`: both kinds require every field shown). */
export type DsmEmulatorSigningKeys =
  | { kind: "fetched"; url: string; cache_duration: number }
  | { kind: "stored"; keys: Record<string, string> };

/** The `signedjwt` credential of a JWT app (`SignedJwtCredential`). */
export interface DsmEmulatorSignedJwt {
  valid_issuers: string[];
  signing_keys: DsmEmulatorSigningKeys;
  private_claims_policy?: DsmEmulatorPrivateClaimsPolicy;
}

/** `PrivateClaimsPolicy`: a Rego policy on the token's private claims (stored, not evaluated, by the emulator). */
export interface DsmEmulatorPrivateClaimsPolicy {
  definition: { $type: "rego"; value: string };
}

/** A JWT app's credential (`OneAppCredential`, variant `signedjwt`), served by `GET /sys/v1/apps/{app_id}/credential` only. */
export interface DsmEmulatorAppCredential {
  signedjwt: DsmEmulatorSignedJwt;
}

/**
 * An app (`App`). It carries no `credential`: DSM serves that at `/sys/v1/apps/{app_id}/credential`.
 * `groups` is kept as the permission map; the API answers a uuid list unless `?group_permissions=true`.
 */
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
  created_at: string;
  creator: DsmEmulatorCreator;
  /** Required by `App`; always `{}` (no client configuration). */
  client_configurations: Record<string, never>;
  /** Required by `App`; always "allow_all" (the emulator does not filter by IP). */
  ip_address_policy: "allow_all";
  /** Required by `App`; always `{}` (the emulator does not track last use). */
  last_operations: Record<string, never>;
  /** Required by `App`; always false. */
  legacy_access: boolean;
}

/** `SobjectState`. */
export type DsmEmulatorKeyState = "PreActive" | "Active" | "Deactivated" | "Compromised" | "Destroyed" | "Deleted";

/** `RotationPolicy`: exactly one of the intervals (`RotationInterval` is a oneOf). */
export interface DsmEmulatorRotationPolicy {
  interval_days?: number;
  interval_months?: number;
  effective_at?: string;
  deactivate_rotated_key?: boolean;
}

/** A security object (`Sobject`; the key material is never part of it). */
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
  /** Required by `Sobject`; keys the emulator generates are "FortanixHSM". */
  origin: "FortanixHSM";
  /** Required by `Sobject`; false (symmetric keys). */
  public_only: boolean;
  links?: { replacement?: string; replaced?: string };
  deactivation_date?: string;
  custom_metadata?: Record<string, string>;
  rotation_policy?: DsmEmulatorRotationPolicy;
}

/** Which surface a recorded request hit. */
export type DsmEmulatorApi = "management" | "ekm";

/** The three forms DSM's error bodies take: JSON `{"message"}`, plain text, a bare JSON string. */
export type DsmEmulatorErrorFormat = "json" | "text" | "string";

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
  /**
   * The answer's body as sent: parsed JSON (a copy), the text of a plain-text answer, `undefined`
   * for an empty answer or a dropped connection. Session tokens and app secrets in it read "<redacted>".
   */
  response?: unknown;
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
  /** How many matching requests the fault hits before it is used up; `Infinity`: every one. Default: 1. */
  times?: number;
}

/** Authentication counters. */
export interface DsmEmulatorCounters {
  /** Successful `POST /sys/v1/session/auth` (a two-factor user's included: the session is opened, if useless). */
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

/** The state OCI reads from GetVaultMetadata. */
export type DsmEmulatorEkmVaultState = "ACTIVE" | "BLOCKED";

/** Options of the DSM emulator. */
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
  /** Error body form of the management API. Default: "json" (`{"message"}`). */
  errorFormat?: DsmEmulatorErrorFormat;
  /** How long a deleted security object stays visible to reads, milliseconds. Default: 1000. */
  deletedSobjectVisibleMs?: number;
  /** How long after `select_account` calls still answer as with no account selected, milliseconds. Default: 0. */
  accountSelectionDelayMs?: number;
  /** Add a field the document does not define to every JSON object the management API answers. Default: false. */
  extraResponseFields?: boolean;
  /** `vendor` of the EKM vault metadata. Default: "Fortanix". */
  vendor?: string;
  /** `state` of the EKM vault. Default: "ACTIVE". */
  ekmVaultState?: DsmEmulatorEkmVaultState;
  /** Clock in epoch milliseconds (sessions, timestamps, token expiry, delays). Default: `Date.now`. */
  now?: () => number;
  /** Notes when each EKM call (by its `opc-request-id`) arrived and was answered. Default: not noted. */
  hopClock?: EkmHopClock;
}
