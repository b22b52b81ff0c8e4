// Pure helpers that build every URL, audience and scope of the topology. They hold no Pulumi state
// so they are unit-tested without mocks, and the components, the stack and the sandbox share them.

/** The scope OCI Vault asks for and Fortanix DSM checks (Fortanix EKM guide, 6.1). */
export const OCI_EKMS_SCOPE = "oci_ekms";

/** The `iss` claim of tokens issued by an OCI Identity Domain. */
export const DEFAULT_IDENTITY_ISSUER = "https://identity.oraclecloud.com/";

/**
 * An issuer in both forms a token may carry it, as given first: `https://identity.oraclecloud.com/`
 * and `https://identity.oraclecloud.com`. The public sources disagree on the trailing slash and DSM
 * and the gateway compare `iss` exactly, so both forms are accepted (they name the same issuer).
 */
export function identityIssuerForms(issuer: string): string[] {
  const bare = issuer.replace(/\/+$/, "");
  return issuer.endsWith("/") ? [issuer, bare] : [issuer, bare + "/"];
}

/** Fortanix DSM SaaS, North America: the default DSM URL of the Fortanix EKM guide. */
export const DEFAULT_DSM_URL = "https://amer.smartkey.io";

/** API Gateway deployment path prefix: the whole gateway forwards to DSM. */
export const GATEWAY_PATH_PREFIX = "/";

/** The single route of the deployment: every path below the prefix. */
export const GATEWAY_ROUTE_PATH = "/{path*}";

/**
 * The API Gateway context variable carrying the `{path*}` route parameter. OCI expands it per
 * request, so it must reach the deployment literally: it is a plain string, never a template literal.
 */
export const GATEWAY_PATH_VARIABLE = "${request.path[path]}";

function parseHttpsOrigin(what: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what}: "${value}" is not a URL; expected an https:// URL such as https://host.example.com`);
  }
  if (url.protocol !== "https:") {
    throw new Error(`${what}: "${value}" must use https://`);
  }
  if (url.username || url.password) {
    throw new Error(`${what}: "${value}" must not carry credentials`);
  }
  if ((url.pathname !== "" && url.pathname !== "/") || url.search || url.hash) {
    throw new Error(`${what}: "${value}" must be a bare origin (scheme, host and optional port), without path, query or fragment`);
  }
  return url;
}

/** `https://amer.smartkey.io/` → `https://amer.smartkey.io`: the form used as the secondary audience. */
export function normalizeDsmUrl(dsmUrl: string): string {
  return parseHttpsOrigin("DSM URL", dsmUrl).origin;
}

/** The DSM host (with its port if it is not 443), as the gateway backend names it. */
export function dsmHost(dsmUrl: string): string {
  return parseHttpsOrigin("DSM URL", dsmUrl).host;
}

/**
 * The gateway route's HTTP backend: `https://<DSM_HOST>/${request.path[path]}` (Fortanix EKM guide, 5.3),
 * so `/oci/ekm/v1/...` on the gateway reaches the same path on DSM.
 */
export function gatewayBackendUrl(dsmUrl: string): string {
  return "https://" + dsmHost(dsmUrl) + "/" + GATEWAY_PATH_VARIABLE;
}

/** Where DSM serves Oracle's EKM API (the vault URL's path starts with it). */
export const EKM_API_PATH = "/oci/ekm/v1";

/** Literal IPv6 addresses need brackets in a URL host. */
function urlHost(ipOrHost: string): string {
  if (ipOrHost.length === 0) throw new Error("an empty host or IP address cannot form a URL");
  return ipOrHost.includes(":") && !ipOrHost.startsWith("[") ? "[" + ipOrHost + "]" : ipOrHost;
}

/**
 * `https://<gateway private IP>/`: the gateway's base URL, which is also the resource app's primary
 * audience (Fortanix EKM guide, 6.1: OCI Vault validates tokens against the gateway IP it calls).
 */
export function gatewayBaseUrl(gatewayPrivateIp: string): string {
  return "https://" + urlHost(gatewayPrivateIp) + "/";
}

/**
 * The fully qualified scope the client app is granted and requests: the primary audience followed
 * by the scope with no separator (`https://10.0.1.10/` + `oci_ekms`).
 */
export function fullyQualifiedScope(audience: string, scope: string = OCI_EKMS_SCOPE): string {
  return audience + scope;
}

/**
 * The external vault URL OCI Vault calls: `https://<host>/oci/ekm/v1/vaults/<DSM account id>`
 * (Fortanix EKM guide, 8.0). The host is the EKM private endpoint IP by default, or the gateway IP.
 */
export function externalVaultUrl(host: string, dsmAccountId: string): string {
  if (dsmAccountId.length === 0) throw new Error("external vault URL: the DSM account id is empty");
  return "https://" + urlHost(host) + EKM_API_PATH + "/vaults/" + encodeURIComponent(dsmAccountId);
}

/**
 * The Identity Domain URL as the console shows it may end with `/` or `:443`
 * (`https://idcs-<id>.identity.oraclecloud.com:443/`); all forms name the same origin. Returns the
 * origin without default port or slash, the base the discovery paths are relative to.
 */
export function normalizeIdentityDomainUrl(identityDomainUrl: string): string {
  return parseHttpsOrigin("Identity Domain URL", identityDomainUrl).origin;
}

/** `<domain>/admin/v1/SigningCert/jwk`: the domain's signing keys, which DSM fetches to check tokens. */
export function identityJwksUri(identityDomainUrl: string): string {
  return normalizeIdentityDomainUrl(identityDomainUrl) + "/admin/v1/SigningCert/jwk";
}

/** `<domain>/oauth2/v1/token`: where OCI Vault obtains its client-credentials token. */
export function identityTokenUrl(identityDomainUrl: string): string {
  return normalizeIdentityDomainUrl(identityDomainUrl) + "/oauth2/v1/token";
}

/** `<domain>/.well-known/openid-configuration`: the domain's discovery document. */
export function identityDiscoveryUrl(identityDomainUrl: string): string {
  return normalizeIdentityDomainUrl(identityDomainUrl) + "/.well-known/openid-configuration";
}
