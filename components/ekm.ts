import * as oci from "@pulumi/oci";
import * as pulumi from "@pulumi/pulumi";
import { externalVaultUrl, normalizeIdentityDomainUrl } from "./urls";

/** One key reference: an OCI key pointing at a DSM security object by name. */
export interface EkmKeyReferenceArgs {
  /** Logical name, unique in the vault; also the default display name. Required. */
  name: string;
  /** The DSM security object's name, which OCI sends to DSM as the external key id. Required. */
  externalKeyId: pulumi.Input<string>;
  /** OCI display name. Default: `name`. */
  displayName?: pulumi.Input<string>;
  /**
   * The external key's versions (for DSM: the security object's kids), oldest first. The first is
   * the version that was current when the key reference was created: OCI recorded it as the key
   * reference's first version by itself. One key reference version is declared for each later
   * one, in order, so that OCI uses DSM's newest version (Oracle's "Rotating Key References": a
   * rotation in the key manager reaches OCI only through a new key reference version). The list
   * only ever grows: a version once declared stays declared, and is never deleted by the program.
   * Default: none (only OCI's own first version).
   */
  externalKeyVersionIds?: pulumi.Input<string[]>;
}

/** One key reference version the program declared: a DSM version OCI was told to use. */
export interface EkmKeyReferenceVersion {
  /** The key's logical name (`keys[].name`). */
  key: string;
  /** DSM's version (the security object's kid) the key reference version names. */
  externalKeyVersionId: string;
  /** OCID of the key reference version. */
  keyVersionId: string;
}

export interface EkmVaultArgs {
  /** Compartment OCID of the private endpoint, vault and key references. Required. */
  compartmentId: pulumi.Input<string>;
  /** Private subnet of the EKM private endpoint (the gateway's). Required. */
  subnetId: pulumi.Input<string>;
  /** The gateway's private IP, the external key manager the private endpoint reaches. Required. */
  gatewayPrivateIp: pulumi.Input<string>;
  /** The gateway certificate (PEM), the private endpoint's CA bundle. Required. */
  caBundle: pulumi.Input<string>;
  /** Port of the external key manager. Default: OCI's (443). */
  port?: pulumi.Input<number>;
  /** Fortanix DSM account id, the last segment of the external vault URL. Required. */
  dsmAccountId: pulumi.Input<string>;
  /** The Identity Domain URL OCI Vault gets tokens from. Required. */
  identityDomainUrl: pulumi.Input<string>;
  /** The client app's client ID. Required. */
  clientId: pulumi.Input<string>;
  /** The client app's secret; kept a Pulumi secret. Required. */
  clientSecret: pulumi.Input<string>;
  /** Host of the external vault URL: `privateEndpoint` (the Fortanix EKM guide) or `gateway` (Oracle's Terraform example). Default `privateEndpoint`. */
  vaultUrlHost?: string;
  /** Key references to create, one per DSM key. Default: none. */
  keys?: EkmKeyReferenceArgs[];
  /**
   * What OCI reaches while it creates the vault and the key references: creating a key reference
   * makes OCI Vault read the key's metadata from the key manager (token from the domain → private
   * endpoint → gateway deployment → DSM, which checks the token with the DSM JWT app and the
   * domain's public signing key). The vault waits for these (in the topology: the gateway
   * deployment, the domain setting and the DSM JWT app), so the first `pulumi up` does not race.
   * Default: none.
   */
  vaultDependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Protect the vault and key references from deletion. Default true. */
  protect?: boolean;
  /** Prefix of the display names. Default: the component name. */
  displayNamePrefix?: string;
}

/** Default host of the external vault URL: the EKM private endpoint, as in the Fortanix EKM guide. */
export const DEFAULT_VAULT_URL_HOST = "privateEndpoint";

/** AES-256, the only key shape External Key Management accepts (length in bytes). */
export const EKM_KEY_SHAPE = { algorithm: "AES", length: 32 };

/**
 * OCI Vault External Key Management (the Fortanix EKM guide, sections 7, 8 and 10): the EKM private endpoint to
 * the gateway, the external vault, and a key reference per DSM key.
 */
export class EkmVault extends pulumi.ComponentResource {
  public readonly privateEndpointId: pulumi.Output<string>;
  /** The private endpoint's IP in the subnet: the external vault URL's host by default. */
  public readonly privateEndpointIp: pulumi.Output<string>;
  public readonly vaultId: pulumi.Output<string>;
  /** `https://<host>/oci/ekm/v1/vaults/<DSM account id>`. */
  public readonly vaultUrl: pulumi.Output<string>;
  public readonly managementEndpoint: pulumi.Output<string>;
  public readonly cryptoEndpoint: pulumi.Output<string>;
  /** OCIDs of the key references, in the order of `keys`. */
  public readonly keyReferenceIds: pulumi.Output<string[]>;
  /** The key reference versions declared for rotations, oldest first per key (OCI's own first versions are not listed). */
  public readonly keyReferenceVersions: pulumi.Output<EkmKeyReferenceVersion[]>;
  public readonly privateEndpoint: oci.kms.EkmsPrivateEndpoint;
  public readonly vault: oci.kms.Vault;
  public readonly keyReferences: oci.kms.Key[];

  constructor(name: string, args: EkmVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    const vaultUrlHost = args.vaultUrlHost ?? DEFAULT_VAULT_URL_HOST;
    const problems: string[] = [];
    if (vaultUrlHost !== "privateEndpoint" && vaultUrlHost !== "gateway") {
      problems.push(`vaultUrlHost is "${vaultUrlHost}"; expected "privateEndpoint" or "gateway"`);
    }
    const keys = args.keys ?? [];
    const seen = new Set<string>();
    for (const k of keys) {
      if (!k.name) problems.push("keys[].name is required");
      if (seen.has(k.name)) problems.push(`keys: the name "${k.name}" appears twice`);
      seen.add(k.name);
    }
    if (problems.length > 0) throw new Error(`EkmVault ${name}: ${problems.join("; ")}`);
    super("oci-ekm-fortanix:index:EkmVault", name, {}, opts);
    const prefix = args.displayNamePrefix ?? name;
    const protect = args.protect ?? true;

    this.privateEndpoint = new oci.kms.EkmsPrivateEndpoint(
      `${name}-private-endpoint`,
      {
        compartmentId: args.compartmentId,
        subnetId: args.subnetId,
        displayName: `${prefix}-private-endpoint`,
        externalKeyManagerIp: args.gatewayPrivateIp,
        caBundle: args.caBundle,
        port: args.port,
      },
      { parent: this },
    );
    this.privateEndpointId = this.privateEndpoint.id;
    this.privateEndpointIp = this.privateEndpoint.privateEndpointIp;

    const host = vaultUrlHost === "gateway" ? pulumi.output(args.gatewayPrivateIp) : this.privateEndpointIp;
    this.vaultUrl = pulumi.all([host, args.dsmAccountId]).apply(([h, account]) => externalVaultUrl(h, account));

    this.vault = new oci.kms.Vault(
      `${name}-vault`,
      {
        compartmentId: args.compartmentId,
        displayName: `${prefix}-vault`,
        vaultType: "EXTERNAL",
        externalKeyManagerMetadata: {
          externalVaultEndpointUrl: this.vaultUrl,
          privateEndpointId: this.privateEndpoint.id,
          oauthMetadata: {
            idcsAccountNameUrl: pulumi.output(args.identityDomainUrl).apply(normalizeIdentityDomainUrl),
            clientAppId: args.clientId,
            // Not read back and not marked sensitive by the provider.
            clientAppSecret: pulumi.secret(args.clientSecret),
          },
        },
      },
      { parent: this, protect, dependsOn: args.vaultDependsOn },
    );
    this.vaultId = this.vault.id;
    this.managementEndpoint = this.vault.managementEndpoint;
    this.cryptoEndpoint = this.vault.cryptoEndpoint;

    this.keyReferences = keys.map(
      (k) =>
        new oci.kms.Key(
          `${name}-key-${k.name}`,
          {
            compartmentId: args.compartmentId,
            displayName: k.displayName ?? k.name,
            managementEndpoint: this.vault.managementEndpoint,
            keyShape: { ...EKM_KEY_SHAPE },
            protectionMode: "EXTERNAL",
            externalKeyReference: { externalKeyId: k.externalKeyId },
          },
          { parent: this, protect },
        ),
    );
    this.keyReferenceIds = pulumi.all(this.keyReferences.map((k) => k.id));
    const versions = keys.map((k, i) => this.declareKeyReferenceVersions(`${name}-key-${k.name}`, k, this.keyReferences[i]));
    this.keyReferenceVersions = pulumi.all(versions).apply((perKey) => perKey.flat());

    this.registerOutputs({
      privateEndpointId: this.privateEndpointId,
      privateEndpointIp: this.privateEndpointIp,
      vaultId: this.vaultId,
      vaultUrl: this.vaultUrl,
      managementEndpoint: this.managementEndpoint,
      cryptoEndpoint: this.cryptoEndpoint,
      keyReferenceIds: this.keyReferenceIds,
      keyReferenceVersions: this.keyReferenceVersions,
    });
  }

  /**
   * A key reference version per external key version after the first, each created after the one
   * before it so that the last one, DSM's current version, is what OCI ends up using.
   *
   * The kids are known only once DSM has answered (after a rekey in the same `pulumi up`, or from
   * the state after `pulumi refresh`), so the versions are declared when they are. They are
   * `retainOnDelete`: in the OCI provider, deleting a `KeyVersion` (or replacing it: every input
   * forces replacement) schedules the version's deletion in OCI, after which nothing encrypted
   * under it can be decrypted through OCI. Removing a key from the program therefore leaves its
   * versions in OCI; deleting one is a deliberate act in the OCI console or CLI.
   */
  private declareKeyReferenceVersions(base: string, k: EkmKeyReferenceArgs, keyReference: oci.kms.Key): pulumi.Output<EkmKeyReferenceVersion[]> {
    if (k.externalKeyVersionIds === undefined) return pulumi.output([]);
    const history = pulumi.output(k.externalKeyVersionIds);
    return history.apply((kids) => {
      let previous: oci.kms.KeyVersion | undefined;
      const declared: pulumi.Output<EkmKeyReferenceVersion>[] = [];
      for (const kid of keyReferenceVersionKids(kids)) {
        // Derived from the history, the kid keeps its dependency on the security object: the
        // version is created after DSM's rekey, and destroyed (retained) before the key.
        const externalKeyVersionId = history.apply(() => kid);
        const version: oci.kms.KeyVersion = new oci.kms.KeyVersion(
          `${base}-version-${kid}`,
          { keyId: keyReference.id, managementEndpoint: this.vault.managementEndpoint, externalKeyVersionId },
          { parent: this, retainOnDelete: true, ...(previous ? { dependsOn: [previous] } : {}) },
        );
        declared.push(version.keyVersionId.apply((keyVersionId) => ({ key: k.name, externalKeyVersionId: kid, keyVersionId })));
        previous = version;
      }
      return pulumi.all(declared);
    });
  }
}

/**
 * The external key versions that get a key reference version of their own: every one after the
 * first (which OCI recorded when it created the key reference), each once, in order.
 */
export function keyReferenceVersionKids(externalKeyVersionIds: readonly string[]): string[] {
  const seen = new Set<string>(externalKeyVersionIds.slice(0, 1));
  const out: string[] = [];
  for (const kid of externalKeyVersionIds.slice(1)) {
    if (seen.has(kid)) continue;
    seen.add(kid);
    out.push(kid);
  }
  return out;
}
