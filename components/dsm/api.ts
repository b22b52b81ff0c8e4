// The Fortanix DSM REST operations this project uses, one function each, over a {@link DsmClient}
// (the transport: sessions, retries, errors). Plain functions rather than client methods: Pulumi's
// serializer copies what a dynamic provider references, and a class brings every method along.
import { type DsmClient, isDsmNotFound } from "./client";

/** A group as DSM reads it back. */
export interface DsmApiGroup {
  group_id: string;
  acct_id: string;
  name: string;
  description?: string;
  created_at?: string;
  creator?: Record<string, string>;
}

/** The signed-JWT credential of an app. */
export interface DsmApiSignedJwt {
  valid_issuers: string[];
  signing_keys: { kind: "fetched"; url: string; cache_duration?: number } | { kind: "stored"; keys: Record<string, string> };
}

/** An app as DSM reads it back (`groups` is a permission map when read with `group_permissions=true`). */
export interface DsmApiApp {
  app_id: string;
  acct_id: string;
  name: string;
  description?: string;
  app_type?: string;
  role?: string;
  default_group?: string;
  groups: Record<string, string[]> | string[];
  enabled: boolean;
  auth_type?: string;
  credential?: { signedjwt?: DsmApiSignedJwt } & Record<string, unknown>;
  created_at?: string;
  creator?: Record<string, string>;
}

/** Rotation policy of a security object. */
export interface DsmApiRotationPolicy {
  interval_days?: number;
  interval_months?: number;
  effective_at?: string;
  deactivate_rotated_key?: boolean;
}

/** A security object as DSM reads it back (never the key material). */
export interface DsmApiSobject {
  kid: string;
  name: string;
  description?: string;
  group_id: string;
  acct_id: string;
  obj_type: string;
  key_size?: number;
  key_ops: string[];
  enabled: boolean;
  state?: string;
  created_at?: string;
  creator?: Record<string, string>;
  kcv?: string;
  links?: { replacement?: string; replaced?: string };
  deactivation_date?: string;
  custom_metadata?: Record<string, string>;
  rotation_policy?: DsmApiRotationPolicy;
}

/** `POST /sys/v1/groups` / `PATCH /sys/v1/groups/{id}` body. */
export interface DsmGroupRequest {
  name?: string;
  description?: string;
}

/** `POST /sys/v1/apps` / `PATCH /sys/v1/apps/{id}` body. */
export interface DsmAppRequest {
  name?: string;
  description?: string;
  app_type?: string;
  role?: "crypto" | "admin";
  default_group?: string;
  add_groups?: Record<string, string[]>;
  mod_groups?: Record<string, string[]>;
  del_groups?: string[];
  credential?: { signedjwt: DsmApiSignedJwt };
  enabled?: boolean;
}

/** `POST /crypto/v1/keys` / `PATCH /crypto/v1/keys/{kid}` / rekey body. */
export interface DsmSobjectRequest {
  name?: string;
  group_id?: string;
  obj_type?: string;
  key_size?: number;
  key_ops?: string[];
  description?: string;
  enabled?: boolean;
  custom_metadata?: Record<string, string>;
  rotation_policy?: DsmApiRotationPolicy | null;
}

// ---- groups ------------------------------------------------------------------------------------

/** `GET /sys/v1/groups`. */
export function dsmListGroups(client: DsmClient): Promise<DsmApiGroup[]> {
  return client.request<DsmApiGroup[]>({ method: "GET", path: "/sys/v1/groups", operation: "list groups", object: "in the account" });
}

/** `GET /sys/v1/groups/{id}` (404 → {@link isDsmNotFound}). */
export function dsmGetGroup(client: DsmClient, groupId: string): Promise<DsmApiGroup> {
  return client.request<DsmApiGroup>({ method: "GET", path: `/sys/v1/groups/${enc(groupId)}`, operation: "read group", object: groupId });
}

/** The group with exactly this name, or undefined. */
export async function dsmFindGroupByName(client: DsmClient, name: string): Promise<DsmApiGroup | undefined> {
  return (await dsmListGroups(client)).find((g) => g.name === name);
}

/** `POST /sys/v1/groups`. A response lost in transit is recovered by looking the name up before retrying. */
export function dsmCreateGroup(client: DsmClient, body: DsmGroupRequest & { name: string }): Promise<DsmApiGroup> {
  return client.request<DsmApiGroup>({
    method: "POST", path: "/sys/v1/groups", body, operation: "create group", object: quote(body.name),
    recover: () => dsmFindGroupByName(client, body.name),
  });
}

/** `PATCH /sys/v1/groups/{id}`. */
export function dsmPatchGroup(client: DsmClient, groupId: string, body: DsmGroupRequest): Promise<DsmApiGroup> {
  return client.request<DsmApiGroup>({ method: "PATCH", path: `/sys/v1/groups/${enc(groupId)}`, body, operation: "update group", object: groupId });
}

/** `DELETE /sys/v1/groups/{id}` (DSM refuses a group that still holds security objects). */
export async function dsmDeleteGroup(client: DsmClient, groupId: string): Promise<void> {
  await client.request({ method: "DELETE", path: `/sys/v1/groups/${enc(groupId)}`, operation: "delete group", object: groupId });
}

// ---- apps --------------------------------------------------------------------------------------

/** `GET /sys/v1/apps` (every page; `groups` as uuid lists). */
export async function dsmListApps(client: DsmClient, filter: { groupId?: string } = {}): Promise<DsmApiApp[]> {
  const pageSize = 100;
  const apps: DsmApiApp[] = [];
  for (let offset = 0; ; offset += pageSize) {
    const page = await client.request<DsmApiApp[]>({
      method: "GET", path: "/sys/v1/apps",
      query: { ...(filter.groupId !== undefined ? { group_id: filter.groupId } : {}), limit: String(pageSize), offset: String(offset) },
      operation: "list apps", object: filter.groupId !== undefined ? `in group ${filter.groupId}` : "in the account",
    });
    apps.push(...page);
    if (page.length < pageSize) return apps;
  }
}

/** `GET /sys/v1/apps/{id}?group_permissions=true` (`groups` as group → permissions). */
export function dsmGetApp(client: DsmClient, appId: string): Promise<DsmApiApp> {
  return client.request<DsmApiApp>({
    method: "GET", path: `/sys/v1/apps/${enc(appId)}`, query: { group_permissions: "true" }, operation: "read app", object: appId,
  });
}

/** The app with exactly this name (read with its group permissions), or undefined. */
export async function dsmFindAppByName(client: DsmClient, name: string): Promise<DsmApiApp | undefined> {
  const found = (await dsmListApps(client)).find((a) => a.name === name);
  return found ? dsmGetApp(client, found.app_id) : undefined;
}

/** `POST /sys/v1/apps`. A response lost in transit is recovered by looking the name up before retrying. */
export function dsmCreateApp(client: DsmClient, body: DsmAppRequest & { name: string }): Promise<DsmApiApp> {
  return client.request<DsmApiApp>({
    method: "POST", path: "/sys/v1/apps", body, operation: "create app", object: quote(body.name),
    recover: () => dsmFindAppByName(client, body.name),
  });
}

/** `PATCH /sys/v1/apps/{id}?group_permissions=true`. */
export function dsmPatchApp(client: DsmClient, appId: string, body: DsmAppRequest): Promise<DsmApiApp> {
  return client.request<DsmApiApp>({
    method: "PATCH", path: `/sys/v1/apps/${enc(appId)}`, query: { group_permissions: "true" }, body, operation: "update app", object: appId,
  });
}

/** `DELETE /sys/v1/apps/{id}`. */
export async function dsmDeleteApp(client: DsmClient, appId: string): Promise<void> {
  await client.request({ method: "DELETE", path: `/sys/v1/apps/${enc(appId)}`, operation: "delete app", object: appId });
}

// ---- security objects --------------------------------------------------------------------------

/** `GET /crypto/v1/keys` filtered by group and/or name. */
export function dsmListSobjects(client: DsmClient, filter: { groupId?: string; name?: string } = {}): Promise<DsmApiSobject[]> {
  const query: Record<string, string> = {};
  if (filter.groupId !== undefined) query.group_id = filter.groupId;
  if (filter.name !== undefined) query.name = filter.name;
  return client.request<DsmApiSobject[]>({
    method: "GET", path: "/crypto/v1/keys", query, operation: "list security objects",
    object: filter.groupId !== undefined ? `in group ${filter.groupId}` : "in the account",
  });
}

/** `GET /crypto/v1/keys/{kid}` (404 → {@link isDsmNotFound}). */
export function dsmGetSobject(client: DsmClient, kid: string): Promise<DsmApiSobject> {
  return client.request<DsmApiSobject>({ method: "GET", path: `/crypto/v1/keys/${enc(kid)}`, operation: "read security object", object: kid });
}

/** `POST /crypto/v1/keys/info {"name"}`: the security object with this name, or undefined. */
export async function dsmFindSobjectByName(client: DsmClient, name: string): Promise<DsmApiSobject | undefined> {
  try {
    return await client.request<DsmApiSobject>({
      method: "POST", path: "/crypto/v1/keys/info", body: { name }, operation: "look up security object", object: quote(name),
    });
  } catch (err) {
    if (isDsmNotFound(err)) return undefined;
    throw err;
  }
}

/** `POST /crypto/v1/keys`. A response lost in transit is recovered by looking the name up before retrying. */
export function dsmCreateSobject(client: DsmClient, body: DsmSobjectRequest & { name: string }): Promise<DsmApiSobject> {
  return client.request<DsmApiSobject>({
    method: "POST", path: "/crypto/v1/keys", body, operation: "create security object", object: quote(body.name),
    recover: () => dsmFindSobjectByName(client, body.name),
  });
}

/** `PATCH /crypto/v1/keys/{kid}`. */
export function dsmPatchSobject(client: DsmClient, kid: string, body: DsmSobjectRequest): Promise<DsmApiSobject> {
  return client.request<DsmApiSobject>({ method: "PATCH", path: `/crypto/v1/keys/${enc(kid)}`, body, operation: "update security object", object: kid });
}

/** `DELETE /crypto/v1/keys/{kid}`: destroys the key material. */
export async function dsmDeleteSobject(client: DsmClient, kid: string): Promise<void> {
  await client.request({ method: "DELETE", path: `/crypto/v1/keys/${enc(kid)}`, operation: "destroy security object", object: kid });
}

/**
 * `POST /crypto/v1/keys/rekey {"name", …changes}`: a new key (new kid) under the same name; the old one is
 * renamed and kept. Give `currentKid` so that a rekey whose response was lost is recognised (the name
 * then points at another kid) instead of rotating twice.
 */
export function dsmRekeySobject(client: DsmClient, name: string, changes: Omit<DsmSobjectRequest, "name"> = {}, currentKid?: string): Promise<DsmApiSobject> {
  return client.request<DsmApiSobject>({
    method: "POST", path: "/crypto/v1/keys/rekey", body: { name, ...changes }, operation: "rotate security object", object: quote(name),
    ...(currentKid !== undefined
      ? {
          recover: async () => {
            const now = await dsmFindSobjectByName(client, name);
            return now !== undefined && now.kid !== currentKid ? now : undefined;
          },
        }
      : {}),
  });
}

/** `POST /crypto/v1/keys/{kid}/revoke {"code"}`: moves the key to Deactivated, keeping its material. */
export async function dsmRevokeSobject(client: DsmClient, kid: string, code = "Unspecified"): Promise<void> {
  await client.request({ method: "POST", path: `/crypto/v1/keys/${enc(kid)}/revoke`, body: { code }, operation: "revoke security object", object: kid });
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function quote(name: string): string {
  return JSON.stringify(name);
}
