// The provider of DSM AES-256 security objects: one function per provider method. provider.ts holds the class
// the serializer sees; its methods call these (provider-common.ts says why).
import * as pulumi from "@pulumi/pulumi";
import type { DsmApiRotationPolicy, DsmApiSobject, DsmSobjectRequest } from "./api";
import { dsmCreateSobject, dsmDeleteSobject, dsmFindSobjectByName, dsmGetSobject, dsmPatchSobject, dsmRekeySobject } from "./api-keys";
import { isDsmNotFound } from "./errors";
import {
  dsmAnyUnknown,
  dsmClean,
  dsmClientFor,
  dsmCreateOrAdopt,
  dsmDefaultEndpoint,
  dsmKnown,
  dsmNewCreateId,
  dsmNotice,
  dsmPartialCreate,
  type DsmProviderHandle,
  dsmSameSet,
  type Props,
} from "./provider-common";
import {
  checkDsmInputsAgainst,
  DSM_CREATE_ID_KEY,
  DSM_KEY_SIZE,
  DSM_MANAGED_BY,
  type DsmSecurityObjectInputs,
  dsmSecurityObjectInputsSchema,
  parseDsmInputsAgainst,
} from "./schemas";

export type DsmSecurityObjectOutputs = DsmSecurityObjectInputs & {
  endpoint: string;
  /** Current key id (changes on rotation). */
  kid: string;
  acctId: string;
  objType: string;
  /** `Active`, `Deactivated`, … */
  state: string;
  kcv?: string;
  /** Key ids that earlier rotations replaced, oldest first (their material is kept in DSM). */
  rotatedKids: string[];
  createdAt?: string;
};

// ---- security objects -----------------------------------------------------------------------------

/**
 * The create body of an AES-256 security object (always with `key_ops`). `createId`, the create's own
 * id, goes into `custom_metadata` beside `managed-by`, for a retried create to know its own key.
 */
export function dsmSecurityObjectCreateBody(inputs: DsmSecurityObjectInputs, createId?: string): DsmSobjectRequest & { name: string } {
  return dsmClean({
    name: inputs.name,
    group_id: inputs.groupId,
    obj_type: "AES",
    key_size: inputs.keySize,
    key_ops: [...inputs.keyOps],
    description: inputs.description,
    enabled: inputs.enabled,
    custom_metadata: { "managed-by": DSM_MANAGED_BY, ...(createId !== undefined ? { [DSM_CREATE_ID_KEY]: createId } : {}) },
    rotation_policy: inputs.rotationPolicyDays !== undefined ? { interval_days: inputs.rotationPolicyDays } : undefined,
  });
}

interface DsmSobjectView {
  description?: string;
  enabled: boolean;
  keyOps: string[];
  rotationPolicyDays?: number;
  /** The whole policy as DSM has it; absent when the view comes from the state, which keeps only the days. */
  rotationPolicy?: DsmApiRotationPolicy;
}

function dsmSobjectViewOf(s: DsmApiSobject): DsmSobjectView {
  return dsmClean({
    description: s.description, enabled: s.enabled, keyOps: s.key_ops, rotationPolicyDays: s.rotation_policy?.interval_days, rotationPolicy: s.rotation_policy,
  });
}

/**
 * The rotation policy to PATCH for `days`: DSM replaces a nested object whole, so everything else the
 * current policy sets (`effective_at`, `deactivate_rotated_key`, …, set outside Pulumi) is carried over;
 * the interval is days alone (the document allows one of `interval_days`, `interval_months`).
 */
export function dsmRotationPolicyFor(current: DsmApiRotationPolicy | undefined, days: number): DsmApiRotationPolicy {
  // Only what the document's RotationPolicy holds besides the interval: a field DSM adds to what it
  // reads back (read-only, or newer than the document) is not sent back to it.
  const kept = Object.fromEntries(ROTATION_POLICY_KEPT.filter((f) => current?.[f] !== undefined).map((f) => [f, current?.[f]]));
  return { ...kept, interval_days: days };
}

/** RotationPolicy's fields other than its interval (`interval_days` or `interval_months`, exactly one). */
const ROTATION_POLICY_KEPT = ["effective_at", "deactivate_rotated_key", "rotate_copied_keys"] as const;

/** The PATCH body bringing `current` to `inputs` (fields left undefined in the inputs are left as DSM has them). */
function dsmSobjectPatch(current: DsmSobjectView, inputs: DsmSecurityObjectInputs): DsmSobjectRequest {
  const body: DsmSobjectRequest = {};
  if (inputs.description !== undefined && inputs.description !== current.description) body.description = inputs.description;
  if (inputs.enabled !== current.enabled) body.enabled = inputs.enabled;
  if (!dsmSameSet(inputs.keyOps, current.keyOps)) body.key_ops = [...inputs.keyOps];
  if (inputs.rotationPolicyDays !== undefined && inputs.rotationPolicyDays !== current.rotationPolicyDays) {
    body.rotation_policy = dsmRotationPolicyFor(current.rotationPolicy, inputs.rotationPolicyDays);
  }
  return body;
}

function dsmSobjectOutputs(inputs: DsmSecurityObjectInputs, s: DsmApiSobject, endpoint: string, rotatedKids: string[]): DsmSecurityObjectOutputs {
  return dsmClean({
    ...inputs,
    name: s.name,
    groupId: s.group_id,
    keySize: s.key_size ?? inputs.keySize,
    keyOps: [...s.key_ops],
    description: s.description ?? inputs.description,
    enabled: s.enabled,
    rotationPolicyDays: s.rotation_policy?.interval_days ?? inputs.rotationPolicyDays,
    endpoint,
    kid: s.kid,
    acctId: s.acct_id,
    objType: s.obj_type,
    state: s.state ?? "Active",
    kcv: s.kcv,
    rotatedKids: [...rotatedKids],
    createdAt: s.created_at,
  });
}

/**
 * Why a change of a security object is refused, or undefined. OCI key references find the key by
 * name; a replacement would strand every ciphertext made with the old key.
 */
export function dsmSecurityObjectRefusal(olds: Props, news: Props, defaultEndpoint?: string): string | undefined {
  const name = String(olds.name);
  const tail =
    "OCI key references find the key by its name (the external key ID), and a new key could not decrypt what the old one encrypted. " +
    "To use another key, add a new DsmSecurityObject (and key reference) next to this one.";
  if (dsmKnown(news.name) && news.name !== olds.name) {
    return `DSM security object "${name}" cannot be renamed to "${String(news.name)}": ${tail} ` +
      `If it was renamed outside Pulumi, rename it back to "${String(news.name)}" in DSM and run \`pulumi refresh\`.`;
  }
  if (dsmKnown(news.groupId) && olds.groupId !== undefined && news.groupId !== olds.groupId) {
    return `DSM security object "${name}" cannot move from group ${String(olds.groupId)} to ${String(news.groupId)}: ` +
      `that would replace the key. ${tail}`;
  }
  if (dsmKnown(news.keySize) && olds.keySize !== undefined && news.keySize !== olds.keySize) {
    return `DSM security object "${name}" cannot change key size from ${String(olds.keySize)} to ${String(news.keySize)}: that would replace the key. ${tail}`;
  }
  if (olds.objType !== undefined && olds.objType !== "AES") {
    return `DSM security object "${name}" is of type ${String(olds.objType)}, not AES: it cannot be changed into an AES key. ${tail}`;
  }
  const newEndpoint = news.endpoint ?? defaultEndpoint;
  if (dsmKnown(newEndpoint) && olds.endpoint !== undefined && newEndpoint !== olds.endpoint) {
    return `DSM security object "${name}" cannot move from ${String(olds.endpoint)} to ${String(newEndpoint)}: that would replace the key. ${tail}`;
  }
  return undefined;
}

export async function dsmSecurityObjectCheck(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
  return checkDsmInputsAgainst(dsmSecurityObjectInputsSchema(), news);
}

export async function dsmSecurityObjectDiff(provider: DsmProviderHandle, id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
  const refusal = dsmSecurityObjectRefusal(olds, news, dsmDefaultEndpoint(provider));
  if (refusal) throw new Error(refusal);
  const changed =
    !dsmKnown(news.name) || !dsmKnown(news.groupId) ||
    (news.description !== undefined && news.description !== olds.description) ||
    (news.enabled ?? true) !== olds.enabled ||
    !dsmKnown(news.keyOps) || !dsmSameSet(news.keyOps as string[], olds.keyOps as string[]) ||
    (news.rotationPolicyDays !== undefined && news.rotationPolicyDays !== olds.rotationPolicyDays) ||
    (news.rotate !== undefined && news.rotate !== olds.rotate) ||
    (news.allowDestroy ?? false) !== (olds.allowDestroy ?? false) ||
    (news.adopt ?? false) !== (olds.adopt ?? false);
  return { changes: changed || dsmAnyUnknown(news), replaces: [] };
}

export async function dsmSecurityObjectCreate(provider: DsmProviderHandle, raw: Props): Promise<pulumi.dynamic.CreateResult<DsmSecurityObjectOutputs>> {
  const inputs = parseDsmInputsAgainst<DsmSecurityObjectInputs>("securityObject", dsmSecurityObjectInputsSchema(), raw);
  const client = dsmClientFor(provider, inputs.endpoint, provider.options);
  // The document's Sobject keeps `custom_metadata` ("User managed field for adding custom metadata
  // to the security object"): the create's own id there tells its own key from anyone else's.
  const createId = dsmNewCreateId();
  const { object: existing, created } = await dsmCreateOrAdopt<DsmApiSobject>({
    kind: "securityObject",
    name: inputs.name,
    takenStatuses: [409],
    // The core looks the name up on a 409 itself: no waiting for a deleted key's name here.
    create: (recover) => dsmCreateSobject(client, dsmSecurityObjectCreateBody(inputs, createId), { recover, waitForFreedName: false }),
    find: () => dsmFindSobjectByName(client, inputs.name),
    idOf: (s) => s.kid,
    isOwn: (s) => s.custom_metadata?.[DSM_CREATE_ID_KEY] === createId,
  }, inputs.adopt, client.endpoint);
  if (created) return { id: existing.name, outs: dsmSobjectOutputs(inputs, existing, client.endpoint, []) };
  const mismatch =
    existing.obj_type !== "AES" ? `it is of type ${existing.obj_type}, not AES` :
    existing.key_size !== DSM_KEY_SIZE ? `its key size is ${String(existing.key_size)}, not ${DSM_KEY_SIZE}` :
    existing.group_id !== inputs.groupId ? `it is in group ${existing.group_id}, not ${inputs.groupId}` :
    undefined;
  if (mismatch) {
    throw new Error(
      `DSM security object "${inputs.name}" (kid ${existing.kid}) cannot be adopted: ${mismatch}. ` +
        "Moving or replacing a key would strand what it encrypted; adopt it with matching groupId (AES-256 only), or choose another name.",
    );
  }
  const patch = dsmSobjectPatch(dsmSobjectViewOf(existing), inputs);
  if (Object.keys(patch).length === 0) return { id: existing.name, outs: dsmSobjectOutputs(inputs, existing, client.endpoint, []) };
  try {
    const patched = await dsmPatchSobject(client, existing.kid, patch);
    return { id: patched.name, outs: dsmSobjectOutputs(inputs, patched, client.endpoint, []) };
  } catch (err) {
    throw dsmPartialCreate(err, existing.name, dsmSobjectOutputs(inputs, existing, client.endpoint, []), raw);
  }
}

export async function dsmSecurityObjectRead(provider: DsmProviderHandle, id: string, props?: Props): Promise<pulumi.dynamic.ReadResult<DsmSecurityObjectOutputs>> {
  const state = (props ?? {}) as Partial<DsmSecurityObjectOutputs>;
  const client = dsmClientFor(provider, state.endpoint, provider.options);
  const rotatedKids = [...(state.rotatedKids ?? [])];
  let current: DsmApiSobject;
  try {
    current = state.kid !== undefined ? await dsmGetSobject(client, state.kid) : ((await dsmFindSobjectByName(client, id)) as DsmApiSobject);
  } catch (err) {
    if (isDsmNotFound(err)) return {};
    throw err;
  }
  if (current === undefined) return {};
  // Rotated outside Pulumi: the state's kid was renamed away; follow the replacement links to the current key.
  for (let hops = 0; current.links?.replacement !== undefined && hops < 50; hops += 1) {
    let next: DsmApiSobject;
    try {
      next = await dsmGetSobject(client, current.links.replacement);
    } catch (err) {
      if (isDsmNotFound(err)) break;
      throw err;
    }
    if (!rotatedKids.includes(current.kid)) rotatedKids.push(current.kid);
    current = next;
  }
  const inputs: DsmSecurityObjectInputs = dsmClean({
    name: current.name,
    groupId: current.group_id,
    keySize: current.key_size ?? DSM_KEY_SIZE,
    keyOps: [...current.key_ops],
    description: current.description,
    enabled: current.enabled,
    rotationPolicyDays: current.rotation_policy?.interval_days,
    rotate: state.rotate,
    allowDestroy: state.allowDestroy ?? false,
    adopt: state.adopt ?? false,
    endpoint: client.endpoint,
  });
  const outs = dsmSobjectOutputs(inputs, current, client.endpoint, rotatedKids);
  return { id, props: outs, inputs: inputs as DsmSecurityObjectOutputs };
}

export async function dsmSecurityObjectUpdate(provider: DsmProviderHandle, id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult<DsmSecurityObjectOutputs>> {
  const old = olds as unknown as DsmSecurityObjectOutputs;
  const refusal = dsmSecurityObjectRefusal(olds, news, dsmDefaultEndpoint(provider));
  if (refusal) throw new Error(refusal);
  const inputs = parseDsmInputsAgainst<DsmSecurityObjectInputs>("securityObject", dsmSecurityObjectInputsSchema(), news);
  const client = dsmClientFor(provider, inputs.endpoint ?? old.endpoint, provider.options);
  let rotatedKids = [...(old.rotatedKids ?? [])];
  let current: DsmApiSobject | undefined;
  let view: DsmSobjectView = dsmSobjectViewOf({
    kid: old.kid, name: old.name, group_id: old.groupId, acct_id: old.acctId, obj_type: old.objType, key_ops: old.keyOps,
    enabled: old.enabled, description: old.description,
    ...(old.rotationPolicyDays !== undefined ? { rotation_policy: { interval_days: old.rotationPolicyDays } } : {}),
  });
  if (inputs.rotate !== undefined && inputs.rotate !== old.rotate) {
    current = await dsmRekeySobject(client, old.name, {}, old.kid);
    rotatedKids = [...rotatedKids.filter((k) => k !== old.kid), old.kid];
    view = dsmSobjectViewOf(current);
  }
  let patch = dsmSobjectPatch(view, inputs);
  if (patch.rotation_policy && current === undefined) {
    // The state keeps only the days: the rest of the policy comes from DSM, so the PATCH keeps it.
    patch = dsmSobjectPatch({ ...view, rotationPolicy: (await dsmGetSobject(client, old.kid)).rotation_policy }, inputs);
  }
  if (Object.keys(patch).length > 0) {
    const rotated = current;
    try {
      current = await dsmPatchSobject(client, rotated?.kid ?? old.kid, patch);
    } catch (err) {
      if (rotated === undefined) throw err;
      // The rekey is done: record it (with what DSM has, not what the PATCH wanted), or the next
      // `pulumi up` would see the old kid and `rotate` in the state and rotate a second time.
      throw dsmPartialCreate(err, id, {
        ...dsmSobjectOutputs(inputs, rotated, client.endpoint, rotatedKids),
        description: rotated.description,
        rotationPolicyDays: rotated.rotation_policy?.interval_days,
      }, news);
    }
  }
  if (current === undefined) {
    return { outs: dsmClean({ ...old, ...inputs, description: inputs.description ?? old.description, endpoint: client.endpoint, rotatedKids }) };
  }
  return { outs: dsmSobjectOutputs(inputs, current, client.endpoint, rotatedKids) };
}

export async function dsmSecurityObjectDelete(provider: DsmProviderHandle, _id: string, props: Props): Promise<void> {
  const state = props as unknown as DsmSecurityObjectOutputs;
  const client = dsmClientFor(provider, state.endpoint, provider.options);
  if (state.allowDestroy === true) {
    for (const kid of [state.kid, ...(state.rotatedKids ?? [])]) {
      try {
        await dsmDeleteSobject(client, kid);
      } catch (err) {
        if (!isDsmNotFound(err)) throw err;
      }
    }
    return;
  }
  try {
    await dsmPatchSobject(client, state.kid, { enabled: false });
  } catch (err) {
    if (isDsmNotFound(err)) return;
    throw err;
  }
  await dsmNotice(
    `DSM security object "${state.name}" (kid ${state.kid}) was disabled and kept in DSM at ${client.endpoint}, with its key material ` +
      "(allowDestroy is false), so data encrypted under it stays recoverable. To use it again, re-enable it or declare it with `adopt: true`; " +
      "to destroy it, set `allowDestroy: true`, run `pulumi up`, then remove it.",
  );
}
