// The wire shapes of OCI's Key Management API, taken from the models of Oracle's own TypeScript SDK
// (oci-keymanagement; type-only imports, so nothing of the SDK is loaded at run time), and the parts of
// the emulator that are not HTTP: OCIDs, OCI's error answer, the external key manager it calls and the
// ciphertext it hands out.
import { crc32 } from "node:zlib";
import { randomBytes } from "node:crypto";
import type { models } from "oci-keymanagement";
import type { EkmCiphertext, EkmKeyMetadata, EkmKeyVersionMetadata, EkmVaultMetadata } from "../sandbox/oci-vault";

/**
 * A model as it travels in JSON: dates are RFC 3339 strings and the SDK's string enums their values
 * (`${Key.LifecycleState}` is "CREATING" | "ENABLED" | …), so a literal like "ENABLED" type-checks.
 */
export type Json<T> = 0 extends 1 & T
  ? T
  : T extends Date
    ? string
    : T extends string
      ? `${T}`
      : T extends number | boolean | null | undefined
        ? T
        : T extends readonly (infer U)[]
          ? Json<U>[]
          : T extends object
            ? { [K in keyof T]: Json<T[K]> }
            : T;

export type OciVaultJson = Json<models.Vault>;
export type OciEkmsPrivateEndpointJson = Json<models.EkmsPrivateEndpoint>;
export type OciKeyJson = Json<models.Key>;
export type OciKeyVersionJson = Json<models.KeyVersion>;
export type OciKeyVersionSummaryJson = Json<models.KeyVersionSummary>;
export type OciEncryptedDataJson = Json<models.EncryptedData>;
export type OciDecryptedDataJson = Json<models.DecryptedData>;
export type OciCreateVaultDetails = Json<models.CreateVaultDetails>;
export type OciCreateKeyDetails = Json<models.CreateKeyDetails>;
export type OciCreateEkmsPrivateEndpointDetails = Json<models.CreateEkmsPrivateEndpointDetails>;
export type OciExternalKeyVersionReference = Json<models.ExternalKeyVersionReference>;
export type OciEncryptDataDetails = Json<models.EncryptDataDetails>;
export type OciDecryptDataDetails = Json<models.DecryptDataDetails>;

/** An OCI error answer: HTTP status and the `{"code", "message"}` body. */
export class OciKmsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "OciKmsError";
  }
}

/** OCI's answer for an OCID that does not exist or that the caller may not see (they are not told apart). */
export const OCI_NOT_FOUND_MESSAGE = "Authorization failed or requested resource not found.";

export function notFound(what: string, id: string): OciKmsError {
  return new OciKmsError(404, "NotAuthorizedOrNotFound", `${OCI_NOT_FOUND_MESSAGE} (${what} ${id})`);
}

export function invalidParameter(message: string): OciKmsError {
  return new OciKmsError(400, "InvalidParameter", message);
}

/**
 * A new OCID, `ocid1.<type>.oc1.<region>.<unique>`: the unique part as OCI writes it, 60 characters of
 * lower-case base32 starting with "a".
 */
export function newOcid(type: string, region: string): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  const unique = [...randomBytes(59)].map((b) => alphabet[b % 32]).join("");
  return `ocid1.${type}.oc1.${region}.a${unique}`;
}

/** Options of the key manager's Encrypt: the version to use (its latest when absent) and the AAD. */
export interface ExternalEncryptOptions {
  keyVersionId?: string;
  aad?: Buffer;
}

/**
 * The external key manager as OCI Vault calls it (Oracle's External KMS vendor API). The sandbox's
 * `OciVaultClient` is one; tests use a fake. An error with a numeric `status` (OciVaultClient's
 * `OciVaultCallError`) is the key manager's own HTTP answer; anything else is a failure to reach it.
 */
export interface ExternalKeyManager {
  /** GetVaultMetadata; when present, called once as the vault is created (OCI checks the link then). */
  vaultMetadata?(): Promise<EkmVaultMetadata>;
  keyMetadata(externalKeyId: string): Promise<EkmKeyMetadata>;
  keyVersionMetadata(externalKeyId: string, externalKeyVersionId: string): Promise<EkmKeyVersionMetadata>;
  encrypt(externalKeyId: string, plaintext: Buffer, options?: ExternalEncryptOptions): Promise<EkmCiphertext>;
  decrypt(externalKeyId: string, ciphertext: EkmCiphertext): Promise<Buffer>;
}

/**
 * What OCI's ciphertext carries: the key reference version it was made under and what the key
 * manager returned. Encoded as base64 of a short magic prefix and JSON, opaque to applications. The
 * AAD is not in it: the caller gives it again to Decrypt, and a different one fails the key manager's
 * tag check.
 */
export interface OciCiphertextContent {
  keyVersionId: string;
  externalKeyVersionId: string;
  ciphertext: string;
  iv: string;
  tag: string;
  mode: string;
}

const CIPHERTEXT_MAGIC = "OKE1";

export function encodeOciCiphertext(content: OciCiphertextContent): string {
  return Buffer.from(CIPHERTEXT_MAGIC + JSON.stringify(content), "utf8").toString("base64");
}

/** The content of an OCI ciphertext, or a 400 InvalidParameter when it is not one this service made. */
export function decodeOciCiphertext(blob: string): OciCiphertextContent {
  const refuse = (): OciKmsError => invalidParameter("The ciphertext is not valid: it was not produced by this vault's Encrypt");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) throw refuse();
  const text = Buffer.from(blob, "base64").toString("utf8");
  if (!text.startsWith(CIPHERTEXT_MAGIC)) throw refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(CIPHERTEXT_MAGIC.length));
  } catch {
    throw refuse();
  }
  const fields = ["keyVersionId", "externalKeyVersionId", "ciphertext", "iv", "tag", "mode"] as const;
  const o = parsed as Record<string, unknown>;
  if (typeof parsed !== "object" || parsed === null || fields.some((f) => typeof o[f] !== "string")) throw refuse();
  return Object.fromEntries(fields.map((f) => [f, o[f]])) as unknown as OciCiphertextContent;
}

/**
 * OCI takes associated data as a map of strings; the key manager takes bytes. The map is serialised
 * as JSON with its keys sorted, so that the same map always gives the same AAD whatever the order in
 * which the client wrote it. OCI limits its string form to fewer than 4096 characters.
 */
export function associatedDataBytes(associatedData: unknown): Buffer | undefined {
  if (associatedData === undefined || associatedData === null) return undefined;
  if (typeof associatedData !== "object" || Array.isArray(associatedData)) throw invalidParameter("associatedData must be a map of strings");
  const entries = Object.entries(associatedData as Record<string, unknown>);
  if (entries.some(([, v]) => typeof v !== "string")) throw invalidParameter("associatedData must be a map of strings");
  if (entries.length === 0) return undefined;
  const text = JSON.stringify(Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  if (text.length >= 4096) throw invalidParameter(`associatedData must be fewer than 4096 characters as a string, got ${text.length}`);
  return Buffer.from(text, "utf8");
}

/** DecryptedData's `plaintextChecksum`: the CRC-32 of the plaintext, in decimal. */
export function plaintextChecksum(plaintext: Buffer): string {
  return String(crc32(plaintext));
}

/** A strict base64 string field, decoded; a 400 InvalidParameter naming the field otherwise. */
export function base64Field(body: Record<string, unknown>, field: string): Buffer {
  const v = body[field];
  if (typeof v !== "string" || v === "") throw invalidParameter(`${field} is required and must be a base64 string`);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v)) throw invalidParameter(`${field} is not valid base64`);
  return Buffer.from(v, "base64");
}

/** An optional string field; a 400 InvalidParameter when present and not a non-empty string. */
export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v === "") throw invalidParameter(`${field} must be a non-empty string`);
  return v;
}

/** A required string field. */
export function requiredString(body: Record<string, unknown>, field: string): string {
  const v = optionalString(body, field);
  if (v === undefined) throw invalidParameter(`${field} is required`);
  return v;
}

/** A JSON request body that must be an object (an absent body counts as `{}`, as the SDK sends none for `{}`). */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalidParameter("The request body must be a JSON object");
  return body as Record<string, unknown>;
}
