// The services the topology talks to: the Identity Domain, DSM and OCI's Key Management service,
// each emulated over HTTPS on loopback with certificates of the sandbox CA.
import { adaptJwksForApiGateway } from "../verify/jwks-adapter";
import { injectDsmLatency } from "./budget";
import type { SandboxContext } from "./context";
import { sandboxReplicaRegionFor, sandboxWantsReplica } from "./replica";
import { sandboxStackConfig } from "./stack";

export const SERVICES_STEP = "start the emulated Identity Domain, DSM and OCI Key Management";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function startServicesStep(ctx: SandboxContext): Promise<void> {
  const { options } = ctx;
  // A stack's DSM account id is only an identifier: the emulated DSM takes it as its own, so the
  // vault URL keeps the user's account. One that is no UUID stays, for validation to report.
  const stackAccountId = options.stack?.config[`${options.stack.project}:dsmAccountId`];
  const accountId = stackAccountId !== undefined && UUID.test(stackAccountId) ? stackAccountId : undefined;
  await ctx.runner.run(SERVICES_STEP, async () => {
    await ctx.identity.start();
    // DSM's public URL is its loopback URL here, so the token audience, the gateway backend and
    // the JWT app all name the same DSM.
    const dsm = await ctx.startDsm(accountId);
    injectDsmLatency(dsm, options.dsmLatencyMs ?? 0);
    await ctx.ociKms.start();
    // The OCI user the sandbox signs OCI's Key Management calls with, as an application would.
    ctx.createOciUser();
    if (options.stack) {
      ctx.stackRun = sandboxStackConfig(
        options.stack,
        { identityDomainUrl: ctx.identity.url, dsmUrl: dsm.url, staticKeys: adaptJwksForApiGateway(ctx.identity.jwks).keys },
        { gatewayTokenValidation: options.gatewayTokenValidation, gatewayRoute: options.gatewayRoute, replicaRegion: sandboxWantsReplica(options) ? sandboxReplicaRegionFor(options.stack.config["oci:region"]) : undefined },
      );
      options.onEvent?.({ kind: "overlaid", overlaid: ctx.stackRun.overlaid });
    }
    const latency = options.dsmLatencyMs ? `, answering Encrypt and Decrypt ${options.dsmLatencyMs} ms late` : "";
    return { value: undefined, detail: `Identity Domain ${ctx.identity.url}, DSM ${dsm.url} (account ${dsm.accountId}${latency}), OCI Key Management ${ctx.ociKms.url}` };
  });
}
