// The dynamic resources a program registers, as the engine receives them: type, URN and inputs,
// with the serialized provider (`__provider`) the host will load. The program runs under mocks
// (the offline plan engine), in whatever way the calling process loaded this library.
import { type PlanResult, runStackInProcess, type PlanRunOptions } from "../plan/engine";

export { runStackInProcess, type PlanResource, type PlanResult, type PlanRunOptions } from "../plan/engine";

/** One dynamic resource as the program registered it. */
export interface CapturedDynamicResource {
  urn: string;
  /** `pulumi-nodejs:dynamic/<module>:<type>`. */
  type: string;
  name: string;
  /** The registered inputs, `__provider` among them; secrets appear as `[secret]`. */
  inputs: Record<string, unknown>;
}

/** Runs the program under mocks and returns every dynamic resource it registered, in construction order. */
export async function captureDynamicResources(options: PlanRunOptions): Promise<CapturedDynamicResource[]> {
  return dynamicResourcesOf(await runStackInProcess(options));
}

/** The dynamic resources of a run, in construction order. */
export function dynamicResourcesOf(result: PlanResult): CapturedDynamicResource[] {
  return result.resources
    .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"))
    .map((r) => ({ urn: r.urn, type: r.type, name: r.name, inputs: r.inputs }));
}
