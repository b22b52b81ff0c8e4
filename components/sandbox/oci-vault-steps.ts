// OCI Vault at work on the external key manager (the Fortanix EKM guide, section 11): its token, then
// the vendor API calls it makes through the private endpoint and the gateway (GetVaultMetadata,
// GetKeyMetadata, GetKeyVersionMetadata), as OciVaultClient makes them.
import { OCI_EKMS_SCOPE } from "../urls";
import type { SandboxContext } from "./context";
import type { OciVaultClient } from "./oci-vault";
import { T, obj, str } from "./resources";
import { atGateway } from "./wiring";

/** The step that shows the gateway refusing a token without the `oci_ekms` scope (gateway token validation only). */
export const SANDBOX_SCOPE_REFUSAL_STEP = `the gateway refuses a token without the ${OCI_EKMS_SCOPE} scope (gateway token validation)`;
export const TOKEN_STEP = "OCI Vault: token from the Identity Domain (client credentials)";

/**
 * Every key of the stack, in the order of its config: the key references say which names OCI Vault
 * asks for. The first one is used, rotated and used again.
 */
export function sandboxKeyNames(ctx: SandboxContext): string[] {
  const referenced = ctx.registered.byType(T.keyReference).map((r) => str(obj(r.inputs.externalKeyReference).externalKeyId));
  const configured = ctx.stackOutputs?.keyNames;
  return Array.isArray(configured) ? configured.map(str).filter((n) => referenced.includes(n)) : referenced;
}

function requireClient(ctx: SandboxContext): OciVaultClient {
  if (!ctx.vaultClient) throw new Error("the program registered no external vault");
  return ctx.vaultClient;
}

/** OCI Vault's token: the vault's client credentials, at the domain the vault names. */
async function tokenStep(ctx: SandboxContext): Promise<{ clientId: string; scope: string } | undefined> {
  return ctx.runner.run(TOKEN_STEP, async () => {
    const vault = ctx.registered.byType(T.vault)[0];
    const client = requireClient(ctx);
    if (!vault || !ctx.wiring) throw new Error("the program registered no external vault");
    const meta = obj(vault.inputs.externalKeyManagerMetadata);
    const clientId = str(obj(meta.oauthMetadata).clientAppId);
    const app = ctx.identity.getApp(clientId);
    if (!app) throw new Error(`the vault's clientAppId ${clientId} is no app of the Identity Domain`);
    const pe = ctx.wiring.privateEndpoint;
    if (str(meta.privateEndpointId) !== pe.id) throw new Error(`the vault's privateEndpointId ${str(meta.privateEndpointId)} is not the private endpoint ${pe.id}`);
    await client.obtainToken();
    const scope = app.allowedScopes[0] ?? "";
    return { value: { clientId, scope }, detail: `token for client ${clientId.slice(0, 8)}… with scope ${scope}` };
  });
}

/**
 * With token validation at the gateway, a token of the right domain and audience but without the
 * oci_ekms scope must stop there, before DSM sees it (the Azure AD and static-keys API Gateway articles).
 */
async function scopeRefusalStep(ctx: SandboxContext, app: { clientId: string; scope: string } | undefined): Promise<void> {
  const deploymentSpec = obj(ctx.registered.byType(T.deployment)[0]?.inputs.specification);
  if (obj(deploymentSpec.requestPolicies).authentication === undefined) return;
  await ctx.runner.run(SANDBOX_SCOPE_REFUSAL_STEP, async () => {
    const gateway = ctx.gateway;
    if (!app || !gateway) throw new Error("no token, or no gateway");
    const otherScope = "urn:opc:idm:__myscopes__";
    const token = await ctx.identity.mintToken({ clientId: app.clientId, scope: app.scope }, { claims: { scope: otherScope } });
    const seen = gateway.requests.length;
    const status = await requireClient(ctx).vaultMetadataStatusWithToken(token);
    const record = gateway.requests[seen];
    if (status !== 403 || !record?.rejected) {
      throw new Error(
        `GetVaultMetadata with a token whose scope is ${otherScope}: HTTP ${status}${record?.rejected ? ` (${record.rejected})` : ", forwarded to DSM"}; the gateway must refuse it with HTTP 403`,
      );
    }
    return { value: undefined, detail: `GetVaultMetadata with a token whose scope is ${otherScope}: HTTP ${status} at the gateway (${record.rejected}); DSM never saw it` };
  });
}

/** OCI Vault uses a vault, a key and a key version only ACTIVE (Oracle: "Ensure the key is in Active state"), a version only for the operations it lists. */
async function keySteps(ctx: SandboxContext, name: string, several: boolean): Promise<void> {
  const client = (): OciVaultClient => requireClient(ctx);
  const keyMeta = await ctx.runner.run(`OCI Vault: GetKeyMetadata of "${name}"`, async () => {
    const meta = await atGateway(ctx, () => client().keyMetadata(name));
    if (meta.state !== "ACTIVE") throw new Error(`GetKeyMetadata: key "${name}" is ${meta.state}, not ACTIVE`);
    return {
      value: meta,
      detail: `${meta.keyShape.algorithm}-${meta.keyShape.length}, state ${meta.state}, operations ${meta.keyOps.join(", ")}, current version ${meta.currentKeyVersionId}`,
    };
  });
  await ctx.runner.run(`OCI Vault: GetKeyVersionMetadata of the current version${several ? ` of "${name}"` : ""}`, async () => {
    const version = await atGateway(ctx, () => client().keyVersionMetadata(name, keyMeta?.currentKeyVersionId ?? ""));
    const missing = ["ENCRYPT", "DECRYPT"].filter((op) => !version.keyVersionOps.includes(op));
    if (version.state !== "ACTIVE" || missing.length > 0) {
      throw new Error(
        `GetKeyVersionMetadata: version ${version.keyVersionId} is ${version.state} with operations [${version.keyVersionOps.join(", ")}]; OCI Vault needs ACTIVE with ENCRYPT and DECRYPT`,
      );
    }
    return { value: undefined, detail: `version ${version.keyVersionId}, state ${version.state}, operations ${version.keyVersionOps.join(", ")}` };
  });
}

/** The token, the scope refusal (with gateway token validation), and the vendor API's metadata calls for every key. */
export async function ociVaultSteps(ctx: SandboxContext): Promise<void> {
  const app = await tokenStep(ctx);
  await scopeRefusalStep(ctx, app);
  await ctx.runner.run("OCI Vault: GetVaultMetadata through the private endpoint and the gateway", async () => {
    const meta = await atGateway(ctx, () => requireClient(ctx).vaultMetadata());
    if (meta.state !== "ACTIVE") throw new Error(`GetVaultMetadata: the vault is ${meta.state}, not ACTIVE (vendor ${meta.vendor})`);
    return { value: undefined, detail: `vault state ${meta.state}, vendor ${meta.vendor}` };
  });
  const names = sandboxKeyNames(ctx);
  for (const name of names.length > 0 ? names : [""]) await keySteps(ctx, name, names.length > 1);
}
