// Small HTTP(S) server utilities shared by the emulators (DSM, Identity Domain, API Gateway).
// They only ever listen on loopback: an emulator is a test and sandbox fixture, never a service.
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { secureContextTrusting } from "../tls-trust";

/** PEM certificate and private key for an emulator's HTTPS listener. */
export interface EmulatorTlsOptions {
  /** Server certificate (PEM), optionally followed by its chain. */
  cert: string;
  /** Private key of the certificate (PEM). */
  key: string;
}

/** Handles one request; a rejected promise becomes a plain-text 500 naming the error. */
export type EmulatorRequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/** Options of {@link EmulatorHttpServer}. */
export interface EmulatorHttpServerOptions {
  /** Serve HTTPS with this certificate. Default: plain HTTP. */
  tls?: EmulatorTlsOptions;
  /** Port on 127.0.0.1. Default: 0, a free port chosen by the system. */
  port?: number;
}

/**
 * An HTTP or HTTPS server on 127.0.0.1 (random port by default) around one request listener.
 * `start()` resolves with the base URL (`http://127.0.0.1:<port>`, no trailing slash);
 * `stop()` closes the listener and every open connection, so tests never hang on keep-alive sockets.
 */
export class EmulatorHttpServer {
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private baseUrl: string | undefined;

  constructor(
    private readonly listener: EmulatorRequestListener,
    private readonly options: EmulatorHttpServerOptions = {},
  ) {}

  /** Starts listening; resolves with {@link url}. Starting twice is an error. */
  async start(): Promise<string> {
    if (this.server) throw new Error("emulator server already started");
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      Promise.resolve()
        .then(() => this.listener(req, res))
        .catch((err: unknown) => {
          if (res.headersSent || res.destroyed) {
            res.destroy();
            return;
          }
          sendEmulatorText(res, 500, `emulator error: ${err instanceof Error ? err.message : String(err)}`);
        });
    };
    const server = this.options.tls
      ? https.createServer({ cert: this.options.tls.cert, key: this.options.tls.key }, handler)
      : http.createServer(handler);
    const trackSocket = (socket: Socket): void => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    };
    server.on(this.options.tls ? "secureConnection" : "connection", trackSocket);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `${this.options.tls ? "https" : "http"}://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). Throws before `start()`. */
  get url(): string {
    if (!this.baseUrl) throw new Error("emulator server not started: call start() first");
    return this.baseUrl;
  }

  /** Listening port. Throws before `start()`. */
  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** Whether `start()` has completed and `stop()` has not been called. */
  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Stops listening and destroys open connections. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.baseUrl = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** An error an emulator turns into an HTTP reply with this status (and optional extra headers). */
export class EmulatorHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "EmulatorHttpError";
  }
}

/** Reads the whole request body; a body over `limitBytes` (default 1 MiB) is a 413 {@link EmulatorHttpError}. */
export async function readEmulatorRequestBody(req: http.IncomingMessage, limitBytes = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buf.length;
    if (size > limitBytes) throw new EmulatorHttpError(413, `request body larger than ${limitBytes} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * Parses a JSON body. An empty body gives `undefined`; malformed JSON is a 400 {@link EmulatorHttpError}
 * whose message says so (the caller decides whether a body was required).
 */
export function parseEmulatorJsonBody(raw: Buffer): unknown {
  const text = raw.toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new EmulatorHttpError(400, `request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Reads and parses a JSON body (see {@link parseEmulatorJsonBody}). */
export async function readEmulatorJsonBody(req: http.IncomingMessage): Promise<unknown> {
  return parseEmulatorJsonBody(await readEmulatorRequestBody(req));
}

/** Reads an `application/x-www-form-urlencoded` body (e.g. an OAuth token request). */
export async function readEmulatorFormBody(req: http.IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readEmulatorRequestBody(req)).toString("utf8"));
}

/** Replies with a JSON body (`content-type: application/json`). */
export function sendEmulatorJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload)),
  });
  res.end(payload);
}

/** Replies with a plain-text body (`content-type: text/plain; charset=utf-8`). */
export function sendEmulatorText(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...headers,
    "content-type": "text/plain; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** Replies with no body (default 204). */
export function sendEmulatorEmpty(res: http.ServerResponse, status = 204, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

/** Splits an `Authorization: Basic …` header into user and password; `undefined` when absent or malformed. */
export function parseEmulatorBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The token of an `Authorization: Bearer …` header; `undefined` when absent or another scheme. */
export function parseEmulatorBearerAuth(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match ? match[1] : undefined;
}

/** The scheme of an `Authorization` header, for request logs that must never hold the credential itself. */
export function emulatorAuthScheme(header: string | undefined): "Basic" | "Bearer" | "none" | "other" {
  if (!header) return "none";
  const scheme = header.trim().split(/\s+/)[0].toLowerCase();
  if (scheme === "basic") return "Basic";
  if (scheme === "bearer") return "Bearer";
  return "other";
}

/** Options of {@link emulatorHttpGet}. */
export interface EmulatorHttpGetOptions {
  /** Extra CA certificates (PEM) trusted for https URLs, in addition to the system store. Default: none. */
  ca?: string;
  /** Request headers. Default: none. */
  headers?: Record<string, string>;
  /** Abort after this many milliseconds. Default: 5000. */
  timeoutMs?: number;
}

/** Result of {@link emulatorHttpGet}. */
export interface EmulatorHttpGetResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * GET a URL over HTTP or HTTPS (TLS verification always on; `ca` adds trusted roots) and return the text body.
 * Used by emulators that fetch from each other, e.g. the DSM emulator fetching the Identity Domain's JWKS.
 */
export function emulatorHttpGet(url: string, options: EmulatorHttpGetOptions = {}): Promise<EmulatorHttpGetResult> {
  const target = new URL(url);
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    };
    let req: http.ClientRequest;
    if (target.protocol === "https:") {
      const trust = options.ca ? { secureContext: secureContextTrusting(options.ca) } : {};
      req = https.get(target, { headers: options.headers, ...trust, agent: false }, onResponse);
    } else if (target.protocol === "http:") {
      req = http.get(target, { headers: options.headers, agent: false }, onResponse);
    } else {
      reject(new Error(`unsupported URL scheme in ${url}: only http and https`));
      return;
    }
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}
