// `npm run verify` against the sandbox, on what the stack outputs, whatever happened before: the
// Identity Domain, DSM and the vault URL as before, and OCI read through Oracle's SDK with the
// sandbox's OCI config file (the emulated Key Management service, its CA trusted).
import { DsmClient } from "../dsm/client";
import { dsmReaderFromClient } from "../verify/dsm-checks";
import { ekmOciReaderFromConfigFile, ociSdkTrusting } from "../verify/oci-sdk";
import type { EkmReplicaVerificationOptions } from "../verify/replica";
import { runEkmVerification, type EkmVerificationReport } from "../verify/run";
import type { SandboxContext } from "./context";
import { str } from "./resources";

export const VERIFY_STEP = "verify (npm run verify against the sandbox)";

const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const texts = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(str) : undefined);

async function verifyOnOutputs(ctx: SandboxContext, out: Record<string, unknown>): Promise<EkmVerificationReport> {
  const { wiring, vaultClient, ociUser } = ctx;
  if (!wiring || !vaultClient || !ociUser) throw new Error("the topology did not come up");
  const dsm = ctx.requireDsm();
  const trust = ociSdkTrusting([ctx.ca.certPem]);
  const oci = await ekmOciReaderFromConfigFile({ configFile: ociUser.configFile, kmsEndpoint: ctx.ociKms.url, clientConfiguration: trust.clientConfiguration });
  try {
    return await runEkmVerification({
      domainUrl: str(out.identityDomainUrl),
      clientId: str(out.clientId),
      clientSecret: str(out.clientSecret),
      scope: str(out.scope),
      dsmUrl: str(out.dsmUrl),
      gatewayBaseUrl: str(out.gatewayBaseUrl),
      vaultUrl: vaultClient.localVaultUrl(),
      keyNames: out.keyNames as string[],
      keyIds: out.dsmKeyIds as string[] | undefined,
      // The gateway is trusted as the private endpoint trusts it: through the stack's CA bundle.
      caBundle: ctx.ca.certPem + "\n" + str(out.caBundle ?? wiring.privateEndpoint.inputs.caBundle),
      tlsServerName: str(out.gatewayHostname),
      dsm: dsmReaderFromClient(new DsmClient({ endpoint: dsm.url, apiKey: ctx.dsmApiKey, caBundle: ctx.ca.certPem })),
      oci: oci.reader,
      vaultId: text(out.vaultId),
      privateEndpointId: text(out.privateEndpointId),
      managementEndpoint: text(out.managementEndpoint),
      keyReferenceIds: texts(out.keyReferenceIds),
      secrets: [ctx.dsmApiKey, ociUser.apiKey.privateKeyPem],
      replica: replicaToVerify(ctx, out),
    });
  } finally {
    oci.close();
    await trust.close();
  }
}

/** The replica region's chain, when the stack has one: its gateway's audience, and its vault URL as this machine reaches it. */
function replicaToVerify(ctx: SandboxContext, out: Record<string, unknown>): EkmReplicaVerificationOptions | undefined {
  const region = text(out.replicaRegion);
  const audience = text(out.replicaAudience);
  if (region === undefined || audience === undefined) return undefined;
  const vaultUrl = ctx.replica?.client?.localVaultUrl();
  return { region, gatewayBaseUrl: audience, ...(text(out.replicaScope) ? { scope: str(out.replicaScope) } : {}), ...(vaultUrl ? { vaultUrl } : {}) };
}

export async function verifyStep(ctx: SandboxContext): Promise<EkmVerificationReport | undefined> {
  const out = ctx.stackOutputs;
  if (!ctx.plan || !ctx.wiring || !ctx.vaultClient || !out) {
    ctx.runner.skip(VERIFY_STEP, ctx.aborted ? "not run: the sandbox was asked to stop" : "the topology did not come up");
    return undefined;
  }
  return ctx.runner.run(
    VERIFY_STEP,
    async () => {
      const report = await verifyOnOutputs(ctx, out);
      const failed = report.checks.filter((c) => c.status === "failed");
      const passed = report.checks.filter((c) => c.status === "passed").length;
      if (failed.length > 0) {
        const names = failed.map((c) => c.name + (c.subject ? ` (${c.subject})` : "")).join(", ");
        return { value: report, detail: `${failed.length} check(s) failed: ${names}`, failed: true };
      }
      return { value: report, detail: `${passed} checks passed` };
    },
    true,
  );
}
