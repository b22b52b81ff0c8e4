// `pulumi up` of the real program, in-process, every resource answered by the emulated services
// (mocks.ts); run once to stand the stack up, and again for the rotation, from the first run's state.
import * as pulumi from "@pulumi/pulumi";
import { runStackInProcess, type PlanResult } from "../plan/engine";
import { adaptJwksForApiGateway } from "../verify/jwks-adapter";
import { breakTransformation } from "./breaks";
import type { SandboxContext, SandboxProgramConfig } from "./context";
import { SandboxMocks, type ProgramRunHooks } from "./mocks";
import { SANDBOX_REPLICA_REGION, sandboxWantsReplica } from "./replica";
import type { RegisteredResources } from "./resources";

export const UP_STEP = "pulumi up (in-process, mocks answered by the emulators, DSM through Pulumi's dynamic-provider host)";

/** The config the program runs with: the user's stack with the emulators in place, or the sandbox's own. */
export function programConfigFor(ctx: SandboxContext): SandboxProgramConfig {
  const { options, stackRun } = ctx;
  const dsm = ctx.requireDsm();
  if (options.stack && stackRun) {
    return { config: { ...stackRun.config, ...options.config }, project: options.stack.project, stack: options.stack.name, secretKeys: stackRun.secretKeys };
  }
  const builtIn: Record<string, unknown> = {
    "oci-ekm:compartmentId": "ocid1.compartment.oc1..aaaaaaaasandboxsandboxsandboxsandboxsandboxsandbox",
    "oci-ekm:identityDomainUrl": ctx.identity.url,
    "oci-ekm:dsmUrl": dsm.url,
    "oci-ekm:dsmAccountId": dsm.accountId,
    "oci-ekm:gatewayHostname": "ekm-gateway.sandbox.internal",
    ...(options.gatewayTokenValidation ? { "oci-ekm:gatewayTokenValidation": options.gatewayTokenValidation } : {}),
    ...(options.gatewayRoute ? { "oci-ekm:gatewayRoute": options.gatewayRoute } : {}),
    ...(sandboxWantsReplica(options) ? { "oci-ekm:replicaRegion": SANDBOX_REPLICA_REGION } : {}),
    ...(options.gatewayTokenValidation === "staticKeys" ? { "oci-ekm:gatewayStaticKeys": adaptJwksForApiGateway(ctx.identity.jwks).keys } : {}),
  };
  return { config: { ...builtIn, ...options.config }, project: "oci-ekm" };
}

/** One run of the stack program; `prior` is the state it starts from (the earlier run's registrations). */
export async function runProgram(
  ctx: SandboxContext,
  run: SandboxProgramConfig,
  prior?: RegisteredResources,
  hooks?: ProgramRunHooks,
): Promise<{ plan: PlanResult; mocks: SandboxMocks }> {
  const mocks = new SandboxMocks(ctx, prior, hooks);
  const transformation = ctx.options.break ? breakTransformation(ctx.options.break) : undefined;
  try {
    const plan = await runStackInProcess({
      program: async () => {
        if (transformation) pulumi.runtime.registerStackTransformation(transformation);
        return ctx.options.program();
      },
      ...(run.stack ? { project: run.project, stack: run.stack, secretKeys: run.secretKeys } : {}),
      config: run.config,
      onNewResource: mocks.answer,
    });
    return { plan, mocks };
  } finally {
    // The command is over: its host goes, as the engine ends its plugins.
    await mocks.stopHost();
  }
}

/** The stack outputs without those naming what OCI refused to create: a failed `pulumi up` sets none of them. */
function outputsOfCreated(plan: PlanResult, mocks: SandboxMocks): Record<string, unknown> {
  return Object.fromEntries(Object.entries(plan.outputValues).filter(([k]) => !mocks.refusedOutputs.has(k)));
}

/** The first `pulumi up`: the stack stood up; OCI calls DSM through the gateway as it creates the vault and key references. */
export async function pulumiUpStep(ctx: SandboxContext): Promise<PlanResult | undefined> {
  return ctx.runner.run(UP_STEP, async () => {
    ctx.programConfig = programConfigFor(ctx);
    const { plan, mocks } = await runProgram(ctx, ctx.programConfig);
    ctx.registered = mocks.registered;
    if (mocks.problems.length > 0) throw new Error(mocks.problems.join("; "));
    ctx.plan = plan;
    ctx.stackOutputs = outputsOfCreated(plan, mocks);
    const created = `${plan.resources.length} resources registered, ${ctx.dsmObjectsCreated} DSM objects created`;
    if (mocks.ociRefusals.length > 0) return { value: plan, detail: `${mocks.ociRefusals.join("; ")} (${created})`, failed: true };
    const keys = mocks.registered.byType("oci:Kms/key:Key").length;
    return {
      value: plan,
      detail: `${created}; OCI created the vault and ${keys} key reference${keys === 1 ? "" : "s"}, calling DSM through the private endpoint and the gateway`,
    };
  });
}
