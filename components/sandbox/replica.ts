// The vault's replica in a second region (Oracle's "Replicating External Vaults"): when the program
// declares the replication, OCI in the replica region reaches DSM its own way (its private endpoint,
// its gateway, a token for the replica's scope from the same client app) and OCI creates the
// replica with the vault's OCIDs. Then OCI Vault in that region decrypts, under the same key
// reference OCID, what the source region encrypted.
import type { PlanMockResult } from "../plan/engine";
import { ociRealmOf, ociRegionsOfRealm } from "../regions";
import { fullyQualifiedScope, gatewayBaseUrl } from "../urls";
import type { SandboxContext } from "./context";
import type { SandboxMocks } from "./mocks";
import { SandboxOciKmsApi } from "./oci-kms-api";
import { SANDBOX_SAMPLE, type SandboxCiphertext, type SandboxSampleKey } from "./oci-kms-steps";
import { OciVaultClient } from "./oci-vault";
import { gatewayHostname } from "./mock-oci";
import { T, obj, str, type Props } from "./resources";
import type { SandboxOptions } from "./types";
import { keyManagerThroughGateway, startChain, type SandboxChain } from "./wiring";

/** The replica region of `npm run sandbox -- --replica`. */
export const SANDBOX_REPLICA_REGION = "eu-amsterdam-1";

/**
 * The sandbox's replica region for a stack in `ociRegion`: `eu-amsterdam-1`; `eu-paris-1` for a
 * stack in Amsterdam itself; for a stack in a government or sovereign realm, another region of that
 * realm (a vault replicates only within its realm).
 */
export function sandboxReplicaRegionFor(ociRegion: string | undefined): string {
  const realm = ociRegion === undefined ? "oc1" : ociRealmOf(ociRegion);
  if (realm !== "oc1") return ociRegionsOfRealm(realm).find((r) => r !== ociRegion) ?? SANDBOX_REPLICA_REGION;
  return ociRegion === SANDBOX_REPLICA_REGION ? "eu-paris-1" : SANDBOX_REPLICA_REGION;
}

/** `--replica`, or a break that needs one. */
export function sandboxWantsReplica(options: Pick<SandboxOptions, "replica" | "break">): boolean {
  return options.replica === true || options.break === "replica-audience";
}

/** The replica as OCI created it in the sandbox. */
export interface SandboxReplica {
  region: string;
  chain: SandboxChain;
  /** OCI Vault's client in the replica region. */
  client?: OciVaultClient;
  /** The replica's endpoints (same vault OCID). */
  vault?: { cryptoEndpoint: string; managementEndpoint: string };
  /** Oracle's SDK clients for the replica's endpoints. */
  api?: SandboxOciKmsApi;
}

/**
 * The source's vault URL with the replica's host in place of the source's: its private endpoint's
 * IP where the source names its own private endpoint, else the replica's gateway IP. Oracle does
 * not say which URL a replica calls; the path (the DSM account) is the same.
 */
export function replicaVaultUrl(sourceUrl: string, source: { privateEndpointIp: string }, replica: { privateEndpointIp: string; gatewayIp: string }): string {
  const url = new URL(sourceUrl);
  url.hostname = url.hostname === source.privateEndpointIp ? replica.privateEndpointIp : replica.gatewayIp;
  return url.toString().replace(/\/$/, "");
}

/** `oci.kms.VaultVerification`: the replica region's chain started, OCI Vault's token there, then CreateVaultReplica. */
export async function replicationAnswer(m: SandboxMocks, inputs: Props, defaults: PlanMockResult): Promise<PlanMockResult> {
  const { ctx } = m;
  const meta = obj(inputs.replicaVaultMetadata);
  const source = m.registered.byId(T.vault, inputs.vaultId);
  if (!source) throw new Error(`vaultId ${str(inputs.vaultId)} is no vault of this stack`);
  const region = str(inputs.replicaRegion);
  const chain = await startChain(ctx, m.registered, meta.privateEndpointId);
  const replica: SandboxReplica = { region, chain };
  ctx.replica = replica;
  ctx.throwIfAborted();
  const ekm = obj(source.inputs.externalKeyManagerMetadata);
  const oauth = obj(ekm.oauthMetadata);
  const pe = chain.wiring.privateEndpoint;
  const sourcePe = m.registered.byId(T.privateEndpoint, ekm.privateEndpointId);
  replica.client = new OciVaultClient(
    {
      vaultUrl: replicaVaultUrl(str(ekm.externalVaultEndpointUrl), { privateEndpointIp: str(sourcePe?.state.privateEndpointIp) }, { privateEndpointIp: str(pe.state.privateEndpointIp), gatewayIp: chain.wiring.gatewayIp }),
      idcsUrl: str(meta.idcsAccountNameUrl),
      // No client of its own: the replica authenticates as the source vault's client app.
      clientId: str(oauth.clientAppId),
      clientSecret: str(oauth.clientAppSecret),
      // OCI asks for the scope of the gateway its private endpoint reaches: the replica resource app's.
      scope: fullyQualifiedScope(gatewayBaseUrl(str(pe.inputs.externalKeyManagerIp))),
      caBundle: str(pe.inputs.caBundle),
      serverName: gatewayHostname(ctx),
    },
    chain.wiring.network,
    ctx.ca.certPem,
    ctx.hopClock,
  );
  await replica.client.obtainToken();
  const json = await ctx.ociKms.replicateVault(
    str(inputs.vaultId),
    { replicaRegion: region, privateEndpointId: str(meta.privateEndpointId), idcsAccountNameUrl: str(meta.idcsAccountNameUrl) },
    keyManagerThroughGateway(ctx, replica.client, chain.gateway),
  );
  replica.vault = { cryptoEndpoint: json.cryptoEndpoint, managementEndpoint: json.managementEndpoint };
  return { id: defaults.id, state: { ...defaults.state, cryptoEndpoint: json.cryptoEndpoint, managementEndpoint: json.managementEndpoint, vaultReplicaStatus: "REPLICATED" } };
}

export const REPLICA_DECRYPT_STEP = "OCI Vault in the replica region decrypts both ciphertexts, same key reference OCID, through its own private endpoint and gateway";

/** The replica region decrypts what the source region encrypted, through Oracle's SDK at the replica's crypto endpoint. */
export async function replicaDecryptStep(ctx: SandboxContext, key: SandboxSampleKey, ciphertexts: (SandboxCiphertext | undefined)[]): Promise<void> {
  await ctx.runner.run(REPLICA_DECRYPT_STEP, async () => {
    const replica = ctx.replica;
    if (!replica?.vault || !ctx.ociUser) throw new Error("OCI did not create the replica (see pulumi up)");
    replica.api ??= await SandboxOciKmsApi.open(ctx.ociUser.configFile, replica.vault, ctx.ca.certPem);
    const seen = replica.chain.gateway.requests.length;
    for (const c of ciphertexts) {
      if (!c) throw new Error("a ciphertext is missing");
      const out = await replica.api.decrypt(key.keyReferenceId, c);
      if (!out.plaintext.equals(SANDBOX_SAMPLE)) throw new Error(`the replica decrypted the ciphertext of version ${c.keyVersionId} to other bytes`);
    }
    const through = replica.chain.gateway.requests.length - seen;
    return { value: undefined, detail: `${replica.region}: key ${key.keyReferenceId}, ${ciphertexts.length} ciphertexts, ${through} calls through the replica's gateway ${replica.chain.wiring.gatewayIp}` };
  });
}
