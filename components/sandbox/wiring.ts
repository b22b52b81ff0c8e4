// The emulated VCN: the API gateway and the private endpoint, built from what the program
// registered. They are started when OCI creates the vault (OCI calls the key manager then, through
// them), and then shown as steps of their own: the wiring, and what the gateway route lets through.
import { ApiGatewayEmulator, type GatewayDeploymentSpec } from "../emulators/gateway";
import type { ExternalKeyManager } from "../emulators/oci-kms-models";
import { PrivateEndpointEmulator } from "../emulators/private-endpoint";
import { EKM_API_PATH, GATEWAY_ROUTE_PATH } from "../urls";
import { ekmHttpRequest } from "../verify/http";
import type { SandboxContext, SandboxWiring } from "./context";
import type { OciVaultClient, SandboxNetwork } from "./oci-vault";
import { T, obj, str, type Props, type RegisteredResources } from "./resources";

/** One region's emulated VCN: its gateway and private endpoint listening on this machine. */
export interface SandboxChain {
  gateway: ApiGatewayEmulator;
  privateEndpointEmulator: PrivateEndpointEmulator;
  wiring: SandboxWiring;
}

/**
 * Starts the chain of one registered private endpoint: the gateway whose private IP it targets (the
 * registered deployment on it, the certificate of that gateway) and the private endpoint relaying to it.
 */
export async function startChain(ctx: SandboxContext, registered: RegisteredResources, privateEndpointId: unknown): Promise<SandboxChain> {
  const pe = registered.byId(T.privateEndpoint, privateEndpointId);
  if (!pe) throw new Error(`the private endpoint ${str(privateEndpointId)} is no EKM private endpoint of this stack`);
  const targetIp = str(pe.inputs.externalKeyManagerIp);
  const ipOf = (g: { state: Props }): string => str(obj((g.state.ipAddresses as unknown[] | undefined)?.[0]).ipAddress);
  const deployments = registered.byType(T.deployment);
  if (deployments.length === 0) throw new Error("the program registered no API Gateway deployment");
  // The deployment on the gateway the private endpoint targets (with one gateway, that one: a
  // private endpoint aimed elsewhere is reported below).
  const onTarget = deployments.find((d) => ipOf(registered.byId(T.gateway, d.inputs.gatewayId) ?? { state: {} }) === targetIp);
  const deployment = onTarget ?? deployments[0];
  const gateway = registered.byId(T.gateway, deployment.inputs.gatewayId);
  if (!gateway) throw new Error(`the deployment's gatewayId ${str(deployment.inputs.gatewayId)} is no gateway of this stack`);
  const cert = registered.byId(T.certificate, gateway.inputs.certificateId);
  if (!cert) throw new Error(`the gateway's certificateId ${str(gateway.inputs.certificateId)} is no certificate of this stack`);
  const certConfig = obj(cert.inputs.certificateConfig);
  const emulator = new ApiGatewayEmulator({
    deployment: { pathPrefix: str(deployment.inputs.pathPrefix), specification: deployment.inputs.specification as GatewayDeploymentSpec["specification"] },
    tls: { certPem: str(certConfig.certificatePem), keyPem: str(certConfig.privateKeyPem) },
    trustedCa: ctx.ca.certPem,
    hopClock: ctx.hopClock,
  });
  ctx.throwIfAborted();
  await emulator.start();
  const gatewayIp = ipOf(gateway);
  const network: SandboxNetwork = { [gatewayIp]: emulator.port };
  const relayTo = network[targetIp];
  if (relayTo === undefined) {
    await emulator.stop();
    throw new Error(`the private endpoint relays to ${targetIp}, but the gateway's private IP is ${gatewayIp}`);
  }
  const privateEndpointEmulator = new PrivateEndpointEmulator({ host: "127.0.0.1", port: relayTo });
  network[str(pe.state.privateEndpointIp)] = await privateEndpointEmulator.start();
  return { gateway: emulator, privateEndpointEmulator, wiring: { network, gatewayIp, privateEndpoint: pe } };
}

/** Starts the source region's chain, the vault's private endpoint's; once, on the first call. */
export async function startWiring(ctx: SandboxContext, registered: RegisteredResources, privateEndpointId: unknown): Promise<SandboxWiring> {
  if (ctx.wiring) return ctx.wiring;
  const chain = await startChain(ctx, registered, privateEndpointId);
  ctx.gateway = chain.gateway;
  ctx.privateEndpoint = chain.privateEndpointEmulator;
  // Stopped while they started: `stopAll` may have run before they were there to stop.
  if (ctx.aborted) {
    await Promise.allSettled([chain.gateway.stop(), chain.privateEndpointEmulator.stop()]);
    ctx.throwIfAborted();
  }
  ctx.wiring = chain.wiring;
  return ctx.wiring;
}

/**
 * Runs a call that goes through the gateway. When the gateway itself refuses it, its reason is in
 * its log, not in the generic body it answers with: it is added, so it is clear where the call stopped.
 */
export async function atGateway<V>(ctx: SandboxContext, call: () => Promise<V>, gateway: ApiGatewayEmulator | undefined = ctx.gateway): Promise<V> {
  const seen = gateway?.requests.length ?? 0;
  try {
    return await call();
  } catch (err) {
    const refusal = gateway?.requests.slice(seen).find((r) => r.rejected)?.rejected;
    if (refusal && err instanceof Error) err.message += ` (refused at the gateway: ${refusal})`;
    throw err;
  }
}

/** OCI renews its token before it expires; the emulated domain's tokens last an hour. */
const TOKEN_RENEWAL_MS = 30 * 60_000;

/** The external key manager as the emulated OCI calls it: OCI Vault's client, the gateway's refusals named. */
export function keyManagerThroughGateway(ctx: SandboxContext, client: OciVaultClient, gateway?: ApiGatewayEmulator): ExternalKeyManager {
  let tokenAt = Date.now();
  const call = async <V>(run: () => Promise<V>): Promise<V> => {
    // A kept sandbox serves OCI calls long after the run: a fresh token, as OCI would have.
    if (Date.now() - tokenAt > TOKEN_RENEWAL_MS) {
      await client.obtainToken();
      tokenAt = Date.now();
    }
    return atGateway(ctx, run, gateway ?? ctx.gateway);
  };
  return {
    vaultMetadata: () => call(() => client.vaultMetadata()),
    keyMetadata: (keyId) => call(() => client.keyMetadata(keyId)),
    keyVersionMetadata: (keyId, versionId) => call(() => client.keyVersionMetadata(keyId, versionId)),
    encrypt: (keyId, plaintext, options) => call(() => client.encrypt(keyId, plaintext, options)),
    decrypt: (keyId, ciphertext) => call(() => client.decrypt(keyId, ciphertext)),
  };
}

export const WIRING_STEP = "the API gateway and the private endpoint, started from the registered deployment as OCI created the vault";
export const ROUTE_STEP = "the gateway route: a DSM management call from the VCN (GET /sys/v1/groups)";

/** The wiring step: where the VCN's private IPs listen on this machine. */
export async function wiringStep(ctx: SandboxContext): Promise<SandboxWiring | undefined> {
  return ctx.runner.run(WIRING_STEP, async () => {
    const wiring = ctx.wiring;
    if (!wiring || !ctx.gateway) throw new Error("the program registered no external vault, so OCI never called through the gateway");
    const peIp = str(wiring.privateEndpoint.state.privateEndpointIp);
    return {
      value: wiring,
      detail: `gateway ${wiring.gatewayIp} → 127.0.0.1:${ctx.gateway.port}, private endpoint ${peIp} → 127.0.0.1:${wiring.network[peIp]}`,
    };
  });
}

/** What the route lets the VCN reach besides the EKM API: with `all`, DSM's management API too. */
export async function routeStep(ctx: SandboxContext): Promise<void> {
  await ctx.runner.run(ROUTE_STEP, async () => {
    const { gateway, wiring } = ctx;
    if (!wiring || !gateway) throw new Error("the gateway did not start");
    const seen = gateway.requests.length;
    const res = await ekmHttpRequest("gateway URL", "GET", `https://127.0.0.1:${gateway.port}/sys/v1/groups`, {
      caBundle: str(wiring.privateEndpoint.inputs.caBundle),
      tlsServerName: str(ctx.plan?.outputValues.gatewayHostname),
    });
    const record = gateway.requests[seen];
    const routePath = str(obj((obj(ctx.registered.byType(T.deployment)[0]?.inputs.specification).routes as unknown[] | undefined)?.[0]).path);
    const ekmOnly = routePath === EKM_API_PATH + GATEWAY_ROUTE_PATH;
    // A call that matched no route is refused at the gateway; one that matched is forwarded, or
    // stopped by the gateway's own token validation (and then forwarded with a valid token).
    const matched = record?.route !== undefined;
    if (ekmOnly) {
      if (matched) throw new Error(`GET /sys/v1/groups matched the route ${String(record?.route)} (HTTP ${res.status}); ekmOnly must forward only ${EKM_API_PATH}/…`);
      return { value: undefined, detail: `refused at the gateway (HTTP ${res.status}: ${String(record?.rejected)}): only the EKM API is forwarded` };
    }
    if (!matched) return { value: undefined, detail: `the route ${routePath} does not match it (HTTP ${res.status}: ${String(record?.rejected)})` };
    const how = record?.rejected
      ? `matched the route; without a token the gateway answered HTTP ${res.status}, with one it forwards to DSM`
      : `forwarded to DSM (HTTP ${res.status} without a DSM session)`;
    return { value: undefined, detail: `${how}: gatewayRoute ekmOnly would refuse it at the gateway` };
  });
}
