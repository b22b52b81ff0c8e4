import * as pulumi from "@pulumi/pulumi";
import { EkmCertificate } from "./certificate";
import { DsmGroup, DsmJwtApp, DsmSecurityObject } from "./dsm";
import { EkmVault, ekmVaultOutputsOf, ekmVaultProblems, type EkmKeyReferenceVersion, type EkmVaultOutputs } from "./ekm";
import { EkmGateway, GatewayJsonWebKeyArgs, GatewayTokenValidationArgs } from "./gateway";
import { EkmIdentity } from "./identity";
import { EkmNetwork, ekmNetworkProblems, type EkmNetworkArgs } from "./network";
import { caBundleOfChain, gatewayCertificateProblems, normalizePem } from "./pem";
import { ekmArgProblemText, ekmArgProblemsAt } from "./problems";
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

/** The network, or your existing VCN/subnet: the fields of {@link EkmNetworkArgs}, documented there. */
export type EkmTopologyNetworkArgs = Pick<EkmNetworkArgs, "vcnCidr" | "subnetCidr" | "existingVcnId" | "existingSubnetId" | "existingRouteTableId" | "dsmEgressCidr">;

export interface EkmTopologyCertificateArgs {
  /** Validity of the generated gateway certificate, in days. Default 365. */
  validityDays?: number;
  /** Days before expiry at which `pulumi up` renews the generated gateway certificate. Default 30. */
  renewBeforeDays?: number;
  /** Validity of the generated CA the private endpoint trusts, in days. Default 3650. */
  caValidityDays?: number;
  /** Your certificate (PEM). Default: one issued by a generated CA. */
  certificatePem?: pulumi.Input<string>;
  /** Its private key (PEM), kept secret. Required with `certificatePem` unless `existingCertificateId` or an existing gateway is used. */
  privateKeyPem?: pulumi.Input<string>;
  /** Its chain (PEM): the CA certificate(s) that issued it. Required with `certificatePem` unless `caBundlePem` is set. */
  certChainPem?: pulumi.Input<string>;
  /** What the EKM private endpoint trusts (PEM). Default: the CA certificates of `certChainPem`. */
  caBundlePem?: pulumi.Input<string>;
  /** An OCI Certificates entry holding `certificatePem`. Default: import it. */
  existingCertificateId?: pulumi.Input<string>;
}

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
  /** Host of the external vault URL: `privateEndpoint` or `gateway`. Default `privateEndpoint`. */
  vaultUrlHost?: string;
  /** Protect the vault and key references from deletion. Default: the `protect` resource option given to the topology, else true. */
  protect?: boolean;
  /** Prefix of display names. Default: the component name. */
  namePrefix?: string;
}

// ---------------------------------------------------------------------------------------------
// DSM side: group → JWT app (name = client ID, JWKS URI, issuer) → AES-256 security objects.
// With manageObjects false the objects exist in DSM already and only their names are used.
// ---------------------------------------------------------------------------------------------

/** What the DSM side receives from the OCI side. */
export interface EkmDsmSeamInputs {
  /** Base for resource names (`<name>-dsm-…`). */
  name: string;
  /** Parent of the DSM resources. */
  parent: pulumi.Resource;
  groupName: string;
  keys: EkmDsmKeyArgs[];
  /** The client app's client ID: the DSM JWT app's name. */
  clientId: pulumi.Output<string>;
  /** The Identity Domain JWKS DSM fetches to check tokens. */
  jwksUri: pulumi.Output<string>;
  /** The issuer DSM accepts. */
  issuer: pulumi.Output<string>;
  /** Create the DSM objects (false: they exist already). */
  manageObjects: boolean;
  adopt: boolean;
  /** DSM REST API base URL. */
  apiEndpoint: string;
}

/** What the DSM side gives back. */
export interface EkmDsmSeamOutputs {
  /** The JWT app (with its group membership), when this stack manages it. */
  app?: DsmJwtApp;
  /** Security object names, in `keys` order: the key references' external key ids. */
  keyNames: pulumi.Output<string>[];
  groupId?: pulumi.Output<string>;
  appId?: pulumi.Output<string>;
  /** Security object kids, in `keys` order. */
  keyIds?: pulumi.Output<string>[];
  /** Each key's versions (kids) since the stack created or adopted it, oldest first, in `keys` order. */
  keyVersionIds?: pulumi.Output<string[]>[];
}

function provisionDsm(inputs: EkmDsmSeamInputs): EkmDsmSeamOutputs {
  if (!inputs.manageObjects) return { keyNames: inputs.keys.map((k) => pulumi.output(k.name)) };
  const opts = { parent: inputs.parent };
  const common = { endpoint: inputs.apiEndpoint, adopt: inputs.adopt };
  const group = new DsmGroup(`${inputs.name}-dsm-group`, { name: inputs.groupName, ...common }, opts);
  // DSM fetches the JWKS only when it checks a token, so creating the app need not wait for the
  // domain setting that makes the signing certificate public (reference graph: client app → JWT app).
  const app = new DsmJwtApp(
    `${inputs.name}-dsm-app`,
    { name: inputs.clientId, groupId: group.groupId, jwksUrl: inputs.jwksUri, validIssuers: inputs.issuer.apply(identityIssuerForms), ...common },
    opts,
  );
  const keys = inputs.keys.map(
    (k) =>
      new DsmSecurityObject(
        `${inputs.name}-dsm-key-${k.name}`,
        { name: k.name, groupId: group.groupId, description: k.description, rotationPolicyDays: k.rotationPolicyDays, rotate: k.rotate, ...common },
        opts,
      ),
  );
  // The key references take the names from the security objects, so each waits for its key.
  return {
    app,
    keyNames: keys.map((k) => k.name),
    groupId: group.groupId,
    appId: app.appId,
    keyIds: keys.map((k) => k.kid),
    // The rotated-away kids, oldest first, then the current one: the key reference was created
    // with the first, so each later one is a rotation OCI must be told of.
    keyVersionIds: keys.map((k) => pulumi.all([k.rotatedKids, k.kid]).apply(([rotated, kid]) => [...(rotated ?? []), kid])),
  };
}

// --------------------------------------- end of DSM seam ---------------------------------------

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
  return problems;
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

  constructor(name: string, args: EkmTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = ekmTopologyProblems(args);
    if (problems.length > 0) throw new Error(`EkmTopology ${name}: ${problems.join("; ")}`);
    super("oci-ekm-fortanix:index:EkmTopology", name, {}, opts);

    const prefix = args.namePrefix ?? name;
    const dsmUrl = normalizeDsmUrl(args.dsmUrl ?? DEFAULT_DSM_URL);
    const keys = args.dsm.keys ?? [{ name: DEFAULT_DSM_KEY_NAME }];
    const net = args.network ?? {};
    const cert = args.certificate ?? {};
    const gw = args.gateway ?? {};
    const child = { parent: this };

    const network = new EkmNetwork(
      `${name}-network`,
      { ...net, compartmentId: args.compartmentId, displayNamePrefix: prefix },
      child,
    );

    // An existing gateway already serves its certificate: only its PEM and its CA are needed.
    // The children are locals, not fields: Pulumi's analyzer (for other languages) accepts only
    // outputs and @pulumi/* resources as a component's public members.
    const certificate = gatewayCertificate(name, args, prefix, child);

    const issuer = args.identity?.issuer;
    const tokenValidation: GatewayTokenValidationArgs | undefined = gw.tokenValidation && {
      keySource: gw.tokenValidation.keySource,
      jwksUri: identityJwksUri(args.identityDomainUrl),
      maxCacheDurationInHours: gw.tokenValidation.maxCacheDurationInHours,
      staticKeys: gw.tokenValidation.staticKeys,
      issuers: identityIssuerForms(issuer ?? DEFAULT_IDENTITY_ISSUER),
      allowedScopes: gw.tokenValidation.allowedScopes,
    };
    const gateway = new EkmGateway(
      `${name}-gateway`,
      {
        compartmentId: args.compartmentId,
        subnetId: network.subnetId,
        certificateId: certificate.component?.certificateId,
        dsmUrl,
        existingGatewayId: gw.existingGatewayId,
        networkSecurityGroupIds: gw.networkSecurityGroupIds,
        tokenValidation,
        route: gw.route,
        displayNamePrefix: prefix,
      },
      child,
    );

    const identity = new EkmIdentity(
      `${name}-identity`,
      {
        identityDomainUrl: args.identityDomainUrl,
        gatewayPrivateIp: gateway.privateIp,
        dsmUrl,
        issuer,
        manageSigningCertAccess: args.identity?.manageSigningCertAccess,
        csrAccess: args.identity?.csrAccess,
        displayNamePrefix: prefix,
      },
      child,
    );

    const dsm = provisionDsm({
      name,
      parent: this,
      groupName: args.dsm.groupName ?? DEFAULT_DSM_GROUP_NAME,
      keys,
      clientId: identity.clientId,
      jwksUri: identity.jwksUri,
      issuer: identity.issuer,
      manageObjects: args.dsm.manageObjects ?? true,
      adopt: args.dsm.adopt ?? false,
      apiEndpoint: args.dsm.apiEndpoint ?? dsmUrl,
    });

    const ekm = new EkmVault(
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
        keys: keys.map((k, i) => ({ name: k.name, externalKeyId: dsm.keyNames[i], externalKeyVersionIds: dsm.keyVersionIds?.[i] })),
        // OCI calls the key manager when it creates the vault's key references: everything on the
        // way must exist first (the key references also wait for their security objects, by name).
        vaultDependsOn: [gateway.deployment, ...(identity.domainSetting ? [identity.domainSetting] : []), ...(dsm.app ? [dsm.app] : [])],
        // The caller's `protect` option reaches the vault's own default, as the argument would.
        protect: args.protect ?? opts?.protect,
        displayNamePrefix: prefix,
      },
      child,
    );

    const outputs: EkmTopologyOutputs = {
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
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
