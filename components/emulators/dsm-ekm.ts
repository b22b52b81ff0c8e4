// The OCI External Key Manager endpoints of the DSM emulator: what OCI Vault calls, through the API
// Gateway, under https://<dsm>/oci/ekm/v1/vaults/<account id>. Every call carries an Identity Domain
// JWT that is checked as DSM does (seed 000 section 6); each failed check answers with a message that
// names it, because the sandbox and `verify` show these messages to the user.
import { createPublicKey, type KeyObject } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK, type JWTPayload } from "jose";
import type { DsmEmulatorApp, DsmEmulatorEkmStore, DsmEmulatorPermission, DsmEmulatorReply, DsmEmulatorSobject } from "./dsm";
import { DSM_EMULATOR_UNCONFIRMED } from "./dsm";
import { emulatorHttpGet, parseEmulatorBearerAuth } from "./http";

/** One EKM request as the emulator's dispatcher hands it over. */
export interface DsmEkmRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
}

class EkmError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface CachedJwks {
  keys: JWK[];
  fetchedAt: number;
}

type EkmOperation = "ENCRYPT" | "DECRYPT";

/**
 * The EKM surface of {@link DsmEmulator} (it constructs one; it is exported for its types and for
 * the vault path helpers). Routes, under `/oci/ekm/v1/vaults/<accountId>`:
 * `GET metadata`, `GET keys/{keyName}/metadata`, `GET keys/{keyName}/keyVersions/{kid}/metadata`,
 * `POST keys/{keyName}/encrypt`, `POST keys/{keyName}/decrypt`. `keyId` is the security object's name and
 * `keyVersionId` its kid; older versions are found through `links.replaced`.
 */
export class DsmEkmEndpoints {
  private readonly jwksCache = new Map<string, CachedJwks>();

  constructor(private readonly store: DsmEmulatorEkmStore) {}

  /** Forgets every fetched JWKS. */
  clearJwksCache(): void {
    this.jwksCache.clear();
  }

  /** Oracle's error body `{"code","message"}` for a status. */
  errorReply(status: number, message: string, headers: Record<string, string> = {}): DsmEmulatorReply {
    return { status, headers, json: { code: DSM_EMULATOR_UNCONFIRMED.ekmErrorCodes[status] ?? "InternalServerError", message } };
  }

  /** Serves one EKM request (never throws for a client error: it becomes an Oracle error body). */
  async handle(req: DsmEkmRequest): Promise<DsmEmulatorReply> {
    const requestId = req.headers["opc-request-id"];
    const echo: Record<string, string> = typeof requestId === "string" ? { "opc-request-id": requestId } : {};
    try {
      const reply = await this.route(req);
      return { ...reply, headers: { ...(reply.headers ?? {}), ...echo } };
    } catch (err) {
      if (err instanceof EkmError) return this.errorReply(err.status, err.message, echo);
      throw err;
    }
  }

  private async route(req: DsmEkmRequest): Promise<DsmEmulatorReply> {
    const match = /^\/oci\/ekm\/v1\/vaults\/([^/]+)(\/.*)$/.exec(req.path);
    if (!match) throw new EkmError(404, `no such endpoint: ${req.method} ${req.path}`);
    const vaultId = decodeURIComponent(match[1]);
    const rest = match[2];
    let m: RegExpExecArray | null;
    type Route = { method: string; run: () => Promise<DsmEmulatorReply> };
    let route: Route | undefined;
    if (rest === "/metadata") {
      route = { method: "GET", run: async () => this.vaultMetadata() };
    } else if ((m = /^\/keys\/([^/]+)\/metadata$/.exec(rest))) {
      const keyName = decodeURIComponent(m[1]);
      route = { method: "GET", run: async () => this.keyMetadata(await this.authenticate(req), keyName) };
    } else if ((m = /^\/keys\/([^/]+)\/keyVersions\/([^/]+)\/metadata$/.exec(rest))) {
      const keyName = decodeURIComponent(m[1]);
      const version = decodeURIComponent(m[2]);
      route = { method: "GET", run: async () => this.keyVersionMetadata(await this.authenticate(req), keyName, version) };
    } else if ((m = /^\/keys\/([^/]+)\/(encrypt|decrypt)$/.exec(rest))) {
      const keyName = decodeURIComponent(m[1]);
      const op = m[2];
      route = {
        method: "POST",
        run: async () => {
          const app = await this.authenticate(req);
          return op === "encrypt" ? this.encrypt(app, keyName, req.body) : this.decrypt(app, keyName, req.body);
        },
      };
    }
    if (!route) throw new EkmError(404, `no such endpoint: ${req.method} ${req.path}`);
    if (req.method !== route.method) throw new EkmError(405, `method ${req.method} not allowed on ${req.path}`);
    if (vaultId.toLowerCase() !== this.store.accountId) {
      throw new EkmError(404, `vault ${vaultId} does not exist: the vault id is the DSM account id (${this.store.accountId})`);
    }
    if (rest === "/metadata") await this.authenticate(req);
    return route.run();
  }

  // ============================================================================================
  // Token checks, in DSM's order: app, signature, iss, aud, scope, exp/nbf
  // ============================================================================================

  private async authenticate(req: DsmEkmRequest): Promise<DsmEmulatorApp> {
    const rawHeader = req.headers.authorization;
    const token = parseEmulatorBearerAuth(Array.isArray(rawHeader) ? rawHeader[0] : rawHeader);
    if (!token) throw new EkmError(401, "missing bearer token: send Authorization: Bearer <Identity Domain access token>");
    let header: { alg?: string; kid?: string };
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      throw new EkmError(401, "the bearer token is not a JWT");
    }
    if (header.alg !== "RS256") {
      throw new EkmError(401, `token alg ${JSON.stringify(header.alg ?? null)} is not accepted: DSM requires RS256-signed tokens`);
    }

    const app = this.findApp(claims);
    const jwt = app.credential?.signedjwt;
    if (app.auth_type !== "SignedJwt" || !jwt) {
      throw new EkmError(401, `DSM app "${app.name}" is not a JSON Web Token app (auth_type ${app.auth_type})`);
    }
    if (!app.enabled) throw new EkmError(401, `DSM app "${app.name}" is disabled`);

    const key = await this.signingKey(app, header.kid);
    try {
      await compactVerify(token, key, { algorithms: ["RS256"] });
    } catch {
      throw new EkmError(401, `token signature verification failed: not signed by the key ${JSON.stringify(header.kid ?? null)} of DSM app "${app.name}"'s signing keys`);
    }

    if (typeof claims.iss !== "string" || !jwt.valid_issuers.includes(claims.iss)) {
      throw new EkmError(
        401,
        `token issuer ${JSON.stringify(claims.iss ?? null)} is not among DSM app "${app.name}"'s valid issuers ${JSON.stringify(jwt.valid_issuers)}`,
      );
    }

    const audiences = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const norm = (u: string): string => (DSM_EMULATOR_UNCONFIRMED.audienceIgnoresTrailingSlash ? u.replace(/\/$/, "") : u);
    if (!audiences.some((a) => norm(a) === norm(this.store.publicUrl))) {
      throw new EkmError(
        401,
        `token audience ${JSON.stringify(audiences)} does not contain the DSM URL ${this.store.publicUrl} (make it the resource app's secondary audience)`,
      );
    }

    const scope = typeof claims.scope === "string" ? claims.scope : "";
    if (!scope.split(/\s+/).includes(DSM_EMULATOR_UNCONFIRMED.ekmScope)) {
      throw new EkmError(401, `token scope ${JSON.stringify(scope)} does not contain ${DSM_EMULATOR_UNCONFIRMED.ekmScope}`);
    }

    const now = this.store.now() / 1000;
    const skew = DSM_EMULATOR_UNCONFIRMED.tokenClockSkewSeconds;
    if (typeof claims.exp !== "number") throw new EkmError(401, "token has no exp claim");
    if (claims.exp + skew <= now) throw new EkmError(401, `token expired at ${new Date(claims.exp * 1000).toISOString()}`);
    if (typeof claims.nbf === "number" && claims.nbf - skew > now) {
      throw new EkmError(401, `token not valid before ${new Date(claims.nbf * 1000).toISOString()}`);
    }
    return app;
  }

  private findApp(claims: JWTPayload): DsmEmulatorApp {
    // The first claim present decides (client_id, else sub): a token naming another client is not
    // rescued by its sub.
    for (const claim of DSM_EMULATOR_UNCONFIRMED.jwtAppClaims) {
      const value = claims[claim];
      if (typeof value !== "string" || value === "") continue;
      const app = this.store.appByName(value);
      if (app) return app;
      throw new EkmError(401, `no DSM app is named after the token's ${claim} ${JSON.stringify(value)}: name the JWT app after the OCI client app's client ID`);
    }
    throw new EkmError(401, `token has no ${DSM_EMULATOR_UNCONFIRMED.jwtAppClaims.join(" or ")} claim to find the DSM app by`);
  }

  private async signingKey(app: DsmEmulatorApp, kid: string | undefined): Promise<KeyObject | Awaited<ReturnType<typeof importJWK>>> {
    const signing = app.credential!.signedjwt.signing_keys;
    if (signing.kind === "stored") {
      const entries = Object.entries(signing.keys);
      const der = kid !== undefined ? signing.keys[kid] : entries.length === 1 ? entries[0][1] : undefined;
      if (der === undefined) {
        throw new EkmError(401, `no signing key with kid ${JSON.stringify(kid ?? null)} among DSM app "${app.name}"'s stored keys`);
      }
      return createPublicKey({ key: Buffer.from(der, "base64"), format: "der", type: "spki" });
    }
    const cacheSeconds = signing.cache_duration ?? DSM_EMULATOR_UNCONFIRMED.defaultJwksCacheSeconds;
    const cached = this.jwksCache.get(signing.url);
    const fresh = cached && this.store.now() - cached.fetchedAt < cacheSeconds * 1000 ? cached : undefined;
    const pick = (keys: JWK[]): JWK | undefined =>
      kid !== undefined ? keys.find((k) => k.kid === kid) : keys.length === 1 ? keys[0] : undefined;
    let jwk = fresh ? pick(fresh.keys) : undefined;
    if (!jwk) {
      // An unknown kid may be a key the issuer rotated in since the last fetch: fetch again once.
      const keys = await this.fetchJwks(app, signing.url);
      jwk = pick(keys);
    }
    if (!jwk) throw new EkmError(401, `no signing key with kid ${JSON.stringify(kid ?? null)} in the JWKS at ${signing.url}`);
    try {
      return await importJWK({ ...jwk, alg: "RS256" }, "RS256");
    } catch (err) {
      throw new EkmError(401, `signing key ${JSON.stringify(kid ?? null)} at ${signing.url} is not a usable RS256 key: ${(err as Error).message}`);
    }
  }

  private async fetchJwks(app: DsmEmulatorApp, url: string): Promise<JWK[]> {
    let res;
    try {
      res = await emulatorHttpGet(url, { ca: this.store.trustedCa, headers: { accept: "application/json" } });
    } catch (err) {
      throw new EkmError(401, `cannot fetch DSM app "${app.name}"'s signing keys from ${url}: ${(err as Error).message}`);
    }
    if (res.status === 401 || res.status === 403) {
      throw new EkmError(
        401,
        `cannot fetch DSM app "${app.name}"'s signing keys from ${url}: HTTP ${res.status} (is the identity domain's signing certificate publicly accessible?)`,
      );
    }
    if (res.status !== 200) throw new EkmError(401, `cannot fetch DSM app "${app.name}"'s signing keys from ${url}: HTTP ${res.status}`);
    let keys: unknown;
    try {
      keys = (JSON.parse(res.body) as { keys?: unknown }).keys;
    } catch {
      keys = undefined;
    }
    if (!Array.isArray(keys)) throw new EkmError(401, `the signing keys URL ${url} did not return a JWKS ({"keys":[…]})`);
    this.jwksCache.set(url, { keys: keys as JWK[], fetchedAt: this.store.now() });
    return keys as JWK[];
  }

  // ============================================================================================
  // Keys
  // ============================================================================================

  private vaultMetadata(): DsmEmulatorReply {
    return { status: 200, json: { state: "ACTIVE", vendor: this.store.vendor } };
  }

  private key(keyName: string): DsmEmulatorSobject {
    const sobject = this.store.sobjectByName(keyName);
    if (!sobject) throw new EkmError(404, `key "${keyName}" does not exist: no security object of that name in the DSM account`);
    return sobject;
  }

  /** The current version and every version it replaced, newest first. */
  private versions(current: DsmEmulatorSobject): DsmEmulatorSobject[] {
    const chain = [current];
    const seen = new Set([current.kid]);
    let replaced = current.links?.replaced;
    while (replaced !== undefined && !seen.has(replaced)) {
      const older = this.store.sobjectByKid(replaced);
      if (!older) break;
      chain.push(older);
      seen.add(older.kid);
      replaced = older.links?.replaced;
    }
    return chain;
  }

  private version(keyName: string, current: DsmEmulatorSobject, versionId: string): DsmEmulatorSobject {
    const found = this.versions(current).find((v) => v.kid === versionId);
    if (!found) throw new EkmError(404, `key version ${versionId} of key "${keyName}" does not exist`);
    return found;
  }

  private requireAccess(app: DsmEmulatorApp, keyName: string, sobject: DsmEmulatorSobject, op?: EkmOperation): void {
    const perms: DsmEmulatorPermission[] | undefined = app.groups[sobject.group_id];
    if (!perms) throw new EkmError(403, `DSM app "${app.name}" is not in group ${sobject.group_id} of key "${keyName}"`);
    if (op && !perms.includes(op)) {
      throw new EkmError(403, `DSM app "${app.name}" lacks ${op} permission on group ${sobject.group_id} of key "${keyName}"`);
    }
  }

  private requireUsable(keyName: string, sobject: DsmEmulatorSobject, op: EkmOperation): void {
    const label = `key "${keyName}" (version ${sobject.kid})`;
    if (!sobject.enabled) throw new EkmError(403, `${label} is disabled`);
    if (sobject.state !== "Active") throw new EkmError(403, `${label} is ${sobject.state}, not Active`);
    if (!sobject.key_ops.includes(op)) throw new EkmError(403, `${label} does not permit ${op} (key_ops ${JSON.stringify(sobject.key_ops)})`);
    if (sobject.obj_type !== "AES") throw new EkmError(400, `${label} is ${sobject.obj_type}, not AES`);
  }

  private stateOf(sobject: DsmEmulatorSobject): string {
    const states = DSM_EMULATOR_UNCONFIRMED.ekmKeyStates;
    return sobject.enabled && sobject.state === "Active" ? states.usable : states.unusable;
  }

  private keyMetadata(app: DsmEmulatorApp, keyName: string): DsmEmulatorReply {
    const sobject = this.key(keyName);
    this.requireAccess(app, keyName, sobject);
    return {
      status: 200,
      json: {
        keyId: sobject.name,
        currentKeyVersionId: sobject.kid,
        keyShape: { algorithm: sobject.obj_type, length: sobject.key_size },
        state: this.stateOf(sobject),
        keyOps: (["ENCRYPT", "DECRYPT"] as const).filter((op) => sobject.key_ops.includes(op)),
      },
    };
  }

  private keyVersionMetadata(app: DsmEmulatorApp, keyName: string, versionId: string): DsmEmulatorReply {
    const current = this.key(keyName);
    const version = this.version(keyName, current, versionId);
    this.requireAccess(app, keyName, version);
    return { status: 200, json: { keyId: current.name, keyVersionId: version.kid, state: this.stateOf(version) } };
  }

  private encrypt(app: DsmEmulatorApp, keyName: string, rawBody: unknown): DsmEmulatorReply {
    const current = this.key(keyName);
    const body = bodyObject(rawBody);
    const plaintext = base64(body, "plaintext", true) as Buffer;
    const aad = base64(body, "aad", false);
    const versionId = stringField(body, "keyVersionId");
    const version = versionId === undefined ? current : this.version(keyName, current, versionId);
    this.requireAccess(app, keyName, version, "ENCRYPT");
    this.requireUsable(keyName, version, "ENCRYPT");
    const { cipher, iv, tag } = this.store.encrypt(version.kid, plaintext, aad);
    return {
      status: 200,
      json: {
        keyId: current.name,
        keyVersionId: version.kid,
        ciphertext: cipher.toString("base64"),
        iv: iv.toString("base64"),
        tag: tag.toString("base64"),
      },
    };
  }

  private decrypt(app: DsmEmulatorApp, keyName: string, rawBody: unknown): DsmEmulatorReply {
    const current = this.key(keyName);
    const body = bodyObject(rawBody);
    const ciphertext = base64(body, "ciphertext", true) as Buffer;
    const iv = base64(body, "iv", true) as Buffer;
    const tag = base64(body, "tag", true) as Buffer;
    const aad = base64(body, "aad", false);
    const versionId = stringField(body, "keyVersionId");
    if (versionId === undefined) throw new EkmError(400, "missing required field: keyVersionId");
    if (iv.length !== 12) throw new EkmError(400, `iv must be 12 bytes (base64), got ${iv.length}`);
    if (tag.length !== 16) throw new EkmError(400, `tag must be 16 bytes (base64), got ${tag.length}`);
    const version = this.version(keyName, current, versionId);
    this.requireAccess(app, keyName, version, "DECRYPT");
    this.requireUsable(keyName, version, "DECRYPT");
    let plaintext: Buffer;
    try {
      plaintext = this.store.decrypt(version.kid, ciphertext, iv, tag, aad);
    } catch {
      throw new EkmError(400, `decryption failed: the authentication tag does not match (ciphertext, iv, tag, aad or key version ${version.kid})`);
    }
    return { status: 200, json: { keyId: current.name, keyVersionId: version.kid, plaintext: plaintext.toString("base64") } };
  }
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new EkmError(400, "request body must be a JSON object");
  return body as Record<string, unknown>;
}

function stringField(o: Record<string, unknown>, field: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v === "") throw new EkmError(400, `${field} must be a non-empty string`);
  return v;
}

function base64(o: Record<string, unknown>, field: string, required: boolean): Buffer | undefined {
  const v = stringField(o, field);
  if (v === undefined) {
    if (required) throw new EkmError(400, `missing required field: ${field}`);
    return undefined;
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw new EkmError(400, `${field} must be base64`);
  return Buffer.from(v, "base64");
}
