// The DSM emulator's security objects (CreateSobject, GetSobject, ListSobjects, UpdateSobject,
// DeleteSobject, RotateSobject, RevokeSobject), held to the OpenAPI document: every request and
// answer of these tests validates (afterEach).
import { beforeAll, describe, expect, it } from "vitest";
import { DSM_EMULATOR_KEY_OPS, DSM_EMULATOR_UNCONFIRMED, DsmEmulator } from "../components/emulators/dsm";
import { dsmEnum } from "./dsm-openapi";
import { aesKeyBody, bearerFor, call, DSM_TIMESTAMP, DSM_UUID, useDsmEmulator, withEmulator } from "./emulator-dsm-helpers";

const ACCOUNT = "5f1c7a9e-2b3d-4e5f-8a9b-0c1d2e3f4a5b";
const ABSENT = "3c9a4d5e-0000-4000-8000-000000000000";
const KEY_OPS = dsmEnum("KeyOperations").map((o) => `\`${o}\``).join(", ");

// Deleted keys vanish at once here; the visibility window has its own test.
const t = useDsmEmulator({ accountId: ACCOUNT, deletedSobjectVisibleMs: 0 });
let dsm: DsmEmulator;
let url: string;
let admin: string;
let groupId: string;
beforeAll(async () => {
  ({ dsm, url, admin } = t);
  groupId = dsm.seedGroup({ name: "g-keys" }).group_id;
});

const info = (body: Record<string, unknown>, auth = admin) => call(url, "POST", "/crypto/v1/keys/info", { auth, body });

async function createKey(name: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const res = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody(name, groupId, extra) });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as Record<string, unknown>;
}

describe("DsmEmulator security objects", () => {
  it("knows the document's KeyOperations exactly (no MASKDECRYPT, no AUDIT)", () => {
    expect([...DSM_EMULATOR_KEY_OPS]).toEqual(dsmEnum("KeyOperations"));
  });

  it("creates an AES-256 key with the document's Sobject fields and never returns the material", async () => {
    const k = await createKey("test-aes-key", { rotation_policy: { interval_days: 90 } });
    expect(k).toEqual({
      kid: expect.stringMatching(DSM_UUID),
      name: "test-aes-key",
      description: "test key",
      group_id: groupId,
      acct_id: ACCOUNT,
      obj_type: "AES",
      key_size: 256,
      key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"],
      enabled: true,
      state: "Active",
      created_at: expect.stringMatching(DSM_TIMESTAMP),
      creator: { app: dsm.app("automation")!.app_id },
      kcv: expect.stringMatching(/^[0-9a-f]{6}$/),
      origin: "FortanixHSM",
      public_only: false,
      custom_metadata: { "managed-by": "oci-ekm" },
      rotation_policy: { interval_days: 90 },
    });
    const material = dsm.keyMaterial("test-aes-key")!;
    expect(material.length).toBe(32);
    expect(JSON.stringify(k)).not.toContain(material.toString("base64"));
    expect(JSON.stringify(k)).not.toContain(material.toString("hex"));
  });

  it("defaults key_ops to every operation except EXPORT", async () => {
    const body = aesKeyBody("k-default-ops", groupId);
    delete body.key_ops;
    const res = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body });
    expect((res.json as { key_ops: string[] }).key_ops).toEqual([...DSM_EMULATOR_UNCONFIRMED.defaultAesKeyOps]);
    expect((res.json as { key_ops: string[] }).key_ops).toEqual(["ENCRYPT", "DECRYPT", "WRAPKEY", "UNWRAPKEY", "DERIVEKEY", "MACGENERATE", "MACVERIFY", "APPMANAGEABLE"]);
  });

  it("validates key bodies: the document's enums, types and oneOfs, and refuses duplicate names", async () => {
    await createKey("k-dup-src");
    const cases: [string, Record<string, unknown>, number, string, string?][] = [
      ["duplicate", aesKeyBody("k-dup-src", groupId), 409, "sobject already exists"],
      ["no name", { ...aesKeyBody("x", groupId), name: undefined }, 400, "missing field `name`"],
      ["unknown obj_type", aesKeyBody("k1", groupId, { obj_type: "BANANA" }), 400, `obj_type: unknown variant \`BANANA\`, expected one of ${dsmEnum("ObjectType").map((o) => `\`${o}\``).join(", ")}`, "ObjectType"],
      ["RSA", aesKeyBody("k2", groupId, { obj_type: "RSA", key_size: 2048 }), 400, 'obj_type "RSA" is not supported by the emulator (AES only)'],
      ["AES-512", aesKeyBody("k3", groupId, { key_size: 512 }), 400, "key_size: invalid value: 512, expected 128, 192 or 256 for AES"],
      ["no key_size", aesKeyBody("k4", groupId, { key_size: undefined }), 400, "missing field `key_size`"],
      ["MASKDECRYPT", aesKeyBody("k5", groupId, { key_ops: ["ENCRYPT", "MASKDECRYPT"] }), 400, `key_ops[1]: unknown variant \`MASKDECRYPT\`, expected one of ${KEY_OPS}`, "MASKDECRYPT is an app permission"],
      ["AUDIT", aesKeyBody("k6", groupId, { key_ops: ["AUDIT"] }), 400, `key_ops[0]: unknown variant \`AUDIT\`, expected one of ${KEY_OPS}`, "AUDIT is an app permission"],
      ["unknown group", aesKeyBody("k7", ABSENT), 404, "group does not exist"],
      ["no group", aesKeyBody("k8", groupId, { group_id: undefined }), 400, "missing field `group_id`"],
      ["metadata not strings", aesKeyBody("k9", groupId, { custom_metadata: { n: 1 } }), 400, "custom_metadata.n: invalid type: integer `1`, expected a string", "custom_metadata values are strings"],
      ["two intervals", aesKeyBody("k10", groupId, { rotation_policy: { interval_days: 1, interval_months: 1 } }), 400, "rotation_policy: invalid value: expected exactly one of interval_days, interval_months", "RotationInterval is a oneOf"],
      ["no interval", aesKeyBody("k11", groupId, { rotation_policy: { deactivate_rotated_key: true } }), 400, "rotation_policy: invalid value: expected exactly one of interval_days, interval_months", "RotationInterval is a oneOf"],
      ["negative interval", aesKeyBody("k12", groupId, { rotation_policy: { interval_days: -1 } }), 400, "rotation_policy.interval_days: invalid type: integer `-1`, expected an integer from 0 to 4294967295", "interval_days minimum 0"],
      ["bad effective_at", aesKeyBody("k13", groupId, { rotation_policy: { interval_days: 1, effective_at: "tomorrow" } }), 400, 'rotation_policy.effective_at: invalid value: string "tomorrow", expected a timestamp YYYYMMDDTHHMMSSZ', "effective_at pattern"],
    ];
    for (const [what, body, status, message, nonconformant] of cases) {
      const res = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body, ...(nonconformant ? { nonconformant } : {}) });
      expect({ status: res.status, json: res.json }, what).toEqual({ status, json: { message } });
    }
    expect(dsm.sobjects().map((s) => s.name).filter((n) => /^k\d+$/.test(n))).toEqual([]);
    const pq = await createKey("k-pq", { key_ops: ["ENCAPSULATE", "DECAPSULATE", "HIGHVOLUME"] });
    expect(pq.key_ops).toEqual(["ENCAPSULATE", "DECAPSULATE", "HIGHVOLUME"]);
  });

  it("reads a key with POST /keys/info by kid or by name; GET /keys/{key_id} is no operation of the document", async () => {
    const k = await createKey("k-read");
    expect((await info({ kid: k.kid })).json).toEqual(k);
    expect((await info({ name: "k-read" })).json).toEqual(k);
    const missing = await info({ name: "no-such-key" });
    expect({ status: missing.status, json: missing.json }).toEqual({ status: 404, json: { message: "sobject does not exist" } });
    const both = await call(url, "POST", "/crypto/v1/keys/info", { auth: admin, body: { kid: k.kid, name: "k-read" }, nonconformant: "SobjectDescriptor is a oneOf" });
    expect({ status: both.status, json: both.json }).toEqual({ status: 400, json: { message: "invalid value: expected exactly one of kid, name to identify the security object" } });
    const neither = await call(url, "POST", "/crypto/v1/keys/info", { auth: admin, body: {}, nonconformant: "SobjectDescriptor needs kid or name" });
    expect(neither.status).toBe(400);
    const notUuid = await call(url, "POST", "/crypto/v1/keys/info", { auth: admin, body: { kid: "k-read" }, nonconformant: "kid is a uuid" });
    expect(notUuid.json).toEqual({ message: 'kid: invalid value: string "k-read", expected a UUID' });
    const get = await call(url, "GET", `/crypto/v1/keys/${k.kid as string}`, { auth: admin, nonconformant: "no GET /crypto/v1/keys/{key_id} in the document" });
    expect(get.status).toBe(DSM_EMULATOR_UNCONFIRMED.getSobjectByIdStatus);
    expect({ status: get.status, json: get.json }).toEqual({ status: 405, json: { message: `method GET not allowed on /crypto/v1/keys/${k.kid as string}` } });
  });

  it("PATCHes only the given fields, nested objects whole; renaming onto an existing name is 409", async () => {
    const k = await createKey("k-patch", { rotation_policy: { interval_days: 30, deactivate_rotated_key: true } });
    const patch = (body: Record<string, unknown>, nonconformant?: string) =>
      call(url, "PATCH", `/crypto/v1/keys/${k.kid as string}`, { auth: admin, body, ...(nonconformant ? { nonconformant } : {}) });
    const res = await patch({ enabled: false, custom_metadata: { owner: "team" }, rotation_policy: { interval_months: 3 } });
    expect({ status: res.status, json: res.json }).toEqual({ status: 200, json: { ...k, enabled: false, custom_metadata: { owner: "team" }, rotation_policy: { interval_months: 3 } } });
    const nulls = await patch({ custom_metadata: null, description: null });
    expect({ status: nulls.status, json: nulls.json }).toEqual({ status: 200, json: res.json });
    expect(DSM_EMULATOR_UNCONFIRMED.patchNullIsAbsent).toBe(true);
    expect(((await patch({ custom_metadata: {} })).json as { custom_metadata: unknown }).custom_metadata).toEqual({});
    await createKey("k-taken");
    expect((await patch({ name: "k-taken" })).json).toEqual({ message: "sobject already exists" });
    expect((await patch({ key_size: 128 })).json).toEqual({ message: "key_size cannot be changed" });
    expect((await patch({ key_ops: ["MASKDECRYPT"] }, "MASKDECRYPT is no key operation")).status).toBe(400);
    const missing = await call(url, "PATCH", `/crypto/v1/keys/${ABSENT}`, { auth: admin, body: { enabled: true } });
    expect({ status: missing.status, json: missing.json }).toEqual({ status: 404, json: { message: "sobject does not exist" } });
  });

  it("rekey renames the old key, creates a new kid under the name and links both", async () => {
    const old = await createKey("k-rotate");
    const oldMaterial = dsm.keyMaterial(old.kid as string)!;
    const res = await call(url, "POST", "/crypto/v1/keys/rekey", { auth: admin, body: { name: "k-rotate", description: "rotated" } });
    expect(res.status).toBe(201);
    const fresh = res.json as Record<string, unknown>;
    expect(fresh).toEqual({
      ...old,
      kid: expect.stringMatching(DSM_UUID),
      description: "rotated",
      kcv: expect.stringMatching(/^[0-9a-f]{6}$/),
      created_at: expect.stringMatching(DSM_TIMESTAMP),
      links: { replaced: old.kid },
    });
    expect(fresh.kid).not.toBe(old.kid);
    const oldNow = (await info({ kid: old.kid })).json as Record<string, unknown>;
    expect(oldNow).toEqual({ ...old, name: expect.stringMatching(/^k-rotate \(rotated at \d{8}T\d{6}Z\)$/), links: { replacement: fresh.kid } });
    expect(dsm.keyMaterial(old.kid as string)).toEqual(oldMaterial);
    expect(dsm.keyMaterial(fresh.kid as string)).not.toEqual(oldMaterial);
    expect(((await info({ name: "k-rotate" })).json as { kid: string }).kid).toBe(fresh.kid);

    const third = (await call(url, "POST", "/crypto/v1/keys/rekey", { auth: admin, body: { name: "k-rotate" } })).json as { kid: string; links: unknown };
    expect(third.links).toEqual({ replaced: fresh.kid });
    expect(dsm.sobject(fresh.kid as string)?.links).toEqual({ replaced: old.kid, replacement: third.kid });
    expect(new Set(dsm.sobjects().filter((s) => s.name.startsWith("k-rotate")).map((s) => s.name)).size).toBe(3);

    const missing = await call(url, "POST", "/crypto/v1/keys/rekey", { auth: admin, body: { name: "nope" } });
    expect({ status: missing.status, json: missing.json }).toEqual({ status: 404, json: { message: "sobject does not exist" } });
    const moved = await call(url, "POST", "/crypto/v1/keys/rekey", { auth: admin, body: { name: "k-rotate", group_id: dsm.seedGroup({ name: "g-elsewhere" }).group_id } });
    expect({ status: moved.status, json: moved.json }).toEqual({ status: 400, json: { message: "group_id cannot be changed by rekey" } });
  });

  it("rekey deactivates the old key when the rotation policy or the request says so", async () => {
    await createKey("k-rotate-deact", { rotation_policy: { interval_days: 30, deactivate_rotated_key: true } });
    const oldKid = dsm.sobject("k-rotate-deact")!.kid;
    await call(url, "POST", "/crypto/v1/keys/rekey", { auth: admin, body: { name: "k-rotate-deact" } });
    expect(dsm.sobject(oldKid)).toMatchObject({ state: "Deactivated", deactivation_date: expect.stringMatching(DSM_TIMESTAMP) });
    await createKey("k-rotate-asked");
    const askedKid = dsm.sobject("k-rotate-asked")!.kid;
    await call(url, "POST", "/crypto/v1/keys/rekey", { auth: admin, body: { name: "k-rotate-asked", deactivate_rotated_key: true } });
    expect(dsm.sobject(askedKid)?.state).toBe("Deactivated");
  });

  it("revoke (RevocationReason) deactivates and keeps the material; DELETE destroys", async () => {
    const kid = (await createKey("k-end")).kid as string;
    const revoked = await call(url, "POST", `/crypto/v1/keys/${kid}/revoke`, { auth: admin, body: { code: "Unspecified", message: "retired" } });
    expect({ status: revoked.status, text: revoked.text }).toEqual({ status: 204, text: "" });
    expect((await info({ kid })).json).toMatchObject({ state: "Deactivated", deactivation_date: expect.stringMatching(DSM_TIMESTAMP) });
    expect(dsm.keyMaterial(kid)).toBeDefined();
    const noCode = await call(url, "POST", `/crypto/v1/keys/${kid}/revoke`, { auth: admin, body: {}, nonconformant: "RevocationReason requires code" });
    expect({ status: noCode.status, json: noCode.json }).toEqual({ status: 400, json: { message: "missing field `code`" } });
    const badCode = await call(url, "POST", `/crypto/v1/keys/${kid}/revoke`, { auth: admin, body: { code: "Bored" }, nonconformant: "RevocationReasonCode" });
    expect(badCode.status).toBe(400);
    await call(url, "POST", `/crypto/v1/keys/${kid}/revoke`, { auth: admin, body: { code: "KeyCompromise" } });
    expect(dsm.sobject(kid)?.state).toBe("Compromised");

    expect((await call(url, "DELETE", `/crypto/v1/keys/${kid}`, { auth: admin })).status).toBe(204);
    expect((await info({ kid })).json).toEqual({ message: "sobject does not exist" });
    expect(dsm.keyMaterial(kid)).toBeUndefined();
    expect((await call(url, "DELETE", `/crypto/v1/keys/${kid}`, { auth: admin })).status).toBe(404);
  });
});

describe("DsmEmulator key lists (ListSobjectsParams)", () => {
  it("filters by name and group_id, shows kcv only with show_kcv=true, pages, and answers with metadata when asked", async () => {
    await withEmulator({}, async (d, base) => {
      const token = await bearerFor(base, d.createApiKey());
      const [g1, g2] = [d.seedGroup({ name: "g1" }).group_id, d.seedGroup({ name: "g2" }).group_id];
      const [a, b, c] = [d.seedSobject(aesKeyBody("a", g1)), d.seedSobject(aesKeyBody("b", g1)), d.seedSobject(aesKeyBody("c", g2))];
      const noKcv = (k: object) => Object.fromEntries(Object.entries(k).filter(([f]) => f !== "kcv"));
      const get = async (query: string) => (await call(base, "GET", `/crypto/v1/keys${query}`, { auth: token })).json;
      expect(await get("")).toEqual([a, b, c].map(noKcv));
      expect(await get("?show_kcv=true")).toEqual([a, b, c]);
      expect(await get("?name=b")).toEqual([noKcv(b)]);
      expect(await get(`?group_id=${g1}`)).toEqual([a, b].map(noKcv));
      expect(await get("?limit=1&offset=1")).toEqual([noKcv(b)]);
      expect(await get(`?group_id=${g1}&with_metadata=true&limit=1`)).toEqual({ items: [noKcv(a)], metadata: { total_count: 3, filtered_count: 2 } });
      expect(await get("?with_metadata=false")).toEqual([a, b, c].map(noKcv));
    });
  });

  it("returns at most 1000 keys without a limit (the document's default)", async () => {
    await withEmulator({}, async (d, base) => {
      const token = await bearerFor(base, d.createApiKey());
      const g = d.seedGroup({ name: "many" }).group_id;
      for (let i = 0; i < 1001; i += 1) d.seedSobject({ name: `k-${i}`, group_id: g, obj_type: "AES", key_size: 128, key_ops: ["ENCRYPT"] });
      expect(((await call(base, "GET", "/crypto/v1/keys", { auth: token })).json as unknown[]).length).toBe(1000);
      expect(((await call(base, "GET", "/crypto/v1/keys?offset=1000", { auth: token })).json as { name: string }[]).map((k) => k.name)).toEqual(["k-1000"]);
    });
  });
});

describe("DsmEmulator deleted keys stay visible for a while", () => {
  it(`after DELETE, info, list and the name still show the key for deletedSobjectVisibleMs (default ${DSM_EMULATOR_UNCONFIRMED.deletedSobjectVisibleMs} ms)`, async () => {
    let clock = Date.UTC(2025, 5, 1);
    await withEmulator({ now: () => clock }, async (d, base) => {
      const token = await bearerFor(base, d.createApiKey());
      const g = d.seedGroup({ name: "g" }).group_id;
      const created = (await call(base, "POST", "/crypto/v1/keys", { auth: token, body: aesKeyBody("lingering", g) })).json as Record<string, unknown>;
      const kid = created.kid as string;
      expect((await call(base, "DELETE", `/crypto/v1/keys/${kid}`, { auth: token })).status).toBe(204);
      expect(d.sobject(kid)).toBeUndefined();
      const reads = async () => ({
        byKid: (await call(base, "POST", "/crypto/v1/keys/info", { auth: token, body: { kid } })).json,
        byName: (await call(base, "POST", "/crypto/v1/keys/info", { auth: token, body: { name: "lingering" } })).json,
        list: (await call(base, "GET", "/crypto/v1/keys?name=lingering&show_kcv=true", { auth: token })).json,
      });
      expect(await reads()).toEqual({ byKid: created, byName: created, list: [created] });
      const again = await call(base, "POST", "/crypto/v1/keys", { auth: token, body: aesKeyBody("lingering", g) });
      expect({ status: again.status, json: again.json }).toEqual({ status: 409, json: { message: "sobject already exists" } });
      for (const [method, path, body] of [
        ["PATCH", `/crypto/v1/keys/${kid}`, { enabled: false }],
        ["DELETE", `/crypto/v1/keys/${kid}`, undefined],
        ["POST", `/crypto/v1/keys/${kid}/revoke`, { code: "Unspecified" }],
        ["POST", "/crypto/v1/keys/rekey", { name: "lingering" }],
      ] as const) {
        const w = await call(base, method, path, { auth: token, body });
        expect({ status: w.status, json: w.json }, `${method} ${path}`).toEqual({ status: 404, json: { message: "sobject does not exist" } });
      }
      expect((await call(base, "DELETE", `/sys/v1/groups/${g}`, { auth: token })).status).toBe(204);
      clock += 999;
      expect((await reads()).byKid).toEqual(created);
      clock += 1;
      expect(await reads()).toEqual({ byKid: { message: "sobject does not exist" }, byName: { message: "sobject does not exist" }, list: [] });
    });
  });
});

describe("DsmEmulator key permissions", () => {
  let permGroup: string;
  let otherGroup: string;
  beforeAll(() => {
    permGroup = dsm.seedGroup({ name: "g-perm" }).group_id;
    otherGroup = dsm.seedGroup({ name: "g-perm-other" }).group_id;
    dsm.seedSobject(aesKeyBody("k-perm", permGroup));
    dsm.seedSobject(aesKeyBody("k-perm-locked", permGroup, { key_ops: ["ENCRYPT", "DECRYPT"] }));
    dsm.seedSobject(aesKeyBody("k-perm-other", otherGroup));
  });

  const encryptBody = (name: string) => ({ key: { name }, alg: "AES", mode: "GCM", plain: Buffer.from("hello").toString("base64") });

  it("an administrative app manages but cannot do cryptography", async () => {
    const res = await call(url, "POST", "/crypto/v1/encrypt", { auth: admin, body: encryptBody("k-perm") });
    expect({ status: res.status, json: res.json }).toEqual({ status: 403, json: { message: "insufficient permissions: an administrative app cannot perform cryptographic operations" } });
  });

  it("a crypto app needs the group permission for each operation and APPMANAGEABLE to manage", async () => {
    const crypto = await bearerFor(url, dsm.createApiKey({ role: "crypto", name: "crypto-enc-only", groups: { [permGroup]: ["ENCRYPT"] } }));
    const enc = await call(url, "POST", "/crypto/v1/encrypt", { auth: crypto, body: encryptBody("k-perm") });
    expect(enc.status).toBe(200);
    const { kid, cipher, iv, tag } = enc.json as Record<string, string>;
    expect(kid).toBe(dsm.sobject("k-perm")!.kid);
    const decrypt = () => call(url, "POST", "/crypto/v1/decrypt", { auth: crypto, body: { key: { kid }, alg: "AES", mode: "GCM", cipher, iv, tag } });
    expect((await decrypt()).json).toEqual({ message: `insufficient permissions: the app lacks DECRYPT permission on group ${permGroup}` });
    dsm.modifyApp("crypto-enc-only", { groups: { [permGroup]: ["ENCRYPT", "DECRYPT"] } });
    expect((await decrypt()).json).toEqual({ kid, plain: Buffer.from("hello").toString("base64") });

    expect((await info({ name: "k-perm-other" }, crypto)).status).toBe(404);
    const listed = await call(url, "GET", "/crypto/v1/keys", { auth: crypto });
    expect((listed.json as { name: string }[]).map((k) => k.name)).toEqual(["k-perm", "k-perm-locked"]);
    const locked = await call(url, "DELETE", `/crypto/v1/keys/${dsm.sobject("k-perm-locked")!.kid}`, { auth: crypto });
    expect({ status: locked.status, json: locked.json }).toEqual({
      status: 403,
      json: { message: "insufficient permissions: a crypto app can only delete a security object whose key_ops include APPMANAGEABLE" },
    });
    expect((await call(url, "POST", "/crypto/v1/keys/rekey", { auth: crypto, body: { name: "k-perm" } })).status).toBe(201);
  });

  it("a disabled app cannot open a session", async () => {
    const key = dsm.createApiKey({ role: "admin", name: "soon-disabled" });
    dsm.modifyApp("soon-disabled", { enabled: false });
    const res = await call(url, "POST", "/sys/v1/session/auth", { auth: `Basic ${key}` });
    expect({ status: res.status, json: res.json }).toEqual({ status: 401, json: { message: "app is disabled" } });
  });
});

describe("DsmEmulator store access and drift", () => {
  it("changes made outside the API show up in the API", async () => {
    const g = dsm.seedGroup({ name: "g-drift" });
    const k = dsm.seedSobject(aesKeyBody("k-drift", g.group_id));
    expect(k.creator).toEqual({ user: "00000000-0000-0000-0000-000000000000" });
    dsm.modifySobject("k-drift", { name: "k-drift-renamed", enabled: false });
    expect((await info({ name: "k-drift" })).status).toBe(404);
    expect((await info({ kid: k.kid })).json).toMatchObject({ name: "k-drift-renamed", enabled: false });
    dsm.deleteSobject(k.kid);
    expect((await info({ kid: k.kid })).status).toBe(404);
    dsm.modifyGroup("g-drift", { description: "edited in the console" });
    expect((await call(url, "GET", `/sys/v1/groups/${g.group_id}`, { auth: admin })).json).toMatchObject({ description: "edited in the console" });
    dsm.deleteGroup("g-drift");
    expect((await call(url, "GET", `/sys/v1/groups/${g.group_id}`, { auth: admin })).status).toBe(404);
  });

  it("returns copies, and refuses seeds the API would refuse", () => {
    const g = dsm.seedGroup({ name: "g-copy" });
    g.name = "mutated";
    expect(dsm.group(g.group_id)?.name).toBe("g-copy");
    expect(() => dsm.seedGroup({ name: "g-copy" })).toThrow("DSM emulator seed refused (HTTP 409): group already exists");
  });

  it("rejects an accountId that is not a UUID, and negative delays", () => {
    expect(() => new DsmEmulator({ accountId: "acct-1" })).toThrow('DsmEmulator accountId must be a UUID, got "acct-1"');
    expect(() => new DsmEmulator({ deletedSobjectVisibleMs: -1 })).toThrow("DsmEmulator deletedSobjectVisibleMs must be zero or positive, got -1");
  });
});
