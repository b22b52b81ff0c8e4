// DSM apps (OpenAPI tag "Apps"): list, read, create, update, delete, and the credential, which the
// App object does not carry: a JWT app's issuers and signing keys are read with
// `GET /sys/v1/apps/{app_id}/credential`, as Fortanix's Terraform provider reads them.
import { type DsmApiApp, type DsmApiAppCredentialResponse, type DsmApiSignedJwt, type DsmAppRequest, type DsmCreateOptions, dsmAllPages, enc, quote } from "./api";
import type { DsmClient } from "./client";

/**
 * `GET /sys/v1/apps`, every page (`groups` as uuid lists). DSM lists crypto apps only unless
 * `role` is `admin`: the JWT app OCI Vault uses is a crypto app.
 */
export function dsmListApps(client: DsmClient, filter: { groupId?: string; role?: "crypto" | "admin" } = {}): Promise<DsmApiApp[]> {
  const query: Record<string, string> = {};
  if (filter.groupId !== undefined) query.group_id = filter.groupId;
  if (filter.role !== undefined) query.role = filter.role;
  return dsmAllPages<DsmApiApp>(client, {
    path: "/sys/v1/apps", query, operation: "list apps", pageSize: 1000,
    object: filter.groupId !== undefined ? `in group ${filter.groupId}` : "in the account",
  });
}

/** `GET /sys/v1/apps/{app_id}?group_permissions=true` (`groups` as group → permissions). */
export function dsmGetApp(client: DsmClient, appId: string): Promise<DsmApiApp> {
  return client.request<DsmApiApp>({
    method: "GET", path: `/sys/v1/apps/${enc(appId)}`, query: { group_permissions: "true" }, operation: "read app", object: appId,
  });
}

/** `GET /sys/v1/apps/{app_id}/credential`. */
export function dsmGetAppCredential(client: DsmClient, appId: string): Promise<DsmApiAppCredentialResponse> {
  return client.request<DsmApiAppCredentialResponse>({
    method: "GET", path: `/sys/v1/apps/${enc(appId)}/credential`, operation: "read app credential", object: appId,
  });
}

/** The signed-JWT part of an app's credential (alone, or one of `all`), or undefined. */
export function dsmSignedJwtOf(response: DsmApiAppCredentialResponse | undefined): DsmApiSignedJwt | undefined {
  const credential = response?.credential;
  if (!credential || typeof credential !== "object") return undefined;
  const candidates = Array.isArray(credential.all) ? (credential.all as Record<string, unknown>[]) : [credential];
  const found = candidates.find((c) => c && typeof c === "object" && c.signedjwt && typeof c.signedjwt === "object");
  return found ? (found.signedjwt as DsmApiSignedJwt) : undefined;
}

/** The crypto app with exactly this name (read with its group permissions), or undefined. */
export async function dsmFindAppByName(client: DsmClient, name: string): Promise<DsmApiApp | undefined> {
  const found = (await dsmListApps(client)).find((a) => a.name === name);
  return found ? dsmGetApp(client, found.app_id) : undefined;
}

/** `POST /sys/v1/apps`. A response lost in transit is recovered as `options.recover` says (default: by looking the name up before retrying). */
export function dsmCreateApp(client: DsmClient, body: DsmAppRequest & { name: string }, options: DsmCreateOptions<DsmApiApp> = {}): Promise<DsmApiApp> {
  return client.request<DsmApiApp>({
    method: "POST", path: "/sys/v1/apps", body, operation: "create app", object: quote(body.name),
    recover: options.recover ?? (() => dsmFindAppByName(client, body.name)),
  });
}

/** `PATCH /sys/v1/apps/{app_id}?group_permissions=true`; a `credential` in the body replaces the app's whole. */
export function dsmPatchApp(client: DsmClient, appId: string, body: DsmAppRequest): Promise<DsmApiApp> {
  return client.request<DsmApiApp>({
    method: "PATCH", path: `/sys/v1/apps/${enc(appId)}`, query: { group_permissions: "true" }, body, operation: "update app", object: appId,
  });
}

/** `DELETE /sys/v1/apps/{app_id}`. */
export async function dsmDeleteApp(client: DsmClient, appId: string): Promise<void> {
  await client.request({ method: "DELETE", path: `/sys/v1/apps/${enc(appId)}`, operation: "delete app", object: appId });
}
