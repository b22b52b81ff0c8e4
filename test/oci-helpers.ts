// Shared by the OCI tests: a valid stack configuration and lookups into a plan.
import { DSM_TYPE_TOKENS } from "../components/dsm/schemas";
import { createTestCertificateAuthority, issueServerCertificate } from "../components/emulators/tls";
import type { EkmVaultArgs } from "../components/ekm";
import type { PlanResource, PlanResult } from "../components/plan";

/** A team's own gateway certificate for `hostname`, issued by its own CA: the leaf, its key, and the CA (the chain). */
export function userGatewayCertificate(hostname = "ekm-gateway.example.com"): { certPem: string; keyPem: string; chainPem: string } {
  const ca = createTestCertificateAuthority("team CA");
  const leaf = issueServerCertificate(ca, { commonName: hostname, dnsNames: [hostname], validityHours: 24 * 365 });
  return { certPem: leaf.certPem, keyPem: leaf.keyPem, chainPem: ca.certPem };
}

export const ACCOUNT_ID = "5f2b7e0c-1234-4c8e-9a6d-0123456789ab";
export const DOMAIN_URL = "https://idcs-0123456789abcdef.identity.oraclecloud.com";
export const COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaa7x5wq3tq2kqm";

/** A valid stack configuration by full key, as Pulumi passes it to the program. */
export function stackConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    "oci-ekm:compartmentId": COMPARTMENT,
    "oci-ekm:gatewayHostname": "ekm-gateway.example.com",
    "oci-ekm:dsmAccountId": ACCOUNT_ID,
    "oci-ekm:identityDomainUrl": DOMAIN_URL + ":443/",
  };
  for (const [k, v] of Object.entries(overrides)) base[`oci-ekm:${k}`] = v;
  return base;
}

/** Arguments of an `EkmVault` used alone, with one key reference. */
export const VAULT_ARGS: EkmVaultArgs = {
  compartmentId: COMPARTMENT,
  subnetId: "ocid1.subnet.oc1..s",
  gatewayPrivateIp: "10.0.1.10",
  caBundle: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  dsmAccountId: ACCOUNT_ID,
  identityDomainUrl: DOMAIN_URL,
  clientId: "c",
  clientSecret: "s",
  keys: [{ name: "key-a", externalKeyId: "key-a" }],
};

export function resource(result: PlanResult, name: string): PlanResource {
  const r = result.resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name}; registered: ${result.resources.map((x) => x.name).join(", ")}`);
  return r;
}

export function ofType(result: PlanResult, type: string): PlanResource[] {
  return result.resources.filter((r) => r.type === type);
}

export const T = {
  vcn: "oci:Core/vcn:Vcn",
  nat: "oci:Core/natGateway:NatGateway",
  routeTable: "oci:Core/routeTable:RouteTable",
  securityList: "oci:Core/securityList:SecurityList",
  subnet: "oci:Core/subnet:Subnet",
  tlsKey: "tls:index/privateKey:PrivateKey",
  tlsCert: "tls:index/selfSignedCert:SelfSignedCert",
  tlsRequest: "tls:index/certRequest:CertRequest",
  tlsIssued: "tls:index/locallySignedCert:LocallySignedCert",
  certificate: "oci:CertificatesManagement/certificate:Certificate",
  gateway: "oci:ApiGateway/gateway:Gateway",
  deployment: "oci:ApiGateway/deployment:Deployment",
  setting: "oci:Identity/domainsSetting:DomainsSetting",
  app: "oci:Identity/domainsApp:DomainsApp",
  privateEndpoint: "oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint",
  vault: "oci:Kms/vault:Vault",
  key: "oci:Kms/key:Key",
  dsmGroup: DSM_TYPE_TOKENS.group,
  dsmJwtApp: DSM_TYPE_TOKENS.jwtApp,
  dsmSecurityObject: DSM_TYPE_TOKENS.securityObject,
} as const;
