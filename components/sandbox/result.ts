// The sandbox's result: its steps, verify's report, what was served, and where a kept sandbox runs.
import type { EkmVerificationReport } from "../verify/run";
import { keyManagerTimes } from "./budget";
import type { SandboxContext } from "./context";
import { str } from "./resources";
import type { SandboxEndpoints, SandboxResult, SandboxSummary } from "./types";

/** verify's checks by outcome: passed, failed and skipped always, then any other outcome in order of appearance. */
export function countChecks(checks: readonly { status: string }[]): Record<string, number> {
  const counts: Record<string, number> = { passed: 0, failed: 0, skipped: 0 };
  for (const c of checks) counts[c.status] = (counts[c.status] ?? 0) + 1;
  return counts;
}

function summaryOf(ctx: SandboxContext, verification: EkmVerificationReport | undefined): SandboxSummary {
  const { runner, hosts } = ctx;
  const checks = verification?.checks ?? [];
  return {
    resourcesPlanned: ctx.plan?.resources.length ?? 0,
    dsmObjectsCreated: ctx.dsmObjectsCreated,
    dsmHost: { processes: hosts.length, ...(hosts[0] ? { sdkVersion: hosts[0].sdkVersion } : {}) },
    requestsServed: {
      identityDomain: ctx.identity.requests.length,
      gateway: ctx.gateway?.requests.length ?? 0,
      dsm: ctx.dsm?.requests.length ?? 0,
      ociKms: ctx.ociKms.requests.length,
    },
    steps: { passed: runner.count("passed"), failed: runner.count("failed"), skipped: runner.count("skipped") },
    checks: countChecks(checks),
    checksPassed: checks.filter((c) => c.status === "passed").length,
    checksRun: checks.filter((c) => c.status !== "skipped").length,
  };
}

/** Where the sandbox runs, once the topology came up (a vault URL that names no listener leaves it undefined). */
function endpointsOf(ctx: SandboxContext): SandboxEndpoints | undefined {
  const { plan, gateway, dsm, wiring, vaultClient, ociUser } = ctx;
  if (!plan || !gateway || !dsm || !wiring || !vaultClient || !ociUser) return undefined;
  let localVaultUrl: string;
  try {
    localVaultUrl = vaultClient.localVaultUrl();
  } catch {
    // It failed its step already; it must not turn the result into a throw.
    return undefined;
  }
  return {
    identityDomainUrl: ctx.identity.url,
    dsmUrl: dsm.url,
    gatewayUrl: `https://127.0.0.1:${gateway.port}/`,
    localVaultUrl,
    ...(ctx.replica?.client ? { localReplicaVaultUrl: ctx.replica.client.localVaultUrl() } : {}),
    gatewayHostname: str(plan.outputValues.gatewayHostname),
    caPem: ctx.ca.certPem,
    gatewayCaBundlePem: str(wiring.privateEndpoint.inputs.caBundle),
    dsmApiKey: ctx.dsmApiKey,
    ociKmsEndpoint: ctx.ociKms.url,
    ociApiKey: ociUser.apiKey,
    stackOutputs: ctx.stackOutputs ?? plan.outputValues,
  };
}

export function sandboxResult(ctx: SandboxContext, verification: EkmVerificationReport | undefined): SandboxResult {
  return {
    ok: ctx.runner.failed === undefined,
    steps: ctx.runner.steps,
    failedStep: ctx.runner.failed,
    verification,
    summary: summaryOf(ctx, verification),
    overlaid: ctx.stackRun?.overlaid ?? [],
    keyManager: keyManagerTimes(ctx),
    endpoints: endpointsOf(ctx),
    stop: ctx.options.keep ? () => ctx.stopAll() : async () => undefined,
  };
}
