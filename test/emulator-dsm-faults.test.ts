// Fault injection, for the client's retry tests: no part of DSM's API, but every request these tests
// send and every answer they get is still held to the OpenAPI document (afterEach).
import { beforeAll, describe, expect, it } from "vitest";
import type { DsmEmulator } from "../components/emulators/dsm";
import { aesKeyBody, call, useDsmEmulator } from "./emulator-dsm-helpers";

const t = useDsmEmulator();
let dsm: DsmEmulator;
let url: string;
let admin: string;
let groupId: string;
beforeAll(() => {
  ({ dsm, url, admin } = t);
  groupId = dsm.seedGroup({ name: "g-faults" }).group_id;
});

describe("DsmEmulator fault injection", () => {
  it("answers 429 with Retry-After `times` times, then lets the request through", async () => {
    dsm.injectFault({ method: "POST", path: "/sys/v1/groups", kind: "status", status: 429, retryAfterSeconds: 2, times: 2 });
    for (let i = 0; i < 2; i += 1) {
      const res = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "g-after-429" } });
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(res.json).toEqual({ message: "too many requests (injected fault)" });
    }
    expect(dsm.group("g-after-429")).toBeUndefined();
    const ok = await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "g-after-429" } });
    expect(ok.status).toBe(201);
    expect(dsm.requests.map((r) => [r.status, r.fault, r.response])).toEqual([
      [429, "status", { message: "too many requests (injected fault)" }],
      [429, "status", { message: "too many requests (injected fault)" }],
      [201, undefined, ok.json],
    ]);
    expect(dsm.pendingFaults()).toEqual([]);
  });

  it("answers 503 by default for a status fault, without Retry-After unless asked", async () => {
    dsm.injectFault({ path: /^\/crypto\/v1\/keys/, kind: "status", times: 1 });
    const res = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-503", groupId) });
    expect({ status: res.status, json: res.json }).toEqual({ status: 503, json: { message: "service unavailable (injected fault, HTTP 503)" } });
    expect(res.headers.get("retry-after")).toBeNull();
    expect(dsm.sobject("k-503")).toBeUndefined();
    expect((await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-503", groupId) })).status).toBe(201);
  });

  it("only hits requests matching method and path", async () => {
    dsm.injectFault({ method: "DELETE", path: /^\/sys\/v1\/groups\//, kind: "status", status: 503, times: 1 });
    expect((await call(url, "GET", `/sys/v1/groups/${groupId}`, { auth: admin })).status).toBe(200);
    expect((await call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "g-match" } })).status).toBe(201);
    expect(dsm.pendingFaults()).toMatchObject([{ method: "DELETE", kind: "status", remaining: 1 }]);
  });

  it("reset destroys the connection without performing the operation", async () => {
    dsm.injectFault({ method: "POST", path: "/sys/v1/groups", kind: "reset", times: 1 });
    await expect(call(url, "POST", "/sys/v1/groups", { auth: admin, body: { name: "g-reset" } })).rejects.toThrow();
    expect(dsm.group("g-reset")).toBeUndefined();
    expect(dsm.requests.map((r) => [r.path, r.fault, r.status])).toEqual([["/sys/v1/groups", "reset", undefined]]);
  });

  it("commit-then-drop performs the operation, then drops the connection", async () => {
    dsm.injectFault({ method: "POST", path: "/crypto/v1/keys", kind: "commit-then-drop", times: 1 });
    await expect(call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-lost-response", groupId) })).rejects.toThrow();
    expect(dsm.sobject("k-lost-response")).toMatchObject({ name: "k-lost-response", state: "Active" });
    const retry = await call(url, "POST", "/crypto/v1/keys", { auth: admin, body: aesKeyBody("k-lost-response", groupId) });
    expect(retry.status).toBe(409);
    expect(retry.json).toEqual({ message: "sobject already exists" });
    expect(dsm.requests.map((r) => [r.fault, r.status, r.response])).toEqual([
      ["commit-then-drop", undefined, undefined],
      [undefined, 409, { message: "sobject already exists" }],
    ]);
  });

  it("latency delays the answer and then serves it normally", async () => {
    dsm.injectFault({ path: "/sys/v1/groups", kind: "latency", ms: 50, times: 1 });
    const res = await call(url, "GET", "/sys/v1/groups", { auth: admin });
    expect(res.status).toBe(200);
    expect(dsm.requests).toMatchObject([{ path: "/sys/v1/groups", fault: "latency", status: 200 }]);
  });

  it("faults also apply to session authentication", async () => {
    const key = dsm.createApiKey({ role: "admin" });
    dsm.injectFault({ path: "/sys/v1/session/auth", kind: "status", status: 503, times: 1 });
    const before = dsm.counters.sessionAuthentications;
    expect((await call(url, "POST", "/sys/v1/session/auth", { auth: `Basic ${key}` })).status).toBe(503);
    expect(dsm.counters.sessionAuthentications).toBe(before);
    expect((await call(url, "POST", "/sys/v1/session/auth", { auth: `Basic ${key}` })).status).toBe(200);
  });

  it("answers an EKM request with Oracle's error body", async () => {
    dsm.injectFault({ path: /^\/oci\/ekm\//, kind: "status", status: 429, retryAfterSeconds: 1 });
    const res = await call(url, "GET", `/oci/ekm/v1/vaults/${dsm.accountId}/metadata`);
    expect({ status: res.status, retryAfter: res.headers.get("retry-after"), json: res.json }).toEqual({
      status: 429,
      retryAfter: "1",
      json: { code: "429", message: "too many requests (injected fault)" },
    });
    expect(dsm.requests).toMatchObject([{ api: "ekm", fault: "status", status: 429, response: { code: "429", message: "too many requests (injected fault)" } }]);
  });

  it("rejects nonsensical faults", () => {
    expect(() => dsm.injectFault({ kind: "status", status: 200, times: 1 })).toThrow("injectFault: status must be an HTTP error status (400-599), got 200");
    expect(() => dsm.injectFault({ kind: "reset", times: 0 })).toThrow("injectFault: times must be a positive integer or Infinity, got 0");
    expect(() => dsm.injectFault({ kind: "reset", times: 1.5 })).toThrow("injectFault: times must be a positive integer or Infinity, got 1.5");
  });

  it("times: Infinity hits every matching request and is never used up (a lasting condition)", async () => {
    dsm.injectFault({ path: "/sys/v1/groups", kind: "latency", ms: 1, times: Infinity });
    for (let i = 0; i < 3; i += 1) expect((await call(url, "GET", "/sys/v1/groups", { auth: admin })).status).toBe(200);
    expect(dsm.requests.map((r) => r.fault)).toEqual(["latency", "latency", "latency"]);
    expect(dsm.pendingFaults()).toMatchObject([{ path: "/sys/v1/groups", kind: "latency", remaining: Infinity }]);
  });
});
