import * as core from "@pulumi/oci/core";
import * as pulumi from "@pulumi/pulumi";
import { type EkmArgProblem, ekmArgProblemText } from "./problems";

/** Where the network is: new, or your VCN, subnet or route table. The topology takes these same fields as `network`. */
export interface EkmNetworkLayoutArgs {
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
}

export interface EkmNetworkArgs extends EkmNetworkLayoutArgs {
  /** Compartment OCID of the network resources. Required. */
  compartmentId: pulumi.Input<string>;
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

// ---- CIDR blocks --------------------------------------------------------------------------------

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** An IPv4 CIDR block as numbers: the address as written, its prefix length, and the range it covers. */
export interface Ipv4Cidr {
  address: number;
  bits: number;
  first: number;
  last: number;
}

export function parseIpv4Cidr(cidr: string): Ipv4Cidr | undefined {
  const m = IPV4_CIDR.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const first = Math.floor(address / size) * size;
  return { address, bits, first, last: first + size - 1 };
}

/** [first address, last address] of an IPv4 CIDR, or undefined if it is not one. */
export function ipv4CidrRange(cidr: string): [number, number] | undefined {
  const c = parseIpv4Cidr(cidr);
  return c && [c.first, c.last];
}

function ipv4Text(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
}

/** The address `offset` after the start of an IPv4 CIDR (`10.1.1.0/24`, 10 → `10.1.1.10`), or undefined outside it. */
export function ipv4AddressIn(cidr: string, offset: number): string | undefined {
  const c = parseIpv4Cidr(cidr);
  return c && c.first + offset <= c.last ? ipv4Text(c.first + offset) : undefined;
}

/** Whether an IPv4 address lies in a CIDR block. */
export function ipv4InCidr(address: string, cidr: string): boolean {
  const range = ipv4CidrRange(cidr);
  const a = parseIpv4Cidr(`${address}/32`);
  return range !== undefined && a !== undefined && a.first >= range[0] && a.first <= range[1];
}

/**
 * OCI's limits for the CIDR block of a VCN: "The CIDR blocks can range from /16 to /30" (OCI CLI
 * `network vcn create`, https://docs.oracle.com/iaas/tools/oci-cli/latest/oci_cli_docs/cmdref/network/vcn/create.html,
 * and the Terraform provider's `oci_core_vcn`). A subnet lies inside its VCN, so it is held to the
 * same range; a /31 or /32 would hold no address for the gateway once OCI reserves its own.
 */
export const OCI_CIDR_PREFIX = { min: 16, max: 30 } as const;

/**
 * What is wrong with `cidr` as the CIDR block of an OCI VCN or subnet, phrased as what is expected;
 * undefined when nothing is. A block with host bits set is refused (OCI does), naming its network address.
 */
export function ociCidrBlockProblem(cidr: string, of: "VCN" | "subnet"): string | undefined {
  const c = parseIpv4Cidr(cidr);
  if (!c) return "an IPv4 CIDR block such as 10.0.1.0/24";
  if (c.bits < OCI_CIDR_PREFIX.min || c.bits > OCI_CIDR_PREFIX.max) {
    return `a prefix from /${OCI_CIDR_PREFIX.min} to /${OCI_CIDR_PREFIX.max} (OCI's limits for a ${of}), such as ${of === "VCN" ? "10.0.0.0/16" : "10.0.1.0/24"}`;
  }
  if (c.address !== c.first) {
    return `a network address without host bits: ${ipv4Text(c.first)}/${c.bits} (${ipv4Text(c.address)} has bits set beyond the /${c.bits} prefix)`;
  }
  return undefined;
}

/**
 * Problems with the network's arguments, before anything is declared: the CIDR blocks OCI accepts,
 * the subnet inside its VCN, an existing VCN's CIDR, and pieces that cannot go together. The
 * topology and the stack config report these same problems under their own paths.
 */
export function ekmNetworkProblems(args: EkmNetworkArgs): EkmArgProblem[] {
  const problems: EkmArgProblem[] = [];
  const add = (path: string, given: unknown, expected: string): void => void problems.push({ path, given: JSON.stringify(given), expected });
  for (const [path, value, of] of [["vcnCidr", args.vcnCidr, "VCN"], ["subnetCidr", args.subnetCidr, "subnet"]] as const) {
    const problem = value === undefined ? undefined : ociCidrBlockProblem(value, of);
    if (problem !== undefined) add(path, value, problem);
  }
  if (args.existingSubnetId === undefined && args.existingVcnId !== undefined && args.vcnCidr === undefined) {
    // The default 10.0.0.0/16 says nothing about someone else's VCN: its CIDR is what the security
    // list admits HTTPS from and what the new subnet must lie in.
    problems.push({
      path: "vcnCidr",
      given: "not set",
      expected: "the CIDR of the VCN existingVcnId names, required with it: the new subnet (subnetCidr) must lie inside it, and the security list admits HTTPS from it",
    });
  } else if (args.existingSubnetId === undefined) {
    const vcnCidr = args.vcnCidr ?? DEFAULT_VCN_CIDR;
    const subnetCidr = args.subnetCidr ?? DEFAULT_SUBNET_CIDR;
    const vcn = ipv4CidrRange(vcnCidr);
    const subnet = ipv4CidrRange(subnetCidr);
    if (vcn && subnet && (subnet[0] < vcn[0] || subnet[1] > vcn[1])) add("subnetCidr", subnetCidr, `a CIDR inside vcnCidr ${vcnCidr}`);
  }
  if (args.existingSubnetId !== undefined && args.existingRouteTableId !== undefined) {
    problems.push({ path: "existingRouteTableId", given: "set", expected: "no value when existingSubnetId is set (the existing subnet keeps its own route table)" });
  }
  return problems;
}

// ---- the component ---------------------------------------------------------------------------------

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
    const problems = ekmNetworkProblems(args);
    if (problems.length > 0) throw new Error(`EkmNetwork ${name}: ${problems.map(ekmArgProblemText).join("; ")}`);
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
