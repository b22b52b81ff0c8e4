// Plain HTTP helpers for the DSM emulator tests: the tests talk to the emulator over real loopback HTTP.

export interface CallResult {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when the body is empty. */
  json: unknown;
  text: string;
}

export interface CallOptions {
  /** Full Authorization header value. */
  auth?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function call(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.auth) headers.authorization = options.auth;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body),
  });
  const text = await res.text();
  let json: unknown;
  if (text !== "" && (res.headers.get("content-type") ?? "").includes("application/json")) json = JSON.parse(text);
  return { status: res.status, headers: res.headers, json, text };
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

/** The create body this project sends for an AES-256 key. */
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
