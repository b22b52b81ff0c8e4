// The verify library: token checks, JWKS adapter, DSM checks, EKM probe and the orchestrator behind
// `npm run verify`.
export * from "./checks";
export * from "./http";
export * from "./oidc";
export * from "./token";
export * from "./jwks-adapter";
export * from "./dsm-checks";
export * from "./ekm-probe";
export * from "./run";
export * from "./options";
export * from "./command";
export * from "./oci-checks";
export * from "./oci-sdk";
export * from "./timing";
// OCI's time budget for the key manager, which verify measures its calls against.
export * from "../oci-ekm-budget";
