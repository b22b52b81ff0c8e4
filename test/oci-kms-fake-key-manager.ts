// A fake external key manager for the OCI Key Management emulator's tests: one AES-256 key with
// versions, AES-GCM like DSM, errors as OciVaultClient raises them (OciVaultCallError with the key
// manager's HTTP status), and a log of every call with the version it named.
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";
import type { ExternalEncryptOptions, ExternalKeyManager } from "../components/emulators/oci-kms-models";
import { OciEkmTimeoutError } from "../components/oci-ekm-budget";
import { OciVaultCallError, type EkmCiphertext, type EkmKeyMetadata, type EkmKeyVersionMetadata } from "../components/sandbox/oci-vault";

export interface FakeKeyManagerCall {
  op: "GetVaultMetadata" | "GetKeyMetadata" | "GetKeyVersionMetadata" | "Encrypt" | "Decrypt";
  keyId?: string;
  keyVersionId?: string;
}

export class FakeKeyManager implements ExternalKeyManager {
  readonly calls: FakeKeyManagerCall[] = [];
  private readonly material = new Map<string, Buffer>();
  current = "";
  /** The next call of this operation fails with this HTTP status of the key manager, or gets no answer in time (status 0). */
  private failing?: { op: FakeKeyManagerCall["op"]; status: number; message: string };

  constructor(readonly keyName: string) {
    this.rotate();
  }

  /** A new version (a new kid), now the key's current one, as DSM's rekey makes it. */
  rotate(): string {
    const kid = randomUUID();
    this.material.set(kid, randomBytes(32));
    this.current = kid;
    return kid;
  }

  failNext(op: FakeKeyManagerCall["op"], status: number, message: string): void {
    this.failing = { op, status, message };
  }

  /** The next call of this operation gets no answer within OCI's budget, on both attempts (as OciVaultClient reports it). */
  timeOutNext(op: FakeKeyManagerCall["op"]): void {
    this.failing = { op, status: 0, message: "" };
  }

  private enter(call: FakeKeyManagerCall): void {
    this.calls.push(call);
    const failing = this.failing;
    if (failing?.op === call.op) {
      this.failing = undefined;
      if (failing.status === 0) throw new OciEkmTimeoutError(call.op, ["no answer within 1000 ms", "no answer within 1000 ms"]);
      throw new OciVaultCallError(failing.status, JSON.stringify({ code: String(failing.status), message: failing.message }), call.op);
    }
  }

  private key(op: FakeKeyManagerCall["op"], keyId: string, kid?: string): Buffer {
    const material = keyId === this.keyName ? this.material.get(kid ?? this.current) : undefined;
    if (!material) throw new OciVaultCallError(404, JSON.stringify({ code: "404", message: "Invalid key details provided" }), op);
    return material;
  }

  async vaultMetadata(): Promise<{ state: string; vendor: string }> {
    this.enter({ op: "GetVaultMetadata" });
    return { state: "ACTIVE", vendor: "Fake KMS" };
  }

  async keyMetadata(keyId: string): Promise<EkmKeyMetadata> {
    this.enter({ op: "GetKeyMetadata", keyId });
    this.key("GetKeyMetadata", keyId);
    return { keyId, currentKeyVersionId: this.current, keyShape: { algorithm: "AES", length: 256 }, state: "ACTIVE", keyOps: ["ENCRYPT", "DECRYPT"] };
  }

  async keyVersionMetadata(keyId: string, keyVersionId: string): Promise<EkmKeyVersionMetadata> {
    this.enter({ op: "GetKeyVersionMetadata", keyId, keyVersionId });
    this.key("GetKeyVersionMetadata", keyId, keyVersionId);
    return { keyId, keyVersionId, state: "ACTIVE", keyVersionOps: ["ENCRYPT", "DECRYPT"] };
  }

  async encrypt(keyId: string, plaintext: Buffer, options: ExternalEncryptOptions = {}): Promise<EkmCiphertext> {
    this.enter({ op: "Encrypt", keyId, keyVersionId: options.keyVersionId });
    const kid = options.keyVersionId ?? this.current;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key("Encrypt", keyId, kid), iv);
    if (options.aad) cipher.setAAD(options.aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { keyVersionId: kid, ciphertext: ciphertext.toString("base64"), iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), mode: "GCM" };
  }

  async decrypt(keyId: string, c: EkmCiphertext): Promise<Buffer> {
    this.enter({ op: "Decrypt", keyId, keyVersionId: c.keyVersionId });
    const decipher = createDecipheriv("aes-256-gcm", this.key("Decrypt", keyId, c.keyVersionId), Buffer.from(c.iv, "base64"));
    decipher.setAuthTag(Buffer.from(c.tag, "base64"));
    if (c.aad !== undefined) decipher.setAAD(Buffer.from(c.aad, "base64"));
    try {
      return Buffer.concat([decipher.update(Buffer.from(c.ciphertext, "base64")), decipher.final()]);
    } catch {
      throw new OciVaultCallError(400, JSON.stringify({ code: "400", message: "Bad Request: AEAD tag check failed" }), "Decrypt");
    }
  }

  /** The versions named in calls of `op` since call number `from`. */
  versionsSeen(op: FakeKeyManagerCall["op"], from = 0): (string | undefined)[] {
    return this.calls.slice(from).filter((c) => c.op === op).map((c) => c.keyVersionId);
  }
}
