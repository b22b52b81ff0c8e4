// The stack program's body: validate the configuration, build the topology, return the outputs.
// `infra/index.ts` runs it under the Pulumi CLI; the offline plan and the sandbox run it in-process.
import * as pulumi from "@pulumi/pulumi";
import { EkmPolicies } from "../components/policies";
import { EkmTopology, EkmTopologyArgs, type EkmTopologyOutputs, type EkmTopologyReplicaArgs } from "../components/topology";
import { EkmConfigSource, EkmStackConfig, loadEkmConfig } from "./config";

/** The stack outputs (names others rely on). `clientSecret` is a secret. */
/**
 * The stack's outputs: the topology's (their docs are there), less what depends on the variant,
 * plus what only the stack knows.
 */
export interface EkmStackOutputs
  extends Omit<EkmTopologyOutputs, "certificateId" | "vcnId" | "dsmGroupId" | "dsmAppId" | "dsmKeyIds" | "deploymentId"> {
  gatewayTokenValidation: string;
  dsmGroupName: string;
  /** With iamPolicies: the statements of the operators' policy. */
  iamPolicyStatements?: pulumi.Output<string[]>;
  /** Absent with an existing gateway and no existingCertificateId. */
  certificateId?: pulumi.Output<string | undefined>;
  /** Absent with an existing subnet and no existingVcnId. */
  vcnId?: pulumi.Output<string | undefined>;
  dsmGroupId?: pulumi.Output<string>;
  dsmAppId?: pulumi.Output<string>;
  dsmKeyIds?: pulumi.Output<string[]>;
}

export interface RunEkmStackOptions {
  /** Where the configuration comes from. Default: the stack's `oci-ekm:` config. */
  config?: EkmConfigSource;
  /** Name of the topology component. Default: the `namePrefix` config (`oci-ekm`). */
  name?: string;
}

/** The replica the `replica*` keys stand for; none without `replicaRegion`. */
export function ekmReplicaArgsFromConfig(c: EkmStackConfig): EkmTopologyReplicaArgs | undefined {
  if (c.replicaRegion === undefined) return undefined;
  const ownCertificate = c.replicaCertificatePem !== undefined;
  return {
    region: c.replicaRegion,
    network: {
      vcnCidr: c.replicaVcnCidr,
      subnetCidr: c.replicaSubnetCidr,
      existingVcnId: c.replicaExistingVcnId,
      existingSubnetId: c.replicaExistingSubnetId,
      dsmEgressCidr: c.dsmEgressCidr,
    },
    certificate: ownCertificate ? { certificatePem: c.replicaCertificatePem, certChainPem: c.replicaCertChainPem, privateKeyPem: c.replicaPrivateKeyPem } : undefined,
    identityDomainUrl: c.replicaIdentityDomainUrl,
    identityDomainId: c.replicaIdentityDomainId,
  };
}

/** The topology arguments a validated configuration stands for. */
export function ekmTopologyArgsFromConfig(c: EkmStackConfig): EkmTopologyArgs {
  return {
    compartmentId: c.compartmentId,
    gatewayHostname: c.gatewayHostname,
    dsmUrl: c.dsmUrl,
    identityDomainUrl: c.identityDomainUrl,
    dsm: { accountId: c.dsmAccountId, groupName: c.dsmGroupName, keys: c.keys, manageObjects: c.dsmManageObjects, adopt: c.dsmAdopt },
    network: {
      vcnCidr: c.vcnCidr,
      subnetCidr: c.subnetCidr,
      existingVcnId: c.existingVcnId,
      existingSubnetId: c.existingSubnetId,
      existingRouteTableId: c.existingRouteTableId,
      dsmEgressCidr: c.dsmEgressCidr,
    },
    certificate: {
      validityDays: c.certificateValidityDays,
      renewBeforeDays: c.certificateRenewBeforeDays,
      caValidityDays: c.caValidityDays,
      certificatePem: c.certificatePem,
      privateKeyPem: c.privateKeyPem,
      certChainPem: c.certChainPem,
      caBundlePem: c.caBundlePem,
      existingCertificateId: c.existingCertificateId,
    },
    gateway: {
      existingGatewayId: c.existingGatewayId,
      route: c.gatewayRoute,
      tokenValidation:
        c.gatewayTokenValidation === "off"
          ? undefined
          : {
              keySource: c.gatewayTokenValidation === "remoteJwks" ? "REMOTE_JWKS" : "STATIC_KEYS",
              maxCacheDurationInHours: c.gatewayJwksCacheHours,
              staticKeys: c.gatewayStaticKeys,
            },
    },
    replica: ekmReplicaArgsFromConfig(c),
    vaultUrlHost: c.vaultUrlHost,
    protect: c.protect,
    namePrefix: c.namePrefix,
  };
}

/**
 * Validates the configuration (throwing `EkmConfigError` before any resource is registered),
 * builds `EkmTopology` and returns the stack outputs.
 */
export async function runEkmStack(opts: RunEkmStackOptions = {}): Promise<EkmStackOutputs> {
  const c = loadEkmConfig(opts.config);
  const t = new EkmTopology(opts.name ?? c.namePrefix, ekmTopologyArgsFromConfig(c));
  // Off by default: policies are often managed elsewhere, and creating them needs tenancy rights.
  const policies =
    c.iamPolicies && c.iamOperatorsGroup
      ? new EkmPolicies(`${opts.name ?? c.namePrefix}-iam`, {
          operatorsGroup: c.iamOperatorsGroup,
          compartmentId: c.compartmentId,
          identityDomainCompartmentId: c.iamIdentityDomainCompartmentId,
          displayNamePrefix: c.namePrefix,
        })
      : undefined;
  const outputs: EkmStackOutputs = {
    gatewayPrivateIp: t.gatewayPrivateIp,
    gatewayBaseUrl: t.gatewayBaseUrl,
    gatewayHostname: t.gatewayHostname,
    gatewayId: t.gatewayId,
    gatewayBackendUrl: t.gatewayBackendUrl,
    gatewayTokenValidation: c.gatewayTokenValidation,
    clientId: t.clientId,
    clientSecret: t.clientSecret,
    identityDomainUrl: t.identityDomainUrl,
    issuer: t.issuer,
    jwksUri: t.jwksUri,
    tokenUrl: t.tokenUrl,
    scope: t.scope,
    audience: t.audience,
    dsmUrl: t.dsmUrl,
    dsmAccountId: t.dsmAccountId,
    dsmGroupName: c.dsmGroupName,
    vaultId: t.vaultId,
    vaultUrl: t.vaultUrl,
    managementEndpoint: t.managementEndpoint,
    cryptoEndpoint: t.cryptoEndpoint,
    privateEndpointId: t.privateEndpointId,
    privateEndpointIp: t.privateEndpointIp,
    keyNames: t.keyNames,
    keyReferenceIds: t.keyReferenceIds,
    keyReferenceVersions: t.keyReferenceVersions,
    certificatePem: t.certificatePem,
    caBundle: t.caBundle,
    subnetId: t.subnetId,
  };
  if (policies) {
    outputs.iamPolicyStatements = policies.domainPolicy
      ? pulumi.all([policies.statements, policies.domainPolicy.statements]).apply(([main, domain]) => [...main, ...domain])
      : policies.statements;
  }
  // Only outputs with a value: Pulumi warns about undefined ones.
  if (!(c.existingGatewayId && !c.existingCertificateId)) outputs.certificateId = t.certificateId;
  if (!(c.existingSubnetId && !c.existingVcnId)) outputs.vcnId = t.vcnId;
  if (t.dsmGroupId) outputs.dsmGroupId = t.dsmGroupId;
  if (t.dsmAppId) outputs.dsmAppId = t.dsmAppId;
  if (t.dsmKeyIds) outputs.dsmKeyIds = t.dsmKeyIds;
  if (t.replicaRegion) {
    outputs.replicaRegion = t.replicaRegion;
    outputs.replicaGatewayPrivateIp = t.replicaGatewayPrivateIp;
    outputs.replicaPrivateEndpointId = t.replicaPrivateEndpointId;
    outputs.replicaAudience = t.replicaAudience;
    outputs.replicaScope = t.replicaScope;
  }
  return outputs;
}
