// Token issuing of the emulated Identity Domain (identity-domain.ts): the signing key as the domain
// publishes it, the claims of a client-credentials token resolved from the registered apps, and the
// signature, altered on request by the test hooks.
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from "node:crypto";
import { SignJWT, base64url, type JWK, type JWTPayload } from "jose";
import type { IdentityDomainAppRegistry, IdentityDomainStoredApp } from "./identity-domain-apps";
import { selfSignedCertificatePem } from "./tls";

/**
 * TEST HOOK: how to alter a token so that a verifier must reject it. Used by
 * {@link IdentityDomainEmulator.mintToken} and {@link IdentityDomainEmulator.alterIssuedTokens}; the
 * real domain never issues such tokens.
 */
export interface IdentityTokenAlterations {
  /** Claims to set; a `null` value removes the claim (e.g. `{ aud: ["https://other/"], scope: null }`). */
  claims?: Record<string, unknown>;
  /** `exp` = now + this many seconds (negative: already expired). Default: the domain's token lifetime. */
  expiresInSeconds?: number;
  /** Adds `nbf` = now + this many seconds (positive: not valid yet). Default: no `nbf`, like the domain. */
  notBeforeInSeconds?: number;
  /**
   * Which key signs: `domain` (default), `foreign-key` (another RSA key, same `kid` unless `header.kid`
   * says otherwise), `none` (unsigned, `alg: none`), or `hs256` (HMAC with a random secret).
   */
  signWith?: "domain" | "foreign-key" | "none" | "hs256";
  /** Header fields to set, e.g. `{ kid: "other" }`. */
  header?: Record<string, string>;
}

/** A token request on behalf of a registered client, for {@link IdentityDomainEmulator.mintToken}. */
export interface IdentityTokenRequest {
  /** A registered client app's client ID. */
  clientId: string;
  /** Fully qualified scope(s), space-separated, e.g. `https://10.0.1.10/oci_ekms`. */
  scope: string;
}

/** The `kid` the Identity Domain gives its signing key. */
export const IDENTITY_DOMAIN_SIGNING_KID = "SIGNING_KEY";

/** A refused token request: the HTTP status and the OAuth error code (RFC 6749) with its description. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
  }
}

// The domain publishes its key with its certificate chain (x5c, x5t, x5t#S256), which is what API
// Gateway chokes on and the Azure AD article's JWKS adapter strips.
export function identityDomainPublicJwk(privateKey: KeyObject, kid: string): JWK {
  const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const certPem = selfSignedCertificatePem(privateKeyPem, { commonName: "idcs-emulator signing certificate", validityHours: 24 * 365 });
  const der = Buffer.from(certPem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
  const { n, e } = createPublicKey(privateKey).export({ format: "jwk" }) as { n: string; e: string };
  return {
    kty: "RSA",
    "x5t#S256": createHash("sha256").update(der).digest("base64url"),
    e,
    x5t: createHash("sha1").update(der).digest("base64url"),
    kid,
    x5c: [der.toString("base64")],
    alg: "RS256",
    n,
  };
}

/** What the token issuer needs of its domain. */
export interface IdentityDomainTokenIssuerOptions {
  /** The domain's token-signing key (RSA). */
  signingKey: KeyObject;
  /** `iss` of issued tokens. */
  issuer: string;
  /** Lifetime of issued tokens in seconds. */
  ttl: number;
  /** The registered apps, whose scopes and audiences a token carries. */
  apps: IdentityDomainAppRegistry;
  /** The domain URL (`tenant_iss`), once the domain listens. */
  domainUrl: () => string;
}

/** Issues the domain's RS256 tokens (or, for the test hooks, altered ones). */
export class IdentityDomainTokenIssuer {
  /** The public key the signing-key endpoint serves. */
  readonly signingJwk: JWK;
  private foreignKey: KeyObject | undefined;

  constructor(private readonly options: IdentityDomainTokenIssuerOptions) {
    this.signingJwk = identityDomainPublicJwk(options.signingKey, IDENTITY_DOMAIN_SIGNING_KID);
  }

  // Scope resolution: each requested fully qualified scope must be allowed to the client and be some
  // active resource app's audience + scope value; the token's `aud` lists the resource apps'
  // audiences and its `scope` the short values, which is what DSM and API Gateway match.
  claimsFor(client: IdentityDomainStoredApp, requested: string): JWTPayload {
    const fqsList = requested.split(/\s+/).filter((s) => s.length > 0);
    if (fqsList.length === 0) throw new OAuthError(400, "invalid_scope", "The scope parameter is required for the client_credentials grant.");
    const audiences: string[] = [];
    const values: string[] = [];
    for (const fqs of fqsList) {
      if (!client.allowedScopes.includes(fqs)) {
        throw new OAuthError(400, "invalid_scope", `Invalid scope: ${fqs} is not allowed for this client.`);
      }
      const match = this.options.apps.resolveScope(fqs);
      if (!match) throw new OAuthError(400, "invalid_scope", `Invalid scope: no active resource app defines ${fqs}.`);
      for (const aud of [match.app.audience as string, ...match.app.secondaryAudiences]) if (!audiences.includes(aud)) audiences.push(aud);
      if (!values.includes(match.value)) values.push(match.value);
    }
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.options.issuer,
      sub: client.clientId,
      sub_type: "client",
      tok_type: "AT",
      client_id: client.clientId,
      client_name: client.displayName,
      aud: audiences,
      scope: values.join(" "),
      gtp: "cc",
      tenant_iss: this.options.domainUrl(),
      iat: now,
      exp: now + this.options.ttl,
      jti: randomUUID(),
    };
  }

  /** Signs `claims` as the domain does, altered as `alt` says. */
  async sign(claims: JWTPayload, alt: IdentityTokenAlterations): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = { ...claims };
    if (alt.expiresInSeconds !== undefined) payload.exp = now + alt.expiresInSeconds;
    if (alt.notBeforeInSeconds !== undefined) payload.nbf = now + alt.notBeforeInSeconds;
    for (const [name, value] of Object.entries(alt.claims ?? {})) {
      if (value === null) delete payload[name];
      else payload[name] = value;
    }
    const signWith = alt.signWith ?? "domain";
    const header: Record<string, string> = {
      alg: "RS256",
      typ: "JWT",
      kid: IDENTITY_DOMAIN_SIGNING_KID,
      x5t: String(this.signingJwk.x5t),
      ...alt.header,
    };
    if (signWith === "none") {
      const unsigned = { alg: "none", typ: "JWT", ...alt.header };
      return `${base64url.encode(JSON.stringify(unsigned))}.${base64url.encode(JSON.stringify(payload))}.`;
    }
    if (signWith === "hs256") {
      return new SignJWT(payload).setProtectedHeader({ ...header, alg: "HS256" }).sign(randomBytes(32));
    }
    let key = this.options.signingKey;
    if (signWith === "foreign-key") {
      this.foreignKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
      key = this.foreignKey;
    }
    return new SignJWT(payload).setProtectedHeader({ ...header, alg: "RS256" }).sign(key);
  }
}
