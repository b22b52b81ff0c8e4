// The stack configuration's schema: one zod schema per `oci-ekm:` key, and what each expects, as the
// error messages say it. The loader (config.ts) runs them and reports every bad key at once.
import { z } from "zod";
import { DEFAULT_CA_VALIDITY_DAYS, DEFAULT_CERTIFICATE_RENEW_BEFORE_DAYS, DEFAULT_CERTIFICATE_VALIDITY_DAYS } from "../components/certificate";
import { DEFAULT_VAULT_URL_HOST, VAULT_URL_HOSTS } from "../components/ekm";
import { DEFAULT_JWKS_CACHE_HOURS } from "../components/gateway";
import { identityDomainUrlProblem } from "../components/identity-domain-url";
import { DEFAULT_DSM_EGRESS_CIDR, DEFAULT_SUBNET_CIDR, DEFAULT_VCN_CIDR } from "../components/network";
import { OCI_REGION_PATTERN, UUID_PATTERN, ocidPattern } from "../components/problems";
import { DEFAULT_DSM_GROUP_NAME, DEFAULT_DSM_KEY_NAME } from "../components/topology";
import { DEFAULT_DSM_URL } from "../components/urls";
import { closestName, ipv4CidrRange, ociCidrBlockProblem } from "./config-rules";

export const EXPECT = {
  compartmentId: "a compartment (or tenancy) OCID such as ocid1.compartment.oc1..aaaaaaaa…",
  cidr: "an IPv4 CIDR block such as 10.0.1.0/24",
  vcnId: "a VCN OCID (ocid1.vcn.…)",
  subnetId: "a subnet OCID (ocid1.subnet.…)",
  routeTableId: "a route table OCID (ocid1.routetable.…)",
  certificateId: "a certificate OCID (ocid1.certificate.…)",
  gatewayId: "an API Gateway OCID (ocid1.apigateway.…)",
  hostname: "a fully qualified domain name such as ekm-gateway.example.com",
  validityDays: "a whole number of days from 1 to 3650",
  renewBeforeDays: "a whole number of days from 0 to 3649, less than certificateValidityDays",
  caValidityDays: "a whole number of days from 1 to 36500, at least certificateValidityDays",
  gatewayRoute: 'one of "all", "ekmOnly"',
  iamPolicies: "true or false",
  iamOperatorsGroup: "a group name as IAM policies write it, such as ekm-operators or 'Default'/'ekm-operators'",
  certificatePem: "a PEM certificate (-----BEGIN CERTIFICATE----- …)",
  privateKeyPem: "a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)",
  tokenValidation: 'one of "off", "remoteJwks", "staticKeys"',
  staticKeys: "a list of JWKs, each {kid, kty, n, e, alg?, use?}",
  jwksCacheHours: "a whole number of hours from 1 to 24",
  dsmUrl: "an https URL without path, such as https://amer.smartkey.io",
  dsmAccountId: "the DSM account id, a UUID such as 5f2b7e0c-1234-4c8e-9a6d-0123456789ab",
  dsmGroupName: "a group name of 1 to 128 characters",
  keys: "a non-empty list of {name, description?, rotationPolicyDays?, rotate?}",
  keyName: "a security object name of 1 to 128 letters, digits, '.', '_' or '-' starting with a letter or digit",
  keyDescription: "a description of at most 1024 characters",
  rotation: "a whole number of days from 1 to 3650",
  rotate: "any non-empty string of at most 256 characters, such as a date (changing it rotates the key)",
  identityDomainUrl: "the Identity Domain URL, such as https://idcs-0123456789abcdef.identity.oraclecloud.com",
  vaultUrlHost: `one of ${VAULT_URL_HOSTS.map((h) => JSON.stringify(h)).join(", ")}`,
  protect: "true or false",
  dsmManageObjects: "true or false",
  dsmAdopt: "true or false",
  namePrefix: "1 to 30 lowercase letters, digits or '-', starting with a letter",
  region: 'an OCI region identifier such as "eu-amsterdam-1"',
};

function ocid(type: string, expected: string) {
  return z.string({ error: expected }).regex(ocidPattern(type), expected);
}

const cidr = z.string({ error: EXPECT.cidr }).refine((v) => ipv4CidrRange(v) !== undefined, EXPECT.cidr);

function ociCidr(of: "VCN" | "subnet") {
  return z.string({ error: EXPECT.cidr }).superRefine((v, ctx) => {
    const problem = ociCidrBlockProblem(v, of);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });
}

function httpsOrigin(expected: string) {
  return z.string({ error: expected }).refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === "https:" && !u.username && !u.password && (u.pathname === "/" || u.pathname === "") && !u.search && !u.hash && v.startsWith("https://");
    } catch {
      return false;
    }
  }, expected);
}

const FQDN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const CERT_PEM = /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/;
const KEY_PEM = /^-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----\s*$/;

const KEY_FIELDS = ["name", "description", "rotationPolicyDays", "rotate"] as const;
const JWK_FIELDS = ["kid", "kty", "n", "e", "alg", "use"] as const;

/** An unknown field, with the known one it is most likely a typo of. */
function withNearest(field: string, known: readonly string[]): string {
  const near = closestName(field, known, 2);
  return near === undefined ? field : `${field}, did you mean ${near}?`;
}

const keySchema = z.strictObject(
  {
    name: z.string({ error: EXPECT.keyName }).regex(KEY_NAME, EXPECT.keyName),
    description: z.string({ error: EXPECT.keyDescription }).max(1024, EXPECT.keyDescription).optional(),
    rotationPolicyDays: z.number({ error: EXPECT.rotation }).int(EXPECT.rotation).min(1, EXPECT.rotation).max(3650, EXPECT.rotation).optional(),
    // `pulumi config set --path 'keys[0].rotate' 20261207` stores a number: taken as its text.
    rotate: z
      .union([z.string(), z.number().transform(String)], { error: EXPECT.rotate })
      .pipe(z.string().min(1, EXPECT.rotate).max(256, EXPECT.rotate))
      .optional(),
  },
  {
    error: (iss) =>
      iss.code === "unrecognized_keys" ? `only the fields ${KEY_FIELDS.join(", ")} (unknown: ${iss.keys.map((k) => withNearest(k, KEY_FIELDS)).join(", ")})` : EXPECT.keys,
  },
);

const staticKeySchema = z.strictObject(
  {
    kid: z.string({ error: "kid, the key id" }).min(1, "kid, the key id"),
    kty: z.literal("RSA", { error: 'kty "RSA" (API Gateway static JWKs are RSA keys)' }),
    n: z.string({ error: "n, the base64url modulus" }).regex(/^[A-Za-z0-9_-]+$/, "n, the base64url modulus"),
    e: z.string({ error: "e, the base64url exponent" }).regex(/^[A-Za-z0-9_-]+$/, "e, the base64url exponent"),
    alg: z.string({ error: "alg, a JWS algorithm such as RS256" }).optional(),
    use: z.string({ error: 'use, such as "sig"' }).optional(),
  },
  {
    error: (iss) =>
      iss.code === "unrecognized_keys" ? `only the fields ${JWK_FIELDS.join(", ")} (unknown: ${iss.keys.map((k) => withNearest(k, JWK_FIELDS)).join(", ")})` : EXPECT.staticKeys,
  },
);

/** One schema per key, so every bad key is reported at once. */
export const shape = {
  compartmentId: z
    .string({ error: EXPECT.compartmentId })
    .regex(/^ocid1\.(compartment|tenancy)\.[a-z0-9-]+\.[a-z0-9-]*\.[a-z0-9]+$/, EXPECT.compartmentId),
  vcnCidr: ociCidr("VCN").default(DEFAULT_VCN_CIDR),
  subnetCidr: ociCidr("subnet").default(DEFAULT_SUBNET_CIDR),
  existingVcnId: ocid("vcn", EXPECT.vcnId).optional(),
  existingSubnetId: ocid("subnet", EXPECT.subnetId).optional(),
  existingRouteTableId: ocid("routetable", EXPECT.routeTableId).optional(),
  dsmEgressCidr: cidr.default(DEFAULT_DSM_EGRESS_CIDR),
  gatewayHostname: z.string({ error: EXPECT.hostname }).regex(FQDN, EXPECT.hostname),
  certificateValidityDays: z.number({ error: EXPECT.validityDays }).int(EXPECT.validityDays).min(1, EXPECT.validityDays).max(3650, EXPECT.validityDays).default(DEFAULT_CERTIFICATE_VALIDITY_DAYS),
  certificateRenewBeforeDays: z.number({ error: EXPECT.renewBeforeDays }).int(EXPECT.renewBeforeDays).min(0, EXPECT.renewBeforeDays).max(3649, EXPECT.renewBeforeDays).default(DEFAULT_CERTIFICATE_RENEW_BEFORE_DAYS),
  caValidityDays: z.number({ error: EXPECT.caValidityDays }).int(EXPECT.caValidityDays).min(1, EXPECT.caValidityDays).max(36500, EXPECT.caValidityDays).default(DEFAULT_CA_VALIDITY_DAYS),
  certificatePem: z.string({ error: EXPECT.certificatePem }).regex(CERT_PEM, EXPECT.certificatePem).optional(),
  certChainPem: z.string({ error: EXPECT.certificatePem }).regex(CERT_PEM, EXPECT.certificatePem).optional(),
  caBundlePem: z.string({ error: EXPECT.certificatePem }).regex(CERT_PEM, EXPECT.certificatePem).optional(),
  privateKeyPem: z.string({ error: EXPECT.privateKeyPem }).regex(KEY_PEM, EXPECT.privateKeyPem).optional(),
  existingCertificateId: ocid("certificate", EXPECT.certificateId).optional(),
  existingGatewayId: ocid("apigateway", EXPECT.gatewayId).optional(),
  gatewayTokenValidation: z.enum(["off", "remoteJwks", "staticKeys"], { error: EXPECT.tokenValidation }).default("off"),
  gatewayStaticKeys: z.array(staticKeySchema, { error: EXPECT.staticKeys }).min(1, EXPECT.staticKeys).optional(),
  gatewayJwksCacheHours: z.number({ error: EXPECT.jwksCacheHours }).int(EXPECT.jwksCacheHours).min(1, EXPECT.jwksCacheHours).max(24, EXPECT.jwksCacheHours).default(DEFAULT_JWKS_CACHE_HOURS),
  gatewayRoute: z.enum(["all", "ekmOnly"], { error: EXPECT.gatewayRoute }).default("all"),
  dsmUrl: httpsOrigin(EXPECT.dsmUrl).default(DEFAULT_DSM_URL),
  dsmAccountId: z.string({ error: EXPECT.dsmAccountId }).regex(UUID_PATTERN, EXPECT.dsmAccountId),
  dsmGroupName: z.string({ error: EXPECT.dsmGroupName }).min(1, EXPECT.dsmGroupName).max(128, EXPECT.dsmGroupName).default(DEFAULT_DSM_GROUP_NAME),
  keys: z
    .array(keySchema, { error: EXPECT.keys })
    .min(1, EXPECT.keys)
    .default([{ name: DEFAULT_DSM_KEY_NAME }]),
  identityDomainUrl: z.string({ error: EXPECT.identityDomainUrl }).superRefine((v, ctx) => {
    const problem = identityDomainUrlProblem(v);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  }),
  vaultUrlHost: z.enum(VAULT_URL_HOSTS, { error: EXPECT.vaultUrlHost }).default(DEFAULT_VAULT_URL_HOST),
  protect: z.boolean({ error: EXPECT.protect }).default(true),
  dsmManageObjects: z.boolean({ error: EXPECT.dsmManageObjects }).default(true),
  dsmAdopt: z.boolean({ error: EXPECT.dsmAdopt }).default(false),
  replicaRegion: z.string({ error: EXPECT.region }).regex(OCI_REGION_PATTERN, EXPECT.region).optional(),
  replicaVcnCidr: ociCidr("VCN").optional(),
  replicaSubnetCidr: ociCidr("subnet").optional(),
  replicaExistingVcnId: ocid("vcn", EXPECT.vcnId).optional(),
  replicaExistingSubnetId: ocid("subnet", EXPECT.subnetId).optional(),
  replicaIdentityDomainUrl: z.string({ error: EXPECT.identityDomainUrl }).superRefine((v, ctx) => {
    const problem = identityDomainUrlProblem(v);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  }).optional(),
  replicaIdentityDomainId: ocid("domain", "an Identity Domain OCID (ocid1.domain.…)").optional(),
  replicaCertificatePem: z.string({ error: EXPECT.certificatePem }).regex(CERT_PEM, EXPECT.certificatePem).optional(),
  replicaCertChainPem: z.string({ error: EXPECT.certificatePem }).regex(CERT_PEM, EXPECT.certificatePem).optional(),
  replicaPrivateKeyPem: z.string({ error: EXPECT.privateKeyPem }).regex(KEY_PEM, EXPECT.privateKeyPem).optional(),
  namePrefix: z.string({ error: EXPECT.namePrefix }).regex(/^[a-z][a-z0-9-]{0,29}$/, EXPECT.namePrefix).default("oci-ekm"),
  iamPolicies: z.boolean({ error: EXPECT.iamPolicies }).default(false),
  iamOperatorsGroup: z.string({ error: EXPECT.iamOperatorsGroup }).regex(/^('[^']+'\/)?'?[A-Za-z0-9_.@-]+'?$/, EXPECT.iamOperatorsGroup).optional(),
  iamIdentityDomainCompartmentId: z
    .string({ error: EXPECT.compartmentId })
    .regex(/^ocid1\.(compartment|tenancy)\.[a-z0-9-]+\.[a-z0-9-]*\.[a-z0-9]+$/, EXPECT.compartmentId)
    .optional(),
};

