// EkmReplicaRegion: what a replicated external vault needs in the replica region (Oracle's
// "Replicating External Vaults", set-up for API Gateway connectivity): a private gateway of its own
// forwarding to DSM, with a certificate the replica's private endpoint trusts, and an EKM private
// endpoint targeting that gateway. The Identity Domain's side (a second resource app, its scope on
// the same client app, the domain's replication) is EkmIdentity's; the replication itself is
// EkmVault's, made through the source region.
import * as kms from "@pulumi/oci/kms";
import { Provider } from "@pulumi/oci/provider";
import * as pulumi from "@pulumi/pulumi";
import { EkmCertificate, type EkmCertificateIssuerArgs, type EkmCertificateSourceArgs } from "./certificate";
import { ekmPrivateEndpoint } from "./ekm";
import { EkmGateway, type GatewayTokenValidationArgs } from "./gateway";
import { DEFAULT_SUBNET_CIDR, EkmNetwork, ekmNetworkProblems, ipv4CidrRange, type EkmNetworkLayoutArgs } from "./network";
import { ekmArgProblemText, ekmArgProblemsAt, ociRegionProblems, type EkmArgProblem } from "./problems";

export interface EkmReplicaRegionArgs {
  /** The replica region, e.g. `eu-amsterdam-1`, in the source vault's realm. Required. */
  region: string;
  /**
   * The OCI provider for `region`. Default: one this component makes (`<name>-oci`), configured as
   * the stack's default provider is (the `oci:` config keys) with `region` instead of `oci:region`.
   * Pass your own when the source region's provider is an explicit one.
   */
  provider?: Provider;
  /** Compartment OCID of the replica region's resources. Required. */
  compartmentId: pulumi.Input<string>;
  /** FQDN of the replica's gateway, in its certificate. Required. */
  gatewayHostname: pulumi.Input<string>;
  /** Fortanix DSM URL the replica's gateway forwards to. Default `https://amer.smartkey.io`. */
  dsmUrl?: pulumi.Input<string>;
  /** The replica region's network, or your VCN/subnet there. Default: a new VCN (`10.1.0.0/16`), NAT, route table, security list and private subnet (`10.1.1.0/24`). */
  network?: EkmNetworkLayoutArgs;
  /** The replica gateway's certificate, yours. Default: issued by `issuer`, else by a CA generated for it. */
  certificate?: EkmCertificateSourceArgs;
  /** The CA that issues the replica gateway's certificate (the source gateway's). Default: a CA generated for it. */
  issuer?: EkmCertificateIssuerArgs;
  /** Network security groups of the replica's gateway. Default: none. */
  networkSecurityGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** Token validation at the replica's gateway (its audience is its own base URL). Default: off. */
  tokenValidation?: GatewayTokenValidationArgs;
  /** What the replica's gateway forwards: `all` or `ekmOnly`. Default `all`. */
  route?: string;
  /** Port of the external key manager. Default: OCI's (443). */
  port?: pulumi.Input<number>;
  /** Prefix of the display names. Default: the component name. */
  displayNamePrefix?: string;
}

/** CIDR of a new VCN in the replica region: apart from the source's default, so that the two can be peered. */
export const DEFAULT_REPLICA_VCN_CIDR = "10.1.0.0/16";
/** CIDR of a new private subnet in the replica region. */
export const DEFAULT_REPLICA_SUBNET_CIDR = "10.1.1.0/24";

/**
 * The replica's network with its defaults: a new VCN there gets its own address range, so that the
 * two gateways (each the audience of a resource app in the one domain) never share a private IP.
 */
export function replicaNetworkLayout(network: EkmNetworkLayoutArgs | undefined): EkmNetworkLayoutArgs {
  const n = network ?? {};
  if (n.existingVcnId !== undefined || n.existingSubnetId !== undefined) return n;
  return { ...n, vcnCidr: n.vcnCidr ?? DEFAULT_REPLICA_VCN_CIDR, subnetCidr: n.subnetCidr ?? DEFAULT_REPLICA_SUBNET_CIDR };
}

/**
 * The two subnets' ranges when the replica's new subnet overlaps the source's: the two gateways would
 * get the same private IP (OCI picks the same first free address), and with it one audience for two
 * resource apps. Undefined when they are apart, or when either is an existing subnet (its range is
 * not known here; EkmIdentity refuses the same IP once the gateways have theirs). The topology and
 * the stack config each report it in their own words.
 */
export function replicaSubnetOverlap(
  source: { subnetCidr?: string; existingSubnetId?: unknown } | undefined,
  replicaNetwork: EkmNetworkLayoutArgs | undefined,
): { source: string; replica: string } | undefined {
  if (source?.existingSubnetId !== undefined || replicaNetwork?.existingSubnetId !== undefined) return undefined;
  const sourceCidr = source?.subnetCidr ?? DEFAULT_SUBNET_CIDR;
  // In an existing VCN the new subnet takes EkmNetwork's own default, the source's default too.
  const replicaCidr = replicaNetworkLayout(replicaNetwork).subnetCidr ?? DEFAULT_SUBNET_CIDR;
  const a = ipv4CidrRange(sourceCidr);
  const b = ipv4CidrRange(replicaCidr);
  if (!a || !b || a[1] < b[0] || b[1] < a[0]) return undefined;
  return { source: sourceCidr, replica: replicaCidr };
}

/** What {@link EkmReplicaRegion} refuses before it declares anything (the topology runs it on `replica.`). */
export function ekmReplicaRegionProblems(args: Pick<EkmReplicaRegionArgs, "region" | "compartmentId" | "network">): EkmArgProblem[] {
  return [
    ...ociRegionProblems("region", args.region),
    ...ekmArgProblemsAt("network.", ekmNetworkProblems({ ...replicaNetworkLayout(args.network), compartmentId: args.compartmentId })),
  ];
}

/** The `oci:` config keys an explicit provider does not read by itself: the default provider's settings, carried over. */
export const OCI_PROVIDER_CONFIG_KEYS = [
  "auth", "configFileProfile", "tenancyOcid", "userOcid", "fingerprint", "privateKey", "privateKeyPath", "privateKeyPassword",
] as const;

/**
 * An OCI provider for `region`, configured as the stack's default provider is. An explicit provider
 * reads none of the stack's `oci:` config by itself, so the keys that are set are passed on (the
 * private key and its password as secrets).
 */
export function regionProvider(name: string, region: string, opts: pulumi.CustomResourceOptions): Provider {
  const config = new pulumi.Config("oci");
  const settings: Record<string, pulumi.Input<string>> = {};
  for (const key of OCI_PROVIDER_CONFIG_KEYS) {
    const value = config.get(key);
    if (value === undefined) continue;
    settings[key] = key === "privateKey" || key === "privateKeyPassword" ? pulumi.secret(value) : value;
  }
  return new Provider(name, { ...settings, region }, opts);
}

/** What {@link EkmReplicaRegion} outputs: assigned to the component and registered, from one object. */
export interface EkmReplicaRegionOutputs {
  region: pulumi.Output<string>;
  vcnId: pulumi.Output<string | undefined>;
  subnetId: pulumi.Output<string>;
  certificateId: pulumi.Output<string>;
  /** The CA certificate(s) the replica's private endpoint trusts (PEM). */
  caBundle: pulumi.Output<string>;
  gatewayId: pulumi.Output<string>;
  gatewayPrivateIp: pulumi.Output<string>;
  /** `https://<replica gateway IP>/`: the replica resource app's primary audience. */
  gatewayBaseUrl: pulumi.Output<string>;
  deploymentId: pulumi.Output<string>;
  privateEndpointId: pulumi.Output<string>;
  privateEndpointIp: pulumi.Output<string>;
}

/**
 * The replica region's chain up to the private endpoint, every OCI resource created through the
 * replica region's provider (`provider`, or one made for `region`), never the one the parent
 * passes down, which is the source region's.
 */
export class EkmReplicaRegion extends pulumi.ComponentResource implements EkmReplicaRegionOutputs {
  declare public readonly region: pulumi.Output<string>;
  declare public readonly vcnId: pulumi.Output<string | undefined>;
  declare public readonly subnetId: pulumi.Output<string>;
  declare public readonly certificateId: pulumi.Output<string>;
  declare public readonly caBundle: pulumi.Output<string>;
  declare public readonly gatewayId: pulumi.Output<string>;
  declare public readonly gatewayPrivateIp: pulumi.Output<string>;
  declare public readonly gatewayBaseUrl: pulumi.Output<string>;
  declare public readonly deploymentId: pulumi.Output<string>;
  declare public readonly privateEndpointId: pulumi.Output<string>;
  declare public readonly privateEndpointIp: pulumi.Output<string>;
  /** The gateway's deployment, which the replication waits for. */
  public readonly deployment: pulumi.Resource;
  public readonly privateEndpoint: kms.EkmsPrivateEndpoint;

  constructor(name: string, args: EkmReplicaRegionArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = ekmReplicaRegionProblems(args);
    if (problems.length > 0) throw new Error(`EkmReplicaRegion ${name}: ${problems.map(ekmArgProblemText).join("; ")}`);
    super("oci-ekm-fortanix:index:EkmReplicaRegion", name, {}, opts);
    const prefix = args.displayNamePrefix ?? name;
    const provider = args.provider ?? regionProvider(`${name}-oci`, args.region, { parent: this });
    // `providers` reaches the OCI resources of the children and leaves @pulumi/tls on its default.
    const inRegion = { parent: this, providers: { oci: provider } };

    const network = new EkmNetwork(`${name}-network`, { ...replicaNetworkLayout(args.network), compartmentId: args.compartmentId, displayNamePrefix: prefix }, inRegion);
    const certificate = new EkmCertificate(
      `${name}-certificate`,
      { ...args.certificate, ...(args.certificate?.certificatePem === undefined ? { issuer: args.issuer } : {}), compartmentId: args.compartmentId, gatewayHostname: args.gatewayHostname, displayNamePrefix: prefix },
      inRegion,
    );
    const gateway = new EkmGateway(
      `${name}-gateway`,
      {
        compartmentId: args.compartmentId,
        subnetId: network.subnetId,
        certificateId: certificate.certificateId,
        dsmUrl: args.dsmUrl,
        networkSecurityGroupIds: args.networkSecurityGroupIds,
        tokenValidation: args.tokenValidation,
        route: args.route,
        displayNamePrefix: prefix,
      },
      inRegion,
    );
    this.deployment = gateway.deployment;
    this.privateEndpoint = ekmPrivateEndpoint(
      `${name}-private-endpoint`,
      { compartmentId: args.compartmentId, subnetId: network.subnetId, displayName: `${prefix}-private-endpoint`, gatewayPrivateIp: gateway.privateIp, caBundle: certificate.caBundle, port: args.port },
      { parent: this, provider },
    );

    const outputs: EkmReplicaRegionOutputs = {
      region: pulumi.output(args.region),
      vcnId: network.vcnId,
      subnetId: network.subnetId,
      certificateId: certificate.certificateId,
      caBundle: certificate.caBundle,
      gatewayId: gateway.gatewayId,
      gatewayPrivateIp: gateway.privateIp,
      gatewayBaseUrl: gateway.baseUrl,
      deploymentId: gateway.deploymentId,
      privateEndpointId: this.privateEndpoint.id,
      privateEndpointIp: this.privateEndpoint.privateEndpointIp,
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
