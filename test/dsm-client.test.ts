// The DSM client against the DSM emulator over loopback HTTP(S): sessions, retries, timeouts, TLS,
// errors; and its pure helpers.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dsmCreateGroup, dsmCreateSobject, dsmFindGroupByName, dsmFindSobjectByName, dsmGetGroup, dsmGetSobject, dsmListGroups } from "../components/dsm";
import {
  type DsmApiError,
  DsmClient,
  dsmCredentialsFromEnv,
  dsmMessageOf,
  isDsmNotFound,
  resetDsmSessions,
  dsmRetryAfterMs,
} from "../components/dsm/client";
import { DsmEmulator } from "../components/emulators/dsm";
import { createTestCertificateAuthority, issueServerCertificate } from "../components/emulators/tls";

const FAST = { baseDelayMs: 5, maxDelayMs: 20 };

function caught(p: Promise<unknown>): Promise<DsmApiError> {
  return p.then(
    () => {
      throw new Error("expected a failure");
    },
    (err: unknown) => err as DsmApiError,
  );
}

describe("dsmCredentialsFromEnv", () => {
  it("reads the Terraform provider's variables: API key", () => {
    expect(dsmCredentialsFromEnv({ DSM_ENDPOINT: "https://amer.smartkey.io/", DSM_API_KEY: "a2V5OnNlY3JldA==" })).toEqual({
      endpoint: "https://amer.smartkey.io",
      apiKey: "a2V5OnNlY3JldA==",
    });
  });

  it("reads a user login with account and CA bundle", () => {
    expect(
      dsmCredentialsFromEnv({
        DSM_ENDPOINT: "https://dsm.example.internal",
        DSM_USERNAME: "ops@example.com",
        DSM_PASSWORD: "pw",
        DSM_ACCT_ID: "a1b2c3d4-0000-4000-8000-000000000001",
        DSM_CA_BUNDLE: "/etc/ssl/dsm-ca.pem",
      }),
    ).toEqual({
      endpoint: "https://dsm.example.internal",
      username: "ops@example.com",
      password: "pw",
      acctId: "a1b2c3d4-0000-4000-8000-000000000001",
      caBundle: "/etc/ssl/dsm-ca.pem",
    });
  });

  it("names what is missing, never a value", () => {
    expect(() => dsmCredentialsFromEnv({ DSM_API_KEY: "k" })).toThrow(
      "DSM endpoint not set: give the resource an `endpoint`, or set the stack config `dsm:endpoint` or the environment variable DSM_ENDPOINT (e.g. https://amer.smartkey.io)",
    );
    expect(() => dsmCredentialsFromEnv({ DSM_ENDPOINT: "https://amer.smartkey.io" })).toThrow(/set DSM_API_KEY \(stack config dsm:apiKey, secret\)/);
    expect(() => dsmCredentialsFromEnv({ DSM_ENDPOINT: "https://amer.smartkey.io", DSM_USERNAME: "u", DSM_PASSWORD: "hunter2-secret" })).toThrow(
      "DSM user login incomplete: missing DSM_ACCT_ID (dsm:acctId)",
    );
  });

  it("refuses plain http except on loopback", () => {
    expect(() => dsmCredentialsFromEnv({ DSM_ENDPOINT: "http://amer.smartkey.io", DSM_API_KEY: "k" })).toThrow(
      'DSM endpoint "http://amer.smartkey.io" must be an https:// URL (http:// is accepted for loopback emulators only)',
    );
    expect(dsmCredentialsFromEnv({ DSM_ENDPOINT: "http://127.0.0.1:4000", DSM_API_KEY: "k" }).endpoint).toBe("http://127.0.0.1:4000");
  });
});

describe("pure helpers", () => {
  it("dsmMessageOf reads JSON {message} and plain text", () => {
    expect(dsmMessageOf('{"message":"sobject does not exist"}')).toBe("sobject does not exist");
    expect(dsmMessageOf("group is not empty\n")).toBe("group is not empty");
    expect(dsmMessageOf('"quoted"')).toBe("quoted");
    expect(dsmMessageOf("")).toBe("");
  });

  it("dsmRetryAfterMs reads seconds and HTTP dates", () => {
    expect(dsmRetryAfterMs("2")).toBe(2000);
    expect(dsmRetryAfterMs("Wed, 21 Oct 2015 07:28:05 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(5000);
    expect(dsmRetryAfterMs(undefined)).toBeUndefined();
    expect(dsmRetryAfterMs("soon")).toBeUndefined();
  });
});

describe("DsmClient against the emulator", () => {
  const dsm = new DsmEmulator();
  let apiKey = "";
  let client: DsmClient;

  beforeAll(async () => {
    await dsm.start();
    apiKey = dsm.createApiKey({ role: "admin" });
  });
  afterAll(() => dsm.stop());
  beforeEach(() => {
    resetDsmSessions();
    dsm.clearRequests();
    dsm.clearFaults();
    dsm.resetCounters();
    client = new DsmClient({ endpoint: dsm.url, apiKey }, FAST);
  });

  it("authenticates once per process for many operations, then uses the bearer session", async () => {
    const group = await dsmCreateGroup(client, { name: "session-group" });
    await dsmGetGroup(client, group.group_id);
    await dsmListGroups(client);
    await dsmFindGroupByName(new DsmClient({ endpoint: `${dsm.url}/`, apiKey }, FAST), "session-group");
    await dsmFindSobjectByName(client, "absent");
    expect(dsm.counters.sessionAuthentications).toBe(1);
    expect(dsm.counters.basicAuthCalls).toBe(0);
    expect(dsm.requests.map((r) => `${r.method} ${r.path} ${r.auth}`)).toEqual([
      "POST /sys/v1/session/auth Basic",
      "POST /sys/v1/groups Bearer",
      `GET /sys/v1/groups/${group.group_id} Bearer`,
      "GET /sys/v1/groups Bearer",
      "GET /sys/v1/groups Bearer",
      "POST /crypto/v1/keys/info Bearer",
    ]);
  });

  it("renews the session once on 401", async () => {
    await dsmListGroups(client);
    dsm.expireSessions();
    await dsmListGroups(client);
    expect(dsm.counters.sessionAuthentications).toBe(2);
    expect(dsm.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "POST /sys/v1/session/auth 200",
      "GET /sys/v1/groups 200",
      "GET /sys/v1/groups 401",
      "POST /sys/v1/session/auth 200",
      "GET /sys/v1/groups 200",
    ]);
  });

  it("logs a user in and selects the account", async () => {
    dsm.addUser("ops@example.com", "correct horse battery");
    const user = new DsmClient({ endpoint: dsm.url, username: "ops@example.com", password: "correct horse battery", acctId: dsm.accountId }, FAST);
    await dsmListGroups(user);
    expect(dsm.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ["POST", "/sys/v1/session/auth", undefined],
      ["POST", "/sys/v1/session/select_account", { acct_id: dsm.accountId }],
      ["GET", "/sys/v1/groups", undefined],
    ]);
    expect(dsm.counters.accountSelections).toBe(1);
  });

  it("bad credentials give a clear error without the credential", async () => {
    const wrong = Buffer.from(`${Buffer.from(apiKey, "base64").toString().split(":")[0]}:not-the-secret-at-all`).toString("base64");
    const err = await caught(dsmListGroups(new DsmClient({ endpoint: dsm.url, apiKey: wrong }, FAST)));
    expect(err.message).toBe(
      `DSM authenticate with the API key (DSM_API_KEY / dsm:apiKey) at ${dsm.url} failed: HTTP 401 ` +
        '"invalid credentials: unknown app or user, or wrong secret or password" (POST /sys/v1/session/auth). ' +
        "Check the DSM credentials: DSM_API_KEY (or stack config dsm:apiKey) must be the API key of an enabled administrative app, " +
        "or DSM_USERNAME / DSM_PASSWORD / DSM_ACCT_ID a valid user login",
    );
    expect(err.message).not.toContain(wrong);
    expect(err.message).not.toContain("not-the-secret-at-all");
    expect(dsm.requests.length).toBe(1);
  });

  it("retries 429 honouring Retry-After, then succeeds", async () => {
    dsm.injectFault({ method: "GET", path: "/sys/v1/groups", kind: "status", status: 429, retryAfterSeconds: 1, times: 2 });
    await dsmListGroups(client);
    expect(dsm.requests.filter((r) => r.path === "/sys/v1/groups").map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it("retries 502, 503 and 504, then succeeds", async () => {
    for (const status of [502, 503, 504]) dsm.injectFault({ method: "GET", path: "/sys/v1/groups", kind: "status", status });
    await dsmListGroups(client);
    expect(dsm.requests.filter((r) => r.path === "/sys/v1/groups").map((r) => r.status)).toEqual([502, 503, 504, 200]);
  });

  it("retries a reset connection on a read", async () => {
    dsm.injectFault({ method: "GET", path: "/sys/v1/groups", kind: "reset", times: 2 });
    expect(Array.isArray(await dsmListGroups(client))).toBe(true);
    expect(dsm.requests.filter((r) => r.path === "/sys/v1/groups").map((r) => r.fault ?? r.status)).toEqual(["reset", "reset", 200]);
  });

  it("times out a slow answer and retries it", async () => {
    dsm.injectFault({ method: "GET", path: "/sys/v1/groups", kind: "latency", ms: 1500 });
    const slowClient = new DsmClient({ endpoint: dsm.url, apiKey }, { ...FAST, timeoutMs: 300 });
    expect(Array.isArray(await dsmListGroups(slowClient))).toBe(true);
    expect(dsm.requests.filter((r) => r.path === "/sys/v1/groups").length).toBe(2);
  });

  it("gives up after the bounded number of attempts with a clear error", async () => {
    dsm.injectFault({ method: "GET", path: "/sys/v1/groups", kind: "status", status: 503, times: 100 });
    const err = await caught(dsmListGroups(new DsmClient({ endpoint: dsm.url, apiKey }, { ...FAST, maxAttempts: 4 })));
    expect(err.message).toBe(
      'DSM list groups in the account failed: HTTP 503 "service unavailable (injected fault, HTTP 503)" (GET /sys/v1/groups); gave up after 4 attempts',
    );
    expect(err.status).toBe(503);
    expect(err.attempts).toBe(4);
    expect(dsm.requests.filter((r) => r.path === "/sys/v1/groups").length).toBe(4);
  });

  it("gives up when a Retry-After would exceed the time budget", async () => {
    dsm.injectFault({ method: "GET", path: "/sys/v1/groups", kind: "status", status: 429, retryAfterSeconds: 120 });
    const err = await caught(dsmListGroups(client));
    expect(err.message).toBe(
      'DSM list groups in the account failed: HTTP 429 "too many requests (injected fault)" (GET /sys/v1/groups); ' +
        "gave up after 1 attempt: the next retry would exceed the 60 s retry budget",
    );
    expect(dsm.requests.filter((r) => r.path === "/sys/v1/groups").length).toBe(1);
  });

  it("does not retry other 4xx, and names operation, object, status and DSM's message", async () => {
    const err = await caught(dsmGetSobject(client, "6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c"));
    expect(err.message).toBe(
      'DSM read security object 6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c failed: HTTP 404 "sobject does not exist" (POST /crypto/v1/keys/info)',
    );
    expect(isDsmNotFound(err)).toBe(true);
    const dup = await caught(dsmCreateGroup(client, { name: "dup" }).then(() => dsmCreateGroup(client, { name: "dup" })));
    expect(dup.message).toBe('DSM create group "dup" failed: HTTP 409 "group already exists" (POST /sys/v1/groups)');
    expect(dsm.requests.filter((r) => r.path === "/crypto/v1/keys/info").map((r) => [r.body, r.status])).toEqual([[{ kid: "6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c" }, 404]]);
    expect(dsm.requests.filter((r) => r.method === "POST" && r.path === "/sys/v1/groups").length).toBe(2);
  });

  it("creates a key again under the name of one deleted a moment ago outside this client, once DSM lets the name go", async () => {
    const group = await dsmCreateGroup(client, { name: "recreate-group" });
    const body = { name: "recreated-key", group_id: group.group_id, obj_type: "AES" as const, key_size: 256, key_ops: ["ENCRYPT" as const, "DECRYPT" as const] };
    const first = await dsmCreateSobject(client, body);
    // As the console deletes it: one DELETE, no waiting for the name to be free.
    await client.request({ method: "DELETE", path: `/crypto/v1/keys/${first.kid}`, operation: "destroy security object", object: first.kid });
    dsm.clearRequests();
    const again = await dsmCreateSobject(client, body);
    expect(again.kid).not.toBe(first.kid);
    expect(dsm.sobjects().filter((s) => s.name === "recreated-key").map((s) => s.kid)).toEqual([again.kid]);
    const creates = dsm.requests.filter((r) => r.method === "POST" && r.path === "/crypto/v1/keys").map((r) => r.status);
    expect(creates[0]).toBe(409);
    expect(creates[creates.length - 1]).toBe(201);
  });

  it("recovers a create whose response was lost, without a duplicate", async () => {
    const group = await dsmCreateGroup(client, { name: "lost-response-group" });
    dsm.clearRequests();
    dsm.injectFault({ method: "POST", path: "/crypto/v1/keys", kind: "commit-then-drop" });
    const key = await dsmCreateSobject(client, { name: "lost-key", group_id: group.group_id, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT"] });
    expect(key.name).toBe("lost-key");
    expect(dsm.sobjects().filter((s) => s.name === "lost-key")).toHaveLength(1);
    expect(dsm.requests.map((r) => `${r.method} ${r.path} ${r.fault ?? r.status}`)).toEqual([
      "POST /crypto/v1/keys commit-then-drop",
      "POST /crypto/v1/keys/info 200",
    ]);
  });
});

describe("DsmClient errors in plain text", () => {
  const dsm = new DsmEmulator({ errorFormat: "text" });
  beforeAll(() => dsm.start().then(() => undefined));
  afterAll(() => dsm.stop());

  it("reads DSM's plain-text message", async () => {
    resetDsmSessions();
    const client = new DsmClient({ endpoint: dsm.url, apiKey: dsm.createApiKey() }, FAST);
    const err = await caught(dsmGetGroup(client, "6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c"));
    expect(err.message).toBe(
      'DSM read group 6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c failed: HTTP 404 "group does not exist" (GET /sys/v1/groups/6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c)',
    );
  });
});

describe("DsmClient over TLS", () => {
  const ca = createTestCertificateAuthority("Test DSM CA");
  const server = issueServerCertificate(ca, { commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"] });
  const dsm = new DsmEmulator({ tls: { cert: server.certPem, key: server.keyPem } });
  beforeAll(() => dsm.start().then(() => undefined));
  afterAll(() => dsm.stop());
  beforeEach(() => resetDsmSessions());

  it("verifies the certificate: an unknown CA fails at once with a hint about DSM_CA_BUNDLE", async () => {
    dsm.clearRequests();
    const err = await caught(dsmListGroups(new DsmClient({ endpoint: dsm.url, apiKey: dsm.createApiKey() }, FAST)));
    expect(err.kind).toBe("tls");
    expect(err.message).toContain(`TLS verification of ${dsm.url} failed`);
    expect(err.message).toContain("set DSM_CA_BUNDLE (or stack config dsm:caBundle) to the CA certificate (PEM)");
    expect(dsm.requests.length).toBe(0);
  });

  it("trusts a CA bundle given as PEM", async () => {
    const client = new DsmClient({ endpoint: dsm.url, apiKey: dsm.createApiKey(), caBundle: ca.certPem }, FAST);
    expect(await dsmFindGroupByName(client, "none")).toBeUndefined();
  });
});

// A misbehaving server (a broken proxy, a login page) that no faithful DSM emulator would imitate:
// what the client says about answers it cannot use, without leaking a token or a credential.
describe("DsmClient with answers it cannot use", () => {
  const TOKEN = "session-token-that-must-not-leak-0123456789";
  let server: Server;
  let url = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/sys/v1/session/auth" && req.headers.authorization === `Basic ${Buffer.from("ops@example.com:pw-truncated").toString("base64")}`) {
        res.writeHead(200, { "content-type": "application/json" }).end(`{"token_type":"Bearer","expires_in":600,"access_token":"${TOKEN}`);
      } else if (req.url === "/sys/v1/session/auth" && req.headers.authorization?.startsWith("Basic b3BzQGV4YW1wbGUuY29t")) {
        res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ message: `rejected ${req.headers.authorization}` }));
      } else if (req.url === "/sys/v1/session/auth") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token_type: "Bearer", expires_in: 600, access_token: TOKEN }));
      } else {
        res.writeHead(200, { "content-type": "text/html" }).end(`<html>login page for ${req.headers.authorization}</html>`);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => resetDsmSessions());

  const user = (password: string) =>
    new DsmClient({ endpoint: url, username: "ops@example.com", password, acctId: "a1b2c3d4-0000-4000-8000-000000000001" }, FAST);

  it("a truncated session answer fails without showing the token", async () => {
    const err = await caught(dsmListGroups(user("pw-truncated")));
    expect(err.message).toBe(
      `DSM authenticate as the user (DSM_USERNAME / dsm:username) at ${url} failed: the answer is not JSON (body not shown: it may hold a session token) (POST /sys/v1/session/auth)`,
    );
    expect(err.message).not.toContain(TOKEN.slice(0, 12));
  });

  it("a 2xx answer that is not JSON names the call and redacts the token", async () => {
    const err = await caught(dsmListGroups(new DsmClient({ endpoint: url, apiKey: "YXBwOnNlY3JldC12YWx1ZQ==" }, FAST)));
    expect(err.message).toBe("DSM list groups in the account failed: the answer is not JSON: <html>login page for Bearer [redacted]</html> (GET /sys/v1/groups)");
  });

  it("redacts a user login echoed in Basic form", async () => {
    const err = await caught(dsmListGroups(user("wrong-password-value")));
    expect(err.status).toBe(401);
    expect(err.message).toContain('HTTP 401 "rejected Basic [redacted]"');
    expect(err.message).not.toContain(Buffer.from("ops@example.com:wrong-password-value").toString("base64"));
  });
});
