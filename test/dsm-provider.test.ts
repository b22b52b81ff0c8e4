// The DSM dynamic providers, method by method, against the DSM emulator over loopback HTTP: the exact
// DSM requests (paths, JSON bodies) and outcomes. The providers are the tsc-compiled ones (see
// test/vitest.config.mts), exactly what Pulumi serializes.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { resetDsmSessions } from "../components/dsm/client";
import {
  DsmGroupProvider,
  DsmJwtAppProvider,
  type DsmProviderOptions,
  DsmSecurityObjectProvider,
} from "../components/dsm/provider";
import { DSM_UNKNOWN } from "../components/dsm/schemas";
import { DsmEmulator } from "../components/emulators/dsm";

const FAST: DsmProviderOptions = { client: { baseDelayMs: 5, maxDelayMs: 20 } };
const JWKS_URL = "https://idcs-0123456789abcdef.identity.oraclecloud.com/admin/v1/SigningCert/jwk";
const CLIENT_ID = "0123456789abcdef0123456789abcdef";

type Props = Record<string, unknown>;
type Configurable = { configure(req: { config: { get(k: string): string | undefined; require(k: string): string } }): Promise<void> };

const dsm = new DsmEmulator();
let apiKey = "";

function config(values: Record<string, string>) {
  return {
    config: {
      get: (k: string) => values[k],
      require: (k: string) => {
        if (values[k] === undefined) throw new Error(`missing ${k}`);
        return values[k];
      },
    },
  };
}

async function configured<T extends Configurable>(provider: T, key = apiKey): Promise<T> {
  await provider.configure(config({ "dsm:endpoint": dsm.url, "dsm:apiKey": key }));
  return provider;
}

/** The DSM requests after authentication: method, path (+ query), body. */
function calls(): [string, string, unknown?][] {
  return dsm.requests
    .filter((r) => !r.path.startsWith("/sys/v1/session/"))
    .map((r) => {
      const q = new URLSearchParams(r.query).toString();
      const path = q ? `${r.path}?${q}` : r.path;
      return r.body === undefined ? [r.method, path] : [r.method, path, r.body];
    });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The id that the `n`th create (`POST path`) since the last clear sent as `custom_metadata["create-request-id"]`: a random UUID. */
function sentCreateId(path: string, n = 0): string {
  const body = dsm.requests.filter((r) => r.method === "POST" && r.path === path)[n]?.body as { custom_metadata?: Record<string, string> } | undefined;
  const id = body?.custom_metadata?.["create-request-id"];
  expect(id).toMatch(UUID);
  return id as string;
}

/** The metadata a group or key create sends. */
function createMetadata(path: string, n = 0): Record<string, string> {
  return { "managed-by": "oci-ekm-fortanix", "create-request-id": sentCreateId(path, n) };
}

/** {@link calls} with runs of the same call (polls) shown once. */
function collapsed(list: [string, string, unknown?][]): [string, string, unknown?][] {
  return list.filter((c, i) => i === 0 || JSON.stringify(c) !== JSON.stringify(list[i - 1]));
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a failure");
}

let groups: DsmGroupProvider;
let apps: DsmJwtAppProvider;
let keys: DsmSecurityObjectProvider;

beforeAll(async () => {
  await dsm.start();
  apiKey = dsm.createApiKey({ role: "admin" });
});
afterAll(() => dsm.stop());
beforeEach(async () => {
  resetDsmSessions();
  groups = await configured(new DsmGroupProvider(FAST));
  apps = await configured(new DsmJwtAppProvider(FAST));
  keys = await configured(new DsmSecurityObjectProvider(FAST));
  dsm.clearFaults();
  dsm.clearRequests();
  dsm.resetCounters();
});
afterEach(() => vi.restoreAllMocks());

let counter = 0;
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

async function newGroup(): Promise<string> {
  const { id } = await groups.create({ name: unique("grp") });
  return id;
}

async function newKey(groupId: string, extra: Props = {}): Promise<{ id: string; outs: Props }> {
  const checked = await keys.check({}, { name: unique("key"), groupId, ...extra });
  const { id, outs } = await keys.create(checked.inputs as Props);
  dsm.clearRequests();
  return { id, outs: outs as Props };
}

describe("check", () => {
  it("applies the defaults of each kind", async () => {
    expect(await groups.check({}, { name: "oci-ekm", __provider: "x" })).toEqual({ inputs: { name: "oci-ekm", adopt: false }, failures: [] });
    expect((await apps.check({}, { name: CLIENT_ID, groupId: "6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c", jwksUrl: JWKS_URL })).inputs).toEqual({
      name: CLIENT_ID,
      groupId: "6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c",
      jwksUrl: JWKS_URL,
      validIssuers: ["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"],
      jwksCacheSeconds: 3600,
      permissions: ["ENCRYPT", "DECRYPT"],
      adopt: false,
    });
    expect((await keys.check({}, { name: "k", groupId: "6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c", endpoint: "https://amer.smartkey.io/" })).inputs).toEqual({
      name: "k",
      groupId: "6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c",
      keySize: 256,
      keyOps: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"],
      enabled: true,
      allowDestroy: false,
      adopt: false,
      endpoint: "https://amer.smartkey.io",
    });
  });

  it("reports one clear failure per bad field", async () => {
    const result = await keys.check({}, {
      name: " spaced ", groupId: "not-a-uuid", keySize: 128, keyOps: ["ENCRYPT", "ENCRYPTT"], rotationPolicyDays: 0, allowDestroy: "yes",
      endpoint: "http://dsm.example.com",
    });
    expect(result.failures).toEqual([
      { property: "name", reason: 'name must not start or end with spaces, got " spaced "' },
      { property: "groupId", reason: 'groupId must be the DSM group id (a UUID), got "not-a-uuid"' },
      { property: "keySize", reason: "keySize must be 256 (OCI External Key Management uses AES-256 keys), got 128" },
      { property: "keyOps", reason: `keyOps[1] "ENCRYPTT" is not a DSM key operation; known: SIGN, VERIFY, ENCRYPT, DECRYPT, WRAPKEY, UNWRAPKEY, DERIVEKEY, TRANSFORM, MACGENERATE, MACVERIFY, EXPORT, APPMANAGEABLE, HIGHVOLUME, AGREEKEY, ENCAPSULATE, DECAPSULATE` },
      { property: "rotationPolicyDays", reason: "rotationPolicyDays must be positive, got 0" },
      { property: "allowDestroy", reason: 'allowDestroy must be true or false, got "yes"' },
      { property: "endpoint", reason: 'endpoint "http://dsm.example.com" must be an https:// URL (http:// is accepted for loopback emulators only)' },
    ]);
    expect((await apps.check({}, { groupId: "6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c", jwksUrl: "ftp://x", permissions: [] })).failures).toEqual([
      { property: "name", reason: "name is required" },
      { property: "jwksUrl", reason: "jwksUrl must be the Identity Domain JWKS URL: must be an https:// URL (http:// is accepted for loopback emulators only)" },
      { property: "permissions", reason: "permissions must name at least one DSM group permission" },
    ]);
  });

  it("tolerates unknown values during preview", async () => {
    const result = await apps.check({}, { name: DSM_UNKNOWN, groupId: DSM_UNKNOWN, jwksUrl: DSM_UNKNOWN, validIssuers: [DSM_UNKNOWN] });
    expect(result).toEqual({
      inputs: {
        name: DSM_UNKNOWN, groupId: DSM_UNKNOWN, jwksUrl: DSM_UNKNOWN, validIssuers: [DSM_UNKNOWN],
        jwksCacheSeconds: 3600, permissions: ["ENCRYPT", "DECRYPT"], adopt: false,
      },
      failures: [],
    });
    const diff = await keys.diff("k", { name: "k", groupId: "6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c", keySize: 256, keyOps: ["ENCRYPT"], enabled: true }, {
      name: "k", groupId: DSM_UNKNOWN, keySize: 256, keyOps: ["ENCRYPT"], enabled: true,
    });
    expect(diff).toEqual({ changes: true, replaces: [] });
  });
});

describe("groups", () => {
  it("create, read, update and delete", async () => {
    const inputs = (await groups.check({}, { name: "oci-ekm-crud", description: "OCI EKM keys" })).inputs as Props;
    const created = await groups.create(inputs);
    const g = dsm.group("oci-ekm-crud")!;
    expect(created).toEqual({
      id: g.group_id,
      outs: {
        name: "oci-ekm-crud", description: "OCI EKM keys", endpoint: dsm.url, adopt: false, groupId: g.group_id, acctId: dsm.accountId,
        createdAt: g.created_at,
      },
    });
    // Create first: a free name costs one request. The create's own id rides in custom_metadata, and DSM keeps it.
    expect(calls()).toEqual([
      ["POST", "/sys/v1/groups", { name: "oci-ekm-crud", description: "OCI EKM keys", custom_metadata: createMetadata("/sys/v1/groups") }],
    ]);
    expect(g.custom_metadata).toEqual(createMetadata("/sys/v1/groups"));

    dsm.clearRequests();
    const read = await groups.read(created.id, created.outs as Props);
    expect(read).toEqual({ id: g.group_id, props: created.outs, inputs: { name: "oci-ekm-crud", description: "OCI EKM keys", endpoint: dsm.url, adopt: false } });
    expect(calls()).toEqual([["GET", `/sys/v1/groups/${g.group_id}`]]);

    const news = { ...inputs, name: "oci-ekm-renamed", description: "OCI EKM keys" };
    expect(await groups.diff(created.id, created.outs as Props, news)).toEqual({ changes: true, replaces: [] });
    expect(await groups.diff(created.id, created.outs as Props, { ...news, endpoint: "https://eu.smartkey.io" })).toEqual({ changes: true, replaces: ["endpoint"] });
    expect(await groups.diff(created.id, created.outs as Props, inputs)).toEqual({ changes: false, replaces: [] });
    dsm.clearRequests();
    const updated = await groups.update(created.id, created.outs as Props, news);
    expect(calls()).toEqual([["PATCH", `/sys/v1/groups/${g.group_id}`, { name: "oci-ekm-renamed" }]]);
    expect((updated.outs as Props).name).toBe("oci-ekm-renamed");

    dsm.clearRequests();
    await groups.delete(created.id, updated.outs as Props);
    expect(calls()).toEqual([
      ["GET", `/crypto/v1/keys?group_id=${g.group_id}&limit=1000&offset=0`],
      ["DELETE", `/sys/v1/groups/${g.group_id}`],
    ]);
    expect(dsm.group(g.group_id)).toBeUndefined();
  });

  it("refuses an existing name unless adopt is true, then reconciles it", async () => {
    const existing = dsm.seedGroup({ name: "console-group", description: "made by hand" });
    const err = await failure(groups.create({ name: "console-group", description: "OCI EKM", adopt: false }));
    expect(err.message).toBe(
      `DSM group "console-group" already exists at ${dsm.url} (id ${existing.group_id}) and this resource did not create it. ` +
        "To manage the existing group with Pulumi, set `adopt: true` on the resource: its properties are then reconciled to the inputs. " +
        "Otherwise choose another name.",
    );
    // The name is looked up only once DSM says it is taken.
    expect(calls()).toEqual([
      ["POST", "/sys/v1/groups", { name: "console-group", description: "OCI EKM", custom_metadata: createMetadata("/sys/v1/groups") }],
      ["GET", "/sys/v1/groups?limit=1000&offset=0"],
    ]);
    expect(dsm.requests.filter((r) => r.method === "POST" && r.path === "/sys/v1/groups").map((r) => [r.status, r.response])).toEqual([
      [409, { message: "group already exists" }],
    ]);
    dsm.clearRequests();
    const adopted = await groups.create({ name: "console-group", description: "OCI EKM", adopt: true });
    expect(adopted.id).toBe(existing.group_id);
    expect(calls()).toEqual([
      ["POST", "/sys/v1/groups", { name: "console-group", description: "OCI EKM", custom_metadata: createMetadata("/sys/v1/groups") }],
      ["GET", "/sys/v1/groups?limit=1000&offset=0"],
      ["PATCH", `/sys/v1/groups/${existing.group_id}`, { description: "OCI EKM" }],
    ]);
    // Adopted as it is: the console's group gets no metadata of this library.
    expect(dsm.group(existing.group_id)!.custom_metadata).toBeUndefined();
    expect(dsm.groups().filter((g) => g.name === "console-group")).toHaveLength(1);
  });

  it("refresh reports drift, and a group deleted outside as gone", async () => {
    const created = await groups.create({ name: "drifting-group", description: "d1", adopt: false });
    dsm.modifyGroup(created.id, { description: "changed in the console" });
    const read = await groups.read(created.id, created.outs as Props);
    expect((read.props as Props).description).toBe("changed in the console");
    expect((read.inputs as Props).description).toBe("changed in the console");
    dsm.deleteGroup(created.id);
    expect(await groups.read(created.id, created.outs as Props)).toEqual({});
  });

  it("leaves a group that still holds kept keys, and tells the user", async () => {
    const groupId = await newGroup();
    const key = await newKey(groupId);
    await keys.delete(key.id, key.outs);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const read = await groups.read(groupId, { endpoint: dsm.url, name: dsm.group(groupId)!.name });
    dsm.clearRequests();
    await groups.delete(groupId, read.props as Props);
    expect(calls()).toEqual([["GET", `/crypto/v1/keys?group_id=${groupId}&limit=1000&offset=0`]]);
    expect(dsm.group(groupId)).toBeDefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain(
      `DSM group "${dsm.group(groupId)!.name}" (${groupId}) was left in DSM at ${dsm.url}: it still holds 1 security object ("${key.id}") whose key material was kept`,
    );
  });
});

describe("JWT apps", () => {
  it("create sends the signed-JWT app body; read, update and delete", async () => {
    const groupId = await newGroup();
    const inputs = (await apps.check({}, { name: CLIENT_ID, groupId, jwksUrl: JWKS_URL, description: "OCI Vault EKM" })).inputs as Props;
    dsm.clearRequests();
    const created = await apps.create(inputs);
    expect(calls()).toEqual([
      [
        "POST", "/sys/v1/apps",
        {
          name: CLIENT_ID,
          description: "OCI Vault EKM",
          app_type: "default",
          default_group: groupId,
          add_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
          credential: {
            signedjwt: {
              valid_issuers: ["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"],
              signing_keys: { kind: "fetched", url: JWKS_URL, cache_duration: 3600 },
            },
          },
        },
      ],
    ]);
    const app = dsm.app(CLIENT_ID)!;
    expect(created).toEqual({
      id: app.app_id,
      outs: {
        ...inputs, endpoint: dsm.url, appId: app.app_id, acctId: dsm.accountId, authType: "SignedJwt", enabled: true,
      },
    });

    dsm.clearRequests();
    const read = await apps.read(created.id, created.outs as Props);
    // The App object has no credential (Fortanix's API document): it is read from its own endpoint.
    expect(calls()).toEqual([
      ["GET", `/sys/v1/apps/${app.app_id}?group_permissions=true`],
      ["GET", `/sys/v1/apps/${app.app_id}/credential`],
    ]);
    expect(read.props).toEqual(created.outs);

    // Permissions only: mod_groups.
    const more = { ...inputs, permissions: ["ENCRYPT", "DECRYPT", "WRAPKEY"] };
    expect(await apps.diff(created.id, created.outs as Props, more)).toEqual({ changes: true, replaces: [] });
    dsm.clearRequests();
    const u1 = await apps.update(created.id, created.outs as Props, more);
    expect(calls()).toEqual([
      ["PATCH", `/sys/v1/apps/${app.app_id}?group_permissions=true`, { mod_groups: { [groupId]: ["ENCRYPT", "DECRYPT", "WRAPKEY"] } }],
    ]);

    // Another group: add_groups, del_groups, default_group.
    const otherGroup = await newGroup();
    const moved = { ...more, groupId: otherGroup };
    dsm.clearRequests();
    const u2 = await apps.update(created.id, u1.outs as Props, moved);
    expect(calls()).toEqual([
      [
        "PATCH", `/sys/v1/apps/${app.app_id}?group_permissions=true`,
        { add_groups: { [otherGroup]: ["ENCRYPT", "DECRYPT", "WRAPKEY"] }, del_groups: [groupId], default_group: otherGroup },
      ],
    ]);
    expect(dsm.app(app.app_id)!.groups).toEqual({ [otherGroup]: ["ENCRYPT", "DECRYPT", "WRAPKEY"] });

    // Another JWKS URL: the credential.
    const newJwks = "https://idcs-fedcba9876543210.identity.oraclecloud.com/admin/v1/SigningCert/jwk";
    dsm.clearRequests();
    const u3 = await apps.update(created.id, u2.outs as Props, { ...moved, jwksUrl: newJwks, jwksCacheSeconds: 600 });
    // The credential is read first, so that what the provider does not manage (a private-claims policy) is kept.
    expect(calls()).toEqual([
      ["GET", `/sys/v1/apps/${app.app_id}/credential`],
      [
        "PATCH", `/sys/v1/apps/${app.app_id}?group_permissions=true`,
        {
          credential: {
            signedjwt: { valid_issuers: ["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"], signing_keys: { kind: "fetched", url: newJwks, cache_duration: 600 } },
          },
        },
      ],
    ]);
    expect((u3.outs as Props).jwksUrl).toBe(newJwks);

    // Nothing changed: no request.
    dsm.clearRequests();
    await apps.update(created.id, u3.outs as Props, { ...moved, jwksUrl: newJwks, jwksCacheSeconds: 600 });
    expect(calls()).toEqual([]);

    await apps.delete(created.id, u3.outs as Props);
    expect(calls()).toEqual([["DELETE", `/sys/v1/apps/${app.app_id}`]]);
    expect(dsm.app(app.app_id)).toBeUndefined();
  });

  it("refresh reports drift; an app deleted outside is gone", async () => {
    const groupId = await newGroup();
    const created = await apps.create((await apps.check({}, { name: unique("client"), groupId, jwksUrl: JWKS_URL })).inputs as Props);
    dsm.modifyApp(created.id, { groups: { [groupId]: ["ENCRYPT"] }, enabled: false });
    const read = await apps.read(created.id, created.outs as Props);
    expect((read.props as Props).permissions).toEqual(["ENCRYPT"]);
    expect((read.props as Props).enabled).toBe(false);
    expect((read.inputs as Props).permissions).toEqual(["ENCRYPT"]);
    const diff = await apps.diff(created.id, read.props as Props, created.outs as Props);
    expect(diff).toEqual({ changes: true, replaces: [] });
    dsm.deleteApp(created.id);
    expect(await apps.read(created.id, created.outs as Props)).toEqual({});
  });

  it("adopts an existing app by name when adopt is true", async () => {
    const groupId = await newGroup();
    const name = unique("console-client");
    dsm.seedApp({
      name, app_type: "default", default_group: groupId, add_groups: { [groupId]: ["ENCRYPT"] },
      credential: { signedjwt: { valid_issuers: ["https://identity.oraclecloud.com/"], signing_keys: { kind: "fetched", url: JWKS_URL, cache_duration: 3600 } } },
    });
    const inputs = (await apps.check({}, { name, groupId, jwksUrl: JWKS_URL })).inputs as Props;
    const seeded = dsm.app(name)!;
    dsm.clearRequests();
    expect((await failure(apps.create(inputs))).message).toBe(
      `DSM JWT app "${name}" already exists at ${dsm.url} (id ${seeded.app_id}) and this resource did not create it. ` +
        "To manage the existing JWT app with Pulumi, set `adopt: true` on the resource: its properties are then reconciled to the inputs. " +
        "Otherwise choose another name.",
    );
    const appBody = {
      name, app_type: "default", default_group: groupId, add_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
      credential: { signedjwt: { valid_issuers: ["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"], signing_keys: { kind: "fetched", url: JWKS_URL, cache_duration: 3600 } } },
    };
    expect(calls()).toEqual([
      ["POST", "/sys/v1/apps", appBody],
      ["GET", "/sys/v1/apps?limit=1000&offset=0"],
      ["GET", `/sys/v1/apps/${seeded.app_id}?group_permissions=true`],
    ]);
    dsm.clearRequests();
    const adopted = await apps.create({ ...inputs, adopt: true });
    // The console app trusts one issuer form; the adopted one gets both, with its whole credential.
    expect(calls()).toEqual([
      ["POST", "/sys/v1/apps", appBody],
      ["GET", "/sys/v1/apps?limit=1000&offset=0"],
      ["GET", `/sys/v1/apps/${adopted.id}?group_permissions=true`],
      ["GET", `/sys/v1/apps/${adopted.id}/credential`],
      [
        "PATCH",
        `/sys/v1/apps/${adopted.id}?group_permissions=true`,
        {
          mod_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
          credential: { signedjwt: { valid_issuers: ["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"], signing_keys: { kind: "fetched", url: JWKS_URL, cache_duration: 3600 } } },
        },
      ],
    ]);
    expect(dsm.apps().filter((a) => a.name === name)).toHaveLength(1);
  });

  it("a create whose response was lost creates no duplicate", async () => {
    const groupId = await newGroup();
    const name = unique("lost-client");
    dsm.clearRequests();
    dsm.injectFault({ method: "POST", path: "/sys/v1/apps", kind: "commit-then-drop" });
    const inputs = (await apps.check({}, { name, groupId, jwksUrl: JWKS_URL })).inputs as Props;
    const created = await apps.create(inputs);
    const app = dsm.app(name)!;
    expect(dsm.apps().filter((a) => a.name === name)).toHaveLength(1);
    // DSM made it and the answer was lost; the client's retry met the name taken. The app is this
    // session's (its creator) and holds what was sent: taken as created, not refused as someone else's.
    expect(created).toEqual({
      id: app.app_id,
      outs: { ...inputs, endpoint: dsm.url, appId: app.app_id, acctId: dsm.accountId, authType: "SignedJwt", enabled: true },
    });
    expect(dsm.requests.filter((r) => r.path !== "/sys/v1/session/auth").map((r) => `${r.method} ${r.path} ${r.fault ?? r.status}`)).toEqual([
      "POST /sys/v1/apps commit-then-drop",
      "POST /sys/v1/apps 409",
      "GET /sys/v1/apps 200",
      `GET /sys/v1/apps/${app.app_id} 200`,
    ]);
  });

  it("an app of the name made by someone else is refused, even when the create's first attempt was lost on the way", async () => {
    const groupId = await newGroup();
    const name = unique("taken-client");
    // Identical to what the create sends, but made in the console: not this session's.
    const made = dsm.seedApp({
      name, app_type: "default", default_group: groupId, add_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
      credential: { signedjwt: { valid_issuers: ["https://identity.oraclecloud.com/"], signing_keys: { kind: "fetched", url: JWKS_URL, cache_duration: 3600 } } },
    });
    dsm.clearRequests();
    dsm.injectFault({ method: "POST", path: "/sys/v1/apps", kind: "reset" });
    const err = await failure(apps.create((await apps.check({}, { name, groupId, jwksUrl: JWKS_URL })).inputs as Props));
    expect(err.message).toBe(
      `DSM JWT app "${name}" already exists at ${dsm.url} (id ${made.app_id}) and this resource did not create it. ` +
        "To manage the existing JWT app with Pulumi, set `adopt: true` on the resource: its properties are then reconciled to the inputs. " +
        "Otherwise choose another name.",
    );
    expect(dsm.requests.filter((r) => r.path !== "/sys/v1/session/auth").map((r) => `${r.method} ${r.path} ${r.fault ?? r.status}`)).toEqual([
      "POST /sys/v1/apps reset",
      "POST /sys/v1/apps 409",
      "GET /sys/v1/apps 200",
      `GET /sys/v1/apps/${made.app_id} 200`,
    ]);
    expect(dsm.apps().filter((a) => a.name === name)).toHaveLength(1);
  });
});

describe("security objects", () => {
  it("create sends the AES-256 body; read; update patches only what changed; delete disables and keeps the material", async () => {
    const groupId = await newGroup();
    const inputs = (await keys.check({}, { name: "oci-ekm-key-crud", groupId, description: "OCI EKM key", rotationPolicyDays: 90 })).inputs as Props;
    dsm.clearRequests();
    const created = await keys.create(inputs);
    expect(calls()).toEqual([
      [
        "POST", "/crypto/v1/keys",
        {
          name: "oci-ekm-key-crud", group_id: groupId, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"],
          description: "OCI EKM key", enabled: true, custom_metadata: createMetadata("/crypto/v1/keys"), rotation_policy: { interval_days: 90 },
        },
      ],
    ]);
    const s = dsm.sobject("oci-ekm-key-crud")!;
    expect(s.custom_metadata).toEqual(createMetadata("/crypto/v1/keys"));
    expect(created).toEqual({
      id: "oci-ekm-key-crud",
      outs: {
        name: "oci-ekm-key-crud", groupId, keySize: 256, keyOps: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"], description: "OCI EKM key",
        enabled: true, rotationPolicyDays: 90, allowDestroy: false, adopt: false, endpoint: dsm.url, kid: s.kid, acctId: dsm.accountId,
        objType: "AES", state: "Active", kcv: s.kcv, rotatedKids: [], createdAt: s.created_at,
      },
    });

    dsm.clearRequests();
    const read = await keys.read(created.id, created.outs as Props);
    // Fortanix's API document has no GET of one key: it is read with GetSobject.
    expect(calls()).toEqual([["POST", "/crypto/v1/keys/info", { kid: s.kid }]]);
    expect(read.props).toEqual(created.outs);

    const news = { ...inputs, enabled: false, keyOps: ["ENCRYPT", "DECRYPT"] };
    expect(await keys.diff(created.id, created.outs as Props, inputs)).toEqual({ changes: false, replaces: [] });
    expect(await keys.diff(created.id, created.outs as Props, news)).toEqual({ changes: true, replaces: [] });
    dsm.clearRequests();
    const updated = await keys.update(created.id, created.outs as Props, news);
    expect(calls()).toEqual([["PATCH", `/crypto/v1/keys/${s.kid}`, { enabled: false, key_ops: ["ENCRYPT", "DECRYPT"] }]]);
    expect((updated.outs as Props).enabled).toBe(false);

    const material = dsm.keyMaterial(s.kid)!;
    dsm.clearRequests();
    await keys.delete(created.id, { ...(updated.outs as Props), enabled: true });
    expect(calls()).toEqual([["PATCH", `/crypto/v1/keys/${s.kid}`, { enabled: false }]]);
    expect(dsm.sobject(s.kid)).toMatchObject({ name: "oci-ekm-key-crud", enabled: false });
    expect(dsm.keyMaterial(s.kid)!.equals(material)).toBe(true);
  });

  it("refuses a rename, a group change and a size change, saying why", async () => {
    const groupId = await newGroup();
    const { id, outs } = await newKey(groupId);
    const rename = await failure(keys.diff(id, outs, { ...outs, name: "renamed-key" }));
    expect(rename.message).toBe(
      `DSM security object "${id}" cannot be renamed to "renamed-key": OCI key references find the key by its name (the external key ID), ` +
        "and a new key could not decrypt what the old one encrypted. To use another key, add a new DsmSecurityObject (and key reference) next to this one. " +
        'If it was renamed outside Pulumi, rename it back to "renamed-key" in DSM and run `pulumi refresh`.',
    );
    const other = await newGroup();
    expect((await failure(keys.diff(id, outs, { ...outs, groupId: other }))).message).toContain(
      `DSM security object "${id}" cannot move from group ${groupId} to ${other}: that would replace the key. OCI key references find the key by its name`,
    );
    expect((await failure(keys.diff(id, outs, { ...outs, keySize: 128 }))).message).toContain(
      `DSM security object "${id}" cannot change key size from 256 to 128: that would replace the key.`,
    );
    dsm.clearRequests();
    expect((await failure(keys.update(id, outs, { ...outs, name: "renamed-key" }))).message).toContain("cannot be renamed");
    expect(calls()).toEqual([]);
    expect(dsm.sobject(id)!.name).toBe(id);
  });

  it("refuses an existing name unless adopt is true, then reconciles it", async () => {
    const groupId = await newGroup();
    const existing = dsm.seedSobject({ name: "console-key", group_id: groupId, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT", "EXPORT"] });
    const inputs = (await keys.check({}, { name: "console-key", groupId, description: "adopted" })).inputs as Props;
    dsm.clearRequests();
    const err = await failure(keys.create(inputs));
    expect(err.message).toBe(
      `DSM security object "console-key" already exists at ${dsm.url} (id ${existing.kid}) and this resource did not create it. ` +
        "To manage the existing security object with Pulumi, set `adopt: true` on the resource: its properties are then reconciled to the inputs. " +
        "Otherwise choose another name.",
    );
    const keyBody = (n: number) => ({
      name: "console-key", group_id: groupId, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"],
      description: "adopted", enabled: true, custom_metadata: createMetadata("/crypto/v1/keys", n),
    });
    expect(calls()).toEqual([
      ["POST", "/crypto/v1/keys", keyBody(0)],
      ["POST", "/crypto/v1/keys/info", { name: "console-key" }],
    ]);
    // A 409 the name's holder explains is told at once (no waiting for a deleted key's name to free up).
    expect(dsm.requests.filter((r) => r.path === "/crypto/v1/keys").map((r) => r.status)).toEqual([409]);
    dsm.clearRequests();
    const adopted = await keys.create({ ...inputs, adopt: true });
    expect(calls()).toEqual([
      ["POST", "/crypto/v1/keys", keyBody(0)],
      ["POST", "/crypto/v1/keys/info", { name: "console-key" }],
      ["PATCH", `/crypto/v1/keys/${existing.kid}`, { description: "adopted", key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"] }],
    ]);
    expect((adopted.outs as Props).kid).toBe(existing.kid);
    expect(dsm.sobjects().filter((s) => s.name === "console-key")).toHaveLength(1);

    const otherGroup = await newGroup();
    expect((await failure(keys.create({ ...inputs, groupId: otherGroup, adopt: true }))).message).toBe(
      `DSM security object "console-key" (kid ${existing.kid}) cannot be adopted: it is in group ${groupId}, not ${otherGroup}. ` +
        "Moving or replacing a key would strand what it encrypted; adopt it with matching groupId (AES-256 only), or choose another name.",
    );
  });

  it("refresh reports drift; a key deleted outside is gone", async () => {
    const groupId = await newGroup();
    const { id, outs } = await newKey(groupId, { description: "before" });
    dsm.modifySobject(id, { enabled: false, description: "edited in the console", key_ops: ["ENCRYPT", "DECRYPT"] });
    const read = await keys.read(id, outs);
    expect(read.props).toMatchObject({ enabled: false, description: "edited in the console", keyOps: ["ENCRYPT", "DECRYPT"], name: id });
    expect(read.inputs).toMatchObject({ enabled: false, description: "edited in the console", keyOps: ["ENCRYPT", "DECRYPT"] });
    expect(await keys.diff(id, read.props as Props, (await keys.check({}, { name: id, groupId, description: "before" })).inputs as Props)).toEqual({
      changes: true, replaces: [],
    });
    dsm.deleteSobject(id);
    expect(await keys.read(id, outs)).toEqual({});
  });

  it("rotates when `rotate` changes: rekey by name, old kid recorded, name unchanged", async () => {
    const groupId = await newGroup();
    const { id, outs } = await newKey(groupId, { rotate: "v1" });
    const oldKid = outs.kid as string;
    const news = { ...(await keys.check({}, { name: id, groupId, rotate: "v2" })).inputs as Props };
    expect(await keys.diff(id, outs, news)).toEqual({ changes: true, replaces: [] });
    const updated = await keys.update(id, outs, news);
    expect(calls()).toEqual([["POST", "/crypto/v1/keys/rekey", { name: id }]]);
    const current = dsm.sobject(id)!;
    expect(current.kid).not.toBe(oldKid);
    expect(updated.outs).toMatchObject({ name: id, kid: current.kid, rotatedKids: [oldKid], rotate: "v2", state: "Active" });
    expect(dsm.sobject(oldKid)!.name).toMatch(new RegExp(`^${id} \\(rotated at \\d{8}T\\d{6}Z\\)$`));
    expect(dsm.keyMaterial(oldKid)).toBeDefined();

    // Rotated again outside Pulumi: refresh follows the replacement link.
    const outside = dsm.rekeySobject(id);
    const read = await keys.read(id, updated.outs as Props);
    expect(read.props).toMatchObject({ name: id, kid: outside.kid, rotatedKids: [oldKid, current.kid] });
  });

  it("a key rotated twice and then removed without allowDestroy: every version keeps its material, the rotated-away ones still decrypt", async () => {
    const groupId = await newGroup();
    const { id, outs } = await newKey(groupId, { rotate: "r0" });
    let state = outs;
    for (const rotate of ["r1", "r2"]) {
      state = (await keys.update(id, state, (await keys.check({}, { name: id, groupId, rotate })).inputs as Props)).outs as Props;
    }
    const kids = [...(state.rotatedKids as string[]), state.kid as string];
    expect(kids).toHaveLength(3);
    expect(new Set(kids).size).toBe(3);
    const material = kids.map((kid) => dsm.keyMaterial(kid)!);
    dsm.clearRequests();
    await keys.delete(id, state);
    // One PATCH disabling the current version; no DELETE of any version.
    expect(calls()).toEqual([["PATCH", `/crypto/v1/keys/${String(state.kid)}`, { enabled: false }]]);
    kids.forEach((kid, i) => expect(dsm.keyMaterial(kid)!.equals(material[i]), kid).toBe(true));
    for (const kid of kids.slice(0, 2)) expect(dsm.sobject(kid)).toMatchObject({ enabled: true, key_ops: expect.arrayContaining(["DECRYPT"]) });
    expect(dsm.sobject(state.kid as string)).toMatchObject({ name: id, enabled: false });
  });

  it("a PATCH failing after a rotation records the rotation, so the next up does not rotate again", async () => {
    const groupId = await newGroup();
    const { id, outs } = await newKey(groupId, { rotate: "v1" });
    const oldKid = outs.kid as string;
    const news = (await keys.check({}, { name: id, groupId, rotate: "v2", description: "after rotation" })).inputs as Props;
    dsm.injectFault({ method: "PATCH", path: /^\/crypto\/v1\/keys\//, kind: "status", status: 500 });
    const err = (await failure(keys.update(id, outs, news))) as Error & { id?: string; properties?: Props; reasons?: string[] };
    const current = dsm.sobject(id)!;
    expect(current.kid).not.toBe(oldKid);
    expect(calls().map(([m, p]) => `${m} ${p}`)).toEqual(["POST /crypto/v1/keys/rekey", `PATCH /crypto/v1/keys/${current.kid}`]);
    expect(err.message).toBe(
      `DSM update security object ${current.kid} failed: HTTP 500 "service unavailable (injected fault, HTTP 500)" (PATCH /crypto/v1/keys/${current.kid})`,
    );
    expect(err.id).toBe(id);
    expect(err.properties).toMatchObject({ name: id, kid: current.kid, rotate: "v2", rotatedKids: [oldKid] });
    expect(err.properties!.description).toBeUndefined();

    // The next `pulumi up` diffs against the recorded state: it PATCHes, and does not rekey again.
    dsm.clearRequests();
    expect(await keys.diff(id, err.properties!, news)).toEqual({ changes: true, replaces: [] });
    const retried = await keys.update(id, err.properties!, news);
    expect(calls()).toEqual([["PATCH", `/crypto/v1/keys/${current.kid}`, { description: "after rotation" }]]);
    expect(retried.outs).toMatchObject({ kid: current.kid, rotatedKids: [oldKid], description: "after rotation" });
    expect(dsm.sobjects().filter((s) => s.links?.replaced === current.kid)).toEqual([]);
  });

  it("allowDestroy destroys the key and its rotated-away versions; the group can then be deleted", async () => {
    const groupId = await newGroup();
    const { id, outs } = await newKey(groupId, { allowDestroy: true, rotate: "a" });
    const rotated = await keys.update(id, outs, { ...(await keys.check({}, { name: id, groupId, allowDestroy: true, rotate: "b" })).inputs as Props });
    const o = rotated.outs as Props;
    dsm.clearRequests();
    await keys.delete(id, o);
    // Each DELETE is followed by reads until the key is gone (DSM still shows it for a moment).
    expect(collapsed(calls())).toEqual([
      ["DELETE", `/crypto/v1/keys/${String(o.kid)}`],
      ["POST", "/crypto/v1/keys/info", { kid: o.kid }],
      ["DELETE", `/crypto/v1/keys/${String(outs.kid)}`],
      ["POST", "/crypto/v1/keys/info", { kid: outs.kid }],
    ]);
    expect(dsm.requests.filter((r) => r.path === "/crypto/v1/keys/info").at(-1)?.status).toBe(404);
    expect(dsm.keyMaterial(o.kid as string)).toBeUndefined();
    expect(dsm.keyMaterial(outs.kid as string)).toBeUndefined();
    dsm.clearRequests();
    await groups.delete(groupId, { endpoint: dsm.url, name: dsm.group(groupId)!.name });
    expect(calls()).toEqual([
      ["GET", `/crypto/v1/keys?group_id=${groupId}&limit=1000&offset=0`],
      ["DELETE", `/sys/v1/groups/${groupId}`],
    ]);
    expect(dsm.group(groupId)).toBeUndefined();
  });
});

describe("resilience and credentials", () => {
  it("429 and 503 are retried, then the create succeeds without a duplicate", async () => {
    const groupId = await newGroup();
    const name = unique("retried-key");
    dsm.clearRequests();
    dsm.injectFault({ method: "POST", path: "/crypto/v1/keys", kind: "status", status: 429, retryAfterSeconds: 1 });
    dsm.injectFault({ method: "POST", path: "/crypto/v1/keys", kind: "status", status: 503 });
    const created = await keys.create((await keys.check({}, { name, groupId })).inputs as Props);
    // After the 503 (which DSM may have carried out) the client sends the create again, the same
    // create id with it; no look-up, the name being free.
    expect(calls().map(([m, p]) => `${m} ${p}`)).toEqual(["POST /crypto/v1/keys", "POST /crypto/v1/keys", "POST /crypto/v1/keys"]);
    expect(new Set([0, 1, 2].map((n) => sentCreateId("/crypto/v1/keys", n))).size).toBe(1);
    expect(dsm.requests.filter((r) => r.path === "/crypto/v1/keys").map((r) => r.status)).toEqual([429, 503, 201]);
    expect(dsm.sobjects().filter((s) => s.name === name)).toHaveLength(1);
    expect(created.id).toBe(name);
  });

  it("retries exhausted give a clear error", async () => {
    const provider = await configured(new DsmGroupProvider({ client: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 } }));
    dsm.injectFault({ method: "POST", path: "/sys/v1/groups", kind: "status", status: 503, times: 10 });
    const err = await failure(provider.create({ name: "never-created" }));
    expect(err.message).toBe(
      'DSM create group "never-created" failed: HTTP 503 "service unavailable (injected fault, HTTP 503)" (POST /sys/v1/groups); gave up after 3 attempts',
    );
    expect(calls().map(([m, p]) => `${m} ${p}`)).toEqual(["POST /sys/v1/groups", "POST /sys/v1/groups", "POST /sys/v1/groups"]);
    expect(dsm.group("never-created")).toBeUndefined();
  });

  it("a security object create whose response was lost creates no duplicate", async () => {
    const groupId = await newGroup();
    const name = unique("dropped-key");
    dsm.clearRequests();
    dsm.injectFault({ method: "POST", path: "/crypto/v1/keys", kind: "commit-then-drop" });
    const inputs = (await keys.check({}, { name, groupId })).inputs as Props;
    const created = await keys.create(inputs);
    const key = dsm.sobject(name)!;
    expect(dsm.sobjects().filter((s) => s.name === name)).toHaveLength(1);
    // The retry met the name taken; the key there carries this create's id: it is its own, taken as created.
    expect(key.custom_metadata).toEqual(createMetadata("/crypto/v1/keys"));
    expect(created).toEqual({
      id: name,
      outs: {
        ...inputs, endpoint: dsm.url, kid: key.kid, acctId: dsm.accountId, objType: "AES", state: "Active", kcv: key.kcv, rotatedKids: [], createdAt: key.created_at,
      },
    });
    // Both attempts are the same create: the same body, the same create id.
    const body = {
      name, group_id: groupId, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"], enabled: true,
      custom_metadata: createMetadata("/crypto/v1/keys"),
    };
    expect(dsm.requests.filter((r) => r.path !== "/sys/v1/session/auth").map((r) => [r.method, r.path, r.fault ?? r.status, r.body])).toEqual([
      ["POST", "/crypto/v1/keys", "commit-then-drop", body],
      ["POST", "/crypto/v1/keys", 409, body],
      ["POST", "/crypto/v1/keys/info", 200, { name }],
    ]);
  });

  it("a group create whose response was lost is recognised by its create id: no duplicate, no refusal", async () => {
    const name = unique("dropped-group");
    dsm.injectFault({ method: "POST", path: "/sys/v1/groups", kind: "commit-then-drop" });
    const created = await groups.create({ name, description: "lost answer" });
    const group = dsm.group(name)!;
    expect(dsm.groups().filter((g) => g.name === name)).toHaveLength(1);
    expect(group.custom_metadata).toEqual(createMetadata("/sys/v1/groups"));
    expect(created).toEqual({
      id: group.group_id,
      outs: { name, description: "lost answer", endpoint: dsm.url, adopt: false, groupId: group.group_id, acctId: dsm.accountId, createdAt: group.created_at },
    });
    const body = { name, description: "lost answer", custom_metadata: createMetadata("/sys/v1/groups") };
    expect(dsm.requests.filter((r) => r.path !== "/sys/v1/session/auth").map((r) => [r.method, r.path, r.fault ?? r.status, r.body])).toEqual([
      ["POST", "/sys/v1/groups", "commit-then-drop", body],
      ["POST", "/sys/v1/groups", 409, body],
      ["GET", "/sys/v1/groups", 200, undefined],
    ]);
  });

  it("a key of the name made by someone else is refused, even when the create's first attempt was lost on the way", async () => {
    const groupId = await newGroup();
    const name = unique("taken-key");
    // Made by this very credential, with this library's `managed-by`: only the create id tells it apart.
    const made = await newKey(groupId);
    dsm.modifySobject(made.id, { name });
    dsm.clearRequests();
    dsm.injectFault({ method: "POST", path: "/crypto/v1/keys", kind: "reset" });
    const err = await failure(keys.create((await keys.check({}, { name, groupId })).inputs as Props));
    expect(err.message).toBe(
      `DSM security object "${name}" already exists at ${dsm.url} (id ${made.outs.kid as string}) and this resource did not create it. ` +
        "To manage the existing security object with Pulumi, set `adopt: true` on the resource: its properties are then reconciled to the inputs. " +
        "Otherwise choose another name.",
    );
    expect(dsm.requests.filter((r) => r.path !== "/sys/v1/session/auth").map((r) => `${r.method} ${r.path} ${r.fault ?? r.status}`)).toEqual([
      "POST /crypto/v1/keys reset",
      "POST /crypto/v1/keys 409",
      "POST /crypto/v1/keys/info 200",
    ]);
    expect(dsm.sobjects().filter((s) => s.name === name)).toHaveLength(1);
  });

  it("a 409 for a name nothing holds (a deleted key DSM has not let go of) is answered by creating again; a 400 without a holder stands", async () => {
    const groupId = await newGroup();
    const name = unique("freed-key");
    dsm.clearRequests();
    dsm.injectFault({ method: "POST", path: "/crypto/v1/keys", kind: "status", status: 409 });
    const created = await keys.create((await keys.check({}, { name, groupId })).inputs as Props);
    expect(created.outs).toMatchObject({ kid: dsm.sobject(name)!.kid, name });
    expect(dsm.requests.filter((r) => r.path !== "/sys/v1/session/auth").map((r) => `${r.method} ${r.path} ${r.fault ?? r.status}`)).toEqual([
      "POST /crypto/v1/keys status",
      "POST /crypto/v1/keys/info 404",
      "POST /crypto/v1/keys 201",
    ]);

    dsm.clearRequests();
    dsm.injectFault({ method: "POST", path: "/sys/v1/groups", kind: "status", status: 400 });
    const err = await failure(groups.create({ name: unique("refused-group") }));
    expect(err.message).toMatch(/^DSM create group "refused-group-\d+" failed: HTTP 400 "service unavailable \(injected fault, HTTP 400\)" \(POST \/sys\/v1\/groups\)$/);
    expect(dsm.requests.filter((r) => r.path !== "/sys/v1/session/auth").map((r) => `${r.method} ${r.path} ${r.fault ?? r.status}`)).toEqual([
      "POST /sys/v1/groups status",
      "GET /sys/v1/groups 200",
    ]);
  });

  it("up of a group, an app and N keys on free names costs one DSM request each after the session: 2 + N", async () => {
    const g = await groups.create({ name: unique("free-group") });
    const a = await apps.create((await apps.check({}, { name: unique("free-client"), groupId: g.id, jwksUrl: JWKS_URL })).inputs as Props);
    for (let i = 0; i < 3; i += 1) await keys.create((await keys.check({}, { name: unique("free-key"), groupId: g.id })).inputs as Props);
    expect(dsm.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "POST /sys/v1/session/auth 200",
      "POST /sys/v1/groups 201",
      "POST /sys/v1/apps 201",
      "POST /crypto/v1/keys 201",
      "POST /crypto/v1/keys 201",
      "POST /crypto/v1/keys 201",
    ]);
    expect(dsm.app(a.id)!.default_group).toBe(g.id);
  });

  it("authenticates once per process for a whole group → app → key lifecycle", async () => {
    const g = await groups.create({ name: unique("one-session") });
    const a = await apps.create((await apps.check({}, { name: unique("one-session-client"), groupId: g.id, jwksUrl: JWKS_URL })).inputs as Props);
    const k = await keys.create((await keys.check({}, { name: unique("one-session-key"), groupId: g.id })).inputs as Props);
    await keys.read(k.id, k.outs as Props);
    await apps.read(a.id, a.outs as Props);
    await keys.delete(k.id, k.outs as Props);
    await apps.delete(a.id, a.outs as Props);
    expect(dsm.counters.sessionAuthentications).toBe(1);
    expect(dsm.counters.basicAuthCalls).toBe(0);
    expect(dsm.requests.filter((r) => r.path === "/sys/v1/session/auth")).toHaveLength(1);
    const state = JSON.stringify([g, a, k, await keys.read(k.id, k.outs as Props)]);
    expect(state).not.toContain(apiKey);
    expect(state).not.toContain(Buffer.from(apiKey, "base64").toString().split(":")[1]);
  });

  it("bad credentials give a clear error naming neither key nor secret", async () => {
    const bad = Buffer.from("00000000-1111-4222-8333-444444444444:wrong-secret-value").toString("base64");
    const provider = await configured(new DsmGroupProvider(FAST), bad);
    const err = await failure(provider.create({ name: "unauthorised" }));
    expect(err.message).toContain(`DSM authenticate with the API key (DSM_API_KEY / dsm:apiKey) at ${dsm.url} failed: HTTP 401`);
    expect(err.message).not.toContain(bad);
    expect(err.message).not.toContain("wrong-secret-value");
    expect(dsm.group("unauthorised")).toBeUndefined();
  });

  it("reads credentials from the environment when configure gave none", async () => {
    const saved = { endpoint: process.env.DSM_ENDPOINT, key: process.env.DSM_API_KEY };
    process.env.DSM_ENDPOINT = dsm.url;
    process.env.DSM_API_KEY = apiKey;
    try {
      const created = await new DsmGroupProvider(FAST).create({ name: unique("env-group") });
      expect(dsm.group(created.id)).toBeDefined();
    } finally {
      if (saved.endpoint === undefined) delete process.env.DSM_ENDPOINT;
      else process.env.DSM_ENDPOINT = saved.endpoint;
      if (saved.key === undefined) delete process.env.DSM_API_KEY;
      else process.env.DSM_API_KEY = saved.key;
    }
  });
});
