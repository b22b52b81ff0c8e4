import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DSM_EMULATOR_UNCONFIRMED, DsmEmulator } from "../components/emulators/dsm";
import { aesKeyBody, basic, bearerFor, call } from "./emulator-dsm-helpers";

const ACCOUNT = "5f1c7a9e-2b3d-4e5f-8a9b-0c1d2e3f4a5b";
const TIMESTAMP = /^\d{8}T\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let dsm: DsmEmulator;
let url: string;
let adminKey: string;
let admin: string;

beforeAll(async () => {
  dsm = new DsmEmulator({ accountId: ACCOUNT });
  url = await dsm.start();
  adminKey = dsm.createApiKey({ role: "admin", name: "automation" });
  admin = await bearerFor(url, adminKey);
});

afterAll(async () => {
  await dsm.stop();
});

beforeEach(() => {
  dsm.clearRequests();
  dsm.clearFaults();
});

async function newGroup(name: string): Promise<string> {
  const res = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name } });
  expect(res.status).toBe(201);
  return (res.json as { group_id: string }).group_id;
}

describe("DsmEmulator sessions", () => {
  it("starts on loopback with the configured account", () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dsm.accountId).toBe(ACCOUNT);
    expect(dsm.ekmVaultUrl).toBe(`${url}/oci/ekm/v1/vaults/${ACCOUNT}`);
  });

  it("opens a Bearer session from an API key", async () => {
    const before = dsm.counters.sessionAuthentications;
    const res = await call(url, "POST", "/sys/v1/session/auth", { auth: `Basic ${adminKey}` });
    expect(res.status).toBe(200);
    const body = res.json as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["access_token", "entity_id", "expires_in", "token_type"]);
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBe(600);
    expect(body.entity_id).toBe(dsm.app("automation")?.app_id);
    expect(dsm.counters.sessionAuthentications).toBe(before + 1);
    const groups = await call(url, "GET", "/sys/v1/groups", { auth: `Bearer ${body.access_token as string}` });
    expect(groups.status).toBe(200);
  });

  it("answers 401 to bad credentials and missing authorization", async () => {
    const appId = dsm.app("automation")!.app_id;
    const before = dsm.counters.failedAuthentications;
    const wrongSecret = await call(url, "POST", "/sys/v1/session/auth", { auth: basic(appId, "not-the-secret") });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.json).toEqual({ message: "invalid credentials: unknown app or user, or wrong secret or password" });
    const unknown = await call(url, "POST", "/sys/v1/session/auth", { auth: basic("someone@example.com", "pw") });
    expect(unknown.status).toBe(401);
    const none = await call(url, "POST", "/sys/v1/session/auth");
    expect(none.status).toBe(401);
    expect(dsm.counters.failedAuthentications).toBe(before + 3);
    const noAuth = await call(url, "GET", "/sys/v1/groups");
    expect(noAuth.status).toBe(401);
    const badBearer = await call(url, "GET", "/sys/v1/groups", { auth: "Bearer nope" });
    expect(badBearer.status).toBe(401);
    expect(badBearer.json).toEqual({ message: "invalid bearer token: no such session" });
  });

  it("requires a user session to select the account before anything else", async () => {
    const userId = dsm.addUser("ops@example.com", "correct horse");
    const res = await call(url, "POST", "/sys/v1/session/auth", { auth: basic("ops@example.com", "correct horse") });
    expect(res.status).toBe(200);
    expect((res.json as { entity_id: string }).entity_id).toBe(userId);
    const user = `Bearer ${(res.json as { access_token: string }).access_token}`;

    const early = await call(url, "GET", "/sys/v1/groups", { auth: user });
    expect(early.status).toBe(DSM_EMULATOR_UNCONFIRMED.accountNotSelectedStatus);
    expect(early.json).toEqual({ message: 'no account selected: POST /sys/v1/session/select_account {"acct_id":…} first' });

    const wrong = await call(url, "POST", "/sys/v1/session/select_account", {
      auth: user,
      body: { acct_id: "00000000-1111-2222-3333-444444444444" },
    });
    expect(wrong.status).toBe(404);
    const missing = await call(url, "POST", "/sys/v1/session/select_account", { auth: user, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({ message: "missing required field: acct_id" });

    const before = dsm.counters.accountSelections;
    const ok = await call(url, "POST", "/sys/v1/session/select_account", { auth: user, body: { acct_id: ACCOUNT } });
    expect(ok.status).toBe(200);
    expect(dsm.counters.accountSelections).toBe(before + 1);
    const created = await call(url, "POST", "/sys/v1/groups", { auth: user, body: { name: "made-by-user" } });
    expect(created.status).toBe(201);
    expect((created.json as { creator: unknown }).creator).toEqual({ user: userId });

    const userBasicElsewhere = await call(url, "GET", "/sys/v1/groups", { auth: basic("ops@example.com", "correct horse") });
    expect(userBasicElsewhere.status).toBe(401);
  });

  it("expires sessions: expireSessions() and a configurable TTL on an adjustable clock", async () => {
    const own = new DsmEmulator();
    const ownUrl = await own.start();
    try {
      const token = await bearerFor(ownUrl, own.createApiKey({ role: "admin" }));
      expect(own.activeSessions).toBe(1);
      own.expireSessions();
      expect(own.activeSessions).toBe(0);
      const expired = await call(ownUrl, "GET", "/sys/v1/groups", { auth: token });
      expect(expired.status).toBe(401);
      expect(expired.json).toEqual({ message: "session expired: authenticate again at /sys/v1/session/auth" });
    } finally {
      await own.stop();
    }

    let clock = Date.UTC(2025, 0, 2, 3, 4, 5);
    const short = new DsmEmulator({ sessionTtlSeconds: 30, now: () => clock });
    const shortUrl = await short.start();
    try {
      const k = short.createApiKey();
      const auth = await call(shortUrl, "POST", "/sys/v1/session/auth", { auth: `Basic ${k}` });
      expect((auth.json as { expires_in: number }).expires_in).toBe(30);
      const t = `Bearer ${(auth.json as { access_token: string }).access_token}`;
      clock += 29_000;
      expect((await call(shortUrl, "GET", "/sys/v1/groups", { auth: t })).status).toBe(200);
      clock += 1_000;
      expect((await call(shortUrl, "GET", "/sys/v1/groups", { auth: t })).status).toBe(401);
      const g = short.seedGroup({ name: "clocked" });
      expect(g.created_at).toBe("20250102T030435Z");
    } finally {
      await short.stop();
    }
  });

  it("terminates a session with 204", async () => {
    const key = dsm.createApiKey({ role: "admin" });
    const token = await bearerFor(url, key);
    const res = await call(url, "POST", "/sys/v1/session/terminate", { auth: token });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expect((await call(url, "GET", "/sys/v1/groups", { auth: token })).status).toBe(401);
  });

  it("accepts the API key as Basic auth on every call, and counts it", async () => {
    const before = dsm.counters;
    const res = await call(url, "GET", "/sys/v1/groups", { auth: `Basic ${adminKey}` });
    expect(res.status).toBe(200);
    expect(dsm.counters.basicAuthCalls).toBe(before.basicAuthCalls + 1);
    expect(dsm.counters.sessionAuthentications).toBe(before.sessionAuthentications);
  });

  it("records requests with the auth scheme but never the credential", async () => {
    await call(url, "POST", "/sys/v1/session/auth", { auth: `Basic ${adminKey}` });
    await call(url, "GET", "/crypto/v1/keys?name=x&group_id=y", { auth: admin });
    await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "recorded", description: "d" } });
    expect(dsm.requests.map((r) => [r.method, r.path, r.auth, r.status])).toEqual([
      ["POST", "/sys/v1/session/auth", "Basic", 200],
      ["GET", "/crypto/v1/keys", "Bearer", 200],
      ["POST", "/sys/v1/groups", "Bearer", 201],
    ]);
    expect(dsm.requests[1].query).toEqual({ name: "x", group_id: "y" });
    expect(dsm.requests[2].body).toEqual({ name: "recorded", description: "d" });
    expect(dsm.requests.every((r) => r.api === "management")).toBe(true);
    const log = JSON.stringify(dsm.requests);
    expect(log).not.toContain(adminKey);
    expect(log).not.toContain(admin.slice("Bearer ".length));
    dsm.clearRequests();
    expect(dsm.requests).toEqual([]);
  });
});

describe("DsmEmulator groups", () => {
  it("creates, reads, lists, updates and deletes a group with DSM's fields", async () => {
    const created = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "g-crud", description: "first" } });
    expect(created.status).toBe(201);
    const g = created.json as Record<string, unknown>;
    expect(Object.keys(g).sort()).toEqual(["acct_id", "created_at", "creator", "description", "group_id", "name"]);
    expect(g.group_id).toMatch(UUID);
    expect(g.acct_id).toBe(ACCOUNT);
    expect(g.name).toBe("g-crud");
    expect(g.created_at).toMatch(TIMESTAMP);
    expect(g.creator).toEqual({ app: dsm.app("automation")!.app_id });
    const id = g.group_id as string;

    expect((await call(url, "GET", `/sys/v1/groups/${id}`, { auth: admin })).json).toEqual(g);
    const list = await call(url, "GET", "/sys/v1/groups", { auth: admin });
    expect((list.json as { name: string }[]).map((x) => x.name)).toContain("g-crud");

    const patched = await call(url, "PATCH", `/sys/v1/groups/${id}`, { auth: admin, body: { description: "second" } });
    expect(patched.status).toBe(200);
    expect(patched.json).toEqual({ ...g, description: "second" });
    expect(dsm.group("g-crud")?.description).toBe("second");

    const del = await call(url, "DELETE", `/sys/v1/groups/${id}`, { auth: admin });
    expect(del.status).toBe(204);
    const gone = await call(url, "GET", `/sys/v1/groups/${id}`, { auth: admin });
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ message: "group does not exist" });
    expect((await call(url, "PATCH", `/sys/v1/groups/${id}`, { auth: admin, body: { name: "x" } })).status).toBe(404);
    expect((await call(url, "DELETE", `/sys/v1/groups/${id}`, { auth: admin })).status).toBe(404);
  });

  it("refuses a duplicate name (409) and a missing name (400)", async () => {
    await newGroup("g-dup");
    const dup = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "g-dup" } });
    expect(dup.status).toBe(409);
    expect(dup.json).toEqual({ message: "group already exists" });
    const other = await newGroup("g-dup-2");
    const rename = await call(url, "PATCH", `/sys/v1/groups/${other}`, { auth: admin, body: { name: "g-dup" } });
    expect(rename.status).toBe(409);
    const noName = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { description: "x" } });
    expect(noName.status).toBe(400);
    expect(noName.json).toEqual({ message: "missing required field: name" });
    const notJson = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: "{not json" });
    expect(notJson.status).toBe(400);
    expect((notJson.json as { message: string }).message).toMatch(/^request body is not valid JSON/);
  });

  it("refuses to delete a group that still holds security objects", async () => {
    const id = await newGroup("g-nonempty");
    const key = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-in-nonempty", id) });
    const del = await call(url, "DELETE", `/sys/v1/groups/${id}`, { auth: admin });
    expect(del.status).toBe(DSM_EMULATOR_UNCONFIRMED.nonEmptyGroupDeleteStatus);
    expect(del.status).toBe(409);
    expect(del.json).toEqual({ message: "group is not empty: it still holds 1 security object" });
    expect(dsm.group(id)).toBeDefined();
    await call(url, "DELETE", `/crypto/v1/keys/${(key.json as { kid: string }).kid}`, { auth: admin });
    expect((await call(url, "DELETE", `/sys/v1/groups/${id}`, { auth: admin })).status).toBe(204);
  });

  it("serves the error body as plain text when configured", async () => {
    const text = new DsmEmulator({ errorFormat: "text" });
    const textUrl = await text.start();
    try {
      const key = text.createApiKey();
      const res = await call(textUrl, "GET", "/sys/v1/groups/3c9a4d5e-0000-4000-8000-000000000000", { auth: `Basic ${key}` });
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(res.text).toBe("group does not exist");
    } finally {
      await text.stop();
    }
  });
});

describe("DsmEmulator apps", () => {
  const jwtCredential = {
    signedjwt: {
      valid_issuers: ["https://identity.oraclecloud.com/"],
      signing_keys: { kind: "fetched", url: "https://idcs-abc.identity.oraclecloud.com/admin/v1/SigningCert/jwk", cache_duration: 3600 },
    },
  };

  it("creates a signed-JWT app: auth_type SignedJwt, groups as list or permission map", async () => {
    const groupId = await newGroup("g-apps");
    const res = await call(url, "POST", "/sys/v1/apps", {
      auth: admin,
      body: {
        name: "client-id-123",
        description: "OCI EKM",
        app_type: "default",
        default_group: groupId,
        add_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
        credential: jwtCredential,
      },
    });
    expect(res.status).toBe(201);
    const app = res.json as Record<string, unknown>;
    expect(app.app_id).toMatch(UUID);
    expect(app).toMatchObject({
      acct_id: ACCOUNT,
      name: "client-id-123",
      description: "OCI EKM",
      app_type: "default",
      default_group: groupId,
      groups: [groupId],
      enabled: true,
      role: "crypto",
      auth_type: "SignedJwt",
      credential: jwtCredential,
    });
    expect(app.created_at).toMatch(TIMESTAMP);
    const id = app.app_id as string;
    const plain = await call(url, "GET", `/sys/v1/apps/${id}`, { auth: admin });
    expect((plain.json as { groups: unknown }).groups).toEqual([groupId]);
    const withPerms = await call(url, "GET", `/sys/v1/apps/${id}?group_permissions=true`, { auth: admin });
    expect((withPerms.json as { groups: unknown }).groups).toEqual({ [groupId]: ["ENCRYPT", "DECRYPT"] });
    const listed = await call(url, "GET", `/sys/v1/apps?group_id=${groupId}`, { auth: admin });
    expect((listed.json as { name: string }[]).map((a) => a.name)).toEqual(["client-id-123"]);
    expect(dsm.app("client-id-123")?.groups).toEqual({ [groupId]: ["ENCRYPT", "DECRYPT"] });
  });

  it("updates permissions with mod_groups and renames; 409 on a duplicate name; 404 when gone", async () => {
    const groupId = await newGroup("g-apps-2");
    const created = await call(url, "POST", "/sys/v1/apps", {
      auth: admin,
      body: { name: "app-patch", add_groups: { [groupId]: ["ENCRYPT"] }, credential: jwtCredential },
    });
    const id = (created.json as { app_id: string }).app_id;
    const dup = await call(url, "POST", "/sys/v1/apps", { auth: admin, body: { name: "app-patch", credential: jwtCredential } });
    expect(dup.status).toBe(409);
    expect(dup.json).toEqual({ message: "app already exists" });
    const patched = await call(url, "PATCH", `/sys/v1/apps/${id}?group_permissions=true`, {
      auth: admin,
      body: { mod_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] }, description: "now both" },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ groups: { [groupId]: ["ENCRYPT", "DECRYPT"] }, description: "now both", default_group: groupId });
    const notMember = await call(url, "PATCH", `/sys/v1/apps/${id}`, {
      auth: admin,
      body: { mod_groups: { "11111111-2222-4333-8444-555555555555": ["ENCRYPT"] } },
    });
    expect(notMember.status).toBe(400);
    expect(dsm.app(id)?.groups).toEqual({ [groupId]: ["ENCRYPT", "DECRYPT"] });
    expect((await call(url, "DELETE", `/sys/v1/apps/${id}`, { auth: admin })).status).toBe(204);
    const gone = await call(url, "GET", `/sys/v1/apps/${id}`, { auth: admin });
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ message: "app does not exist" });
  });

  it("validates app bodies", async () => {
    const groupId = await newGroup("g-apps-3");
    const cases: [Record<string, unknown>, number, string][] = [
      [{ credential: jwtCredential }, 400, "missing required field: name"],
      [{ name: "a1", add_groups: { [groupId]: ["ENCRYPT", "FLY"] } }, 400, `add_groups.${groupId}: unknown permission "FLY"`],
      [{ name: "a2", add_groups: { "3c9a4d5e-0000-4000-8000-000000000000": ["ENCRYPT"] } }, 404, "group does not exist: 3c9a4d5e-0000-4000-8000-000000000000"],
      [{ name: "a3", credential: { signedjwt: { ...jwtCredential.signedjwt, valid_issuers: [] } } }, 400, "credential.signedjwt.valid_issuers must be a non-empty list of issuer strings"],
      [{ name: "a4", credential: { signedjwt: { valid_issuers: ["x"], signing_keys: { kind: "fetched", url: "not a url" } } } }, 400, 'credential.signedjwt.signing_keys.url must be an http(s) URL, got "not a url"'],
      [{ name: "a5", role: "root" }, 400, 'role must be "crypto" or "admin", got "root"'],
      [{ name: "a6", default_group: groupId }, 400, `default_group ${groupId} must also be listed in add_groups`],
    ];
    for (const [body, status, message] of cases) {
      const res = await call(url, "POST", "/sys/v1/apps", { auth: admin, body });
      expect({ status: res.status, json: res.json }).toEqual({ status, json: { message } });
    }
  });
});

describe("DsmEmulator security objects", () => {
  let groupId: string;
  beforeAll(async () => {
    groupId = await newGroup("g-keys");
  });

  it("creates an AES-256 key with DSM's fields and never returns the material", async () => {
    const res = await call(url, "POST", "/crypto/v1/keys", {
      auth: admin,
      body: aesKeyBody("test-aes-key", groupId, { rotation_policy: { interval_days: 90 } }),
    });
    expect(res.status).toBe(201);
    const k = res.json as Record<string, unknown>;
    expect(Object.keys(k).sort()).toEqual(
      ["acct_id", "created_at", "creator", "custom_metadata", "description", "enabled", "group_id", "kcv", "key_ops", "key_size", "kid", "name", "obj_type", "rotation_policy", "state"].sort(),
    );
    expect(k).toMatchObject({
      name: "test-aes-key",
      group_id: groupId,
      acct_id: ACCOUNT,
      obj_type: "AES",
      key_size: 256,
      key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"],
      enabled: true,
      state: "Active",
      description: "test key",
      custom_metadata: { "managed-by": "oci-ekm" },
      rotation_policy: { interval_days: 90 },
    });
    expect(k.kid).toMatch(UUID);
    expect(k.created_at).toMatch(TIMESTAMP);
    expect(k.kcv).toMatch(/^[0-9a-f]{6}$/);
    const material = dsm.keyMaterial("test-aes-key")!;
    expect(material.length).toBe(32);
    expect(res.text).not.toContain(material.toString("base64"));
    expect(res.text).not.toContain(material.toString("hex"));
  });

  it("defaults key_ops to every operation except EXPORT", async () => {
    const body = aesKeyBody("k-default-ops", groupId);
    delete body.key_ops;
    const res = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body });
    expect((res.json as { key_ops: string[] }).key_ops).toEqual([
      "ENCRYPT", "DECRYPT", "WRAPKEY", "UNWRAPKEY", "DERIVEKEY", "MACGENERATE", "MACVERIFY", "APPMANAGEABLE",
    ]);
  });

  it("validates key bodies and refuses duplicate names", async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [aesKeyBody("k-dup-src", groupId), 201, ""],
      [aesKeyBody("k-dup-src", groupId), 409, "sobject already exists"],
      [{ ...aesKeyBody("x", groupId), name: undefined }, 400, "missing required field: name"],
      [aesKeyBody("k-bad-type", groupId, { obj_type: "BANANA" }), 400, 'unknown obj_type "BANANA"'],
      [aesKeyBody("k-bad-size", groupId, { key_size: 512 }), 400, "invalid key_size 512 for AES: must be 128, 192 or 256"],
      [aesKeyBody("k-no-size", groupId, { key_size: undefined }), 400, "missing required field: key_size"],
      [aesKeyBody("k-bad-op", groupId, { key_ops: ["ENCRYPT", "TELEPORT"] }), 400, 'key_ops: unknown key operation "TELEPORT"'],
      [aesKeyBody("k-bad-group", "3c9a4d5e-0000-4000-8000-000000000000"), 404, "group does not exist"],
      [aesKeyBody("k-no-group", groupId, { group_id: undefined }), 400, "missing required field: group_id"],
      [aesKeyBody("k-bad-meta", groupId, { custom_metadata: { n: 1 } }), 400, "custom_metadata.n must be a string"],
      [aesKeyBody("k-bad-rot", groupId, { rotation_policy: { interval_days: 0 } }), 400, "interval_days must be a positive integer"],
    ];
    for (const [body, status, message] of cases) {
      const res = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      if (status !== 201) expect(res.json).toEqual({ message });
    }
    expect(dsm.sobject("k-bad-size")).toBeUndefined();
  });

  it("reads by kid and by name, lists with group_id and name, and 404s on a missing key", async () => {
    const created = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-read", groupId) });
    const k = created.json as { kid: string };
    expect((await call(url, "GET", `/crypto/v1/keys/${k.kid}`, { auth: admin })).json).toEqual(k);
    expect((await call(url, "POST", "/crypto/v1/keys/info", { auth: admin, body: { kid: k.kid } })).json).toEqual(k);
    expect((await call(url, "POST", "/crypto/v1/keys/info", { auth: admin, body: { name: "k-read" } })).json).toEqual(k);
    const byName = await call(url, "GET", "/crypto/v1/keys?name=k-read", { auth: admin });
    expect(byName.json).toEqual([k]);
    const byGroup = await call(url, "GET", `/crypto/v1/keys?group_id=${groupId}`, { auth: admin });
    expect((byGroup.json as { name: string }[]).map((x) => x.name)).toContain("k-read");
    const missing = await call(url, "POST", "/crypto/v1/keys/info", { auth: admin, body: { name: "no-such-key" } });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ message: "sobject does not exist" });
    expect((await call(url, "GET", "/crypto/v1/keys/3c9a4d5e-0000-4000-8000-000000000000", { auth: admin })).status).toBe(404);
    const neither = await call(url, "POST", "/crypto/v1/keys/info", { auth: admin, body: {} });
    expect(neither.status).toBe(400);
  });

  it("PATCHes only the given fields; renaming onto an existing name is 409", async () => {
    const created = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-patch", groupId) });
    const k = created.json as Record<string, unknown>;
    const res = await call(url, "PATCH", `/crypto/v1/keys/${k.kid as string}`, {
      auth: admin,
      body: { enabled: false, custom_metadata: { owner: "team" } },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ...k, enabled: false, custom_metadata: { owner: "team" } });
    const clash = await call(url, "PATCH", `/crypto/v1/keys/${k.kid as string}`, { auth: admin, body: { name: "k-read" } });
    expect(clash.status).toBe(409);
    const size = await call(url, "PATCH", `/crypto/v1/keys/${k.kid as string}`, { auth: admin, body: { key_size: 128 } });
    expect(size.status).toBe(400);
    expect(size.json).toEqual({ message: "key_size cannot be changed" });
  });

  it("rekey renames the old key, creates a new kid under the name and links both", async () => {
    const created = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-rotate", groupId) });
    const old = created.json as { kid: string; kcv: string };
    const oldMaterial = dsm.keyMaterial(old.kid)!;
    const res = await call(url, "POST", "/crypto/v1/keys/rekey", { auth: admin, body: { name: "k-rotate", description: "rotated" } });
    expect(res.status).toBe(201);
    const fresh = res.json as Record<string, unknown>;
    expect(fresh.kid).not.toBe(old.kid);
    expect(fresh).toMatchObject({ name: "k-rotate", description: "rotated", key_size: 256, state: "Active", links: { replaced: old.kid } });
    const oldNow = (await call(url, "GET", `/crypto/v1/keys/${old.kid}`, { auth: admin })).json as Record<string, unknown>;
    expect(oldNow.name).toMatch(/^k-rotate \(rotated at \d{8}T\d{6}Z\)$/);
    expect(oldNow.links).toEqual({ replacement: fresh.kid });
    expect(oldNow.state).toBe("Active");
    expect(dsm.keyMaterial(old.kid)).toEqual(oldMaterial);
    expect(dsm.keyMaterial(fresh.kid as string)).not.toEqual(oldMaterial);
    const byName = await call(url, "POST", "/crypto/v1/keys/info", { auth: admin, body: { name: "k-rotate" } });
    expect((byName.json as { kid: string }).kid).toBe(fresh.kid);

    const second = await call(url, "POST", "/crypto/v1/keys/rekey", { auth: admin, body: { name: "k-rotate" } });
    const third = second.json as { kid: string; links: unknown };
    expect(third.links).toEqual({ replaced: fresh.kid });
    expect(dsm.sobject(fresh.kid as string)?.links).toEqual({ replaced: old.kid, replacement: third.kid });
    expect(new Set(dsm.sobjects().filter((s) => s.name.startsWith("k-rotate")).map((s) => s.name)).size).toBe(3);

    const missing = await call(url, "POST", "/crypto/v1/keys/rekey", { auth: admin, body: { name: "nope" } });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ message: "sobject does not exist" });
  });

  it("rekey deactivates the old key when the rotation policy says so", async () => {
    await call(url, "POST", "/crypto/v1/keys", {
      auth: admin,
      body: aesKeyBody("k-rotate-deact", groupId, { rotation_policy: { interval_days: 30, deactivate_rotated_key: true } }),
    });
    const oldKid = dsm.sobject("k-rotate-deact")!.kid;
    await call(url, "POST", "/crypto/v1/keys/rekey", { auth: admin, body: { name: "k-rotate-deact" } });
    expect(dsm.sobject(oldKid)).toMatchObject({ state: "Deactivated" });
    expect(dsm.sobject(oldKid)?.deactivation_date).toMatch(TIMESTAMP);
  });

  it("revoke deactivates and keeps the material; DELETE destroys", async () => {
    const created = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-end", groupId) });
    const kid = (created.json as { kid: string }).kid;
    const revoked = await call(url, "POST", `/crypto/v1/keys/${kid}/revoke`, { auth: admin, body: { code: "Unspecified" } });
    expect(revoked.status).toBe(DSM_EMULATOR_UNCONFIRMED.revokeStatus);
    const after = (await call(url, "GET", `/crypto/v1/keys/${kid}`, { auth: admin })).json as Record<string, unknown>;
    expect(after.state).toBe("Deactivated");
    expect(after.deactivation_date).toMatch(TIMESTAMP);
    expect(dsm.keyMaterial(kid)).toBeDefined();
    const badCode = await call(url, "POST", `/crypto/v1/keys/${kid}/revoke`, { auth: admin, body: {} });
    expect(badCode.status).toBe(400);

    expect((await call(url, "DELETE", `/crypto/v1/keys/${kid}`, { auth: admin })).status).toBe(204);
    const gone = await call(url, "GET", `/crypto/v1/keys/${kid}`, { auth: admin });
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ message: "sobject does not exist" });
    expect(dsm.keyMaterial(kid)).toBeUndefined();
    expect((await call(url, "DELETE", `/crypto/v1/keys/${kid}`, { auth: admin })).status).toBe(404);
  });
});

describe("DsmEmulator permissions", () => {
  let groupId: string;
  let otherGroup: string;
  beforeAll(async () => {
    groupId = await newGroup("g-perm");
    otherGroup = await newGroup("g-perm-other");
    await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-perm", groupId) });
    await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-perm-locked", groupId, { key_ops: ["ENCRYPT", "DECRYPT"] }) });
    await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-perm-other", otherGroup) });
  });

  const encryptBody = (name: string) => ({ key: { name }, alg: "AES", mode: "GCM", plain: Buffer.from("hello").toString("base64") });

  it("an administrative app manages but cannot do cryptography", async () => {
    const res = await call(url, "POST", "/crypto/v1/encrypt", { auth: admin, body: encryptBody("k-perm") });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ message: "insufficient permissions: an administrative app cannot perform cryptographic operations" });
  });

  it("a crypto app needs the group permission for each operation and cannot manage groups or apps", async () => {
    const cryptoKey = dsm.createApiKey({ role: "crypto", name: "crypto-enc-only", groups: { [groupId]: ["ENCRYPT"] } });
    const crypto = await bearerFor(url, cryptoKey);
    const enc = await call(url, "POST", "/crypto/v1/encrypt", { auth: crypto, body: encryptBody("k-perm") });
    expect(enc.status).toBe(200);
    const { kid, cipher, iv, tag } = enc.json as Record<string, string>;
    expect(kid).toBe(dsm.sobject("k-perm")!.kid);
    const dec = await call(url, "POST", "/crypto/v1/decrypt", { auth: crypto, body: { key: { kid }, alg: "AES", mode: "GCM", cipher, iv, tag } });
    expect(dec.status).toBe(403);
    expect(dec.json).toEqual({ message: `insufficient permissions: the app lacks DECRYPT permission on group ${groupId}` });
    dsm.modifyApp("crypto-enc-only", { groups: { [groupId]: ["ENCRYPT", "DECRYPT"] } });
    const dec2 = await call(url, "POST", "/crypto/v1/decrypt", { auth: crypto, body: { key: { kid }, alg: "AES", mode: "GCM", cipher, iv, tag } });
    expect(dec2.status).toBe(200);
    expect(Buffer.from((dec2.json as { plain: string }).plain, "base64").toString()).toBe("hello");

    expect((await call(url, "POST", "/sys/v1/groups", { auth: crypto, body: { name: "nope" } })).status).toBe(403);
    expect((await call(url, "GET", "/sys/v1/apps", { auth: crypto })).status).toBe(403);
    const other = await call(url, "POST", "/crypto/v1/keys/info", { auth: crypto, body: { name: "k-perm-other" } });
    expect(other.status).toBe(404);
    const listed = await call(url, "GET", "/crypto/v1/keys", { auth: crypto });
    expect((listed.json as { name: string }[]).map((k) => k.name).sort()).toEqual(["k-perm", "k-perm-locked"]);
    const locked = await call(url, "DELETE", `/crypto/v1/keys/${dsm.sobject("k-perm-locked")!.kid}`, { auth: crypto });
    expect(locked.status).toBe(403);
    expect(locked.json).toEqual({ message: "insufficient permissions: a crypto app can only delete a security object whose key_ops include APPMANAGEABLE" });
    const rot = await call(url, "POST", "/crypto/v1/keys/rekey", { auth: crypto, body: { name: "k-perm" } });
    expect(rot.status).toBe(201);
  });

  it("a disabled app cannot open a session", async () => {
    const key = dsm.createApiKey({ role: "admin", name: "soon-disabled" });
    dsm.modifyApp("soon-disabled", { enabled: false });
    const res = await call(url, "POST", "/sys/v1/session/auth", { auth: `Basic ${key}` });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ message: "app is disabled" });
  });
});

describe("DsmEmulator store access and drift", () => {
  it("changes made outside the API show up in the API", async () => {
    const g = dsm.seedGroup({ name: "g-drift" });
    const k = dsm.seedSobject(aesKeyBody("k-drift", g.group_id));
    expect(k.creator).toEqual({ user: "00000000-0000-0000-0000-000000000000" });
    dsm.modifySobject("k-drift", { name: "k-drift-renamed", enabled: false });
    const old = await call(url, "POST", "/crypto/v1/keys/info", { auth: admin, body: { name: "k-drift" } });
    expect(old.status).toBe(404);
    const renamed = await call(url, "GET", `/crypto/v1/keys/${k.kid}`, { auth: admin });
    expect(renamed.json).toMatchObject({ name: "k-drift-renamed", enabled: false });
    dsm.deleteSobject(k.kid);
    expect((await call(url, "GET", `/crypto/v1/keys/${k.kid}`, { auth: admin })).status).toBe(404);
    dsm.modifyGroup("g-drift", { description: "edited in the console" });
    expect((await call(url, "GET", `/sys/v1/groups/${g.group_id}`, { auth: admin })).json).toMatchObject({ description: "edited in the console" });
    dsm.deleteGroup("g-drift");
    expect((await call(url, "GET", `/sys/v1/groups/${g.group_id}`, { auth: admin })).status).toBe(404);
  });

  it("returns copies: mutating a returned object does not change the store", () => {
    const g = dsm.seedGroup({ name: "g-copy" });
    g.name = "mutated";
    expect(dsm.group(g.group_id)?.name).toBe("g-copy");
  });

  it("rejects an accountId that is not a UUID", () => {
    expect(() => new DsmEmulator({ accountId: "acct-1" })).toThrow('DsmEmulator accountId must be a UUID, got "acct-1"');
  });
});
