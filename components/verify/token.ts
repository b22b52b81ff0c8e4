// The token checks DSM makes before it serves OCI Vault (the Fortanix EKM guide, sections 6 and 11), one named
// check per rule so a report says which link is broken instead of "authentication failed".
import {
  compactVerify,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from "jose";
import { identityIssuerForms } from "../urls";
import { ekmCheck, ekmCheckFailed, ekmCheckPassed, ekmCheckSkipped, type EkmCheckResult } from "./checks";

/** The issuer of every OCI Identity Domain token. */
export const IDENTITY_DOMAIN_ISSUER = "https://identity.oraclecloud.com/";
/** The scope DSM requires in an EKM token. */
export const EKM_SCOPE = "oci_ekms";

/** What DSM (and the gateway) expect of an EKM token. */
export interface EkmTokenExpectations {
  /** The identity provider's signing keys. Default: none, and the key and signature checks are skipped (JWKS unavailable). */
  jwks?: JSONWebKeySet;
  /** Where the keys came from, for messages. Default: "the domain's JWKS". */
  jwksUri?: string;
  /** Issuers DSM's JWT app accepts. Default: [`https://identity.oraclecloud.com/`]. */
  issuers?: string[];
  /** The DSM URL, which must be an audience (the resource app's secondary audience), e.g. `https://amer.smartkey.io`. */
  dsmUrl: string;
  /** The gateway base URL (`https://<private IP>/`), which must be an audience (the primary one). Default: not checked. */
  gatewayBaseUrl?: string;
  /** The scope value that must be in the token. Default: `oci_ekms`. */
  requiredScope?: string;
  /** Allowed clock difference for `exp`/`nbf`, in seconds. Default: 60. */
  clockSkewSeconds?: number;
  /** The time to check against. Default: now. */
  now?: Date;
}

/** The names of the token checks, in the order they are reported. */
export const EKM_TOKEN_CHECK_NAMES = [
  "token-format",
  "token-algorithm",
  "token-key",
  "token-signature",
  "token-issuer",
  "token-audience-dsm",
  "token-audience-gateway",
  "token-scope",
  "token-expiry",
  "token-not-before",
] as const;

/** The scope values of a token: `scope` (space-separated string, as Identity Domains and Okta write it) or `scp`. */
export function ekmTokenScopes(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === "string") return raw.split(/\s+/).filter((s) => s.length > 0);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === "string");
  return [];
}

/** The audiences of a token (`aud` may be one string or an array). */
export function ekmTokenAudiences(payload: JWTPayload): string[] {
  if (typeof payload.aud === "string") return [payload.aud];
  if (Array.isArray(payload.aud)) return payload.aud.filter((a): a is string => typeof a === "string");
  return [];
}

function list(values: string[]): string {
  return values.length === 0 ? "(none)" : values.map((v) => JSON.stringify(v)).join(", ");
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function findKey(jwks: JSONWebKeySet, kid: string | undefined): JWK | undefined {
  if (kid === undefined) return undefined;
  return jwks.keys.find((k) => k.kid === kid);
}

/**
 * Whether `aud` contains `wanted`. One trailing slash is ignored: the Fortanix guide writes the DSM URL without
 * one (`https://amer.smartkey.io`) and the gateway base URL with one (`https://<ip>/`), and how DSM
 * compares is not confirmed; the DSM emulator makes the same choice (DSM_EMULATOR_UNCONFIRMED).
 */
export function ekmAudienceContains(audiences: string[], wanted: string): boolean {
  const strip = (u: string): string => u.replace(/\/$/, "");
  return audiences.some((a) => a === wanted || strip(a) === strip(wanted));
}

const JWKS_UNAVAILABLE = "the JWKS could not be fetched (see check jwks)";

// token-key and token-signature: the key is looked up by kid as DSM does, and only an RS256 token
// with a known kid gets a signature verdict (anything else has already failed a named check).
async function keyAndSignatureChecks(
  token: string,
  header: ProtectedHeaderParameters,
  algOk: boolean,
  jwks: JSONWebKeySet | undefined,
  jwksName: string,
): Promise<EkmCheckResult[]> {
  if (!jwks) {
    return [
      ekmCheckSkipped("token-key", "kid among the JWKS keys", JWKS_UNAVAILABLE),
      ekmCheckSkipped("token-signature", "RS256 signature", JWKS_UNAVAILABLE),
    ];
  }
  const kid = header.kid;
  const key = findKey(jwks, kid);
  const keyCheck = ekmCheck(
    key !== undefined,
    "token-key",
    `kid among ${jwksName} keys: ${list(jwks.keys.map((k) => k.kid ?? "(no kid)"))}`,
    kid === undefined ? "no kid in the token header" : `kid ${JSON.stringify(kid)}`,
    `the token is not signed by a key of ${jwksName}: get the token from the same identity domain whose JWKS URI is configured in DSM's JWT app`,
  );
  if (!algOk) return [keyCheck, ekmCheckSkipped("token-signature", "RS256 signature", `alg is ${header.alg ?? "(none)"}, not RS256`)];
  if (!key) return [keyCheck, ekmCheckSkipped("token-signature", "RS256 signature", "no key of the JWKS matches the token's kid")];
  let found = "valid RS256 signature";
  let ok = true;
  try {
    // Only the public key itself: key_ops or x5c published beside it must not change the verdict.
    await compactVerify(token, await importJWK({ kty: key.kty, n: key.n, e: key.e }, "RS256"), { algorithms: ["RS256"] });
  } catch (err) {
    ok = false;
    found = `signature does not verify: ${(err as Error).message}`;
  }
  return [
    keyCheck,
    ekmCheck(
      ok,
      "token-signature",
      `RS256 signature by key ${JSON.stringify(kid)} of ${jwksName}`,
      found,
      "the token was altered or signed by another private key under the same kid: use an unmodified token from the identity domain",
    ),
  ];
}

/**
 * Checks a token the way DSM does: RS256 only, signature by the JWKS key named by `kid`, `iss` among
 * the valid issuers, `aud` containing the DSM URL and the gateway base URL, scope containing
 * `oci_ekms`, `exp`/`nbf` within the clock skew. Returns one result per check in
 * {@link EKM_TOKEN_CHECK_NAMES} order; claims are reported even when the signature fails, to show
 * every mismatch at once. Never includes the token in a result.
 */
export async function verifyEkmToken(token: string, expect: EkmTokenExpectations): Promise<EkmCheckResult[]> {
  const issuers = expect.issuers && expect.issuers.length > 0 ? expect.issuers : identityIssuerForms(IDENTITY_DOMAIN_ISSUER);
  const requiredScope = expect.requiredScope ?? EKM_SCOPE;
  const skew = expect.clockSkewSeconds ?? 60;
  const now = Math.floor((expect.now ?? new Date()).getTime() / 1000);
  const jwksName = expect.jwksUri ?? "the domain's JWKS";
  const results: EkmCheckResult[] = [];

  let header: ProtectedHeaderParameters;
  let payload: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    payload = decodeJwt(token);
  } catch (err) {
    results.push(
      ekmCheckFailed(
        "token-format",
        "a signed JWT (header.payload.signature)",
        `not a JWT: ${(err as Error).message}`,
        "the token endpoint must return a JWT access token: check that the domain URL points at the identity domain",
      ),
    );
    for (const name of EKM_TOKEN_CHECK_NAMES.slice(1)) results.push(ekmCheckSkipped(name, "", "the token is not a JWT"));
    return results;
  }
  results.push(ekmCheckPassed("token-format", "a signed JWT", "a JWT"));

  const alg = header.alg ?? "(none)";
  const algOk = header.alg === "RS256";
  results.push(
    ekmCheck(
      algOk,
      "token-algorithm",
      "alg RS256",
      `alg ${alg}`,
      header.alg === "none" || header.alg === undefined
        ? "the token is unsigned (alg none): DSM accepts only RS256 tokens signed by the identity domain; use a token from the domain's token endpoint"
        : `the token is signed with ${alg}: DSM accepts only RS256 tokens signed by the identity domain's RSA key; use a token from the domain's token endpoint`,
    ),
  );

  results.push(...(await keyAndSignatureChecks(token, header, algOk, expect.jwks, jwksName)));

  const iss = typeof payload.iss === "string" ? payload.iss : undefined;
  results.push(
    ekmCheck(
      iss !== undefined && issuers.includes(iss),
      "token-issuer",
      `iss among ${list(issuers)}`,
      iss === undefined ? "no iss claim" : `iss ${JSON.stringify(iss)}`,
      iss === undefined
        ? "the token has no issuer: use a token from the identity domain's token endpoint"
        : `the DSM JWT app's valid issuer must be the token's issuer ${JSON.stringify(iss)} (the issuer in the domain's discovery document), or the token must come from the identity domain whose issuer is ${list(issuers)}`,
    ),
  );

  const auds = ekmTokenAudiences(payload);
  results.push(
    ekmCheck(
      ekmAudienceContains(auds, expect.dsmUrl),
      "token-audience-dsm",
      `aud contains ${JSON.stringify(expect.dsmUrl)}`,
      `aud ${list(auds)}`,
      `the resource app's secondary audience must be ${expect.dsmUrl} (the DSM URL)`,
    ),
  );
  if (expect.gatewayBaseUrl === undefined) {
    results.push(ekmCheckSkipped("token-audience-gateway", "aud contains the gateway base URL", "no gateway URL given (--gateway-url)"));
  } else {
    results.push(
      ekmCheck(
        ekmAudienceContains(auds, expect.gatewayBaseUrl),
        "token-audience-gateway",
        `aud contains ${JSON.stringify(expect.gatewayBaseUrl)}`,
        `aud ${list(auds)}`,
        `the resource app's primary audience must be ${expect.gatewayBaseUrl} (the gateway's base URL, https://<gateway private IP>/)`,
      ),
    );
  }

  const scopes = ekmTokenScopes(payload);
  results.push(
    ekmCheck(
      scopes.includes(requiredScope),
      "token-scope",
      `scope contains ${JSON.stringify(requiredScope)}`,
      `scope ${list(scopes)}`,
      `the resource app's scope must be "${requiredScope}", and the client app must be allowed (and request) the fully qualified scope <primary audience>${requiredScope}, e.g. https://10.0.1.10/${requiredScope}`,
    ),
  );

  const exp = typeof payload.exp === "number" ? payload.exp : undefined;
  results.push(
    exp === undefined
      ? ekmCheckFailed("token-expiry", "exp in the future", "no exp claim", "DSM requires an expiry: use a token from the identity domain's token endpoint")
      : ekmCheck(
          now < exp + skew,
          "token-expiry",
          `exp after now (${isoTime(now)}, ${skew} s skew allowed)`,
          `exp ${isoTime(exp)}${now >= exp ? ` (expired ${now - exp} s ago)` : ""}`,
          "the token has expired: request a new one (OCI Vault does on every call); if it was just issued, check this machine's clock and the domain's access token expiry",
        ),
  );

  // A present but non-numeric nbf is no "no nbf": DSM, like any JWT library, rejects the token.
  const nbf = payload.nbf;
  results.push(
    nbf === undefined
      ? ekmCheckPassed("token-not-before", `nbf not after now (${skew} s skew allowed)`, "no nbf claim")
      : typeof nbf !== "number"
        ? ekmCheckFailed(
            "token-not-before",
            "nbf a number of seconds",
            `nbf ${JSON.stringify(nbf)}`,
            "the token's nbf is not a NumericDate: use a token from the identity domain's token endpoint",
          )
        : ekmCheck(
            nbf <= now + skew,
            "token-not-before",
            `nbf not after now (${isoTime(now)}, ${skew} s skew allowed)`,
            `nbf ${isoTime(nbf)}`,
            "the token is not valid yet: this machine's clock or the identity domain's clock is off; synchronise them (NTP)",
          ),
  );
  return results;
}
