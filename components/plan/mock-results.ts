// The deterministic mock outputs of the offline plan: what each provider would compute for a
// resource or a provider function, built from its inputs and names so that two runs agree.
import { createHash } from "node:crypto";
import type { MockCallArgs, MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { checkDsmInputs, DSM_TYPE_TOKENS, type DsmResourceKind } from "../dsm/schemas";
import { ipv4AddressIn, ipv4InCidr } from "../network";
import { planHasSecret, planRevealSecrets } from "./values";

/** What a mock returns for one resource. */
export interface PlanMockResult {
  id: string | undefined;
  state: Record<string, unknown>;
}

/** The deterministic values mock outputs are built from. */
export interface PlanMockDefaults {
  /** `ipAddresses[0].ipAddress` of every API Gateway. */
  gatewayPrivateIp: string;
  /** `privateEndpointIp` of every EKM private endpoint. */
  privateEndpointIp: string;
  /** Region in the vault endpoints. */
  region: string;
  /** `csrAccess` the Identity Domain settings lookup returns. */
  csrAccess: string;
}

export const PLAN_MOCK_DEFAULTS: PlanMockDefaults = {
  gatewayPrivateIp: "10.0.1.10",
  privateEndpointIp: "10.0.1.20",
  region: "us-ashburn-1",
  csrAccess: "none",
};

function hex(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** The deterministic OAuth client ID the plan gives an Identity Domain app (32 hex digits, like real ones). */
export function planClientId(resourceName: string): string {
  return hex("client-id:" + resourceName, 32);
}

/**
 * The deterministic UUID the plan gives a DSM object (a group's `groupId`, an app's `appId`, a
 * security object's `kid`), from its resource type and name.
 */
export function planDsmUuid(resourceType: string, resourceName: string): string {
  const h = hex("dsm-uuid:" + resourceType + "::" + resourceName, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The DSM dynamic resources, by type token. */
const DSM_KINDS: Record<string, DsmResourceKind> = {
  [DSM_TYPE_TOKENS.group]: "group",
  [DSM_TYPE_TOKENS.jwtApp]: "jwtApp",
  [DSM_TYPE_TOKENS.securityObject]: "securityObject",
};

/**
 * What a DSM provider's `create` returns, without calling DSM: the inputs after the provider's own
 * `check` (its defaults applied, its validation failing the plan as it fails `pulumi preview`), and
 * the ids DSM would assign. The ids matter beyond display: an input whose value is undefined carries
 * no dependency, so without a `groupId` the plan would lose the group → app and group → key edges.
 */
function dsmPlanMockResult(kind: DsmResourceKind, args: MockResourceArgs, inputs: Record<string, unknown>, id: string): PlanMockResult {
  const { inputs: checked, failures } = checkDsmInputs(kind, planRevealSecrets(inputs) as Record<string, unknown>);
  if (failures.length > 0) throw new Error(`${args.type} ${args.name}: ${failures.map((f) => f.reason).join("; ")}`);
  // A secret input stays wrapped, so that the output is secret too.
  for (const [k, v] of Object.entries(inputs)) if (planHasSecret(v)) checked[k] = v;
  const uuid = planDsmUuid(args.type, args.name);
  switch (kind) {
    case "group":
      return { id: uuid, state: { ...checked, groupId: uuid } };
    case "jwtApp":
      return { id: uuid, state: { ...checked, appId: uuid, authType: "SignedJwt", enabled: true } };
    case "securityObject":
      // The provider's id of a security object is its name (what key references use); the kid changes on rotation.
      return { id: String(checked.name ?? id), state: { ...checked, kid: uuid, objType: "AES", state: "Active", rotatedKids: [] } };
  }
}

/**
 * What a run knows of its subnets: the CIDR blocks of those it created, by mock id, and the order in
 * which gateways and private endpoints first named a subnet. A gateway or private endpoint in a
 * created subnet gets an address there (a replica region's `10.1.1.0/24` gives `10.1.1.10`), unless
 * the default address already lies in it; in a subnet of unknown range (an existing one), the first
 * subnet gets the default address and each other one the next address after it, so that two
 * gateways in two subnets never share an IP, as they would not at OCI.
 */
export interface PlanMockSubnets {
  cidrs: Map<string, string>;
  seen: string[];
}

export function planMockSubnets(): PlanMockSubnets {
  return { cidrs: new Map(), seen: [] };
}

function addressInSubnet(inputs: Record<string, unknown>, subnets: PlanMockSubnets | undefined, fallback: string, offset: number): string {
  const subnetId = String(inputs.subnetId);
  const cidr = subnets?.cidrs.get(subnetId);
  if (cidr !== undefined && !ipv4InCidr(fallback, cidr)) return ipv4AddressIn(cidr, offset) ?? fallback;
  if (cidr !== undefined || subnets === undefined) return fallback;
  if (!subnets.seen.includes(subnetId)) subnets.seen.push(subnetId);
  const nth = subnets.seen.indexOf(subnetId);
  if (nth === 0) return fallback;
  const parts = fallback.split(".").map(Number);
  parts[3] = (parts[3] + nth) % 256;
  return parts.join(".");
}

/**
 * Default mock outputs: the inputs, plus what each provider computes, deterministically. Throws,
 * naming the resource and the fields, when a DSM provider's check would refuse the inputs.
 */
export function defaultPlanMockResult(args: MockResourceArgs, d: PlanMockDefaults = PLAN_MOCK_DEFAULTS, subnets?: PlanMockSubnets): PlanMockResult {
  const inputs = { ...(args.inputs as Record<string, unknown>) };
  // A dynamic provider's serialized code is an input, not something it outputs.
  delete inputs.__provider;
  const id = `${args.name}_id`;
  const tag = hex(args.type + "::" + args.name, 12);
  const dsmKind = DSM_KINDS[args.type];
  if (dsmKind !== undefined) return dsmPlanMockResult(dsmKind, args, inputs, id);
  switch (args.type) {
    case "oci:Core/subnet:Subnet":
      if (typeof inputs.cidrBlock === "string") subnets?.cidrs.set(id, inputs.cidrBlock);
      return { id, state: inputs };
    case "oci:ApiGateway/gateway:Gateway":
      return { id, state: { ...inputs, ipAddresses: [{ ipAddress: addressInSubnet(inputs, subnets, d.gatewayPrivateIp, 10), ipMode: "IPV4" }], state: "ACTIVE" } };
    case "oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint":
      return { id, state: { ...inputs, privateEndpointIp: addressInSubnet(inputs, subnets, d.privateEndpointIp, 20), state: "ACTIVE" } };
    case "oci:Identity/domainsApp:DomainsApp":
      return { id, state: { ...inputs, name: planClientId(args.name), clientSecret: "mock-client-secret-" + hex("secret:" + args.name, 24) } };
    case "oci:Kms/vault:Vault":
      return {
        id,
        state: {
          ...inputs,
          managementEndpoint: `https://${tag}-management.kms.${d.region}.oraclecloud.com`,
          cryptoEndpoint: `https://${tag}-crypto.kms.${d.region}.oraclecloud.com`,
          state: "ACTIVE",
        },
      };
    case "oci:Kms/key:Key":
      return { id, state: { ...inputs, state: "ENABLED" } };
    case "oci:Kms/keyVersion:KeyVersion":
      return { id, state: { ...inputs, keyVersionId: `ocid1.keyversion.oc1.${d.region}.${hex("key-version:" + args.name, 24)}`, state: "ENABLED" } };
    case "tls:index/privateKey:PrivateKey":
      return {
        id,
        state: {
          ...inputs,
          privateKeyPem: `-----BEGIN RSA PRIVATE KEY-----\nMOCK-PLAN-KEY-${tag}\n-----END RSA PRIVATE KEY-----\n`,
          publicKeyPem: `-----BEGIN PUBLIC KEY-----\nMOCK-PLAN-PUBLIC-KEY-${tag}\n-----END PUBLIC KEY-----\n`,
        },
      };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { id, state: { ...inputs, certPem: `-----BEGIN CERTIFICATE-----\nMOCK-PLAN-CERTIFICATE-${tag}\n-----END CERTIFICATE-----\n`, readyForRenewal: false } };
    case "tls:index/certRequest:CertRequest":
      return { id, state: { ...inputs, certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\nMOCK-PLAN-CSR-${tag}\n-----END CERTIFICATE REQUEST-----\n` } };
    default:
      return { id: args.custom === false ? undefined : id, state: inputs };
  }
}

/**
 * What the plan's `getDomainsSetting` reads: the settings of a domain in use, with every writable
 * field set, so that the plan shows what the domain setting carries over (and tests can check it).
 */
export const PLAN_DOMAIN_SETTINGS: Record<string, unknown> = {
  id: "Settings",
  settingId: "Settings",
  schemas: ["urn:ietf:params:scim:schemas:oracle:idcs:Settings"],
  signingCertPublicAccess: false,
  accountAlwaysTrustScope: false,
  allowedDomains: ["example.com"],
  allowedForgotPasswordFlowReturnUrls: ["https://console.example.com/"],
  allowedNotificationRedirectUrls: ["https://console.example.com/notifications"],
  auditEventRetentionPeriod: 30,
  certificateValidations: [{
    crlCheckOnOcspFailureEnabled: false, crlEnabled: false, crlLocation: "", crlRefreshInterval: 0, ocspEnabled: true,
    ocspResponderUrl: "https://ocsp.example.com", ocspSettingsResponderUrlPreferred: true, ocspSigningCertificateAlias: "", ocspTimeoutDuration: 3,
    ocspUnknownResponseStatusAllowed: false,
  }],
  cloudGateCorsSettings: [{ cloudGateCorsAllowNullOrigin: false, cloudGateCorsAllowedOrigins: ["https://app.example.com"], cloudGateCorsEnabled: true, cloudGateCorsExposedHeaders: [], cloudGateCorsMaxAge: 600 }],
  cloudMigrationCustomUrl: "",
  cloudMigrationUrlEnabled: false,
  companyNames: [{ locale: "en", value: "Example Corp" }],
  contactEmails: ["security@example.com"],
  customBranding: true,
  customCssLocation: "",
  customHtmlLocation: "",
  customTranslation: "",
  defaultTrustScope: "Explicit",
  diagnosticLevel: 0,
  diagnosticRecordForSearchIdentifiesReturnedResources: false,
  enableTermsOfUse: true,
  externalId: "",
  iamUpstSessionExpiry: 480,
  images: [{ display: "Example Corp", type: "desktop logo", value: "https://cdn.example.com/logo.png" }],
  isHostedPage: false,
  issuer: "https://identity.oraclecloud.com/",
  locale: "en-US",
  loginTexts: [{ locale: "en", value: "Authorized use only" }],
  maxNoOfAppCmvaToReturn: 1000,
  maxNoOfAppRoleMembersToReturn: 1000,
  preferredLanguage: "en",
  prevIssuer: "",
  privacyPolicyUrl: "https://example.com/privacy",
  purgeConfigs: [{ resourceName: "AuditEvent", retentionPeriod: 30 }],
  reAuthFactors: ["password"],
  reAuthWhenChangingMyAuthenticationFactors: true,
  serviceAdminCannotListOtherUsers: false,
  subMappingAttr: "userName",
  tags: [{ key: "owner", value: "security" }],
  tenantCustomClaims: [{ allScopes: false, expression: false, mode: "always", name: "department", scopes: ["urn:opc:idm:__myscopes__"], tokenType: "AT", value: "security" }],
  termsOfUseUrl: "https://example.com/terms",
  timezone: "Europe/Berlin",
  // Read-only: not carried over.
  cloudAccountName: "examplecorp",
  domainOcid: "ocid1.domain.oc1..aaaaaaaaexampledomain",
  tenancyOcid: "ocid1.tenancy.oc1..aaaaaaaaexampletenancy",
};

/** Default results of provider functions (invokes). */
export function defaultPlanCallResult(args: MockCallArgs, d: PlanMockDefaults = PLAN_MOCK_DEFAULTS): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.token) {
    case "oci:Identity/getDomainsSetting:getDomainsSetting":
      return { ...PLAN_DOMAIN_SETTINGS, ...inputs, csrAccess: d.csrAccess };
    case "oci:ApiGateway/getGateway:getGateway":
      return { ...inputs, id: inputs.gatewayId, endpointType: "PRIVATE", ipAddresses: [{ ipAddress: d.gatewayPrivateIp, ipMode: "IPV4" }] };
    default:
      return inputs;
  }
}
