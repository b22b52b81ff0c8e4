// The provider of DSM groups: one function per provider method. provider.ts holds the class
// the serializer sees; its methods call these (provider-common.ts says why).
import * as pulumi from "@pulumi/pulumi";
import { type DsmApiGroup, type DsmApiSobject, dsmCreateGroup, dsmDeleteGroup, dsmFindGroupByName, dsmGetGroup, dsmPatchGroup } from "./api";
import { dsmListSobjects } from "./api-keys";
import { isDsmNotFound, isDsmStatus } from "./errors";
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
  type Props,
} from "./provider-common";
import {
  checkDsmInputsAgainst,
  DSM_CREATE_ID_KEY,
  DSM_MANAGED_BY,
  type DsmGroupInputs,
  dsmGroupInputsSchema,
  parseDsmInputsAgainst,
} from "./schemas";

export type DsmGroupOutputs = DsmGroupInputs & {
  /** The DSM URL used (no trailing slash). */
  endpoint: string;
  groupId: string;
  acctId: string;
  createdAt?: string;
};

/** State of a {@link DsmJwtApp}. */

// ---- groups ---------------------------------------------------------------------------------------

function dsmGroupOutputs(inputs: DsmGroupInputs, group: DsmApiGroup, endpoint: string): DsmGroupOutputs {
  return dsmClean({
    name: group.name,
    description: group.description ?? inputs.description,
    endpoint,
    adopt: inputs.adopt,
    groupId: group.group_id,
    acctId: group.acct_id,
    createdAt: group.created_at,
  });
}

export async function dsmGroupCheck(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
  return checkDsmInputsAgainst(dsmGroupInputsSchema(), news);
}

export async function dsmGroupDiff(provider: DsmProviderHandle, id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
  const replaces: string[] = [];
  let changes = false;
  const newEndpoint = news.endpoint ?? dsmDefaultEndpoint(provider);
  if (dsmKnown(newEndpoint) && olds.endpoint !== undefined && newEndpoint !== olds.endpoint) replaces.push("endpoint");
  if (news.name !== olds.name) changes = true;
  if (news.description !== undefined && news.description !== olds.description) changes = true;
  if ((news.adopt ?? false) !== (olds.adopt ?? false)) changes = true;
  return { changes: changes || replaces.length > 0 || dsmAnyUnknown(news), replaces };
}

export async function dsmGroupCreate(provider: DsmProviderHandle, raw: Props): Promise<pulumi.dynamic.CreateResult<DsmGroupOutputs>> {
  const inputs = parseDsmInputsAgainst<DsmGroupInputs>("group", dsmGroupInputsSchema(), raw);
  const client = dsmClientFor(provider, inputs.endpoint, provider.options);
  // Groups take `custom_metadata` (GroupRequest and Group in Fortanix's document): the create's own
  // id there tells a group this create made, its answer lost, from anyone else's of the same name.
  const createId = dsmNewCreateId();
  const body = dsmClean({
    name: inputs.name,
    description: inputs.description,
    custom_metadata: { "managed-by": DSM_MANAGED_BY, [DSM_CREATE_ID_KEY]: createId },
  });
  const { object: adopted, created } = await dsmCreateOrAdopt<DsmApiGroup>({
    kind: "group",
    name: inputs.name,
    takenStatuses: [400, 409],
    create: (recover) => dsmCreateGroup(client, body, { recover }),
    find: () => dsmFindGroupByName(client, inputs.name),
    idOf: (g) => g.group_id,
    isOwn: (g) => g.custom_metadata?.[DSM_CREATE_ID_KEY] === createId,
  }, inputs.adopt, client.endpoint);
  let group = adopted;
  if (!created && inputs.description !== undefined && adopted.description !== inputs.description) {
    try {
      group = await dsmPatchGroup(client, adopted.group_id, { description: inputs.description });
    } catch (err) {
      throw dsmPartialCreate(err, adopted.group_id, dsmGroupOutputs(inputs, adopted, client.endpoint), raw);
    }
  }
  return { id: group.group_id, outs: dsmGroupOutputs(inputs, group, client.endpoint) };
}

export async function dsmGroupRead(provider: DsmProviderHandle, id: string, props?: Props): Promise<pulumi.dynamic.ReadResult<DsmGroupOutputs>> {
  const state = (props ?? {}) as Partial<DsmGroupOutputs>;
  const client = dsmClientFor(provider, state.endpoint, provider.options);
  let group: DsmApiGroup;
  try {
    group = await dsmGetGroup(client, id);
  } catch (err) {
    if (isDsmNotFound(err)) return {};
    throw err;
  }
  const outs = dsmGroupOutputs({ name: group.name, description: group.description, adopt: state.adopt ?? false }, group, client.endpoint);
  const inputs = dsmClean({ name: outs.name, description: outs.description, endpoint: outs.endpoint, adopt: outs.adopt });
  return { id, props: outs, inputs: inputs as DsmGroupOutputs };
}

export async function dsmGroupUpdate(provider: DsmProviderHandle, id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult<DsmGroupOutputs>> {
  const old = olds as unknown as DsmGroupOutputs;
  const inputs = parseDsmInputsAgainst<DsmGroupInputs>("group", dsmGroupInputsSchema(), news);
  const client = dsmClientFor(provider, inputs.endpoint ?? old.endpoint, provider.options);
  const body = dsmClean({
    name: inputs.name !== old.name ? inputs.name : undefined,
    description: inputs.description !== undefined && inputs.description !== old.description ? inputs.description : undefined,
  });
  if (Object.keys(body).length === 0) {
    return { outs: dsmClean({ ...old, adopt: inputs.adopt, endpoint: client.endpoint }) };
  }
  const group = await dsmPatchGroup(client, id, body);
  return { outs: dsmGroupOutputs(inputs, group, client.endpoint) };
}

export async function dsmGroupDelete(provider: DsmProviderHandle, id: string, props: Props): Promise<void> {
  const state = props as unknown as DsmGroupOutputs;
  const client = dsmClientFor(provider, state.endpoint, provider.options);
  let held: DsmApiSobject[];
  try {
    held = await dsmListSobjects(client, { groupId: id });
  } catch (err) {
    if (isDsmNotFound(err)) return;
    throw err;
  }
  if (held.length === 0) {
    try {
      await dsmDeleteGroup(client, id);
      return;
    } catch (err) {
      if (isDsmNotFound(err)) return;
      if (!isDsmStatus(err, 400, 409)) throw err;
    }
  }
  const now = held.length > 0 ? held : await dsmListSobjects(client, { groupId: id });
  if (now.length === 0) throw new Error(`DSM group "${state.name}" (${id}) could not be deleted and holds no visible security object`);
  const names = now.map((s) => `"${s.name}"`);
  await dsmNotice(
    `DSM group "${state.name}" (${id}) was left in DSM at ${client.endpoint}: it still holds ${now.length} security object` +
      `${now.length === 1 ? "" : "s"} (${names.slice(0, 10).join(", ")}${names.length > 10 ? ", …" : ""}) whose key material was kept ` +
      `(allowDestroy is false, or rotated-away versions). Data encrypted under them stays recoverable. ` +
      `Delete the keys and the group in DSM yourself when you are sure no ciphertext depends on them.`,
  );
}
