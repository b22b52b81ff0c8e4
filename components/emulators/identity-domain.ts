// An emulated OCI IAM Identity Domain: the three endpoints the EKM chain touches (discovery, signing
// keys, client-credentials token), fed by apps registered with the same fields the identity
// component gives oci.identity.DomainsApp. Used by the tests and by `npm run sandbox`.
//
// Where the real domain's exact wording is not published (error descriptions, the 401 body of the
// signing-key endpoint), the emulator's text is its own; statuses and OAuth error codes follow RFC 6749
// and what Oracle documents of the Identity Domain.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { SignJWT, base64url, type JWK, type JSONWebKeySet, type JWTPayload } from "jose";
import {
  EmulatorHttpError,
  EmulatorHttpServer,
  emulatorAuthScheme,
  parseEmulatorBasicAuth,
  readEmulatorFormBody,
  sendEmulatorJson,
  type EmulatorTlsOptions,
} from "./http";
import { selfSignedCertificatePem } from "./tls";

/** Options of {@link IdentityDomainEmulator}. */
export interface IdentityDomainEmulatorOptions {
  /**
   * Whether the signing certificate is publicly readable (domain settings → Access signing
   * certificate → Configure client access; `DomainsSetting.signingCertPublicAccess`). Default: false,
   * like a new domain: the JWKS endpoint answers 401.
   */
  signingCertPublicAccess?: boolean;
  /** `iss` of issued tokens and of the discovery document. Default: `https://identity.oraclecloud.com/`. */
  issuer?: string;
  /** Lifetime of issued tokens in seconds. Default: 3600. */
  tokenTtlSeconds?: number;
  /** Serve HTTPS with this certificate and key. Default: plain HTTP on loopback. */
  tls?: EmulatorTlsOptions;
  /**
   * How the discovery document writes `token_endpoint` and `jwks_uri`: paths relative to the domain URL
   * (as the reference describes the Identity Domain) or absolute URLs (as Okta and Azure AD do). Default: `relative`.
   */
  discoveryUrls?: "relative" | "absolute";
  /** Port on 127.0.0.1. Default: a free port. */
  port?: number;
  /** The domain's token-signing key (RSA, PEM). Default: a new 2048-bit key. */
  signingKeyPem?: string;
}

/** A scope a resource app defines (`DomainsApp.scopes[]`). */
export interface IdentityDomainAppScope {
  value: string;
  requiresConsent?: boolean;
  description?: string;
}

/**
 * The fields of `oci.identity.DomainsApp` the emulator interprets; any other field the component
 * passes (`idcsEndpoint`, `schemas`, `basedOnTemplate`, `trustScope` …) is accepted and ignored.
 */
export interface IdentityDomainAppInput {
  /** Display name. */
  displayName: string;
  /** The OAuth client ID (`DomainsApp.name`, an output of the real domain). Default: 32 random hex digits. */
  name?: string;
  /** The client secret (an output of the real domain). Default: a random secret. */
  clientSecret?: string;
  /** Whether the app is activated. Default: true (the component sets `active: true`). */
  active?: boolean;
  /** A resource app: defines an audience and scopes. Default: false. */
  isOauthResource?: boolean;
  /** Primary audience of a resource app, e.g. `https://10.0.1.10/`. */
  audience?: string;
  /** Secondary audiences of a resource app, e.g. [`https://amer.smartkey.io`]. Default: none. */
  secondaryAudiences?: string[];
  /** Scopes a resource app defines, e.g. [{ value: "oci_ekms" }]. Default: none. */
  scopes?: IdentityDomainAppScope[];
  /** An OAuth client (has credentials). Default: false. */
  isOauthClient?: boolean;
  /** `confidential` for both EKM apps. Default: `confidential`. */
  clientType?: string;
  /** Grants the client may use, e.g. [`client_credentials`]. Default: none. */
  allowedGrants?: string[];
  /** Fully qualified scopes the client may request: the resource app's audience followed by the scope value. Default: none. */
  allowedScopes?: { fqs: string }[];
  /** Other DomainsApp fields: accepted, ignored. */
  readonly [otherField: string]: unknown;
}

/** The credentials of a registered app, as the domain's OAuth configuration tab shows them. */
export interface IdentityDomainAppCredentials {
  clientId: string;
  clientSecret: string;
}

/** A registered app as the emulator holds it (without its secret). */
export interface IdentityDomainAppView {
  clientId: string;
  displayName: string;
  active: boolean;
  isOauthResource: boolean;
  audience?: string;
  secondaryAudiences: string[];
  scopes: string[];
  isOauthClient: boolean;
  clientType: string;
  allowedGrants: string[];
  allowedScopes: string[];
}

/** One request the emulated domain answered. Never holds a credential or a token. */
export interface IdentityDomainRequestRecord {
  method: string;
  path: string;
  status: number;
  authScheme: "Basic" | "Bearer" | "none" | "other";
  /** Token requests: the client ID that authenticated (or tried to). */
  clientId?: string;
  grantType?: string;
  scope?: string;
  /** The OAuth error code of a refused token request. */
  error?: string;
}

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

/** The issuer of every Identity Domain token. */
export const IDENTITY_DOMAIN_DEFAULT_ISSUER = "https://identity.oraclecloud.com/";
/** Paths the real domain serves, relative to the domain URL. */
export const IDENTITY_DOMAIN_PATHS = {
  discovery: "/.well-known/openid-configuration",
  jwks: "/admin/v1/SigningCert/jwk",
  token: "/oauth2/v1/token",
} as const;
/** The `kid` the Identity Domain gives its signing key. */
export const IDENTITY_DOMAIN_SIGNING_KID = "SIGNING_KEY";

interface StoredApp extends IdentityDomainAppView {
  clientSecret: string;
}

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
  }
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw new Error(`registerApp: ${field} must be a list of strings`);
  return value as string[];
}

/**
 * An Identity Domain on 127.0.0.1: `GET /.well-known/openid-configuration`,
 * `GET /admin/v1/SigningCert/jwk` (401 until the signing certificate is public) and
 * `POST /oauth2/v1/token` (client credentials, Basic or form client authentication) issuing RS256
 * tokens with `kid` `SIGNING_KEY`, `iss`, `aud` = [primary audience, …secondary audiences],
 * `scope` (the short scope value, e.g. `oci_ekms`), `client_id`, `sub` (= client ID), `iat`, `exp`, `jti`.
 */
export class IdentityDomainEmulator {
  /** Requests answered, oldest first (no credentials, no tokens). */
  readonly requests: IdentityDomainRequestRecord[] = [];
  private readonly server: EmulatorHttpServer;
  private readonly apps = new Map<string, StoredApp>();
  private publicAccess: boolean;
  private readonly signingKey: KeyObject;
  private readonly signingJwk: JWK;
  private foreignKey: KeyObject | undefined;
  private issuedAlterations: IdentityTokenAlterations | undefined;
  private readonly issuerValue: string;
  private readonly ttl: number;
  private readonly discoveryUrls: "relative" | "absolute";

  constructor(options: IdentityDomainEmulatorOptions = {}) {
    this.publicAccess = options.signingCertPublicAccess ?? false;
    this.issuerValue = options.issuer ?? IDENTITY_DOMAIN_DEFAULT_ISSUER;
    this.ttl = options.tokenTtlSeconds ?? 3600;
    this.discoveryUrls = options.discoveryUrls ?? "relative";
    const privateKey = options.signingKeyPem !== undefined ? createPrivateKey(options.signingKeyPem) : generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    this.signingKey = privateKey;
    this.signingJwk = IdentityDomainEmulator.publicJwk(privateKey, IDENTITY_DOMAIN_SIGNING_KID);
    this.server = new EmulatorHttpServer((req, res) => this.handle(req, res), { tls: options.tls, port: options.port });
  }

  // The domain publishes its key with its certificate chain (x5c, x5t, x5t#S256), which is what API
  // Gateway chokes on and the Azure AD article's JWKS adapter strips.
  private static publicJwk(privateKey: KeyObject, kid: string): JWK {
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

  /** Starts listening on 127.0.0.1; resolves with {@link url}. */
  async start(): Promise<string> {
    return this.server.start();
  }

  /** Stops listening and closes open connections. */
  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** The domain URL, e.g. `http://127.0.0.1:40123` (no trailing slash), as `oci.identity.getDomain` gives `url`. */
  get url(): string {
    return this.server.url;
  }

  /** The `iss` of issued tokens. */
  get issuer(): string {
    return this.issuerValue;
  }

  /** Absolute JWKS URL: what DSM's JWT app fetches (`<url>/admin/v1/SigningCert/jwk`). */
  get jwksUri(): string {
    return this.url + IDENTITY_DOMAIN_PATHS.jwks;
  }

  /** Absolute token endpoint URL (`<url>/oauth2/v1/token`). */
  get tokenEndpoint(): string {
    return this.url + IDENTITY_DOMAIN_PATHS.token;
  }

  /** Whether the JWKS endpoint is public (see {@link setSigningCertPublicAccess}). */
  get signingCertPublicAccess(): boolean {
    return this.publicAccess;
  }

  /** What `DomainsSetting.signingCertPublicAccess` does: open (true) or close (false) the JWKS endpoint. */
  setSigningCertPublicAccess(value: boolean): void {
    this.publicAccess = value;
  }

  /** The JWKS the signing-key endpoint serves once public. */
  get jwks(): JSONWebKeySet {
    return { keys: [{ ...this.signingJwk }] };
  }

  /**
   * Registers an app with the fields given to `oci.identity.DomainsApp` and returns its client ID
   * (`name`) and secret. Refuses a client ID already taken and a resource app without an audience.
   */
  registerApp(app: IdentityDomainAppInput): IdentityDomainAppCredentials {
    if (typeof app.displayName !== "string" || app.displayName === "") throw new Error("registerApp: displayName is required");
    const clientId = app.name ?? randomBytes(16).toString("hex");
    if (this.apps.has(clientId)) throw new Error(`registerApp: an app with client ID ${clientId} already exists`);
    const stored = this.normalise(clientId, app.clientSecret ?? randomBytes(24).toString("base64url"), app);
    this.apps.set(clientId, stored);
    return { clientId, clientSecret: stored.clientSecret };
  }

  /** Changes fields of a registered app, as an update of the DomainsApp would (e.g. `{ active: false }`). */
  updateApp(clientId: string, changes: Partial<IdentityDomainAppInput>): void {
    const current = this.apps.get(clientId);
    if (!current) throw new Error(`updateApp: no app with client ID ${clientId}`);
    const merged: IdentityDomainAppInput = {
      displayName: current.displayName,
      active: current.active,
      isOauthResource: current.isOauthResource,
      audience: current.audience,
      secondaryAudiences: current.secondaryAudiences,
      scopes: current.scopes.map((value) => ({ value })),
      isOauthClient: current.isOauthClient,
      clientType: current.clientType,
      allowedGrants: current.allowedGrants,
      allowedScopes: current.allowedScopes.map((fqs) => ({ fqs })),
      ...changes,
    };
    this.apps.set(clientId, this.normalise(clientId, changes.clientSecret ?? current.clientSecret, merged));
  }

  /** Deletes an app. */
  removeApp(clientId: string): void {
    if (!this.apps.delete(clientId)) throw new Error(`removeApp: no app with client ID ${clientId}`);
  }

  /** A registered app (without its secret), or undefined. */
  getApp(clientId: string): IdentityDomainAppView | undefined {
    const app = this.apps.get(clientId);
    if (!app) return undefined;
    const { clientSecret: _secret, ...view } = app;
    return view;
  }

  /** Every registered app (without secrets). */
  listApps(): IdentityDomainAppView[] {
    return [...this.apps.keys()].map((id) => this.getApp(id) as IdentityDomainAppView);
  }

  private normalise(clientId: string, clientSecret: string, app: IdentityDomainAppInput): StoredApp {
    const isOauthResource = app.isOauthResource === true;
    if (isOauthResource && (typeof app.audience !== "string" || app.audience === "")) {
      throw new Error("registerApp: a resource app (isOauthResource) needs an audience");
    }
    const scopes = (app.scopes ?? []).map((s, i) => {
      if (typeof s?.value !== "string" || s.value === "") throw new Error(`registerApp: scopes[${i}].value is required`);
      return s.value;
    });
    const allowedScopes = (app.allowedScopes ?? []).map((s, i) => {
      if (typeof s?.fqs !== "string" || s.fqs === "") throw new Error(`registerApp: allowedScopes[${i}].fqs is required`);
      return s.fqs;
    });
    return {
      clientId,
      clientSecret,
      displayName: app.displayName,
      active: app.active ?? true,
      isOauthResource,
      ...(typeof app.audience === "string" ? { audience: app.audience } : {}),
      secondaryAudiences: stringList(app.secondaryAudiences, "secondaryAudiences"),
      scopes,
      isOauthClient: app.isOauthClient === true,
      clientType: app.clientType ?? "confidential",
      allowedGrants: stringList(app.allowedGrants, "allowedGrants"),
      allowedScopes,
    };
  }

  /**
   * TEST HOOK (the real domain has no such thing): makes the token endpoint issue altered tokens
   * (expired, signed by a foreign key, unsigned, other claims) until called again with `undefined`.
   * Client authentication and scope checks still run first, so only the token itself differs.
   */
  alterIssuedTokens(alterations: IdentityTokenAlterations | undefined): void {
    this.issuedAlterations = alterations;
  }

  /**
   * TEST HOOK (the real domain has no such thing): mints the token the domain would issue to
   * `request.clientId` for `request.scope`, altered as `alterations` says, without HTTP and without
   * the client secret. Throws an error naming the OAuth error code when the domain would refuse the
   * request (unknown client, not an active OAuth client, client credentials not allowed, scope not allowed).
   */
  async mintToken(request: IdentityTokenRequest, alterations: IdentityTokenAlterations = {}): Promise<string> {
    const client = this.apps.get(request.clientId);
    if (!client) throw new Error(`mintToken: no app with client ID ${request.clientId}`);
    try {
      // The token endpoint's checks once the secret is right, so a hook token is one the domain would issue.
      if (!client.isOauthClient || !client.active) throw new OAuthError(401, "invalid_client", "the app is not an active OAuth client.");
      if (!client.allowedGrants.includes("client_credentials")) {
        throw new OAuthError(400, "unauthorized_client", "The client is not authorized for the client_credentials grant.");
      }
      const payload = this.claimsFor(client, request.scope);
      return await this.sign(payload, alterations);
    } catch (err) {
      if (err instanceof OAuthError) throw new Error(`mintToken: the domain would refuse: ${err.code}: ${err.message}`);
      throw err;
    }
  }

  // Scope resolution: each requested fully qualified scope must be allowed to the client and be some
  // active resource app's audience + scope value; the token's `aud` lists the resource apps'
  // audiences and its `scope` the short values, which is what DSM and API Gateway match.
  private claimsFor(client: StoredApp, requested: string): JWTPayload {
    const fqsList = requested.split(/\s+/).filter((s) => s.length > 0);
    if (fqsList.length === 0) throw new OAuthError(400, "invalid_scope", "The scope parameter is required for the client_credentials grant.");
    const audiences: string[] = [];
    const values: string[] = [];
    for (const fqs of fqsList) {
      if (!client.allowedScopes.includes(fqs)) {
        throw new OAuthError(400, "invalid_scope", `Invalid scope: ${fqs} is not allowed for this client.`);
      }
      const match = this.resolveScope(fqs);
      if (!match) throw new OAuthError(400, "invalid_scope", `Invalid scope: no active resource app defines ${fqs}.`);
      for (const aud of [match.app.audience as string, ...match.app.secondaryAudiences]) if (!audiences.includes(aud)) audiences.push(aud);
      if (!values.includes(match.value)) values.push(match.value);
    }
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.issuerValue,
      sub: client.clientId,
      sub_type: "client",
      tok_type: "AT",
      client_id: client.clientId,
      client_name: client.displayName,
      aud: audiences,
      scope: values.join(" "),
      gtp: "cc",
      tenant_iss: this.url,
      iat: now,
      exp: now + this.ttl,
      jti: randomUUID(),
    };
  }

  private resolveScope(fqs: string): { app: StoredApp; value: string } | undefined {
    for (const app of this.apps.values()) {
      if (!app.isOauthResource || !app.active || !app.audience) continue;
      if (!fqs.startsWith(app.audience)) continue;
      const value = fqs.slice(app.audience.length);
      if (app.scopes.includes(value)) return { app, value };
    }
    return undefined;
  }

  private async sign(claims: JWTPayload, alt: IdentityTokenAlterations): Promise<string> {
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
    let key = this.signingKey;
    if (signWith === "foreign-key") {
      this.foreignKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
      key = this.foreignKey;
    }
    return new SignJWT(payload).setProtectedHeader({ ...header, alg: "RS256" }).sign(key);
  }

  private discoveryDocument(): Record<string, unknown> {
    const at = (path: string): string => (this.discoveryUrls === "absolute" ? this.url + path : path);
    return {
      issuer: this.issuerValue,
      authorization_endpoint: at("/oauth2/v1/authorize"),
      token_endpoint: at(IDENTITY_DOMAIN_PATHS.token),
      userinfo_endpoint: at("/oauth2/v1/userinfo"),
      revocation_endpoint: at("/oauth2/v1/revoke"),
      introspection_endpoint: at("/oauth2/v1/introspect"),
      end_session_endpoint: at("/oauth2/v1/userlogout"),
      jwks_uri: at(IDENTITY_DOMAIN_PATHS.jwks),
      scopes_supported: ["openid", "profile", "offline_access", "email", "address", "phone", "groups", "get_groups", "approles", "get_approles"],
      response_types_supported: ["code", "token", "id_token", "code token", "code id_token", "id_token token", "code id_token token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      grant_types_supported: [
        "client_credentials",
        "password",
        "refresh_token",
        "authorization_code",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:device_code",
      ],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt", "client_secret_jwt"],
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const path = new URL(req.url ?? "/", "http://domain.invalid").pathname;
    const record: IdentityDomainRequestRecord = { method, path, status: 0, authScheme: emulatorAuthScheme(req.headers.authorization) };
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      this.requests.push(record);
      sendEmulatorJson(res, status, body, headers);
    };
    try {
      if (path === IDENTITY_DOMAIN_PATHS.discovery && method === "GET") return reply(200, this.discoveryDocument());
      if (path === IDENTITY_DOMAIN_PATHS.jwks && method === "GET") {
        if (!this.publicAccess) {
          // What a domain answers before "Configure client access" is enabled for the signing certificate.
          return reply(401, {
            schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
            detail: "This operation is not permitted. You do not have the authorization to perform this request.",
            status: "401",
          });
        }
        return reply(200, this.jwks);
      }
      if (path === IDENTITY_DOMAIN_PATHS.token) {
        if (method !== "POST") return reply(405, { error: "invalid_request", error_description: "Use POST." }, { allow: "POST" });
        const { status, body } = await this.tokenRequest(req, record);
        const headers = { "cache-control": "no-store", pragma: "no-cache" };
        return reply(status, body, status === 401 ? { ...headers, "www-authenticate": 'Basic realm="oauth"' } : headers);
      }
      return reply(404, { schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], detail: `No resource at ${path}.`, status: "404" });
    } catch (err) {
      if (err instanceof EmulatorHttpError) return reply(err.status, { error: "invalid_request", error_description: err.message });
      throw err;
    }
  }

  private async tokenRequest(req: IncomingMessage, record: IdentityDomainRequestRecord): Promise<{ status: number; body: unknown }> {
    const form = await readEmulatorFormBody(req);
    const grantType = form.get("grant_type") ?? "";
    const scope = form.get("scope") ?? "";
    record.grantType = grantType;
    record.scope = scope;
    const basic = parseEmulatorBasicAuth(req.headers.authorization);
    const clientId = basic?.user ?? form.get("client_id") ?? undefined;
    const secret = basic?.password ?? form.get("client_secret") ?? undefined;
    record.clientId = clientId;
    try {
      if (!clientId || secret === undefined) throw new OAuthError(401, "invalid_client", "Client authentication failed: no client credentials.");
      const client = this.apps.get(clientId);
      if (!client || !client.isOauthClient || client.clientSecret !== secret) {
        throw new OAuthError(401, "invalid_client", "Client authentication failed.");
      }
      if (!client.active) throw new OAuthError(401, "invalid_client", "Client authentication failed: the application is not active.");
      if (grantType === "") throw new OAuthError(400, "invalid_request", "The grant_type parameter is required.");
      if (grantType !== "client_credentials") throw new OAuthError(400, "unsupported_grant_type", `The grant type ${grantType} is not supported here.`);
      if (!client.allowedGrants.includes(grantType)) {
        throw new OAuthError(400, "unauthorized_client", `The client is not authorized for the ${grantType} grant.`);
      }
      const token = await this.sign(this.claimsFor(client, scope), this.issuedAlterations ?? {});
      return { status: 200, body: { access_token: token, token_type: "Bearer", expires_in: this.ttl } };
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      record.error = err.code;
      return { status: err.status, body: { error: err.code, error_description: err.message } };
    }
  }
}
