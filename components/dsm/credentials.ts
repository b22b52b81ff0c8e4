// Fortanix DSM credentials: where and how to authenticate, assembled from explicit settings (stack
// config `dsm:*`) and the environment as the Fortanix Terraform provider reads it, and the endpoint's checks.
//
// Serialization note: the dynamic providers reference this module, so the Pulumi closure serializer
// may capture it by value. Nothing at module level may hold a credential, a token or a live object,
// and no `export const` is used from a function (a copied function cannot resolve `exports.NAME`).
import { dsmApiError } from "./errors";

/** Where and how to authenticate to DSM. Holds secrets: never log it, never pass it to a resource. */
export interface DsmCredentials {
  /** DSM base URL, e.g. `https://amer.smartkey.io`. `http://` is accepted for loopback hosts only (emulators). */
  endpoint: string;
  /** API key of an (administrative) app: base64 of `<app_id>:<secret>`. Takes precedence over a user login. */
  apiKey?: string;
  /** User login (with `password` and `acctId`), used when no `apiKey` is given. */
  username?: string;
  /** Password of `username`. */
  password?: string;
  /** Account UUID selected after a user login (required even with a single account). */
  acctId?: string;
  /** Extra CA certificates trusted for `endpoint` (PEM text, or a path to a PEM file), for on-premises DSM. Default: system roots only. */
  caBundle?: string;
}

/**
 * Reads DSM credentials the way the Fortanix Terraform provider does: `DSM_ENDPOINT`, then `DSM_API_KEY`
 * or `DSM_USERNAME` + `DSM_PASSWORD` + `DSM_ACCT_ID`; plus `DSM_CA_BUNDLE` (PEM or path). Throws an
 * error naming the missing variables (never their values).
 */
export function dsmCredentialsFromEnv(env: Record<string, string | undefined> = process.env): DsmCredentials {
  return resolveDsmCredentials({}, env);
}

/** Settings from which credentials are assembled: explicit values first, then the environment. */
export interface DsmCredentialSettings {
  endpoint?: string;
  apiKey?: string;
  username?: string;
  password?: string;
  acctId?: string;
  caBundle?: string;
}

/**
 * Assembles credentials from explicit settings (e.g. stack config `dsm:*`) falling back to the
 * environment variable of the same meaning. An API key wins over a user login. Throws an error
 * naming what is missing.
 */
export function resolveDsmCredentials(
  settings: DsmCredentialSettings,
  env: Record<string, string | undefined> = process.env,
): DsmCredentials {
  const pick = (value: string | undefined, name: string): string | undefined => {
    const v = value !== undefined && value.trim() !== "" ? value : env[name];
    return v !== undefined && v.trim() !== "" ? v.trim() : undefined;
  };
  const endpoint = pick(settings.endpoint, "DSM_ENDPOINT");
  const apiKey = pick(settings.apiKey, "DSM_API_KEY");
  const username = pick(settings.username, "DSM_USERNAME");
  const password = settings.password !== undefined && settings.password !== "" ? settings.password : env.DSM_PASSWORD || undefined;
  const acctId = pick(settings.acctId, "DSM_ACCT_ID");
  const caBundle = pick(settings.caBundle, "DSM_CA_BUNDLE");
  if (endpoint === undefined) {
    throw dsmApiError(
      "DSM endpoint not set: give the resource an `endpoint`, or set the stack config `dsm:endpoint` or the environment variable DSM_ENDPOINT (e.g. https://amer.smartkey.io)",
      "config", "configure", "credentials",
    );
  }
  const endpointError = dsmEndpointProblem(endpoint);
  if (endpointError) throw dsmApiError(`DSM endpoint ${endpointError}`, "config", "configure", "credentials");
  const base: DsmCredentials = { endpoint: normalizeDsmEndpoint(endpoint), ...(caBundle !== undefined ? { caBundle } : {}) };
  if (apiKey !== undefined) return { ...base, apiKey };
  const missing = [
    username === undefined ? "DSM_USERNAME (dsm:username)" : undefined,
    password === undefined ? "DSM_PASSWORD (dsm:password)" : undefined,
    acctId === undefined ? "DSM_ACCT_ID (dsm:acctId)" : undefined,
  ].filter((m): m is string => m !== undefined);
  if (username === undefined && password === undefined) {
    throw dsmApiError(
      "DSM credentials not set: set DSM_API_KEY (stack config dsm:apiKey, secret) to an administrative app's API key, " +
        "or DSM_USERNAME + DSM_PASSWORD + DSM_ACCT_ID (dsm:username, dsm:password, dsm:acctId) for a user login",
      "config", "configure", "credentials",
    );
  }
  if (missing.length > 0) {
    throw dsmApiError(`DSM user login incomplete: missing ${missing.join(", ")}`, "config", "configure", "credentials");
  }
  return { ...base, username, password, acctId };
}

/** Why `endpoint` is not a usable DSM URL, or undefined when it is. */
export function dsmEndpointProblem(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `"${endpoint}" is not a URL (expected e.g. https://amer.smartkey.io)`;
  }
  if (url.username || url.password) return "must not carry a user or password in the URL";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return undefined;
  return `"${endpoint}" must be an https:// URL (http:// is accepted for loopback emulators only)`;
}

/** The endpoint without a trailing slash, so that equal URLs compare equal. */
export function normalizeDsmEndpoint(endpoint: string): string {
  return endpoint.trim().replace(/\/+$/, "");
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || hostname === "::1" || /^127(\.\d{1,3}){3}$/.test(hostname);
}
