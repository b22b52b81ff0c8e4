// Security objects (the document's "Keys" operations): CreateSobject (POST /crypto/v1/keys,
// SobjectRequest → Sobject), GetSobject (POST /crypto/v1/keys/info, SobjectDescriptor → Sobject),
// ListSobjects (GET /crypto/v1/keys, ListSobjectsParams → ListSobjectsResponse), UpdateSobject (PATCH)
// and DeleteSobject (DELETE) at /crypto/v1/keys/{key_id}, RotateSobject (POST /crypto/v1/keys/rekey,
// SobjectRekeyRequest → Sobject) and RevokeSobject (POST /crypto/v1/keys/{key_id}/revoke,
// RevocationReason → 204). There is no GET /crypto/v1/keys/{key_id}. Keys are AES only.
import { createCipheriv, randomBytes } from "node:crypto";
import {
  asObject,
  boolParam,
  customMetadataOf,
  enumListOf,
  enumOf,
  metadataPage,
  missingField,
  nameOf,
  optBool,
  optString,
  optUint,
  optUuid,
  reqString,
  timestampOf,
  uuidParam,
} from "./dsm-request";
import { clone, DsmError, type DsmEmulatorReply, type DsmState, dsmTimestamp, type Principal, type RouteContext, type SobjectRecord, UUID } from "./dsm-state";
import {
  DSM_EMULATOR_KEY_OPS,
  DSM_EMULATOR_OBJECT_TYPES,
  DSM_EMULATOR_REVOCATION_CODES,
  type DsmEmulatorKeyOp,
  type DsmEmulatorRotationPolicy,
  type DsmEmulatorSobject,
} from "./dsm-types";
import { DSM_EMULATOR_UNCONFIRMED } from "./dsm-unconfirmed";

/** `GET /crypto/v1/keys` returns at most this many keys unless `limit` says otherwise (ListSobjectsParams). */
export const SOBJECT_LIST_DEFAULT_LIMIT = 1000;
const AES_SIZES = [128, 192, 256];

function aesKcv(material: Buffer): string {
  const cipher = createCipheriv(`aes-${material.length * 8}-ecb`, material, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.alloc(16)), cipher.final()]).subarray(0, 3).toString("hex");
}

function keySizeOf(value: unknown): number {
  if (typeof value !== "number" || !AES_SIZES.includes(value)) throw new DsmError(400, `key_size: invalid value: ${JSON.stringify(value)}, expected 128, 192 or 256 for AES`);
  return value;
}

/** `RotationPolicy`: exactly one of `interval_days`, `interval_months` (`RotationInterval` is a oneOf). */
function rotationPolicyOf(value: unknown): DsmEmulatorRotationPolicy {
  const o = asObject(value, "rotation_policy");
  const days = optUint(o, "interval_days", "rotation_policy");
  const months = optUint(o, "interval_months", "rotation_policy");
  if ((days === undefined) === (months === undefined)) {
    throw new DsmError(400, "rotation_policy: invalid value: expected exactly one of interval_days, interval_months");
  }
  const effective = timestampOf(o, "effective_at", "rotation_policy");
  const deactivate = optBool(o, "deactivate_rotated_key", "rotation_policy");
  return {
    ...(days !== undefined ? { interval_days: days } : { interval_months: months }),
    ...(effective !== undefined ? { effective_at: effective } : {}),
    ...(deactivate !== undefined ? { deactivate_rotated_key: deactivate } : {}),
  };
}

const optional = <T>(body: Record<string, unknown>, field: string, read: (v: unknown) => T): T | undefined =>
  body[field] === undefined || body[field] === null ? undefined : read(body[field]);

/** A group the caller may put keys in. */
function requireGroupAccess(state: DsmState, groupId: string, principal: Principal): void {
  state.groupOr404(groupId);
  const member = state.memberGroups(principal);
  if (member && !member.has(groupId)) throw new DsmError(403, `insufficient permissions: the app is not a member of group ${groupId}`);
}

function requireAppManageable(state: DsmState, r: SobjectRecord, principal: Principal, what: string): void {
  const app = state.appOf(principal);
  if (app && app.role === "crypto" && !r.sobject.key_ops.includes("APPMANAGEABLE")) {
    throw new DsmError(403, `insufficient permissions: a crypto app can only ${what} a security object whose key_ops include APPMANAGEABLE`);
  }
}

/** A live object the caller may see (writes never reach a deleted one). */
export function liveSobject(state: DsmState, kid: string, principal: Principal): SobjectRecord {
  const r = state.sobjects.get(kid);
  if (!r || !state.canSeeSobject(r, principal)) throw new DsmError(404, "sobject does not exist");
  return r;
}

function manageableSobject(state: DsmState, kid: string, principal: Principal, what: string): SobjectRecord {
  const r = liveSobject(state, kid, principal);
  requireAppManageable(state, r, principal, what);
  return r;
}

/** Creates an AES key from a SobjectRequest (also the emulator's `seedSobject`). */
export function createSobject(state: DsmState, requestBody: unknown, principal: Principal): SobjectRecord {
  const body = asObject(requestBody);
  const name = nameOf(reqString(body, "name"), "name");
  if (body.obj_type === undefined || body.obj_type === null) throw missingField("", "obj_type");
  const objType = enumOf(body.obj_type, "obj_type", DSM_EMULATOR_OBJECT_TYPES);
  if (objType !== "AES") throw new DsmError(400, `obj_type "${objType}" is not supported by the emulator (AES only)`);
  if (body.key_size === undefined || body.key_size === null) throw missingField("", "key_size");
  const keySize = keySizeOf(body.key_size);
  const keyOps = optional(body, "key_ops", (v) => enumListOf(v, "key_ops", DSM_EMULATOR_KEY_OPS)) ?? [...DSM_EMULATOR_UNCONFIRMED.defaultAesKeyOps];
  const description = optString(body, "description");
  const enabled = optBool(body, "enabled") ?? true;
  const customMetadata = optional(body, "custom_metadata", customMetadataOf);
  const rotationPolicy = optional(body, "rotation_policy", rotationPolicyOf);
  const groupId = optUuid(body, "group_id") ?? state.appOf(principal)?.default_group;
  if (groupId === undefined) throw missingField("", "group_id");
  requireGroupAccess(state, groupId, principal);
  if (state.sobjectNameTaken(name)) throw new DsmError(409, "sobject already exists");
  const material = randomBytes(keySize / 8);
  const sobject: DsmEmulatorSobject = {
    kid: state.newId(),
    name,
    ...(description !== undefined ? { description } : {}),
    group_id: groupId,
    acct_id: state.accountId,
    obj_type: objType,
    key_size: keySize,
    key_ops: keyOps,
    enabled,
    state: "Active",
    created_at: dsmTimestamp(state.now()),
    creator: state.creatorOf(principal),
    kcv: aesKcv(material),
    origin: "FortanixHSM",
    public_only: false,
    ...(customMetadata !== undefined ? { custom_metadata: customMetadata } : {}),
    ...(rotationPolicy !== undefined ? { rotation_policy: rotationPolicy } : {}),
  };
  const record: SobjectRecord = { sobject, material };
  state.sobjects.set(sobject.kid, record);
  return record;
}

/** `SobjectDescriptor`: exactly one of `kid`, `name` (transient and inline keys are not modelled). Deleted keys still show for a while. */
function sobjectInfo(state: DsmState, requestBody: unknown, principal: Principal): SobjectRecord {
  const body = asObject(requestBody);
  for (const kind of ["transient_key", "inline"]) {
    if (body[kind] !== undefined) throw new DsmError(400, `${kind}: not supported by the emulator (give kid or name)`);
  }
  const kid = optUuid(body, "kid");
  const name = optString(body, "name");
  if ((kid === undefined) === (name === undefined)) throw new DsmError(400, "invalid value: expected exactly one of kid, name to identify the security object");
  const r = state.readableSobjects().find((x) => (kid !== undefined ? x.sobject.kid === kid : x.sobject.name === name));
  if (!r || !state.canSeeSobject(r, principal)) throw new DsmError(404, "sobject does not exist");
  return r;
}

function patchSobject(state: DsmState, kid: string, requestBody: unknown, principal: Principal): SobjectRecord {
  const r = manageableSobject(state, kid, principal, "update");
  const body = asObject(requestBody);
  const next = clone(r.sobject);
  for (const fixed of ["obj_type", "key_size", "acct_id"] as const) {
    if (body[fixed] !== undefined && body[fixed] !== null && body[fixed] !== r.sobject[fixed]) throw new DsmError(400, `${fixed} cannot be changed`);
  }
  const name = optString(body, "name");
  if (name !== undefined) {
    nameOf(name, "name");
    if (name !== next.name && state.sobjectNameTaken(name)) throw new DsmError(409, "sobject already exists");
    next.name = name;
  }
  const description = optString(body, "description");
  if (description !== undefined) next.description = description;
  const enabled = optBool(body, "enabled");
  if (enabled !== undefined) next.enabled = enabled;
  const keyOps = optional(body, "key_ops", (v) => enumListOf(v, "key_ops", DSM_EMULATOR_KEY_OPS));
  if (keyOps !== undefined) next.key_ops = keyOps;
  // Nested objects are replaced whole (the document: "the request must provide the complete object");
  // null reads as absent (DSM_EMULATOR_UNCONFIRMED.patchNullIsAbsent).
  const customMetadata = optional(body, "custom_metadata", customMetadataOf);
  if (customMetadata !== undefined) next.custom_metadata = customMetadata;
  const rotationPolicy = optional(body, "rotation_policy", rotationPolicyOf);
  if (rotationPolicy !== undefined) next.rotation_policy = rotationPolicy;
  const groupId = optUuid(body, "group_id");
  if (groupId !== undefined && groupId !== next.group_id) {
    requireGroupAccess(state, groupId, principal);
    next.group_id = groupId;
  }
  const deactivation = timestampOf(body, "deactivation_date");
  if (deactivation !== undefined) next.deactivation_date = deactivation;
  r.sobject = next;
  return r;
}

/** Rotation: the key is renamed `<name> (rotated at <timestamp>)` and a new key with a new kid takes its name. */
export function rekey(state: DsmState, requestBody: unknown, principal: Principal): SobjectRecord {
  const body = asObject(requestBody);
  const name = reqString(body, "name");
  const old = state.findSobjectByName(name);
  if (!old || !state.canSeeSobject(old, principal)) throw new DsmError(404, "sobject does not exist");
  requireAppManageable(state, old, principal, "rotate");
  for (const fixed of DSM_EMULATOR_UNCONFIRMED.rekeyRefusesChangeOf) {
    const value = body[fixed];
    if (value !== undefined && value !== null && value !== old.sobject[fixed as keyof DsmEmulatorSobject]) {
      throw new DsmError(400, `${fixed} cannot be changed by rekey`);
    }
  }
  const keySize = body.key_size === undefined || body.key_size === null ? old.sobject.key_size : keySizeOf(body.key_size);
  const keyOps = optional(body, "key_ops", (v) => enumListOf(v, "key_ops", DSM_EMULATOR_KEY_OPS)) ?? [...old.sobject.key_ops];
  const description = optString(body, "description") ?? old.sobject.description;
  const enabled = optBool(body, "enabled") ?? old.sobject.enabled;
  const customMetadata = optional(body, "custom_metadata", customMetadataOf) ?? old.sobject.custom_metadata;
  const rotationPolicy = optional(body, "rotation_policy", rotationPolicyOf) ?? old.sobject.rotation_policy;
  const deactivateOld = optBool(body, "deactivate_rotated_key") ?? old.sobject.rotation_policy?.deactivate_rotated_key ?? false;

  const now = state.now();
  const base = DSM_EMULATOR_UNCONFIRMED.rotatedName(name, dsmTimestamp(now));
  let rotatedName = base;
  for (let n = 2; state.sobjectNameTaken(rotatedName); n += 1) rotatedName = `${base} #${n}`;

  const material = randomBytes(keySize / 8);
  const sobject: DsmEmulatorSobject = {
    ...clone(old.sobject),
    kid: state.newId(),
    name,
    key_size: keySize,
    key_ops: keyOps,
    enabled,
    state: "Active",
    created_at: dsmTimestamp(now),
    creator: state.creatorOf(principal),
    kcv: aesKcv(material),
    links: { replaced: old.sobject.kid },
  };
  for (const field of ["description", "custom_metadata", "rotation_policy", "deactivation_date"] as const) delete sobject[field];
  if (description !== undefined) sobject.description = description;
  if (customMetadata !== undefined) sobject.custom_metadata = clone(customMetadata);
  if (rotationPolicy !== undefined) sobject.rotation_policy = clone(rotationPolicy);
  old.sobject.name = rotatedName;
  old.sobject.links = { ...(old.sobject.links ?? {}), replacement: sobject.kid };
  if (deactivateOld) {
    old.sobject.state = "Deactivated";
    old.sobject.deactivation_date = dsmTimestamp(now);
  }
  const record: SobjectRecord = { sobject, material };
  state.sobjects.set(sobject.kid, record);
  return record;
}

function revoke(state: DsmState, kid: string, requestBody: unknown, principal: Principal): void {
  const r = manageableSobject(state, kid, principal, "revoke");
  const body = asObject(requestBody);
  if (body.code === undefined) throw missingField("", "code");
  const code = enumOf(body.code, "code", DSM_EMULATOR_REVOCATION_CODES);
  optString(body, "message");
  timestampOf(body, "compromise_occurance_date");
  r.sobject.state = code === "KeyCompromise" || code === "CACompromise" ? "Compromised" : "Deactivated";
  r.sobject.deactivation_date = dsmTimestamp(state.now());
}

/** The Sobject as answered; lists leave `kcv` out unless `show_kcv=true`. */
function sobjectView(sobject: DsmEmulatorSobject, showKcv = true): Record<string, unknown> {
  const view: Record<string, unknown> = { ...clone(sobject) };
  if (!showKcv) delete view.kcv;
  return view;
}

function listSobjects(state: DsmState, query: URLSearchParams, principal: Principal): unknown {
  const groupId = uuidParam(query, "group_id");
  const creator = uuidParam(query, "creator");
  const name = query.get("name");
  const objType = query.get("obj_type");
  if (objType !== null) enumOf(objType, "query parameter obj_type", DSM_EMULATOR_OBJECT_TYPES);
  const showKcv = boolParam(query, "show_kcv") === true;
  const all = state.readableSobjects().filter((r) => state.canSeeSobject(r, principal));
  const matches = all.filter(
    (r) =>
      (groupId === undefined || r.sobject.group_id === groupId) &&
      (name === null || r.sobject.name === name) &&
      (objType === null || r.sobject.obj_type === objType) &&
      (creator === undefined || Object.values(r.sobject.creator)[0] === creator),
  );
  const view = (rs: SobjectRecord[]) => rs.map((r) => sobjectView(r.sobject, showKcv));
  return metadataPage(view(all), view(matches), query, SOBJECT_LIST_DEFAULT_LIMIT);
}

/** The `{key_id}` of a path: a kid that is no UUID names no object. */
function keyIdOf(ctx: RouteContext): string {
  const kid = ctx.params.key_id;
  if (!UUID.test(kid)) throw new DsmError(404, "sobject does not exist");
  return kid;
}

export const sobjectRoutes = {
  CreateSobject(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    return { status: DSM_EMULATOR_UNCONFIRMED.createStatus, json: sobjectView(createSobject(state, ctx.body, ctx.principal).sobject) };
  },
  GetSobject(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    return { status: 200, json: sobjectView(sobjectInfo(state, ctx.body, ctx.principal).sobject) };
  },
  ListSobjects(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    return { status: 200, json: listSobjects(state, ctx.query, ctx.principal) };
  },
  UpdateSobject(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    return { status: 200, json: sobjectView(patchSobject(state, keyIdOf(ctx), ctx.body, ctx.principal).sobject) };
  },
  DeleteSobject(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    state.deleteSobjectEventually(manageableSobject(state, keyIdOf(ctx), ctx.principal, "delete").sobject.kid);
    return { status: 204 };
  },
  RotateSobject(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    return { status: DSM_EMULATOR_UNCONFIRMED.createStatus, json: sobjectView(rekey(state, ctx.body, ctx.principal).sobject) };
  },
  RevokeSobject(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    revoke(state, keyIdOf(ctx), ctx.body, ctx.principal);
    return { status: 204 };
  },
};

