// Apps (the document's "Apps" operations): CreateApp (POST /sys/v1/apps, AppRequest → App), ListApps
// (GET /sys/v1/apps, ListAppsParams → ListAppsResponse), GetApp, UpdateApp (PATCH, AppRequest → App)
// and DeleteApp at /sys/v1/apps/{app_id}, and GetAppCredential (GET /sys/v1/apps/{app_id}/credential →
// AppCredentialResponse). The App object carries no credential: a JWT app's issuers and signing keys
// are read from the credential endpoint only.
import { createPublicKey, randomBytes } from "node:crypto";
import {
  asObject,
  boolParam,
  continuationPage,
  enumListOf,
  enumOf,
  enumParam,
  invalidType,
  missingField,
  nameOf,
  optBool,
  optString,
  optUuid,
  reqString,
  uniqueStringsOf,
  uuidParam,
} from "./dsm-request";
import { type AppRecord, clone, DsmError, type DsmEmulatorReply, type DsmState, dsmTimestamp, type Principal, type RouteContext, UUID } from "./dsm-state";
import { type DsmEmulatorApp, type DsmEmulatorAppCredential, type DsmEmulatorPermission, type DsmEmulatorPrivateClaimsPolicy, DSM_EMULATOR_PERMISSIONS, type DsmEmulatorSigningKeys } from "./dsm-types";
import { DSM_EMULATOR_UNCONFIRMED } from "./dsm-unconfirmed";

/** `GET /sys/v1/apps` returns at most this many apps unless `limit` says otherwise (ListAppsParams). */
export const APP_LIST_DEFAULT_LIMIT = 1001;

const ROLES = ["admin", "crypto"] as const;

/** `AppGroups`: a map group → permissions, or a uuid list (permissions: DSM_EMULATOR_UNCONFIRMED.appGroupsListPermissions). */
function appGroupsOf(value: unknown, field: string): Record<string, DsmEmulatorPermission[]> {
  const out: Record<string, DsmEmulatorPermission[]> = {};
  if (Array.isArray(value)) {
    for (const id of uniqueStringsOf(value, field)) {
      if (!UUID.test(id)) throw new DsmError(400, `${field}: invalid value: string ${JSON.stringify(id)}, expected a group UUID`);
      out[id] = [...DSM_EMULATOR_UNCONFIRMED.appGroupsListPermissions] as DsmEmulatorPermission[];
    }
    return out;
  }
  for (const [groupId, perms] of Object.entries(asObject(value, field))) {
    if (!UUID.test(groupId)) throw new DsmError(400, `${field}: invalid value: key ${JSON.stringify(groupId)}, expected a group UUID`);
    out[groupId] = enumListOf(perms, `${field}.${groupId}`, DSM_EMULATOR_PERMISSIONS);
  }
  return out;
}

/** `SigningKeys`: `{"kind":"fetched","url","cache_duration"}` or `{"kind":"stored","keys":{kid: base64 DER}}`. */
function signingKeysOf(value: unknown): DsmEmulatorSigningKeys {
  const where = "credential.signedjwt.signing_keys";
  const keys = asObject(value, where);
  if (keys.kind === undefined) throw missingField(where, "kind");
  const kind = enumOf(keys.kind, `${where}.kind`, ["stored", "fetched"] as const);
  if (kind === "fetched") {
    const url = reqString(keys, "url", where);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
      throw new DsmError(400, `${where}.url: invalid value: string ${JSON.stringify(url)}, expected an http(s) URL`);
    }
    const cache = keys.cache_duration;
    if (cache === undefined || cache === null) throw missingField(where, "cache_duration");
    if (typeof cache !== "number" || !Number.isInteger(cache)) throw invalidType(`${where}.cache_duration`, cache, "an integer (seconds)");
    return { kind, url, cache_duration: cache };
  }
  if (keys.keys === undefined) throw missingField(where, "keys");
  const stored = asObject(keys.keys, `${where}.keys`);
  for (const [kid, der] of Object.entries(stored)) {
    try {
      if (typeof der !== "string") throw new Error("not a string");
      createPublicKey({ key: Buffer.from(der, "base64"), format: "der", type: "spki" });
    } catch {
      throw new DsmError(400, `${where}.keys.${kid}: invalid value: expected a base64 DER public key`);
    }
  }
  return { kind, keys: { ...(stored as Record<string, string>) } };
}

/** `AppCredentialRequest`, of which the emulator models `signedjwt` (`SignedJwtCredential`). */
function credentialOf(value: unknown): DsmEmulatorAppCredential {
  const credential = asObject(value, "credential");
  const kinds = Object.keys(credential);
  if (kinds.length !== 1) throw new DsmError(400, `credential: invalid value: expected exactly one kind of credential, got ${JSON.stringify(kinds)}`);
  if (!DSM_EMULATOR_UNCONFIRMED.credentialKinds.includes(kinds[0])) {
    throw new DsmError(400, `credential: kind "${kinds[0]}" is not supported by the emulator (only signedjwt, or none for an API key)`);
  }
  const jwt = asObject(credential.signedjwt, "credential.signedjwt");
  if (jwt.valid_issuers === undefined) throw missingField("credential.signedjwt", "valid_issuers");
  if (jwt.signing_keys === undefined) throw missingField("credential.signedjwt", "signing_keys");
  const issuers = uniqueStringsOf(jwt.valid_issuers, "credential.signedjwt.valid_issuers");
  const signedjwt: DsmEmulatorAppCredential["signedjwt"] = { valid_issuers: issuers, signing_keys: signingKeysOf(jwt.signing_keys) };
  // Stored and served back, never evaluated: the emulator runs no Rego.
  if (jwt.private_claims_policy !== undefined && jwt.private_claims_policy !== null) signedjwt.private_claims_policy = privateClaimsPolicyOf(jwt.private_claims_policy);
  return { signedjwt };
}

/** `PrivateClaimsPolicy`: `{ definition: { $type: "rego", value } }`, the document's only kind. */
function privateClaimsPolicyOf(value: unknown): DsmEmulatorPrivateClaimsPolicy {
  const where = "credential.signedjwt.private_claims_policy";
  const policy = asObject(value, where);
  if (policy.definition === undefined) throw missingField(where, "definition");
  const definition = asObject(policy.definition, `${where}.definition`);
  if (definition.$type !== "rego") throw new DsmError(400, `${where}.definition: unknown variant ${JSON.stringify(definition.$type)}, expected \`rego\``);
  if (typeof definition.value !== "string") throw missingField(`${where}.definition`, "value");
  return { definition: { $type: "rego", value: definition.value } };
}

function checkGroupsExist(state: DsmState, groups: Iterable<string>): void {
  for (const id of groups) if (!state.groups.has(id)) throw new DsmError(404, `group does not exist: ${id}`);
}

function newApp(state: DsmState, fields: Pick<DsmEmulatorApp, "name" | "app_type" | "role" | "groups" | "enabled" | "auth_type" | "creator"> & Partial<DsmEmulatorApp>): DsmEmulatorApp {
  return {
    app_id: state.newId(),
    acct_id: state.accountId,
    created_at: dsmTimestamp(state.now()),
    client_configurations: {},
    ip_address_policy: "allow_all",
    last_operations: {},
    legacy_access: false,
    ...fields,
  };
}

/** An API-key app made by the emulator's `createApiKey`; returns the record (its `secret` is set). */
export function createSecretApp(state: DsmState, name: string, role: "admin" | "crypto", groups: Record<string, DsmEmulatorPermission[]>, creator: Principal): AppRecord {
  const record: AppRecord = {
    secret: randomBytes(24).toString("base64url"),
    app: newApp(state, {
      name, app_type: "default", role, groups: clone(groups), enabled: true, auth_type: "Secret", creator: state.creatorOf(creator),
      ...(Object.keys(groups).length > 0 ? { default_group: Object.keys(groups)[0] } : {}),
    }),
  };
  state.apps.set(record.app.app_id, record);
  return record;
}

/** Creates an app from an AppRequest (also the emulator's `seedApp`). */
export function createApp(state: DsmState, requestBody: unknown, principal: Principal): AppRecord {
  const body = asObject(requestBody);
  const name = nameOf(reqString(body, "name"), "name");
  const description = optString(body, "description");
  const appType = optString(body, "app_type") ?? "default";
  const role = body.role === undefined || body.role === null ? "crypto" : enumOf(body.role, "role", ROLES);
  const groups = body.add_groups === undefined || body.add_groups === null ? {} : appGroupsOf(body.add_groups, "add_groups");
  checkGroupsExist(state, Object.keys(groups));
  let defaultGroup = optUuid(body, "default_group");
  if (defaultGroup !== undefined) {
    checkGroupsExist(state, [defaultGroup]);
    if (DSM_EMULATOR_UNCONFIRMED.defaultGroupMustBeMember && !(defaultGroup in groups)) {
      throw new DsmError(400, `default_group ${defaultGroup} must also be listed in add_groups`);
    }
  } else {
    defaultGroup = Object.keys(groups)[0];
  }
  const enabled = optBool(body, "enabled") ?? true;
  const credential = body.credential === undefined || body.credential === null ? undefined : credentialOf(body.credential);
  if ([...state.apps.values()].some((r) => r.app.name === name)) throw new DsmError(409, "app already exists");
  const app = newApp(state, {
    name, app_type: appType, role, groups, enabled, auth_type: credential ? "SignedJwt" : "Secret", creator: state.creatorOf(principal),
    ...(description !== undefined ? { description } : {}),
    ...(defaultGroup !== undefined ? { default_group: defaultGroup } : {}),
  });
  const record: AppRecord = credential ? { app, credential } : { app, secret: randomBytes(24).toString("base64url") };
  state.apps.set(app.app_id, record);
  return record;
}

function patchApp(state: DsmState, id: string, requestBody: unknown): AppRecord {
  const record = state.appOr404(id);
  const body = asObject(requestBody);
  // Validate everything before changing anything: a refused PATCH leaves the app as it was.
  const next = clone(record.app);
  const name = optString(body, "name");
  if (name !== undefined) {
    nameOf(name, "name");
    if (name !== next.name && [...state.apps.values()].some((r) => r.app.name === name)) throw new DsmError(409, "app already exists");
    next.name = name;
  }
  const description = optString(body, "description");
  if (description !== undefined) next.description = description;
  const appType = optString(body, "app_type");
  if (appType !== undefined) next.app_type = appType;
  if (body.role !== undefined && body.role !== null) next.role = enumOf(body.role, "role", ROLES);
  const enabled = optBool(body, "enabled");
  if (enabled !== undefined) next.enabled = enabled;
  if (body.add_groups !== undefined && body.add_groups !== null) {
    const add = appGroupsOf(body.add_groups, "add_groups");
    checkGroupsExist(state, Object.keys(add));
    for (const [g, perms] of Object.entries(add)) {
      if (g in next.groups) throw new DsmError(400, `add_groups: app is already in group ${g} (use mod_groups to change its permissions)`);
      next.groups[g] = perms;
    }
  }
  if (body.mod_groups !== undefined && body.mod_groups !== null) {
    for (const [g, perms] of Object.entries(appGroupsOf(body.mod_groups, "mod_groups"))) {
      if (!(g in next.groups)) throw new DsmError(400, `mod_groups: app is not in group ${g} (use add_groups)`);
      next.groups[g] = perms;
    }
  }
  if (body.del_groups !== undefined && body.del_groups !== null) {
    for (const g of uniqueStringsOf(body.del_groups, "del_groups")) {
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
  let credential = record.credential;
  if (body.credential !== undefined && body.credential !== null) {
    if (record.secret !== undefined) throw new DsmError(400, "credential: an API-key app cannot be turned into a signed-JWT app");
    credential = credentialOf(body.credential);
    next.auth_type = "SignedJwt";
  }
  record.app = next;
  record.credential = credential;
  return record;
}

/** The App object: `groups` a uuid list unless `group_permissions=true`. */
export function appView(app: DsmEmulatorApp, withPermissions: boolean): Record<string, unknown> {
  const view: Record<string, unknown> = { ...clone(app) };
  if (!withPermissions) view.groups = Object.keys(app.groups);
  return view;
}

export const appRoutes = {
  CreateApp(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    state.requireManager(ctx.principal, "manage apps");
    const app = createApp(state, ctx.body, ctx.principal).app;
    return { status: DSM_EMULATOR_UNCONFIRMED.createStatus, json: appView(app, boolParam(ctx.query, "group_permissions") === true) };
  },
  ListApps(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    state.requireManager(ctx.principal, "manage apps");
    const role = enumParam(ctx.query, "role", ROLES) ?? DSM_EMULATOR_UNCONFIRMED.appListDefaultRole;
    const groupId = uuidParam(ctx.query, "group_id");
    const withPermissions = boolParam(ctx.query, "group_permissions") === true;
    const apps = [...state.apps.values()]
      .map((r) => r.app)
      .filter((a) => a.role === role && (groupId === undefined || groupId in a.groups))
      .map((a) => appView(a, withPermissions));
    return { status: 200, json: continuationPage(apps, ctx.query, APP_LIST_DEFAULT_LIMIT) };
  },
  GetApp(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    state.requireManager(ctx.principal, "manage apps");
    return { status: 200, json: appView(state.appOr404(ctx.params.app_id).app, boolParam(ctx.query, "group_permissions") === true) };
  },
  UpdateApp(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    state.requireManager(ctx.principal, "manage apps");
    return { status: 200, json: appView(patchApp(state, ctx.params.app_id, ctx.body).app, boolParam(ctx.query, "group_permissions") === true) };
  },
  DeleteApp(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    state.requireManager(ctx.principal, "manage apps");
    state.removeApp(state.appOr404(ctx.params.app_id).app.app_id);
    return { status: 204 };
  },
  GetAppCredential(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    state.requireManager(ctx.principal, "read app credentials");
    const r = state.appOr404(ctx.params.app_id);
    const credential = r.credential ? clone(r.credential) : { secret: r.secret ?? "" };
    return { status: 200, json: { app_id: r.app.app_id, credential } };
  },
};
