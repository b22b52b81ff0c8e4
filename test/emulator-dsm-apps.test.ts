// The DSM emulator's apps (CreateApp, ListApps, GetApp, UpdateApp, DeleteApp, GetAppCredential),
// held to the OpenAPI document: every request and answer of these tests validates (afterEach).
import { beforeAll, describe, expect, it } from "vitest";
import { DSM_EMULATOR_PERMISSIONS, DSM_EMULATOR_UNCONFIRMED, type DsmEmulator } from "../components/emulators/dsm";
import { dsmEnum } from "./dsm-openapi";
import { bearerFor, call, createGroupVia, DSM_TIMESTAMP, DSM_UUID, jwtCredential, useDsmEmulator, withEmulator } from "./emulator-dsm-helpers";

const ACCOUNT = "5f1c7a9e-2b3d-4e5f-8a9b-0c1d2e3f4a5b";
const ISSUER = "https://identity.oraclecloud.com/";
const JWKS = "https://idcs-abc.identity.oraclecloud.com/admin/v1/SigningCert/jwk";

const t = useDsmEmulator({ accountId: ACCOUNT });
let dsm: DsmEmulator;
let url: string;
let admin: string;
beforeAll(() => {
  ({ dsm, url, admin } = t);
});

const newGroup = (name: string): Promise<string> => createGroupVia(url, admin, name);

async function createApp(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await call(url, "POST", "/sys/v1/apps", { auth: admin, body });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as Record<string, unknown>;
}

describe("DsmEmulator apps", () => {
  it("knows the document's AppPermissions exactly", () => {
    expect([...DSM_EMULATOR_PERMISSIONS]).toEqual(dsmEnum("AppPermissions"));
  });

  it("creates a signed-JWT app: an App without credential, the credential at its own endpoint", async () => {
    const groupId = await newGroup("g-apps");
    const app = await createApp({
      name: "client-id-123",
      description: "OCI EKM",
      app_type: "default",
      default_group: groupId,
      add_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
      credential: jwtCredential(JWKS, [ISSUER]),
    });
    expect(app).toEqual({
      app_id: expect.stringMatching(DSM_UUID),
      acct_id: ACCOUNT,
      name: "client-id-123",
      description: "OCI EKM",
      app_type: "default",
      default_group: groupId,
      groups: [groupId],
      enabled: true,
      role: "crypto",
      auth_type: "SignedJwt",
      created_at: expect.stringMatching(DSM_TIMESTAMP),
      creator: { app: dsm.app("automation")!.app_id },
      client_configurations: {},
      ip_address_policy: "allow_all",
      last_operations: {},
      legacy_access: false,
    });
    const id = app.app_id as string;
    const credential = await call(url, "GET", `/sys/v1/apps/${id}/credential`, { auth: admin });
    expect({ status: credential.status, json: credential.json }).toEqual({
      status: 200,
      json: { app_id: id, credential: { signedjwt: { valid_issuers: [ISSUER], signing_keys: { kind: "fetched", url: JWKS, cache_duration: 3600 } } } },
    });
    expect(dsm.appCredential("client-id-123")).toEqual(jwtCredential(JWKS, [ISSUER]));
    expect((await call(url, "GET", `/sys/v1/apps/${id}`, { auth: admin })).json).toEqual(app);
    const withPerms = await call(url, "GET", `/sys/v1/apps/${id}?group_permissions=true`, { auth: admin });
    expect(withPerms.json).toEqual({ ...app, groups: { [groupId]: ["ENCRYPT", "DECRYPT"] } });
    const listed = await call(url, "GET", `/sys/v1/apps?group_id=${groupId}`, { auth: admin });
    expect(listed.json).toEqual([app]);
    expect(dsm.app("client-id-123")?.groups).toEqual({ [groupId]: ["ENCRYPT", "DECRYPT"] });
    const missing = await call(url, "GET", "/sys/v1/apps/3c9a4d5e-0000-4000-8000-000000000000/credential", { auth: admin });
    expect({ status: missing.status, json: missing.json }).toEqual({ status: 404, json: { message: "app does not exist" } });
  });

  it("accepts MASKDECRYPT, TRANSFORM and the fine-grained permissions; refuses others with serde's message", async () => {
    const groupId = await newGroup("g-perms");
    const app = await call(url, "POST", "/sys/v1/apps?group_permissions=true", {
      auth: admin,
      body: { name: "fine-grained", add_groups: { [groupId]: ["MASKDECRYPT", "TRANSFORM", "ROTATE_SOBJECTS", "DECAPSULATE"] }, credential: jwtCredential() },
    });
    expect((app.json as { groups: unknown }).groups).toEqual({ [groupId]: ["MASKDECRYPT", "TRANSFORM", "ROTATE_SOBJECTS", "DECAPSULATE"] });
    const refused = await call(url, "POST", "/sys/v1/apps", {
      auth: admin,
      body: { name: "a1", add_groups: { [groupId]: ["ENCRYPT", "APPMANAGEABLE"] } },
      nonconformant: "APPMANAGEABLE is a key operation, not an app permission",
    });
    expect({ status: refused.status, json: refused.json }).toEqual({
      status: 400,
      json: { message: `add_groups.${groupId}[1]: unknown variant \`APPMANAGEABLE\`, expected one of ${dsmEnum("AppPermissions").map((p) => `\`${p}\``).join(", ")}` },
    });
  });

  it("updates with mod_groups, del_groups and renames; 409 on a duplicate name; 404 when gone", async () => {
    const groupId = await newGroup("g-apps-2");
    const other = await newGroup("g-apps-2b");
    const id = (await createApp({ name: "app-patch", add_groups: { [groupId]: ["ENCRYPT"], [other]: ["SIGN"] }, credential: jwtCredential() })).app_id as string;
    const dup = await call(url, "POST", "/sys/v1/apps", { auth: admin, body: { name: "app-patch", credential: jwtCredential() } });
    expect({ status: dup.status, json: dup.json }).toEqual({ status: 409, json: { message: "app already exists" } });
    const patched = await call(url, "PATCH", `/sys/v1/apps/${id}?group_permissions=true`, {
      auth: admin,
      body: { mod_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] }, del_groups: [other], description: "now both" },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ groups: { [groupId]: ["ENCRYPT", "DECRYPT"] }, description: "now both", default_group: groupId });
    const notMember = await call(url, "PATCH", `/sys/v1/apps/${id}`, { auth: admin, body: { mod_groups: { "11111111-2222-4333-8444-555555555555": ["ENCRYPT"] } } });
    expect({ status: notMember.status, json: notMember.json }).toEqual({
      status: 400,
      json: { message: "mod_groups: app is not in group 11111111-2222-4333-8444-555555555555 (use add_groups)" },
    });
    expect(dsm.app(id)?.groups).toEqual({ [groupId]: ["ENCRYPT", "DECRYPT"] });
    expect((await call(url, "DELETE", `/sys/v1/apps/${id}`, { auth: admin })).status).toBe(204);
    const gone = await call(url, "GET", `/sys/v1/apps/${id}`, { auth: admin });
    expect({ status: gone.status, json: gone.json }).toEqual({ status: 404, json: { message: "app does not exist" } });
  });

  it("a PATCHed credential replaces the old one whole; an API-key app cannot take one", async () => {
    const id = (await createApp({ name: "app-cred", credential: jwtCredential() })).app_id as string;
    const other = "https://idcs-other.identity.oraclecloud.com/admin/v1/SigningCert/jwk";
    const patched = await call(url, "PATCH", `/sys/v1/apps/${id}`, { auth: admin, body: { credential: jwtCredential(other, [ISSUER, ISSUER.slice(0, -1)]) } });
    expect(patched.json).not.toHaveProperty("credential");
    expect((await call(url, "GET", `/sys/v1/apps/${id}/credential`, { auth: admin })).json).toEqual({
      app_id: id,
      credential: { signedjwt: { valid_issuers: [ISSUER, "https://identity.oraclecloud.com"], signing_keys: { kind: "fetched", url: other, cache_duration: 3600 } } },
    });
    const apiKeyApp = Buffer.from(dsm.createApiKey({ role: "crypto", name: "key-app" }), "base64").toString().split(":")[0];
    const refused = await call(url, "PATCH", `/sys/v1/apps/${apiKeyApp}`, { auth: admin, body: { credential: jwtCredential() } });
    expect({ status: refused.status, json: refused.json }).toEqual({ status: 400, json: { message: "credential: an API-key app cannot be turned into a signed-JWT app" } });
  });

  it("validates app bodies: required fields, enums and unique items of the document", async () => {
    const groupId = await newGroup("g-apps-3");
    const signing = (keys: Record<string, unknown>) => ({ signedjwt: { valid_issuers: [ISSUER], signing_keys: keys } });
    const cases: [string, Record<string, unknown>, number, string, string?][] = [
      ["no name", { credential: jwtCredential() }, 400, "missing field `name`"],
      ["unknown group", { name: "a2", add_groups: { "3c9a4d5e-0000-4000-8000-000000000000": ["ENCRYPT"] } }, 404, "group does not exist: 3c9a4d5e-0000-4000-8000-000000000000"],
      ["fetched without cache_duration", { name: "a3", credential: signing({ kind: "fetched", url: JWKS }) }, 400, "credential.signedjwt.signing_keys: missing field `cache_duration`", "SigningKeysFetched requires cache_duration"],
      ["fetched without url", { name: "a4", credential: signing({ kind: "fetched", cache_duration: 60 }) }, 400, "credential.signedjwt.signing_keys: missing field `url`", "SigningKeysFetched requires url"],
      ["no kind", { name: "a5", credential: signing({ url: JWKS, cache_duration: 60 }) }, 400, "credential.signedjwt.signing_keys: missing field `kind`", "SigningKeys needs kind"],
      ["unknown kind", { name: "a6", credential: signing({ kind: "pushed" }) }, 400, "credential.signedjwt.signing_keys.kind: unknown variant `pushed`, expected one of `stored`, `fetched`", "kind is stored or fetched"],
      ["stored without keys", { name: "a7", credential: signing({ kind: "stored" }) }, 400, "credential.signedjwt.signing_keys: missing field `keys`", "SigningKeysStored requires keys"],
      ["stored key not DER", { name: "a8", credential: signing({ kind: "stored", keys: { k1: "AAAA" } }) }, 400, "credential.signedjwt.signing_keys.keys.k1: invalid value: expected a base64 DER public key"],
      ["a repeated issuer", { name: "a9", credential: jwtCredential(JWKS, [ISSUER, ISSUER]) }, 400, `credential.signedjwt.valid_issuers: invalid value: "${ISSUER}" is repeated, expected unique items`, "valid_issuers has uniqueItems"],
      ["no valid_issuers", { name: "a10", credential: { signedjwt: { signing_keys: { kind: "fetched", url: JWKS, cache_duration: 60 } } } }, 400, "credential.signedjwt: missing field `valid_issuers`", "SignedJwtCredential requires valid_issuers"],
      ["url not a URL", { name: "a11", credential: signing({ kind: "fetched", url: "not a url", cache_duration: 60 }) }, 400, 'credential.signedjwt.signing_keys.url: invalid value: string "not a url", expected an http(s) URL'],
      ["cache_duration a string", { name: "a12", credential: signing({ kind: "fetched", url: JWKS, cache_duration: "1h" }) }, 400, 'credential.signedjwt.signing_keys.cache_duration: invalid type: string "1h", expected an integer (seconds)', "cache_duration is an integer"],
      ["unknown role", { name: "a13", role: "root" }, 400, "role: unknown variant `root`, expected one of `admin`, `crypto`", "AppRole is admin or crypto"],
      ["default_group outside add_groups", { name: "a14", default_group: groupId }, 400, `default_group ${groupId} must also be listed in add_groups`],
      ["another credential kind", { name: "a15", credential: { ldap: "3c9a4d5e-0000-4000-8000-000000000000" } }, 400, 'credential: kind "ldap" is not supported by the emulator (only signedjwt, or none for an API key)'],
    ];
    for (const [what, body, status, message, nonconformant] of cases) {
      const res = await call(url, "POST", "/sys/v1/apps", { auth: admin, body, ...(nonconformant ? { nonconformant } : {}) });
      expect({ status: res.status, json: res.json }, what).toEqual({ status, json: { message } });
    }
    expect(dsm.apps().map((a) => a.name).filter((n) => /^a\d+$/.test(n))).toEqual([]);
  });

  it("accepts an empty valid_issuers list and add_groups as a uuid list, as the document does", async () => {
    const groupId = await newGroup("g-apps-4");
    const app = await call(url, "POST", "/sys/v1/apps?group_permissions=true", {
      auth: admin,
      body: { name: "lenient", add_groups: [groupId], credential: jwtCredential(JWKS, []) },
    });
    expect(app.status).toBe(201);
    expect((app.json as { groups: unknown }).groups).toEqual({ [groupId]: DSM_EMULATOR_UNCONFIRMED.appGroupsListPermissions });
    expect(dsm.appCredential("lenient")?.signedjwt.valid_issuers).toEqual([]);
  });
});

describe("DsmEmulator app lists (ListAppsParams)", () => {
  it("lists crypto apps unless role=admin, which lists admin apps", async () => {
    await withEmulator({}, async (d, base) => {
      const token = await bearerFor(base, d.createApiKey({ role: "admin", name: "admin-1" }));
      d.createApiKey({ role: "crypto", name: "crypto-1" });
      d.seedApp({ name: "jwt-1", credential: jwtCredential() });
      const names = async (query: string) => ((await call(base, "GET", `/sys/v1/apps${query}`, { auth: token })).json as { name: string }[]).map((a) => a.name);
      expect(DSM_EMULATOR_UNCONFIRMED.appListDefaultRole).toBe("crypto");
      expect(await names("")).toEqual(["crypto-1", "jwt-1"]);
      expect(await names("?role=crypto")).toEqual(["crypto-1", "jwt-1"]);
      expect(await names("?role=admin")).toEqual(["admin-1"]);
      expect(await names("?limit=1&offset=1")).toEqual(["jwt-1"]);
      const bad = await call(base, "GET", "/sys/v1/apps?role=root", { auth: token, nonconformant: "role is an AppRole" });
      expect({ status: bad.status, json: bad.json }).toEqual({ status: 400, json: { message: "query parameter role: unknown variant `root`, expected one of `admin`, `crypto`" } });
      const page = await call(base, "GET", "/sys/v1/apps?limit=1&continuation_token=", { auth: token });
      expect(page.json).toEqual({
        items: [{ ...d.app("crypto-1")!, groups: [] }],
        metadata: { continuation_token: DSM_EMULATOR_UNCONFIRMED.continuationToken(1), count: 2, count_accuracy: { $type: "Exact" } },
      });
      const notUuid = await call(base, "GET", "/sys/v1/apps?group_id=g1", { auth: token, nonconformant: "group_id is a uuid" });
      expect(notUuid.json).toEqual({ message: 'query parameter group_id: invalid value: "g1", expected a UUID' });
    });
  });

  it("returns at most 1001 apps without a limit (the document's default)", async () => {
    await withEmulator({}, async (d, base) => {
      const token = await bearerFor(base, d.createApiKey({ role: "admin" }));
      for (let i = 0; i < 1002; i += 1) d.seedApp({ name: `app-${i}`, credential: jwtCredential() });
      expect(((await call(base, "GET", "/sys/v1/apps", { auth: token })).json as unknown[]).length).toBe(1001);
      expect(((await call(base, "GET", "/sys/v1/apps?limit=2000", { auth: token })).json as unknown[]).length).toBe(1002);
    });
  });

  it("is for managers: a crypto app gets 403", async () => {
    const crypto = await bearerFor(url, dsm.createApiKey({ role: "crypto", name: "crypto-lists" }));
    const res = await call(url, "GET", "/sys/v1/apps", { auth: crypto });
    expect({ status: res.status, json: res.json }).toEqual({ status: 403, json: { message: "insufficient permissions: a crypto app cannot manage apps (use an administrative app or a user)" } });
  });
});
