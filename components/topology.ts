// EkmTopology: the whole chain of the Fortanix EKM guide as one component. Its argument types,
// defaults and checks are in topology-args.ts, the DSM side in topology-dsm.ts.
import * as pulumi from "@pulumi/pulumi";
import { EkmCertificate } from "./certificate";
import { EkmVault, ekmVaultOutputsOf, type EkmKeyReferenceVersion, type EkmVaultOutputs } from "./ekm";
import { EkmGateway } from "./gateway";
import { EkmIdentity } from "./identity";
import { EkmNetwork } from "./network";
import { EkmReplicaRegion } from "./replica";
import { caBundleOfChain, normalizePem } from "./pem";
import {
  ekmTopologyDefaults,
  ekmTopologyProblems,
  ekmTopologyTokenValidation,
  type EkmDsmArgs,
  type EkmTopologyCertificateArgs,
  type EkmTopologyDefaults,
  type EkmTopologyGatewayArgs,
  type EkmTopologyIdentityArgs,
  type EkmTopologyNetworkArgs,
  type EkmTopologyReplicaArgs,
} from "./topology-args";
import { provisionDsm, type EkmDsmSeamOutputs } from "./topology-dsm";

export {
  DEFAULT_DSM_GROUP_NAME,
  DEFAULT_DSM_KEY_NAME,
  ekmTopologyProblems,
  type EkmDsmArgs,
  type EkmDsmKeyArgs,
  type EkmTopologyCertificateArgs,
  type EkmTopologyGatewayArgs,
  type EkmTopologyIdentityArgs,
  type EkmTopologyNetworkArgs,
  type EkmTopologyReplicaArgs,
  type EkmTopologyReplicaGatewayArgs,
  type EkmTopologyTokenValidationArgs,
} from "./topology-args";
export type { EkmDsmSeamInputs, EkmDsmSeamOutputs } from "./topology-dsm";

export interface EkmTopologyArgs {
  /** Compartment OCID of every OCI resource. Required. */
  compartmentId: pulumi.Input<string>;
  /** FQDN of the gateway, in its certificate. Required. */
  gatewayHostname: pulumi.Input<string>;
  /** Fortanix DSM URL. Default `https://amer.smartkey.io`. */
  dsmUrl?: string;
  /** OCI Identity Domain URL. Required. */
  identityDomainUrl: string;
  /** The DSM account, group and keys. Required. */
  dsm: EkmDsmArgs;
  /** The network, or your existing VCN/subnet. Default: a new VCN, NAT, route table, security list and private subnet. */
  network?: EkmTopologyNetworkArgs;
  /** The gateway certificate, or your own. Default: self-signed for `gatewayHostname`. */
  certificate?: EkmTopologyCertificateArgs;
  /** Gateway options. Default: a new private gateway without token validation. */
  gateway?: EkmTopologyGatewayArgs;
  /** Identity Domain options. Default: as documented on each field. */
  identity?: EkmTopologyIdentityArgs;
  /** A replica of the vault in a second region, and its chain there. Default: none. */
  replica?: EkmTopologyReplicaArgs;
  /** Host of the external vault URL: `privateEndpoint` or `gateway`. Default `privateEndpoint`. */
  vaultUrlHost?: string;
  /** Protect the vault and key references from deletion. Default: the `protect` resource option given to the topology, else true. */
  protect?: boolean;
  /** Prefix of display names. Default: the component name. */
  namePrefix?: string;
}

/** The gateway's certificate and what the private endpoint trusts: issued and imported, the user's, or an existing gateway's. */
interface EkmTopologyCertificate {
  /** The component, unless an existing gateway serves its own certificate. */
  component?: EkmCertificate;
  certificateId: pulumi.Output<string | undefined>;
  certificatePem: pulumi.Output<string>;
  caBundle: pulumi.Output<string>;
}

/**
 * An existing gateway already serves its certificate: only its PEM and its CA are needed. The
 * children are locals, not fields: Pulumi's analyzer (for other languages) accepts only outputs and
 * @pulumi/* resources as a component's public members.
 */
function gatewayCertificate(name: string, args: EkmTopologyArgs, prefix: string, child: pulumi.ComponentResourceOptions): EkmTopologyCertificate {
  const cert = args.certificate ?? {};
  if (args.gateway?.existingGatewayId === undefined) {
    const component = new EkmCertificate(
      `${name}-certificate`,
      {
        compartmentId: args.compartmentId,
        gatewayHostname: args.gatewayHostname,
        validityDays: cert.validityDays,
        renewBeforeDays: cert.renewBeforeDays,
        caValidityDays: cert.caValidityDays,
        certificatePem: cert.certificatePem,
        privateKeyPem: cert.privateKeyPem,
        certChainPem: cert.certChainPem,
        caBundlePem: cert.caBundlePem,
        existingCertificateId: cert.existingCertificateId,
        displayNamePrefix: prefix,
      },
      child,
    );
    return { component, certificateId: component.certificateId, certificatePem: component.certificatePem, caBundle: component.caBundle };
  }
  // ekmTopologyProblems made sure the certificate and its chain or CA bundle are given.
  const certificatePem = pulumi.output(cert.certificatePem!).apply(normalizePem);
  const caBundle =
    cert.caBundlePem !== undefined
      ? pulumi.output(cert.caBundlePem).apply(normalizePem)
      : pulumi.all([certificatePem, cert.certChainPem!]).apply(([leaf, chain]) => caBundleOfChain(leaf, chain));
  return { certificateId: pulumi.output(cert.existingCertificateId), certificatePem, caBundle };
}

/** The gateway: a new private one, or the existing `gateway.existingGatewayId`, routing to DSM. */
function topologyGateway(
  name: string,
  args: EkmTopologyArgs,
  d: EkmTopologyDefaults,
  on: { subnetId: pulumi.Output<string>; certificateId?: pulumi.Input<string> },
  child: pulumi.ComponentResourceOptions,
): EkmGateway {
  const gw = args.gateway ?? {};
  return new EkmGateway(
    `${name}-gateway`,
    {
      compartmentId: args.compartmentId,
      subnetId: on.subnetId,
      certificateId: on.certificateId,
      dsmUrl: d.dsmUrl,
      existingGatewayId: gw.existingGatewayId,
      networkSecurityGroupIds: gw.networkSecurityGroupIds,
      tokenValidation: ekmTopologyTokenValidation(args),
      route: gw.route,
      displayNamePrefix: d.prefix,
    },
    child,
  );
}

/** The children whose outputs make up the topology's. */
interface EkmTopologyParts {
  network: EkmNetwork;
  certificate: EkmTopologyCertificate;
  gateway: EkmGateway;
  identity: EkmIdentity;
  dsm: EkmDsmSeamOutputs;
  ekm: EkmVault;
  replica?: EkmReplicaRegion;
}

/** The replica region's chain up to its private endpoint, its certificate issued by the source's generated CA. */
function topologyReplica(
  name: string,
  args: EkmTopologyArgs,
  d: EkmTopologyDefaults,
  certificate: EkmTopologyCertificate,
  child: pulumi.ComponentResourceOptions,
): EkmReplicaRegion | undefined {
  const replica = args.replica;
  if (replica === undefined) return undefined;
  const ca = certificate.component;
  const issuer = ca?.ca && ca.caPrivateKey ? { caCertPem: ca.ca.certPem, caPrivateKeyPem: ca.caPrivateKey.privateKeyPem } : undefined;
  return new EkmReplicaRegion(
    `${name}-replica`,
    {
      region: replica.region,
      provider: replica.provider,
      compartmentId: args.compartmentId,
      gatewayHostname: replica.gatewayHostname ?? args.gatewayHostname,
      dsmUrl: d.dsmUrl,
      network: replica.network,
      certificate: replica.certificate,
      issuer,
      networkSecurityGroupIds: replica.gateway?.networkSecurityGroupIds,
      tokenValidation: ekmTopologyTokenValidation(args),
      route: args.gateway?.route,
      displayNamePrefix: `${d.prefix}-replica`,
    },
    child,
  );
}

/** The external vault and its key references, created once everything OCI calls on the way exists. */
function topologyVault(
  name: string,
  args: EkmTopologyArgs,
  opts: pulumi.ComponentResourceOptions | undefined,
  d: EkmTopologyDefaults,
  { network, certificate, gateway, identity, dsm, replica }: Omit<EkmTopologyParts, "ekm">,
  child: pulumi.ComponentResourceOptions,
): EkmVault {
  return new EkmVault(
    `${name}-ekm`,
    {
      compartmentId: args.compartmentId,
      subnetId: network.subnetId,
      gatewayPrivateIp: gateway.privateIp,
      caBundle: certificate.caBundle,
      dsmAccountId: args.dsm.accountId,
      identityDomainUrl: args.identityDomainUrl,
      clientId: identity.clientId,
      clientSecret: identity.clientSecret,
      vaultUrlHost: args.vaultUrlHost,
      keys: d.keys.map((k, i) => ({ name: k.name, externalKeyId: dsm.keyNames[i], externalKeyVersionIds: dsm.keyVersionIds?.[i] })),
      // OCI calls the key manager when it creates the vault's key references: everything on the
      // way must exist first (the key references also wait for their security objects, by name).
      vaultDependsOn: [gateway.deployment, ...(identity.domainSetting ? [identity.domainSetting] : []), ...(dsm.app ? [dsm.app] : [])],
      // The caller's `protect` option reaches the vault's own default, as the argument would.
      protect: args.protect ?? opts?.protect,
      // The replication waits for the replica's whole chain: its private endpoint (an input), its
      // gateway deployment, its resource app and the client app's scope, the domain's replication.
      replica: replica && {
        region: args.replica!.region,
        privateEndpointId: replica.privateEndpointId,
        identityDomainUrl: args.replica!.identityDomainUrl,
        dependsOn: [replica.deployment, ...[identity.replicaResourceApp, identity.clientApp, identity.domainReplication].filter((r): r is NonNullable<typeof r> => r !== undefined)],
      },
      displayNamePrefix: d.prefix,
    },
    child,
  );
}

/** What {@link EkmTopology} outputs: assigned to the component and registered, from one object. */
export interface EkmTopologyOutputs extends EkmVaultOutputs {
  vcnId: pulumi.Output<string | undefined>;
  subnetId: pulumi.Output<string>;
  certificateId: pulumi.Output<string | undefined>;
  /** The gateway certificate (PEM). */
  certificatePem: pulumi.Output<string>;
  /** The CA certificate(s) the EKM private endpoint trusts (PEM); unchanged by certificate renewals. */
  caBundle: pulumi.Output<string>;
  gatewayHostname: pulumi.Output<string>;
  gatewayId: pulumi.Output<string>;
  gatewayPrivateIp: pulumi.Output<string>;
  /** `https://<gateway IP>/`. */
  gatewayBaseUrl: pulumi.Output<string>;
  gatewayBackendUrl: pulumi.Output<string>;
  deploymentId: pulumi.Output<string>;
  clientId: pulumi.Output<string>;
  /** Secret. */
  clientSecret: pulumi.Output<string>;
  identityDomainUrl: pulumi.Output<string>;
  issuer: pulumi.Output<string>;
  jwksUri: pulumi.Output<string>;
  tokenUrl: pulumi.Output<string>;
  /** The fully qualified scope. */
  scope: pulumi.Output<string>;
  audience: pulumi.Output<string>;
  dsmUrl: pulumi.Output<string>;
  dsmAccountId: pulumi.Output<string>;
  /** DSM security object names, the key references' external key ids. */
  keyNames: pulumi.Output<string[]>;
  dsmGroupId?: pulumi.Output<string>;
  dsmAppId?: pulumi.Output<string>;
  dsmKeyIds?: pulumi.Output<string[]>;
  /** With `replica`: the replica region. */
  replicaRegion?: pulumi.Output<string>;
  /** With `replica`: the replica gateway's private IP. */
  replicaGatewayPrivateIp?: pulumi.Output<string>;
  /** With `replica`: the replica's EKM private endpoint. */
  replicaPrivateEndpointId?: pulumi.Output<string>;
  /** With `replica`: the replica resource app's audience, `https://<replica gateway IP>/`. */
  replicaAudience?: pulumi.Output<string>;
  /** With `replica`: the replica's fully qualified scope, granted to the same client app. */
  replicaScope?: pulumi.Output<string>;
}

/** {@link EkmTopologyOutputs} from the children. */
function topologyOutputs(args: EkmTopologyArgs, dsmUrl: string, { network, certificate, gateway, identity, dsm, ekm, replica }: EkmTopologyParts): EkmTopologyOutputs {
  return {
    vcnId: network.vcnId,
    subnetId: network.subnetId,
    certificateId: certificate.certificateId,
    certificatePem: certificate.certificatePem,
    caBundle: certificate.caBundle,
    gatewayHostname: pulumi.output(args.gatewayHostname),
    gatewayId: gateway.gatewayId,
    gatewayPrivateIp: gateway.privateIp,
    gatewayBaseUrl: gateway.baseUrl,
    gatewayBackendUrl: gateway.backendUrl,
    deploymentId: gateway.deploymentId,
    clientId: identity.clientId,
    clientSecret: identity.clientSecret,
    identityDomainUrl: identity.identityDomainUrl,
    issuer: identity.issuer,
    jwksUri: identity.jwksUri,
    tokenUrl: identity.tokenUrl,
    scope: identity.scope,
    audience: identity.audience,
    dsmUrl: pulumi.output(dsmUrl),
    dsmAccountId: pulumi.output(args.dsm.accountId),
    ...ekmVaultOutputsOf(ekm),
    keyNames: pulumi.all(dsm.keyNames),
    dsmGroupId: dsm.groupId,
    dsmAppId: dsm.appId,
    dsmKeyIds: dsm.keyIds && pulumi.all(dsm.keyIds),
    ...(replica && {
      replicaRegion: replica.region,
      replicaGatewayPrivateIp: replica.gatewayPrivateIp,
      replicaPrivateEndpointId: replica.privateEndpointId,
      replicaAudience: identity.replicaAudience,
      replicaScope: identity.replicaScope,
    }),
  };
}

/**
 * The whole OCI Vault External Key Management topology of the Fortanix EKM guide, backed by Fortanix DSM:
 * network → certificate → private API Gateway → Identity Domain apps → EKM private endpoint →
 * external vault → key references, with the DSM objects in between.
 */
export class EkmTopology extends pulumi.ComponentResource implements EkmTopologyOutputs {
  declare public readonly vcnId: pulumi.Output<string | undefined>;
  declare public readonly subnetId: pulumi.Output<string>;
  declare public readonly certificateId: pulumi.Output<string | undefined>;
  declare public readonly certificatePem: pulumi.Output<string>;
  declare public readonly caBundle: pulumi.Output<string>;
  declare public readonly gatewayHostname: pulumi.Output<string>;
  declare public readonly gatewayId: pulumi.Output<string>;
  declare public readonly gatewayPrivateIp: pulumi.Output<string>;
  declare public readonly gatewayBaseUrl: pulumi.Output<string>;
  declare public readonly gatewayBackendUrl: pulumi.Output<string>;
  declare public readonly deploymentId: pulumi.Output<string>;
  declare public readonly clientId: pulumi.Output<string>;
  declare public readonly clientSecret: pulumi.Output<string>;
  declare public readonly identityDomainUrl: pulumi.Output<string>;
  declare public readonly issuer: pulumi.Output<string>;
  declare public readonly jwksUri: pulumi.Output<string>;
  declare public readonly tokenUrl: pulumi.Output<string>;
  declare public readonly scope: pulumi.Output<string>;
  declare public readonly audience: pulumi.Output<string>;
  declare public readonly dsmUrl: pulumi.Output<string>;
  declare public readonly dsmAccountId: pulumi.Output<string>;
  declare public readonly privateEndpointId: pulumi.Output<string>;
  declare public readonly privateEndpointIp: pulumi.Output<string>;
  declare public readonly vaultId: pulumi.Output<string>;
  declare public readonly vaultUrl: pulumi.Output<string>;
  declare public readonly managementEndpoint: pulumi.Output<string>;
  declare public readonly cryptoEndpoint: pulumi.Output<string>;
  declare public readonly keyNames: pulumi.Output<string[]>;
  declare public readonly keyReferenceIds: pulumi.Output<string[]>;
  declare public readonly keyReferenceVersions: pulumi.Output<EkmKeyReferenceVersion[]>;
  declare public readonly dsmGroupId?: pulumi.Output<string>;
  declare public readonly dsmAppId?: pulumi.Output<string>;
  declare public readonly dsmKeyIds?: pulumi.Output<string[]>;
  declare public readonly replicaRegion?: pulumi.Output<string>;
  declare public readonly replicaGatewayPrivateIp?: pulumi.Output<string>;
  declare public readonly replicaPrivateEndpointId?: pulumi.Output<string>;
  declare public readonly replicaAudience?: pulumi.Output<string>;
  declare public readonly replicaScope?: pulumi.Output<string>;

  constructor(name: string, args: EkmTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = ekmTopologyProblems(args);
    if (problems.length > 0) throw new Error(`EkmTopology ${name}: ${problems.join("; ")}`);
    super("oci-ekm-fortanix:index:EkmTopology", name, {}, opts);

    const d = ekmTopologyDefaults(name, args);
    const child = { parent: this };

    const network = new EkmNetwork(
      `${name}-network`,
      { ...args.network, compartmentId: args.compartmentId, displayNamePrefix: d.prefix },
      child,
    );

    // An existing gateway already serves its certificate: only its PEM and its CA are needed.
    // The children are locals, not fields: Pulumi's analyzer (for other languages) accepts only
    // outputs and @pulumi/* resources as a component's public members.
    const certificate = gatewayCertificate(name, args, d.prefix, child);

    const gateway = topologyGateway(name, args, d, { subnetId: network.subnetId, certificateId: certificate.component?.certificateId }, child);
    const replica = topologyReplica(name, args, d, certificate, child);

    const identity = new EkmIdentity(
      `${name}-identity`,
      {
        identityDomainUrl: args.identityDomainUrl,
        gatewayPrivateIp: gateway.privateIp,
        dsmUrl: d.dsmUrl,
        issuer: args.identity?.issuer,
        manageSigningCertAccess: args.identity?.manageSigningCertAccess,
        csrAccess: args.identity?.csrAccess,
        replicaGatewayPrivateIp: replica?.gatewayPrivateIp,
        replicateTo: args.replica?.identityDomainId !== undefined ? { domainId: args.replica.identityDomainId, region: args.replica.region } : undefined,
        displayNamePrefix: d.prefix,
      },
      child,
    );

    const dsm = provisionDsm({
      name,
      parent: this,
      groupName: d.groupName,
      keys: d.keys,
      clientId: identity.clientId,
      jwksUri: identity.jwksUri,
      issuer: identity.issuer,
      manageObjects: d.manageObjects,
      adopt: d.adopt,
      apiEndpoint: d.apiEndpoint,
    });

    const ekm = topologyVault(name, args, opts, d, { network, certificate, gateway, identity, dsm, replica }, child);

    const outputs = topologyOutputs(args, d.dsmUrl, { network, certificate, gateway, identity, dsm, ekm, replica });
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
