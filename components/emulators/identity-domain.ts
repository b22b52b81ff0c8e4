// An emulated OCI IAM Identity Domain: the three endpoints the EKM chain touches (discovery, signing
// keys, client-credentials token), fed by apps registered with the same fields the identity
// component gives oci.identity.DomainsApp. Used by the tests and by `npm run sandbox`.
//
// Where the real domain's exact wording is not published (error descriptions, the 401 body of the
// signing-key endpoint), the emulator's text is its own; statuses and OAuth error codes follow RFC 6749
// and what Oracle documents of the Identity Domain.
//
// The app registry is in identity-domain-apps.ts, the token issuing in identity-domain-tokens.ts;
// this file holds the emulator: the HTTP endpoints and the test API.
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JSONWebKeySet } from "jose";
import { EmulatorHttpError, EmulatorHttpServer, emulatorAuthScheme, parseEmulatorBasicAuth, readEmulatorFormBody, sendEmulatorJson, type EmulatorTlsOptions } from "./http";
import {
  IdentityDomainAppRegistry,
  type IdentityDomainAppCredentials,
  type IdentityDomainAppInput,
  type IdentityDomainAppView,
} from "./identity-domain-apps";
import { IdentityDomainTokenIssuer, OAuthError, type IdentityTokenAlterations, type IdentityTokenRequest } from "./identity-domain-tokens";

export type { IdentityDomainAppScope, IdentityDomainAppInput, IdentityDomainAppCredentials, IdentityDomainAppView } from "./identity-domain-apps";
export { IDENTITY_DOMAIN_SIGNING_KID, type IdentityTokenAlterations, type IdentityTokenRequest } from "./identity-domain-tokens";

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

/** The issuer of every Identity Domain token. */
export const IDENTITY_DOMAIN_DEFAULT_ISSUER = "https://identity.oraclecloud.com/";
/** Paths the real domain serves, relative to the domain URL. */
export const IDENTITY_DOMAIN_PATHS = {
  discovery: "/.well-known/openid-configuration",
  jwks: "/admin/v1/SigningCert/jwk",
  token: "/oauth2/v1/token",
} as const;

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
  private readonly apps = new IdentityDomainAppRegistry();
  private readonly tokens: IdentityDomainTokenIssuer;
  private publicAccess: boolean;
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
    this.tokens = new IdentityDomainTokenIssuer({ signingKey: privateKey, issuer: this.issuerValue, ttl: this.ttl, apps: this.apps, domainUrl: () => this.url });
    this.server = new EmulatorHttpServer((req, res) => this.handle(req, res), { tls: options.tls, port: options.port });
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
    return { keys: [{ ...this.tokens.signingJwk }] };
  }

  /**
   * Registers an app with the fields given to `oci.identity.DomainsApp` and returns its client ID
   * (`name`) and secret. Refuses a client ID already taken and a resource app without an audience.
   */
  registerApp(app: IdentityDomainAppInput): IdentityDomainAppCredentials {
    return this.apps.registerApp(app);
  }

  /** Changes fields of a registered app, as an update of the DomainsApp would (e.g. `{ active: false }`). */
  updateApp(clientId: string, changes: Partial<IdentityDomainAppInput>): void {
    this.apps.updateApp(clientId, changes);
  }

  /** Deletes an app. */
  removeApp(clientId: string): void {
    this.apps.removeApp(clientId);
  }

  /** A registered app (without its secret), or undefined. */
  getApp(clientId: string): IdentityDomainAppView | undefined {
    return this.apps.getApp(clientId);
  }

  /** Every registered app (without secrets). */
  listApps(): IdentityDomainAppView[] {
    return this.apps.listApps();
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
    const client = this.apps.stored(request.clientId);
    if (!client) throw new Error(`mintToken: no app with client ID ${request.clientId}`);
    try {
      // The token endpoint's checks once the secret is right, so a hook token is one the domain would issue.
      if (!client.isOauthClient || !client.active) throw new OAuthError(401, "invalid_client", "the app is not an active OAuth client.");
      if (!client.allowedGrants.includes("client_credentials")) {
        throw new OAuthError(400, "unauthorized_client", "The client is not authorized for the client_credentials grant.");
      }
      const payload = this.tokens.claimsFor(client, request.scope);
      return await this.tokens.sign(payload, alterations);
    } catch (err) {
      if (err instanceof OAuthError) throw new Error(`mintToken: the domain would refuse: ${err.code}: ${err.message}`);
      throw err;
    }
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
      const client = this.apps.stored(clientId);
      if (!client || !client.isOauthClient || client.clientSecret !== secret) {
        throw new OAuthError(401, "invalid_client", "Client authentication failed.");
      }
      if (!client.active) throw new OAuthError(401, "invalid_client", "Client authentication failed: the application is not active.");
      if (grantType === "") throw new OAuthError(400, "invalid_request", "The grant_type parameter is required.");
      if (grantType !== "client_credentials") throw new OAuthError(400, "unsupported_grant_type", `The grant type ${grantType} is not supported here.`);
      if (!client.allowedGrants.includes(grantType)) {
        throw new OAuthError(400, "unauthorized_client", `The client is not authorized for the ${grantType} grant.`);
      }
      const token = await this.tokens.sign(this.tokens.claimsFor(client, scope), this.issuedAlterations ?? {});
      return { status: 200, body: { access_token: token, token_type: "Bearer", expires_in: this.ttl } };
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      record.error = err.code;
      return { status: err.status, body: { error: err.code, error_description: err.message } };
    }
  }
}
