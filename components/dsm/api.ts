// The Fortanix DSM REST operations this project uses, one function each, over a {@link DsmClient}
// (the transport: sessions, retries, errors), as Fortanix's OpenAPI document ("Fortanix DSM REST
// API" 0.1.0-20260710) describes them: this file has the shapes, the paging and the groups;
// api-apps.ts and api-keys.ts the apps and the security objects. Plain functions rather than client
// methods: Pulumi's serializer copies what a dynamic provider references, and a class brings every
// method along. Answers are read leniently: the document reserves the right to add fields.
import type { DsmClient } from "./client";

/** Who made an object (OpenAPI `Principal`): `{"app": uuid}`, `{"user": uuid}`, …, or `"system"`. */
export type DsmApiPrincipal = Record<string, unknown> | string;

/** A group as DSM reads it back. */
export interface DsmApiGroup {
  group_id: string;
  acct_id: string;
  name: string;
  description?: string;
  created_at?: string;
  creator?: DsmApiPrincipal;
  custom_metadata?: Record<string, string>;
}

/** The signed-JWT credential of an app (OpenAPI `SignedJwtCredential`). */
export interface DsmApiSignedJwt {
  /** Unique items. */
  valid_issuers: string[];
  /** `fetched` needs both `url` and `cache_duration` (seconds). */
  signing_keys: { kind: "fetched"; url: string; cache_duration: number } | { kind: "stored"; keys: Record<string, string> };
  /** Kept as read: a PATCH of the credential must carry it, or it is lost. */
  private_claims_policy?: unknown;
}

/** `GET /sys/v1/apps/{app_id}/credential` (OpenAPI `AppCredentialResponse`). */
export interface DsmApiAppCredentialResponse {
  app_id: string;
  /** One credential (`{"signedjwt": …}`, `{"secret": …}`, …) or `{"all": [one, …]}`. */
  credential: Record<string, unknown>;
  previous_credential?: unknown;
}

/**
 * An app as DSM reads it back (`groups` is a permission map when read with `group_permissions=true`).
 * It has no credential: that is read with {@link dsmGetAppCredential}.
 */
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
  created_at?: string;
  creator?: DsmApiPrincipal;
}

/** Rotation policy of a security object (OpenAPI `RotationPolicy`: one of `interval_days` or `interval_months`). */
export interface DsmApiRotationPolicy {
  interval_days?: number;
  interval_months?: number;
  effective_at?: string;
  deactivate_rotated_key?: boolean | null;
  [other: string]: unknown;
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
  creator?: DsmApiPrincipal;
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
  custom_metadata?: Record<string, string>;
}

/** How a create treats an attempt whose answer was lost (network error, timeout, 502/503/504). */
export interface DsmCreateOptions<T> {
  /**
   * Called before the client retries such an attempt (the request's `recover`): a value it returns
   * is taken as that attempt's result and nothing is sent again. Default: the object of this name,
   * if any, which is right only when the name was known to be free before the create.
   */
  recover?: () => Promise<T | undefined>;
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

/** `POST /crypto/v1/keys` / `PATCH /crypto/v1/keys/{key_id}` / rekey body (PATCH replaces nested objects whole). */
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

// ---- shared ------------------------------------------------------------------------------------

/**
 * Every item of a paged list (`limit`, `offset`), a page at a time until one comes back short. A
 * page is an array, or `{items, metadata}` when DSM answers with metadata.
 */
export async function dsmAllPages<T>(
  client: DsmClient,
  list: { path: string; query?: Record<string, string>; operation: string; object: string; pageSize: number },
): Promise<T[]> {
  const all: T[] = [];
  for (let offset = 0; ; offset += list.pageSize) {
    const page = await client.request<T[] | { items?: T[] }>({
      method: "GET", path: list.path, query: { ...list.query, limit: String(list.pageSize), offset: String(offset) },
      operation: list.operation, object: list.object,
    });
    const items = Array.isArray(page) ? page : (page?.items ?? []);
    all.push(...items);
    if (items.length < list.pageSize) return all;
  }
}

export function dsmSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function enc(segment: string): string {
  return encodeURIComponent(segment);
}

export function quote(name: string): string {
  return JSON.stringify(name);
}

// ---- groups ------------------------------------------------------------------------------------

/** `GET /sys/v1/groups`, every page. */
export function dsmListGroups(client: DsmClient): Promise<DsmApiGroup[]> {
  return dsmAllPages<DsmApiGroup>(client, { path: "/sys/v1/groups", operation: "list groups", object: "in the account", pageSize: 1000 });
}

/** `GET /sys/v1/groups/{group_id}` (404 → `isDsmNotFound`). */
export function dsmGetGroup(client: DsmClient, groupId: string): Promise<DsmApiGroup> {
  return client.request<DsmApiGroup>({ method: "GET", path: `/sys/v1/groups/${enc(groupId)}`, operation: "read group", object: groupId });
}

/** The group with exactly this name, or undefined. */
export async function dsmFindGroupByName(client: DsmClient, name: string): Promise<DsmApiGroup | undefined> {
  return (await dsmListGroups(client)).find((g) => g.name === name);
}

/** `POST /sys/v1/groups`. A response lost in transit is recovered as `options.recover` says (default: by looking the name up before retrying). */
export function dsmCreateGroup(client: DsmClient, body: DsmGroupRequest & { name: string }, options: DsmCreateOptions<DsmApiGroup> = {}): Promise<DsmApiGroup> {
  return client.request<DsmApiGroup>({
    method: "POST", path: "/sys/v1/groups", body, operation: "create group", object: quote(body.name),
    recover: options.recover ?? (() => dsmFindGroupByName(client, body.name)),
  });
}

/** `PATCH /sys/v1/groups/{group_id}`. */
export function dsmPatchGroup(client: DsmClient, groupId: string, body: DsmGroupRequest): Promise<DsmApiGroup> {
  return client.request<DsmApiGroup>({ method: "PATCH", path: `/sys/v1/groups/${enc(groupId)}`, body, operation: "update group", object: groupId });
}

/** `DELETE /sys/v1/groups/{group_id}` (DSM refuses a group that still holds security objects). */
export async function dsmDeleteGroup(client: DsmClient, groupId: string): Promise<void> {
  await client.request({ method: "DELETE", path: `/sys/v1/groups/${enc(groupId)}`, operation: "delete group", object: groupId });
}
