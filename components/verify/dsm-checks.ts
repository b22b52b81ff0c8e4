// What DSM itself must hold for OCI Vault's calls to succeed (the Fortanix EKM guide, sections 9.4, 9.5, 10):
// a signed-JWT app named after the client ID, trusting the domain's issuer and JWKS, with ENCRYPT and
// DECRYPT on the key's group; each key present under its name, enabled, Active, AES-256.
import type { DsmApiSobject } from "../dsm/api";
import { dsmFindAppByName, dsmGetAppCredential, dsmSignedJwtOf } from "../dsm/api-apps";
import { dsmFindSobjectByName, dsmGetSobject, dsmListSobjects } from "../dsm/api-keys";
import { DsmClient, isDsmNotFound, resolveDsmCredentials } from "../dsm/client";
import { ekmCheck, ekmCheckFailed, ekmCheckSkipped, type EkmCheckResult } from "./checks";
import { sameEkmUrl } from "./http";

/**
 * A DSM app as verify checks it: `GET /sys/v1/apps/{id}?group_permissions=true`, and its credential
 * from `GET /sys/v1/apps/{id}/credential` (the fields checked).
 */
export interface EkmDsmApp {
  app_id: string;
  name: string;
  enabled?: boolean;
  auth_type?: string;
  credential?: {
    signedjwt?: {
      valid_issuers?: string[];
      signing_keys?: { kind?: string; url?: string; keys?: Record<string, string> };
    };
    [kind: string]: unknown;
  };
  /** Group ID → permissions. */
  groups: Record<string, string[]>;
}

/** A DSM security object (the fields checked). */
export interface EkmDsmKey {
  kid: string;
  name: string;
  group_id: string;
  obj_type: string;
  key_size?: number;
  key_ops?: string[];
  enabled?: boolean;
  state?: string;
  /** DSM's `created_at`, e.g. `20250102T030405Z`. */
  created_at?: string;
  /** Rotation links: `replacement` is the kid that took over, `replaced` the kid this one took over from. */
  links?: { replacement?: string; replaced?: string };
}

/**
 * Read access to DSM for the checks, so they do not depend on how the session is made.
 * {@link dsmReaderFromClient} builds one from the project's `DsmClient`.
 */
export interface EkmDsmReader {
  /** The app with this exact name, with group permissions; undefined when there is none. */
  findAppByName(name: string): Promise<EkmDsmApp | undefined>;
  /** The security object with this exact name; undefined when there is none. */
  findKeyByName(name: string): Promise<EkmDsmKey | undefined>;
  /** The security object with this kid; undefined when there is none. */
  getKey(kid: string): Promise<EkmDsmKey | undefined>;
  /** Security objects of a group. */
  listKeysInGroup(groupId: string): Promise<EkmDsmKey[]>;
}

/** What the DSM checks compare against. */
export interface EkmDsmExpectations {
  /** The OCI client app's client ID = the DSM app's name. */
  clientId: string;
  /** The token's `iss` (or, without a token, the issuers expected). */
  issuers: string[];
  /** The `iss` of a token the domain just issued, when there is one: the check then names the form it found. Default: none. */
  tokenIssuer?: string;
  /** The domain's JWKS URI from its discovery document; undefined skips the JWKS URL check. */
  jwksUri?: string;
  /** DSM security object names (the key references' external key IDs). */
  keyNames: string[];
  /** DSM kids of the same keys, same order (stack output `dsmKeyIds`), to recognise a renamed key. Default: none. */
  keyIds?: string[];
}

const ROTATED = / \(rotated at [0-9TZ]+\)( #\d+)?$/;

/** The rotation time in a rotated-away key's name `<name> (rotated at <timestamp>)`, when `rotatedName` is one of `name`'s. */
export function dsmRotatedAt(name: string, rotatedName: string): string | undefined {
  if (!rotatedName.startsWith(`${name} (rotated at `)) return undefined;
  const m = / \(rotated at ([0-9TZ]+)\)( #\d+)?$/.exec(rotatedName.slice(name.length));
  return m && m.index === 0 ? m[1] : undefined;
}

/** DSM's compact timestamp `20250102T030405Z` as ISO 8601 `2025-01-02T03:04:05Z`; anything else unchanged. */
export function dsmTimestampIso(timestamp: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(timestamp);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : timestamp;
}

function list(values: string[]): string {
  return values.length === 0 ? "(none)" : values.map((v) => JSON.stringify(v)).join(", ");
}

/** The app checks, in order: dsm-app, dsm-app-enabled, dsm-app-auth, dsm-app-issuer, dsm-app-jwks-url. */
function appChecks(app: EkmDsmApp | undefined, expect: EkmDsmExpectations): EkmCheckResult[] {
  const name = expect.clientId;
  if (!app) {
    const why = "no DSM app named after the client ID";
    return [
      ekmCheckFailed(
        "dsm-app",
        `a DSM app named ${JSON.stringify(name)} (the client app's Client ID)`,
        "no app with that name",
        `create the DSM app with the client app's Client ID ${name} as its name (Apps → ADD APP, authentication method JSON Web Token)`,
      ),
      ekmCheckSkipped("dsm-app-enabled", "the app is enabled", why),
      ekmCheckSkipped("dsm-app-auth", "authentication method JSON Web Token", why),
      ekmCheckSkipped("dsm-app-issuer", `valid issuers include ${list(expect.issuers)}`, why),
      ekmCheckSkipped("dsm-app-jwks-url", "fetched signing keys from the domain's JWKS URI", why),
    ];
  }
  const results: EkmCheckResult[] = [
    ekmCheck(true, "dsm-app", `a DSM app named ${JSON.stringify(name)}`, `app ${app.app_id}`, ""),
    ekmCheck(
      app.enabled !== false,
      "dsm-app-enabled",
      "the app is enabled",
      app.enabled === false ? "disabled" : "enabled",
      `enable the DSM app ${name}`,
    ),
  ];
  const jwt = app.credential?.signedjwt;
  const authFound = jwt ? "JSON Web Token (signedjwt)" : `auth_type ${app.auth_type ?? "unknown"}`;
  results.push(
    ekmCheck(
      jwt !== undefined,
      "dsm-app-auth",
      "authentication method JSON Web Token (credential signedjwt)",
      authFound,
      `set the DSM app ${name}'s authentication method to JSON Web Token, with valid issuer and fetched signing keys from the domain's JWKS URI`,
    ),
  );
  if (!jwt) {
    results.push(ekmCheckSkipped("dsm-app-issuer", `valid issuers include ${list(expect.issuers)}`, "the app is not a JSON Web Token app"));
    results.push(ekmCheckSkipped("dsm-app-jwks-url", "fetched signing keys from the domain's JWKS URI", "the app is not a JSON Web Token app"));
    return results;
  }
  const valid = jwt.valid_issuers ?? [];
  const missing = expect.issuers.filter((i) => !valid.includes(i));
  const form = (iss: string): string => (iss.endsWith("/") ? "with a trailing slash" : "without a trailing slash");
  const token = expect.tokenIssuer;
  // The other form of a missing issuer, when the app has it: the one mistake the public sources invite.
  const otherForm = missing.map((i) => (i.endsWith("/") ? i.replace(/\/+$/, "") : i + "/")).find((i) => valid.includes(i));
  results.push(
    ekmCheck(
      missing.length === 0,
      "dsm-app-issuer",
      token !== undefined
        ? `valid issuers include ${JSON.stringify(token)}, the iss of a token the domain just issued (${form(token)})`
        : `valid issuers include ${list(expect.issuers)}`,
      `valid issuers ${list(valid)}` + (token !== undefined && missing.length === 0 ? `; the domain issues ${JSON.stringify(token)}, ${form(token)}` : ""),
      otherForm !== undefined
        ? `the DSM app ${name} lists ${JSON.stringify(otherForm)} but the domain's tokens say ${list(missing)} (${form(missing[0])}): DSM compares the issuer exactly, so add ${list(missing)} to its valid issuers`
        : `set the DSM app ${name}'s valid issuer to ${list(missing)} (the identity domain's issuer)`,
    ),
  );
  const keys = jwt.signing_keys;
  if (expect.jwksUri === undefined) {
    results.push(ekmCheckSkipped("dsm-app-jwks-url", "fetched signing keys from the domain's JWKS URI", "the domain's JWKS URI is unknown (discovery failed)"));
  } else {
    const found =
      keys?.kind === "fetched" ? `fetched from ${keys.url ?? "(no URL)"}` : keys?.kind === "stored" ? "stored keys" : "no signing keys";
    results.push(
      ekmCheck(
        keys?.kind === "fetched" && typeof keys.url === "string" && sameEkmUrl(keys.url, expect.jwksUri),
        "dsm-app-jwks-url",
        `fetched signing keys from ${expect.jwksUri}`,
        found,
        `set the DSM app ${name}'s signing keys to FETCHED SIGNING KEY with key URL ${expect.jwksUri} (jwks_uri of the domain's discovery document)`,
      ),
    );
  }
  return results;
}

/** A key whose `links.replacement` chain was followed to its newest version (`versions` oldest first, the key itself included). */
interface DsmKeyVersions {
  versions: EkmDsmKey[];
  /** The replacement the newest version names but DSM no longer holds (deleted, or not visible to these credentials). */
  missingReplacement?: string;
}

/** Follows `links.replacement` from `key` to the newest version DSM holds. */
async function followReplacements(reader: EkmDsmReader, key: EkmDsmKey): Promise<DsmKeyVersions> {
  const versions = [key];
  // Bounded as the provider's read is: a loop is caught by the kid check, a longer history is not followed further.
  for (let hops = 0; hops < 50; hops++) {
    const next = versions[versions.length - 1].links?.replacement;
    if (next === undefined || versions.some((v) => v.kid === next)) break;
    const found = await reader.getKey(next);
    if (!found) return { versions, missingReplacement: next };
    versions.push(found);
  }
  return { versions };
}

/**
 * The key the outputs' kid names, when the security object under the expected name is another kid:
 * the outputs predate a rotation when following the kid's replacements reaches the current key.
 */
async function rotationCheck(reader: EkmDsmReader, current: EkmDsmKey, expect: EkmDsmExpectations, index: number): Promise<EkmCheckResult | undefined> {
  const name = expect.keyNames[index];
  const kid = expect.keyIds?.[index];
  if (!kid || kid === current.kid) return undefined;
  const outputsKey = await reader.getKey(kid);
  if (!outputsKey) return undefined;
  const { versions } = await followReplacements(reader, outputsKey);
  if (versions[versions.length - 1].kid !== current.kid) return undefined;
  const rotations = versions.length - 1;
  const since = current.created_at ?? (rotations === 1 ? dsmRotatedAt(name, outputsKey.name) : undefined);
  return {
    ...ekmCheck(
      true,
      "dsm-key-rotated",
      `a security object named ${JSON.stringify(name)} with the kid the stack outputs (dsmKeyIds) ${kid}`,
      `rotated: the outputs' kid ${kid} is a rotated-away version, now named ${JSON.stringify(outputsKey.name)}; ` +
        `the current version of ${JSON.stringify(name)} is kid ${current.kid}${since ? `, since ${dsmTimestampIso(since)}` : ""}` +
        `${rotations > 1 ? ` (${rotations} rotations later)` : ""}`,
      "",
      name,
    ),
    fix:
      `run pulumi refresh && pulumi up so the stack's outputs (dsmKeyIds) follow the new key version and OCI gets a key reference version for it (or run the rotation workflow); nothing to rename in DSM: ` +
      `OCI's key reference finds the key by its name, and the rotated-away version still decrypts what it encrypted`,
    rotation: { previousKid: kid, previousName: outputsKey.name, currentKid: current.kid, ...(since ? { since: dsmTimestampIso(since) } : {}) },
  };
}

/** What stands under another name than expected: renamed keys, or for a rotated-away kid, the fate of its current version. */
type RenamedFinding = { renamed: EkmDsmKey[]; rotatedAway?: undefined } | { renamed: EkmDsmKey[]; rotatedAway: { key: EkmDsmKey; versions: DsmKeyVersions } };

async function findRenamed(reader: EkmDsmReader, app: EkmDsmApp | undefined, expect: EkmDsmExpectations, index: number): Promise<RenamedFinding> {
  const kid = expect.keyIds?.[index];
  const name = expect.keyNames[index];
  if (kid) {
    const byId = await reader.getKey(kid);
    if (!byId || byId.name === name) return { renamed: [] };
    if (byId.links?.replacement === undefined && dsmRotatedAt(name, byId.name) === undefined) return { renamed: [byId] };
    // A rotated-away version: what matters is where its current version went, never its own name.
    const versions = await followReplacements(reader, byId);
    const newest = versions.versions[versions.versions.length - 1];
    return { renamed: newest.kid === byId.kid ? [] : [newest], rotatedAway: { key: byId, versions } };
  }
  if (!app) return { renamed: [] };
  // Without the kid, a candidate is an object of the app's groups that no expected name covers.
  const candidates: EkmDsmKey[] = [];
  for (const groupId of Object.keys(app.groups)) {
    for (const key of await reader.listKeysInGroup(groupId)) {
      if (expect.keyNames.includes(key.name) || ROTATED.test(key.name)) continue;
      if (key.obj_type === "AES") candidates.push(key);
    }
  }
  return { renamed: candidates };
}

/** The per-key checks, in order: dsm-key-exists (or dsm-key-renamed, or dsm-key-rotated), -enabled, -state, -shape, -ops, dsm-app-permissions. */
async function keyChecks(reader: EkmDsmReader, app: EkmDsmApp | undefined, expect: EkmDsmExpectations, index: number): Promise<EkmCheckResult[]> {
  const name = expect.keyNames[index];
  const key = await reader.findKeyByName(name);
  const later = ["dsm-key-enabled", "dsm-key-state", "dsm-key-shape", "dsm-key-ops", "dsm-app-permissions"];
  if (!key) {
    const { renamed, rotatedAway } = await findRenamed(reader, app, expect, index);
    const skipped = later.map((n) => ekmCheckSkipped(n, "", `no security object named ${JSON.stringify(name)}`, name));
    if (rotatedAway && renamed.length > 0) {
      const current = renamed[0];
      return [
        ekmCheckFailed(
          "dsm-key-renamed",
          `a security object named ${JSON.stringify(name)} (OCI's key reference finds the key by name)`,
          `no object named ${JSON.stringify(name)}; the key ${rotatedAway.key.kid} was rotated (now ${JSON.stringify(rotatedAway.key.name)}) and its current version ${current.kid} is named ${JSON.stringify(current.name)}`,
          `rename the security object ${JSON.stringify(current.name)} (kid ${current.kid}, the current version) back to "${name}" in DSM, then run pulumi refresh; ` +
            `leave ${JSON.stringify(rotatedAway.key.name)} as it is: it is a rotated-away version`,
          name,
        ),
        ...skipped,
      ];
    }
    if (rotatedAway) {
      const missing = rotatedAway.versions.missingReplacement;
      return [
        ekmCheckFailed(
          "dsm-key-exists",
          `a security object named ${JSON.stringify(name)}`,
          `no security object with that name; the key ${rotatedAway.key.kid} was rotated (now ${JSON.stringify(rotatedAway.key.name)}) and ` +
            (missing ? `its current version ${missing} is not in DSM` : "DSM names no current version"),
          `the current version of "${name}" was deleted (or these DSM credentials cannot see it): restore it, or create an AES-256 security object named "${name}" ` +
            `(run pulumi refresh, then pulumi up); do not rename ${JSON.stringify(rotatedAway.key.name)} back: it is a rotated-away version`,
          name,
        ),
        ...skipped,
      ];
    }
    if (renamed.length > 0) {
      const names = renamed.map((k) => k.name);
      return [
        ekmCheckFailed(
          "dsm-key-renamed",
          `a security object named ${JSON.stringify(name)} (OCI's key reference finds the key by name)`,
          `no object named ${JSON.stringify(name)}; ${expect.keyIds?.[index] ? `the key ${expect.keyIds[index]} is now named` : "the app's groups hold"} ${list(names)}`,
          `rename the security object ${list(names)} back to "${name}" in DSM: the key reference's external key ID is the name, and renaming breaks every encrypt and decrypt`,
          name,
        ),
        ...skipped,
      ];
    }
    return [
      ekmCheckFailed(
        "dsm-key-exists",
        `a security object named ${JSON.stringify(name)}`,
        "no security object with that name",
        `create an AES-256 security object named "${name}" with ENCRYPT and DECRYPT in the DSM app's group (or run pulumi up)`,
        name,
      ),
      ...skipped,
    ];
  }
  const ops = key.key_ops ?? [];
  const missingOps = ["ENCRYPT", "DECRYPT"].filter((op) => !ops.includes(op));
  const rotated = await rotationCheck(reader, key, expect, index);
  const results: EkmCheckResult[] = [
    rotated ?? ekmCheck(true, "dsm-key-exists", `a security object named ${JSON.stringify(name)}`, `kid ${key.kid}`, "", name),
    ekmCheck(key.enabled !== false, "dsm-key-enabled", "enabled", key.enabled === false ? "disabled" : "enabled", `enable the security object "${name}" in DSM`, name),
    ekmCheck(
      key.state === undefined || key.state === "Active",
      "dsm-key-state",
      "state Active",
      `state ${key.state ?? "unknown"}`,
      `the security object "${name}" is ${key.state}: OCI can only use an Active key; rotate it or create a new Active key under this name`,
      name,
    ),
    ekmCheck(
      key.obj_type === "AES" && key.key_size === 256,
      "dsm-key-shape",
      "AES 256",
      `${key.obj_type} ${key.key_size ?? "?"}`,
      `OCI External Key Management accepts only AES-256: create "${name}" as an AES key of 256 bits (key size cannot be changed in place)`,
      name,
    ),
    ekmCheck(
      missingOps.length === 0,
      "dsm-key-ops",
      "key_ops include ENCRYPT and DECRYPT",
      `key_ops ${list(ops)}`,
      `allow ${missingOps.join(" and ")} in the security object "${name}"'s key operations`,
      name,
    ),
  ];
  if (!app) {
    results.push(ekmCheckSkipped("dsm-app-permissions", "ENCRYPT and DECRYPT on the key's group", "no DSM app named after the client ID", name));
  } else {
    const perms = app.groups[key.group_id];
    const missingPerms = ["ENCRYPT", "DECRYPT"].filter((p) => !(perms ?? []).includes(p));
    results.push(
      ekmCheck(
        missingPerms.length === 0,
        "dsm-app-permissions",
        `the app has ENCRYPT and DECRYPT on the key's group ${key.group_id}`,
        perms === undefined ? "the app is not in the key's group" : `permissions ${list(perms)}`,
        perms === undefined
          ? `add the DSM app ${expect.clientId} to the group of "${name}" with ENCRYPT and DECRYPT`
          : `give the DSM app ${expect.clientId} ${missingPerms.join(" and ")} on the group of "${name}"`,
        name,
      ),
    );
  }
  return results;
}

/** Runs the DSM checks: the app checks, then the key checks for each key name. */
export async function runDsmChecks(reader: EkmDsmReader, expect: EkmDsmExpectations): Promise<EkmCheckResult[]> {
  const app = await reader.findAppByName(expect.clientId);
  const results = appChecks(app, expect);
  for (let i = 0; i < expect.keyNames.length; i++) results.push(...(await keyChecks(reader, app, expect, i)));
  return results;
}

/** An {@link EkmDsmReader} over the project's DSM client (one session per process, retries). */
export function dsmReaderFromClient(client: DsmClient): EkmDsmReader {
  const asKey = (s: DsmApiSobject): EkmDsmKey => ({
    kid: s.kid,
    name: s.name,
    group_id: s.group_id,
    obj_type: s.obj_type,
    key_size: s.key_size,
    key_ops: s.key_ops,
    enabled: s.enabled,
    state: s.state,
    ...(s.created_at !== undefined ? { created_at: s.created_at } : {}),
    ...(s.links !== undefined ? { links: s.links } : {}),
  });
  return {
    async findAppByName(name) {
      const app = await dsmFindAppByName(client, name);
      if (!app) return undefined;
      // Read with group_permissions=true: a plain uuid list would mean "member, permissions unknown".
      const groups = Array.isArray(app.groups) ? Object.fromEntries(app.groups.map((g) => [g, [] as string[]])) : app.groups;
      // The App object carries no credential: issuers and signing keys come from its own endpoint.
      const signedjwt = dsmSignedJwtOf(await dsmGetAppCredential(client, app.app_id));
      return {
        app_id: app.app_id,
        name: app.name,
        enabled: app.enabled,
        auth_type: app.auth_type,
        ...(signedjwt ? { credential: { signedjwt } } : {}),
        groups,
      };
    },
    async findKeyByName(name) {
      const key = await dsmFindSobjectByName(client, name);
      return key ? asKey(key) : undefined;
    },
    async getKey(kid) {
      try {
        return asKey(await dsmGetSobject(client, kid));
      } catch (err) {
        if (isDsmNotFound(err)) return undefined;
        throw err;
      }
    },
    async listKeysInGroup(groupId) {
      return (await dsmListSobjects(client, { groupId })).map(asKey);
    },
  };
}

/** DSM access for verify, or why there is none. `secrets` are the credential values to keep out of the report. */
export interface EkmDsmAccess {
  reader?: EkmDsmReader;
  unavailableReason?: string;
  secrets: string[];
}

/**
 * DSM access from the DSM_* environment (DSM_ENDPOINT, then DSM_API_KEY or DSM_USERNAME +
 * DSM_PASSWORD + DSM_ACCT_ID, DSM_CA_BUNDLE). Without DSM_ENDPOINT the DSM URL is used; without
 * DSM_CA_BUNDLE, `caBundle` (verify's `--ca-bundle`, PEM). No credential at all is not an error:
 * the DSM checks are then skipped with the reason.
 */
export function ekmDsmAccessFromEnv(env: Record<string, string | undefined>, dsmUrl?: string, caBundle?: string): EkmDsmAccess {
  const has = (name: string): boolean => (env[name] ?? "").trim() !== "";
  if (!has("DSM_API_KEY") && !has("DSM_USERNAME") && !has("DSM_PASSWORD")) {
    return {
      unavailableReason: "no DSM credentials (set DSM_API_KEY, or DSM_USERNAME, DSM_PASSWORD and DSM_ACCT_ID; DSM_ENDPOINT defaults to the DSM URL)",
      secrets: [],
    };
  }
  const secrets = [env.DSM_API_KEY, env.DSM_PASSWORD].filter((s): s is string => typeof s === "string" && s !== "");
  const credentials = resolveDsmCredentials(
    { ...(has("DSM_ENDPOINT") || !dsmUrl ? {} : { endpoint: dsmUrl }), ...(has("DSM_CA_BUNDLE") || !caBundle ? {} : { caBundle }) },
    env,
  );
  return { reader: dsmReaderFromClient(new DsmClient(credentials, { maxElapsedMs: 20_000 })), secrets };
}
