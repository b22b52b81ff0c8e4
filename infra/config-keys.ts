// The stack configuration keys, with what the README's table says of each. Kept apart from the
// loader so that the list reads in one place.

export type ConfigKind = "string" | "integer" | "boolean" | "list";

/** One stack configuration key: what the program reads, and what the README's table says of it. */
export interface EkmConfigKeySpec {
  key: string;
  kind: ConfigKind;
  /** Kept encrypted: a plaintext value is refused, with the `pulumi config set --secret` command. */
  secret?: boolean;
  /** Pulumi.yaml declares it, so that the CLI itself asks for it. */
  required?: boolean;
  description: string;
}

/**
 * Every key the program reads. Pulumi.yaml declares only the required ones: the CLI treats a
 * declared key without a `default` as required (pulumi/pulumi pkg/workspace/config.go,
 * mergeConfig), and a secret cannot have a plaintext default, so optional keys are declared here,
 * with their defaults applied by the program in one place.
 */
export const EKM_CONFIG_KEYS: readonly EkmConfigKeySpec[] = [
  { key: "compartmentId", kind: "string", required: true, description: "OCID of the compartment for every OCI resource (required)." },
  { key: "vcnCidr", kind: "string", description: "CIDR of the VCN, also the source allowed to reach the gateway on TCP 443. Default 10.0.0.0/16." },
  { key: "subnetCidr", kind: "string", description: "CIDR of the private subnet, inside vcnCidr. Default 10.0.1.0/24." },
  { key: "existingVcnId", kind: "string", description: "OCID of an existing VCN to create the subnet in instead of a new VCN; set vcnCidr to its CIDR (required with it)." },
  { key: "existingSubnetId", kind: "string", description: "OCID of an existing private subnet; no network resource is created. It must allow TCP 443 between the EKM private endpoint and the gateway (both in it) and route TCP 443 to DSM (NAT, or a DRG to an on-premises DSM)." },
  { key: "existingRouteTableId", kind: "string", description: "OCID of an existing route table for the new subnet (e.g. to a DRG for an on-premises DSM) instead of NAT." },
  { key: "dsmEgressCidr", kind: "string", description: "Destination CIDR the subnet may reach on TCP 443 (DSM). Default 0.0.0.0/0 (DSM SaaS has no fixed address)." },
  { key: "gatewayHostname", kind: "string", required: true, description: "FQDN of the gateway, named in its TLS certificate (required)." },
  { key: "certificateValidityDays", kind: "integer", description: "Validity of the generated gateway certificate, in days. Default 365." },
  { key: "certificateRenewBeforeDays", kind: "integer", description: "Days before it expires that pulumi up renews the generated gateway certificate (a new version of the same OCI Certificates entry). Default 30." },
  { key: "caValidityDays", kind: "integer", description: "Validity of the generated CA the EKM private endpoint trusts, in days. Default 3650." },
  { key: "certificatePem", kind: "string", description: "Your gateway certificate (PEM) instead of a generated one." },
  { key: "certChainPem", kind: "string", description: "Chain of certificatePem (PEM) - the CA certificate(s) that issued it; required with certificatePem unless caBundlePem is set." },
  { key: "caBundlePem", kind: "string", description: "What the EKM private endpoint trusts (PEM CA certificates). Default the CA certificates of certChainPem, never the leaf." },
  { key: "privateKeyPem", kind: "string", secret: true, description: "Private key of certificatePem (PEM, secret)." },
  { key: "existingCertificateId", kind: "string", description: "OCID of a certificate already in OCI Certificates holding certificatePem; nothing is imported." },
  { key: "existingGatewayId", kind: "string", description: "OCID of an existing private API Gateway to deploy the route on; needs certificatePem (its certificate)." },
  { key: "gatewayTokenValidation", kind: "string", description: "Validate bearer tokens at the gateway too - off (default), remoteJwks or staticKeys." },
  { key: "gatewayStaticKeys", kind: "list", description: "JWKs ({kid, kty, n, e, alg?, use?}) for gatewayTokenValidation=staticKeys." },
  { key: "gatewayJwksCacheHours", kind: "integer", description: "Hours the gateway caches the remote JWKS (1-24). Default 1." },
  { key: "gatewayRoute", kind: "string", description: "What the gateway forwards to DSM - all (default, /{path*}) or ekmOnly (/oci/ekm/v1/{path*}, GET and POST)." },
  { key: "dsmUrl", kind: "string", description: "Fortanix DSM URL (https origin). Default https://amer.smartkey.io." },
  { key: "dsmAccountId", kind: "string", required: true, description: "Fortanix DSM account id (UUID), part of the external vault URL (required)." },
  { key: "dsmGroupName", kind: "string", description: "DSM group holding the keys. Default oci-ekm." },
  { key: "dsmManageObjects", kind: "boolean", description: "Create the DSM group, JWT app and keys; false when they were made by hand and exist already. Default true." },
  { key: "dsmAdopt", kind: "boolean", description: "Take over DSM objects that already exist under the configured names instead of failing. Default false." },
  { key: "keys", kind: "list", description: "DSM keys, one key reference each - list of {name, description?, rotationPolicyDays?, rotate?}; changing rotate rotates the key in DSM and OCI. Default one key oci-ekm-key." },
  { key: "identityDomainUrl", kind: "string", required: true, description: "OCI Identity Domain URL, https://idcs-<id>.identity.<realm domain>, e.g. oraclecloud.com (required)." },
  { key: "vaultUrlHost", kind: "string", description: "Host of the external vault URL - privateEndpoint (default) or gateway." },
  { key: "protect", kind: "boolean", description: "Protect the vault and key references against deletion. Default true." },
  { key: "replicaRegion", kind: "string", description: "OCI region of the vault's replica (e.g. eu-amsterdam-1), another region of the same realm: a network, gateway and EKM private endpoint there, a second resource app, and the vault's replication. Every replica* key applies only with it. Default none." },
  { key: "replicaVcnCidr", kind: "string", description: "CIDR of the replica region's new VCN. Default 10.1.0.0/16 (apart from vcnCidr, so that the two gateways never share a private IP)." },
  { key: "replicaSubnetCidr", kind: "string", description: "CIDR of the replica region's private subnet, inside replicaVcnCidr. Default 10.1.1.0/24." },
  { key: "replicaExistingVcnId", kind: "string", description: "OCID of an existing VCN in the replica region for its subnet; set replicaVcnCidr to its CIDR." },
  { key: "replicaExistingSubnetId", kind: "string", description: "OCID of an existing private subnet in the replica region; as existingSubnetId." },
  { key: "replicaIdentityDomainUrl", kind: "string", description: "The Identity Domain's URL for the replica region (the replica's idcsAccountNameUrl). Default identityDomainUrl." },
  { key: "replicaIdentityDomainId", kind: "string", description: "OCID of the Identity Domain, to replicate it to replicaRegion first (a domain other than the Default one). Default none (already replicated)." },
  { key: "replicaCertificatePem", kind: "string", description: "Your certificate (PEM) for the replica's gateway; required with replicaRegion when certificatePem or existingGatewayId is set." },
  { key: "replicaCertChainPem", kind: "string", description: "Chain of replicaCertificatePem (PEM)." },
  { key: "replicaPrivateKeyPem", kind: "string", secret: true, description: "Private key of replicaCertificatePem (PEM, secret)." },
  { key: "namePrefix", kind: "string", description: "Prefix of display names and DNS labels. Default oci-ekm." },
  { key: "iamPolicies", kind: "boolean", description: "Create the IAM policy the operators group needs (EKM private endpoints, network, vaults, keys, API Gateway, certificates). Default false." },
  { key: "iamOperatorsGroup", kind: "string", description: "The operators group the IAM policy names (ekm-operators, or 'Default'/'ekm-operators'); required with iamPolicies." },
  { key: "iamIdentityDomainCompartmentId", kind: "string", description: "Compartment OCID of the identity domain, to let the operators manage its apps (manage domains). Default none." },
];
