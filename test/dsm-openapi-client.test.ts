// The DSM client and providers held to Fortanix's API document, not to the emulator: every request
// they send validates against the request schema (and query parameters) of its operation, the
// emulator's answers validate against the response schemas, the enums the inputs accept are the
// document's, and the behaviours the document describes (credential endpoint, paging, whole nested
// PATCH bodies) hold.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type DsmApiSobject,
  DsmClient,
  dsmCreateApp,
  dsmCreateGroup,
  dsmCreateSobject,
  dsmFindAppByName,
  dsmGetAppCredential,
  dsmListApps,
  dsmListGroups,
  dsmListSobjects,
  dsmRevokeSobject,
  resetDsmSessions,
} from "../components/dsm";
import { DsmGroupProvider, DsmJwtAppProvider, type DsmProviderOptions, DsmSecurityObjectProvider } from "../components/dsm/provider";
import { DSM_GROUP_PERMISSIONS, DSM_KEY_OPERATIONS } from "../components/dsm/schemas";
import { DsmEmulator } from "../components/emulators/dsm";
import { dsmReaderFromClient, runDsmChecks } from "../components/verify/dsm-checks";
import { dsmEnum, dsmOperation, dsmRequestProblems, dsmResponseProblems } from "./dsm-openapi";

const FAST: DsmProviderOptions = { client: { baseDelayMs: 5, maxDelayMs: 20 } };
const JWKS_URL = "https://idcs-0123456789abcdef.identity.oraclecloud.com/admin/v1/SigningCert/jwk";
const ISSUERS = ["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"];
const CLIENT_ID = "0123456789abcdef0123456789abcdef";
type Props = Record<string, unknown>;

const dsm = new DsmEmulator();
let apiKey = "";
const seen: { method: string; path: string; body: unknown; query: Record<string, string>; status?: number; response?: unknown }[] = [];

function settings(key = apiKey) {
  const values: Record<string, string> = { "dsm:endpoint": dsm.url, "dsm:apiKey": key };
  return { config: { get: (k: string) => values[k], require: (k: string) => values[k] } };
}

async function providers() {
  const groups = new DsmGroupProvider(FAST);
  const apps = new DsmJwtAppProvider(FAST);
  const keys = new DsmSecurityObjectProvider(FAST);
  for (const p of [groups, apps, keys]) await p.configure(settings());
  return { groups, apps, keys };
}

/** Check, then create, as the engine does. */
async function make(p: { check(o: Props, n: Props): Promise<{ inputs?: Props }>; create(i: Props): Promise<{ id: string; outs?: Props }> }, news: Props) {
  const checked = (await p.check({}, news)).inputs ?? news;
  const created = await p.create(checked);
  return { id: created.id, inputs: checked, outs: created.outs ?? {} };
}

beforeAll(async () => {
  await dsm.start();
  apiKey = dsm.createApiKey({ role: "admin", name: "openapi-automation" });
});
afterAll(async () => {
  await dsm.stop();
});
beforeEach(() => {
  resetDsmSessions();
  seen.push(...dsm.requests);
  dsm.clearRequests();
});

describe("the inputs accept what the document's enums accept", () => {
  it("key operations are KeyOperations and app permissions are AppPermissions, exactly", () => {
    expect([...DSM_KEY_OPERATIONS].sort()).toEqual([...dsmEnum("KeyOperations")].sort());
    expect([...DSM_GROUP_PERMISSIONS].sort()).toEqual([...dsmEnum("AppPermissions")].sort());
    expect(DSM_KEY_OPERATIONS).not.toContain("MASKDECRYPT");
    expect(DSM_KEY_OPERATIONS).not.toContain("AUDIT");
  });

  it("refuses MASKDECRYPT as a key operation before anything reaches DSM, and accepts it as an app permission", async () => {
    const { apps, keys } = await providers();
    const key = await keys.check({}, { name: "k", groupId: "5f2b7e0c-1234-4c8e-9a6d-0123456789ab", keyOps: ["ENCRYPT", "MASKDECRYPT"] });
    expect(key.failures).toEqual([
      { property: "keyOps", reason: `keyOps[1] "MASKDECRYPT" is not a DSM key operation; known: ${DSM_KEY_OPERATIONS.join(", ")}` },
    ]);
    const app = await apps.check({}, { name: CLIENT_ID, groupId: "5f2b7e0c-1234-4c8e-9a6d-0123456789ab", jwksUrl: JWKS_URL, permissions: ["ENCRYPT", "MASKDECRYPT", "TRANSFORM"] });
    expect(app.failures).toEqual([]);
    expect(dsm.requests).toEqual([]);
  });
});

describe("a JWT app read as the document describes it", () => {
  let groupId = "";
  let app: { id: string; inputs: Props; outs: Props };
  beforeAll(async () => {
    const { groups, apps } = await providers();
    groupId = (await make(groups, { name: "openapi-app-group" })).id;
    app = await make(apps, { name: CLIENT_ID, groupId, jwksUrl: JWKS_URL, validIssuers: [...ISSUERS, ISSUERS[0]] });
  });

  it("creates the app with unique valid issuers and fetched signing keys with their cache duration", () => {
    const create = seen.concat(dsm.requests).find((r) => r.method === "POST" && r.path === "/sys/v1/apps");
    expect(create?.body).toEqual({
      name: CLIENT_ID, app_type: "default", default_group: groupId, add_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
      credential: { signedjwt: { valid_issuers: ISSUERS, signing_keys: { kind: "fetched", url: JWKS_URL, cache_duration: 3600 } } },
    });
  });

  it("the App object has no credential; the credential endpoint has the issuers and the JWKS URL", async () => {
    const client = new DsmClient({ endpoint: dsm.url, apiKey });
    const listed = await dsmFindAppByName(client, CLIENT_ID);
    expect(listed).toBeDefined();
    expect(listed).not.toHaveProperty("credential");
    expect(await dsmGetAppCredential(client, app.id)).toEqual({
      app_id: app.id,
      credential: { signedjwt: { valid_issuers: ISSUERS, signing_keys: { kind: "fetched", url: JWKS_URL, cache_duration: 3600 } } },
    });
  });

  it("a refresh of the unchanged app reads back its inputs, and the next diff shows no change", async () => {
    const { apps } = await providers();
    const read = await apps.read(app.id, app.outs);
    expect(read.inputs).toMatchObject({ validIssuers: ISSUERS, jwksUrl: JWKS_URL, jwksCacheSeconds: 3600, permissions: ["ENCRYPT", "DECRYPT"], groupId });
    expect(read.props).toEqual(app.outs);
    expect(await apps.diff(app.id, read.props!, app.inputs)).toEqual({ changes: false, replaces: [] });
    expect(dsm.requests.map((r) => `${r.method} ${r.path}`)).toContain(`GET /sys/v1/apps/${app.id}/credential`);
  });

  it("a JWKS URL changed in DSM shows as drift, and the next update sets the whole credential back", async () => {
    const client = new DsmClient({ endpoint: dsm.url, apiKey });
    const { apps } = await providers();
    dsm.modifyApp(app.id, { credential: { signedjwt: { valid_issuers: ISSUERS, signing_keys: { kind: "fetched", url: "https://idcs-other.identity.oraclecloud.com/admin/v1/SigningCert/jwk", cache_duration: 3600 }, private_claims_policy: { definition: { $type: "rego", value: "package oci\ndefault allow := true" } } } } });
    const read = await apps.read(app.id, app.outs);
    expect(read.props?.jwksUrl).toBe("https://idcs-other.identity.oraclecloud.com/admin/v1/SigningCert/jwk");
    expect((await apps.diff(app.id, read.props!, app.inputs)).changes).toBe(true);
    dsm.clearRequests();
    await apps.update(app.id, read.props!, app.inputs);
    const patch = dsm.requests.find((r) => r.method === "PATCH");
    expect(patch?.body).toEqual({
      credential: { signedjwt: { valid_issuers: ISSUERS, signing_keys: { kind: "fetched", url: JWKS_URL, cache_duration: 3600 }, private_claims_policy: { definition: { $type: "rego", value: "package oci\ndefault allow := true" } } } },
    });
    expect((await dsmGetAppCredential(client, app.id)).credential).toMatchObject({ signedjwt: { signing_keys: { url: JWKS_URL } } });
  });

  it("verify passes the app checks for this app, and names a wrong issuer and a wrong JWKS URL", async () => {
    const reader = dsmReaderFromClient(new DsmClient({ endpoint: dsm.url, apiKey }));
    const ok = await runDsmChecks(reader, { clientId: CLIENT_ID, issuers: [ISSUERS[0]], tokenIssuer: ISSUERS[0], jwksUri: JWKS_URL, keyNames: [] });
    expect(ok.map((c) => [c.name, c.status])).toEqual([
      ["dsm-app", "passed"], ["dsm-app-enabled", "passed"], ["dsm-app-auth", "passed"], ["dsm-app-issuer", "passed"], ["dsm-app-jwks-url", "passed"],
    ]);
    expect(ok[3].found).toBe(`valid issuers ${ISSUERS.map((i) => JSON.stringify(i)).join(", ")}; the domain issues "https://identity.oraclecloud.com/", with a trailing slash`);
    const wrong = await runDsmChecks(reader, {
      clientId: CLIENT_ID, issuers: ["https://idcs-0123.identity.oraclecloud.com"], tokenIssuer: "https://idcs-0123.identity.oraclecloud.com",
      jwksUri: "https://idcs-0123.identity.oraclecloud.com/admin/v1/SigningCert/jwk", keyNames: [],
    });
    expect(wrong.filter((c) => c.status === "failed").map((c) => [c.name, c.fix])).toEqual([
      ["dsm-app-issuer", `set the DSM app ${CLIENT_ID}'s valid issuer to "https://idcs-0123.identity.oraclecloud.com" (the identity domain's issuer)`],
      ["dsm-app-jwks-url", `set the DSM app ${CLIENT_ID}'s signing keys to FETCHED SIGNING KEY with key URL https://idcs-0123.identity.oraclecloud.com/admin/v1/SigningCert/jwk (jwks_uri of the domain's discovery document)`],
    ]);
  });
});

describe("security objects as the document describes them", () => {
  let groupId = "";
  beforeAll(async () => {
    const { groups } = await providers();
    groupId = (await make(groups, { name: "openapi-key-group" })).id;
  });

  it("a key is read with POST /crypto/v1/keys/info by kid (the document has no GET of one key)", async () => {
    const { keys } = await providers();
    const key = await make(keys, { name: "openapi-read", groupId });
    dsm.clearRequests();
    await keys.read(key.id, key.outs);
    expect(dsm.requests.filter((r) => !r.path.startsWith("/sys/v1/session")).map((r) => [r.method, r.path, r.body])).toEqual([
      ["POST", "/crypto/v1/keys/info", { kid: key.outs.kid }],
    ]);
  });

  it("a rotation-policy change PATCHes the whole policy, keeping what was set outside Pulumi", async () => {
    const { keys } = await providers();
    const key = await make(keys, { name: "openapi-policy", groupId, rotationPolicyDays: 30 });
    dsm.modifySobject("openapi-policy", { rotation_policy: { interval_days: 30, effective_at: "20270101T000000Z", deactivate_rotated_key: true } });
    dsm.clearRequests();
    await keys.update(key.id, key.outs, { ...key.inputs, rotationPolicyDays: 90 });
    const patch = dsm.requests.find((r) => r.method === "PATCH");
    expect(patch?.body).toEqual({ rotation_policy: { effective_at: "20270101T000000Z", deactivate_rotated_key: true, interval_days: 90 } });
  });

  it("a rotation-policy PATCH sends back only the document's fields, not one DSM added to what it reads back", async () => {
    const { keys } = await providers();
    const key = await make(keys, { name: "openapi-policy-extra", groupId, rotationPolicyDays: 30 });
    dsm.modifySobject("openapi-policy-extra", { rotation_policy: { interval_days: 30, deactivate_rotated_key: false, next_rotation_at: "20270101T000000Z" } as never });
    dsm.clearRequests();
    await keys.update(key.id, key.outs, { ...key.inputs, rotationPolicyDays: 60 });
    const patch = dsm.requests.find((r) => r.method === "PATCH");
    expect(patch?.body).toEqual({ rotation_policy: { deactivate_rotated_key: false, interval_days: 60 } });
  });

  it("lists follow every page: 1,005 keys come back from two pages of 1,000", async () => {
    const client = new DsmClient({ endpoint: dsm.url, apiKey });
    const paged = await dsmCreateGroup(client, { name: "openapi-paged" });
    for (let i = 0; i < 1005; i++) dsm.seedSobject({ name: `paged-${i}`, group_id: paged.group_id, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT"] });
    dsm.clearRequests();
    const all: DsmApiSobject[] = await dsmListSobjects(client, { groupId: paged.group_id });
    expect(all).toHaveLength(1005);
    expect(new Set(all.map((k) => k.name)).size).toBe(1005);
    expect(dsm.requests.filter((r) => r.path === "/crypto/v1/keys").map((r) => r.query)).toEqual([
      { group_id: paged.group_id, limit: "1000", offset: "0" },
      { group_id: paged.group_id, limit: "1000", offset: "1000" },
    ]);
  });

  it("a key destroyed with allowDestroy is gone before delete returns, so the same name can be created again at once", async () => {
    const { keys } = await providers();
    const key = await make(keys, { name: "openapi-again", groupId, allowDestroy: true });
    await keys.delete(key.id, key.outs);
    const client = new DsmClient({ endpoint: dsm.url, apiKey });
    await expect(dsmListSobjects(client, { name: "openapi-again" })).resolves.toEqual([]);
    const again = await make(keys, { name: "openapi-again", groupId });
    expect(again.outs.kid).not.toBe(key.outs.kid);
  });
});

describe("every request validates against the document, every answer too", () => {
  it("covers the operations the client uses, through the providers, the verify reader and the api functions", async () => {
    const client = new DsmClient({ endpoint: dsm.url, apiKey });
    const { groups, apps, keys } = await providers();
    const group = await make(groups, { name: "openapi-all", description: "all operations" });
    await groups.update(group.id, group.outs, { ...group.inputs, description: "changed" });
    await groups.read(group.id, group.outs);
    const app = await make(apps, { name: "openapi-all-app", groupId: group.id, jwksUrl: JWKS_URL });
    await apps.update(app.id, app.outs, { ...app.inputs, jwksCacheSeconds: 600 });
    await apps.read(app.id, app.outs);
    const key = await make(keys, { name: "openapi-all-key", groupId: group.id, rotationPolicyDays: 90, description: "k" });
    const rotated = await keys.update(key.id, key.outs, { ...key.inputs, rotate: "1", description: "rotated" });
    await keys.read(key.id, { ...key.outs, ...rotated.outs });
    await dsmRevokeSobject(client, String(rotated.outs?.rotatedKids && (rotated.outs.rotatedKids as string[])[0]));
    await dsmListGroups(client);
    await dsmListApps(client, { groupId: group.id });
    await runDsmChecks(dsmReaderFromClient(client), { clientId: "openapi-all-app", issuers: ISSUERS, jwksUri: JWKS_URL, keyNames: ["openapi-all-key", "absent"] });
    await keys.delete(key.id, { ...key.outs, ...rotated.outs, allowDestroy: true });
    await apps.delete(app.id, app.outs);
    await groups.delete(group.id, group.outs);
    const adoptGroup = (await dsmCreateGroup(client, { name: "openapi-adopt-g" })).group_id;
    const adopted = await dsmCreateApp(client, { name: "openapi-adopt", default_group: adoptGroup, add_groups: { [adoptGroup]: ["ENCRYPT"] }, credential: { signedjwt: { valid_issuers: ISSUERS, signing_keys: { kind: "fetched", url: JWKS_URL, cache_duration: 60 } } } });
    await make(apps, { name: "openapi-adopt", groupId: adopted.default_group!, jwksUrl: JWKS_URL, adopt: true });
    await dsmCreateSobject(client, { name: "openapi-adopt-key", group_id: adopted.default_group!, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT"] });
    await make(keys, { name: "openapi-adopt-key", groupId: adopted.default_group!, adopt: true });

    const all = [...seen, ...dsm.requests];
    const problems = all.flatMap((r) => [
      ...dsmRequestProblems(r.method, r.path, r.body, r.query),
      ...(r.status !== undefined ? dsmResponseProblems(r.method, r.path, r.status, r.response) : []),
    ]);
    expect(problems).toEqual([]);
    const used = new Set(all.map((r) => dsmOperation(r.method, r.path)?.operationId));
    expect([...used].sort()).toEqual([
      "Authenticate", "CreateApp", "CreateGroup", "CreateSobject", "DeleteApp", "DeleteGroup", "DeleteSobject", "GetApp", "GetAppCredential",
      "GetGroup", "GetSobject", "ListApps", "ListGroups", "ListSobjects", "RevokeSobject", "RotateSobject", "UpdateApp", "UpdateGroup", "UpdateSobject",
    ]);
  });
});
