// The OCI External Key Manager endpoints DSM serves under /oci/ekm/v1/vaults/<account id>: what OCI
// Vault calls, through the API Gateway, as Oracle's "External KMS Vendor API Reference" lists them
// (GetVaultMetadata, GetKeyMetadata, GetKeyVersionMetadata, Encrypt, Decrypt, GenerateRandomBytes),
// with the fields another vendor's documentation of the same API gives (Thales's CipherTrust pages,
// their request and response bodies) and the statuses and messages of Oracle's error table. Errors are
// `{"code": "<status>", "message"}`. Choices the sources leave open are in DSM_EMULATOR_UNCONFIRMED.
import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { aesGcmDecrypt, aesGcmEncrypt } from "./dsm-crypto";
import { EkmError, EkmTokenChecker } from "./dsm-ekm-auth";
import type { AppRecord, DsmEmulatorReply, DsmState, SobjectRecord } from "./dsm-state";
import type { DsmEmulatorSobject } from "./dsm-types";
import { DSM_EMULATOR_UNCONFIRMED as U } from "./dsm-unconfirmed";

/** One EKM request as the emulator's dispatcher hands it over. */
export interface DsmEkmRequest {
  method: string;
  path: string;
  body: unknown;
  headers: IncomingHttpHeaders;
}

/** Oracle's messages (its error table, "Expected response from external HSM vendor"). */
const ORACLE = {
  wrongVault: "Error in getting OCI vault",
  wrongKey: "Invalid key details provided",
  wrongKeyVersion: "Invalid Key details",
  notActive: "OCI key is not in Active state to perform the operation.",
  aeadFailed: "Error in decryption: [NCERRCryptoOperationFailed: Cryptographic operation failed in cipher operation]: AEAD decrypt final failed",
};

type EkmOperation = "ENCRYPT" | "DECRYPT";
type Route = { method: string; key?: string; run: (app: AppRecord, key?: SobjectRecord) => DsmEmulatorReply; operation: string };

/**
 * The EKM surface of the emulator. `{keyId}` is the security object's name, `{keyVersionId}` a kid:
 * the current one or one it replaced (found through `links.replaced`).
 */
export class DsmEkmEndpoints {
  private readonly tokens: EkmTokenChecker;

  constructor(
    private readonly state: DsmState,
    publicUrl: () => string,
  ) {
    this.tokens = new EkmTokenChecker(state, publicUrl);
  }

  clearJwksCache(): void {
    this.tokens.clearJwksCache();
  }

  /** Oracle's error body for a status. */
  errorReply(status: number, message: string, headers: Record<string, string> = {}): DsmEmulatorReply {
    return { status, headers, json: { code: String(status), message } };
  }

  /** Serves one EKM request (a refusal becomes an Oracle error body, never a throw). */
  async handle(req: DsmEkmRequest): Promise<DsmEmulatorReply> {
    const requestId = req.headers["opc-request-id"];
    const echo: Record<string, string> = U.ekmEchoesRequestId && typeof requestId === "string" ? { "opc-request-id": requestId } : {};
    try {
      const reply = await this.serve(req);
      return { ...reply, headers: { ...(reply.headers ?? {}), ...echo } };
    } catch (err) {
      if (err instanceof EkmError) return this.errorReply(err.status, err.message, echo);
      throw err;
    }
  }

  private route(rest: string, body: unknown): Route | undefined {
    let m: RegExpExecArray | null;
    const d = decodeURIComponent;
    if (rest === "/metadata") return { operation: "GetVaultMetadata", method: "GET", run: () => this.vaultMetadata() };
    if (rest === "/generateRandomBytes") return { operation: "GenerateRandomBytes", method: "POST", run: () => this.randomBytes(body) };
    if ((m = /^\/keys\/([^/]+)\/metadata$/.exec(rest))) {
      return { operation: "GetKeyMetadata", method: "GET", key: d(m[1]), run: (app, key) => this.keyMetadata(app, key!) };
    }
    if ((m = /^\/keys\/([^/]+)\/keyVersions\/([^/]+)\/metadata$/.exec(rest))) {
      const version = d(m[2]);
      return { operation: "GetKeyVersionMetadata", method: "GET", key: d(m[1]), run: (app, key) => this.keyVersionMetadata(app, key!, version) };
    }
    if ((m = /^\/keys\/([^/]+)\/(encrypt|decrypt)$/.exec(rest))) {
      const encrypt = m[2] === "encrypt";
      return {
        operation: encrypt ? "Encrypt" : "Decrypt",
        method: "POST",
        key: d(m[1]),
        run: (app, key) => (encrypt ? this.encrypt(app, key!, body) : this.decrypt(app, key!, body)),
      };
    }
    if ((m = /^\/keys\/([^/]+)\/generateRandomBytes$/.exec(rest))) {
      return { operation: "GenerateRandomBytes", method: "POST", key: d(m[1]), run: (app, key) => this.randomBytes(body, app, key!) };
    }
    return undefined;
  }

  private async serve(req: DsmEkmRequest): Promise<DsmEmulatorReply> {
    const match = /^\/oci\/ekm\/v1\/vaults\/([^/]+)(\/.*)$/.exec(req.path);
    const route = match ? this.route(match[2], req.body) : undefined;
    if (!match || !route) throw new EkmError(404, `no such endpoint: ${req.method} ${req.path}`);
    if (req.method !== route.method) throw new EkmError(405, `method ${req.method} not allowed on ${req.path}`);
    if (decodeURIComponent(match[1]).toLowerCase() !== this.state.accountId) throw new EkmError(404, ORACLE.wrongVault);
    const app = await this.tokens.authenticate(req.headers);
    if (route.operation === "GetVaultMetadata") return route.run(app);
    if (this.state.ekmVaultState === "BLOCKED") throw new EkmError(403, U.ekmBlockedVaultMessage);
    if (route.key === undefined) return route.run(app);
    const key = this.state.findSobjectByName(route.key);
    if (!key) throw new EkmError(404, ORACLE.wrongKey);
    return route.run(app, key);
  }

  // ============================================================================================
  // Metadata
  // ============================================================================================

  private vaultMetadata(): DsmEmulatorReply {
    return { status: 200, json: { state: this.state.ekmVaultState, vendor: this.state.options.vendor ?? "Fortanix" } };
  }

  /** The current version and every version it replaced, newest first. */
  private versions(current: SobjectRecord): SobjectRecord[] {
    const chain = [current];
    let replaced = current.sobject.links?.replaced;
    while (replaced !== undefined && !chain.some((v) => v.sobject.kid === replaced)) {
      const older = this.state.sobjects.get(replaced);
      if (!older) break;
      chain.push(older);
      replaced = older.sobject.links?.replaced;
    }
    return chain;
  }

  private version(current: SobjectRecord, versionId: string): SobjectRecord {
    const found = this.versions(current).find((v) => v.sobject.kid === versionId);
    if (!found) throw new EkmError(404, ORACLE.wrongKeyVersion);
    return found;
  }

  private requireAccess(app: AppRecord, key: SobjectRecord, op?: EkmOperation): void {
    const keyName = key.sobject.name;
    const groupId = key.sobject.group_id;
    const perms = app.app.groups[groupId];
    if (!perms) throw new EkmError(403, `DSM app "${app.app.name}" is not in group ${groupId} of key "${keyName}"`);
    if (op && !perms.includes(op)) throw new EkmError(403, `DSM app "${app.app.name}" lacks ${op} permission on group ${groupId} of key "${keyName}"`);
  }

  private stateOf(sobject: DsmEmulatorSobject): string {
    return sobject.enabled && sobject.state === "Active" ? U.ekmKeyStates.usable : U.ekmKeyStates.unusable;
  }

  private operationsOf(sobject: DsmEmulatorSobject): string[] {
    return U.ekmOperations.filter((op) => sobject.key_ops.includes(op));
  }

  private keyMetadata(app: AppRecord, key: SobjectRecord): DsmEmulatorReply {
    this.requireAccess(app, key);
    const s = key.sobject;
    if (!s.enabled) throw new EkmError(403, U.ekmDisabledKeyMessage);
    return {
      status: 200,
      json: { keyId: s.name, currentKeyVersionId: s.kid, keyShape: { algorithm: s.obj_type, length: s.key_size }, state: this.stateOf(s), keyOps: this.operationsOf(s) },
    };
  }

  private keyVersionMetadata(app: AppRecord, key: SobjectRecord, versionId: string): DsmEmulatorReply {
    const v = this.version(key, versionId);
    this.requireAccess(app, v);
    if (!v.sobject.enabled) throw new EkmError(403, U.ekmDisabledKeyMessage);
    return { status: 200, json: { keyId: key.sobject.name, keyVersionId: v.sobject.kid, state: this.stateOf(v.sobject), keyVersionOps: this.operationsOf(v.sobject) } };
  }

  // ============================================================================================
  // Cryptography
  // ============================================================================================

  private requireUsable(key: SobjectRecord, op: EkmOperation): void {
    const s = key.sobject;
    if (!s.enabled || s.state !== "Active") throw new EkmError(403, ORACLE.notActive);
    if (!s.key_ops.includes(op)) throw new EkmError(403, `key "${s.name}" (version ${s.kid}) does not permit ${op} (key_ops ${JSON.stringify(s.key_ops)})`);
    if (s.obj_type !== "AES") throw new EkmError(400, `Bad Request: key "${s.name}" is ${s.obj_type}, not AES`);
  }

  private encrypt(app: AppRecord, current: SobjectRecord, rawBody: unknown): DsmEmulatorReply {
    const body = bodyObject(rawBody);
    const plaintext = base64(body, "plaintext", true) as Buffer;
    const aad = base64(body, "aad", false);
    const iv = base64(body, "iv", false);
    mode(body);
    if (iv !== undefined && iv.length !== 12) throw new EkmError(400, `Bad Request: iv must be 12 bytes for GCM, got ${iv.length}`);
    const versionId = stringField(body, "keyVersionId");
    const version = versionId === undefined ? current : this.version(current, versionId);
    this.requireAccess(app, version, "ENCRYPT");
    this.requireUsable(version, "ENCRYPT");
    const out = aesGcmEncrypt(version.material, plaintext, aad, iv);
    return {
      status: 200,
      json: {
        ciphertext: out.cipher.toString("base64"),
        iv: out.iv.toString("base64"),
        tag: out.tag.toString("base64"),
        ...(aad !== undefined ? { aad: aad.toString("base64") } : {}),
        mode: U.ekmMode,
        keyVersionId: version.sobject.kid,
      },
    };
  }

  private decrypt(app: AppRecord, current: SobjectRecord, rawBody: unknown): DsmEmulatorReply {
    const body = bodyObject(rawBody);
    const ciphertext = base64(body, "ciphertext", true) as Buffer;
    const iv = base64(body, "iv", true) as Buffer;
    const tag = base64(body, "tag", true) as Buffer;
    const aad = base64(body, "aad", false);
    mode(body);
    const versionId = stringField(body, "keyVersionId");
    if (versionId === undefined) throw new EkmError(400, "Bad Request: keyVersionId is required");
    const version = this.version(current, versionId);
    this.requireAccess(app, version, "DECRYPT");
    this.requireUsable(version, "DECRYPT");
    // A wrong IV, tag, AAD or key all look the same to AES-GCM: Oracle's one message for them.
    if (iv.length !== 12 || tag.length !== 16) throw new EkmError(400, ORACLE.aeadFailed);
    let plaintext: Buffer;
    try {
      plaintext = aesGcmDecrypt(version.material, ciphertext, iv, tag, aad);
    } catch {
      throw new EkmError(400, ORACLE.aeadFailed);
    }
    return { status: 200, json: { plaintext: plaintext.toString("base64") } };
  }

  /** GenerateRandomBytes `{"length"}` → `{"randomBytes", "length"}`; under a key, the key must be enabled. */
  private randomBytes(rawBody: unknown, app?: AppRecord, key?: SobjectRecord): DsmEmulatorReply {
    if (app && key) {
      this.requireAccess(app, key);
      if (!key.sobject.enabled) throw new EkmError(403, U.ekmDisabledKeyMessage);
    }
    const length = bodyObject(rawBody).length;
    if (typeof length !== "number" || !Number.isInteger(length) || length < 1 || length > U.ekmRandomBytesMax) {
      throw new EkmError(400, `Bad Request: length must be an integer from 1 to ${U.ekmRandomBytesMax}, got ${JSON.stringify(length ?? null)}`);
    }
    return { status: U.ekmRandomBytesStatus, json: { randomBytes: randomBytes(length).toString("base64"), length } };
  }
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new EkmError(400, "Bad Request: the request body must be a JSON object");
  return body as Record<string, unknown>;
}

function stringField(o: Record<string, unknown>, field: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v === "") throw new EkmError(400, `Bad Request: ${field} must be a non-empty string`);
  return v;
}

/** `mode`, when given, must be GCM. */
function mode(o: Record<string, unknown>): void {
  const m = stringField(o, "mode");
  if (m !== undefined && !U.ekmAcceptedModes.includes(m)) throw new EkmError(400, `Bad Request: mode ${JSON.stringify(m)} is not supported (${U.ekmAcceptedModes.join(" or ")})`);
}

/** Where Go's base64 decoder (which Oracle's messages quote) stops: the first bad character, or the unfinished last quantum. */
export function base64ErrorIndex(v: string): number | undefined {
  for (let i = 0; i < v.length; i += 1) {
    if (v[i] === "=") {
      const pad = v.slice(i);
      return /^=+$/.test(pad) && i % 4 >= 2 && pad.length === 4 - (i % 4) ? undefined : i;
    }
    if (!/[A-Za-z0-9+/]/.test(v[i])) return i;
  }
  return v.length % 4 === 0 ? undefined : v.length - (v.length % 4);
}

function base64(o: Record<string, unknown>, field: string, required: boolean): Buffer | undefined {
  const v = o[field];
  if (v === undefined || v === null) {
    if (required) throw new EkmError(400, `Bad Request: ${field} is required`);
    return undefined;
  }
  if (typeof v !== "string") throw new EkmError(400, `Bad Request: ${field} must be a base64 string`);
  const bad = base64ErrorIndex(v);
  if (bad !== undefined) throw new EkmError(400, U.ekmBase64Message(bad));
  return Buffer.from(v, "base64");
}
