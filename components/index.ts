// The package's main entry: what a stack program declares. The components and their Args, the DSM
// resources and client, and the pure helpers a program uses (URLs, PEM checks, IAM statements).
// Tooling lives on subpaths so that a stack does not load it: `oci-ekm-fortanix/verify`,
// `/plan`, `/sandbox`, `/emulators`, `/bench` and `/testing` (the dynamic-provider host harness).
export * from "./urls";
export * from "./network";
export * from "./certificate";
export * from "./gateway";
export * from "./identity";
export * from "./identity-domain-url";
export * from "./ekm";
export * from "./replica";
export * from "./topology";
export * from "./policies";
export * from "./pem";
export * from "./dsm";
