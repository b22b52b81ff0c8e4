// Pure rules of the stack configuration beyond each value's format: what OCI and DSM impose (CIDR
// sizes and network addresses, unique key names), the rules between keys, typos of config keys,
// and keys a combination makes pointless. Plain functions over plain values, tested without Pulumi.

import { duplicateKeyNameProblems } from "../components/ekm";
import { ekmNetworkProblems } from "../components/network";

// The CIDR rules are the network component's (components/network.ts); re-exported for the config's callers.
export { ipv4CidrRange, OCI_CIDR_PREFIX, ociCidrBlockProblem, parseIpv4Cidr, type Ipv4Cidr } from "../components/network";

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
  // The network's own rules, as EkmNetwork checks them (a defaulted vcnCidr counts as not given).
  const network = ekmNetworkProblems({
    compartmentId: "",
    ...(c.vcnCidrSet !== false && c.vcnCidr !== undefined ? { vcnCidr: c.vcnCidr } : {}),
    ...(c.subnetCidr !== undefined ? { subnetCidr: c.subnetCidr } : {}),
    ...(c.existingVcnId !== undefined ? { existingVcnId: c.existingVcnId } : {}),
    ...(c.existingSubnetId !== undefined ? { existingSubnetId: c.existingSubnetId } : {}),
    ...(c.existingRouteTableId !== undefined ? { existingRouteTableId: c.existingRouteTableId } : {}),
  });
  for (const p of network) out.push([p.path, p.expected]);
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
  replicaRegion?: string;
  replicaExistingSubnetId?: string;
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
  if (c.replicaRegion === undefined) {
    ignore([...c.set].filter((k) => k.startsWith("replica") && k !== "replicaRegion").sort(), "replicaRegion is not set, so the vault has no replica");
  } else if (c.replicaExistingSubnetId !== undefined) {
    ignore(["replicaVcnCidr", "replicaSubnetCidr"], "replicaExistingSubnetId is set, so no VCN or subnet is created in the replica region");
  }
  if (c.iamPolicies !== true) {
    ignore(["iamOperatorsGroup", "iamIdentityDomainCompartmentId"], "iamPolicies is not true, so no IAM policy is created");
  }
  return out;
}
