// The public surface of the package: every component and its Args, the DSM resources,
// the verify library, the offline plan and the emulators.

// OCI components (issue 2).
export * from "./urls";
export * from "./network";
export * from "./certificate";
export * from "./gateway";
export * from "./identity";
export * from "./ekm";
export * from "./topology";
export * from "./policies";
export * from "./pem";

export * from "./dsm";
export * from "./verify";
export * from "./plan";
export * from "./emulators";
export * from "./sandbox";
export * from "./bench";
