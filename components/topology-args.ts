// The pure side of EkmTopology (topology.ts): its argument types, their defaults and their checks,
// which run before anything is created. Nothing here declares a resource.
import type { Provider } from "@pulumi/oci/provider";
import type * as pulumi from "@pulumi/pulumi";
import { ekmVaultProblems } from "./ekm";
import type { GatewayJsonWebKeyArgs, GatewayTokenValidationArgs } from "./gateway";
import { gatewayCertificateProblems } from "./pem";
import type { EkmCertificateSourceArgs } from "./certificate";
import { ekmNetworkProblems, type EkmNetworkLayoutArgs } from "./network";
import { identityDomainUrlProblems } from "./identity-domain-url";
import { ekmArgProblemText, ekmArgProblemsAt, type EkmArgProblem } from "./problems";
import { ekmReplicaRegionProblems, replicaSubnetOverlap } from "./replica";
import type { EkmTopologyArgs } from "./topology";
import { DEFAULT_DSM_URL, DEFAULT_IDENTITY_ISSUER, identityIssuerForms, identityJwksUri, normalizeDsmUrl } from "./urls";

/** Default DSM group holding the keys. */
export const DEFAULT_DSM_GROUP_NAME = "oci-ekm";
/** Name of the one DSM key created when none is listed. */
export const DEFAULT_DSM_KEY_NAME = "oci-ekm-key";

/** One DSM key: an AES-256 security object in DSM and a key reference in the vault. */
export interface EkmDsmKeyArgs {
  /** Security object name, the key reference's external key id; never rename it afterwards. Required. */
  name: string;
  /** Description of the security object. Default: none. */
  description?: string;
  /**
   * Rotation policy of the security object, in days: DSM rotates the key by itself. OCI follows
   * such a rotation only after `pulumi refresh` and `pulumi up` (or the scheduled rotation
   * workflow), which declare a key reference version for DSM's new version. Default: none.
   */
  rotationPolicyDays?: number;
  /**
   * Any string; changing it rotates the key: DSM rekeys it (a new version under the same name,
   * the old one kept for decryption), then OCI gets a key reference version for the new one, in
   * the same `pulumi up`. Default: none.
   */
  rotate?: string;
}

export interface EkmDsmArgs {
  /** Fortanix DSM account id (UUID). Required. */
  accountId: string;
  /** DSM group holding the keys. Default `oci-ekm`. */
  groupName?: string;
  /** The keys. Default one key, `oci-ekm-key`. */
  keys?: EkmDsmKeyArgs[];
  /**
   * Create the DSM group, JWT app and security objects. With false they must already exist in DSM
   * (made by hand, the Fortanix EKM guide, section 9) and only their names are used. Default: true.
   */
  manageObjects?: boolean;
  /** Take over DSM objects that already exist under these names instead of failing. Default: false. */
  adopt?: boolean;
  /** DSM REST API base URL the provider calls. Default: `dsmUrl`. */
  apiEndpoint?: string;
}

// An interface, not a Pick of EkmNetworkArgs: Pulumi's component analyzer (schemas for other
// languages) reads interfaces, and refuses mapped types. The fields and their docs are the network's.
export interface EkmTopologyNetworkArgs extends EkmNetworkLayoutArgs {}

// The certificate's fields and docs are EkmCertificate's (an interface, for Pulumi's component analyzer).
export interface EkmTopologyCertificateArgs extends EkmCertificateSourceArgs {}

export interface EkmTopologyTokenValidationArgs {
  /** `REMOTE_JWKS` (the Identity Domain's JWKS URI) or `STATIC_KEYS`. Default `REMOTE_JWKS`. */
  keySource?: string;
  /** Hours the gateway caches the remote JWKS (1-24). Default 1. */
  maxCacheDurationInHours?: number;
  /** Public keys for `STATIC_KEYS`. Required with `STATIC_KEYS`. */
  staticKeys?: GatewayJsonWebKeyArgs[];
  /** Scopes the route accepts. Default `["oci_ekms"]`. */
  allowedScopes?: string[];
}

export interface EkmTopologyGatewayArgs {
  /** Deploy on this existing private gateway (then `certificate.certificatePem` must be its certificate). Default: a new gateway. */
  existingGatewayId?: pulumi.Input<string>;
  /** Network security groups of a new gateway. Default: none. */
  networkSecurityGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** Validate tokens at the gateway (issuer, audience, scope) before DSM does. Default: off. */
  tokenValidation?: EkmTopologyTokenValidationArgs;
  /** What the gateway forwards: `all` (the Fortanix EKM guide's `/{path*}`) or `ekmOnly` (`/oci/ekm/v1/{path*}`, GET and POST). Default `all`. */
  route?: string;
}

export interface EkmTopologyIdentityArgs {
  /** Token issuer of the domain. Default `https://identity.oraclecloud.com/`. */
  issuer?: string;
  /** Make the domain's signing certificate public. Default true. */
  manageSigningCertAccess?: boolean;
  /** The domain's `csrAccess` to keep. Default: read from the domain. */
  csrAccess?: pulumi.Input<string>;
}

export interface EkmTopologyReplicaGatewayArgs {
  /** Network security groups of the replica's new gateway. Default: none. */
  networkSecurityGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * A replica of the external vault in a second region of the realm (Oracle's "Replicating External
 * Vaults"): its own network, gateway and EKM private endpoint there, a second resource app whose
 * scope is added to the same client app, and the replication. The gateway's token validation and
 * route are the source's.
 */
export interface EkmTopologyReplicaArgs {
  /** The replica region, e.g. `eu-amsterdam-1`; it can never change afterwards without replacing the replica. Required. */
  region: string;
  /** The OCI provider for `region`. Default: one the topology makes, configured from the `oci:` config keys with this region. */
  provider?: Provider;
  /** The replica region's network, or your VCN/subnet there. Default: a new VCN (`10.1.0.0/16`), NAT, route table, security list and private subnet (`10.1.1.0/24`). */
  network?: EkmTopologyNetworkArgs;
  /** The replica gateway's certificate. Default: issued by the source's generated CA; required when `certificate.certificatePem` is yours. */
  certificate?: EkmTopologyCertificateArgs;
  /** FQDN of the replica's gateway, in its certificate. Default: `gatewayHostname`. */
  gatewayHostname?: pulumi.Input<string>;
  /** Replica gateway options. Default: a new private gateway. */
  gateway?: EkmTopologyReplicaGatewayArgs;
  /** The Identity Domain's URL for the replica region (the replica's `idcsAccountNameUrl`). Default: `identityDomainUrl`. */
  identityDomainUrl?: string;
  /**
   * OCID of the Identity Domain, to replicate it to `region` first. Default: none, for a domain
   * already replicated there (the Default domain replicates to subscribed regions by itself).
   */
  identityDomainId?: pulumi.Input<string>;
}

/** The topology's arguments with their defaults applied, as its constructor uses them. */
export interface EkmTopologyDefaults {
  /** Prefix of display names. */
  prefix: string;
  /** The DSM URL, normalised. */
  dsmUrl: string;
  keys: EkmDsmKeyArgs[];
  groupName: string;
  manageObjects: boolean;
  adopt: boolean;
  /** DSM REST API base URL the provider calls. */
  apiEndpoint: string;
}

/** The defaults documented on {@link EkmTopologyArgs}, applied (for arguments {@link ekmTopologyProblems} accepted). */
export function ekmTopologyDefaults(name: string, args: EkmTopologyArgs): EkmTopologyDefaults {
  const dsmUrl = normalizeDsmUrl(args.dsmUrl ?? DEFAULT_DSM_URL);
  return {
    prefix: args.namePrefix ?? name,
    dsmUrl,
    keys: args.dsm.keys ?? [{ name: DEFAULT_DSM_KEY_NAME }],
    groupName: args.dsm.groupName ?? DEFAULT_DSM_GROUP_NAME,
    manageObjects: args.dsm.manageObjects ?? true,
    adopt: args.dsm.adopt ?? false,
    apiEndpoint: args.dsm.apiEndpoint ?? dsmUrl,
  };
}

/** The gateway's token validation, from `gateway.tokenValidation`: the domain's JWKS and issuer forms; none without it. */
export function ekmTopologyTokenValidation(args: EkmTopologyArgs): GatewayTokenValidationArgs | undefined {
  const tv = args.gateway?.tokenValidation;
  return tv && {
    keySource: tv.keySource,
    jwksUri: identityJwksUri(args.identityDomainUrl),
    maxCacheDurationInHours: tv.maxCacheDurationInHours,
    staticKeys: tv.staticKeys,
    issuers: identityIssuerForms(args.identity?.issuer ?? DEFAULT_IDENTITY_ISSUER),
    allowedScopes: tv.allowedScopes,
  };
}

/** Problems with topology arguments, as messages naming the field (checked before anything is created). */
export function ekmTopologyProblems(args: EkmTopologyArgs): string[] {
  const problems: string[] = [];
  const check = (field: string, fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      problems.push(`${field}: ${(e as Error).message}`);
    }
  };
  check("dsmUrl", () => normalizeDsmUrl(args.dsmUrl ?? DEFAULT_DSM_URL));
  if (typeof args.identityDomainUrl !== "string" || args.identityDomainUrl === "") problems.push("identityDomainUrl is required");
  if (!args.dsm || !args.dsm.accountId) problems.push("dsm.accountId is required");
  const keys = args.dsm?.keys;
  if (keys !== undefined && keys.length === 0) problems.push("dsm.keys must list at least one key (or be left out for the default)");
  // The vault's own rules (the Identity Domain URL it hands the client secret to, its URL host, the
  // key references' names), on the topology's paths.
  problems.push(...ekmVaultProblems({ vaultUrlHost: args.vaultUrlHost, identityDomainUrl: args.identityDomainUrl, keys }, "dsm.keys").map(ekmArgProblemText));
  problems.push(...ekmArgProblemsAt("network.", ekmNetworkProblems({ ...args.network, compartmentId: args.compartmentId })).map(ekmArgProblemText));
  if (args.gateway?.existingGatewayId !== undefined && args.certificate?.certificatePem === undefined) {
    problems.push("certificate.certificatePem is required with gateway.existingGatewayId (the existing gateway's certificate, whose CA the private endpoint trusts)");
  }
  if (args.gateway?.existingGatewayId !== undefined && args.certificate?.certChainPem === undefined && args.certificate?.caBundlePem === undefined) {
    problems.push("certificate.certChainPem or certificate.caBundlePem is required with gateway.existingGatewayId (the CA the private endpoint trusts)");
  }
  problems.push(...userCertificateProblems(args));
  problems.push(...replicaProblems(args));
  return problems;
}

/** Two new subnets whose ranges overlap ({@link replicaSubnetOverlap}), on the topology's paths. */
function sharedAddressProblems(args: EkmTopologyArgs, replica: EkmTopologyReplicaArgs): EkmArgProblem[] {
  const overlap = replicaSubnetOverlap(args.network, replica.network);
  if (overlap === undefined) return [];
  return [{
    path: "replica.network.subnetCidr",
    given: `${JSON.stringify(overlap.replica)}, which overlaps network.subnetCidr ${overlap.source}`,
    expected: "a range apart from the source's: the two gateways would get the same private IP, the audience of two resource apps in one domain",
  }];
}

/** The replica's own rules (its region, its network) on `replica.`, and the ones that span the source's choices. */
function replicaProblems(args: EkmTopologyArgs): string[] {
  const replica = args.replica;
  if (replica === undefined) return [];
  const problems = ekmArgProblemsAt("replica.", ekmReplicaRegionProblems({ region: replica.region, network: replica.network, compartmentId: args.compartmentId }));
  if (replica.identityDomainUrl !== undefined) problems.push(...identityDomainUrlProblems("replica.identityDomainUrl", replica.identityDomainUrl));
  problems.push(...sharedAddressProblems(args, replica));
  const sourceCertificateIsYours = args.certificate?.certificatePem !== undefined || args.gateway?.existingGatewayId !== undefined;
  if (sourceCertificateIsYours && replica.certificate?.certificatePem === undefined) {
    problems.push({ path: "replica.certificate.certificatePem", given: "missing", expected: "the replica gateway's certificate, with its key and chain (the source's certificate is yours, so there is no generated CA to issue one)" });
  }
  return problems.map(ekmArgProblemText);
}

/**
 * The user's certificate checked here, before the network is declared, rather than in
 * EkmCertificate (which comes after it, and is not created at all with an existing gateway, whose
 * certificate must still chain to what the private endpoint will trust). Only plain-text PEMs can
 * be read; an Output (a secret key) is checked by OCI.
 */
function userCertificateProblems(args: EkmTopologyArgs): string[] {
  const cert = args.certificate ?? {};
  if (typeof cert.certificatePem !== "string" || cert.existingCertificateId !== undefined) return [];
  const text = (v: pulumi.Input<string> | undefined): string | undefined => (typeof v === "string" ? v : undefined);
  const existingGateway = args.gateway?.existingGatewayId !== undefined;
  const names = { certificatePem: "certificate.certificatePem", privateKeyPem: "certificate.privateKeyPem", certChainPem: "certificate.certChainPem", caBundlePem: "certificate.caBundlePem" };
  return gatewayCertificateProblems({
    certificatePem: cert.certificatePem,
    // An existing gateway's key is not ours to hold.
    ...(!existingGateway && text(cert.privateKeyPem) !== undefined ? { privateKeyPem: text(cert.privateKeyPem) } : {}),
    ...(text(cert.certChainPem) !== undefined ? { certChainPem: text(cert.certChainPem) } : {}),
    ...(text(cert.caBundlePem) !== undefined ? { caBundlePem: text(cert.caBundlePem) } : {}),
    ...(text(args.gatewayHostname) !== undefined ? { gatewayHostname: text(args.gatewayHostname) } : {}),
    chainUnreadable: [cert.certChainPem, cert.caBundlePem].some((v) => v !== undefined && typeof v !== "string"),
    names,
  });
}
