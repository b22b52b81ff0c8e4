import { readFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { createTestCertificateAuthority } from "../components/emulators/tls";
import { IDENTITY_DOMAIN_URL_FORM, identityDomainUrlProblem } from "../components/identity-domain-url";
import { OFFLINE_UNDECRYPTED_SECRET } from "../components/offline-secret";
import { readPlanStackConfig, runStackInProcess } from "../components/plan";
import { EKM_CONFIG_KEYS, EkmConfigError, checkEkmConfig, ekmConfigFromObject, loadEkmConfig } from "../infra/config";
import { closestName, ignoredKeys, keyListProblems, ociCidrBlockProblem } from "../infra/config-rules";
import { ekmTopologyArgsFromConfig, runEkmStack } from "../infra/stack";
import { userGatewayCertificate } from "./oci-helpers";

const root = path.resolve(__dirname, "..");

const GOOD = {
  compartmentId: "ocid1.compartment.oc1..aaaaaaaa7x5wq3tq2kqm",
  gatewayHostname: "ekm-gateway.example.com",
  dsmAccountId: "5f2b7e0c-1234-4c8e-9a6d-0123456789ab",
  identityDomainUrl: "https://idcs-0123456789abcdef.identity.oraclecloud.com",
};

const CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n";

/** A team's certificate for GOOD.gatewayHostname, its key and its CA; and one for another host. */
const OWN = userGatewayCertificate();
const OTHER = userGatewayCertificate("other.example.com");

function problemsOf(values: Record<string, unknown>): EkmConfigError {
  try {
    loadEkmConfig(ekmConfigFromObject(values));
  } catch (e) {
    expect(e).toBeInstanceOf(EkmConfigError);
    return e as EkmConfigError;
  }
  throw new Error("the configuration was accepted");
}

describe("loadEkmConfig: a good configuration", () => {
  it("applies the documented defaults", () => {
    const c = loadEkmConfig(ekmConfigFromObject(GOOD));
    expect(c).toEqual({
      ...GOOD,
      vcnCidr: "10.0.0.0/16",
      subnetCidr: "10.0.1.0/24",
      dsmEgressCidr: "0.0.0.0/0",
      certificateValidityDays: 365,
      certificateRenewBeforeDays: 30,
      caValidityDays: 3650,
      gatewayTokenValidation: "off",
      gatewayJwksCacheHours: 1,
      gatewayRoute: "all",
      dsmUrl: "https://amer.smartkey.io",
      dsmGroupName: "oci-ekm",
      dsmManageObjects: true,
      dsmAdopt: false,
      keys: [{ name: "oci-ekm-key" }],
      vaultUrlHost: "privateEndpoint",
      protect: true,
      namePrefix: "oci-ekm",
      iamPolicies: false,
      privateKeyPem: undefined,
    });
  });

  it("parses typed values as the Pulumi CLI passes them (text and JSON)", () => {
    const c = loadEkmConfig(
      ekmConfigFromObject({
        ...GOOD,
        certificateValidityDays: "90",
        protect: "false",
        keys: '[{"name":"a","rotationPolicyDays":30},{"name":"b","description":"second"}]',
        vaultUrlHost: "gateway",
      }),
    );
    expect(c.certificateValidityDays).toBe(90);
    expect(c.protect).toBe(false);
    expect(c.keys).toEqual([{ name: "a", rotationPolicyDays: 30 }, { name: "b", description: "second" }]);
    expect(c.vaultUrlHost).toBe("gateway");
  });

  it("keeps the private key a Pulumi secret", async () => {
    const c = loadEkmConfig(ekmConfigFromObject({ ...GOOD, certificatePem: OWN.certPem, certChainPem: OWN.chainPem, privateKeyPem: OWN.keyPem }));
    expect(pulumi.Output.isInstance(c.privateKeyPem)).toBe(true);
    expect(await pulumi.isSecret(c.privateKeyPem!)).toBe(true);
  });

  it("accepts the shipped Pulumi.dev.yaml", () => {
    const { config } = readPlanStackConfig(path.join(root, "Pulumi.dev.yaml"));
    const c = loadEkmConfig(ekmConfigFromObject(config));
    expect(c.keys).toEqual([{ name: "oci-ekm-key", description: "AES-256 key of the OCI external vault", rotationPolicyDays: 90 }]);
    expect(c.dsmUrl).toBe("https://amer.smartkey.io");
  });
});

describe("loadEkmConfig: bad configurations name the key, the value and the expectation", () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["missing compartment", { compartmentId: undefined }, "compartmentId", /oci-ekm:compartmentId is not set; expected a compartment \(or tenancy\) OCID/],
    ["compartment that is a VCN OCID", { compartmentId: "ocid1.vcn.oc1.iad.aaaa" }, "compartmentId", /is "ocid1\.vcn\.oc1\.iad\.aaaa"; expected a compartment/],
    ["VCN CIDR with /33", { vcnCidr: "10.0.0.0/33" }, "vcnCidr", /oci-ekm:vcnCidr is "10\.0\.0\.0\/33"; expected an IPv4 CIDR block/],
    ["subnet CIDR outside the VCN", { subnetCidr: "192.168.1.0/24" }, "subnetCidr", /oci-ekm:subnetCidr is "192\.168\.1\.0\/24"; expected a CIDR inside vcnCidr 10\.0\.0\.0\/16/],
    ["subnet CIDR with an octet over 255", { subnetCidr: "10.0.300.0/24" }, "subnetCidr", /expected an IPv4 CIDR block/],
    ["existing subnet of the wrong kind", { existingSubnetId: "ocid1.vcn.oc1.iad.aaaa" }, "existingSubnetId", /expected a subnet OCID/],
    ["route table with an existing subnet", { existingSubnetId: "ocid1.subnet.oc1.iad.aaaa", existingRouteTableId: "ocid1.routetable.oc1.iad.bbbb" }, "existingRouteTableId", /no value when existingSubnetId is set/],
    ["hostname that is an IP", { gatewayHostname: "10.0.1.10" }, "gatewayHostname", /oci-ekm:gatewayHostname is "10\.0\.1\.10"; expected a fully qualified domain name/],
    ["hostname with a scheme", { gatewayHostname: "https://gw.example.com" }, "gatewayHostname", /expected a fully qualified domain name/],
    ["validity of zero days", { certificateValidityDays: 0 }, "certificateValidityDays", /is 0; expected a whole number of days from 1 to 3650/],
    ["validity that is not a number", { certificateValidityDays: "a year" }, "certificateValidityDays", /is "a year"; expected a whole number of days/],
    ["DSM URL over http", { dsmUrl: "http://amer.smartkey.io" }, "dsmUrl", /oci-ekm:dsmUrl is "http:\/\/amer\.smartkey\.io"; expected an https URL without path/],
    ["DSM URL with a path", { dsmUrl: "https://amer.smartkey.io/sys/v1" }, "dsmUrl", /expected an https URL without path/],
    ["DSM account that is not a UUID", { dsmAccountId: "my-account" }, "dsmAccountId", /is "my-account"; expected the DSM account id, a UUID/],
    ["identity domain URL missing", { identityDomainUrl: undefined }, "identityDomainUrl", /^oci-ekm:identityDomainUrl is not set; expected the Identity Domain URL, such as https:\/\/idcs-0123456789abcdef\.identity\.oraclecloud\.com$/],
    ["vault URL host not in the list", { vaultUrlHost: "keyManager" }, "vaultUrlHost", /is "keyManager"; expected one of "privateEndpoint", "gateway"/],
    ["protect that is not a boolean", { protect: "yes" }, "protect", /oci-ekm:protect is "yes"; expected true or false/],
    ["dsmAdopt that is not a boolean", { dsmAdopt: "sometimes" }, "dsmAdopt", /oci-ekm:dsmAdopt is "sometimes"; expected true or false/],
    ["empty key list", { keys: [] }, "keys", /oci-ekm:keys is \[\]; expected a non-empty list/],
    ["key list that is not JSON", { keys: "oci-ekm-key" }, "keys", /oci-ekm:keys is "oci-ekm-key"; expected a non-empty list/],
    ["key name with a space", { keys: [{ name: "my key" }] }, "keys", /keys\[0\]\.name \(given "my key"\) to be a security object name/],
    ["key with an unknown field", { keys: [{ name: "k1", size: 256 }] }, "keys", /only the fields name, description, rotationPolicyDays, rotate \(unknown: size\)/],
    ["rotation of -1 days", { keys: [{ name: "k1", rotationPolicyDays: -1 }] }, "keys", /keys\[0\]\.rotationPolicyDays \(given -1\) to be a whole number of days/],
    ["group name too long", { dsmGroupName: "g".repeat(129) }, "dsmGroupName", /expected a group name of 1 to 128 characters/],
    ["name prefix with capitals", { namePrefix: "OCI_EKM" }, "namePrefix", /is "OCI_EKM"; expected 1 to 30 lowercase letters/],
    ["token validation mode unknown", { gatewayTokenValidation: "jwt" }, "gatewayTokenValidation", /expected one of "off", "remoteJwks", "staticKeys"/],
    ["static keys missing", { gatewayTokenValidation: "staticKeys" }, "gatewayStaticKeys", /oci-ekm:gatewayStaticKeys is not set; expected a list of JWKs when gatewayTokenValidation is staticKeys/],
    ["static key of type EC", { gatewayTokenValidation: "staticKeys", gatewayStaticKeys: [{ kid: "k", kty: "EC", n: "x", e: "AQAB" }] }, "gatewayStaticKeys", /gatewayStaticKeys\[0\]\.kty \(given "EC"\) to be kty "RSA"/],
    ["JWKS cache of 48 hours", { gatewayJwksCacheHours: 48 }, "gatewayJwksCacheHours", /is 48; expected a whole number of hours from 1 to 24/],
    ["certificate without its key", { certificatePem: CERT }, "privateKeyPem", /oci-ekm:privateKeyPem is not set; expected the private key of certificatePem/],
    ["chain without its certificate", { certChainPem: CERT }, "certificatePem", /oci-ekm:certificatePem is not set; expected the certificate of certChainPem/],
    ["certificate that is not PEM", { certificatePem: "MIIBszCCAVmgAwIBAgIU", privateKeyPem: KEY }, "certificatePem", /expected a PEM certificate/],
    ["certificate without the CA that issued it", { certificatePem: CERT, privateKeyPem: KEY }, "certChainPem", /oci-ekm:certChainPem is not set; expected the CA certificate\(s\) that issued certificatePem \(or set caBundlePem\): the EKM private endpoint trusts that CA, never the gateway certificate itself/],
    ["CA bundle without a certificate", { caBundlePem: CERT }, "certificatePem", /oci-ekm:certificatePem is not set; expected the certificate caBundlePem is the CA of/],
    ["renewal window as long as the validity", { certificateValidityDays: 90, certificateRenewBeforeDays: 90 }, "certificateRenewBeforeDays", /oci-ekm:certificateRenewBeforeDays is 90; expected fewer days than certificateValidityDays \(90\)/],
    ["CA that expires before the certificate", { certificateValidityDays: 365, caValidityDays: 300 }, "caValidityDays", /oci-ekm:caValidityDays is 300; expected at least certificateValidityDays \(365\)/],
    ["gateway route unknown", { gatewayRoute: "ekm" }, "gatewayRoute", /oci-ekm:gatewayRoute is "ekm"; expected one of "all", "ekmOnly"/],
    ["IAM policies without a group", { iamPolicies: true }, "iamOperatorsGroup", /oci-ekm:iamOperatorsGroup is not set; expected the group the IAM policy is for, required with iamPolicies true/],
    ["existing gateway without its certificate", { existingGatewayId: "ocid1.apigateway.oc1.iad.aaaa" }, "certificatePem", /required with existingGatewayId/],
    ["existing certificate without its PEM", { existingCertificateId: "ocid1.certificate.oc1.iad.aaaa" }, "certificatePem", /the PEM of existingCertificateId/],
    ["misspelt key", { compartmentID: "ocid1.compartment.oc1..aaaa" }, "compartmentID", /oci-ekm:compartmentID is set \(value not shown\); expected a known key; did you mean oci-ekm:compartmentId\?/],
  ];

  it.each(cases)("%s", (_title, change, key, message) => {
    const error = problemsOf({ ...GOOD, ...change });
    expect(error.problems.map((p) => p.key)).toContain(`oci-ekm:${key}`);
    const line = error.message.split("\n").map((l) => l.trim()).find((l) => l.startsWith(`oci-ekm:${key} `));
    expect(line).toBeDefined();
    expect(line).toMatch(message);
  });

  it("reports every bad key at once, one line each", () => {
    const error = problemsOf({ compartmentId: "nope", vcnCidr: "x", dsmUrl: "ftp://dsm", protect: "maybe", gatewayHostname: GOOD.gatewayHostname });
    const lines = error.message.split("\n").slice(1).map((l) => l.trim().split(" ")[0]);
    expect(lines).toEqual(["oci-ekm:compartmentId", "oci-ekm:vcnCidr", "oci-ekm:dsmUrl", "oci-ekm:dsmAccountId", "oci-ekm:identityDomainUrl", "oci-ekm:protect"]);
    expect(error.message.startsWith("Invalid stack configuration (6 problems); nothing was created:")).toBe(true);
  });

  it("never shows a secret value", () => {
    const error = problemsOf({ ...GOOD, certificatePem: CERT, certChainPem: CERT, privateKeyPem: "not a pem but TOP-SECRET-KEY-MATERIAL" });
    expect(error.message).toMatch(/oci-ekm:privateKeyPem is \[secret\]; expected a PEM private key/);
    expect(error.message).not.toContain("TOP-SECRET");
    expect(JSON.stringify(error.problems)).not.toContain("TOP-SECRET");
  });
});

describe("Pulumi.yaml", () => {
  const project = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
    name: string;
    main: string;
    runtime: { name: string; options: { typescript: boolean } };
    config: Record<string, { type?: string; description?: string; secret?: boolean }>;
  };

  it("is the oci-ekm nodejs project with its program in infra/", () => {
    expect(project.name).toBe("oci-ekm");
    expect(project.runtime).toEqual({ name: "nodejs", options: { typescript: true } });
    expect(project.main).toBe("infra/");
  });

  it("declares exactly the keys a stack must set, so that the CLI itself asks for them, and no optional key (the CLI would require it)", () => {
    const required = EKM_CONFIG_KEYS.filter((k) => k.required);
    expect(required.map((k) => k.key)).toEqual(["compartmentId", "gatewayHostname", "dsmAccountId", "identityDomainUrl"]);
    expect(project.config).toEqual(Object.fromEntries(required.map((k) => [k.key, { type: "string", description: k.description }])));
  });
});

describe("the stack program", () => {
  it("fails on bad configuration before registering any resource", async () => {
    const registered: string[] = [];
    const run = runStackInProcess({
      config: { "oci-ekm:compartmentId": "bad", "oci-ekm:gatewayHostname": "gw.example.com" },
      program: () => runEkmStack(),
      onNewResource: async (args) => {
        registered.push(args.type);
        return undefined;
      },
    });
    await expect(run).rejects.toThrow(/oci-ekm:compartmentId is "bad"; expected a compartment/);
    expect(registered).toEqual(["pulumi:pulumi:Stack"]);
  });
});

describe("a private key set in plain text", () => {
  const { certPem, keyPem, chainPem } = userGatewayCertificate();
  const withKey = { "oci-ekm:certificatePem": certPem, "oci-ekm:certChainPem": chainPem, "oci-ekm:privateKeyPem": keyPem };
  const base = Object.fromEntries(Object.entries(GOOD).map(([k, v]) => [`oci-ekm:${k}`, v]));

  it("is refused before anything is registered, with the command that encrypts it, and the key never shown", async () => {
    const registered: string[] = [];
    const run = runStackInProcess({
      config: { ...base, ...withKey },
      program: () => runEkmStack(),
      onNewResource: async (args) => {
        registered.push(args.type);
        return undefined;
      },
    });
    await expect(run).rejects.toThrow(
      "  oci-ekm:privateKeyPem is set in plain text; expected an encrypted value, so that neither the stack file nor the state holds it readable: pulumi config set --secret privateKeyPem < key.pem",
    );
    await run.catch((e: Error) => expect(e.message).not.toContain(keyPem.split("\n")[1]));
    expect(registered).toEqual(["pulumi:pulumi:Stack"]);
  });

  it("is accepted when the stack holds it encrypted, as pulumi config set --secret stores it", async () => {
    const result = await runStackInProcess({ config: { ...base, ...withKey }, secretKeys: ["oci-ekm:privateKeyPem"], program: () => runEkmStack() });
    expect(result.resources.filter((r) => r.type === "oci:CertificatesManagement/certificate:Certificate")).toHaveLength(1);
  });
});

describe("DSM object management from the stack config", () => {
  it("reaches the topology: objects made by hand are not created, adoption is opt-in", () => {
    const { config: c } = checkEkmConfig(ekmConfigFromObject({ ...GOOD, dsmManageObjects: "false", dsmAdopt: "true" }));
    expect(ekmTopologyArgsFromConfig(c).dsm).toEqual({
      accountId: GOOD.dsmAccountId,
      groupName: "oci-ekm",
      keys: [{ name: "oci-ekm-key" }],
      manageObjects: false,
      adopt: true,
    });
  });
});

/** The problem lines of a refused configuration, without the heading. */
function linesOf(values: Record<string, unknown>): string[] {
  return problemsOf(values).message.split("\n").slice(1).map((l) => l.trim());
}

describe("identityDomainUrl: an OCI Identity Domain, https://idcs-<id>.identity.<realm domain>", () => {
  const refused: [string, string, string][] = [
    ["another host", "https://example.com", `an Identity Domain URL ${IDENTITY_DOMAIN_URL_FORM}: the host example.com is not in an OCI realm domain`],
    ["the token issuer", "https://identity.oraclecloud.com/", `the Identity Domain URL ${IDENTITY_DOMAIN_URL_FORM}, not https://identity.oraclecloud.com/, which is the token issuer (the iss of every domain's tokens)`],
    ["a look-alike under another domain", "https://idcs-abc.identity.oraclecloud.com.evil.com", `an Identity Domain URL ${IDENTITY_DOMAIN_URL_FORM}: the host idcs-abc.identity.oraclecloud.com.evil.com is not in an OCI realm domain`],
    ["another OCI service", "https://auth.us-ashburn-1.oraclecloud.com", `an Identity Domain URL ${IDENTITY_DOMAIN_URL_FORM}: the host auth.us-ashburn-1.oraclecloud.com is in oraclecloud.com but is not idcs-<id>.identity.oraclecloud.com`],
    ["http", "http://idcs-abc.identity.oraclecloud.com", `an https:// URL (Identity Domains are served over HTTPS only): ${IDENTITY_DOMAIN_URL_FORM}`],
    ["a path", "https://idcs-x.identity.oraclecloud.com/ui/v1/adminconsole", "the domain's origin https://idcs-x.identity.oraclecloud.com with nothing after it but an optional trailing / (no path, query or fragment)"],
    ["a query", "https://idcs-x.identity.oraclecloud.com/?tenant=a", "the domain's origin https://idcs-x.identity.oraclecloud.com with nothing after it but an optional trailing / (no path, query or fragment)"],
    ["an empty fragment", "https://idcs-x.identity.oraclecloud.com#", "the domain's origin https://idcs-x.identity.oraclecloud.com with nothing after it but an optional trailing / (no path, query or fragment)"],
    ["a port", "https://idcs-x.identity.oraclecloud.com:8443", "no port (or :443): Identity Domains listen on 443, and a port is accepted only on a loopback address (the emulators)"],
    ["a user in the URL", "https://admin@idcs-x.identity.oraclecloud.com", `an Identity Domain URL without user or password: ${IDENTITY_DOMAIN_URL_FORM}`],
    ["not a URL", "idcs-x.identity.oraclecloud.com", `an Identity Domain URL ${IDENTITY_DOMAIN_URL_FORM}`],
  ];

  it.each(refused)("refuses %s", (_title, url, expected) => {
    expect(linesOf({ ...GOOD, identityDomainUrl: url })).toEqual([`oci-ekm:identityDomainUrl is ${JSON.stringify(url)}; expected ${expected}`]);
  });

  it("states the form with the realm domains it accepts", () => {
    expect(IDENTITY_DOMAIN_URL_FORM).toBe(
      'https://idcs-<id>.identity.<realm domain> (realm domain oraclecloud.com, oraclegovcloud.com, oraclegovcloud.uk or oraclecloud8.com; the "Domain URL" of the domain\'s Details page)',
    );
  });

  const accepted = [
    "https://idcs-0123456789abcdef.identity.oraclecloud.com",
    "https://idcs-0123456789abcdef.identity.oraclecloud.com/",
    "https://idcs-0123456789abcdef.identity.oraclecloud.com:443/",
    "https://idcs-0123456789abcdef.identity.oraclegovcloud.com",
    "https://idcs-0123456789abcdef.identity.oraclegovcloud.uk",
    "https://idcs-0123456789abcdef.identity.oraclecloud8.com",
    "https://127.0.0.1:40123",
    "https://localhost:40123/",
    "https://[::1]:40123",
  ];

  it.each(accepted)("accepts %s, unchanged", (url) => {
    expect(identityDomainUrlProblem(url)).toBeUndefined();
    expect(loadEkmConfig(ekmConfigFromObject({ ...GOOD, identityDomainUrl: url })).identityDomainUrl).toBe(url);
  });

  it("refuses a loopback address over http (the emulators serve HTTPS too)", () => {
    expect(identityDomainUrlProblem("http://127.0.0.1:40123")).toBe(`an https:// URL (Identity Domains are served over HTTPS only): ${IDENTITY_DOMAIN_URL_FORM}`);
  });
});

describe("vcnCidr and subnetCidr: OCI's /16 to /30, no host bits, the subnet inside the VCN", () => {
  const refused: [string, Record<string, unknown>, string][] = [
    ["a /8 VCN", { vcnCidr: "10.0.0.0/8" }, `oci-ekm:vcnCidr is "10.0.0.0/8"; expected a prefix from /16 to /30 (OCI's limits for a VCN), such as 10.0.0.0/16`],
    ["a /31 subnet", { subnetCidr: "10.0.1.0/31" }, `oci-ekm:subnetCidr is "10.0.1.0/31"; expected a prefix from /16 to /30 (OCI's limits for a subnet), such as 10.0.1.0/24`],
    ["a VCN with host bits set", { vcnCidr: "10.0.0.1/16" }, `oci-ekm:vcnCidr is "10.0.0.1/16"; expected a network address without host bits: 10.0.0.0/16 (10.0.0.1 has bits set beyond the /16 prefix)`],
    ["a subnet with host bits set", { subnetCidr: "10.0.1.77/24" }, `oci-ekm:subnetCidr is "10.0.1.77/24"; expected a network address without host bits: 10.0.1.0/24 (10.0.1.77 has bits set beyond the /24 prefix)`],
    ["a subnet outside the VCN", { subnetCidr: "192.168.1.0/24" }, `oci-ekm:subnetCidr is "192.168.1.0/24"; expected a CIDR inside vcnCidr 10.0.0.0/16`],
    ["a subnet larger than the VCN", { vcnCidr: "10.0.0.0/24", subnetCidr: "10.0.0.0/16" }, `oci-ekm:subnetCidr is "10.0.0.0/16"; expected a CIDR inside vcnCidr 10.0.0.0/24`],
  ];

  it.each(refused)("refuses %s", (_title, change, line) => {
    expect(linesOf({ ...GOOD, ...change })).toEqual([line]);
  });

  it("accepts the limits themselves, /16 and /30", () => {
    const c = loadEkmConfig(ekmConfigFromObject({ ...GOOD, vcnCidr: "172.16.0.0/16", subnetCidr: "172.16.5.4/30" }));
    expect([c.vcnCidr, c.subnetCidr]).toEqual(["172.16.0.0/16", "172.16.5.4/30"]);
  });

  it("ociCidrBlockProblem is a plain function of the block", () => {
    expect(ociCidrBlockProblem("10.0.0.0/15", "VCN")).toBe("a prefix from /16 to /30 (OCI's limits for a VCN), such as 10.0.0.0/16");
    expect(ociCidrBlockProblem("10.0.0.0/30", "subnet")).toBeUndefined();
    expect(ociCidrBlockProblem("10.0.0.0", "subnet")).toBe("an IPv4 CIDR block such as 10.0.1.0/24");
  });
});

describe("the user's own certificate: parsed, matched to its key, naming gatewayHostname", () => {
  const own = { certificatePem: OWN.certPem, privateKeyPem: OWN.keyPem, certChainPem: OWN.chainPem };

  it("accepts a certificate for gatewayHostname, its key and the CA that issued it", () => {
    const c = loadEkmConfig(ekmConfigFromObject({ ...GOOD, ...own }));
    expect([c.certificatePem, c.certChainPem]).toEqual([OWN.certPem, OWN.chainPem]);
  });

  it("refuses a certificate that does not parse", () => {
    expect(linesOf({ ...GOOD, ...own, certificatePem: CERT })).toEqual([
      `oci-ekm:certificatePem is ${JSON.stringify(CERT)}; expected a PEM certificate (-----BEGIN CERTIFICATE----- …) that parses as X.509`,
    ]);
  });

  it("refuses the key of another certificate, without showing it", () => {
    const error = problemsOf({ ...GOOD, ...own, privateKeyPem: OTHER.keyPem });
    expect(error.message.split("\n").slice(1).map((l) => l.trim())).toEqual([
      "oci-ekm:privateKeyPem is [secret]; expected the private key of certificatePem (this key's public key is not the certificate's)",
    ]);
    expect(error.message).not.toContain(OTHER.keyPem.split("\n")[1]);
  });

  it("refuses a key that does not parse, without showing it", () => {
    const error = problemsOf({ ...GOOD, ...own, privateKeyPem: KEY });
    expect(error.message.split("\n").slice(1).map((l) => l.trim())).toEqual([
      "oci-ekm:privateKeyPem is [secret]; expected an unencrypted PEM private key (-----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----) that parses",
    ]);
    expect(JSON.stringify(error.problems)).not.toContain("TOP-SECRET");
  });

  it("refuses a certificate whose SAN does not name gatewayHostname, saying which names it has", () => {
    expect(linesOf({ ...GOOD, ...own, gatewayHostname: "ekm.other.example.com" })).toEqual([
      'oci-ekm:certificatePem is a certificate for the DNS names ekm-gateway.example.com; expected a certificate whose subject alternative names include gatewayHostname "ekm.other.example.com" (as a DNS name, or a wildcard matching it)',
    ]);
  });

  it("refuses a chain whose CA did not issue the certificate (issue 12's check, kept)", () => {
    const stranger = createTestCertificateAuthority("stranger CA");
    expect(linesOf({ ...GOOD, ...own, certChainPem: stranger.certPem })).toEqual([
      "oci-ekm:certificatePem is a certificate issued by CN=team CA; expected a certificate issued by a CA in certChainPem: no certificate there issued it",
    ]);
  });

  it("refuses a CA bundle that is the certificate itself", () => {
    expect(linesOf({ ...GOOD, certificatePem: OWN.certPem, privateKeyPem: OWN.keyPem, caBundlePem: OWN.certPem })).toEqual([
      "oci-ekm:caBundlePem is " + JSON.stringify(OWN.certPem).slice(0, 117) + "…; expected CA certificates only, not certificatePem itself: the EKM private endpoint must trust its CA, so that a renewed gateway certificate is trusted too",
      "oci-ekm:certificatePem is a certificate issued by CN=team CA; expected a certificate issued by a CA in caBundlePem (directly or through certChainPem): no certificate there issued it",
    ]);
  });
});

describe("a secure: value the offline plan could not decrypt", () => {
  it("is a present secret for privateKeyPem: accepted, kept secret, its content not checked", async () => {
    const c = loadEkmConfig(ekmConfigFromObject({ ...GOOD, certificatePem: OWN.certPem, certChainPem: OWN.chainPem, privateKeyPem: OFFLINE_UNDECRYPTED_SECRET }));
    expect(await pulumi.isSecret(c.privateKeyPem!)).toBe(true);
    expect(c.certificatePem).toBe(OWN.certPem);
  });

  it("leaves every other check in place: the certificate is still parsed and its SAN checked", () => {
    expect(linesOf({ ...GOOD, certificatePem: OTHER.certPem, certChainPem: OTHER.chainPem, privateKeyPem: OFFLINE_UNDECRYPTED_SECRET })).toEqual([
      'oci-ekm:certificatePem is a certificate for the DNS names other.example.com; expected a certificate whose subject alternative names include gatewayHostname "ekm-gateway.example.com" (as a DNS name, or a wildcard matching it)',
    ]);
  });

  it("still needs the certificate it is the key of", () => {
    expect(linesOf({ ...GOOD, privateKeyPem: OFFLINE_UNDECRYPTED_SECRET })).toEqual([
      "oci-ekm:certificatePem is not set; expected the certificate of privateKeyPem (a private key alone cannot be imported)",
    ]);
  });

  it("is refused, with the way out, for a key that is not secret (its content is read)", () => {
    expect(linesOf({ ...GOOD, certificatePem: OFFLINE_UNDECRYPTED_SECRET, certChainPem: OWN.chainPem, privateKeyPem: OWN.keyPem })).toEqual([
      "oci-ekm:certificatePem is [secret] (encrypted, not readable offline); expected a value the offline plan can read: certificatePem is not a secret key (only privateKeyPem and replicaPrivateKeyPem are), so its content is checked before anything is created (set it in plain text with pulumi config set certificatePem …, or check it with pulumi preview)",
    ]);
  });
});

describe("what a new user met", () => {
  it("an existing VCN without its CIDR: the default says nothing about that VCN", () => {
    expect(linesOf({ ...GOOD, existingVcnId: "ocid1.vcn.oc1.iad.aaaa1234", subnetCidr: "172.16.5.0/24" })).toEqual([
      "oci-ekm:vcnCidr is not set; expected the CIDR of the VCN existingVcnId names, required with it: the new subnet (subnetCidr) must lie inside it, and the security list admits HTTPS from it",
    ]);
    expect(() => loadEkmConfig(ekmConfigFromObject({ ...GOOD, existingVcnId: "ocid1.vcn.oc1.iad.aaaa1234", vcnCidr: "172.16.0.0/16", subnetCidr: "172.16.5.0/24" }))).not.toThrow();
  });

  it("a misspelt field of a key names the field it most likely is", () => {
    expect(linesOf({ ...GOOD, keys: [{ nmae: "k1" }] })).toEqual([
      'oci-ekm:keys is [{"nmae":"k1"}]; expected keys[0].name (given nothing) to be a security object name of 1 to 128 letters, digits, \'.\', \'_\' or \'-\' starting with a letter or digit; ' +
        'keys[0] (given {"nmae":"k1"}) to be only the fields name, description, rotationPolicyDays, rotate (unknown: nmae, did you mean name?)',
    ]);
  });

  it("DSM and OCI credentials in plain text are refused, and misspelt oci: keys named", () => {
    const plainSource = { ...ekmConfigFromObject({ ...GOOD, "dsm:apiKey": "N2Q0...", "oci:regoin": "eu-frankfurt-1" }), isSecret: () => false };
    let lines: string[] = [];
    try {
      loadEkmConfig(plainSource);
    } catch (e) {
      lines = (e as Error).message.split("\n").slice(1).map((l) => l.trim());
    }
    expect(lines).toEqual([
      "oci:regoin is set (value not shown); expected a key the OCI provider reads; did you mean oci:region?",
      "dsm:apiKey is set in plain text; expected an encrypted value, so that neither the stack file nor the state holds it readable: pulumi config set --secret dsm:apiKey <value>",
    ]);
    expect(lines.join("\n")).not.toContain("N2Q0");
  });
});

describe("keys: duplicates named by index, strings instead of objects", () => {
  it("names both indexes of a duplicate name", () => {
    expect(linesOf({ ...GOOD, keys: [{ name: "k1" }, { name: "k2" }, { name: "k1" }] })).toEqual([
      `oci-ekm:keys[2].name is "k1", also the name of keys[0]; expected a name of its own (a name is the key reference's external key id)`,
    ]);
  });

  it("says a string element is a string, and what object it should be", () => {
    expect(linesOf({ ...GOOD, keys: ["a", "b"] })).toEqual([
      'oci-ekm:keys[0] is the string "a"; expected an object like {name: "a"} (each key is {name, description?, rotationPolicyDays?, rotate?})',
      'oci-ekm:keys[1] is the string "b"; expected an object like {name: "b"} (each key is {name, description?, rotationPolicyDays?, rotate?})',
    ]);
  });

  it("reports a string element beside the other elements' own problems", () => {
    expect(linesOf({ ...GOOD, keys: ["a", { name: "my key" }] })).toEqual([
      'oci-ekm:keys[0] is the string "a"; expected an object like {name: "a"} (each key is {name, description?, rotationPolicyDays?, rotate?})',
      `oci-ekm:keys is ["a",{"name":"my key"}]; expected keys[1].name (given "my key") to be a security object name of 1 to 128 letters, digits, '.', '_' or '-' starting with a letter or digit`,
    ]);
  });

  it("keyListProblems is a plain function of the list", () => {
    expect(keyListProblems([{ name: "a" }, { name: "a" }, { name: "a" }]).map((p) => p.path)).toEqual(["keys[1].name", "keys[2].name"]);
    expect(keyListProblems("not a list")).toEqual([]);
  });
});

describe("unknown keys in the dsm: namespace", () => {
  it("suggests the DSM providers' key for a typo", () => {
    expect(linesOf({ ...GOOD, "dsm:apikey": "k" })).toEqual(["dsm:apikey is set (value not shown); expected a key the DSM providers read; did you mean dsm:apiKey?"]);
  });

  it("lists the DSM providers' keys when nothing is close", () => {
    expect(linesOf({ ...GOOD, "dsm:region": "eu" })).toEqual([
      "dsm:region is set (value not shown); expected a key the DSM providers read: dsm:endpoint, dsm:apiKey, dsm:username, dsm:password, dsm:acctId, dsm:caBundle",
    ]);
  });

  it("accepts the DSM providers' own keys and other namespaces", () => {
    const values = { ...GOOD, "dsm:apiKey": "k", "dsm:endpoint": "https://amer.smartkey.io", "dsm:caBundle": "pem", "oci:region": "us-phoenix-1" };
    expect(loadEkmConfig(ekmConfigFromObject(values)).compartmentId).toBe(GOOD.compartmentId);
  });

  it("reads the stack's config under Pulumi, before any resource is registered", async () => {
    const registered: string[] = [];
    const run = runStackInProcess({
      config: { ...Object.fromEntries(Object.entries(GOOD).map(([k, v]) => [`oci-ekm:${k}`, v])), "dsm:apikey": "k" },
      program: () => runEkmStack(),
      onNewResource: async (args) => {
        registered.push(args.type);
        return undefined;
      },
    });
    await expect(run).rejects.toThrow("dsm:apikey is set (value not shown); expected a key the DSM providers read; did you mean dsm:apiKey?");
    expect(registered).toEqual(["pulumi:pulumi:Stack"]);
  });

  it("closestName finds a typo up to 3 edits away, case aside", () => {
    expect(closestName("dsm:APIKEY", ["dsm:apiKey", "dsm:acctId"])).toBe("dsm:apiKey");
    expect(closestName("dsm:certificate", ["dsm:apiKey", "dsm:acctId"])).toBeUndefined();
  });
});

describe("keys that are set but ignored: warned about, and returned for the plan to show", () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      "CIDRs with an existing subnet",
      { existingSubnetId: "ocid1.subnet.oc1.iad.aaaa", vcnCidr: "10.1.0.0/16", subnetCidr: "10.1.2.0/24" },
      [
        "oci-ekm:vcnCidr is set but ignored: existingSubnetId is set, so no VCN, subnet or security list is created (the existing subnet keeps its own CIDR and rules)",
        "oci-ekm:subnetCidr is set but ignored: existingSubnetId is set, so no VCN, subnet or security list is created (the existing subnet keeps its own CIDR and rules)",
      ],
    ],
    [
      "certificate lifetimes with your own certificate",
      { certificatePem: OWN.certPem, privateKeyPem: OWN.keyPem, certChainPem: OWN.chainPem, certificateValidityDays: 90 },
      ["oci-ekm:certificateValidityDays is set but ignored: certificatePem is set, so no certificate is generated (yours is imported as it is)"],
    ],
    [
      "a private key and lifetimes with an existing gateway",
      { existingGatewayId: "ocid1.apigateway.oc1.iad.aaaa", certificatePem: OWN.certPem, certChainPem: OWN.chainPem, privateKeyPem: OWN.keyPem, caValidityDays: 7300 },
      [
        "oci-ekm:privateKeyPem is set but ignored: existingGatewayId is set: the existing gateway already serves its certificate, nothing is imported",
        "oci-ekm:caValidityDays is set but ignored: existingGatewayId is set, so no certificate is generated",
      ],
    ],
    [
      "static keys and a JWKS cache without token validation",
      { gatewayStaticKeys: [{ kid: "k", kty: "RSA", n: "AQAB", e: "AQAB" }], gatewayJwksCacheHours: 2 },
      [
        'oci-ekm:gatewayStaticKeys is set but ignored: gatewayTokenValidation is "off", not "staticKeys"',
        'oci-ekm:gatewayJwksCacheHours is set but ignored: gatewayTokenValidation is "off": only "remoteJwks" caches a JWKS',
      ],
    ],
    [
      "adoption and key settings for DSM objects made by hand",
      { dsmManageObjects: false, dsmAdopt: true, keys: [{ name: "k1", rotationPolicyDays: 30 }] },
      [
        "oci-ekm:dsmAdopt is set but ignored: dsmManageObjects is false: the DSM objects are used by name, never created or adopted",
        "oci-ekm:keys is set but ignored: dsmManageObjects is false: rotationPolicyDays, rotate and description are not applied to keys made by hand (rotate them in DSM, then create the key reference version with the OCI CLI)",
      ],
    ],
    [
      "an operators group without IAM policies",
      { iamOperatorsGroup: "ekm-operators" },
      ["oci-ekm:iamOperatorsGroup is set but ignored: iamPolicies is not true, so no IAM policy is created"],
    ],
    ["nothing for the shipped defaults", {}, []],
  ];

  it.each(cases)("%s", (_title, change, warnings) => {
    expect(checkEkmConfig(ekmConfigFromObject({ ...GOOD, ...change })).warnings).toEqual(warnings);
  });

  it("loadEkmConfig passes them to pulumi.log.warn", () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue(undefined);
    try {
      loadEkmConfig(ekmConfigFromObject({ ...GOOD, iamOperatorsGroup: "ekm-operators" }));
      expect(warn.mock.calls).toEqual([["oci-ekm:iamOperatorsGroup is set but ignored: iamPolicies is not true, so no IAM policy is created"]]);
    } finally {
      warn.mockRestore();
    }
  });

  it("ignoredKeys is a plain function of what is set", () => {
    expect(ignoredKeys({ set: new Set(["dsmEgressCidr"]), existingSubnetId: "ocid1.subnet.oc1.iad.aaaa", gatewayTokenValidation: "off", iamPolicies: false })).toEqual([
      { key: "dsmEgressCidr", because: "existingSubnetId is set, so no VCN, subnet or security list is created (the existing subnet keeps its own CIDR and rules)" },
    ]);
  });
});
