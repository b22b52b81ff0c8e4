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

    this.registerOutputs({
      privateEndpointId: this.privateEndpointId,
      privateEndpointIp: this.privateEndpointIp,
      vaultId: this.vaultId,
      vaultUrl: this.vaultUrl,
      managementEndpoint: this.managementEndpoint,
      cryptoEndpoint: this.cryptoEndpoint,
      keyReferenceIds: this.keyReferenceIds,
    });
  }
}
