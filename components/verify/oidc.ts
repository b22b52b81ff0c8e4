// What OCI Vault and DSM do against the identity provider: read its discovery document, fetch its
// signing keys, obtain a client-credentials token. Works for any OIDC provider (Identity Domain, Okta,
// Azure AD), which is why URLs found in the discovery document may be absolute or relative.
import type { JSONWebKeySet } from "jose";
import { ekmHttpRequest, parseEkmVerifyUrl, resolveOidcUrl, type EkmHttpOptions } from "./http";

/** The discovery document fields the verifier uses, with URLs already resolved. */
export interface OidcDiscovery {
  /** The URL the document was read from. */
  discoveryUrl: string;
  /** `issuer`, e.g. `https://identity.oraclecloud.com/` for an Identity Domain. */
  issuer: string;
  /** `token_endpoint`, absolute. */
  tokenEndpoint: string;
  /** `jwks_uri`, absolute: the URL DSM's JWT app fetches signing keys from. */
  jwksUri: string;
  /** The whole document. */
  document: Record<string, unknown>;
}

/** A server answered with an unexpected status. `body` is at most 300 characters of its reply. */
export class EkmHttpStatusError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly body: string,
    message: string,
  ) {
    super(message);
    this.name = "EkmHttpStatusError";
  }
}

/** The token endpoint refused the request; `error` is the OAuth error code (`invalid_client`, `invalid_scope` …). */
export class OAuthTokenError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`token endpoint answered ${status} ${error}${description ? `: ${description}` : ""}`);
    this.name = "OAuthTokenError";
  }
}

/**
 * The discovery URL of an identity provider: `<domain>/.well-known/openid-configuration`. A URL that
 * already points into `/.well-known/` (Okta's "Metadata URI") is used as it is.
 */
export function oidcDiscoveryUrl(domainUrl: string): string {
  const url = parseEkmVerifyUrl("domain URL", domainUrl);
  if (url.pathname.includes("/.well-known/")) return url.toString();
  return url.toString().replace(/\/+$/, "") + "/.well-known/openid-configuration";
}

function excerpt(body: string): string {
  return body.length > 300 ? body.slice(0, 300) + "…" : body;
}

/** Reads the discovery document; relative `jwks_uri`/`token_endpoint` are resolved against the domain URL. */
export async function fetchOidcDiscovery(domainUrl: string, options: EkmHttpOptions = {}): Promise<OidcDiscovery> {
  const discoveryUrl = oidcDiscoveryUrl(domainUrl);
  const res = await ekmHttpRequest("domain URL", "GET", discoveryUrl, { ...options, headers: { accept: "application/json" } });
  if (res.status !== 200) {
    throw new EkmHttpStatusError(discoveryUrl, res.status, excerpt(res.body), `GET ${discoveryUrl} answered ${res.status}`);
  }
  let document: Record<string, unknown>;
  try {
    const parsed = JSON.parse(res.body) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    document = parsed as Record<string, unknown>;
  } catch {
    throw new Error(`GET ${discoveryUrl}: the discovery document is not a JSON object`);
  }
  const field = (name: string): string => {
    const value = document[name];
    if (typeof value !== "string" || value === "") throw new Error(`GET ${discoveryUrl}: the discovery document has no "${name}"`);
    return value;
  };
  // Relative URLs resolve against where the document was found minus /.well-known/…, i.e. the domain.
  const base = discoveryUrl.replace(/\/\.well-known\/.*$/, "/");
  return {
    discoveryUrl,
    issuer: field("issuer"),
    tokenEndpoint: resolveOidcUrl(base, field("token_endpoint")),
    jwksUri: resolveOidcUrl(base, field("jwks_uri")),
    document,
  };
}

/** Fetches a JWKS. A 401/403 (an Identity Domain whose signing certificate is not public) is an {@link EkmHttpStatusError}. */
export async function fetchOidcJwks(jwksUri: string, options: EkmHttpOptions = {}): Promise<JSONWebKeySet> {
  const res = await ekmHttpRequest("JWKS URI", "GET", jwksUri, { ...options, headers: { accept: "application/json" } });
  if (res.status !== 200) {
    throw new EkmHttpStatusError(jwksUri, res.status, excerpt(res.body), `GET ${jwksUri} answered ${res.status}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    throw new Error(`GET ${jwksUri}: the answer is not JSON`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new Error(`GET ${jwksUri}: the answer has no "keys" array`);
  return { keys: keys.filter((k): k is JSONWebKeySet["keys"][number] => typeof k === "object" && k !== null) };
}

/** A client-credentials token request, as OCI Vault makes it. */
export interface ClientCredentialsRequest {
  /** Absolute token endpoint URL (from the discovery document). */
  tokenEndpoint: string;
  /** The client app's client ID. */
  clientId: string;
  /** The client app's secret; sent only in the Authorization header. */
  clientSecret: string;
  /** The fully qualified scope, e.g. `https://10.0.1.10/oci_ekms`. Default: none sent. */
  scope?: string;
}

/** A token the endpoint issued. Holds the token itself: never log it. */
export interface ClientCredentialsToken {
  accessToken: string;
  tokenType: string;
  expiresIn?: number;
}

/**
 * POSTs `grant_type=client_credentials&scope=<scope>` form-encoded with
 * `Authorization: Basic base64(client_id:client_secret)`. A refusal is an {@link OAuthTokenError}.
 */
export async function requestClientCredentialsToken(
  request: ClientCredentialsRequest,
  options: EkmHttpOptions = {},
): Promise<ClientCredentialsToken> {
  const form = new URLSearchParams({ grant_type: "client_credentials" });
  if (request.scope) form.set("scope", request.scope);
  const basic = Buffer.from(`${request.clientId}:${request.clientSecret}`, "utf8").toString("base64");
  const res = await ekmHttpRequest("token endpoint", "POST", request.tokenEndpoint, {
    ...options,
    headers: {
      authorization: `Basic ${basic}`,
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: form.toString(),
  });
  let parsed: Record<string, unknown> | undefined;
  try {
    const value = JSON.parse(res.body) as unknown;
    if (typeof value === "object" && value !== null) parsed = value as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  if (res.status !== 200) {
    const error = typeof parsed?.error === "string" ? parsed.error : `http_${res.status}`;
    const description = typeof parsed?.error_description === "string" ? parsed.error_description : parsed ? "" : excerpt(res.body);
    throw new OAuthTokenError(res.status, error, description);
  }
  // The success body holds the token: never echo it into an error.
  const accessToken = parsed?.access_token;
  if (typeof accessToken !== "string" || accessToken === "") {
    throw new OAuthTokenError(res.status, "invalid_response", "the answer has no access_token");
  }
  return {
    accessToken,
    tokenType: typeof parsed?.token_type === "string" ? parsed.token_type : "Bearer",
    ...(typeof parsed?.expires_in === "number" ? { expiresIn: parsed.expires_in } : {}),
  };
}
