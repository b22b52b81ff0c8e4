// How DSM checks the Identity Domain JWT on every EKM call (the Fortanix EKM guide, section 6; Oracle: "The
// third-party management service verifies the OAuth2 JWT token from OCI Identity service before
// allowing operations"): the app named after the token's client, its signing keys (stored, or fetched
// and cached for `cache_duration`), then iss, aud, scope, exp/nbf. Each failed check is a 401 whose
// message names it, because the sandbox and `verify` show these messages to the user.
import { createPublicKey, type KeyObject } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK, type JWTPayload } from "jose";
import { emulatorHttpGet, parseEmulatorBearerAuth } from "./http";
import type { AppRecord, DsmState } from "./dsm-state";
import type { DsmEmulatorSignedJwt } from "./dsm-types";
import { DSM_EMULATOR_UNCONFIRMED } from "./dsm-unconfirmed";

/** A refusal of the EKM API: answered `{"code": "<status>", "message"}`. */
export class EkmError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const unauthenticated = (message: string): EkmError => new EkmError(DSM_EMULATOR_UNCONFIRMED.ekmAuthenticationStatus, message);

interface CachedJwks {
  keys: JWK[];
  fetchedAt: number;
}

/** The token checks, with the cache of fetched JWKS documents. */
export class EkmTokenChecker {
  private readonly jwksCache = new Map<string, CachedJwks>();

  constructor(
    private readonly state: DsmState,
    private readonly publicUrl: () => string,
  ) {}

  clearJwksCache(): void {
    this.jwksCache.clear();
  }

  /** The JWT app the token authenticates, in DSM's order of checks: app, signature, iss, aud, scope, exp/nbf. */
  async authenticate(headers: IncomingHttpHeaders): Promise<AppRecord> {
    const rawHeader = headers.authorization;
    const token = parseEmulatorBearerAuth(Array.isArray(rawHeader) ? rawHeader[0] : rawHeader);
    if (!token) throw unauthenticated("missing bearer token: send Authorization: Bearer <Identity Domain access token>");
    let header: { alg?: string; kid?: string };
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      throw unauthenticated("the bearer token is not a JWT");
    }
    if (header.alg !== "RS256") throw unauthenticated(`token alg ${JSON.stringify(header.alg ?? null)} is not accepted: DSM requires RS256-signed tokens`);

    const record = this.findApp(claims);
    const { app } = record;
    const jwt = record.credential?.signedjwt;
    if (app.auth_type !== "SignedJwt" || !jwt) throw unauthenticated(`DSM app "${app.name}" is not a JSON Web Token app (auth_type ${app.auth_type})`);
    if (!app.enabled) throw unauthenticated(`DSM app "${app.name}" is disabled`);

    const key = await this.signingKey(app.name, jwt, header.kid);
    try {
      await compactVerify(token, key, { algorithms: ["RS256"] });
    } catch {
      throw unauthenticated(`token signature verification failed: not signed by the key ${JSON.stringify(header.kid ?? null)} of DSM app "${app.name}"'s signing keys`);
    }

    if (typeof claims.iss !== "string" || !jwt.valid_issuers.includes(claims.iss)) {
      throw unauthenticated(`token issuer ${JSON.stringify(claims.iss ?? null)} is not among DSM app "${app.name}"'s valid issuers ${JSON.stringify(jwt.valid_issuers)}`);
    }

    const audiences = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const norm = (u: string): string => (DSM_EMULATOR_UNCONFIRMED.audienceIgnoresTrailingSlash ? u.replace(/\/$/, "") : u);
    const dsmUrl = this.publicUrl();
    if (!audiences.some((a) => norm(a) === norm(dsmUrl))) {
      throw unauthenticated(`token audience ${JSON.stringify(audiences)} does not contain the DSM URL ${dsmUrl} (make it the resource app's secondary audience)`);
    }

    const scope = typeof claims.scope === "string" ? claims.scope : "";
    if (!scope.split(/\s+/).includes(DSM_EMULATOR_UNCONFIRMED.ekmScope)) {
      throw unauthenticated(`token scope ${JSON.stringify(scope)} does not contain ${DSM_EMULATOR_UNCONFIRMED.ekmScope}`);
    }

    const now = this.state.now() / 1000;
    const skew = DSM_EMULATOR_UNCONFIRMED.tokenClockSkewSeconds;
    if (typeof claims.exp !== "number") throw unauthenticated("token has no exp claim");
    if (claims.exp + skew <= now) throw unauthenticated(`token expired at ${new Date(claims.exp * 1000).toISOString()}`);
    if (typeof claims.nbf === "number" && claims.nbf - skew > now) throw unauthenticated(`token not valid before ${new Date(claims.nbf * 1000).toISOString()}`);
    return record;
  }

  private findApp(claims: JWTPayload): AppRecord {
    // The first claim present decides (client_id, else sub): a token naming another client is not
    // rescued by its sub.
    for (const claim of DSM_EMULATOR_UNCONFIRMED.jwtAppClaims) {
      const value = claims[claim];
      if (typeof value !== "string" || value === "") continue;
      const app = this.state.findApp(value, true);
      if (app) return app;
      throw unauthenticated(`no DSM app is named after the token's ${claim} ${JSON.stringify(value)}: name the JWT app after the OCI client app's client ID`);
    }
    throw unauthenticated(`token has no ${DSM_EMULATOR_UNCONFIRMED.jwtAppClaims.join(" or ")} claim to find the DSM app by`);
  }

  private async signingKey(appName: string, jwt: DsmEmulatorSignedJwt, kid: string | undefined): Promise<KeyObject | Awaited<ReturnType<typeof importJWK>>> {
    const signing = jwt.signing_keys;
    if (signing.kind === "stored") {
      const entries = Object.entries(signing.keys);
      const der = kid !== undefined ? signing.keys[kid] : entries.length === 1 ? entries[0][1] : undefined;
      if (der === undefined) throw unauthenticated(`no signing key with kid ${JSON.stringify(kid ?? null)} among DSM app "${appName}"'s stored keys`);
      return createPublicKey({ key: Buffer.from(der, "base64"), format: "der", type: "spki" });
    }
    const cached = this.jwksCache.get(signing.url);
    const fresh = cached && this.state.now() - cached.fetchedAt < signing.cache_duration * 1000 ? cached : undefined;
    const pick = (keys: JWK[]): JWK | undefined => (kid !== undefined ? keys.find((k) => k.kid === kid) : keys.length === 1 ? keys[0] : undefined);
    let jwk = fresh ? pick(fresh.keys) : undefined;
    // An unknown kid may be a key the issuer rotated in since the last fetch: fetch again once.
    if (!jwk) jwk = pick(await this.fetchJwks(appName, signing.url));
    if (!jwk) throw unauthenticated(`no signing key with kid ${JSON.stringify(kid ?? null)} in the JWKS at ${signing.url}`);
    try {
      return await importJWK({ ...jwk, alg: "RS256" }, "RS256");
    } catch (err) {
      throw unauthenticated(`signing key ${JSON.stringify(kid ?? null)} at ${signing.url} is not a usable RS256 key: ${(err as Error).message}`);
    }
  }

  private async fetchJwks(appName: string, url: string): Promise<JWK[]> {
    const cannot = `cannot fetch DSM app "${appName}"'s signing keys from ${url}`;
    let res;
    try {
      res = await emulatorHttpGet(url, { ca: this.state.options.trustedCa, headers: { accept: "application/json" } });
    } catch (err) {
      throw unauthenticated(`${cannot}: ${(err as Error).message}`);
    }
    if (res.status === 401 || res.status === 403) {
      throw unauthenticated(`${cannot}: HTTP ${res.status} (is the identity domain's signing certificate publicly accessible?)`);
    }
    if (res.status !== 200) throw unauthenticated(`${cannot}: HTTP ${res.status}`);
    let keys: unknown;
    try {
      keys = (JSON.parse(res.body) as { keys?: unknown }).keys;
    } catch {
      keys = undefined;
    }
    if (!Array.isArray(keys)) throw unauthenticated(`the signing keys URL ${url} did not return a JWKS ({"keys":[…]})`);
    this.jwksCache.set(url, { keys: keys as JWK[], fetchedAt: this.state.now() });
    return keys as JWK[];
  }
}
