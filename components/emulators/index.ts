// Emulated services (library code: used by the tests and by `npm run sandbox`).
export * from "./dsm";
export * from "./identity-domain";
export * from "./gateway";
export * from "./tls";
export * from "./private-endpoint";
export * from "./hop-clock";
export * from "./oci-kms";
export {
  OciKmsError,
  OCI_NOT_FOUND_MESSAGE,
  type Json,
  type ExternalKeyManager,
  type ExternalEncryptOptions,
  type OciCiphertextContent,
  type OciVaultJson,
  type OciEkmsPrivateEndpointJson,
  type OciKeyJson,
  type OciKeyVersionJson,
  type OciKeyVersionSummaryJson,
  type OciEncryptedDataJson,
  type OciDecryptedDataJson,
  type OciCreateVaultDetails,
  type OciCreateKeyDetails,
  type OciCreateEkmsPrivateEndpointDetails,
  type OciExternalKeyVersionReference,
  type OciEncryptDataDetails,
  type OciDecryptDataDetails,
} from "./oci-kms-models";
export { OciKmsService, type OciKmsServiceOptions, type OciKmsVault, type ListKeyVersionsQuery } from "./oci-kms-service";
export * from "./oci-kms-signature";
export * from "./oci-kms-config";
export * from "./oci-kms-sdk";
