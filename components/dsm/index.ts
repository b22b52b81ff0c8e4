// Fortanix DSM: the REST client, the dynamic providers and the resources (group, JWT app, AES-256 key).
export * from "./client";
export * from "./api";
export * from "./api-apps";
export * from "./api-keys";
export * from "./schemas";
export * from "./provider";
export * from "./resources";
export * from "./provider-module";
