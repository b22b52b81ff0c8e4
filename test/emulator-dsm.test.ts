// The DSM emulator's sessions and accounts (Authenticate, SelectAccount, Terminate), the error-body
// forms, the request log with its answers, and the extra fields option. Every request these tests
// send and every answer they get is held to the OpenAPI document (afterEach).
import { beforeAll, describe, expect, it } from "vitest";
import { DSM_EMULATOR_UNCONFIRMED, type DsmEmulator } from "../components/emulators/dsm";
import { MANAGEMENT_ROUTES } from "../components/emulators/dsm-routes";
import { DSM_OPENAPI } from "./dsm-openapi";
import { aesKeyBody, basic, bearerFor, bearerOf, call, jwtCredential, useDsmEmulator, withEmulator } from "./emulator-dsm-helpers";

const ACCOUNT = "5f1c7a9e-2b3d-4e5f-8a9b-0c1d2e3f4a5b";

const t = useDsmEmulator({ accountId: ACCOUNT });
let dsm: DsmEmulator;
let url: string;
let adminKey: string;
let admin: string;
beforeAll(() => {
  ({ dsm, url, adminKey, admin } = t);
});

describe("DsmEmulator routes", () => {
  it("serves only operations of the document, each under its operationId and path template", () => {
    const mismatches = MANAGEMENT_ROUTES.filter((r) => DSM_OPENAPI.paths[r.template]?.[r.method.toLowerCase()]?.operationId !== r.operation);
    expect(mismatches.map((r) => `${r.method} ${r.template} ${r.operation}`)).toEqual([]);
    expect(MANAGEMENT_ROUTES.map((r) => r.operation)).toEqual([
      "Authenticate", "SelectAccount", "Terminate",
      "CreateGroup", "ListGroups", "GetGroup", "UpdateGroup", "DeleteGroup",
      "CreateApp", "ListApps", "GetApp", "UpdateApp", "DeleteApp", "GetAppCredential",
      "CreateSobject", "ListSobjects", "GetSobject", "RotateSobject", "UpdateSobject", "DeleteSobject", "RevokeSobject",
      "Encrypt", "Decrypt",
    ]);
  });
});

describe("DsmEmulator sessions", () => {
  it("starts on loopback with the configured account", () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dsm.accountId).toBe(ACCOUNT);
    expect(dsm.ekmVaultUrl).toBe(`${url}/oci/ekm/v1/vaults/${ACCOUNT}`);
  });

  it("opens a Bearer session from an API key (AuthResponse)", async () => {
    const before = dsm.counters.sessionAuthentications;
    const res = await call(url, "POST", "/sys/v1/session/auth", { auth: `Basic ${adminKey}` });
    expect(res.status).toBe(200);
    const body = res.json as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["access_token", "entity_id", "expires_in", "token_type"]);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 600, entity_id: dsm.app("automation")!.app_id });
    expect(body.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(dsm.counters.sessionAuthentications).toBe(before + 1);
    expect((await call(url, "GET", "/sys/v1/groups", { auth: bearerOf(res) })).status).toBe(200);
  });

  it("answers 401 to bad credentials and missing authorization", async () => {
    const appId = dsm.app("automation")!.app_id;
    const before = dsm.counters.failedAuthentications;
    const wrongSecret = await call(url, "POST", "/sys/v1/session/auth", { auth: basic(appId, "not-the-secret") });
    expect({ status: wrongSecret.status, json: wrongSecret.json }).toEqual({
      status: 401,
      json: { message: "invalid credentials: unknown app or user, or wrong secret or password" },
    });
    expect((await call(url, "POST", "/sys/v1/session/auth", { auth: basic("someone@example.com", "pw") })).status).toBe(401);
    const none = await call(url, "POST", "/sys/v1/session/auth");
    expect(none.json).toEqual({ message: "authentication required: send Authorization: Basic <api key> or Basic base64(email:password)" });
    expect(dsm.counters.failedAuthentications).toBe(before + 3);
    const noAuth = await call(url, "GET", "/sys/v1/groups");
    expect({ status: noAuth.status, json: noAuth.json }).toEqual({ status: 401, json: { message: "authentication required: Authorization: Bearer <session token> or Basic <api key>" } });
    const badBearer = await call(url, "GET", "/sys/v1/groups", { auth: "Bearer nope" });
    expect({ status: badBearer.status, json: badBearer.json }).toEqual({ status: 401, json: { message: "invalid bearer token: no such session" } });
  });

  it("a user session selects the account (SelectAccountRequest) before anything else", async () => {
    const userId = dsm.addUser("ops@example.com", "correct horse");
    const res = await call(url, "POST", "/sys/v1/session/auth", { auth: basic("ops@example.com", "correct horse") });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json as object).sort()).toEqual(["access_token", "entity_id", "expires_in", "token_type"]);
    expect((res.json as { entity_id: string }).entity_id).toBe(userId);
    const user = bearerOf(res);

    const early = await call(url, "GET", "/sys/v1/groups", { auth: user });
    expect(early.status).toBe(DSM_EMULATOR_UNCONFIRMED.accountNotSelectedStatus);
    expect(early.status).toBe(403);
    expect(early.json).toEqual({
      message: 'no account selected: POST /sys/v1/session/select_account {"acct_id":…} first (after it, the account can take seconds to become selected)',
    });

    const wrong = await call(url, "POST", "/sys/v1/session/select_account", { auth: user, body: { acct_id: "00000000-1111-2222-3333-444444444444" } });
    expect({ status: wrong.status, json: wrong.json }).toEqual({ status: 404, json: { message: "account does not exist" } });
    const missing = await call(url, "POST", "/sys/v1/session/select_account", { auth: user, body: {}, nonconformant: "SelectAccountRequest requires acct_id" });
    expect({ status: missing.status, json: missing.json }).toEqual({ status: 400, json: { message: "missing field `acct_id`" } });
    const notUuid = await call(url, "POST", "/sys/v1/session/select_account", { auth: user, body: { acct_id: "acct-1" }, nonconformant: "acct_id is format uuid" });
    expect({ status: notUuid.status, json: notUuid.json }).toEqual({ status: 400, json: { message: 'acct_id: invalid value: string "acct-1", expected a UUID' } });

    const before = dsm.counters.accountSelections;
    const ok = await call(url, "POST", "/sys/v1/session/select_account", { auth: user, body: { acct_id: ACCOUNT } });
    expect({ status: ok.status, json: ok.json }).toEqual({ status: 200, json: DSM_EMULATOR_UNCONFIRMED.selectAccountBody });
    expect(ok.json).toEqual({});
    expect(dsm.counters.accountSelections).toBe(before + 1);
    const created = await call(url, "POST", "/sys/v1/groups", { auth: user, body: { name: "made-by-user" } });
    expect(created.status).toBe(201);
    expect((created.json as { creator: unknown }).creator).toEqual({ user: userId });

    const userBasicElsewhere = await call(url, "GET", "/sys/v1/groups", { auth: basic("ops@example.com", "correct horse") });
    expect({ status: userBasicElsewhere.status, json: userBasicElsewhere.json }).toEqual({
      status: 401,
      json: { message: "user credentials are only accepted by /sys/v1/session/auth: open a session and select the account" },
    });
  });

  it("the selected account takes accountSelectionDelayMs to become selected; until then calls answer as with none", async () => {
    let clock = Date.UTC(2025, 0, 2, 3, 4, 5);
    expect(DSM_EMULATOR_UNCONFIRMED.accountSelectionDelayMs).toBe(0);
    await withEmulator({ accountSelectionDelayMs: 3000, now: () => clock }, async (d, base) => {
      d.addUser("slow@example.com", "pw");
      const user = bearerOf(await call(base, "POST", "/sys/v1/session/auth", { auth: basic("slow@example.com", "pw") }));
      expect((await call(base, "POST", "/sys/v1/session/select_account", { auth: user, body: { acct_id: d.accountId } })).status).toBe(200);
      const during = await call(base, "GET", "/sys/v1/groups", { auth: user });
      expect(during.status).toBe(403);
      expect((during.json as { message: string }).message).toMatch(/^no account selected: /);
      clock += 2999;
      expect((await call(base, "GET", "/sys/v1/groups", { auth: user })).status).toBe(403);
      clock += 1;
      const after = await call(base, "GET", "/sys/v1/groups", { auth: user });
      expect({ status: after.status, json: after.json }).toEqual({ status: 200, json: [] });
    });
  });

  it("a two-factor user gets the AuthResponse MFA fields and a session that can do nothing else", async () => {
    const userId = dsm.addUser("mfa@example.com", "pw", { twoFactor: true });
    const res = await call(url, "POST", "/sys/v1/session/auth", { auth: basic("mfa@example.com", "pw") });
    expect(res.status).toBe(200);
    const body = res.json as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["access_token", "allowed_mfa_methods", "entity_id", "expires_in", "fido2_assertion_options", "token_type"]);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 600, entity_id: userId });
    const options = body.fido2_assertion_options as Record<string, unknown>;
    expect(options).toEqual({
      challenge: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      timeout: 60000,
      allowCredentials: [{ type: "public-key", id: expect.stringMatching(/^[A-Za-z0-9]{44}$/) }],
      userVerification: "discouraged",
    });
    expect(body.allowed_mfa_methods).toEqual([
      { Fido2: { challenge: options, challenge_token: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/), mfa_devices: [{ name: "security key", type: "Fido2" }] } },
    ]);

    const session = bearerOf(res);
    const refusal = {
      status: DSM_EMULATOR_UNCONFIRMED.secondFactorPendingStatus,
      json: { message: "two-factor authentication required: this session can do nothing until the second factor is given at POST /sys/v1/session/auth/2fa/fido2" },
    };
    expect(refusal.status).toBe(403);
    for (const [method, path, requestBody] of [
      ["POST", "/sys/v1/session/select_account", { acct_id: ACCOUNT }],
      ["GET", "/sys/v1/groups", undefined],
      ["POST", "/crypto/v1/keys/info", { name: "anything" }],
      ["POST", "/sys/v1/session/terminate", undefined],
    ] as const) {
      const r = await call(url, method, path, { auth: session, body: requestBody });
      expect({ status: r.status, json: r.json }, `${method} ${path}`).toEqual(refusal);
    }
  });

  it("expires sessions: expireSessions() and a configurable TTL on an adjustable clock", async () => {
    await withEmulator({}, async (own, ownUrl) => {
      const token = await bearerFor(ownUrl, own.createApiKey({ role: "admin" }));
      expect(own.activeSessions).toBe(1);
      own.expireSessions();
      expect(own.activeSessions).toBe(0);
      const expired = await call(ownUrl, "GET", "/sys/v1/groups", { auth: token });
      expect({ status: expired.status, json: expired.json }).toEqual({ status: 401, json: { message: "session expired: authenticate again at /sys/v1/session/auth" } });
    });
    let clock = Date.UTC(2025, 0, 2, 3, 4, 5);
    await withEmulator({ sessionTtlSeconds: 30, now: () => clock }, async (short, shortUrl) => {
      const auth = await call(shortUrl, "POST", "/sys/v1/session/auth", { auth: `Basic ${short.createApiKey()}` });
      expect((auth.json as { expires_in: number }).expires_in).toBe(30);
      const t = bearerOf(auth);
      clock += 29_000;
      expect((await call(shortUrl, "GET", "/sys/v1/groups", { auth: t })).status).toBe(200);
      clock += 1_000;
      expect((await call(shortUrl, "GET", "/sys/v1/groups", { auth: t })).status).toBe(401);
      expect(short.seedGroup({ name: "clocked" }).created_at).toBe("20250102T030435Z");
    });
  });

  it("terminates a session with 204 and no body", async () => {
    const token = await bearerFor(url, dsm.createApiKey({ role: "admin" }));
    const res = await call(url, "POST", "/sys/v1/session/terminate", { auth: token });
    expect({ status: res.status, text: res.text }).toEqual({ status: 204, text: "" });
    expect((await call(url, "GET", "/sys/v1/groups", { auth: token })).status).toBe(401);
  });

  it("accepts the API key as Basic auth on every call, and counts it", async () => {
    const before = dsm.counters;
    expect((await call(url, "GET", "/sys/v1/groups", { auth: `Basic ${adminKey}` })).status).toBe(200);
    expect(dsm.counters.basicAuthCalls).toBe(before.basicAuthCalls + 1);
    expect(dsm.counters.sessionAuthentications).toBe(before.sessionAuthentications);
  });
});

describe("DsmEmulator request log", () => {
  it("records each request with its answer, the scheme but never a credential or token", async () => {
    await call(url, "POST", "/sys/v1/session/auth", { auth: `Basic ${adminKey}` });
    const list = await call(url, "GET", `/crypto/v1/keys?name=x&group_id=${ACCOUNT}`, { auth: admin });
    const created = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "recorded", description: "d" } });
    const refused = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "recorded" } });
    expect(dsm.requests.map((r) => [r.method, r.path, r.auth, r.status])).toEqual([
      ["POST", "/sys/v1/session/auth", "Basic", 200],
      ["GET", "/crypto/v1/keys", "Bearer", 200],
      ["POST", "/sys/v1/groups", "Bearer", 201],
      ["POST", "/sys/v1/groups", "Bearer", 409],
    ]);
    expect(dsm.requests[0].response).toEqual({ token_type: "Bearer", expires_in: 600, access_token: "<redacted>", entity_id: dsm.app("automation")!.app_id });
    expect(dsm.requests[1]).toMatchObject({ query: { name: "x", group_id: ACCOUNT }, response: [] });
    expect(list.json).toEqual([]);
    expect(dsm.requests[2]).toMatchObject({ body: { name: "recorded", description: "d" }, response: created.json });
    expect(dsm.requests[3].response).toEqual({ message: "group already exists" });
    expect(refused.json).toEqual({ message: "group already exists" });
    expect(dsm.requests.every((r) => r.api === "management")).toBe(true);
    const log = JSON.stringify(dsm.requests);
    expect(log).not.toContain(adminKey);
    expect(log).not.toContain(admin.slice("Bearer ".length));
    dsm.clearRequests();
    expect(dsm.requests).toEqual([]);
  });

  it("records an API-key app's credential answer with the secret redacted", async () => {
    const key = dsm.createApiKey({ role: "crypto", name: "secret-holder" });
    const [appId, secret] = Buffer.from(key, "base64").toString("utf8").split(":");
    const res = await call(url, "GET", `/sys/v1/apps/${appId}/credential`, { auth: admin });
    expect(res.json).toEqual({ app_id: appId, credential: { secret } });
    expect(dsm.requests.at(-1)?.response).toEqual({ app_id: appId, credential: { secret: "<redacted>" } });
  });
});

describe("DsmEmulator error bodies", () => {
  const missing = "/sys/v1/groups/3c9a4d5e-0000-4000-8000-000000000000";

  it("are JSON {message} by default", async () => {
    expect(DSM_EMULATOR_UNCONFIRMED.defaultErrorFormat).toBe("json");
    const res = await call(url, "GET", missing, { auth: admin });
    expect([res.status, res.headers.get("content-type"), res.text]).toEqual([404, "application/json", '{"message":"group does not exist"}']);
  });

  it("are plain text with errorFormat text", async () => {
    await withEmulator({ errorFormat: "text" }, async (d, base) => {
      const res = await call(base, "GET", missing, { auth: `Basic ${d.createApiKey()}` });
      expect([res.status, res.headers.get("content-type"), res.text]).toEqual([404, "text/plain; charset=utf-8", "group does not exist"]);
      expect(d.requests.at(-1)?.response).toBe("group does not exist");
    });
  });

  it("are a bare JSON string with errorFormat string", async () => {
    await withEmulator({ errorFormat: "string" }, async (d, base) => {
      const res = await call(base, "GET", missing, { auth: `Basic ${d.createApiKey()}` });
      expect([res.status, res.headers.get("content-type"), res.text, res.json]).toEqual([404, "application/json", '"group does not exist"', "group does not exist"]);
    });
  });

  it("an unknown path is a 404, a method the path does not serve a 405, both after the caller is authenticated", async () => {
    const anonymous = await call(url, "GET", "/ekm/v1/vaults/x/metadata", { auth: "Bearer not-a-session", nonconformant: "no such operation" });
    expect({ status: anonymous.status, json: anonymous.json }).toEqual({ status: 401, json: { message: "invalid bearer token: no such session" } });
    const authMethod = await call(url, "GET", "/sys/v1/session/auth", { nonconformant: "session/auth is POST only" });
    expect({ status: authMethod.status, json: authMethod.json }).toEqual({ status: 405, json: { message: "method GET not allowed on /sys/v1/session/auth" } });
    const unknown = await call(url, "GET", "/sys/v1/nothing", { auth: admin, nonconformant: "no such operation" });
    expect({ status: unknown.status, json: unknown.json }).toEqual({ status: 404, json: { message: "no such endpoint: GET /sys/v1/nothing" } });
    const method = await call(url, "PUT", "/sys/v1/groups", { auth: admin, body: { name: "x" }, nonconformant: "no PUT on /sys/v1/groups" });
    expect({ status: method.status, json: method.json }).toEqual({ status: 405, json: { message: "method PUT not allowed on /sys/v1/groups" } });
  });
});

describe("DsmEmulator extraResponseFields", () => {
  const [field, text] = DSM_EMULATOR_UNCONFIRMED.extraResponseField;

  it("adds an unknown field to every object of every answer, data maps excepted, and the answers still validate", async () => {
    await withEmulator({ extraResponseFields: true }, async (d, base) => {
      const auth = await call(base, "POST", "/sys/v1/session/auth", { auth: `Basic ${d.createApiKey({ name: "admin" })}` });
      expect((auth.json as Record<string, unknown>)[field]).toBe(text);
      const token = bearerOf(auth);
      const group = (await call(base, "POST", "/sys/v1/groups", { auth: token, body: { name: "g" } })).json as Record<string, unknown>;
      expect(group).toMatchObject({ [field]: text, creator: { [field]: text }, client_configurations: { [field]: text } });
      const groupId = group.group_id as string;
      const app = await call(base, "POST", "/sys/v1/apps?group_permissions=true", {
        auth: token,
        body: { name: "jwt", add_groups: { [groupId]: ["ENCRYPT"] }, credential: jwtCredential() },
      });
      expect((app.json as { groups: unknown }).groups).toEqual({ [groupId]: ["ENCRYPT"] });
      const credential = (await call(base, "GET", `/sys/v1/apps/${(app.json as { app_id: string }).app_id}/credential`, { auth: token })).json;
      expect(credential).toMatchObject({ [field]: text, credential: { [field]: text, signedjwt: { [field]: text, signing_keys: { [field]: text } } } });
      const key = (await call(base, "POST", "/crypto/v1/keys", { auth: token, body: aesKeyBody("k", groupId) })).json as Record<string, unknown>;
      expect(key.custom_metadata).toEqual({ "managed-by": "oci-ekm" });
      const list = (await call(base, "GET", "/crypto/v1/keys?with_metadata=true", { auth: token })).json as Record<string, unknown>;
      expect(list).toMatchObject({ [field]: text, metadata: { [field]: text, total_count: 1, filtered_count: 1 } });
      expect((list.items as Record<string, unknown>[])[0][field]).toBe(text);
      const error = await call(base, "GET", "/sys/v1/groups/3c9a4d5e-0000-4000-8000-000000000000", { auth: token });
      expect(error.json).toEqual({ message: "group does not exist" });
    });
  });

  it("is off by default", async () => {
    const res = await call(url, "GET", "/sys/v1/groups", { auth: admin });
    expect(JSON.stringify(res.json)).not.toContain(field);
  });
});
