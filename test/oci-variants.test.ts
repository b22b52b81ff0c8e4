// Options of the topology, each a separate stack run in this one process (which the plan engine allows).
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { EkmCertificate } from "../components/certificate";
import { EkmVault } from "../components/ekm";
import { EkmGateway, gatewayTokenValidationProblems } from "../components/gateway";
import { PLAN_SECRET, PlanResult, planLongestChain, planToJson, runStackInProcess } from "../components/plan";
import { normalizePem } from "../components/pem";
import { EkmTopology } from "../components/topology";
import { runEkmStack } from "../infra/stack";
import { ACCOUNT_ID, COMPARTMENT, DOMAIN_URL, T, ofType, resource, stackConfig, userGatewayCertificate } from "./oci-helpers";

// The team's own certificate for the gateway, issued by its own CA (the chain).
const { certPem: CERT, keyPem: KEY, chainPem: CHAIN } = userGatewayCertificate();
// What OCI stores and the private endpoint trusts: the chain as given, with Unix line ends.
const CHAIN_LF = CHAIN.replace(/\r\n/g, "\n");
const CERT_LF = CERT.replace(/\r\n/g, "\n");
// Both forms of the Identity Domain issuer (with and without the trailing slash).
const ISSUERS = ["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"];
const JWK = { kid: "SIGNING_KEY", kty: "RSA", n: "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1Wl", e: "AQAB" };

function plan(overrides: Record<string, unknown>, mockDefaults?: { gatewayPrivateIp?: string; privateEndpointIp?: string }): Promise<PlanResult> {
  return runStackInProcess({ config: stackConfig(overrides), secretKeys: ["oci-ekm:privateKeyPem"], mockDefaults, program: () => runEkmStack() });
}

describe("gateway token validation with the domain's remote JWKS, several keys, another DSM, the gateway IP as vault host, unprotected", () => {
  it("wires every option", async () => {
    const p = await plan(
      {
        gatewayTokenValidation: "remoteJwks",
        gatewayJwksCacheHours: 6,
        dsmUrl: "https://eu.smartkey.io/",
        vaultUrlHost: "gateway",
        protect: false,
        keys: [{ name: "payments-key" }, { name: "archive-key", rotationPolicyDays: 30 }],
      },
      { gatewayPrivateIp: "10.0.1.77", privateEndpointIp: "10.0.1.88" },
    );
    const spec = resource(p, "oci-ekm-gateway-deployment").inputs.specification;
    expect(spec).toEqual({
      requestPolicies: {
        authentication: {
          type: "TOKEN_AUTHENTICATION",
          tokenHeader: "Authorization",
          tokenAuthScheme: "Bearer",
          isAnonymousAccessAllowed: false,
          validationPolicy: {
            type: "REMOTE_JWKS",
            uri: `${DOMAIN_URL}/admin/v1/SigningCert/jwk`,
            maxCacheDurationInHours: 6,
            additionalValidationPolicy: { issuers: ISSUERS, audiences: ["https://10.0.1.77/"] },
          },
        },
      },
      routes: [
        {
          path: "/{path*}",
          methods: ["ANY"],
          backend: { type: "HTTP_BACKEND", url: "https://eu.smartkey.io/${request.path[path]}" },
          requestPolicies: { authorization: { type: "ANY_OF", allowedScopes: ["oci_ekms"] } },
        },
      ],
    });
    expect(resource(p, "oci-ekm-identity-resource-app").inputs.secondaryAudiences).toEqual(["https://eu.smartkey.io"]);
    expect(resource(p, "oci-ekm-identity-resource-app").inputs.audience).toBe("https://10.0.1.77/");
    expect(resource(p, "oci-ekm-identity-client-app").inputs.allowedScopes).toEqual([{ fqs: "https://10.0.1.77/oci_ekms" }]);
    expect(resource(p, "oci-ekm-ekm-private-endpoint").inputs.externalKeyManagerIp).toBe("10.0.1.77");

    const vault = resource(p, "oci-ekm-ekm-vault");
    expect((vault.inputs.externalKeyManagerMetadata as Record<string, unknown>).externalVaultEndpointUrl).toBe(`https://10.0.1.77/oci/ekm/v1/vaults/${ACCOUNT_ID}`);
    expect(vault.protect).toBe(false);
    const keys = ofType(p, T.key);
    expect(keys.map((k) => [k.name, k.inputs.externalKeyReference, k.inputs.displayName, k.protect])).toEqual([
      ["oci-ekm-ekm-key-payments-key", { externalKeyId: "payments-key" }, "payments-key", false],
      ["oci-ekm-ekm-key-archive-key", { externalKeyId: "archive-key" }, "archive-key", false],
    ]);
    // One security object per key in the one group, each feeding its own key reference.
    const group = resource(p, "oci-ekm-dsm-group");
    const objects = ofType(p, T.dsmSecurityObject);
    expect(objects.map((o) => [o.name, o.inputs.name, o.inputs.groupId, o.inputs.rotationPolicyDays, o.inputs.endpoint])).toEqual([
      ["oci-ekm-dsm-key-payments-key", "payments-key", group.outputs.groupId, undefined, "https://eu.smartkey.io"],
      ["oci-ekm-dsm-key-archive-key", "archive-key", group.outputs.groupId, 30, "https://eu.smartkey.io"],
    ]);
    for (const [i, key] of keys.entries()) expect(key.dependencies).toContain(objects[i].urn);
    expect(p.outputs.dsmKeyIds).toEqual(objects.map((o) => o.outputs.kid));
    expect(p.outputs.keyNames).toEqual(["payments-key", "archive-key"]);
    expect(p.outputs.keyReferenceIds).toEqual(["oci-ekm-ekm-key-payments-key_id", "oci-ekm-ekm-key-archive-key_id"]);
    expect(p.outputs.vaultUrl).toBe(`https://10.0.1.77/oci/ekm/v1/vaults/${ACCOUNT_ID}`);
    expect(p.outputs.gatewayTokenValidation).toBe("remoteJwks");
    // Token validation adds no resource and no wait (the default topology's chain is 10 too).
    expect(planLongestChain(p.resources).depth).toBe(10);
  });
});

describe("gateway token validation with static keys, your own certificate, an existing VCN", () => {
  it("wires every option and keeps your private key secret", async () => {
    const p = await plan({
      gatewayTokenValidation: "staticKeys",
      gatewayStaticKeys: [JWK],
      certificatePem: CERT,
      certChainPem: CHAIN,
      privateKeyPem: KEY,
      existingVcnId: "ocid1.vcn.oc1.iad.aaaaaaaaexistingvcn",
      vcnCidr: "10.0.0.0/16",
    });
    const auth = (resource(p, "oci-ekm-gateway-deployment").inputs.specification as { requestPolicies: { authentication: unknown } }).requestPolicies
      .authentication;
    expect(auth).toEqual({
      type: "TOKEN_AUTHENTICATION",
      tokenHeader: "Authorization",
      tokenAuthScheme: "Bearer",
      isAnonymousAccessAllowed: false,
      validationPolicy: {
        type: "STATIC_KEYS",
        keys: [{ format: "JSON_WEB_KEY", ...JWK, alg: "RS256", use: "sig" }],
        additionalValidationPolicy: { issuers: ISSUERS, audiences: ["https://10.0.1.10/"] },
      },
    });

    expect(ofType(p, T.tlsKey)).toEqual([]);
    expect(ofType(p, T.tlsCert)).toEqual([]);
    expect(resource(p, "oci-ekm-certificate-oci").inputs.certificateConfig).toEqual({
      configType: "IMPORTED",
      certificatePem: CERT_LF,
      certChainPem: CHAIN_LF,
      privateKeyPem: PLAN_SECRET,
    });
    // The private endpoint trusts the team's CA, never the gateway certificate itself.
    expect(resource(p, "oci-ekm-ekm-private-endpoint").inputs.caBundle).toBe(CHAIN_LF);
    expect(JSON.stringify(planToJson(p))).not.toContain(KEY.split("\n")[1]);

    expect(ofType(p, T.vcn)).toEqual([]);
    for (const r of [...ofType(p, T.nat), ...ofType(p, T.routeTable), ...ofType(p, T.securityList), ...ofType(p, T.subnet)]) {
      expect(r.inputs.vcnId, r.name).toBe("ocid1.vcn.oc1.iad.aaaaaaaaexistingvcn");
    }
    // An existing VCN may have no DNS label, so the subnet gets none.
    expect(resource(p, "oci-ekm-network-subnet").inputs.dnsLabel).toBeUndefined();
    expect(p.outputs.vcnId).toBe("ocid1.vcn.oc1.iad.aaaaaaaaexistingvcn");
  });
});

describe("an existing subnet, gateway and certificate", () => {
  it("creates only the deployment, identity, DSM and EKM resources", async () => {
    const p = await plan(
      {
        existingSubnetId: "ocid1.subnet.oc1.iad.aaaaaaaaexistingsubnet",
        existingGatewayId: "ocid1.apigateway.oc1.iad.aaaaaaaaexistinggw",
        certificatePem: CERT,
        certChainPem: CHAIN,
      },
      { gatewayPrivateIp: "10.0.1.99" },
    );
    expect(p.resources.filter((r) => r.custom).map((r) => r.type).sort()).toEqual(
      [T.deployment, T.setting, T.app, T.app, T.dsmGroup, T.dsmJwtApp, T.dsmSecurityObject, T.privateEndpoint, T.vault, T.key].sort(),
    );
    expect(resource(p, "oci-ekm-gateway-deployment").inputs.gatewayId).toBe("ocid1.apigateway.oc1.iad.aaaaaaaaexistinggw");
    // The IP comes from reading the existing gateway.
    expect(resource(p, "oci-ekm-identity-resource-app").inputs.audience).toBe("https://10.0.1.99/");
    expect(resource(p, "oci-ekm-ekm-private-endpoint").inputs).toMatchObject({
      subnetId: "ocid1.subnet.oc1.iad.aaaaaaaaexistingsubnet",
      externalKeyManagerIp: "10.0.1.99",
      caBundle: CHAIN_LF,
    });
    expect(p.outputs.subnetId).toBe("ocid1.subnet.oc1.iad.aaaaaaaaexistingsubnet");
    expect(p.outputs.gatewayId).toBe("ocid1.apigateway.oc1.iad.aaaaaaaaexistinggw");
    expect(p.outputs.certificatePem).toBe(CERT_LF);
    expect(planLongestChain(p.resources).depth).toBe(5); // resource app → client app → DSM JWT app → vault → key
    expect("vcnId" in p.outputs).toBe(false);
    expect("certificateId" in p.outputs).toBe(false);
  });
});

describe("an existing route table (DRG to an on-premises DSM) and an existing OCI certificate", () => {
  it("creates no NAT, no route table and imports nothing", async () => {
    const p = await plan({
      existingRouteTableId: "ocid1.routetable.oc1.iad.aaaaaaaadrgroutes",
      existingCertificateId: "ocid1.certificate.oc1.iad.aaaaaaaacert",
      certificatePem: CERT,
      certChainPem: CHAIN,
      dsmEgressCidr: "192.168.10.0/24",
      dsmUrl: "https://dsm.corp.example:8443",
    });
    expect(ofType(p, T.nat)).toEqual([]);
    expect(ofType(p, T.routeTable)).toEqual([]);
    expect(ofType(p, T.certificate)).toEqual([]);
    expect(resource(p, "oci-ekm-network-subnet").inputs.routeTableId).toBe("ocid1.routetable.oc1.iad.aaaaaaaadrgroutes");
    expect((resource(p, "oci-ekm-network-https").inputs.egressSecurityRules as { destination: string }[])[1].destination).toBe("192.168.10.0/24");
    expect(resource(p, "oci-ekm-gateway-gateway").inputs.certificateId).toBe("ocid1.certificate.oc1.iad.aaaaaaaacert");
    expect(resource(p, "oci-ekm-ekm-private-endpoint").inputs.caBundle).toBe(CHAIN_LF);
    const route = (resource(p, "oci-ekm-gateway-deployment").inputs.specification as { routes: { backend: { url: string } }[] }).routes[0];
    expect(route.backend.url).toBe("https://dsm.corp.example:8443/${request.path[path]}");
  });
});

describe("DSM objects made by hand (dsm.manageObjects: false)", () => {
  it("creates no DSM resource and names the keys by their configured names", async () => {
    let t: EkmTopology | undefined;
    const p = await runStackInProcess({
      program: () => {
        t = new EkmTopology("oci-ekm", {
          compartmentId: COMPARTMENT,
          gatewayHostname: "ekm-gateway.example.com",
          identityDomainUrl: DOMAIN_URL,
          dsm: { accountId: ACCOUNT_ID, manageObjects: false, keys: [{ name: "hand-made-key" }] },
        });
        return { keyNames: t.keyNames };
      },
    });
    expect([t?.dsmGroupId, t?.dsmAppId, t?.dsmKeyIds]).toEqual([undefined, undefined, undefined]);
    expect(p.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))).toEqual([]);
    const key = resource(p, "oci-ekm-ekm-key-hand-made-key");
    expect(key.inputs.externalKeyReference).toEqual({ externalKeyId: "hand-made-key" });
    expect(key.dependencies).toEqual([resource(p, "oci-ekm-ekm-vault").urn]);
    expect(p.outputs).toEqual({ keyNames: ["hand-made-key"] });
    // Without a DSM JWT app in the stack: vcn → nat → routes → subnet → gateway → apps → vault → key.
    expect(planLongestChain(p.resources).depth).toBe(9);
  });
});

describe("defaults", () => {
  it("are the same whether the stack config or the topology applies them", async () => {
    const fromConfig = await plan({});
    const fromTopology = await runStackInProcess({
      program: () => {
        new EkmTopology("oci-ekm", {
          compartmentId: COMPARTMENT,
          gatewayHostname: "ekm-gateway.example.com",
          identityDomainUrl: DOMAIN_URL,
          dsm: { accountId: ACCOUNT_ID },
        });
      },
    });
    const registered = (p: PlanResult) =>
      p.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => ({ ...r, inputs: { ...r.inputs, __provider: undefined } }));
    expect(registered(fromTopology)).toEqual(registered(fromConfig));
  });
});

describe("components refuse bad arguments before creating anything", () => {
  const base = { compartmentId: COMPARTMENT, gatewayHostname: "gw.example.com", identityDomainUrl: DOMAIN_URL, dsm: { accountId: ACCOUNT_ID } };

  it("EkmTopology refuses the user's certificate before the network is declared, with an existing gateway too", async () => {
    const team = userGatewayCertificate("ekm-gateway.example.com");
    const other = userGatewayCertificate("ekm-gateway.example.com");
    const user = { ...base, gatewayHostname: "ekm-gateway.example.com" };
    const registered: string[] = [];
    const run = (args: ConstructorParameters<typeof EkmTopology>[1]) =>
      runStackInProcess({
        program: () => {
          new EkmTopology("t", args);
        },
        onNewResource: async (r) => {
          registered.push(r.type);
          return undefined;
        },
      });
    await expect(run({ ...user, certificate: { certificatePem: team.certPem, privateKeyPem: other.keyPem, certChainPem: team.chainPem } })).rejects.toThrow(
      "EkmTopology t: certificate.privateKeyPem is not the private key of certificate.certificatePem",
    );
    await expect(run({ ...user, gateway: { existingGatewayId: "ocid1.apigateway.oc1..x" }, certificate: { certificatePem: team.certPem, certChainPem: other.chainPem } })).rejects.toThrow(
      /^EkmTopology t: certificate\.certificatePem does not chain to certificate\.certChainPem/,
    );
    expect(registered).toEqual(["pulumi:pulumi:Stack", "pulumi:pulumi:Stack"]);
  });

  it("EkmTopology takes a chain given as an Output (not readable before anything is created) and still checks the key", async () => {
    const team = userGatewayCertificate("ekm-gateway.example.com");
    const other = userGatewayCertificate("ekm-gateway.example.com");
    const user = { ...base, gatewayHostname: "ekm-gateway.example.com" };
    const ok = await runStackInProcess({
      program: () => {
        new EkmTopology("t", { ...user, certificate: { certificatePem: team.certPem, privateKeyPem: team.keyPem, certChainPem: pulumi.output(team.chainPem) } });
      },
    });
    expect(ok.resources.filter((r) => r.type === "oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint").map((r) => r.inputs.caBundle)).toEqual([normalizePem(team.chainPem)]);
    await expect(
      runStackInProcess({
        program: () => {
          new EkmTopology("t", { ...user, certificate: { certificatePem: team.certPem, privateKeyPem: other.keyPem, certChainPem: pulumi.output(team.chainPem) } });
        },
      }),
    ).rejects.toThrow("EkmTopology t: certificate.privateKeyPem is not the private key of certificate.certificatePem");
  });

  it("EkmTopology", () => {
    expect(() => new EkmTopology("t", { ...base, dsm: { accountId: ACCOUNT_ID, keys: [] } })).toThrow(/dsm\.keys must list at least one key/);
    expect(() => new EkmTopology("t", { ...base, dsm: { accountId: ACCOUNT_ID, keys: [{ name: "a" }, { name: "a" }] } })).toThrow(
      'EkmTopology t: dsm.keys[1].name is "a", also the name of dsm.keys[0]; expected a name of its own (a name is the key reference\'s external key id)',
    );
    expect(() => new EkmTopology("t", { ...base, vaultUrlHost: "dsm" })).toThrow('EkmTopology t: vaultUrlHost is "dsm"; expected one of "privateEndpoint", "gateway"');
    expect(() => new EkmTopology("t", { ...base, dsmUrl: "http://amer.smartkey.io" })).toThrow(/dsmUrl: DSM URL: .* must use https/);
    expect(() => new EkmTopology("t", { ...base, identityDomainUrl: "idcs" })).toThrow(
      'EkmTopology t: identityDomainUrl is "idcs"; expected an Identity Domain URL https://idcs-<id>.identity.<realm domain>',
    );
    // The same form the stack's config check holds a domain to, for programs that use the component directly.
    expect(() => new EkmTopology("t", { ...base, identityDomainUrl: "https://idcs-abc.identity.oraclecloud.com.evil.com" })).toThrow(
      'EkmTopology t: identityDomainUrl is "https://idcs-abc.identity.oraclecloud.com.evil.com"; expected ',
    );
    expect(() => new EkmTopology("t", { ...base, identityDomainUrl: "https://identity.oraclecloud.com/" })).toThrow(/identityDomainUrl is "https:\/\/identity\.oraclecloud\.com\/"; expected .*issuer/);
    expect(() => new EkmTopology("t", { ...base, gateway: { existingGatewayId: "ocid1.apigateway.oc1..x" } })).toThrow(
      /certificate\.certificatePem is required with gateway\.existingGatewayId/,
    );
    expect(() => new EkmTopology("t", { ...base, gateway: { existingGatewayId: "ocid1.apigateway.oc1..x" }, certificate: { certificatePem: CERT } })).toThrow(
      /certificate\.certChainPem or certificate\.caBundlePem is required with gateway\.existingGatewayId/,
    );
  });

  it("EkmGateway", () => {
    expect(() => new EkmGateway("g", { compartmentId: COMPARTMENT })).toThrow(/subnetId is required unless existingGatewayId is set; certificateId is required/);
    expect(gatewayTokenValidationProblems({ keySource: "STATIC_KEYS", issuers: [] })).toEqual(["tokenValidation.staticKeys needs at least one key with STATIC_KEYS"]);
    expect(gatewayTokenValidationProblems({ keySource: "JWT", issuers: [], jwksUri: "https://x/" })).toEqual([
      'tokenValidation.keySource is "JWT"; expected "REMOTE_JWKS" or "STATIC_KEYS"',
    ]);
    expect(gatewayTokenValidationProblems({ issuers: [] })).toEqual(["tokenValidation.jwksUri is required with REMOTE_JWKS"]);
    expect(gatewayTokenValidationProblems({ issuers: [], jwksUri: "https://x/", maxCacheDurationInHours: 25 })).toEqual([
      "tokenValidation.maxCacheDurationInHours is 25; expected a whole number from 1 to 24",
    ]);
    expect(gatewayTokenValidationProblems({ keySource: "STATIC_KEYS", issuers: [], staticKeys: [{ ...JWK, n: "" }] })).toEqual([
      "tokenValidation.staticKeys[0].n is required",
    ]);
  });

  it("EkmCertificate and EkmVault", () => {
    expect(() => new EkmCertificate("c", { compartmentId: COMPARTMENT, gatewayHostname: "gw.example.com", certificatePem: CERT })).toThrow(
      /certificatePem and privateKeyPem go together/,
    );
    const own = { compartmentId: COMPARTMENT, gatewayHostname: "ekm-gateway.example.com", certificatePem: CERT, privateKeyPem: KEY };
    expect(() => new EkmCertificate("c", own)).toThrow(/give certChainPem \(the CA that issued it\) or caBundlePem/);
    expect(() => new EkmCertificate("c", { ...own, certChainPem: CERT })).toThrow(/certChainPem holds no CA certificate of certificatePem/);
    expect(() => new EkmCertificate("c", { ...own, certChainPem: userGatewayCertificate().chainPem })).toThrow(/certificatePem does not chain to certChainPem/);
    expect(() => new EkmCertificate("c", { ...own, certChainPem: CHAIN, gatewayHostname: "other.example.com" })).toThrow(
      /certificatePem does not name gatewayHostname "other.example.com" in its subject alternative names \(it has DNS:ekm-gateway.example.com\)/,
    );
    expect(() => new EkmCertificate("c", { ...own, certChainPem: CHAIN, privateKeyPem: userGatewayCertificate().keyPem })).toThrow(
      /privateKeyPem is not the private key of certificatePem/,
    );
    expect(() => new EkmCertificate("c", { compartmentId: COMPARTMENT, gatewayHostname: "gw.example.com", existingCertificateId: "ocid1.certificate.oc1..x" })).toThrow(
      /existingCertificateId needs certificatePem/,
    );
    expect(() => new EkmCertificate("c", { compartmentId: COMPARTMENT, gatewayHostname: "gw.example.com", validityDays: 0.5 })).toThrow(/validityDays must be a whole number/);
    // A generated certificate comes with its own CA: another certificate's chain must not be imported with it.
    expect(() => new EkmCertificate("c", { compartmentId: COMPARTMENT, gatewayHostname: "gw.example.com", certChainPem: CHAIN })).toThrow(
      /certChainPem and caBundlePem go with certificatePem/,
    );
    const vaultArgs = {
      compartmentId: COMPARTMENT,
      subnetId: "s",
      gatewayPrivateIp: "10.0.1.10",
      caBundle: CERT,
      dsmAccountId: ACCOUNT_ID,
      identityDomainUrl: DOMAIN_URL,
      clientId: "c",
      clientSecret: "s",
    };
    expect(() => new EkmVault("v", { ...vaultArgs, vaultUrlHost: "ip" })).toThrow('EkmVault v: vaultUrlHost is "ip"; expected one of "privateEndpoint", "gateway"');
    expect(() => new EkmVault("v", { ...vaultArgs, keys: [{ name: "k", externalKeyId: "k" }, { name: "k", externalKeyId: "k" }] })).toThrow(
      'EkmVault v: keys[1].name is "k", also the name of keys[0]; expected a name of its own',
    );
    // Used alone, the vault refuses a look-alike host before it would hand it the client secret.
    expect(() => new EkmVault("v", { ...vaultArgs, identityDomainUrl: "https://idcs-abc.identity.oraclecloud.com.evil.com" })).toThrow(
      'EkmVault v: identityDomainUrl is "https://idcs-abc.identity.oraclecloud.com.evil.com"; expected an Identity Domain URL',
    );
  });
});

describe("IAM policies from the stack config", () => {
  it("attaches the operators' statements to the EKM compartment and the domain statement to the domain's (the tenancy here)", async () => {
    const tenancy = "ocid1.tenancy.oc1..aaaaaaaatenancy";
    const p = await plan({ iamPolicies: true, iamOperatorsGroup: "ekm-operators", iamIdentityDomainCompartmentId: tenancy });
    const policies = ofType(p, "oci:Identity/policy:Policy").map((r) => ({ name: r.name, compartmentId: r.inputs.compartmentId, statements: r.inputs.statements }));
    const where = `in compartment id ${COMPARTMENT}`;
    expect(policies).toEqual([
      {
        name: "oci-ekm-iam-policy",
        compartmentId: COMPARTMENT,
        statements: [
          `Allow group ekm-operators to manage ekms-private-endpoints ${where}`,
          `Allow group ekm-operators to manage virtual-network-family ${where}`,
          `Allow group ekm-operators to manage vaults ${where}`,
          `Allow group ekm-operators to manage keys ${where}`,
          `Allow group ekm-operators to manage api-gateway-family ${where}`,
          `Allow group ekm-operators to manage leaf-certificate-family ${where}`,
        ],
      },
      { name: "oci-ekm-iam-domain-policy", compartmentId: tenancy, statements: ["Allow group ekm-operators to manage domains in tenancy"] },
    ]);
    // The stack's output lists every statement, of both policies.
    expect(p.outputValues.iamPolicyStatements).toEqual([...policies[0].statements as string[], "Allow group ekm-operators to manage domains in tenancy"]);
  });

  it("creates no policy unless asked", async () => {
    expect(ofType(await plan({}), "oci:Identity/policy:Policy")).toEqual([]);
  });
});
