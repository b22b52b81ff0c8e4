import { readFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readPlanStackConfig, runStackInProcess } from "../components/plan";
import { EKM_CONFIG_KEYS, EkmConfigError, ekmConfigFromObject, loadEkmConfig } from "../infra/config";
import { ekmTopologyArgsFromConfig, runEkmStack } from "../infra/stack";

const root = path.resolve(__dirname, "..");

const GOOD = {
  compartmentId: "ocid1.compartment.oc1..aaaaaaaa7x5wq3tq2kqm",
  gatewayHostname: "ekm-gateway.example.com",
  dsmAccountId: "5f2b7e0c-1234-4c8e-9a6d-0123456789ab",
  identityDomainUrl: "https://idcs-0123456789abcdef.identity.oraclecloud.com",
};

const CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n";

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
    const c = loadEkmConfig(ekmConfigFromObject({ ...GOOD, certificatePem: CERT, certChainPem: CERT, privateKeyPem: KEY }));
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
    ["identity domain URL missing", { identityDomainUrl: undefined }, "identityDomainUrl", /oci-ekm:identityDomainUrl is not set; expected an https URL/],
    ["identity domain URL with a path", { identityDomainUrl: "https://idcs-x.identity.oraclecloud.com/ui/v1/adminconsole" }, "identityDomainUrl", /expected an https URL without path/],
    ["vault URL host not in the list", { vaultUrlHost: "keyManager" }, "vaultUrlHost", /is "keyManager"; expected one of "privateEndpoint", "gateway"/],
    ["protect that is not a boolean", { protect: "yes" }, "protect", /oci-ekm:protect is "yes"; expected true or false/],
    ["dsmAdopt that is not a boolean", { dsmAdopt: "sometimes" }, "dsmAdopt", /oci-ekm:dsmAdopt is "sometimes"; expected true or false/],
    ["empty key list", { keys: [] }, "keys", /oci-ekm:keys is \[\]; expected a non-empty list/],
    ["key list that is not JSON", { keys: "oci-ekm-key" }, "keys", /oci-ekm:keys is "oci-ekm-key"; expected a non-empty list/],
    ["key name with a space", { keys: [{ name: "my key" }] }, "keys", /keys\[0\]\.name \(given "my key"\) to be a security object name/],
    ["duplicate key names", { keys: [{ name: "k1" }, { name: "k1" }] }, "keys", /unique names/],
    ["key with an unknown field", { keys: [{ name: "k1", size: 256 }] }, "keys", /only the fields name, description, rotationPolicyDays \(unknown: size\)/],
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
    const line = error.message.split("\n").find((l) => l.trim().startsWith(`oci-ekm:${key} `));
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

  it("declares exactly the keys the program reads, with description, type and secrecy", () => {
    expect(Object.keys(project.config).sort()).toEqual(EKM_CONFIG_KEYS.map((k) => k.key).sort());
    const pulumiType = { string: "string", integer: "integer", boolean: "boolean", list: undefined } as const;
    for (const spec of EKM_CONFIG_KEYS) {
      const declared = project.config[spec.key];
      expect(declared.description, spec.key).toBeTruthy();
      expect(declared.type, spec.key).toBe(pulumiType[spec.kind]);
      expect(declared.secret ?? false, spec.key).toBe(spec.secret ?? false);
    }
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

describe("DSM object management from the stack config", () => {
  it("reaches the topology: objects made by hand are not created, adoption is opt-in", () => {
    const c = loadEkmConfig(ekmConfigFromObject({ ...GOOD, dsmManageObjects: "false", dsmAdopt: "true" }));
    expect(ekmTopologyArgsFromConfig(c).dsm).toEqual({
      accountId: GOOD.dsmAccountId,
      groupName: "oci-ekm",
      keys: [{ name: "oci-ekm-key" }],
      manageObjects: false,
      adopt: true,
    });
  });
});
