// Groups (the document's "Groups" operations): CreateGroup (POST /sys/v1/groups, GroupRequest → Group),
// ListGroups (GET /sys/v1/groups, GetGroupsParams → ListGroupsResponse), GetGroup, UpdateGroup
// (PATCH, GroupRequest → Group) and DeleteGroup (→ 204) at /sys/v1/groups/{group_id}. Of GroupRequest
// the emulator models `name`, `description` and `custom_metadata`; other fields are accepted and not kept.
import { asObject, continuationPage, customMetadataOf, nameOf, optString, reqString } from "./dsm-request";
import { clone, DsmError, type DsmEmulatorReply, type DsmState, dsmTimestamp, type Principal, type RouteContext } from "./dsm-state";
import type { DsmEmulatorGroup } from "./dsm-types";
import { DSM_EMULATOR_UNCONFIRMED } from "./dsm-unconfirmed";

/** `custom_metadata` of a GroupRequest, if given (null reads as absent). */
function optMetadata(body: Record<string, unknown>): Record<string, string> | undefined {
  return body.custom_metadata === undefined || body.custom_metadata === null ? undefined : customMetadataOf(body.custom_metadata);
}

/** Creates a group from a GroupRequest (also the emulator's `seedGroup`). */
export function createGroup(state: DsmState, requestBody: unknown, principal: Principal): DsmEmulatorGroup {
  const body = asObject(requestBody);
  const name = nameOf(reqString(body, "name"), "name");
  const description = optString(body, "description");
  const customMetadata = optMetadata(body);
  if ([...state.groups.values()].some((g) => g.name === name)) throw new DsmError(409, "group already exists");
  const group: DsmEmulatorGroup = {
    group_id: state.newId(),
    acct_id: state.accountId,
    name,
    ...(description !== undefined ? { description } : {}),
    created_at: dsmTimestamp(state.now()),
    creator: state.creatorOf(principal),
    client_configurations: {},
    ...(customMetadata !== undefined ? { custom_metadata: customMetadata } : {}),
  };
  state.groups.set(group.group_id, group);
  return group;
}

/** A group the caller may see; a crypto app's other groups answer 404 as if absent. */
function visibleGroup(state: DsmState, id: string, principal: Principal): DsmEmulatorGroup {
  const g = state.groupOr404(id);
  const member = state.memberGroups(principal);
  if (member && !member.has(id)) throw new DsmError(404, "group does not exist");
  return g;
}

function patchGroup(state: DsmState, id: string, requestBody: unknown): DsmEmulatorGroup {
  const g = state.groupOr404(id);
  const body = asObject(requestBody);
  const name = optString(body, "name");
  const description = optString(body, "description");
  const customMetadata = optMetadata(body);
  if (name !== undefined) {
    nameOf(name, "name");
    if (name !== g.name && [...state.groups.values()].some((x) => x.name === name)) throw new DsmError(409, "group already exists");
    g.name = name;
  }
  if (description !== undefined) g.description = description;
  if (customMetadata !== undefined) g.custom_metadata = customMetadata;
  return g;
}

function deleteGroup(state: DsmState, id: string): void {
  state.groupOr404(id);
  const held = [...state.sobjects.values()].filter((r) => r.sobject.group_id === id).length;
  if (held > 0) {
    throw new DsmError(DSM_EMULATOR_UNCONFIRMED.nonEmptyGroupDeleteStatus, `group is not empty: it still holds ${held} security object${held === 1 ? "" : "s"}`);
  }
  state.removeGroup(id);
}

export const groupRoutes = {
  CreateGroup(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    state.requireManager(ctx.principal, "create groups");
    return { status: DSM_EMULATOR_UNCONFIRMED.createStatus, json: clone(createGroup(state, ctx.body, ctx.principal)) };
  },
  ListGroups(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    const member = state.memberGroups(ctx.principal);
    const groups = [...state.groups.values()].filter((g) => !member || member.has(g.group_id)).map(clone);
    return { status: 200, json: continuationPage(groups, ctx.query, DSM_EMULATOR_UNCONFIRMED.groupListDefaultLimit) };
  },
  GetGroup(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    return { status: 200, json: clone(visibleGroup(state, ctx.params.group_id, ctx.principal)) };
  },
  UpdateGroup(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    state.requireManager(ctx.principal, "update groups");
    return { status: 200, json: clone(patchGroup(state, ctx.params.group_id, ctx.body)) };
  },
  DeleteGroup(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    state.requireManager(ctx.principal, "delete groups");
    deleteGroup(state, ctx.params.group_id);
    return { status: 204 };
  },
};
