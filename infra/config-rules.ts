// Pure rules of the stack configuration beyond each value's format: what OCI and DSM impose (CIDR
// sizes and network addresses, unique key names), the rules between keys, typos of config keys,
// and keys a combination makes pointless. Plain functions over plain values, tested without Pulumi.

import { duplicateKeyNameProblems } from "../components/ekm";

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

/** The values the rules between keys look at, each present only when individually valid. */
export interface CrossKeyInput {
  vcnCidr?: string;
  /** Whether vcnCidr was set in the stack, rather than defaulted. */
  vcnCidrSet?: boolean;
  existingVcnId?: string;
  subnetCidr?: string;
  existingSubnetId?: string;
  existingRouteTableId?: string;
  existingGatewayId?: string;
  existingCertificateId?: string;
  certificatePem?: string;
  privateKeyPem?: string;
  certChainPem?: string;
  caBundlePem?: string;
  certificateValidityDays?: number;
  certificateRenewBeforeDays?: number;
  caValidityDays?: number;
  iamPolicies?: boolean;
  iamOperatorsGroup?: string;
  gatewayTokenValidation?: string;
  gatewayStaticKeys?: unknown[];
}

/** Rules between keys; run on the keys that are individually valid. */
export function crossKeyProblems(c: CrossKeyInput): [key: string, expected: string][] {
  const out: [string, string][] = [];
  if (c.existingVcnId && !c.existingSubnetId && c.vcnCidrSet === false) {
    // The default 10.0.0.0/16 says nothing about someone else's VCN: its CIDR is what the security
    // list admits HTTPS from and what the new subnet must lie in.
    out.push(["vcnCidr", "the CIDR of the VCN existingVcnId names, required with it: the new subnet (subnetCidr) must lie inside it, and the security list admits HTTPS from it"]);
  } else if (!c.existingSubnetId && c.vcnCidr && c.subnetCidr) {
    const vcn = ipv4CidrRange(c.vcnCidr);
    const subnet = ipv4CidrRange(c.subnetCidr);
    if (vcn && subnet && (subnet[0] < vcn[0] || subnet[1] > vcn[1])) out.push(["subnetCidr", `a CIDR inside vcnCidr ${c.vcnCidr}`]);
  }
  if (c.existingSubnetId && c.existingRouteTableId) {
    out.push(["existingRouteTableId", "no value when existingSubnetId is set (the existing subnet keeps its own route table)"]);
  }
  if (c.existingGatewayId && !c.certificatePem) {
    out.push(["certificatePem", "the existing gateway's certificate (PEM), required with existingGatewayId: it is the private endpoint's CA bundle"]);
  } else if (!c.existingGatewayId && c.existingCertificateId && !c.certificatePem) {
    out.push(["certificatePem", "the PEM of existingCertificateId, required with it: it is the private endpoint's CA bundle"]);
  } else if (!c.existingGatewayId && !c.existingCertificateId && c.certificatePem && !c.privateKeyPem) {
    out.push(["privateKeyPem", "the private key of certificatePem, to import it (pulumi config set --secret privateKeyPem < key.pem)"]);
  }
  if (c.privateKeyPem && !c.certificatePem) {
    out.push(["certificatePem", "the certificate of privateKeyPem (a private key alone cannot be imported)"]);
  }
  if (c.certChainPem && !c.certificatePem) {
    out.push(["certificatePem", "the certificate of certChainPem (a generated certificate comes with its own CA)"]);
  }
  if (c.caBundlePem && !c.certificatePem) {
    out.push(["certificatePem", "the certificate caBundlePem is the CA of (a generated certificate comes with its own CA)"]);
  }
  if (c.certificatePem && !c.certChainPem && !c.caBundlePem) {
    out.push(["certChainPem", "the CA certificate(s) that issued certificatePem (or set caBundlePem): the EKM private endpoint trusts that CA, never the gateway certificate itself"]);
  }
  if (c.certificateValidityDays !== undefined && c.certificateRenewBeforeDays !== undefined && c.certificateRenewBeforeDays >= c.certificateValidityDays) {
    out.push(["certificateRenewBeforeDays", `fewer days than certificateValidityDays (${c.certificateValidityDays})`]);
  }
  if (c.certificateValidityDays !== undefined && c.caValidityDays !== undefined && c.caValidityDays < c.certificateValidityDays) {
    out.push(["caValidityDays", `at least certificateValidityDays (${c.certificateValidityDays})`]);
  }
  if (c.iamPolicies && !c.iamOperatorsGroup) {
    out.push(["iamOperatorsGroup", "the group the IAM policy is for, required with iamPolicies true (pulumi config set iamOperatorsGroup ekm-operators)"]);
  }
  if (c.gatewayTokenValidation === "staticKeys" && !c.gatewayStaticKeys) {
    out.push(["gatewayStaticKeys", "a list of JWKs when gatewayTokenValidation is staticKeys"]);
  }
  return out;
}

// The spelling rule is shared with the command lines (components/problems.ts).
export { closestName, editDistance } from "../components/problems";

/**
 * The `dsm:` stack config the DSM providers read (`components/dsm/provider-common.ts`), each
 * standing for a `DSM_*` environment variable. Any other `dsm:` key is read by nothing.
 */
export const DSM_CONFIG_KEYS: readonly string[] = ["dsm:endpoint", "dsm:apiKey", "dsm:username", "dsm:password", "dsm:acctId", "dsm:caBundle"];

/** One bad element of the `keys` list, keyed by its path (`keys[2].name`). */
export interface KeyListProblem {
  path: string;
  given: string;
  expected: string;
}

/**
 * Mistakes in `keys` that the schema would report confusingly: an element that is a string (as
 * `keys: [a, b]` in YAML gives) and a name used twice, reported with both indexes.
 */
export function keyListProblems(keys: unknown): KeyListProblem[] {
  if (!Array.isArray(keys)) return [];
  const out: KeyListProblem[] = [];
  keys.forEach((k: unknown, i) => {
    if (typeof k === "string") {
      out.push({ path: `keys[${i}]`, given: `the string ${JSON.stringify(k)}`, expected: `an object like {name: ${JSON.stringify(k)}} (each key is {name, description?, rotationPolicyDays?, rotate?})` });
    }
  });
  // A name used twice: the vault's own rule, with the vault's own words.
  const names = keys.map((k: unknown) => (k !== null && typeof k === "object" ? (k as { name?: unknown }).name : undefined));
  return [...out, ...duplicateKeyNameProblems(names)];
}

/** The config values that decide which other keys are read. */
export interface IgnoredKeyInput {
  /** The keys the stack config sets (without namespace). */
  set: ReadonlySet<string>;
  existingSubnetId?: string;
  existingGatewayId?: string;
  certificatePem?: string;
  gatewayTokenValidation?: string;
  dsmManageObjects?: boolean;
  iamPolicies?: boolean;
  keysWithSettings?: boolean;
}

/** One key that is set but read by nothing in this combination. */
export interface IgnoredKey {
  key: string;
  because: string;
}

/** Keys set in the stack config that the program will not use, given the rest of it. */
export function ignoredKeys(c: IgnoredKeyInput): IgnoredKey[] {
  const out: IgnoredKey[] = [];
  const ignore = (keys: string[], because: string) => {
    for (const key of keys) if (c.set.has(key)) out.push({ key, because });
  };
  if (c.existingSubnetId !== undefined) {
    ignore(["vcnCidr", "subnetCidr", "dsmEgressCidr"], "existingSubnetId is set, so no VCN, subnet or security list is created (the existing subnet keeps its own CIDR and rules)");
  }
  if (c.existingGatewayId !== undefined) {
    ignore(["privateKeyPem"], "existingGatewayId is set: the existing gateway already serves its certificate, nothing is imported");
    ignore(["certificateValidityDays", "certificateRenewBeforeDays", "caValidityDays"], "existingGatewayId is set, so no certificate is generated");
  } else if (c.certificatePem !== undefined) {
    ignore(["certificateValidityDays", "certificateRenewBeforeDays", "caValidityDays"], "certificatePem is set, so no certificate is generated (yours is imported as it is)");
  }
  if (c.gatewayTokenValidation !== "staticKeys") {
    ignore(["gatewayStaticKeys"], `gatewayTokenValidation is ${JSON.stringify(c.gatewayTokenValidation ?? "off")}, not "staticKeys"`);
  }
  if (c.gatewayTokenValidation !== "remoteJwks") {
    ignore(["gatewayJwksCacheHours"], `gatewayTokenValidation is ${JSON.stringify(c.gatewayTokenValidation ?? "off")}: only "remoteJwks" caches a JWKS`);
  }
  if (c.dsmManageObjects === false) {
    ignore(["dsmAdopt"], "dsmManageObjects is false: the DSM objects are used by name, never created or adopted");
    if (c.keysWithSettings) out.push({ key: "keys", because: "dsmManageObjects is false: rotationPolicyDays, rotate and description are not applied to keys made by hand (rotate them in DSM, then create the key reference version with the OCI CLI)" });
  }
  if (c.iamPolicies !== true) {
    ignore(["iamOperatorsGroup", "iamIdentityDomainCompartmentId"], "iamPolicies is not true, so no IAM policy is created");
  }
  return out;
}
