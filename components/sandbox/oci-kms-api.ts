// OCI Vault as applications use it: OCI's Key Management API through Oracle's own TypeScript SDK
// (oci-keymanagement), signed with the sandbox's throw-away API key read from an OCI config file,
// against the emulated service. Its crypto calls go on to the external key manager through the
// private endpoint and the gateway to DSM, so the whole chain is exercised.
import type { ClientConfiguration } from "oci-common";
import type { KmsCryptoClient, KmsManagementClient } from "oci-keymanagement";
import { ociSdkTrusting, type OciSdkTrust } from "../verify/oci-sdk";

/** What OCI's Encrypt returned: an opaque ciphertext and the key reference version it was made under. */
export interface OciCiphertext {
  ciphertext: string;
  keyVersionId: string;
}

/** A key reference as GetKey answers it (the fields the sandbox shows). */
export interface OciKeyReferenceView {
  lifecycleState: string;
  currentKeyVersion: string;
  /** The external key version its current version names (DSM's kid). */
  externalKeyVersionId?: string;
}

/** A key reference version as ListKeyVersions answers it (the fields the sandbox shows). */
export interface OciKeyVersionView {
  id: string;
  lifecycleState: string;
  externalKeyVersionId?: string;
  timeOfDeletion?: string;
}

/** Oracle's `KmsCryptoClient` and `KmsManagementClient` for one vault. */
export class SandboxOciKmsApi {
  private constructor(
    private readonly crypto: KmsCryptoClient,
    private readonly management: KmsManagementClient,
    private readonly trust: OciSdkTrust,
  ) {}

  /**
   * Clients for the vault's endpoints, authenticated by the config file (as an application's would
   * be) and trusting `caPem`, the CA of the emulated service.
   */
  static async open(configFile: string, vault: { cryptoEndpoint: string; managementEndpoint: string }, caPem: string): Promise<SandboxOciKmsApi> {
    // Loaded only when used, as verify loads it.
    const common = await import("oci-common");
    const km = await import("oci-keymanagement");
    const authenticationDetailsProvider = new common.ConfigFileAuthenticationDetailsProvider(configFile);
    const trust = ociSdkTrusting([caPem]);
    const configuration: ClientConfiguration = trust.clientConfiguration;
    const crypto = new km.KmsCryptoClient({ authenticationDetailsProvider }, configuration);
    crypto.endpoint = vault.cryptoEndpoint;
    const management = new km.KmsManagementClient({ authenticationDetailsProvider }, configuration);
    management.endpoint = vault.managementEndpoint;
    return new SandboxOciKmsApi(crypto, management, trust);
  }

  async encrypt(keyId: string, plaintext: Buffer): Promise<OciCiphertext> {
    const { encryptedData } = await this.crypto.encrypt({ encryptDataDetails: { keyId, plaintext: plaintext.toString("base64") } });
    return { ciphertext: encryptedData.ciphertext, keyVersionId: encryptedData.keyVersionId ?? "" };
  }

  async decrypt(keyId: string, ciphertext: OciCiphertext): Promise<{ plaintext: Buffer; keyVersionId: string }> {
    const { decryptedData } = await this.crypto.decrypt({ decryptDataDetails: { keyId, ciphertext: ciphertext.ciphertext } });
    return { plaintext: Buffer.from(decryptedData.plaintext, "base64"), keyVersionId: decryptedData.keyVersionId ?? "" };
  }

  async getKey(keyId: string): Promise<OciKeyReferenceView> {
    const { key } = await this.management.getKey({ keyId });
    return {
      lifecycleState: String(key.lifecycleState),
      currentKeyVersion: key.currentKeyVersion,
      externalKeyVersionId: key.externalKeyReferenceDetails?.externalKeyVersionId,
    };
  }

  /** Every version of the key reference, oldest first (ListKeyVersions lists newest first). */
  async listKeyVersions(keyId: string): Promise<OciKeyVersionView[]> {
    const out: OciKeyVersionView[] = [];
    for await (const v of this.management.listKeyVersionsRecordIterator({ keyId })) {
      out.push({
        id: v.id,
        lifecycleState: String(v.lifecycleState),
        externalKeyVersionId: v.externalKeyReferenceDetails?.externalKeyVersionId,
        ...(v.timeOfDeletion === undefined ? {} : { timeOfDeletion: String(v.timeOfDeletion) }),
      });
    }
    return out.reverse();
  }

  /** The DSM kid a key reference version names. */
  async kidOf(keyId: string, keyVersionId: string): Promise<string> {
    const version = (await this.listKeyVersions(keyId)).find((v) => v.id === keyVersionId);
    return version?.externalKeyVersionId ?? "(unknown)";
  }

  async close(): Promise<void> {
    this.crypto.close();
    this.management.close();
    await this.trust.close();
  }
}
