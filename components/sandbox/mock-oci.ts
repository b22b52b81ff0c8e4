// OCI's Key Management resources of the stack, created in the emulated OCI as OCI creates them:
// the private endpoint; the vault, for which OCI calls the external key manager (a token from the
// Identity Domain, then GetVaultMetadata through the private endpoint and the gateway to DSM); each
// key reference (GetKeyMetadata: DSM's current version becomes its first version); each key
// reference version (CreateKeyVersion). The OCIDs and endpoints the program gets are the emulator's.
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { OciKmsError, type OciCreateKeyDetails, type OciCreateVaultDetails } from "../emulators/oci-kms-models";
import type { PlanMockResult } from "../plan/engine";
import type { SandboxContext } from "./context";
import type { SandboxMocks } from "./mocks";
import { OciVaultClient } from "./oci-vault";
import { T, obj, str, type Props } from "./resources";
import { replicationAnswer } from "./replica";
import { keyManagerThroughGateway, startWiring } from "./wiring";

/** The stack outputs that name the vault and what is in it: unset when OCI did not create the vault. */
const VAULT_OUTPUTS = ["vaultId", "managementEndpoint", "cryptoEndpoint", "keyReferenceIds", "keyReferenceVersions"];

/** OCI's answer in one line: `HTTP 400 InvalidParameter: …`. */
function describe(err: unknown): string {
  if (err instanceof OciKmsError) return `HTTP ${err.status} ${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export async function ociAnswer(m: SandboxMocks, args: MockResourceArgs, inputs: Props, defaults: PlanMockResult): Promise<PlanMockResult | undefined> {
  const refused = (operation: string, err: unknown, outputs: string[]): undefined => {
    m.ociRefusals.push(`${args.name}: OCI refused ${operation}: ${describe(err)}`);
    for (const o of outputs) m.refusedOutputs.add(o);
    return undefined;
  };
  switch (args.type) {
    case T.privateEndpoint:
      try {
        return privateEndpointAnswer(m.ctx, inputs, defaults);
      } catch (err) {
        return refused("CreateEkmsPrivateEndpoint", err, ["privateEndpointId", ...VAULT_OUTPUTS]);
      }
    case T.vault:
      try {
        return await vaultAnswer(m, inputs, defaults);
      } catch (err) {
        return refused("CreateVault", err, VAULT_OUTPUTS);
      }
    case T.keyReference:
      // Without its vault there is nothing to create it in; the vault's refusal says why.
      if (m.refusedOutputs.has("vaultId")) return undefined;
      try {
        return await keyReferenceAnswer(m.ctx, inputs, defaults);
      } catch (err) {
        return refused("CreateKey", err, ["keyReferenceIds", "keyReferenceVersions"]);
      }
    case T.vaultReplication:
      if (m.refusedOutputs.has("vaultId")) return undefined;
      try {
        return await replicationAnswer(m, inputs, defaults);
      } catch (err) {
        return refused("CreateVaultReplica", err, []);
      }
    case T.keyVersion:
      try {
        await m.hooks.beforeKeyVersion?.();
        const json = await m.ctx.ociKms.createKeyVersion(str(inputs.managementEndpoint), str(inputs.keyId), { externalKeyVersionId: str(inputs.externalKeyVersionId) });
        return { id: json.id, state: { ...defaults.state, keyVersionId: json.id, state: json.lifecycleState, timeCreated: json.timeCreated } };
      } catch (err) {
        return refused("CreateKeyVersion", err, ["keyReferenceVersions"]);
      }
    default:
      return undefined;
  }
}

function privateEndpointAnswer(ctx: SandboxContext, inputs: Props, defaults: PlanMockResult): PlanMockResult {
  const json = ctx.ociKms.createEkmsPrivateEndpoint(
    {
      compartmentId: str(inputs.compartmentId),
      subnetId: str(inputs.subnetId),
      displayName: str(inputs.displayName),
      externalKeyManagerIp: str(inputs.externalKeyManagerIp),
      caBundle: str(inputs.caBundle),
      ...(inputs.port === undefined ? {} : { port: Number(inputs.port) }),
    },
    // OCI takes the IP from the subnet; the plan's is the one the emulated VCN uses.
    str(defaults.state.privateEndpointIp),
  );
  return { id: json.id, state: { ...defaults.state, privateEndpointIp: json.privateEndpointIp, state: json.lifecycleState } };
}

/**
 * The vault: the gateway and the private endpoint start now (OCI reaches the key manager through
 * them as it creates the vault), OCI Vault's client gets its token, and OCI creates the vault.
 */
async function vaultAnswer(m: SandboxMocks, inputs: Props, defaults: PlanMockResult): Promise<PlanMockResult> {
  const { ctx } = m;
  const meta = obj(inputs.externalKeyManagerMetadata);
  const wiring = await startWiring(ctx, m.registered, meta.privateEndpointId);
  ctx.throwIfAborted();
  const oauth = obj(meta.oauthMetadata);
  const app = ctx.identity.getApp(str(oauth.clientAppId));
  if (!app) throw new Error(`the vault's clientAppId ${str(oauth.clientAppId)} is no app of the Identity Domain`);
  const client = new OciVaultClient(
    {
      vaultUrl: str(meta.externalVaultEndpointUrl),
      idcsUrl: str(oauth.idcsAccountNameUrl),
      clientId: str(oauth.clientAppId),
      clientSecret: str(oauth.clientAppSecret),
      scope: app.allowedScopes[0] ?? "",
      caBundle: str(wiring.privateEndpoint.inputs.caBundle),
      serverName: gatewayHostname(ctx),
    },
    wiring.network,
    ctx.ca.certPem,
    ctx.hopClock,
  );
  ctx.vaultClient = client;
  await client.obtainToken();
  const json = await ctx.ociKms.createVault(inputs as unknown as OciCreateVaultDetails, keyManagerThroughGateway(ctx, client));
  return {
    id: json.id,
    state: { ...defaults.state, managementEndpoint: json.managementEndpoint, cryptoEndpoint: json.cryptoEndpoint, state: json.lifecycleState },
  };
}

/** The name the gateway's certificate carries (the stack's `gatewayHostname`): what OCI Vault checks the gateway against. */
export function gatewayHostname(ctx: SandboxContext): string {
  const run = ctx.programConfig;
  return run ? str(run.config[`${run.project}:gatewayHostname`]) : "";
}

async function keyReferenceAnswer(ctx: SandboxContext, inputs: Props, defaults: PlanMockResult): Promise<PlanMockResult> {
  const json = await ctx.ociKms.createKey(str(inputs.managementEndpoint), inputs as unknown as OciCreateKeyDetails);
  return { id: json.id, state: { ...defaults.state, currentKeyVersion: json.currentKeyVersion, state: json.lifecycleState } };
}
