// ============================================================================================
// UNCONFIRMED BEHAVIOURS: the one place where the DSM emulator picks an answer that neither
// Fortanix's OpenAPI document ("Fortanix DSM REST API") nor Oracle's External Key
// Manager documentation settles. Everything else follows the document (management API) or Oracle's
// protocol as its vendor API reference and Thales's pages describe it (EKM endpoints). If real DSM is observed
// to differ, change it here. Clients must not depend on these beyond what the sources allow.
// The statuses, messages, defaults and functions below are what the code reads; the flags (`true`,
// descriptive strings) record a choice the code makes in the one place their comment names.
// ============================================================================================

/** Choices the emulator makes where the sources are silent or disagree; each says why. */
export const DSM_EMULATOR_UNCONFIRMED = {
  // ---- status codes the document leaves as "2XX" or does not give ----------------------------

  /** Status of a successful create (groups, apps, keys) and of rekey. The document says only "2XX". */
  createStatus: 201,
  /** Deleting a group that still holds security objects. Not in the document; the Terraform provider expects 400, other notes on DSM say 400 or 409. */
  nonEmptyGroupDeleteStatus: 409,
  /** A user session calling anything but select_account/terminate before selecting the account. Not in the document. */
  accountNotSelectedStatus: 403,
  /**
   * `GET /crypto/v1/keys/{key_id}` is not an operation of the document (keys are read with
   * `POST /crypto/v1/keys/info`). The path exists for PATCH and DELETE, so a GET there is answered
   * as any method a path does not serve: 405, not 404.
   */
  getSobjectByIdStatus: 405,
  /**
   * The document: "Until the signed assertion is passed to POST /sys/v1/session/auth/2fa/fido2 to
   * complete 2FA, the bearer token can't be used for anything else." Which status DSM answers is not
   * given: 403 (the token is genuine, it lacks a factor; a 401 would invite re-authenticating in a loop).
   * terminate is refused too ("anything else"). The emulator serves no second factor (it cannot check a
   * FIDO2 assertion), so such a session stays useless: that is the case clients must report.
   */
  secondFactorPendingStatus: 403,

  // ---- bodies the document allows but does not fix --------------------------------------------

  /** Body of a successful `select_account` (`SelectAccountResponse`, whose only field `cookie` is for cookie sessions). */
  selectAccountBody: {} as Record<string, never>,
  /** Error bodies: the document declares none. JSON `{"message"}` by default; option `errorFormat` "text" or "string" (a bare JSON string). */
  defaultErrorFormat: "json" as "json" | "text" | "string",
  /**
   * Wording of refused request bodies: serde-style, as DSM (written in Rust) reports them, e.g.
   * "key_ops: unknown variant `AUDIT`, expected one of `SIGN`, …" and "signing_keys: missing field
   * `cache_duration`". The wording is assumed; the 400 status is what clients may rely on.
   */
  validationMessageStyle: "serde",
  /** `GroupRequest` and `AppRequest` require nothing (each serves create and update), but `Group` and `App` require a name: a create without one is a 400. */
  createNeedsName: true,
  /** `SobjectRequest` requires nothing (create, import, update share it); the emulator needs `name`, `obj_type` and, for AES, `key_size` to create a key. */
  createSobjectNeeds: ["name", "obj_type", "key_size"] as readonly string[],
  /** `add_groups` / `mod_groups` may be a uuid list (`AppGroups`) without permissions; the app then holds none on those groups. */
  appGroupsListPermissions: [] as readonly string[],
  /**
   * Credentials: the emulator models `signedjwt` (and API-key apps, created without a credential).
   * Other kinds of `AppCredentialRequest` are refused (400, not supported). An API-key app's
   * `GET …/credential` is `{"secret": …}` (`OneAppCredential`); a PATCH turning it into a signed-JWT
   * app is refused (400). `signing_keys.url` must be an http(s) URL (the document says only "string").
   */
  credentialKinds: ["signedjwt"] as readonly string[],
  /**
   * Rekey: the document lists the fields a rotation may change (activation_date, deactivation_date,
   * state, key_size, key_ops, description, enabled, custom_metadata, rotation_policy, …); the emulator
   * refuses a different `obj_type` or `group_id` with 400 and ignores fields it does not model.
   */
  rekeyRefusesChangeOf: ["obj_type", "group_id"] as readonly string[],
  /**
   * Request fields the emulator does not model (for instance a key's `state` or `deactivation_date`,
   * an app's `ip_address_policy`, `interface` or `credential_migration_period`) are accepted without
   * checking their values against the document, and not stored; unknown fields are ignored. Real
   * DSM checks them (serde): a client must send only what the document allows, which the tests check
   * against the document itself.
   */
  unmodelledRequestFieldsUnchecked: true,
  /**
   * In a PATCH (and any request), `null` reads as an absent field, as serde reads an `Option`: it
   * changes nothing and removes nothing. The document marks many fields nullable without saying
   * null removes; `custom_metadata: {}` empties the metadata.
   */
  patchNullIsAbsent: true,
  /** Name given to the rotated-away key: the document's `<name> (rotated at <timestamp>)`, ` #2`, ` #3`… appended on a same-second clash. */
  rotatedName: (name: string, timestamp: string): string => `${name} (rotated at ${timestamp})`,
  /** Key ops of an AES key created without `key_ops` ("every operation except EXPORT" as notes on DSM say; not in Fortanix's API document). */
  defaultAesKeyOps: ["ENCRYPT", "DECRYPT", "WRAPKEY", "UNWRAPKEY", "DERIVEKEY", "MACGENERATE", "MACVERIFY", "APPMANAGEABLE"] as const,
  /** An app's `default_group` must be one of its groups (else 400). */
  defaultGroupMustBeMember: true,
  /** A crypto app only sees groups and keys of groups it belongs to; others answer 404 as if absent. */
  cryptoAppSeesOnlyItsGroups: true,

  // ---- lists ------------------------------------------------------------------------------------

  /** `GET /sys/v1/apps` lists crypto apps unless `role` is given; `role=admin` lists admin apps only (not both). */
  appListDefaultRole: "crypto" as "crypto" | "admin",
  /** `GET /sys/v1/groups` default `limit`: the document gives none (apps 1001, keys 1000 are the document's). */
  groupListDefaultLimit: 1000,
  /** The continuation token of apps and groups lists: opaque to clients, `offset:<n>` base64url-encoded here. Counts are exact (`count_accuracy: {"$type": "Exact"}`). */
  continuationToken: (offset: number): string => Buffer.from(`offset:${offset}`).toString("base64url"),

  // ---- timing -----------------------------------------------------------------------------------

  /**
   * After DELETE a key stays visible "for about a second" (Kroxylicious waits for it; not in the
   * document): `POST /keys/info` by kid or name and `GET /keys` still show it, unchanged, and its name
   * still clashes on create, rename and rekey. Writes to it (PATCH, DELETE, rekey, revoke, crypto)
   * answer 404 at once, and it no longer keeps its group from being deleted. Option
   * `deletedSobjectVisibleMs`; measured on the emulator's clock.
   */
  deletedSobjectVisibleMs: 1000,
  /**
   * After `select_account` the document warns "it may take several seconds for the new Account to
   * become the default one selected". Option `accountSelectionDelayMs` (default 0): until it has passed,
   * calls answer as with no account selected.
   */
  accountSelectionDelayMs: 0,
  /** Option `extraResponseFields`: this field, added to every object of every JSON answer of the management API except data maps (groups, custom_metadata, stored keys). */
  extraResponseField: ["emulator_unknown_field", "a field the OpenAPI document does not define: clients must ignore it"] as const,

  // ---- how DSM checks an EKM token (the Fortanix EKM guide, section 6; not published by Fortanix) --------------

  /** Token claim matched to the JWT app's `name` on EKM calls: the first of these the token has. */
  jwtAppClaims: ["client_id", "sub"] as readonly string[],
  /** `aud` matches the DSM URL with or without one trailing slash. */
  audienceIgnoresTrailingSlash: true,
  /** The token's space-separated `scope` claim must contain exactly this element (not a fully qualified form). */
  ekmScope: "oci_ekms",
  /** Clock skew tolerated on `exp` / `nbf`, seconds. */
  tokenClockSkewSeconds: 60,
  /** Token failures are 401 with messages naming the failed check: Oracle's error table has no row for them. */
  ekmAuthenticationStatus: 401,

  // ---- the EKM endpoints: what Oracle's table and Thales's pages leave open ---------------------

  /** `{keyId}` is the security object's name (the Fortanix EKM guide, section 10), `{keyVersionId}` its kid; older versions are found through `links.replaced`. */
  ekmKeyIdIsName: true,
  /**
   * Vault state. Thales: GetVaultMetadata returns ACTIVE or BLOCKED; Oracle's table: "hyok vault is
   * disabled" → 403 on `vaults/{vaultId}/metadata`. The emulator reports a BLOCKED vault in the 200
   * metadata (the field exists to say so) and refuses every key call of a BLOCKED vault with 403.
   */
  ekmBlockedVaultMessage: "Vault is blocked in the external key manager.",
  /**
   * Key and key-version `state`: ACTIVE when enabled and Active, BLOCKED when enabled but not Active
   * (Deactivated, Compromised, PreActive). A disabled key (Oracle's "hyok key is disabled") answers
   * 403 on GetKeyMetadata and GetKeyVersionMetadata; Oracle's message there is "xxxxxxxx", so the
   * emulator uses the one Oracle gives for random bytes of a disabled key.
   */
  ekmKeyStates: { usable: "ACTIVE", unusable: "BLOCKED" } as const,
  ekmDisabledKeyMessage: "Key is in disabled state.",
  /** `keyShape.length` in bits (Thales's example: 256); OCI's own key shape counts bytes (32). Not found which OCI compares. */
  ekmKeyLengthUnit: "bits",
  /** `keyOps` / `keyVersionOps`: ENCRYPT and DECRYPT, those the key's `key_ops` allow (Thales: "This release supports the encrypt and decrypt operations"). */
  ekmOperations: ["ENCRYPT", "DECRYPT"] as const,
  /** Encrypt answers `mode` "GCM" (Thales's decrypt doc: "CBC, ECB, GCM"); encrypt and decrypt accept "GCM" or "AES_GCM" (Thales's k6 script). Other modes: 400. */
  ekmMode: "GCM",
  ekmAcceptedModes: ["GCM", "AES_GCM"] as readonly string[],
  /** Decrypt needs `keyVersionId` (400 without): the encrypt blob always carries it, and the latest version cannot decrypt older data. */
  ekmDecryptNeedsKeyVersion: true,
  /** Decrypt answers `{"plaintext"}` only (the field name is inferred; Thales's text was truncated). */
  ekmDecryptFields: ["plaintext"] as readonly string[],
  /** Encrypt and decrypt need an Active version; DSM itself lets a Deactivated key decrypt, but Oracle only says "not in Active state" → 403. */
  ekmDecryptNeedsActive: true,
  /** GenerateRandomBytes at both `POST {vault}/generateRandomBytes` (Thales) and `POST {vault}/keys/{keyId}/generateRandomBytes` (Oracle's table); 201 (Thales) with `{randomBytes, length}`, length 1..65535. */
  ekmRandomBytesStatus: 201,
  ekmRandomBytesMax: 65535,
  /** Oracle's messages for bad base64 are Go's ("illegal base64 data at input byte N"); N is the first bad character, or the start of an unfinished quantum, as Go counts it. */
  ekmBase64Message: (index: number): string => `Bad Request: illegal base64 data at input byte ${index}`,
  /** GetVaultMetadata needs a valid token too (Oracle: every EKMS request carries one). */
  ekmVaultMetadataNeedsToken: true,
  /** `opc-request-id` is echoed in the answer's headers (not found whether OCI expects it). */
  ekmEchoesRequestId: true,
} as const;
