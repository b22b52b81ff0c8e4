import * as kms from "@pulumi/oci/kms";
import * as pulumi from "@pulumi/pulumi";
import { checkedIdentityDomainUrl, identityDomainUrlProblems } from "./identity-domain-url";
import { ekmArgProblemText, ociRegionProblems, type EkmArgProblem } from "./problems";
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

/** The vault's replica in a second region of the realm (Oracle's "Replicating External Vaults"). */
export interface EkmVaultReplicaArgs {
  /** The replica region, e.g. `eu-amsterdam-1`: another region of the vault's realm. Required. */
  region: string;
  /** OCID of the EKM private endpoint in the replica region; OCI needs it ACTIVE before it replicates. Required. */
  privateEndpointId: pulumi.Input<string>;
  /** The Identity Domain's URL for the replica region (the replica's `idcsAccountNameUrl`). Default: the vault's `identityDomainUrl`. */
  identityDomainUrl?: pulumi.Input<string>;
  /** What OCI reaches from the replica region, created first (its gateway deployment, its resource app, the client app's scope, the domain's replication). Default: none. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
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
  /**
   * The Identity Domain URL OCI Vault gets tokens from, `https://idcs-<id>.identity.<realm domain>`:
   * refused before anything is declared when given as text, and before the vault is created when it
   * is an Output. Required.
   */
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
  /**
   * Replicate the vault to another region. Every field of a replication forces its replacement, and
   * deleting the vault deletes its replica. Default: none.
   */
  replica?: EkmVaultReplicaArgs;
  /**
   * Protect the vault, its key references and its replication from deletion. Default: the `protect`
   * resource option given to this component, else true (a deleted vault or key reference strands
   * what it encrypted).
   */
  protect?: boolean;
  /** Prefix of the display names. Default: the component name. */
  displayNamePrefix?: string;
}

/** What an EKM private endpoint is made of: it reaches the gateway's private IP and trusts the gateway's CA. */
export interface EkmPrivateEndpointArgs {
  compartmentId: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  displayName: string;
  gatewayPrivateIp: pulumi.Input<string>;
  caBundle: pulumi.Input<string>;
  port?: pulumi.Input<number>;
}

/** The EKM private endpoint to a gateway: the vault's, and a replica region's (replica.ts). */
export function ekmPrivateEndpoint(resourceName: string, args: EkmPrivateEndpointArgs, opts: pulumi.CustomResourceOptions): kms.EkmsPrivateEndpoint {
  return new kms.EkmsPrivateEndpoint(
    resourceName,
    {
      compartmentId: args.compartmentId,
      subnetId: args.subnetId,
      displayName: args.displayName,
      externalKeyManagerIp: args.gatewayPrivateIp,
      caBundle: args.caBundle,
      port: args.port,
    },
    opts,
  );
}

/** Where the external vault URL points: `privateEndpoint` (the Fortanix EKM guide) or `gateway` (Oracle's Terraform example). */
export const VAULT_URL_HOSTS = ["privateEndpoint", "gateway"] as const;

/**
 * A key reference name used twice in a list (`listPath`: `keys`, `dsm.keys` in the topology): the
 * name is the DSM key's, the external key id OCI sends, so two key references cannot share it.
 * Entries that are not names are left to the caller's own checks.
 */
export function duplicateKeyNameProblems(names: readonly unknown[], listPath = "keys"): EkmArgProblem[] {
  const out: EkmArgProblem[] = [];
  const first = new Map<string, number>();
  names.forEach((name, i) => {
    if (typeof name !== "string" || name === "") return;
    const at = first.get(name);
    if (at === undefined) first.set(name, i);
    else out.push({ path: `${listPath}[${i}].name`, given: `${JSON.stringify(name)}, also the name of ${listPath}[${at}]`, expected: "a name of its own (a name is the key reference's external key id)" });
  });
  return out;
}

/** The key references' names: each required (the DSM key's name), each its own. */
export function keyReferenceNameProblems(names: readonly unknown[], listPath = "keys"): EkmArgProblem[] {
  const missing = names.flatMap((name, i): EkmArgProblem[] =>
    typeof name === "string" && name !== ""
      ? []
      : [{ path: `${listPath}[${i}].name`, given: name === undefined || name === "" ? "missing" : JSON.stringify(name), expected: "the DSM key's name (the key reference's external key id)" }],
  );
  return [...missing, ...duplicateKeyNameProblems(names, listPath)];
}

/** What {@link EkmVault} refuses before it declares anything; the topology and the stack config run the same rules. */
export function ekmVaultProblems(
  args: Pick<EkmVaultArgs, "vaultUrlHost" | "identityDomainUrl"> & { keys?: readonly { name: unknown }[]; replica?: { region?: unknown; identityDomainUrl?: unknown } },
  keysPath = "keys",
  replicaPath = "replica",
): EkmArgProblem[] {
  const problems: EkmArgProblem[] = [];
  const host = args.vaultUrlHost ?? DEFAULT_VAULT_URL_HOST;
  if (!(VAULT_URL_HOSTS as readonly string[]).includes(host)) {
    problems.push({ path: "vaultUrlHost", given: JSON.stringify(host), expected: `one of ${VAULT_URL_HOSTS.map((h) => JSON.stringify(h)).join(", ")}` });
  }
  // The client secret goes to this host: a look-alike must be refused here too, not only in the topology.
  problems.push(...identityDomainUrlProblems("identityDomainUrl", args.identityDomainUrl));
  problems.push(...keyReferenceNameProblems((args.keys ?? []).map((k) => k.name), keysPath));
  if (args.replica !== undefined) {
    problems.push(...ociRegionProblems(`${replicaPath}.region`, args.replica.region));
    if (args.replica.identityDomainUrl !== undefined) problems.push(...identityDomainUrlProblems(`${replicaPath}.identityDomainUrl`, args.replica.identityDomainUrl));
  }
  return problems;
}

/** Default host of the external vault URL: the EKM private endpoint, as in the Fortanix EKM guide. */
export const DEFAULT_VAULT_URL_HOST = "privateEndpoint";

/** AES-256, the only key shape External Key Management accepts (length in bytes). */
export const EKM_KEY_SHAPE = { algorithm: "AES", length: 32 };

/** What {@link EkmVault} outputs: assigned to the component and registered, from one object. */
export interface EkmVaultOutputs {
  privateEndpointId: pulumi.Output<string>;
  /** The private endpoint's IP in the subnet: the external vault URL's host by default. */
  privateEndpointIp: pulumi.Output<string>;
  vaultId: pulumi.Output<string>;
  /** `https://<host>/oci/ekm/v1/vaults/<DSM account id>`. */
  vaultUrl: pulumi.Output<string>;
  managementEndpoint: pulumi.Output<string>;
  cryptoEndpoint: pulumi.Output<string>;
  /** OCIDs of the key references, in the order of `keys`. */
  keyReferenceIds: pulumi.Output<string[]>;
  /** The key reference versions declared for rotations, oldest first per key (OCI's own first versions are not listed). */
  keyReferenceVersions: pulumi.Output<EkmKeyReferenceVersion[]>;
}

/** The names of {@link EkmVaultOutputs}, for a component that passes a vault's outputs on as its own. */
export const EKM_VAULT_OUTPUT_NAMES = [
  "privateEndpointId", "privateEndpointIp", "vaultId", "vaultUrl", "managementEndpoint", "cryptoEndpoint", "keyReferenceIds", "keyReferenceVersions",
] as const satisfies readonly (keyof EkmVaultOutputs)[];

/** A vault's outputs as one object (the topology's share of them). */
export function ekmVaultOutputsOf(vault: EkmVaultOutputs): EkmVaultOutputs {
  return Object.fromEntries(EKM_VAULT_OUTPUT_NAMES.map((k) => [k, vault[k]])) as unknown as EkmVaultOutputs;
}

/**
 * OCI Vault External Key Management (the Fortanix EKM guide, sections 7, 8 and 10): the EKM private endpoint to
 * the gateway, the external vault, and a key reference per DSM key.
 */
export class EkmVault extends pulumi.ComponentResource implements EkmVaultOutputs {
  declare public readonly privateEndpointId: pulumi.Output<string>;
  declare public readonly privateEndpointIp: pulumi.Output<string>;
  declare public readonly vaultId: pulumi.Output<string>;
  declare public readonly vaultUrl: pulumi.Output<string>;
  declare public readonly managementEndpoint: pulumi.Output<string>;
  declare public readonly cryptoEndpoint: pulumi.Output<string>;
  declare public readonly keyReferenceIds: pulumi.Output<string[]>;
  declare public readonly keyReferenceVersions: pulumi.Output<EkmKeyReferenceVersion[]>;
  public readonly privateEndpoint: kms.EkmsPrivateEndpoint;
  public readonly vault: kms.Vault;
  public readonly keyReferences: kms.Key[];
  /** The vault's replication to `replica.region`; with `replica` only. */
  public readonly replication?: kms.VaultVerification;

  constructor(name: string, args: EkmVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = ekmVaultProblems(args);
    if (problems.length > 0) throw new Error(`EkmVault ${name}: ${problems.map(ekmArgProblemText).join("; ")}`);
    super("oci-ekm-fortanix:index:EkmVault", name, {}, opts);
    const vaultUrlHost = args.vaultUrlHost ?? DEFAULT_VAULT_URL_HOST;
    const keys = args.keys ?? [];
    const prefix = args.displayNamePrefix ?? name;
    // The caller's `protect` option is honoured; only when neither it nor the argument says, the
    // vault and key references are protected.
    const protect = args.protect ?? opts?.protect ?? true;

    this.privateEndpoint = ekmPrivateEndpoint(
      `${name}-private-endpoint`,
      { compartmentId: args.compartmentId, subnetId: args.subnetId, displayName: `${prefix}-private-endpoint`, gatewayPrivateIp: args.gatewayPrivateIp, caBundle: args.caBundle, port: args.port },
      { parent: this },
    );
    const host = vaultUrlHost === "gateway" ? pulumi.output(args.gatewayPrivateIp) : this.privateEndpoint.privateEndpointIp;
    const vaultUrl = pulumi.all([host, args.dsmAccountId]).apply(([h, account]) => externalVaultUrl(h, account));

    this.vault = new kms.Vault(
      `${name}-vault`,
      {
        compartmentId: args.compartmentId,
        displayName: `${prefix}-vault`,
        vaultType: "EXTERNAL",
        externalKeyManagerMetadata: {
          externalVaultEndpointUrl: vaultUrl,
          privateEndpointId: this.privateEndpoint.id,
          oauthMetadata: {
            idcsAccountNameUrl: checkedIdentityDomainUrl(`EkmVault ${name}`, args.identityDomainUrl).apply(normalizeIdentityDomainUrl),
            clientAppId: args.clientId,
            // Not read back and not marked sensitive by the provider.
            clientAppSecret: pulumi.secret(args.clientSecret),
          },
        },
      },
      { parent: this, protect, dependsOn: args.vaultDependsOn },
    );

    this.keyReferences = keys.map(
      (k) =>
        new kms.Key(
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
    const versions = keys.map((k, i) => this.declareKeyReferenceVersions(`${name}-key-${k.name}`, k, this.keyReferences[i]));
    if (args.replica !== undefined) this.replication = this.replicate(name, args, args.replica, protect);

    const outputs: EkmVaultOutputs = {
      privateEndpointId: this.privateEndpoint.id,
      privateEndpointIp: this.privateEndpoint.privateEndpointIp,
      vaultId: this.vault.id,
      vaultUrl,
      managementEndpoint: this.vault.managementEndpoint,
      cryptoEndpoint: this.vault.cryptoEndpoint,
      keyReferenceIds: pulumi.all(this.keyReferences.map((k) => k.id)),
      keyReferenceVersions: pulumi.all(versions).apply((perKey) => perKey.flat()),
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }

  /**
   * The replica (the provider's `oci_kms_vault_replication`), made through the vault's own region:
   * OCI copies the key references and their versions, with the same OCIDs. It is created after the
   * key references, and after what OCI reaches from the replica region (`replica.dependsOn`).
   */
  private replicate(name: string, args: EkmVaultArgs, replica: EkmVaultReplicaArgs, protect: boolean): kms.VaultVerification {
    const domainUrl = replica.identityDomainUrl ?? args.identityDomainUrl;
    return new kms.VaultVerification(
      `${name}-replication`,
      {
        vaultId: this.vault.id,
        replicaRegion: replica.region,
        replicaVaultMetadata: {
          vaultType: "EXTERNAL",
          privateEndpointId: replica.privateEndpointId,
          idcsAccountNameUrl: checkedIdentityDomainUrl(`EkmVault ${name}`, domainUrl).apply(normalizeIdentityDomainUrl),
        },
      },
      { parent: this, protect, dependsOn: [...this.keyReferences, ...(replica.dependsOn ?? [])] },
    );
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
  private declareKeyReferenceVersions(base: string, k: EkmKeyReferenceArgs, keyReference: kms.Key): pulumi.Output<EkmKeyReferenceVersion[]> {
    if (k.externalKeyVersionIds === undefined) return pulumi.output([]);
    const history = pulumi.output(k.externalKeyVersionIds);
    return history.apply((kids) => {
      let previous: kms.KeyVersion | undefined;
      const declared: pulumi.Output<EkmKeyReferenceVersion>[] = [];
      for (const kid of keyReferenceVersionKids(kids)) {
        // Derived from the history, the kid keeps its dependency on the security object: the
        // version is created after DSM's rekey, and destroyed (retained) before the key.
        const externalKeyVersionId = history.apply(() => kid);
        const version: kms.KeyVersion = new kms.KeyVersion(
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
