// Input validation and defaults of the DSM resources: the one place where defaults are applied.
//
// Serialization note: the providers call these functions, and where this library is not an installed
// package Pulumi's serializer copies them by value. Schemas are therefore built inside functions (a
// zod schema object is not serializable), and the constants are module locals exported by name at the
// end: TypeScript compiles a use of an `export const` to `exports.NAME`, which a copied function
// cannot resolve; a local binding is captured with the function.
import { z } from "zod";
import { dsmEndpointProblem, normalizeDsmEndpoint } from "./credentials";

/** The value Pulumi passes for an input that is not known yet (during preview). */
const DSM_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Default `validIssuers` of a JWT app: the issuer of OCI Identity Domain tokens, in both forms the
 * public sources give it (with the trailing slash: Fortanix's page and the domain's discovery
 * document; without: an Oracle page). DSM's list accepts either, so the app stays right whichever
 * form the domain puts in `iss`; `verify` reports which one it does.
 */
const DSM_DEFAULT_VALID_ISSUERS: readonly string[] = ["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"];
/** Default group permissions of a JWT app: what OCI Vault's EKM calls need. */
const DSM_DEFAULT_APP_PERMISSIONS: readonly string[] = ["ENCRYPT", "DECRYPT"];
/** Default `jwksCacheSeconds` of a JWT app. */
const DSM_DEFAULT_JWKS_CACHE_SECONDS = 3600;
/** Default `keyOps` of a security object. */
const DSM_DEFAULT_KEY_OPS: readonly string[] = ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"];
/** The only key size OCI External Key Management accepts for a DSM key. */
const DSM_KEY_SIZE = 256;
/** Value of `custom_metadata["managed-by"]` on the groups and security objects this library creates. */
const DSM_MANAGED_BY = "oci-ekm-fortanix";
/**
 * The `custom_metadata` key under which a create sends its own random id (groups and security
 * objects): a retried create that meets its own object, its first answer lost, knows it by this.
 */
const DSM_CREATE_ID_KEY = "create-request-id";

/**
 * Type tokens of the DSM dynamic resources (`pulumi-nodejs:dynamic/<module>:<type>`), by kind: what
 * the state, plans and policies call them.
 */
const DSM_TYPE_TOKENS = {
  group: "pulumi-nodejs:dynamic/dsm:Group",
  jwtApp: "pulumi-nodejs:dynamic/dsm:JwtApp",
  securityObject: "pulumi-nodejs:dynamic/dsm:SecurityObject",
} as const satisfies Record<DsmResourceKind, string>;

/** An app's rights on a group: the `AppPermissions` enum of Fortanix's API document. */
const DSM_GROUP_PERMISSIONS: readonly string[] = [
  "SIGN", "VERIFY", "ENCRYPT", "DECRYPT", "WRAPKEY", "UNWRAPKEY", "DERIVEKEY", "MACGENERATE", "MACVERIFY", "EXPORT", "MANAGE",
  "AGREEKEY", "MASKDECRYPT", "AUDIT", "TRANSFORM", "CREATE_SOBJECTS", "COPY_SOBJECTS", "ROTATE_SOBJECTS", "ACTIVATE_SOBJECTS",
  "REVOKE_SOBJECTS", "REVERT_SOBJECTS", "MOVE_SOBJECTS", "UPDATE_SOBJECTS_PROFILE", "UPDATE_SOBJECTS_ENABLED_STATE",
  "UPDATE_SOBJECT_POLICIES", "UPDATE_KEY_OPS", "DELETE_KEY_MATERIAL", "DELETE_SOBJECTS", "DESTROY_SOBJECTS",
  "RESTORE_EXTERNAL_SOBJECTS", "CALCULATE_DIGEST", "ENCAPSULATE", "DECAPSULATE",
];
/** A security object's operations (`key_ops`): the `KeyOperations` enum of Fortanix's API document (MASKDECRYPT and AUDIT are app permissions, not key operations). */
const DSM_KEY_OPERATIONS: readonly string[] = [
  "SIGN", "VERIFY", "ENCRYPT", "DECRYPT", "WRAPKEY", "UNWRAPKEY", "DERIVEKEY", "TRANSFORM", "MACGENERATE", "MACVERIFY", "EXPORT",
  "APPMANAGEABLE", "HIGHVOLUME", "AGREEKEY", "ENCAPSULATE", "DECAPSULATE",
];

/** Validated inputs of a DSM group (defaults applied). */
export type DsmGroupInputs = {
  name: string;
  description?: string;
  endpoint?: string;
  adopt: boolean;
};

/** Validated inputs of a DSM JWT app (defaults applied). */
export type DsmJwtAppInputs = {
  name: string;
  groupId: string;
  validIssuers: string[];
  jwksUrl: string;
  jwksCacheSeconds: number;
  permissions: string[];
  description?: string;
  endpoint?: string;
  adopt: boolean;
};

/** Validated inputs of a DSM security object (defaults applied). */
export type DsmSecurityObjectInputs = {
  name: string;
  groupId: string;
  keySize: number;
  keyOps: string[];
  description?: string;
  enabled: boolean;
  rotationPolicyDays?: number;
  rotate?: string;
  allowDestroy: boolean;
  adopt: boolean;
  endpoint?: string;
};

/** One invalid input, as Pulumi's `check` reports it. */
export interface DsmInputFailure {
  property: string;
  reason: string;
}

/** Which resource a set of inputs belongs to. */
export type DsmResourceKind = "group" | "jwtApp" | "securityObject";

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * What the checks use of a resource kind's (zod) input schema. Declared here rather than as zod's
 * types so that this package's declarations do not reach zod's: a stack compiled with
 * `module: commonjs` and no `esModuleInterop` (Pulumi's TypeScript template) type-checks them.
 */
export interface DsmInputsSchema {
  readonly shape: Record<string, unknown>;
  omit(mask: Record<string, true>): DsmInputsSchema;
  safeParse(value: unknown):
    | { success: true; data: unknown }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string; code: string }[] } };
}

function fieldSchemas() {
  const name = (what: string, role = "") =>
    z.string({ error: (i) => `must be the ${what} name (a string)${role}, got ${show(i.input)}` })
      .refine((s) => s.trim() !== "", { error: `must not be empty (the ${what} name${role})` })
      .refine((s) => s === s.trim(), { error: (i) => `must not start or end with spaces, got ${show(i.input)}` });
  const optionalText = z.string({ error: (i) => `must be a string, got ${show(i.input)}` }).optional();
  const flag = (dflt: boolean) => z.boolean({ error: (i) => `must be true or false, got ${show(i.input)}` }).default(dflt);
  const endpoint = z
    .string({ error: (i) => `must be the DSM URL (e.g. https://amer.smartkey.io), got ${show(i.input)}` })
    .superRefine((s, ctx) => {
      const problem = dsmEndpointProblem(s);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .transform(normalizeDsmEndpoint)
    .optional();
  const groupId = z
    .string({ error: (i) => `must be the DSM group id (a UUID, e.g. a DsmGroup's groupId output), got ${show(i.input)}` })
    .refine((s) => UUID_PATTERN.test(s), { error: (i) => `must be the DSM group id (a UUID), got ${show(i.input)}` });
  const names = (list: readonly string[], what: string) =>
    z
      .array(
        z.string().refine((s) => list.includes(s), { error: (i) => `${show(i.input)} is not a DSM ${what}; known: ${list.join(", ")}` }),
        { error: (i) => `must be a list of DSM ${what}s, got ${show(i.input)}` },
      )
      .min(1, { error: `must name at least one DSM ${what}` })
      .refine((a) => new Set(a).size === a.length, { error: (i) => `must not repeat a ${what}, got ${show(i.input)}` });
  return { name, optionalText, flag, endpoint, groupId, names };
}

/** Zod schema of {@link DsmGroupInputs}. */
export function dsmGroupInputsSchema(): DsmInputsSchema {
  const f = fieldSchemas();
  return z.object({ name: f.name("group"), description: f.optionalText, endpoint: f.endpoint, adopt: f.flag(false) });
}

/** Zod schema of {@link DsmJwtAppInputs}. */
export function dsmJwtAppInputsSchema(): DsmInputsSchema {
  const f = fieldSchemas();
  return z.object({
    name: f.name("app", ", the OCI client app's client ID"),
    groupId: f.groupId,
    validIssuers: z
      .array(z.string().refine((s) => s.trim() !== "", { error: "an issuer must not be empty" }), {
        error: (i) => `must be a list of token issuers (e.g. ["https://identity.oraclecloud.com/"]), got ${show(i.input)}`,
      })
      .min(1, { error: "must name at least one token issuer (default https://identity.oraclecloud.com/ and https://identity.oraclecloud.com)" })
      // DSM's valid_issuers has unique items.
      .transform((list) => [...new Set(list)])
      .default([...DSM_DEFAULT_VALID_ISSUERS]),
    jwksUrl: z
      .string({ error: (i) => `must be the Identity Domain JWKS URL (…/admin/v1/SigningCert/jwk), got ${show(i.input)}` })
      .superRefine((s, ctx) => {
        const problem = dsmEndpointProblem(s);
        if (problem) ctx.addIssue({ code: "custom", message: `must be the Identity Domain JWKS URL: ${problem.replace(/^"[^"]*" /, "")}` });
      }),
    jwksCacheSeconds: z
      .number({ error: (i) => `must be a number of seconds, got ${show(i.input)}` })
      .int({ error: (i) => `must be a whole number of seconds, got ${show(i.input)}` })
      .positive({ error: (i) => `must be positive, got ${show(i.input)}` })
      .default(DSM_DEFAULT_JWKS_CACHE_SECONDS),
    permissions: f.names(DSM_GROUP_PERMISSIONS, "group permission").default([...DSM_DEFAULT_APP_PERMISSIONS]),
    description: f.optionalText,
    endpoint: f.endpoint,
    adopt: f.flag(false),
  });
}

/** Zod schema of {@link DsmSecurityObjectInputs}. */
export function dsmSecurityObjectInputsSchema(): DsmInputsSchema {
  const f = fieldSchemas();
  return z.object({
    name: f.name("security object", ", the key reference's external key ID"),
    groupId: f.groupId,
    keySize: z
      .number({ error: (i) => `must be 256, got ${show(i.input)}` })
      .refine((n) => n === DSM_KEY_SIZE, { error: (i) => `must be 256 (OCI External Key Management uses AES-256 keys), got ${show(i.input)}` })
      .default(DSM_KEY_SIZE),
    keyOps: f.names(DSM_KEY_OPERATIONS, "key operation").default([...DSM_DEFAULT_KEY_OPS]),
    description: f.optionalText,
    enabled: f.flag(true),
    rotationPolicyDays: z
      .number({ error: (i) => `must be a number of days, got ${show(i.input)}` })
      .int({ error: (i) => `must be a whole number of days, got ${show(i.input)}` })
      .positive({ error: (i) => `must be positive, got ${show(i.input)}` })
      .optional(),
    rotate: z.string({ error: (i) => `must be a string (change it to rotate the key), got ${show(i.input)}` }).optional(),
    allowDestroy: f.flag(false),
    adopt: f.flag(false),
    endpoint: f.endpoint,
  });
}


function schemaOf(kind: DsmResourceKind): DsmInputsSchema {
  return kind === "group" ? dsmGroupInputsSchema() : kind === "jwtApp" ? dsmJwtAppInputsSchema() : dsmSecurityObjectInputsSchema();
}

/** True when `value` is, or contains, Pulumi's unknown-value sentinel. */
export function containsDsmUnknown(value: unknown): boolean {
  if (value === DSM_UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsDsmUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsDsmUnknown);
  return false;
}

/**
 * Validates raw inputs of one resource kind. Fields that are (or contain) unknown values during a
 * preview are passed through unvalidated; every other field is validated and defaulted. Returns the
 * normalized inputs and one failure per bad field (`property` = the input name).
 */
export function checkDsmInputs(kind: DsmResourceKind, raw: Record<string, unknown>): { inputs: Record<string, unknown>; failures: DsmInputFailure[] } {
  return checkDsmInputsAgainst(schemaOf(kind), raw);
}

/**
 * {@link checkDsmInputs} with the kind's schema given: each provider passes its own, so that the
 * code Pulumi copies into its `__provider` carries that one schema and not the other two.
 */
export function checkDsmInputsAgainst(full: DsmInputsSchema, raw: Record<string, unknown>): { inputs: Record<string, unknown>; failures: DsmInputFailure[] } {
  const given: Record<string, unknown> = {};
  const unknowns: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === "__provider" || v === undefined || v === null) continue;
    if (containsDsmUnknown(v)) unknowns[k] = v;
    else given[k] = v;
  }
  const mask: Record<string, true> = Object.fromEntries(Object.keys(unknowns).filter((k) => k in full.shape).map((k) => [k, true] as const));
  const schema = Object.keys(mask).length > 0 ? full.omit(mask) : full;
  const result = schema.safeParse(given);
  if (result.success) return { inputs: { ...(result.data as Record<string, unknown>), ...unknowns }, failures: [] };
  const failures: DsmInputFailure[] = [];
  const seen = new Set<string>();
  for (const issue of result.error.issues) {
    const property = String(issue.path[0] ?? "");
    const at = issue.path.length > 1 ? `[${issue.path.slice(1).join("][")}]` : "";
    const key = `${property}${at}:${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const missing = issue.code === "invalid_type" && issue.path.length === 1 && given[property] === undefined;
    const message = missing ? "is required" : issue.message;
    failures.push({ property, reason: `${property}${at} ${message}` });
  }
  return { inputs: { ...given, ...unknowns }, failures };
}

/** Validated, defaulted inputs, or an error listing every bad field (for callers outside `check`). */
export function parseDsmInputs<K extends DsmResourceKind>(
  kind: K,
  raw: Record<string, unknown>,
): K extends "group" ? DsmGroupInputs : K extends "jwtApp" ? DsmJwtAppInputs : DsmSecurityObjectInputs {
  return parseDsmInputsAgainst(kind, schemaOf(kind), raw) as never;
}

/** {@link parseDsmInputs} with the kind's schema given (see {@link checkDsmInputsAgainst}). */
export function parseDsmInputsAgainst<T>(kind: DsmResourceKind, schema: DsmInputsSchema, raw: Record<string, unknown>): T {
  const { inputs, failures } = checkDsmInputsAgainst(schema, raw);
  if (failures.length > 0) {
    throw new Error(`invalid DSM ${dsmKindLabel(kind)} inputs:\n${failures.map((f) => `  - ${f.reason}`).join("\n")}`);
  }
  const unknown = Object.keys(inputs).filter((k) => containsDsmUnknown(inputs[k]));
  if (unknown.length > 0) throw new Error(`DSM ${dsmKindLabel(kind)} inputs not known yet: ${unknown.join(", ")}`);
  return inputs as never;
}

/** The user's word for a resource kind. */
export function dsmKindLabel(kind: DsmResourceKind): string {
  return kind === "group" ? "group" : kind === "jwtApp" ? "JWT app" : "security object";
}

export {
  DSM_UNKNOWN,
  DSM_DEFAULT_VALID_ISSUERS,
  DSM_DEFAULT_APP_PERMISSIONS,
  DSM_DEFAULT_JWKS_CACHE_SECONDS,
  DSM_DEFAULT_KEY_OPS,
  DSM_KEY_SIZE,
  DSM_MANAGED_BY,
  DSM_CREATE_ID_KEY,
  DSM_TYPE_TOKENS,
  DSM_GROUP_PERMISSIONS,
  DSM_KEY_OPERATIONS,
};
