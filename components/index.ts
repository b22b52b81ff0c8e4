// The public surface of the package: every component and its Args, the DSM resources,
// the verify library, the offline plan and the emulators.

// OCI components (issue 2) — exports added below by the OCI work.

export * from "./dsm";
export * from "./verify";
export * from "./plan";
export * from "./emulators";
