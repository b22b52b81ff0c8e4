// DSM security objects (OpenAPI tag "Keys"): list, look up (`POST /crypto/v1/keys/info`, by kid or
// name: the document has no GET of one key), create, update, delete, rekey, revoke. After a DELETE a
// key can stay visible for about a second (Kroxylicious waits for it); delete waits until it is
// gone, and a create that collides with such a key tries again once it is.
import { type DsmApiSobject, type DsmCreateOptions, type DsmSobjectRequest, dsmAllPages, dsmSleep, enc, quote } from "./api";
import type { DsmClient } from "./client";
import { isDsmNotFound, isDsmStatus } from "./errors";

/** How long a deleted key may stay visible, and how often to look, milliseconds. */
const GONE_WAIT_MS = 5_000;
const GONE_POLL_MS = 250;

/** `GET /crypto/v1/keys` filtered by group and/or name, every page. */
export function dsmListSobjects(client: DsmClient, filter: { groupId?: string; name?: string } = {}): Promise<DsmApiSobject[]> {
  const query: Record<string, string> = {};
  if (filter.groupId !== undefined) query.group_id = filter.groupId;
  if (filter.name !== undefined) query.name = filter.name;
  return dsmAllPages<DsmApiSobject>(client, {
    path: "/crypto/v1/keys", query, operation: "list security objects", pageSize: 1000,
    object: filter.groupId !== undefined ? `in group ${filter.groupId}` : "in the account",
  });
}

/** `POST /crypto/v1/keys/info {"kid"}` (404 → `isDsmNotFound`). */
export function dsmGetSobject(client: DsmClient, kid: string): Promise<DsmApiSobject> {
  return client.request<DsmApiSobject>({ method: "POST", path: "/crypto/v1/keys/info", body: { kid }, operation: "read security object", object: kid });
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

/**
 * `POST /crypto/v1/keys`. A response lost in transit is recovered as `options.recover` says
 * (default: by looking the name up before retrying). Unless `options.waitForFreedName` is false, a
 * 409 is taken for a key still being deleted: the create is sent again until the name is free
 * (within a few seconds); otherwise the 409 stands.
 */
export async function dsmCreateSobject(
  client: DsmClient,
  body: DsmSobjectRequest & { name: string },
  options: DsmCreateOptions<DsmApiSobject> & { waitForFreedName?: boolean } = {},
): Promise<DsmApiSobject> {
  const started = Date.now();
  for (;;) {
    try {
      return await client.request<DsmApiSobject>({
        method: "POST", path: "/crypto/v1/keys", body, operation: "create security object", object: quote(body.name),
        recover: options.recover ?? (() => dsmFindSobjectByName(client, body.name)),
      });
    } catch (err) {
      // A key deleted a moment ago (by us or by someone in the console) still holds its name, and
      // look-ups still show it: only time tells it from a key that exists. A caller that looks the
      // name up on a 409 itself (the providers) asks for no waiting: a real duplicate is then told at once.
      if (options.waitForFreedName === false || !isDsmStatus(err, 409) || Date.now() - started > GONE_WAIT_MS) throw err;
      await dsmSleep(GONE_POLL_MS);
    }
  }
}

/** `PATCH /crypto/v1/keys/{key_id}`: top-level fields left out are kept; a nested object (e.g. `rotation_policy`) is replaced whole. */
export function dsmPatchSobject(client: DsmClient, kid: string, body: DsmSobjectRequest): Promise<DsmApiSobject> {
  return client.request<DsmApiSobject>({ method: "PATCH", path: `/crypto/v1/keys/${enc(kid)}`, body, operation: "update security object", object: kid });
}

/** `DELETE /crypto/v1/keys/{key_id}`: destroys the key material; resolves once DSM no longer shows the key (or after a few seconds). */
export async function dsmDeleteSobject(client: DsmClient, kid: string): Promise<void> {
  await client.request({ method: "DELETE", path: `/crypto/v1/keys/${enc(kid)}`, operation: "destroy security object", object: kid });
  const started = Date.now();
  while (Date.now() - started < GONE_WAIT_MS) {
    try {
      await dsmGetSobject(client, kid);
    } catch (err) {
      if (isDsmNotFound(err)) return;
      throw err;
    }
    await dsmSleep(GONE_POLL_MS);
  }
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

/** `POST /crypto/v1/keys/{key_id}/revoke {"code"}`: moves the key to Deactivated, keeping its material. */
export async function dsmRevokeSobject(client: DsmClient, kid: string, code = "Unspecified"): Promise<void> {
  await client.request({ method: "POST", path: `/crypto/v1/keys/${enc(kid)}/revoke`, body: { code }, operation: "revoke security object", object: kid });
}
