// Emulated services (library code: used by the tests and by `npm run sandbox`).
export * from "./dsm";
export * from "./identity-domain";
export * from "./gateway";
export * from "./tls";
export * from "./private-endpoint";
export * from "./oci-kms";
export * from "./oci-kms-models";
export * from "./oci-kms-service";
export * from "./oci-kms-signature";
export * from "./oci-kms-config";
export * from "./oci-kms-sdk";
