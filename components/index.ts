// The public surface of the package: every component, its Args, the DSM resources,
// the verify library and the emulators.
export {};
