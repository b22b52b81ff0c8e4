// The state and the operations of the emulated OCI Key Management service for external vaults: EKM
// private endpoints, external vaults, key references and their key reference versions, Encrypt and
// Decrypt through the external key manager. No HTTP here: the server (oci-kms.ts) and the sandbox's
// Pulumi mocks both call these methods.
//
// Key reference versions follow Oracle's model ("Rotating Key References", "Creating Key Reference
// Version"): the version is pinned on the OCI side. Creating a key reference records the key
// manager's current version as its first key reference version; a new one is only made by
// CreateKeyVersion, which names an external version (or takes the key manager's current one) and makes
// it the key's current version. Older versions stay ENABLED (retired: they still decrypt) and are never
// scheduled for deletion by a rotation.
import { OCI_EKM_TIMEOUT_ANSWER, OciEkmTimeoutError } from "../oci-ekm-budget";
import type { EkmKeyVersionMetadata } from "../sandbox/oci-vault";
import {
  OciKmsError,
  associatedDataBytes,
  base64Field,
  decodeOciCiphertext,
  encodeOciCiphertext,
  invalidParameter,
  newOcid,
  notFound,
  optionalString,
  plaintextChecksum,
  requiredString,
  type ExternalKeyManager,
  type OciCreateEkmsPrivateEndpointDetails,
  type OciCreateKeyDetails,
  type OciCreateVaultDetails,
  type OciDecryptedDataJson,
  type OciEkmsPrivateEndpointJson,
  type OciEncryptedDataJson,
  type OciExternalKeyVersionReference,
  type OciKeyJson,
  type OciKeyVersionJson,
  type OciKeyVersionSummaryJson,
  type OciVaultJson,
} from "./oci-kms-models";

/** OCI's limit on Encrypt's plaintext: 4 KiB. */
const MAX_PLAINTEXT_BYTES = 4096;
/** The only key shape an external key reference takes (Oracle, "Managing Key References": AES-256). */
const EXTERNAL_KEY_SHAPE = { algorithm: "AES", length: 32 } as const;
const ALGORITHM = "AES_256_GCM" as const;

/** What a replica needs (the provider's `replicaVaultMetadata`, with the region). */
export interface OciVaultReplicaDetails {
  replicaRegion: string;
  /** The EKM private endpoint in the replica region. */
  privateEndpointId: string;
  idcsAccountNameUrl: string;
}

/** An external vault of the emulated service, with the key manager it calls. */
export interface OciKmsVault {
  json: OciVaultJson;
  /** The path segment of the vault's endpoints: `<label>-management`, `<label>-crypto`. */
  label: string;
  keyManager: ExternalKeyManager;
}

interface KeyVersionRecord {
  json: OciKeyVersionJson;
  externalKeyVersionId: string;
}

interface KeyRecord {
  vault: OciKmsVault;
  base: Omit<OciKeyJson, "currentKeyVersion" | "externalKeyReferenceDetails">;
  externalKeyId: string;
  versions: KeyVersionRecord[];
  current: KeyVersionRecord;
  /** CreateKeyVersion's `opc-retry-token`s: a retried request answers the version it made. */
  retryTokens: Map<string, KeyVersionRecord>;
}

/** ListKeyVersions' query parameters. */
export interface ListKeyVersionsQuery {
  limit?: number;
  page?: string;
  sortBy?: string;
  sortOrder?: string;
}

/** Options of {@link OciKmsService}. */
export interface OciKmsServiceOptions {
  /** Region identifier used in OCIDs, e.g. eu-frankfurt-1. */
  region: string;
  /** The server's base URL (the vaults' endpoints are under it); throws when not listening. */
  baseUrl: () => string;
  /** Clock, ms since the epoch. */
  now: () => number;
}

function copy<T>(value: T): T {
  return structuredClone(value);
}

/** The emulated service's state and operations. */
export class OciKmsService {
  private readonly privateEndpoints = new Map<string, OciEkmsPrivateEndpointJson>();
  private readonly vaults = new Map<string, OciKmsVault>();
  private readonly vaultsByLabel = new Map<string, OciKmsVault>();
  private readonly keys = new Map<string, KeyRecord>();

  constructor(private readonly options: OciKmsServiceOptions) {}

  private isoNow(): string {
    return new Date(this.options.now()).toISOString();
  }

  // ---------------------------------------------------------------------------------------------
  // Control plane: private endpoints and vaults
  // ---------------------------------------------------------------------------------------------

  /** CreateEkmsPrivateEndpoint; the endpoint is ACTIVE at once. `privateEndpointIp` stands for the IP OCI takes from the subnet. */
  createEkmsPrivateEndpoint(details: OciCreateEkmsPrivateEndpointDetails, privateEndpointIp = "10.0.0.10"): OciEkmsPrivateEndpointJson {
    const body = details as unknown as Record<string, unknown>;
    for (const field of ["compartmentId", "subnetId", "displayName", "externalKeyManagerIp", "caBundle"]) requiredString(body, field);
    const now = this.isoNow();
    const json: OciEkmsPrivateEndpointJson = {
      id: newOcid("ekmsprivateendpoint", this.options.region),
      compartmentId: details.compartmentId,
      subnetId: details.subnetId,
      displayName: details.displayName,
      timeCreated: now,
      timeUpdated: now,
      freeformTags: details.freeformTags ?? {},
      definedTags: details.definedTags ?? {},
      lifecycleState: "ACTIVE",
      externalKeyManagerIp: details.externalKeyManagerIp,
      port: details.port ?? 443,
      caBundle: details.caBundle,
      privateEndpointIp,
    };
    this.privateEndpoints.set(json.id, json);
    return copy(json);
  }

  getEkmsPrivateEndpoint(id: string): OciEkmsPrivateEndpointJson {
    const pe = this.privateEndpoints.get(id);
    if (!pe) throw notFound("EKMS private endpoint", id);
    return copy(pe);
  }

  /**
   * CreateVault for an EXTERNAL vault: its private endpoint must exist and be ACTIVE; when the key
   * manager answers GetVaultMetadata it is asked once, and its vendor recorded. The client secret is
   * taken and never shown again, as at OCI.
   */
  async createVault(details: OciCreateVaultDetails, keyManager: ExternalKeyManager): Promise<OciVaultJson> {
    if (details.vaultType !== "EXTERNAL") throw invalidParameter(`vaultType ${details.vaultType}: this service emulates EXTERNAL vaults only`);
    requiredString(details as unknown as Record<string, unknown>, "compartmentId");
    requiredString(details as unknown as Record<string, unknown>, "displayName");
    const ekm = details.externalKeyManagerMetadata;
    if (!ekm) throw invalidParameter("externalKeyManagerMetadata is required for an EXTERNAL vault");
    for (const field of ["externalVaultEndpointUrl", "privateEndpointId"]) requiredString(ekm as unknown as Record<string, unknown>, field);
    for (const field of ["idcsAccountNameUrl", "clientAppId", "clientAppSecret"]) requiredString((ekm.oauthMetadata ?? {}) as Record<string, unknown>, field);
    const pe = this.privateEndpoints.get(ekm.privateEndpointId);
    if (!pe || pe.lifecycleState !== "ACTIVE") throw invalidParameter(`privateEndpointId ${ekm.privateEndpointId} is not an ACTIVE EKMS private endpoint`);
    const meta = keyManager.vaultMetadata ? await callKeyManager("GetVaultMetadata", () => keyManager.vaultMetadata!()) : undefined;
    if (meta && meta.state !== "ACTIVE") throw invalidParameter(`the external key manager reports the vault ${meta.state}, not ACTIVE`);
    const id = newOcid("vault", this.options.region);
    const label = id.slice(-12);
    const base = this.options.baseUrl();
    const json: OciVaultJson = {
      compartmentId: details.compartmentId,
      cryptoEndpoint: `${base}/${label}-crypto`,
      displayName: details.displayName,
      freeformTags: details.freeformTags ?? {},
      definedTags: details.definedTags ?? {},
      id,
      lifecycleState: "ACTIVE",
      managementEndpoint: `${base}/${label}-management`,
      timeCreated: this.isoNow(),
      vaultType: "EXTERNAL",
      wrappingkeyId: newOcid("key", this.options.region),
      isPrimary: true,
      isVaultReplicable: true,
      externalKeyManagerMetadataSummary: {
        ...(meta ? { vendor: meta.vendor } : {}),
        externalVaultEndpointUrl: ekm.externalVaultEndpointUrl,
        privateEndpointId: ekm.privateEndpointId,
        oauthMetadataSummary: { idcsAccountNameUrl: ekm.oauthMetadata.idcsAccountNameUrl, clientAppId: ekm.oauthMetadata.clientAppId },
      },
    };
    const record: OciKmsVault = { json, label, keyManager };
    this.vaults.set(id, record);
    this.vaultsByLabel.set(label, record);
    return copy(json);
  }

  /**
   * CreateVaultReplica of an external vault (the provider's `oci_kms_vault_replication`): the
   * replica has the vault's OCID and its key references' OCIDs, its own endpoints, and its own way
   * to the key manager (the replica region's private endpoint and gateway, a token for the replica's
   * scope). The replica's private endpoint must be ACTIVE, as OCI requires.
   */
  async replicateVault(vaultId: string, details: OciVaultReplicaDetails, keyManager: ExternalKeyManager): Promise<OciVaultJson> {
    const source = this.vaults.get(vaultId);
    if (!source) throw notFound("vault", vaultId);
    if (source.json.isPrimary !== true) throw invalidParameter(`vault ${vaultId} is a replica; replicate its primary`);
    const pe = this.privateEndpoints.get(details.privateEndpointId);
    if (!pe || pe.lifecycleState !== "ACTIVE") throw invalidParameter(`replicaVaultMetadata.privateEndpointId ${details.privateEndpointId} is not an ACTIVE EKMS private endpoint`);
    const meta = keyManager.vaultMetadata ? await callKeyManager("GetVaultMetadata (replica region)", () => keyManager.vaultMetadata!()) : undefined;
    if (meta && meta.state !== "ACTIVE") throw invalidParameter(`the external key manager reports the replica ${meta.state}, not ACTIVE`);
    const label = `${source.label}-${details.replicaRegion}`;
    const base = this.options.baseUrl();
    const replicationId = newOcid("vaultreplication", this.options.region);
    source.json.replicaDetails = { replicationId };
    const json: OciVaultJson = {
      ...copy(source.json),
      cryptoEndpoint: `${base}/${label}-crypto`,
      managementEndpoint: `${base}/${label}-management`,
      isPrimary: false,
      replicaDetails: { replicationId },
    };
    const record: OciKmsVault = { json, label, keyManager };
    this.vaultsByLabel.set(label, record);
    return copy(json);
  }

  getVault(id: string): OciVaultJson {
    const vault = this.vaults.get(id);
    if (!vault) throw notFound("vault", id);
    return copy(vault.json);
  }

  /** The vault whose endpoints carry `label`; undefined when none does. */
  vaultLabelled(label: string): OciKmsVault | undefined {
    return this.vaultsByLabel.get(label);
  }

  /** The vault of a `managementEndpoint` value (what `oci.kms.Key` and `oci.kms.KeyVersion` are given). */
  vaultOfManagementEndpoint(managementEndpoint: string): OciKmsVault {
    const wanted = managementEndpoint.replace(/\/+$/, "");
    for (const vault of this.vaults.values()) if (vault.json.managementEndpoint === wanted) return vault;
    throw notFound("vault with managementEndpoint", managementEndpoint);
  }

  // ---------------------------------------------------------------------------------------------
  // Management endpoint: key references and key reference versions
  // ---------------------------------------------------------------------------------------------

  private keyIn(vault: OciKmsVault, keyId: string): KeyRecord {
    const key = this.keys.get(keyId);
    // A replica holds the same key references (same OCIDs) as its vault.
    if (!key || key.vault.json.id !== vault.json.id) throw notFound("key", keyId);
    return key;
  }

  private keyJson(key: KeyRecord): OciKeyJson {
    return copy({
      ...key.base,
      currentKeyVersion: key.current.json.id,
      externalKeyReferenceDetails: { externalKeyId: key.externalKeyId, externalKeyVersionId: key.current.externalKeyVersionId },
    });
  }

  private newVersion(key: Pick<KeyRecord, "vault" | "externalKeyId">, keyId: string, compartmentId: string, externalKeyVersionId: string): KeyVersionRecord {
    const json: OciKeyVersionJson = {
      compartmentId,
      id: newOcid("keyversion", this.options.region),
      keyId,
      lifecycleState: "ENABLED",
      origin: "EXTERNAL",
      timeCreated: this.isoNow(),
      vaultId: key.vault.json.id,
      isPrimary: true,
      externalKeyReferenceDetails: { externalKeyId: key.externalKeyId, externalKeyVersionId },
      isAutoRotated: false,
    };
    return { json, externalKeyVersionId };
  }

  /**
   * CreateKey of a key reference (protection mode EXTERNAL) on the vault's management endpoint: asks
   * the key manager for the key (GetKeyMetadata) and records its current version as the first key
   * reference version.
   */
  async createKey(managementEndpoint: string, details: OciCreateKeyDetails): Promise<OciKeyJson> {
    const vault = this.vaultOfManagementEndpoint(managementEndpoint);
    const body = details as unknown as Record<string, unknown>;
    requiredString(body, "compartmentId");
    requiredString(body, "displayName");
    if (details.protectionMode !== "EXTERNAL") throw invalidParameter(`protectionMode ${details.protectionMode ?? "(none)"}: keys of an EXTERNAL vault must be EXTERNAL`);
    const shape = details.keyShape;
    if (shape?.algorithm !== EXTERNAL_KEY_SHAPE.algorithm || shape.length !== EXTERNAL_KEY_SHAPE.length) {
      throw invalidParameter(`keyShape ${JSON.stringify(shape)}: an external key reference is AES with length 32 (AES-256)`);
    }
    const externalKeyId = requiredString((details.externalKeyReference ?? {}) as Record<string, unknown>, "externalKeyId");
    const meta = await callKeyManager(`GetKeyMetadata of key "${externalKeyId}"`, () => vault.keyManager.keyMetadata(externalKeyId));
    if (meta.state !== "ACTIVE") throw invalidParameter(`the external key "${externalKeyId}" is ${meta.state} in the key manager, not ACTIVE`);
    if (meta.keyShape.algorithm !== "AES" || meta.keyShape.length !== 256) {
      throw invalidParameter(`the external key "${externalKeyId}" is ${meta.keyShape.algorithm}-${meta.keyShape.length}; a key reference needs AES-256`);
    }
    const id = newOcid("key", this.options.region);
    const first = this.newVersion({ vault, externalKeyId }, id, details.compartmentId, meta.currentKeyVersionId);
    const key: KeyRecord = {
      vault,
      externalKeyId,
      versions: [first],
      current: first,
      retryTokens: new Map(),
      base: {
        compartmentId: details.compartmentId,
        displayName: details.displayName,
        freeformTags: details.freeformTags ?? {},
        definedTags: details.definedTags ?? {},
        id,
        keyShape: { algorithm: "AES", length: 32 },
        protectionMode: "EXTERNAL",
        lifecycleState: "ENABLED",
        timeCreated: first.json.timeCreated,
        vaultId: vault.json.id,
        isPrimary: true,
        isAutoRotationEnabled: false,
      },
    };
    this.keys.set(id, key);
    return this.keyJson(key);
  }

  /** GetKey. */
  getKey(vault: OciKmsVault, keyId: string): OciKeyJson {
    return this.keyJson(this.keyIn(vault, keyId));
  }

  /** GetKeyVersion. */
  getKeyVersion(vault: OciKmsVault, keyId: string, keyVersionId: string): OciKeyVersionJson {
    const version = this.keyIn(vault, keyId).versions.find((v) => v.json.id === keyVersionId);
    if (!version) throw notFound("key version", keyVersionId);
    return copy(version.json);
  }

  /** ListKeyVersions: newest first by default (OCI's default order for TIMECREATED), paged by `limit`/`page`. */
  listKeyVersions(vault: OciKmsVault, keyId: string, query: ListKeyVersionsQuery = {}): { items: OciKeyVersionSummaryJson[]; nextPage?: string } {
    const key = this.keyIn(vault, keyId);
    if (query.sortBy !== undefined && !["TIMECREATED", "DISPLAYNAME"].includes(query.sortBy)) throw invalidParameter(`sortBy ${query.sortBy}: TIMECREATED or DISPLAYNAME`);
    if (query.sortOrder !== undefined && !["ASC", "DESC"].includes(query.sortOrder)) throw invalidParameter(`sortOrder ${query.sortOrder}: ASC or DESC`);
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1)) throw invalidParameter("limit must be a positive integer");
    // Versions are kept in creation order; key reference versions have no display name.
    const ordered = query.sortOrder === "ASC" ? [...key.versions] : [...key.versions].reverse();
    const start = query.page === undefined ? 0 : Number.parseInt(query.page, 10);
    if (!Number.isInteger(start) || start < 0 || start > ordered.length) throw invalidParameter(`page ${query.page} is not a page of this list`);
    const end = query.limit === undefined ? ordered.length : Math.min(ordered.length, start + query.limit);
    const items = ordered.slice(start, end).map(({ json }) => {
      const { compartmentId, id, keyId: kid, lifecycleState, origin, timeCreated, vaultId, externalKeyReferenceDetails, isAutoRotated } = json;
      return copy({ compartmentId, id, keyId: kid, lifecycleState, origin: origin ?? "EXTERNAL", timeCreated, vaultId, externalKeyReferenceDetails, isAutoRotated });
    });
    return end < ordered.length ? { items, nextPage: String(end) } : { items };
  }

  /**
   * CreateKeyVersion of a key reference: the external version named (or the key manager's current
   * one) becomes a new key reference version and the key's current version. The key manager must know
   * it as ACTIVE with ENCRYPT and DECRYPT; an external version that already has a key reference version
   * is a 409 (rotate in the key manager first). Nothing is created when the key manager fails.
   */
  async createKeyVersion(vault: OciKmsVault, keyId: string, details: OciExternalKeyVersionReference = {}, retryToken?: string): Promise<OciKeyVersionJson> {
    const key = this.keyIn(vault, keyId);
    const retried = retryToken === undefined ? undefined : key.retryTokens.get(retryToken);
    if (retried) return copy(retried.json);
    const named = optionalString(details as Record<string, unknown>, "externalKeyVersionId");
    const km = vault.keyManager;
    const externalKeyVersionId =
      named ?? (await callKeyManager(`GetKeyMetadata of key "${key.externalKeyId}"`, () => km.keyMetadata(key.externalKeyId))).currentKeyVersionId;
    const meta = await callKeyManager(`GetKeyVersionMetadata of key "${key.externalKeyId}" version "${externalKeyVersionId}"`, () =>
      km.keyVersionMetadata(key.externalKeyId, externalKeyVersionId),
    );
    requireUsableVersion(key.externalKeyId, externalKeyVersionId, meta);
    const existing = key.versions.find((v) => v.externalKeyVersionId === externalKeyVersionId);
    if (existing) {
      throw new OciKmsError(
        409,
        "Conflict",
        `The external key version "${externalKeyVersionId}" already has the key reference version ${existing.json.id}; rotate the key in the external key manager first`,
      );
    }
    const version = this.newVersion(key, keyId, key.base.compartmentId, externalKeyVersionId);
    key.versions.push(version);
    key.current = version;
    if (retryToken !== undefined) key.retryTokens.set(retryToken, version);
    return copy(version.json);
  }

  // ---------------------------------------------------------------------------------------------
  // Crypto endpoint
  // ---------------------------------------------------------------------------------------------

  /** Encrypt under the key's current key reference version (or the `keyVersionId` given), through the key manager. */
  async encrypt(vault: OciKmsVault, body: Record<string, unknown>): Promise<OciEncryptedDataJson> {
    const key = this.keyIn(vault, requiredString(body, "keyId"));
    const plaintext = base64Field(body, "plaintext");
    if (plaintext.length > MAX_PLAINTEXT_BYTES) throw invalidParameter(`plaintext is ${plaintext.length} bytes; Encrypt takes at most ${MAX_PLAINTEXT_BYTES}`);
    requireAlgorithm(body);
    const aad = associatedDataBytes(body.associatedData);
    const askedVersion = optionalString(body, "keyVersionId");
    const version = askedVersion === undefined ? key.current : key.versions.find((v) => v.json.id === askedVersion);
    if (!version) throw notFound("key version", askedVersion ?? "");
    const ext = version.externalKeyVersionId;
    const out = await callKeyManager(`Encrypt with key "${key.externalKeyId}" version "${ext}"`, () =>
      vault.keyManager.encrypt(key.externalKeyId, plaintext, { keyVersionId: ext, ...(aad ? { aad } : {}) }),
    );
    if (out.keyVersionId !== ext) {
      throw new OciKmsError(500, "InternalServerError", `The external key manager encrypted under version "${out.keyVersionId}" when asked for "${ext}"`);
    }
    const ciphertext = encodeOciCiphertext({ keyVersionId: version.json.id, externalKeyVersionId: ext, ciphertext: out.ciphertext, iv: out.iv, tag: out.tag, mode: out.mode });
    return { ciphertext, keyId: key.base.id, keyVersionId: version.json.id, encryptionAlgorithm: ALGORITHM };
  }

  /** Decrypt under the key reference version the ciphertext records, through the key manager. */
  async decrypt(vault: OciKmsVault, body: Record<string, unknown>): Promise<OciDecryptedDataJson> {
    const key = this.keyIn(vault, requiredString(body, "keyId"));
    const content = decodeOciCiphertext(requiredString(body, "ciphertext"));
    requireAlgorithm(body);
    const aad = associatedDataBytes(body.associatedData);
    const version = key.versions.find((v) => v.json.id === content.keyVersionId && v.externalKeyVersionId === content.externalKeyVersionId);
    if (!version) throw invalidParameter(`The ciphertext was not made under a version of key ${key.base.id}`);
    const askedVersion = optionalString(body, "keyVersionId");
    if (askedVersion !== undefined && askedVersion !== version.json.id) throw invalidParameter(`The ciphertext was made under key version ${version.json.id}, not ${askedVersion}`);
    const ext = version.externalKeyVersionId;
    const plaintext = await callKeyManager(`Decrypt with key "${key.externalKeyId}" version "${ext}"`, () =>
      vault.keyManager.decrypt(key.externalKeyId, {
        keyVersionId: ext,
        ciphertext: content.ciphertext,
        iv: content.iv,
        tag: content.tag,
        mode: content.mode,
        ...(aad ? { aad: aad.toString("base64") } : {}),
      }),
    );
    return {
      plaintext: plaintext.toString("base64"),
      plaintextChecksum: plaintextChecksum(plaintext),
      keyId: key.base.id,
      keyVersionId: version.json.id,
      encryptionAlgorithm: ALGORITHM,
    };
  }
}

function requireAlgorithm(body: Record<string, unknown>): void {
  const algorithm = optionalString(body, "encryptionAlgorithm");
  if (algorithm !== undefined && algorithm !== ALGORITHM) throw invalidParameter(`encryptionAlgorithm ${algorithm}: external keys use ${ALGORITHM}`);
}

/** A key reference version needs the external version ACTIVE, for both ENCRYPT and DECRYPT. */
function requireUsableVersion(externalKeyId: string, asked: string, meta: EkmKeyVersionMetadata): void {
  if (meta.keyVersionId !== asked) {
    throw new OciKmsError(500, "InternalServerError", `The external key manager answered GetKeyVersionMetadata for version "${meta.keyVersionId}" when asked for "${asked}"`);
  }
  const missing = ["ENCRYPT", "DECRYPT"].filter((op) => !meta.keyVersionOps.includes(op));
  if (meta.state !== "ACTIVE" || missing.length > 0) {
    throw invalidParameter(
      `The external key "${externalKeyId}" version "${asked}" is ${meta.state} with operations [${meta.keyVersionOps.join(", ")}]; ` +
        "a key reference version needs an ACTIVE version that permits ENCRYPT and DECRYPT",
    );
  }
}

/**
 * Calls the key manager; its failure becomes OCI's answer: no answer within OCI's budget its timeout
 * response (oci-ekm-budget.ts), a refusal (an HTTP 4xx of the key manager, an error with a numeric
 * `status`) a 400 InvalidParameter, anything else (5xx, unreachable, a malformed answer) a 500
 * InternalServerError. The messages quote the key manager.
 */
async function callKeyManager<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof OciEkmTimeoutError) {
      const { status, code } = OCI_EKM_TIMEOUT_ANSWER;
      throw new OciKmsError(status, code, `The external key manager did not answer ${what}: ${OciEkmTimeoutError.outcome(err.attempts)}`);
    }
    const status = (err as { status?: unknown }).status;
    const detail = err instanceof Error ? err.message : String(err);
    if (typeof status === "number" && status >= 400 && status < 500) {
      throw new OciKmsError(400, "InvalidParameter", `The external key manager refused ${what}: ${detail}`);
    }
    throw new OciKmsError(500, "InternalServerError", `The external key manager failed ${what}: ${detail}`);
  }
}
