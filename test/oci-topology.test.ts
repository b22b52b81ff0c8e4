// The default topology (seed 000) under mocks: every wiring fact of issue 2, with exact values.
import { beforeAll, describe, expect, it } from "vitest";
import {
  PLAN_SECRET,
  PlanResult,
  planClientId,
  planCustomDependencies,
  planDsmUuid,
  planLongestChain,
  planToJson,
  runStackInProcess,
} from "../components/plan";
import { carriedDomainSetting, DOMAIN_SETTING_CARRIED_FIELDS } from "../components/identity";
import { PLAN_DOMAIN_SETTINGS } from "../components/plan";
import { runEkmStack } from "../infra/stack";
import { ACCOUNT_ID, COMPARTMENT, DOMAIN_URL, T, ofType, resource, stackConfig } from "./oci-helpers";

let plan: PlanResult;
const CLIENT_ID = planClientId("oci-ekm-identity-client-app");

beforeAll(async () => {
  plan = await runStackInProcess({ config: stackConfig(), program: () => runEkmStack() });
});

const inputs = (name: string) => resource(plan, name).inputs;
const certPem = () => resource(plan, "oci-ekm-certificate-issued").outputs.certPem as string;
const caPem = () => resource(plan, "oci-ekm-certificate-ca").outputs.certPem as string;

describe("network (seed 000, 4)", () => {
  it("creates a VCN with cidrBlocks and a DNS label", () => {
    expect(inputs("oci-ekm-network-vcn")).toEqual({
      compartmentId: COMPARTMENT,
      cidrBlocks: ["10.0.0.0/16"],
      displayName: "oci-ekm-vcn",
      dnsLabel: "ociekm",
    });
  });

  it("routes 0.0.0.0/0 through a NAT gateway", () => {
    expect(inputs("oci-ekm-network-nat")).toEqual({ compartmentId: COMPARTMENT, vcnId: "oci-ekm-network-vcn_id", displayName: "oci-ekm-nat" });
    expect(inputs("oci-ekm-network-routes").routeRules).toEqual([
      { networkEntityId: "oci-ekm-network-nat_id", destination: "0.0.0.0/0", destinationType: "CIDR_BLOCK", description: "to DSM through NAT" },
    ]);
  });

  it("allows TCP 443 in from the VCN and out to the VCN and DSM", () => {
    const https = { min: 443, max: 443 };
    expect(inputs("oci-ekm-network-https").ingressSecurityRules).toEqual([
      { protocol: "6", source: "10.0.0.0/16", sourceType: "CIDR_BLOCK", tcpOptions: https, description: "EKM private endpoint to the gateway" },
    ]);
    expect(inputs("oci-ekm-network-https").egressSecurityRules).toEqual([
      { protocol: "6", destination: "10.0.0.0/16", destinationType: "CIDR_BLOCK", tcpOptions: https, description: "EKM private endpoint to the gateway" },
      { protocol: "6", destination: "0.0.0.0/0", destinationType: "CIDR_BLOCK", tcpOptions: https, description: "gateway to Fortanix DSM" },
    ]);
  });

  it("makes the subnet private", () => {
    expect(inputs("oci-ekm-network-subnet")).toEqual({
      compartmentId: COMPARTMENT,
      vcnId: "oci-ekm-network-vcn_id",
      cidrBlock: "10.0.1.0/24",
      displayName: "oci-ekm-private-subnet",
      dnsLabel: "ekm",
      prohibitPublicIpOnVnic: true,
      routeTableId: "oci-ekm-network-routes_id",
      securityListIds: ["oci-ekm-network-https_id"],
    });
  });
});

describe("certificate (seed 000, 5.1): a long-lived private CA issues the gateway certificate", () => {
  it("generates the CA: an RSA 2048 key and a self-signed CA certificate valid 10 years", () => {
    expect(inputs("oci-ekm-certificate-ca-key")).toEqual({ algorithm: "RSA", rsaBits: 2048 });
    expect(inputs("oci-ekm-certificate-ca")).toEqual({
      privateKeyPem: PLAN_SECRET,
      subject: { commonName: "oci-ekm EKM gateway CA", organization: "oci-ekm" },
      isCaCertificate: true,
      validityPeriodHours: 3650 * 24,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    });
  });

  it("issues the gateway certificate for the gateway FQDN from its own RSA 2048 key, renewed 30 days before it expires", () => {
    expect(inputs("oci-ekm-certificate-key")).toEqual({ algorithm: "RSA", rsaBits: 2048 });
    expect(inputs("oci-ekm-certificate-request")).toEqual({
      privateKeyPem: PLAN_SECRET,
      subject: { commonName: "ekm-gateway.example.com", organization: "oci-ekm" },
      dnsNames: ["ekm-gateway.example.com"],
    });
    expect(inputs("oci-ekm-certificate-issued")).toEqual({
      certRequestPem: resource(plan, "oci-ekm-certificate-request").outputs.certRequestPem,
      caPrivateKeyPem: PLAN_SECRET,
      caCertPem: caPem(),
      validityPeriodHours: 365 * 24,
      earlyRenewalHours: 30 * 24,
      allowedUses: ["key_encipherment", "digital_signature", "server_auth"],
    });
  });

  it("imports the gateway certificate into OCI Certificates with the CA as its chain and the private key secret", () => {
    const c = resource(plan, "oci-ekm-certificate-oci");
    expect(c.inputs.certificateConfig).toEqual({ configType: "IMPORTED", certificatePem: certPem(), certChainPem: caPem(), privateKeyPem: PLAN_SECRET });
    expect(c.inputs.name).toBe("oci-ekm-gateway-cert");
    expect(c.additionalSecretOutputs).toEqual(["certificateConfig"]);
    expect(c.outputs.certificateConfig).toBe(PLAN_SECRET);
  });
});

describe("gateway (seed 000, 5.2-5.3)", () => {
  it("is a private gateway in the subnet with the certificate", () => {
    expect(inputs("oci-ekm-gateway-gateway")).toEqual({
      compartmentId: COMPARTMENT,
      displayName: "oci-ekm-gateway",
      endpointType: "PRIVATE",
      subnetId: "oci-ekm-network-subnet_id",
      certificateId: "oci-ekm-certificate-oci_id",
    });
  });

  it("deploys / with one route /{path*} to https://<DSM host>/${request.path[path]}", () => {
    const d = inputs("oci-ekm-gateway-deployment");
    expect(d.pathPrefix).toBe("/");
    expect(d.gatewayId).toBe("oci-ekm-gateway-gateway_id");
    expect(d.specification).toEqual({
      routes: [{ path: "/{path*}", methods: ["ANY"], backend: { type: "HTTP_BACKEND", url: "https://amer.smartkey.io/${request.path[path]}" } }],
    });
  });
});

describe("identity (seed 000, 6)", () => {
  it("makes the signing certificate public and carries every other writable setting of the domain over unchanged", () => {
    const setting = inputs("oci-ekm-identity-signing-cert-access");
    const carried = Object.fromEntries(
      DOMAIN_SETTING_CARRIED_FIELDS.map((f) => [f, f === "allowedForgotPasswordFlowReturnUrls" ? PLAN_SECRET : carriedDomainSetting(PLAN_DOMAIN_SETTINGS, f)]),
    );
    expect(setting).toEqual({
      ...carried,
      csrAccess: "none",
      idcsEndpoint: DOMAIN_URL,
      settingId: "Settings",
      schemas: ["urn:ietf:params:scim:schemas:oracle:idcs:Settings"],
      signingCertPublicAccess: true,
    });
    // Every field the read gave that the resource takes reached it: 41 settings, nested ones whole.
    expect(DOMAIN_SETTING_CARRIED_FIELDS).toHaveLength(41);
    expect(setting.certificateValidation).toEqual((PLAN_DOMAIN_SETTINGS.certificateValidations as unknown[])[0]);
    expect(setting.tenantCustomClaims).toEqual(PLAN_DOMAIN_SETTINGS.tenantCustomClaims);
    expect(setting.timezone).toBe("Europe/Berlin");
  });

  it("creates the confidential resource app: audience https://<gateway IP>/, DSM as secondary audience, scope oci_ekms", () => {
    const app = resource(plan, "oci-ekm-identity-resource-app");
    expect(app.inputs).toEqual({
      idcsEndpoint: DOMAIN_URL,
      schemas: ["urn:ietf:params:scim:schemas:oracle:idcs:App"],
      basedOnTemplate: { value: "CustomWebAppTemplateId" },
      displayName: "oci-ekm-resource-app",
      description: "OCI Vault EKM: the API Gateway fronting Fortanix DSM (audience and scope oci_ekms)",
      active: true,
      isOauthClient: true,
      clientType: "confidential",
      allowedGrants: ["client_credentials"],
      forceDelete: true,
      isOauthResource: true,
      audience: "https://10.0.1.10/",
      secondaryAudiences: ["https://amer.smartkey.io"],
      // displayName and description set: the provider's hash of a scope includes them.
      scopes: [{ value: "oci_ekms", requiresConsent: false, displayName: "oci_ekms", description: "OCI Vault External Key Management" }],
    });
    expect(app.additionalSecretOutputs).toEqual(["clientSecret"]);
  });

  it("creates the confidential client app with client credentials and the fully qualified scope", () => {
    const app = resource(plan, "oci-ekm-identity-client-app");
    expect(app.inputs).toEqual({
      idcsEndpoint: DOMAIN_URL,
      schemas: ["urn:ietf:params:scim:schemas:oracle:idcs:App"],
      basedOnTemplate: { value: "CustomWebAppTemplateId" },
      displayName: "oci-ekm-client-app",
      description: "OCI Vault EKM: the client OCI Vault authenticates as (client credentials)",
      active: true,
      isOauthClient: true,
      clientType: "confidential",
      allowedGrants: ["client_credentials"],
      forceDelete: true,
      allowedScopes: [{ fqs: "https://10.0.1.10/oci_ekms" }],
      trustScope: "Explicit",
    });
    expect(app.additionalSecretOutputs).toEqual(["clientSecret"]);
    expect(app.outputs.name).toBe(CLIENT_ID);
    expect(app.outputs.clientSecret).toBe(PLAN_SECRET);
  });
});

describe("EKM (seed 000, 7, 8, 10)", () => {
  it("points the private endpoint at the gateway IP, trusting the CA that issues the gateway certificate (not the certificate)", () => {
    const pe = resource(plan, "oci-ekm-ekm-private-endpoint");
    expect(pe.inputs).toEqual({
      compartmentId: COMPARTMENT,
      subnetId: "oci-ekm-network-subnet_id",
      displayName: "oci-ekm-private-endpoint",
      externalKeyManagerIp: "10.0.1.10",
      caBundle: caPem(),
    });
    expect(caPem()).not.toBe(certPem());
    expect(pe.outputs.privateEndpointIp).toBe("10.0.1.20");
  });

  it("creates an EXTERNAL vault at https://<private endpoint IP>/oci/ekm/v1/vaults/<account> with the client's credentials", () => {
    const vault = resource(plan, "oci-ekm-ekm-vault");
    expect(vault.inputs).toEqual({
      compartmentId: COMPARTMENT,
      displayName: "oci-ekm-vault",
      vaultType: "EXTERNAL",
      externalKeyManagerMetadata: {
        externalVaultEndpointUrl: `https://10.0.1.20/oci/ekm/v1/vaults/${ACCOUNT_ID}`,
        privateEndpointId: "oci-ekm-ekm-private-endpoint_id",
        oauthMetadata: { idcsAccountNameUrl: DOMAIN_URL, clientAppId: CLIENT_ID, clientAppSecret: PLAN_SECRET },
      },
    });
    expect(vault.protect).toBe(true);
  });

  it("creates a protected AES-256 EXTERNAL key reference named after the DSM security object", () => {
    const [key] = ofType(plan, T.key);
    expect(ofType(plan, T.key)).toHaveLength(1);
    expect(key.name).toBe("oci-ekm-ekm-key-oci-ekm-key");
    expect(key.inputs).toEqual({
      compartmentId: COMPARTMENT,
      displayName: "oci-ekm-key",
      managementEndpoint: resource(plan, "oci-ekm-ekm-vault").outputs.managementEndpoint,
      keyShape: { algorithm: "AES", length: 32 },
      protectionMode: "EXTERNAL",
      externalKeyReference: { externalKeyId: "oci-ekm-key" },
    });
    expect(key.inputs.managementEndpoint).toMatch(/^https:\/\/[0-9a-f]{12}-management\.kms\.us-ashburn-1\.oraclecloud\.com$/);
    expect(key.protect).toBe(true);
  });
});

describe("stack outputs", () => {
  it("has every contract output with its exact value", () => {
    const vault = resource(plan, "oci-ekm-ekm-vault").outputs;
    expect(plan.outputs).toEqual({
      gatewayPrivateIp: "10.0.1.10",
      gatewayBaseUrl: "https://10.0.1.10/",
      gatewayHostname: "ekm-gateway.example.com",
      gatewayId: "oci-ekm-gateway-gateway_id",
      gatewayBackendUrl: "https://amer.smartkey.io/${request.path[path]}",
      gatewayTokenValidation: "off",
      clientId: CLIENT_ID,
      clientSecret: PLAN_SECRET,
      identityDomainUrl: DOMAIN_URL,
      issuer: "https://identity.oraclecloud.com/",
      jwksUri: `${DOMAIN_URL}/admin/v1/SigningCert/jwk`,
      tokenUrl: `${DOMAIN_URL}/oauth2/v1/token`,
      scope: "https://10.0.1.10/oci_ekms",
      audience: "https://10.0.1.10/",
      dsmUrl: "https://amer.smartkey.io",
      dsmAccountId: ACCOUNT_ID,
      dsmGroupName: "oci-ekm",
      vaultId: "oci-ekm-ekm-vault_id",
      vaultUrl: `https://10.0.1.20/oci/ekm/v1/vaults/${ACCOUNT_ID}`,
      managementEndpoint: vault.managementEndpoint,
      cryptoEndpoint: vault.cryptoEndpoint,
      privateEndpointId: "oci-ekm-ekm-private-endpoint_id",
      privateEndpointIp: "10.0.1.20",
      keyNames: ["oci-ekm-key"],
      keyReferenceIds: ["oci-ekm-ekm-key-oci-ekm-key_id"],
      keyReferenceVersions: [],
      certificatePem: certPem(),
      caBundle: caPem(),
      certificateId: "oci-ekm-certificate-oci_id",
      vcnId: "oci-ekm-network-vcn_id",
      subnetId: "oci-ekm-network-subnet_id",
      dsmGroupId: planDsmUuid(T.dsmGroup, "oci-ekm-dsm-group"),
      dsmAppId: planDsmUuid(T.dsmJwtApp, "oci-ekm-dsm-app"),
      dsmKeyIds: [planDsmUuid(T.dsmSecurityObject, "oci-ekm-dsm-key-oci-ekm-key")],
    });
    expect(plan.outputs.dsmGroupId).toBe(resource(plan, "oci-ekm-dsm-group").outputs.groupId);
    expect(plan.outputs.dsmAppId).toBe(resource(plan, "oci-ekm-dsm-app").outputs.appId);
    expect(plan.outputs.dsmKeyIds).toEqual([resource(plan, "oci-ekm-dsm-key-oci-ekm-key").outputs.kid]);
    expect(vault.cryptoEndpoint).toMatch(/^https:\/\/[0-9a-f]{12}-crypto\.kms\.us-ashburn-1\.oraclecloud\.com$/);
  });

  it("keeps the client secret a secret output, and only it", () => {
    expect(plan.secretOutputNames).toEqual(["clientSecret"]);
    expect(plan.outputValues.clientSecret).toMatch(/^mock-client-secret-[0-9a-f]{24}$/);
  });
});

describe("secrets", () => {
  it("never appear in plain text in the plan", () => {
    const json = JSON.stringify(planToJson(plan));
    expect(json).not.toContain(plan.outputValues.clientSecret as string);
    expect(json).not.toContain("MOCK-PLAN-KEY");
    expect(json).not.toContain("mock-client-secret-");
  });

  it("are not passed to components: their stored args are empty", () => {
    const components = plan.resources.filter((r) => r.type.startsWith("oci-ekm-fortanix:index:"));
    expect(components.map((c) => c.type).sort()).toEqual([
      "oci-ekm-fortanix:index:EkmCertificate",
      "oci-ekm-fortanix:index:EkmGateway",
      "oci-ekm-fortanix:index:EkmIdentity",
      "oci-ekm-fortanix:index:EkmNetwork",
      "oci-ekm-fortanix:index:EkmTopology",
      "oci-ekm-fortanix:index:EkmVault",
    ]);
    for (const c of components) expect(c.inputs, c.type).toEqual({});
  });
});

describe("dependency graph", () => {
  // The picture of reference/oci-wiring.md ("Order of creation"), by resource role.
  const REFERENCE: Record<string, string[]> = {
    vcn: [],
    nat: ["vcn"],
    routes: ["vcn", "nat"],
    https: ["vcn"],
    subnet: ["vcn", "routes", "https"],
    caKey: [],
    ca: ["caKey"],
    tlsKey: [],
    request: ["tlsKey"],
    issued: ["request", "caKey", "ca"],
    certificate: ["tlsKey", "issued", "ca"],
    gateway: ["subnet", "certificate"],
    deployment: ["gateway"],
    setting: [],
    resourceApp: ["gateway"],
    clientApp: ["gateway", "resourceApp"],
    privateEndpoint: ["subnet", "gateway", "ca"],
    // OCI calls the key manager while it creates the vault's key references: everything on the way first.
    vault: ["privateEndpoint", "clientApp", "deployment", "setting", "dsmApp"],
    dsmGroup: [],
    dsmApp: ["clientApp", "dsmGroup"],
    dsmKey: ["dsmGroup"],
    key: ["vault", "dsmKey"],
  };
  const ROLE: Record<string, string> = {
    "oci-ekm-network-vcn": "vcn",
    "oci-ekm-network-nat": "nat",
    "oci-ekm-network-routes": "routes",
    "oci-ekm-network-https": "https",
    "oci-ekm-network-subnet": "subnet",
    "oci-ekm-certificate-ca-key": "caKey",
    "oci-ekm-certificate-ca": "ca",
    "oci-ekm-certificate-key": "tlsKey",
    "oci-ekm-certificate-request": "request",
    "oci-ekm-certificate-issued": "issued",
    "oci-ekm-certificate-oci": "certificate",
    "oci-ekm-gateway-gateway": "gateway",
    "oci-ekm-gateway-deployment": "deployment",
    "oci-ekm-identity-signing-cert-access": "setting",
    "oci-ekm-identity-resource-app": "resourceApp",
    "oci-ekm-identity-client-app": "clientApp",
    "oci-ekm-ekm-private-endpoint": "privateEndpoint",
    "oci-ekm-ekm-vault": "vault",
    "oci-ekm-ekm-key-oci-ekm-key": "key",
    "oci-ekm-dsm-group": "dsmGroup",
    "oci-ekm-dsm-app": "dsmApp",
    "oci-ekm-dsm-key-oci-ekm-key": "dsmKey",
  };

  function longestPath(graph: Record<string, string[]>): number {
    const memo = new Map<string, number>();
    const depth = (n: string): number => memo.get(n) ?? (memo.set(n, 1 + Math.max(0, ...graph[n].map(depth))), memo.get(n)!);
    return Math.max(...Object.keys(graph).map(depth));
  }

  it("has exactly the reference's edges: nothing waits needlessly", () => {
    const nameOf = new Map(plan.resources.map((r) => [r.urn, r.name]));
    // A resource without a role keeps its name, so that an unexpected one shows up in the diff.
    const role = (urn: string) => ROLE[nameOf.get(urn)!] ?? nameOf.get(urn)!;
    const actual: Record<string, string[]> = {};
    for (const [urn, deps] of planCustomDependencies(plan.resources)) {
      actual[role(urn)] = deps.map(role).sort();
    }
    const expected = Object.fromEntries(Object.entries(REFERENCE).map(([k, v]) => [k, [...v].sort()]));
    expect(actual).toEqual(expected);
  });

  it("has the longest chain the reference requires (10: … → client app → DSM JWT app → vault → key reference)", () => {
    const chain = planLongestChain(plan.resources);
    expect(longestPath(REFERENCE)).toBe(10);
    expect(chain.depth).toBe(10);
    // Two chains tie for the first five: through the network, and through the CA and the certificate.
    expect(chain.chain.map((r) => ROLE[r.name]).slice(4)).toEqual(["gateway", "resourceApp", "clientApp", "dsmApp", "vault", "key"]);
  });

  it("puts the DSM JWT app before the vault, and a DSM key needs only the group: the JWT app waits for the client app", () => {
    const deps = planCustomDependencies(plan.resources);
    const urnOf = new Map(plan.resources.map((r) => [r.name, r.urn]));
    // Resources in the longest chain ending at a resource, itself included.
    const depth = (urn: string): number => 1 + Math.max(0, ...(deps.get(urn) ?? []).map(depth));
    expect(depth(urnOf.get("oci-ekm-dsm-group")!)).toBe(1);
    expect(depth(urnOf.get("oci-ekm-dsm-key-oci-ekm-key")!)).toBe(2);
    expect(depth(urnOf.get("oci-ekm-dsm-app")!)).toBe(8);
    expect(depth(urnOf.get("oci-ekm-ekm-vault")!)).toBe(9);
    expect(depth(urnOf.get("oci-ekm-ekm-key-oci-ekm-key")!)).toBe(10);
  });
});
