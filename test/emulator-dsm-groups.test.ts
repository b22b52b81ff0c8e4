// The DSM emulator's groups (CreateGroup, ListGroups, GetGroup, UpdateGroup, DeleteGroup), held to
// the OpenAPI document: every request and answer of these tests validates (afterEach).
import { beforeAll, describe, expect, it } from "vitest";
import { DSM_EMULATOR_UNCONFIRMED, type DsmEmulator } from "../components/emulators/dsm";
import { aesKeyBody, bearerFor, call, createGroupVia, DSM_TIMESTAMP, DSM_UUID, useDsmEmulator, withEmulator } from "./emulator-dsm-helpers";

const ACCOUNT = "5f1c7a9e-2b3d-4e5f-8a9b-0c1d2e3f4a5b";
const ABSENT = "3c9a4d5e-0000-4000-8000-000000000000";

const t = useDsmEmulator({ accountId: ACCOUNT, deletedSobjectVisibleMs: 0 });
let dsm: DsmEmulator;
let url: string;
let admin: string;
beforeAll(() => {
  ({ dsm, url, admin } = t);
});

const newGroup = (name: string): Promise<string> => createGroupVia(url, admin, name);

describe("DsmEmulator groups", () => {
  it("creates, reads, lists, updates and deletes a group with the document's Group fields", async () => {
    const created = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "g-crud", description: "first" } });
    expect(created.status).toBe(DSM_EMULATOR_UNCONFIRMED.createStatus);
    expect(created.status).toBe(201);
    const g = created.json as Record<string, unknown>;
    expect(g).toEqual({
      group_id: expect.stringMatching(DSM_UUID),
      acct_id: ACCOUNT,
      name: "g-crud",
      description: "first",
      created_at: expect.stringMatching(DSM_TIMESTAMP),
      creator: { app: dsm.app("automation")!.app_id },
      client_configurations: {},
    });
    const id = g.group_id as string;
    expect((await call(url, "GET", `/sys/v1/groups/${id}`, { auth: admin })).json).toEqual(g);
    const list = await call(url, "GET", "/sys/v1/groups", { auth: admin });
    expect(list.json).toEqual([g]);

    const patched = await call(url, "PATCH", `/sys/v1/groups/${id}`, { auth: admin, body: { description: "second" } });
    expect({ status: patched.status, json: patched.json }).toEqual({ status: 200, json: { ...g, description: "second" } });
    expect(dsm.group("g-crud")?.description).toBe("second");

    const del = await call(url, "DELETE", `/sys/v1/groups/${id}`, { auth: admin });
    expect({ status: del.status, text: del.text }).toEqual({ status: 204, text: "" });
    const gone = await call(url, "GET", `/sys/v1/groups/${id}`, { auth: admin });
    expect({ status: gone.status, json: gone.json }).toEqual({ status: 404, json: { message: "group does not exist" } });
    expect((await call(url, "PATCH", `/sys/v1/groups/${id}`, { auth: admin, body: { name: "x" } })).status).toBe(404);
    expect((await call(url, "DELETE", `/sys/v1/groups/${id}`, { auth: admin })).status).toBe(404);
  });

  it("keeps a group's custom_metadata (GroupRequest and Group carry it): set on create, replaced by a PATCH, refused unless a map of strings", async () => {
    const created = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "g-meta", custom_metadata: { "managed-by": "someone", run: "1" } } });
    expect(created.status).toBe(201);
    const g = created.json as Record<string, unknown>;
    expect(g.custom_metadata).toEqual({ "managed-by": "someone", run: "1" });
    const id = g.group_id as string;
    expect((await call(url, "GET", `/sys/v1/groups/${id}`, { auth: admin })).json).toEqual(g);
    expect(((await call(url, "GET", "/sys/v1/groups", { auth: admin })).json as Record<string, unknown>[]).find((x) => x.group_id === id)).toEqual(g);
    const patched = await call(url, "PATCH", `/sys/v1/groups/${id}`, { auth: admin, body: { custom_metadata: { run: "2" } } });
    expect((patched.json as Record<string, unknown>).custom_metadata).toEqual({ run: "2" });
    // null reads as absent: nothing changes.
    const unchanged = await call(url, "PATCH", `/sys/v1/groups/${id}`, { auth: admin, body: { custom_metadata: null, description: "d" } });
    expect((unchanged.json as Record<string, unknown>).custom_metadata).toEqual({ run: "2" });
    const bad = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "g-meta-bad", custom_metadata: { n: 1 } }, nonconformant: "a custom_metadata value that is not a string" });
    expect(bad.status).toBe(400);
    expect(dsm.group("g-meta-bad")).toBeUndefined();
  });

  it("refuses a duplicate name (409), a missing name (400) and a blank one", async () => {
    await newGroup("g-dup");
    const dup = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "g-dup" } });
    expect({ status: dup.status, json: dup.json }).toEqual({ status: 409, json: { message: "group already exists" } });
    const other = await newGroup("g-dup-2");
    expect((await call(url, "PATCH", `/sys/v1/groups/${other}`, { auth: admin, body: { name: "g-dup" } })).status).toBe(409);
    // GroupRequest requires nothing (it also serves updates), but a Group has a name.
    expect(DSM_EMULATOR_UNCONFIRMED.createNeedsName).toBe(true);
    const noName = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { description: "x" } });
    expect({ status: noName.status, json: noName.json }).toEqual({ status: 400, json: { message: "missing field `name`" } });
    const blank = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "  " }, nonconformant: "name pattern needs a non-blank character" });
    expect({ status: blank.status, json: blank.json }).toEqual({
      status: 400,
      json: { message: 'name: invalid value: string "  ", expected a name of 1 to 4096 characters, not blank, without line breaks' },
    });
    const wrongType = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: 7 }, nonconformant: "name is a string" });
    expect(wrongType.json).toEqual({ message: "name: invalid type: integer `7`, expected a string" });
    const notJson = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: "{not json", nonconformant: "not JSON" });
    expect(notJson.status).toBe(400);
    expect((notJson.json as { message: string }).message).toMatch(/^request body is not valid JSON/);
  });

  it("refuses to delete a group that still holds security objects", async () => {
    const id = await newGroup("g-nonempty");
    const key = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-in-nonempty", id) });
    const del = await call(url, "DELETE", `/sys/v1/groups/${id}`, { auth: admin });
    expect(del.status).toBe(DSM_EMULATOR_UNCONFIRMED.nonEmptyGroupDeleteStatus);
    expect({ status: del.status, json: del.json }).toEqual({ status: 409, json: { message: "group is not empty: it still holds 1 security object" } });
    expect(dsm.group(id)).toBeDefined();
    expect((await call(url, "DELETE", `/crypto/v1/keys/${(key.json as { kid: string }).kid}`, { auth: admin })).status).toBe(204);
    expect((await call(url, "DELETE", `/sys/v1/groups/${id}`, { auth: admin })).status).toBe(204);
  });

  it("a crypto app sees only its own groups and cannot create one", async () => {
    const mine = await newGroup("g-mine");
    await newGroup("g-not-mine");
    const crypto = await bearerFor(url, dsm.createApiKey({ role: "crypto", name: "crypto-groups", groups: { [mine]: ["ENCRYPT"] } }));
    const list = await call(url, "GET", "/sys/v1/groups", { auth: crypto });
    expect((list.json as { name: string }[]).map((g) => g.name)).toEqual(["g-mine"]);
    const other = dsm.group("g-not-mine")!.group_id;
    expect((await call(url, "GET", `/sys/v1/groups/${other}`, { auth: crypto })).json).toEqual({ message: "group does not exist" });
    const create = await call(url, "POST", "/sys/v1/groups", { auth: crypto, body: { name: "nope" } });
    expect({ status: create.status, json: create.json }).toEqual({
      status: 403,
      json: { message: "insufficient permissions: a crypto app cannot create groups (use an administrative app or a user)" },
    });
  });
});

describe("DsmEmulator group lists (GetGroupsParams)", () => {
  it("pages with limit and offset, and answers {items, metadata} when continuation_token is given", async () => {
    await withEmulator({}, async (d, base) => {
      const token = await bearerFor(base, d.createApiKey());
      const [a, b, c] = ["a", "b", "c"].map((name) => d.seedGroup({ name }));
      const get = async (query: string) => (await call(base, "GET", `/sys/v1/groups${query}`, { auth: token })).json;
      expect(await get("?limit=2")).toEqual([a, b]);
      expect(await get("?offset=1&limit=1")).toEqual([b]);
      expect(await get("?offset=3")).toEqual([]);
      const first = (await get("?limit=2&continuation_token=")) as { items: unknown[]; metadata: { continuation_token: string } };
      expect(first).toEqual({
        items: [a, b],
        metadata: { continuation_token: DSM_EMULATOR_UNCONFIRMED.continuationToken(2), count: 3, count_accuracy: { $type: "Exact" } },
      });
      expect(await get(`?limit=2&continuation_token=${first.metadata.continuation_token}`)).toEqual({ items: [c], metadata: { count: 3, count_accuracy: { $type: "Exact" } } });
      expect(await get("?continuation_token=")).toEqual({ items: [a, b, c], metadata: { count: 3, count_accuracy: { $type: "Exact" } } });
      const bad = await call(base, "GET", "/sys/v1/groups?continuation_token=made-up", { auth: token });
      expect({ status: bad.status, json: bad.json }).toEqual({ status: 400, json: { message: "query parameter continuation_token: invalid value: not a token from a previous answer" } });
      const negative = await call(base, "GET", "/sys/v1/groups?limit=-1", { auth: token });
      expect(negative.json).toEqual({ message: 'query parameter limit: invalid value: "-1", expected a non-negative integer' });
      const notInt = await call(base, "GET", "/sys/v1/groups?offset=first", { auth: token, nonconformant: "offset is an integer" });
      expect(notInt.status).toBe(400);
    });
  });

  it(`returns at most ${DSM_EMULATOR_UNCONFIRMED.groupListDefaultLimit} groups without a limit`, async () => {
    await withEmulator({}, async (d, base) => {
      for (let i = 0; i <= DSM_EMULATOR_UNCONFIRMED.groupListDefaultLimit; i += 1) d.seedGroup({ name: `g-${i}` });
      const token = await bearerFor(base, d.createApiKey());
      expect(((await call(base, "GET", "/sys/v1/groups", { auth: token })).json as unknown[]).length).toBe(1000);
      const rest = (await call(base, "GET", "/sys/v1/groups?offset=1000", { auth: token })).json as { name: string }[];
      expect(rest.map((g) => g.name)).toEqual(["g-1000"]);
    });
  });
});
