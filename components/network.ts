import * as core from "@pulumi/oci/core";
import * as pulumi from "@pulumi/pulumi";

export interface EkmNetworkArgs {
  /** Compartment OCID of the network resources. Required. */
  compartmentId: pulumi.Input<string>;
  /** CIDR of the new VCN; also the source allowed to reach the gateway on TCP 443. Default `10.0.0.0/16`. */
  vcnCidr?: string;
  /** CIDR of the private subnet, inside the VCN. Default `10.0.1.0/24`. */
  subnetCidr?: string;
  /** Create the subnet in this existing VCN instead of a new one (set `vcnCidr` to its CIDR). Default: a new VCN. */
  existingVcnId?: pulumi.Input<string>;
  /** Use this existing private subnet: no network resource is created. Default: a new subnet. */
  existingSubnetId?: pulumi.Input<string>;
  /** Route the new subnet through this existing route table (e.g. to a DRG for an on-premises DSM) instead of a new NAT gateway. Default: NAT. */
  existingRouteTableId?: pulumi.Input<string>;
  /** Destination the subnet may reach on TCP 443, i.e. DSM. Default `0.0.0.0/0` (DSM SaaS has no fixed address). */
  dsmEgressCidr?: string;
  /** DNS label of the new VCN (letters and digits, at most 15). Default: the letters and digits of `displayNamePrefix`. */
  vcnDnsLabel?: string;
  /** DNS label of the new subnet. Default `ekm` in a new VCN, none in an existing one (it may have no DNS label). */
  subnetDnsLabel?: string;
  /** Prefix of the display names. Default: the component name. */
  displayNamePrefix?: string;
}

/** Default CIDR of a new VCN. */
export const DEFAULT_VCN_CIDR = "10.0.0.0/16";
/** Default CIDR of the private subnet. */
export const DEFAULT_SUBNET_CIDR = "10.0.1.0/24";
/** Default destination of the HTTPS egress rule: DSM SaaS has no fixed address. */
export const DEFAULT_DSM_EGRESS_CIDR = "0.0.0.0/0";

const TCP = "6";
const HTTPS = { min: 443, max: 443 };

/** A DNS label OCI accepts: starts with a letter, letters and digits only, at most 15 characters. */
export function ekmDnsLabel(text: string): string {
  const label = text.toLowerCase().replace(/[^a-z0-9]/g, "").replace(/^[0-9]+/, "").slice(0, 15);
  return label.length > 0 ? label : "ekm";
}

/**
 * The private network of the Fortanix EKM guide, section 4: VCN, NAT gateway and route table (a private gateway
 * reaches DSM SaaS only through NAT), a security list for HTTPS, and a private subnet. Each piece
 * can be the user's own.
 */
export class EkmNetwork extends pulumi.ComponentResource {
  /** OCID of the VCN; undefined when only an existing subnet was given. */
  public readonly vcnId: pulumi.Output<string | undefined>;
  /** OCID of the private subnet hosting the gateway and the EKM private endpoint. */
  public readonly subnetId: pulumi.Output<string>;
  public readonly vcn?: core.Vcn;
  public readonly natGateway?: core.NatGateway;
  public readonly routeTable?: core.RouteTable;
  public readonly securityList?: core.SecurityList;
  public readonly subnet?: core.Subnet;

  constructor(name: string, args: EkmNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("oci-ekm-fortanix:index:EkmNetwork", name, {}, opts);
    const vcnCidr = args.vcnCidr ?? DEFAULT_VCN_CIDR;
    const subnetCidr = args.subnetCidr ?? DEFAULT_SUBNET_CIDR;
    const dsmEgressCidr = args.dsmEgressCidr ?? DEFAULT_DSM_EGRESS_CIDR;
    const prefix = args.displayNamePrefix ?? name;
    const compartmentId = args.compartmentId;

    if (args.existingSubnetId !== undefined) {
      this.subnetId = pulumi.output(args.existingSubnetId);
      this.vcnId = pulumi.output(args.existingVcnId);
      this.registerOutputs({ vcnId: this.vcnId, subnetId: this.subnetId });
      return;
    }

    let vcnId: pulumi.Output<string>;
    if (args.existingVcnId !== undefined) {
      vcnId = pulumi.output(args.existingVcnId);
    } else {
      this.vcn = new core.Vcn(
        `${name}-vcn`,
        { compartmentId, cidrBlocks: [vcnCidr], displayName: `${prefix}-vcn`, dnsLabel: args.vcnDnsLabel ?? ekmDnsLabel(prefix) },
        { parent: this },
      );
      vcnId = this.vcn.id;
    }

    let routeTableId: pulumi.Output<string>;
    if (args.existingRouteTableId !== undefined) {
      routeTableId = pulumi.output(args.existingRouteTableId);
    } else {
      this.natGateway = new core.NatGateway(`${name}-nat`, { compartmentId, vcnId, displayName: `${prefix}-nat` }, { parent: this });
      this.routeTable = new core.RouteTable(
        `${name}-routes`,
        {
          compartmentId,
          vcnId,
          displayName: `${prefix}-private-routes`,
          routeRules: [{ networkEntityId: this.natGateway.id, destination: "0.0.0.0/0", destinationType: "CIDR_BLOCK", description: "to DSM through NAT" }],
        },
        { parent: this },
      );
      routeTableId = this.routeTable.id;
    }

    this.securityList = new core.SecurityList(
      `${name}-https`,
      {
        compartmentId,
        vcnId,
        displayName: `${prefix}-https`,
        ingressSecurityRules: [
          { protocol: TCP, source: vcnCidr, sourceType: "CIDR_BLOCK", tcpOptions: HTTPS, description: "EKM private endpoint to the gateway" },
        ],
        egressSecurityRules: [
          { protocol: TCP, destination: vcnCidr, destinationType: "CIDR_BLOCK", tcpOptions: HTTPS, description: "EKM private endpoint to the gateway" },
          { protocol: TCP, destination: dsmEgressCidr, destinationType: "CIDR_BLOCK", tcpOptions: HTTPS, description: "gateway to Fortanix DSM" },
        ],
      },
      { parent: this },
    );

    this.subnet = new core.Subnet(
      `${name}-subnet`,
      {
        compartmentId,
        vcnId,
        cidrBlock: subnetCidr,
        displayName: `${prefix}-private-subnet`,
        dnsLabel: args.subnetDnsLabel ?? (args.existingVcnId === undefined ? "ekm" : undefined),
        prohibitPublicIpOnVnic: true,
        routeTableId,
        securityListIds: [this.securityList.id],
      },
      { parent: this },
    );

    this.vcnId = vcnId;
    this.subnetId = this.subnet.id;
    this.registerOutputs({ vcnId: this.vcnId, subnetId: this.subnetId });
  }
}
