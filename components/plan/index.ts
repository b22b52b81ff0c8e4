// The offline plan: run a Pulumi program in-process under mocks and inspect what it registers.
export * from "./engine";
export * from "./report";
export * from "./stack-config";
export * from "./command";
