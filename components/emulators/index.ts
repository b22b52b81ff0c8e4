// Emulated services (library code: used by the tests and by `npm run sandbox`).
export * from "./dsm";
export * from "./identity-domain";
export * from "./gateway";
export * from "./tls";
export * from "./private-endpoint";
