// Test tooling (`oci-ekm-fortanix/testing`): Pulumi's dynamic-provider host driven as the engine
// drives it, and the capture of what a program serializes for it.
export * from "./provider-host";
export * from "./engine-steps";
export * from "./capture";
