// The sandbox: the real stack program, run in-process under mocks whose answers come from emulated
// services (OCI's Key Management service among them), then used the way OCI Vault uses it (the
// Fortanix EKM guide, section 11, and OCI's own API through Oracle's SDK), a key rotated the way
// Oracle describes, and checked by `verify`. Each group of steps is a module of its own; the
// context (context.ts) holds what they share.
import { renameKeyInDsmStep } from "./breaks";
import { dsmLatencyProblem } from "./budget";
import { SandboxContext } from "./context";
import { decryptStep, encryptAgainStep, encryptStep, sampleKey } from "./oci-kms-steps";
import { ociVaultSteps } from "./oci-vault-steps";
import { sandboxResult } from "./result";
import { replicaDecryptStep } from "./replica";
import { T } from "./resources";
import { rotationSteps } from "./rotation";
import { startServicesStep } from "./services";
import { pulumiUpStep } from "./up";
import { verifyStep } from "./verify-step";
import { routeStep, wiringStep } from "./wiring";
import type { SandboxOptions, SandboxResult } from "./types";

export * from "./types";
export { countChecks } from "./result";
export { SANDBOX_SCOPE_REFUSAL_STEP } from "./oci-vault-steps";

/**
 * Stands the topology up on this machine and uses it: emulated Identity Domain, DSM and OCI Key
 * Management (HTTPS, sandbox CA); the real stack program under mocks answered by them (DSM objects
 * created through the providers; OCI's vault and key references created by the OCI emulator, which
 * calls DSM through an emulated private endpoint and gateway built from what the program registered);
 * OCI Vault's calls; a key rotation by a second run of the program; and `verify`.
 */
export async function runSandbox(options: SandboxOptions): Promise<SandboxResult> {
  const latency = options.dsmLatencyMs === undefined ? undefined : dsmLatencyProblem(options.dsmLatencyMs);
  if (latency) throw new Error(`runSandbox: dsmLatencyMs ${latency}`);
  const ctx = new SandboxContext(options);
  try {
    await startServicesStep(ctx);
    await pulumiUpStep(ctx);
    if (options.break === "key-name" && ctx.plan) await renameKeyInDsmStep(ctx);
    await wiringStep(ctx);
    await routeStep(ctx);
    await ociVaultSteps(ctx);
    const key = sampleKey(ctx);
    const before = await encryptStep(ctx, key);
    const { rotation } = await rotationSteps(ctx, key);
    const after = await encryptAgainStep(ctx, key, before, rotation);
    await decryptStep(ctx, key, [before, after]);
    if (ctx.registered.byType(T.vaultReplication).length > 0) await replicaDecryptStep(ctx, key, [before, after]);
    const result = sandboxResult(ctx, await verifyStep(ctx));
    if (!options.keep) await ctx.stopAll();
    return result;
  } catch (err) {
    await ctx.stopAll();
    throw err;
  }
}
