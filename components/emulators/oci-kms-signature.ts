// OCI's request signatures (Oracle, "Request Signatures"), checked the way OCI checks them, and
// accepting exactly what Oracle's TypeScript SDK sends. What oci-common's DefaultRequestSigner does,
// read from its code:
//   - it signs `x-date (request-target) host`, and for POST/PUT/PATCH adds `Content-Type
//     Content-Length x-content-sha256` (names in that case: the receiver must lower-case them);
//   - `x-date` is the current time in RFC 1123 form; http-signature also sets a `Date` header it does
//     not sign;
//   - x-content-sha256 is the base64 SHA-256 of the UTF-8 body (of the empty string when there is
//     none: a POST whose body would be `{}` goes out without one, with Content-Length 0);
//   - `(request-target)` is `<method in lower case> <path?query>`, the other lines `<name>: <value>`,
//     joined by `\n`, signed RSA-SHA256 (PKCS#1 v1.5), base64;
//   - the header is `Signature version="1",keyId="<tenancy>/<user>/<fingerprint>",
//     algorithm="rsa-sha256",headers="…",signature="…"`.
import { createHash, createPublicKey, createVerify, type KeyObject } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { ociApiKeyFingerprint } from "./oci-kms-config";

/** OCI's answer to any request whose signature does not verify (HTTP 401, code NotAuthenticated). */
export const OCI_NOT_AUTHENTICATED_MESSAGE = "The required information to complete authentication was not provided or was incorrect.";

/** How far a request's date may be from the server's clock: OCI allows 5 minutes. */
export const OCI_SIGNATURE_MAX_SKEW_MS = 5 * 60_000;

const METHODS_WITH_BODY = ["POST", "PUT", "PATCH"];
const BODY_HEADERS = ["content-type", "content-length", "x-content-sha256"];

/** Why a signature was refused (for the emulator's log; the client only ever sees the one message). */
export class OciSignatureError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "OciSignatureError";
  }
}

/** The request as the verifier needs it. */
export interface SignedRequest {
  method: string;
  /** Path and query exactly as received (`req.url`). */
  target: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The parameters of an `Authorization: Signature …` header. */
export interface OciSignatureParameters {
  version?: string;
  keyId: string;
  algorithm: string;
  /** Lower-cased, in signing order. */
  headers: string[];
  signature: string;
}

/** Splits an `Authorization: Signature k="v",…` header; `undefined` when it is not one. */
export function parseOciSignatureHeader(header: string | undefined): OciSignatureParameters | undefined {
  const match = /^Signature\s+(.*)$/is.exec(header?.trim() ?? "");
  if (!match) return undefined;
  const params = new Map<string, string>();
  const rest = match[1].replace(/\s*([A-Za-z]+)="([^"]*)"\s*(,|$)/g, (_all, k: string, v: string) => {
    params.set(k.toLowerCase(), v);
    return "";
  });
  if (rest.trim() !== "") return undefined;
  const keyId = params.get("keyid");
  const signature = params.get("signature");
  if (!keyId || !signature) return undefined;
  return {
    version: params.get("version"),
    keyId,
    algorithm: (params.get("algorithm") ?? "").toLowerCase(),
    // http-signature's default when `headers` is absent is `date`.
    headers: (params.get("headers") ?? "date").split(/\s+/).filter((h) => h !== "").map((h) => h.toLowerCase()),
    signature,
  };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(", ") : v;
}

/** The string the client signed: one line per listed header. */
export function ociSigningString(req: Pick<SignedRequest, "method" | "target" | "headers">, names: string[]): string {
  return names
    .map((name) => {
      if (name === "(request-target)") return `(request-target): ${req.method.toLowerCase()} ${req.target}`;
      const value = headerValue(req.headers, name);
      if (value === undefined || value === "") throw new OciSignatureError(`the signed header ${name} is not in the request`);
      return `${name}: ${value}`;
    })
    .join("\n");
}

/** The headers OCI requires a signature to cover, missing ones named. */
function requireCoveredHeaders(method: string, names: string[]): void {
  const required = ["(request-target)", "host", ...(METHODS_WITH_BODY.includes(method.toUpperCase()) ? BODY_HEADERS : [])];
  const missing = required.filter((h) => !names.includes(h));
  if (!names.includes("date") && !names.includes("x-date")) missing.push("date or x-date");
  if (missing.length > 0) throw new OciSignatureError(`the signature does not cover ${missing.join(", ")}`);
}

/** The signed date (x-date wins over date, as at OCI) must be within the allowed skew. */
function requireFreshDate(req: SignedRequest, names: string[], now: number, maxSkewMs: number): void {
  const name = names.includes("x-date") ? "x-date" : "date";
  const value = headerValue(req.headers, name) ?? "";
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new OciSignatureError(`${name} ${JSON.stringify(value)} is not a date`);
  if (Math.abs(now - at) > maxSkewMs) {
    throw new OciSignatureError(`${name} ${value} is more than ${maxSkewMs / 60_000} minutes from the server's clock (${new Date(now).toUTCString()})`);
  }
}

/** For a body: the signed digest and length must be the body's. */
function requireBodyIntegrity(req: SignedRequest, names: string[]): void {
  if (!names.includes("x-content-sha256")) return;
  const digest = createHash("sha256").update(req.body).digest("base64");
  if (headerValue(req.headers, "x-content-sha256") !== digest) throw new OciSignatureError("x-content-sha256 is not the SHA-256 of the body");
  if (names.includes("content-length") && headerValue(req.headers, "content-length") !== String(req.body.length)) {
    throw new OciSignatureError(`content-length ${headerValue(req.headers, "content-length")} is not the body's ${req.body.length} bytes`);
  }
}

/** API public keys by signature keyId (`<tenancy>/<user>/<fingerprint>`), as OCI IAM holds them per user. */
export class OciApiKeyRegistry {
  private readonly keys = new Map<string, KeyObject>();

  /**
   * Registers `publicKeyPem` for a user; the fingerprint in the keyId is the key's own (OCI computes it
   * on upload). Returns the keyId the SDK will sign with.
   */
  register(tenancy: string, user: string, publicKeyPem: string): string {
    const keyId = `${tenancy}/${user}/${ociApiKeyFingerprint(publicKeyPem)}`;
    this.keys.set(keyId, createPublicKey(publicKeyPem));
    return keyId;
  }

  /** Forgets a key (a deleted API key). */
  remove(keyId: string): boolean {
    return this.keys.delete(keyId);
  }

  get(keyId: string): KeyObject | undefined {
    return this.keys.get(keyId);
  }
}

/** Verification options. */
export interface OciSignatureCheck {
  keys: OciApiKeyRegistry;
  /** The server's clock, ms since the epoch. */
  now: number;
  maxSkewMs?: number;
  /** The `host` values this server answers to (`<name>:<port>`); a request signed for another host is refused. Default: any. */
  hosts?: string[];
}

/**
 * Verifies a request's OCI signature; returns the keyId it was made with, or throws
 * {@link OciSignatureError} naming what is wrong.
 */
export function verifyOciRequestSignature(req: SignedRequest, check: OciSignatureCheck): string {
  const params = parseOciSignatureHeader(headerValue(req.headers, "authorization"));
  if (!params) throw new OciSignatureError("no Authorization: Signature header with keyId and signature");
  if (params.version !== undefined && params.version !== "1") throw new OciSignatureError(`signature version ${params.version} (OCI's is 1)`);
  if (params.algorithm !== "rsa-sha256") throw new OciSignatureError(`algorithm ${JSON.stringify(params.algorithm)} (OCI's is rsa-sha256)`);
  requireCoveredHeaders(req.method, params.headers);
  const key = check.keys.get(params.keyId);
  if (!key) throw new OciSignatureError(`no API key is registered for keyId ${params.keyId}`);
  const signingString = ociSigningString(req, params.headers);
  const verifier = createVerify("RSA-SHA256");
  verifier.update(signingString, "utf8");
  if (!verifier.verify(key, params.signature, "base64")) throw new OciSignatureError(`the signature does not verify with the API key ${params.keyId}`);
  const host = headerValue(req.headers, "host") ?? "";
  if (check.hosts && !check.hosts.includes(host.toLowerCase())) throw new OciSignatureError(`the request was signed for host ${host}, not this server (${check.hosts.join(" or ")})`);
  requireFreshDate(req, params.headers, check.now, check.maxSkewMs ?? OCI_SIGNATURE_MAX_SKEW_MS);
  requireBodyIntegrity(req, params.headers);
  return params.keyId;
}
