// Plain HTTP helpers for the DSM emulator tests: the tests talk to the emulator over real loopback
// HTTP. Every management call they make is logged with what came back, so that each test file can
// hold both sides to Fortanix's OpenAPI document: the requests the tests send (hand-written bodies)
// and the answers the emulator gives (see documentProblems).
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { DsmEmulator, type DsmEmulatorOptions } from "../components/emulators/dsm";
import { dsmRequestProblems, dsmResponseProblems } from "./dsm-openapi";

export interface CallResult {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  json: unknown;
  text: string;
}

export interface CallOptions {
  /** Full Authorization header value. */
  auth?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Why this request deliberately breaks the document (a missing required field, an unknown enum
   * value, an operation the document does not have). Such a request must not conform, and must not
   * be answered 2xx: the emulator refuses what the document refuses.
   */
  nonconformant?: string;
}

interface SentCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  nonconformant?: string;
  status: number;
  response: unknown;
}

const sent: SentCall[] = [];

export async function call(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.auth) headers.authorization = options.auth;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const raw = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const res = await fetch(baseUrl + path, { method, headers, body: raw });
  const text = await res.text();
  let json: unknown;
  if (text !== "" && (res.headers.get("content-type") ?? "").includes("application/json")) json = JSON.parse(text);
  const url = new URL(path, "http://emulator.invalid");
  if (!url.pathname.startsWith("/oci/ekm/")) {
    let body: unknown = raw;
    try {
      body = raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      // not JSON: logged as the text it is
    }
    sent.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      status: res.status,
      response: json ?? (text === "" ? undefined : text),
      ...(options.nonconformant !== undefined ? { nonconformant: options.nonconformant } : {}),
    });
  }
  return { status: res.status, headers: res.headers, json, text };
}

/**
 * What in the management calls since the last check breaks the document: a request that does not
 * validate against its operation (unless marked nonconformant, which then must not validate and must
 * not succeed), and a 2xx answer that does not validate against the operation's response schema.
 * Empties the log.
 */
export function documentProblems(): string[] {
  const problems: string[] = [];
  for (const c of sent.splice(0)) {
    const where = `${c.method} ${c.path}${Object.keys(c.query).length ? `?${new URLSearchParams(c.query)}` : ""}`;
    const request = dsmRequestProblems(c.method, c.path, c.body, c.query);
    const ok = c.status >= 200 && c.status < 300;
    if (c.nonconformant === undefined) problems.push(...request.map((p) => `${where}: ${p}`));
    else if (request.length === 0) problems.push(`${where} is marked nonconformant (${c.nonconformant}) but validates against the document`);
    else if (ok) problems.push(`${where} breaks the document (${c.nonconformant}) but was answered ${c.status}`);
    if (ok) problems.push(...dsmResponseProblems(c.method, c.path, c.status, c.response).map((p) => `${where}: ${p}`));
  }
  return problems;
}

/** The 2xx answers an emulator recorded (`requests[i].response`) that do not validate against the document. */
export function recordedAnswerProblems(dsm: DsmEmulator): string[] {
  return dsm.requests
    .filter((r) => r.api === "management" && r.status !== undefined && r.status >= 200 && r.status < 300)
    .flatMap((r) => dsmResponseProblems(r.method, r.path, r.status!, r.response).map((p) => `recorded ${r.method} ${r.path}: ${p}`));
}

/** DSM timestamps (`20170509T070912Z`) and ids, as the document's patterns give them. */
export const DSM_TIMESTAMP = /^\d{8}T\d{6}Z$/;
export const DSM_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `POST /sys/v1/groups {name}` as `auth`; the new group's id. */
export async function createGroupVia(baseUrl: string, auth: string, name: string): Promise<string> {
  const res = await call(baseUrl, "POST", "/sys/v1/groups", { auth, body: { name } });
  expect(res.status).toBe(201);
  return (res.json as { group_id: string }).group_id;
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** Opens a session with an API key and returns the Authorization header for later calls. */
export async function bearerFor(baseUrl: string, apiKey: string): Promise<string> {
  const res = await call(baseUrl, "POST", "/sys/v1/session/auth", { auth: `Basic ${apiKey}` });
  if (res.status !== 200) throw new Error(`session/auth answered ${res.status}: ${res.text}`);
  return `Bearer ${(res.json as { access_token: string }).access_token}`;
}

/** The create body this project sends for an AES-256 key (CreateSobject's SobjectRequest). */
export function aesKeyBody(name: string, groupId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    group_id: groupId,
    obj_type: "AES",
    key_size: 256,
    key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"],
    description: "test key",
    enabled: true,
    custom_metadata: { "managed-by": "oci-ekm" },
    ...extra,
  };
}

/** A signed-JWT credential (AppCredentialRequest `signedjwt`) with fetched signing keys. */
export function jwtCredential(url = "https://idcs-abc.identity.oraclecloud.com/admin/v1/SigningCert/jwk", issuers = ["https://identity.oraclecloud.com/"]) {
  return { signedjwt: { valid_issuers: issuers, signing_keys: { kind: "fetched" as const, url, cache_duration: 3600 } } };
}

/** The emulator a test file shares, with an admin app's API key and session. */
export interface DsmTestContext {
  dsm: DsmEmulator;
  url: string;
  adminKey: string;
  /** `Bearer <session token>` of the admin app "automation". */
  admin: string;
}

/**
 * Starts one emulator for the test file (admin app "automation"), empties its log and faults before
 * each test, and after each test fails it when a request or an answer broke the document.
 */
export function useDsmEmulator(options: DsmEmulatorOptions = {}): DsmTestContext {
  const ctx = {} as DsmTestContext;
  beforeAll(async () => {
    ctx.dsm = new DsmEmulator(options);
    ctx.url = await ctx.dsm.start();
    ctx.adminKey = ctx.dsm.createApiKey({ role: "admin", name: "automation" });
    ctx.admin = await bearerFor(ctx.url, ctx.adminKey);
  });
  afterAll(async () => {
    await ctx.dsm.stop();
  });
  beforeEach(() => {
    ctx.dsm.clearRequests();
    ctx.dsm.clearFaults();
  });
  afterEach(() => {
    // Both computed before asserting: documentProblems() empties the log either way.
    const problems = [...recordedAnswerProblems(ctx.dsm), ...documentProblems()];
    expect(problems).toEqual([]);
  });
  return ctx;
}

/** An emulator of its own for one test, its recorded answers checked, stopped afterwards. */
export async function withEmulator(options: DsmEmulatorOptions, run: (d: DsmEmulator, base: string) => Promise<void>): Promise<void> {
  const own = new DsmEmulator(options);
  const base = await own.start();
  try {
    await run(own, base);
    expect(recordedAnswerProblems(own)).toEqual([]);
  } finally {
    await own.stop();
  }
}

/** `Bearer <access_token>` of an AuthResponse. */
export function bearerOf(res: { json: unknown }): string {
  return `Bearer ${(res.json as { access_token: string }).access_token}`;
}
