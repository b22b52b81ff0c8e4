// The offline plan: run a Pulumi program in-process under mocks and inspect what it registers.
export * from "./engine";
export * from "./report";
export * from "./stack-config";
export * from "./command";
export * from "./providers";
// Whether the @pulumi/pulumi loaded still has every internal the plan relies on (sdk-shims.ts).
export { planSdkShimProblems, planSdkModules, type PlanSdkModules } from "./sdk-shims";
