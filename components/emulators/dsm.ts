// In-memory Fortanix DSM, answering as Fortanix's OpenAPI document ("Fortanix DSM REST API"
// 0.1.0-20260710) describes the operations this project uses,
// plus the OCI External Key Manager endpoints. This file holds the server, the dispatch and the test
// API. The rest, each readable beside its section of the document:
//   dsm-routes       the route table (operationId → module)    dsm-state        store, records, errors
//   dsm-sessions     Authenticate, SelectAccount, Terminate     dsm-request      body and query checks, paging
//   dsm-groups       Groups                                     dsm-apps         Apps and their credential
//   dsm-sobjects     Keys (create, info, list, patch, rekey…)   dsm-crypto       AES-GCM, Encrypt, Decrypt
//   dsm-ekm(-auth)   Oracle's External KMS vendor API           dsm-faults       fault injection
//   dsm-types        public types                              dsm-unconfirmed  every choice the sources leave open
// Library code: the tests and `npm run sandbox` both run it.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createApp, createSecretApp } from "./dsm-apps";
import { DsmEkmEndpoints } from "./dsm-ekm";
import { DsmFaults, faultMessage, type PendingFault } from "./dsm-faults";
import { createGroup } from "./dsm-groups";
import { findRoute, recordedAnswer, withExtraFields } from "./dsm-routes";
import { callerOf, requireAccount } from "./dsm-sessions";
import { createSobject, rekey } from "./dsm-sobjects";
import { clone, DsmError, type DsmEmulatorReply, DsmState, type RouteContext, UUID } from "./dsm-state";
import type {
  DsmEmulatorApi,
  DsmEmulatorApp,
  DsmEmulatorAppCredential,
  DsmEmulatorCounters,
  DsmEmulatorEkmVaultState,
  DsmEmulatorFault,
  DsmEmulatorGroup,
  DsmEmulatorOptions,
  DsmEmulatorPermission,
  DsmEmulatorRequest,
  DsmEmulatorSobject,
} from "./dsm-types";
import { DSM_EMULATOR_UNCONFIRMED } from "./dsm-unconfirmed";
import { EmulatorHttpError, EmulatorHttpServer, emulatorAuthScheme, parseEmulatorJsonBody, readEmulatorRequestBody, sendEmulatorEmpty, sendEmulatorJson, sendEmulatorText } from "./http";

export * from "./dsm-types";
export { DSM_EMULATOR_UNCONFIRMED } from "./dsm-unconfirmed";
export type { DsmEmulatorReply } from "./dsm-state";

const EMULATOR = { kind: "emulator" } as const;

/**
 * An in-memory Fortanix DSM on 127.0.0.1 (HTTP, or HTTPS with `tls`): sessions, groups, apps (with
 * their credential endpoint) and security objects as the OpenAPI document describes them, fault
 * injection, a request log with every answer, and the OCI EKM endpoints under
 * `/oci/ekm/v1/vaults/<accountId>`.
 *
 * ```ts
 * const dsm = new DsmEmulator();
 * await dsm.start();
 * const apiKey = dsm.createApiKey({ role: "admin" });   // DSM_ENDPOINT=dsm.url, DSM_API_KEY=apiKey
 * dsm.injectFault({ path: "/crypto/v1/keys", kind: "status", status: 429, retryAfterSeconds: 1, times: 2 });
 * …
 * await dsm.stop();
 * ```
 */
export class DsmEmulator {
  /** Account UUID: `acct_id` of every object and the vault id of the EKM endpoints. */
  readonly accountId: string;
  /** Every request received, oldest first, with its answer (see {@link clearRequests}). */
  readonly requests: DsmEmulatorRequest[] = [];

  private readonly server: EmulatorHttpServer;
  private readonly options: DsmEmulatorOptions;
  private readonly state: DsmState;
  private readonly faults = new DsmFaults();
  private readonly ekm: DsmEkmEndpoints;
  private apiKeyCounter = 0;

  constructor(options: DsmEmulatorOptions = {}) {
    if (options.accountId !== undefined && !UUID.test(options.accountId)) throw new Error(`DsmEmulator accountId must be a UUID, got "${options.accountId}"`);
    if (options.sessionTtlSeconds !== undefined && !(options.sessionTtlSeconds > 0)) {
      throw new Error(`DsmEmulator sessionTtlSeconds must be positive, got ${options.sessionTtlSeconds}`);
    }
    for (const field of ["deletedSobjectVisibleMs", "accountSelectionDelayMs"] as const) {
      const v = options[field];
      if (v !== undefined && !(v >= 0)) throw new Error(`DsmEmulator ${field} must be zero or positive, got ${v}`);
    }
    this.options = options;
    this.accountId = (options.accountId ?? randomUUID()).toLowerCase();
    this.state = new DsmState(this.accountId, options);
    this.server = new EmulatorHttpServer((req, res) => this.handle(req, res), { tls: options.tls });
    this.ekm = new DsmEkmEndpoints(this.state, () => this.publicUrl);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Starts listening on 127.0.0.1 (random port); resolves with {@link url}. */
  async start(): Promise<string> {
    return this.server.start();
  }

  /** Stops the server and closes open connections. The store is kept (a restarted emulator gets a new port). */
  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). Throws before `start()`. */
  get url(): string {
    return this.server.url;
  }

  /** The DSM URL expected in token audiences (option `publicUrl`, default {@link url}). */
  get publicUrl(): string {
    return this.options.publicUrl ?? this.url;
  }

  /** The vault URL OCI would call: `<url>/oci/ekm/v1/vaults/<accountId>`. */
  get ekmVaultUrl(): string {
    return `${this.url}/oci/ekm/v1/vaults/${this.accountId}`;
  }

  // ---- credentials --------------------------------------------------------------------------

  /**
   * Creates an API-key app and returns its API key (base64 of `<app_id>:<secret>`).
   * `role` defaults to "admin" (the recommended automation credential); a "crypto" app gets `groups`
   * (group id → permissions). `name` defaults to `emulator-<role>-<n>`.
   */
  createApiKey(options: { role?: "admin" | "crypto"; name?: string; groups?: Record<string, DsmEmulatorPermission[]> } = {}): string {
    const role = options.role ?? "admin";
    this.apiKeyCounter += 1;
    const name = options.name ?? `emulator-${role}-${this.apiKeyCounter}`;
    if (this.state.findApp(name, true)) throw new Error(`createApiKey: an app named "${name}" already exists`);
    for (const groupId of Object.keys(options.groups ?? {})) {
      if (!this.state.groups.has(groupId)) throw new Error(`createApiKey: group ${groupId} does not exist`);
    }
    const r = createSecretApp(this.state, name, role, options.groups ?? {}, EMULATOR);
    return Buffer.from(`${r.app.app_id}:${r.secret}`).toString("base64");
  }

  /**
   * Adds a user (an account administrator of this account) who logs in with Basic `email:password`.
   * With `twoFactor`, the user has a FIDO2 device: the session opened is good for nothing (the
   * emulator serves no second factor). Returns the user id.
   */
  addUser(email: string, password: string, options: { twoFactor?: boolean } = {}): string {
    if ([...this.state.users.values()].some((u) => u.email === email)) throw new Error(`addUser: user ${email} already exists`);
    const userId = randomUUID();
    this.state.users.set(userId, { user_id: userId, email, password, twoFactor: options.twoFactor === true });
    return userId;
  }

  /** Makes every current session token expired (the next call with it answers 401). */
  expireSessions(): void {
    for (const session of this.state.sessions.values()) session.expiresAt = Number.NEGATIVE_INFINITY;
  }

  /** Number of sessions that have not expired or been terminated. */
  get activeSessions(): number {
    const now = this.state.now();
    return [...this.state.sessions.values()].filter((s) => s.expiresAt > now).length;
  }

  /** Authentication counters (a copy). */
  get counters(): DsmEmulatorCounters {
    return { ...this.state.stats };
  }

  /** Zeroes the counters. */
  resetCounters(): void {
    for (const key of Object.keys(this.state.stats) as (keyof DsmEmulatorCounters)[]) this.state.stats[key] = 0;
  }

  /** Empties {@link requests}. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  // ---- faults -------------------------------------------------------------------------------

  /** Injects a fault into the next `times` (default 1) requests matching `method` and `path`. Faults are tried in order. */
  injectFault(fault: DsmEmulatorFault): void {
    this.faults.inject(fault);
  }

  /** Faults not yet used up, with the number of hits left. */
  pendingFaults(): PendingFault[] {
    return this.faults.pending();
  }

  /** Removes every pending fault. */
  clearFaults(): void {
    this.faults.clear();
  }

  // ---- typed read access to the store (live objects: a deleted key is gone here at once) ------

  /** Every group (copies). */
  groups(): DsmEmulatorGroup[] {
    return [...this.state.groups.values()].map(clone);
  }

  /** A group by id or name (copy). */
  group(idOrName: string): DsmEmulatorGroup | undefined {
    const g = this.state.groups.get(idOrName) ?? [...this.state.groups.values()].find((x) => x.name === idOrName);
    return g ? clone(g) : undefined;
  }

  /** Every app (copies; `groups` as the permission map). */
  apps(): DsmEmulatorApp[] {
    return [...this.state.apps.values()].map((r) => clone(r.app));
  }

  /** An app by id or name (copy; the App object carries no credential, see {@link appCredential}). */
  app(idOrName: string): DsmEmulatorApp | undefined {
    const r = this.state.findApp(idOrName, false);
    return r ? clone(r.app) : undefined;
  }

  /** A signed-JWT app's credential by app id or name (copy); undefined for API-key apps. */
  appCredential(idOrName: string): DsmEmulatorAppCredential | undefined {
    const r = this.state.findApp(idOrName, false);
    return r?.credential ? clone(r.credential) : undefined;
  }

  /** Every security object, rotated-away ones included (copies, without key material). */
  sobjects(): DsmEmulatorSobject[] {
    return [...this.state.sobjects.values()].map((r) => clone(r.sobject));
  }

  /** A security object by kid or name (copy). */
  sobject(kidOrName: string): DsmEmulatorSobject | undefined {
    const r = this.state.findSobject(kidOrName);
    return r ? clone(r.sobject) : undefined;
  }

  /** The key material of a security object (a copy), for tests that check ciphertexts independently. The API never returns it. */
  keyMaterial(kidOrName: string): Buffer | undefined {
    const r = this.state.findSobject(kidOrName);
    return r ? Buffer.from(r.material) : undefined;
  }

  /** The state GetVaultMetadata reports; a BLOCKED vault refuses every key call with 403. */
  get ekmVaultState(): DsmEmulatorEkmVaultState {
    return this.state.ekmVaultState;
  }

  setEkmVaultState(state: DsmEmulatorEkmVaultState): void {
    this.state.ekmVaultState = state;
  }

  // ---- changes "outside Pulumi" (drift), bypassing the API and its permission checks ---------

  /** Creates a group from a `POST /sys/v1/groups` body as if someone did it in the DSM console. */
  seedGroup(request: { name: string; description?: string; custom_metadata?: Record<string, string> }): DsmEmulatorGroup {
    return clone(this.asSeed(() => createGroup(this.state, request, EMULATOR)));
  }

  /** Creates an app from a `POST /sys/v1/apps` body (e.g. a signed-JWT app) as if done in the console. */
  seedApp(request: Record<string, unknown>): DsmEmulatorApp {
    return clone(this.asSeed(() => createApp(this.state, request, EMULATOR)).app);
  }

  /** Creates a security object from a `POST /crypto/v1/keys` body as if done in the console. */
  seedSobject(request: Record<string, unknown>): DsmEmulatorSobject {
    return clone(this.asSeed(() => createSobject(this.state, request, EMULATOR)).sobject);
  }

  /** Changes a group's fields directly (no validation). Throws when absent. */
  modifyGroup(idOrName: string, changes: Partial<Pick<DsmEmulatorGroup, "name" | "description">>): DsmEmulatorGroup {
    const g = this.state.groups.get(this.group(idOrName)?.group_id ?? "");
    if (!g) throw new Error(`modifyGroup: no group ${idOrName}`);
    Object.assign(g, clone(changes));
    return clone(g);
  }

  /** Changes an app's fields directly (no validation), e.g. `{ enabled: false }` or another credential (which makes it a signed-JWT app). Throws when absent. */
  modifyApp(
    idOrName: string,
    changes: Partial<Pick<DsmEmulatorApp, "name" | "description" | "enabled" | "groups" | "default_group" | "role">> & { credential?: DsmEmulatorAppCredential },
  ): DsmEmulatorApp {
    const r = this.state.findApp(idOrName, false);
    if (!r) throw new Error(`modifyApp: no app ${idOrName}`);
    const { credential, ...appChanges } = clone(changes);
    Object.assign(r.app, appChanges);
    if (credential) {
      r.credential = credential;
      delete r.secret;
      r.app.auth_type = "SignedJwt";
    }
    return clone(r.app);
  }

  /** Changes a security object's fields directly (no validation), e.g. rename, disable, other key_ops. Throws when absent. */
  modifySobject(kidOrName: string, changes: Partial<Omit<DsmEmulatorSobject, "kid" | "acct_id" | "creator" | "created_at" | "kcv">>): DsmEmulatorSobject {
    const r = this.state.findSobject(kidOrName);
    if (!r) throw new Error(`modifySobject: no security object ${kidOrName}`);
    Object.assign(r.sobject, clone(changes));
    return clone(r.sobject);
  }

  /** Rotates a key by name as `POST /crypto/v1/keys/rekey` would; returns the new object. */
  rekeySobject(name: string): DsmEmulatorSobject {
    return clone(this.asSeed(() => rekey(this.state, { name }, EMULATOR)).sobject);
  }

  /** Deletes a group directly (even a non-empty one: its keys go with it). Throws when absent. */
  deleteGroup(idOrName: string): void {
    const g = this.group(idOrName);
    if (!g) throw new Error(`deleteGroup: no group ${idOrName}`);
    for (const [kid, r] of this.state.sobjects) if (r.sobject.group_id === g.group_id) this.state.sobjects.delete(kid);
    this.state.removeGroup(g.group_id);
  }

  /** Deletes an app directly. Throws when absent. */
  deleteApp(idOrName: string): void {
    const r = this.state.findApp(idOrName, false);
    if (!r) throw new Error(`deleteApp: no app ${idOrName}`);
    this.state.removeApp(r.app.app_id);
  }

  /** Destroys a security object directly, material included, at once (no visibility window). Throws when absent. */
  deleteSobject(kidOrName: string): void {
    const r = this.state.findSobject(kidOrName);
    if (!r) throw new Error(`deleteSobject: no security object ${kidOrName}`);
    this.state.sobjects.delete(r.sobject.kid);
  }

  /** Forgets cached JWKS documents, so the next EKM call fetches the signing keys again. */
  clearJwksCache(): void {
    this.ekm.clearJwksCache();
  }

  /** A seed's refusal as a plain Error naming the status, as the API would have answered. */
  private asSeed<T>(run: () => T): T {
    try {
      return run();
    } catch (err) {
      if (err instanceof DsmError) throw new Error(`DSM emulator seed refused (HTTP ${err.status}): ${err.message}`);
      throw err;
    }
  }

  // ============================================================================================
  // HTTP dispatch
  // ============================================================================================

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.options.hopClock?.track("DSM", req.headers, res);
    const url = new URL(req.url ?? "/", "http://emulator.invalid");
    const method = (req.method ?? "GET").toUpperCase();
    const path = url.pathname;
    const api: DsmEmulatorApi = path.startsWith("/oci/ekm/") ? "ekm" : "management";
    let body: unknown;
    let bodyError: EmulatorHttpError | undefined;
    try {
      const raw = await readEmulatorRequestBody(req);
      try {
        body = parseEmulatorJsonBody(raw);
      } catch (err) {
        body = raw.toString("utf8");
        throw err;
      }
    } catch (err) {
      if (!(err instanceof EmulatorHttpError)) throw err;
      bodyError = err;
    }
    const opcRequestId = typeof req.headers["opc-request-id"] === "string" ? req.headers["opc-request-id"] : undefined;
    const record: DsmEmulatorRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
      auth: emulatorAuthScheme(req.headers.authorization),
      api,
      ...(opcRequestId !== undefined ? { opcRequestId } : {}),
    };
    this.requests.push(record);

    const fault = this.faults.take(method, path);
    if (fault) record.fault = fault.kind;
    if (fault?.kind === "latency") await new Promise((r) => setTimeout(r, fault.ms ?? 100));
    if (fault?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    let reply: DsmEmulatorReply;
    if (fault?.kind === "status") {
      const status = fault.status ?? 503;
      const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {};
      reply = api === "ekm" ? this.ekm.errorReply(status, faultMessage(status), headers) : this.errorReply(status, faultMessage(status), headers);
    } else if (api === "ekm") {
      reply = bodyError ? this.ekm.errorReply(bodyError.status, `Bad Request: ${bodyError.message}`) : await this.ekm.handle({ method, path, body, headers: req.headers });
    } else {
      try {
        if (bodyError) throw new DsmError(bodyError.status, bodyError.message);
        reply = this.route({ method, path, query: url.searchParams, body, headers: req.headers, params: {}, principal: EMULATOR });
        if (this.options.extraResponseFields && reply.json !== undefined) reply = { ...reply, json: withExtraFields(reply.json) };
      } catch (err) {
        if (!(err instanceof DsmError)) throw err;
        reply = this.errorReply(err.status, err.message, err.headers);
      }
    }
    if (fault?.kind === "commit-then-drop") {
      req.socket.destroy();
      return;
    }
    record.status = reply.status;
    record.response = reply.json !== undefined ? recordedAnswer(reply.json) : reply.text;
    if (reply.json !== undefined) sendEmulatorJson(res, reply.status, reply.json, reply.headers);
    else if (reply.text !== undefined) sendEmulatorText(res, reply.status, reply.text, reply.headers);
    else sendEmulatorEmpty(res, reply.status, reply.headers);
  }

  /** DSM's error body in the configured form: `{"message"}`, plain text, or a bare JSON string. */
  private errorReply(status: number, message: string, headers: Record<string, string> = {}): DsmEmulatorReply {
    const format = this.options.errorFormat ?? DSM_EMULATOR_UNCONFIRMED.defaultErrorFormat;
    if (format === "text") return { status, text: message, headers };
    return { status, json: format === "string" ? message : { message }, headers };
  }

  /**
   * Finds the route and runs it for its caller. The caller is authenticated before an unknown path
   * or method is refused (a server checks the session first), except on session/auth itself.
   */
  private route(ctx: RouteContext): DsmEmulatorReply {
    const found = findRoute(ctx.method, ctx.path);
    if ("route" in found && found.route.auth === "none") return found.route.run(this.state, { ...ctx, params: found.params }, undefined);
    if (ctx.path === "/sys/v1/session/auth" && "refusal" in found) throw found.refusal;
    const { principal, session } = callerOf(this.state, ctx.headers);
    if ("refusal" in found) throw found.refusal;
    if (found.route.auth === "account") requireAccount(this.state, principal, session);
    return found.route.run(this.state, { ...ctx, params: found.params, principal }, session);
  }
}
