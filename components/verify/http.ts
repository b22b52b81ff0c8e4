// URL rules and the one HTTP(S) client of the verify library. TLS verification is always on: a
// private CA (the gateway's self-signed certificate) is trusted by adding it, never by turning checks off.
import * as http from "node:http";
import * as https from "node:https";
import { isIP } from "node:net";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import axios, { type AxiosRequestConfig } from "axios";
import { secureContextTrusting } from "../tls-trust";

/** True for hosts that never leave the machine: 127.0.0.0/8, `localhost` and `::1`. */
export function isEkmLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/**
 * Parses a URL the verifier will call or compare. It must be `https://`, except on a loopback host
 * (the emulators) where `http://` is accepted too. The error names the field and says what is expected.
 */
export function parseEkmVerifyUrl(field: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${field}: "${value}" is not a URL (expected https://host/…)`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isEkmLoopbackHost(url.hostname)) return url;
  if (url.protocol === "http:") {
    throw new Error(`${field}: "${value}" uses http://; only https:// is accepted (http:// only on loopback hosts such as 127.0.0.1)`);
  }
  throw new Error(`${field}: "${value}" must be an https:// URL`);
}

/**
 * Resolves a URL found in a discovery document: an absolute URL is kept (Okta, Azure AD), a path
 * (`/oauth2/v1/token`) is resolved against the domain URL, as for an Identity Domain.
 */
export function resolveOidcUrl(domainUrl: string, value: string): string {
  return new URL(value, domainUrl.endsWith("/") ? domainUrl : domainUrl + "/").toString();
}

/** URLs that differ only by a default port, case of scheme/host or a trailing slash compare equal. */
export function sameEkmUrl(a: string, b: string): boolean {
  const norm = (u: string): string => {
    try {
      return new URL(u).toString().replace(/\/+$/, "");
    } catch {
      return u.replace(/\/+$/, "");
    }
  };
  return norm(a) === norm(b);
}

/** How a request reaches a server and what it trusts. */
export interface EkmHttpOptions {
  /** Extra CA certificates (PEM) trusted in addition to the system roots. Default: system roots only. */
  caBundle?: string;
  /**
   * Check the server certificate against this name instead of the URL's host, e.g. the gateway's
   * FQDN when calling it by private IP. Default: the URL's host.
   */
  tlsServerName?: string;
  /** Abort after this many milliseconds. Default: 10000. */
  timeoutMs?: number;
  /**
   * Send HTTPS requests through this agent, whose own trust and name checks then apply instead of
   * `caBundle` and `tlsServerName`; it is left open for the next request. Default: a new agent per request.
   */
  httpsAgent?: https.Agent;
}

/** What a server answered. */
export interface EkmHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A request that got no HTTP answer (DNS, connection, TLS or timeout), with the system's error code. */
export class EkmNetworkError extends Error {
  constructor(
    readonly url: string,
    readonly code: string,
    message: string,
    /** On a name mismatch, the names the server's certificate carries (e.g. `DNS:gw.example`). */
    readonly certificateNames?: string,
  ) {
    super(message);
    this.name = "EkmNetworkError";
  }
}

/** Codes Node gives a certificate this machine does not trust: the CA that signed it is missing. */
const TLS_UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);
const TLS_DATES = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);
const TLS_NOT_TLS = new Set(["EPROTO", "ERR_SSL_WRONG_VERSION_NUMBER"]);

/** What went wrong in a TLS handshake, as a user can act on it. */
export interface EkmTlsProblem {
  /** `untrusted`: no trusted CA signed it; `name`: it does not name the host; `dates`: expired or not yet valid; `not-tls`: no TLS server there. */
  kind: "untrusted" | "name" | "dates" | "not-tls";
  /** The URL called. */
  url: string;
  /** Node's error code, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  code: string;
  /** The names the certificate carries (name mismatches only, when known). */
  certificateNames?: string;
}

/** The kind of TLS problem a Node error code means, or undefined for a code that is not about TLS. */
export function ekmTlsKind(code: string): EkmTlsProblem["kind"] | undefined {
  if (TLS_UNTRUSTED.has(code)) return "untrusted";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return "name";
  if (TLS_DATES.has(code)) return "dates";
  if (TLS_NOT_TLS.has(code)) return "not-tls";
  return undefined;
}

/** The TLS problem behind a failed request, or undefined when it failed otherwise (or answered). */
export function ekmTlsProblem(err: unknown): EkmTlsProblem | undefined {
  if (!(err instanceof EkmNetworkError)) return undefined;
  const kind = ekmTlsKind(err.code);
  if (kind === undefined) return undefined;
  return { kind, url: err.url, code: err.code, ...(err.certificateNames ? { certificateNames: err.certificateNames } : {}) };
}

/**
 * The fix for a TLS problem. An untrusted certificate is fixed by trusting its CA with `--ca-bundle`;
 * for the other kinds a CA bundle would not help, so the advice says what would. `nameFix` is how
 * to call the server by another name (e.g. "--tls-server-name with the gateway hostname").
 */
export function ekmTlsFix(problem: EkmTlsProblem, nameFix: string): string {
  switch (problem.kind) {
    case "untrusted":
      return `the certificate of ${problem.url} is not trusted (${problem.code}): pass the CA certificate that signed it (PEM) with --ca-bundle <file>`;
    case "name":
      return (
        `the certificate of ${problem.url} does not name ${new URL(problem.url).hostname} (${problem.code}` +
        `${problem.certificateNames ? `; it names ${problem.certificateNames}` : ""}): ${nameFix}; --ca-bundle does not change which names a certificate carries`
      );
    case "dates":
      return `the certificate of ${problem.url} is ${problem.code === "CERT_HAS_EXPIRED" ? "expired" : "not valid yet"} (${problem.code}): renew it, or check this machine's clock`;
    case "not-tls":
      return `no TLS server answered at ${problem.url} (${problem.code}): check the URL's scheme (https:// or, on loopback, http://) and port`;
  }
}

/** One HTTP request under the URL rules of {@link parseEkmVerifyUrl}; any status is returned, not thrown. */
export async function ekmHttpRequest(
  field: string,
  method: "GET" | "POST",
  url: string,
  init: { headers?: Record<string, string>; body?: string } & EkmHttpOptions = {},
): Promise<EkmHttpResponse> {
  const target = parseEkmVerifyUrl(field, url);
  const serverName = init.tlsServerName;
  const ownAgent = init.httpsAgent
    ? undefined
    : new https.Agent({
        ...(init.caBundle ? { secureContext: secureContextTrusting(init.caBundle) } : {}),
        ...(serverName
          ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(serverName, cert) }
          : {}),
      });
  const httpsAgent = init.httpsAgent ?? ownAgent;
  const httpAgent = new http.Agent();
  const config: AxiosRequestConfig<string> = {
    method,
    url: target.toString(),
    headers: init.headers,
    data: init.body,
    timeout: init.timeoutMs ?? 10_000,
    responseType: "text",
    transformResponse: (data: unknown) => data,
    validateStatus: () => true,
    maxRedirects: 0,
    httpsAgent,
    httpAgent,
    // A proxy would never reach a loopback emulator; elsewhere the environment's proxy settings apply.
    ...(isEkmLoopbackHost(target.hostname) ? { proxy: false as const } : {}),
  };
  try {
    const res = await axios.request<string>(config);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
    return { status: res.status, headers, body: typeof res.data === "string" ? res.data : String(res.data ?? "") };
  } catch (err) {
    const code = (err as { code?: string }).code ?? "ERROR";
    const cause = (err as { cause?: { message?: string; cert?: { subjectaltname?: string; subject?: { CN?: string } } } }).cause;
    const message = (err as Error).message || cause?.message || code;
    // Node hangs the peer certificate on a name mismatch: its names are what the user must compare.
    const names = cause?.cert?.subjectaltname ?? (cause?.cert?.subject?.CN ? `CN=${cause.cert.subject.CN}` : undefined);
    throw new EkmNetworkError(target.toString(), code, `${method} ${target.toString()} failed: ${message}`, code === "ERR_TLS_CERT_ALTNAME_INVALID" ? names : undefined);
  } finally {
    ownAgent?.destroy();
    httpAgent.destroy();
  }
}
