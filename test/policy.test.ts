// The policy pack's validate functions, called directly with the argument bag the policy server
// builds: the props wrapped in @pulumi/policy's unknown-checking proxy, a reportViolation
// collector, and the policy's config.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as policySdk from "@pulumi/policy";
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { DSM_TYPE_TOKENS } from "../components/dsm/schemas";
import {
  EKM_POLICY_TYPES,
  POLICY_UNKNOWN_SENTINELS,
  clientAppClientCredentialsPolicy,
  deploymentProxyRoutePolicy,
  dsmKeyAesNoExportPolicy,
  dsmKeyNoDestroyPolicy,
  ekmPolicies,
  gatewayPrivateEndpointPolicy,
  keyReferenceExternalAesPolicy,
  resourceAppEkmScopePolicy,
  subnetNoPublicIpPolicy,
  vaultExternalPolicy,
} from "../infra/policy/policies";

type Props = Record<string, unknown>;

// Exported by @pulumi/policy at run time but stripped from its declarations (@internal).
const { unknownCheckingProxy } = policySdk as unknown as { unknownCheckingProxy: (props: Props) => Props };

const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";
const UNKNOWN_BOOLEAN = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7";
const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";

class NotApplicableError extends Error {}

async function validate(
  policy: ResourceValidationPolicy,
  type: string,
  props: Props,
  config: Record<string, unknown> = {},
): Promise<string[]> {
  const messages: string[] = [];
  const report: ReportViolation = (message) => {
    messages.push(message);
  };
  const args: ResourceValidationArgs = {
    type,
    props: unknownCheckingProxy(props),
    urn: `urn:pulumi:dev::oci-ekm::${type}::under-test`,
    name: "under-test",
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    stackTags: new Map<string, string>(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicableError(reason);
    },
  };
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
  for (const validation of validations) {
    await validation?.(args, report);
  }
  return messages;
}

/** Exactly one violation: its first sentence and its fix, word for word. */
function expectOneViolation(messages: string[], what: string, fix: string): void {
  expect(messages).toHaveLength(1);
  expect(messages[0].slice(0, what.length)).toBe(what);
  expect(messages[0].slice(-(fix.length + 5))).toBe(`Fix: ${fix}`);
}

const DSM_URL_VARIABLE = "/${request.path[path]}"; // literal, as OCI must receive it

// Inputs as the topology registers them (reference/oci-wiring.md).
const gateway = (): Props => ({
  compartmentId: "ocid1.compartment.oc1..aaaa",
  displayName: "oci-ekm-gateway",
  endpointType: "PRIVATE",
  subnetId: "ocid1.subnet.oc1..bbbb",
  certificateId: "ocid1.certificate.oc1..cccc",
});
const subnet = (): Props => ({
  compartmentId: "ocid1.compartment.oc1..aaaa",
  vcnId: "ocid1.vcn.oc1..dddd",
  cidrBlock: "10.0.1.0/24",
  prohibitPublicIpOnVnic: true,
  routeTableId: "ocid1.routetable.oc1..eeee",
  securityListIds: ["ocid1.securitylist.oc1..ffff"],
  dnsLabel: "ekm",
});
const deployment = (url = "https://amer.smartkey.io" + DSM_URL_VARIABLE): Props => ({
  compartmentId: "ocid1.compartment.oc1..aaaa",
  gatewayId: "ocid1.apigateway.oc1..gggg",
  pathPrefix: "/",
  specification: {
    routes: [{ path: "/{path*}", methods: ["ANY"], backend: { type: "HTTP_BACKEND", url } }],
  },
});
const resourceApp = (): Props => ({
  idcsEndpoint: "https://idcs-0123.identity.oraclecloud.com",
  schemas: ["urn:ietf:params:scim:schemas:oracle:idcs:App"],
  basedOnTemplate: { value: "CustomWebAppTemplateId" },
  displayName: "oci-ekm-resource",
  active: true,
  isOauthClient: true,
  clientType: "confidential",
  allowedGrants: ["client_credentials"],
  isOauthResource: true,
  audience: "https://10.0.1.10/",
  secondaryAudiences: ["https://amer.smartkey.io"],
  scopes: [{ value: "oci_ekms", requiresConsent: false }],
});
const clientApp = (): Props => ({
  idcsEndpoint: "https://idcs-0123.identity.oraclecloud.com",
  schemas: ["urn:ietf:params:scim:schemas:oracle:idcs:App"],
  basedOnTemplate: { value: "CustomWebAppTemplateId" },
  displayName: "oci-ekm-client",
  active: true,
  isOauthClient: true,
  clientType: "confidential",
  allowedGrants: ["client_credentials"],
  allowedScopes: [{ fqs: "https://10.0.1.10/oci_ekms" }],
  trustScope: "Explicit",
});
const vault = (url: unknown = "https://10.0.1.20/oci/ekm/v1/vaults/5f2e3c1a-8d0b-4a43-9a55-6e7f1c2b3d4e"): Props => ({
  compartmentId: "ocid1.compartment.oc1..aaaa",
  displayName: "oci-ekm-vault",
  vaultType: "EXTERNAL",
  externalKeyManagerMetadata: {
    externalVaultEndpointUrl: url,
    privateEndpointId: "ocid1.ekmsprivateendpoint.oc1..hhhh",
    oauthMetadata: {
      idcsAccountNameUrl: "https://idcs-0123.identity.oraclecloud.com",
      clientAppId: "0123456789abcdef",
      clientAppSecret: "placeholder-not-a-secret",
    },
  },
});
const keyReference = (): Props => ({
  compartmentId: "ocid1.compartment.oc1..aaaa",
  displayName: "oci-ekm-key",
  managementEndpoint: "https://abcd-management.kms.us-ashburn-1.oraclecloud.com",
  keyShape: { algorithm: "AES", length: 32 },
  protectionMode: "EXTERNAL",
  externalKeyReference: { externalKeyId: "oci-ekm-key" },
});
const dsmKey = (): Props => ({
  __provider: "exports.handler = __f0;",
  name: "oci-ekm-key",
  groupId: "7d7a3b8e-1f2a-4c1b-9f0e-2b3c4d5e6f70",
  keySize: 256,
  keyOps: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"],
});

describe("policy pack", () => {
  it("serves nine mandatory policies with unique names", () => {
    expect(ekmPolicies.map((p) => p.name)).toEqual([
      "gateway-private-endpoint",
      "subnet-no-public-ip",
      "deployment-dsm-proxy-route",
      "resource-app-ekm-scope",
      "client-app-client-credentials",
      "vault-external-ekm",
      "key-reference-external-aes-256",
      "dsm-key-aes-256-no-export",
      "dsm-key-no-destroy",
    ]);
    expect(new Set(ekmPolicies.map((p) => p.enforcementLevel))).toEqual(new Set(["mandatory"]));
  });

  it("uses the type tokens of @pulumi/oci 4.20.0", async () => {
    const oci = await import("@pulumi/oci");
    const token = (cls: unknown) => (cls as { __pulumiType: string }).__pulumiType;
    expect(EKM_POLICY_TYPES.gateway).toBe(token(oci.apigateway.Gateway));
    expect(EKM_POLICY_TYPES.deployment).toBe(token(oci.apigateway.Deployment));
    expect(EKM_POLICY_TYPES.subnet).toBe(token(oci.core.Subnet));
    expect(EKM_POLICY_TYPES.domainsApp).toBe(token(oci.identity.DomainsApp));
    expect(EKM_POLICY_TYPES.vault).toBe(token(oci.kms.Vault));
    expect(EKM_POLICY_TYPES.keyReference).toBe(token(oci.kms.Key));
    // The pack keeps its own copy (it imports nothing of the library): it must be the library's token.
    expect(EKM_POLICY_TYPES.dsmSecurityObject).toBe(DSM_TYPE_TOKENS.securityObject);
  });

  it("knows every unknown-value sentinel of @pulumi/policy", () => {
    const here = path.join(__dirname, "..", "package.json");
    const proxy = createRequire(here)("@pulumi/policy/proxy") as Record<string, unknown>;
    const sentinels = Object.entries(proxy)
      .filter(([name]) => /^unknown[A-Z]\w*Value$/.test(name))
      .map(([, value]) => value);
    expect(sentinels).toHaveLength(7);
    expect(new Set(sentinels)).toEqual(new Set(POLICY_UNKNOWN_SENTINELS));
  });

  it("hands the validations a proxy that throws on unknown values (what the skips guard against)", () => {
    const proxied = unknownCheckingProxy({ endpointType: UNKNOWN_STRING });
    expect(() => proxied.endpointType).toThrow(/can't be known during preview/);
  });

  it("declines resources of other types as not applicable", async () => {
    await expect(validate(gatewayPrivateEndpointPolicy, EKM_POLICY_TYPES.subnet, subnet())).rejects.toThrow(
      "Policy only applies to resources of type 'oci:ApiGateway/gateway:Gateway'",
    );
    await expect(validate(dsmKeyNoDestroyPolicy, DSM_TYPE_TOKENS.group, { name: "g" })).rejects.toThrow(
      NotApplicableError,
    );
  });
});

describe("gateway-private-endpoint", () => {
  const run = (props: Props) => validate(gatewayPrivateEndpointPolicy, EKM_POLICY_TYPES.gateway, props);

  it("passes a PRIVATE gateway", async () => {
    expect(await run(gateway())).toEqual([]);
  });

  it("rejects a PUBLIC gateway with the whole message", async () => {
    expect(await run({ ...gateway(), endpointType: "PUBLIC" })).toEqual([
      'API gateway endpointType is "PUBLIC"; it must be "PRIVATE". OCI Vault reaches the key manager only through ' +
        "the EKM private endpoint inside the VCN; a public gateway would put the proxy to DSM (tokens and key " +
        'operations) on the internet. Fix: set endpointType: "PRIVATE" and place the gateway in the private ' +
        "subnet (the gateway is replaced).",
    ]);
  });

  it("rejects a gateway without endpointType", async () => {
    const { endpointType: _omitted, ...props } = gateway();
    const messages = await run(props);
    expectOneViolation(
      messages,
      'API gateway endpointType is not set; it must be "PRIVATE".',
      'set endpointType: "PRIVATE" and place the gateway in the private subnet (the gateway is replaced).',
    );
  });

  it("skips an endpointType unknown during preview", async () => {
    expect(await run({ ...gateway(), endpointType: UNKNOWN_STRING })).toEqual([]);
  });
});

describe("subnet-no-public-ip", () => {
  const run = (props: Props) => validate(subnetNoPublicIpPolicy, EKM_POLICY_TYPES.subnet, props);
  const fix = "set prohibitPublicIpOnVnic: true (the subnet is replaced: the flag is immutable).";

  it("passes a subnet that prohibits public IPs", async () => {
    expect(await run(subnet())).toEqual([]);
  });

  it("passes prohibitInternetIngress alone (OCI copies it to prohibitPublicIpOnVnic)", async () => {
    const { prohibitPublicIpOnVnic: _omitted, ...props } = subnet();
    expect(await run({ ...props, prohibitInternetIngress: true })).toEqual([]);
  });

  it("rejects prohibitPublicIpOnVnic: false", async () => {
    const messages = await run({ ...subnet(), prohibitPublicIpOnVnic: false });
    expectOneViolation(messages, "Subnet prohibitPublicIpOnVnic is false; it must be true.", fix);
    expect(messages[0]).toContain("a VNIC with a public IP exposes the path between OCI Vault and DSM to the internet");
  });

  it("rejects a subnet that leaves the flag unset (OCI's default allows public IPs)", async () => {
    const { prohibitPublicIpOnVnic: _omitted, ...props } = subnet();
    expectOneViolation(await run(props), "Subnet prohibitPublicIpOnVnic is not set; it must be true.", fix);
  });

  it("skips a flag unknown during preview", async () => {
    expect(await run({ ...subnet(), prohibitPublicIpOnVnic: UNKNOWN_BOOLEAN })).toEqual([]);
  });
});

describe("deployment-dsm-proxy-route", () => {
  const run = (props: Props) => validate(deploymentProxyRoutePolicy, EKM_POLICY_TYPES.deployment, props);
  const urlFix =
    'set url to "https://<DSM host>/${request.path[path]}", built by string concatenation so that the variable ' +
    "reaches OCI literally (not a TypeScript template literal).";

  it("passes the catch-all route to DSM, with or without a second route", async () => {
    expect(await run(deployment())).toEqual([]);
    const props = deployment("https://dsm.example.com:8443" + DSM_URL_VARIABLE);
    const spec = props.specification as { routes: unknown[] };
    spec.routes.unshift({ path: "/", methods: ["GET"], backend: { type: "STOCK_RESPONSE_BACKEND", status: 200 } });
    expect(await run(props)).toEqual([]);
  });

  it("rejects a path prefix other than /", async () => {
    expectOneViolation(
      await run({ ...deployment(), pathPrefix: "/ekm" }),
      'API deployment pathPrefix is "/ekm"; it must be "/".',
      'set pathPrefix: "/".',
    );
  });

  it("rejects a deployment without the /{path*} route", async () => {
    const props = deployment();
    (props.specification as { routes: { path: string }[] }).routes[0].path = "/oci/ekm/v1/{path*}";
    const messages = await run(props);
    expectOneViolation(
      messages,
      'API deployment has no route with path "/{path*}".',
      'add a route { path: "/{path*}", methods: ["ANY"], backend: { type: "HTTP_BACKEND", url: "https://<DSM host>/${request.path[path]}" } }.',
    );
  });

  it("rejects a backend that is not HTTP_BACKEND", async () => {
    const props = deployment();
    (props.specification as { routes: { backend: Props }[] }).routes[0].backend = {
      type: "ORACLE_FUNCTIONS_BACKEND",
      functionId: "ocid1.fnfunc.oc1..iiii",
    };
    const messages = await run(props);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/^Route "\/\{path\*\}" has backend type "ORACLE_FUNCTIONS_BACKEND"; it must be "HTTP_BACKEND"\. /);
    expect(messages[1]).toMatch(/^Route "\/\{path\*\}" backend has no url\. /);
  });

  it("rejects an http:// backend", async () => {
    const messages = await run(deployment("http://amer.smartkey.io" + DSM_URL_VARIABLE));
    expectOneViolation(
      messages,
      'Route "/{path*}" backend url "http://amer.smartkey.io/${request.path[path]}" is not an https:// URL.',
      urlFix,
    );
    expect(messages[0]).toContain("bearer token and key requests to DSM unencrypted");
  });

  it("rejects a backend URL without the path variable", async () => {
    const messages = await run(deployment("https://amer.smartkey.io/"));
    expectOneViolation(
      messages,
      'Route "/{path*}" backend url "https://amer.smartkey.io/" does not end with "/${request.path[path]}".',
      urlFix,
    );
    expect(messages[0]).toContain("every request goes to the same DSM path instead of /oci/ekm/v1/...");
  });

  it("rejects a backend with TLS verification disabled", async () => {
    const props = deployment();
    (props.specification as { routes: { backend: Props }[] }).routes[0].backend.isSslVerifyDisabled = true;
    expectOneViolation(
      await run(props),
      'Route "/{path*}" backend has isSslVerifyDisabled: true.',
      "remove isSslVerifyDisabled (DSM presents a certificate the gateway can verify).",
    );
  });

  it("skips values unknown during preview but still checks the known ones", async () => {
    expect(await run(deployment(UNKNOWN_STRING))).toEqual([]);
    expect(await run({ ...deployment(), specification: UNKNOWN_OBJECT })).toEqual([]);
    expect(await run({ ...deployment(), specification: { routes: UNKNOWN_ARRAY } })).toEqual([]);
    expect(await run({ ...deployment(), pathPrefix: "/x", specification: UNKNOWN_OBJECT })).toHaveLength(1);
  });
});

describe("resource-app-ekm-scope", () => {
  const run = (props: Props) => validate(resourceAppEkmScopePolicy, EKM_POLICY_TYPES.domainsApp, props);

  it("passes the resource app of the topology", async () => {
    expect(await run(resourceApp())).toEqual([]);
  });

  it("ignores apps that are not OAuth resources", async () => {
    expect(await run(clientApp())).toEqual([]);
  });

  it("rejects a resource app without the oci_ekms scope", async () => {
    expectOneViolation(
      await run({ ...resourceApp(), scopes: [{ value: "ekms", requiresConsent: false }] }),
      'Resource app has no scope with value "oci_ekms".',
      'add scopes: [{ value: "oci_ekms", requiresConsent: false }].',
    );
    const { scopes: _omitted, ...props } = resourceApp();
    expect(await run(props)).toHaveLength(1);
  });

  it("rejects a resource app without the client-credentials grant", async () => {
    expectOneViolation(
      await run({ ...resourceApp(), allowedGrants: ["authorization_code"] }),
      'Resource app allowedGrants does not include "client_credentials".',
      'set allowedGrants: ["client_credentials"].',
    );
  });

  it("rejects an audience that is not https://", async () => {
    expectOneViolation(
      await run({ ...resourceApp(), audience: "http://10.0.1.10/" }),
      'Resource app audience is "http://10.0.1.10/"; it must be an https:// URL.',
      'set audience to "https://<gateway private IP>/".',
    );
    const { audience: _omitted, ...props } = resourceApp();
    expect((await run(props))[0]).toMatch(/^Resource app audience is not set; it must be an https:\/\/ URL\. /);
  });

  it("reports every broken invariant at once", async () => {
    const messages = await run({ ...resourceApp(), scopes: [], allowedGrants: [], audience: "10.0.1.10" });
    expect(messages.map((m) => m.split(".")[0])).toEqual([
      'Resource app has no scope with value "oci_ekms"',
      'Resource app allowedGrants does not include "client_credentials"',
      'Resource app audience is "10',
    ]);
  });

  it("skips the audience while the gateway IP is unknown, and checks the rest", async () => {
    expect(await run({ ...resourceApp(), audience: UNKNOWN_STRING })).toEqual([]);
    const messages = await run({ ...resourceApp(), audience: UNKNOWN_STRING, allowedGrants: ["password"] });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^Resource app allowedGrants/);
  });
});

describe("client-app-client-credentials", () => {
  const run = (props: Props) => validate(clientAppClientCredentialsPolicy, EKM_POLICY_TYPES.domainsApp, props);

  it("passes the client app of the topology", async () => {
    expect(await run(clientApp())).toEqual([]);
  });

  it("rejects a client app without the client-credentials grant", async () => {
    const messages = await run({ ...clientApp(), allowedGrants: ["authorization_code", "refresh_token"] });
    expectOneViolation(
      messages,
      'Client app allowedGrants does not include "client_credentials".',
      'set allowedGrants: ["client_credentials"].',
    );
    expect(messages[0]).toContain("through the client-credentials grant; without it every key operation fails");
    const { allowedGrants: _omitted, ...props } = clientApp();
    expect(await run(props)).toHaveLength(1);
  });

  it("leaves resource apps to resource-app-ekm-scope and skips unknown grants", async () => {
    expect(await run({ ...resourceApp(), allowedGrants: [] })).toEqual([]);
    expect(await run({ ...clientApp(), allowedGrants: UNKNOWN_ARRAY })).toEqual([]);
    expect(await run({ ...clientApp(), allowedGrants: [UNKNOWN_STRING] })).toEqual([]);
  });
});

describe("vault-external-ekm", () => {
  const run = (props: Props) => validate(vaultExternalPolicy, EKM_POLICY_TYPES.vault, props);
  const urlFix = 'set externalVaultEndpointUrl: "https://<private endpoint IP>/oci/ekm/v1/vaults/<DSM account ID>".';

  it("passes an EXTERNAL vault with the DSM vault URL", async () => {
    expect(await run(vault())).toEqual([]);
    expect(await run(vault("https://gw.ekm.example.com/oci/ekm/v1/vaults/acct-1/"))).toEqual([]);
  });

  it("rejects a vault that is not EXTERNAL", async () => {
    expectOneViolation(
      await run({ ...vault(), vaultType: "DEFAULT" }),
      'Vault vaultType is "DEFAULT"; it must be "EXTERNAL".',
      'set vaultType: "EXTERNAL" with externalKeyManagerMetadata (the vault is replaced).',
    );
  });

  it("rejects an external vault without a URL", async () => {
    const { externalKeyManagerMetadata: _omitted, ...props } = vault();
    expectOneViolation(
      await run(props),
      "External vault has no externalKeyManagerMetadata.externalVaultEndpointUrl.",
      urlFix,
    );
  });

  it("rejects URLs that are not https://<host>/oci/ekm/v1/vaults/<id>", async () => {
    for (const url of [
      "http://10.0.1.20/oci/ekm/v1/vaults/acct-1",
      "https://10.0.1.20/vaults/acct-1",
      "https://10.0.1.20/oci/ekm/v1/vaults/",
      "https://10.0.1.20/prefix/oci/ekm/v1/vaults/acct-1",
    ]) {
      expectOneViolation(
        await run(vault(url)),
        `External vault URL "${url}" does not match https://<host>/oci/ekm/v1/vaults/<id>.`,
        urlFix,
      );
    }
  });

  it("skips a URL unknown until the private endpoint exists", async () => {
    expect(await run(vault(UNKNOWN_STRING))).toEqual([]);
  });
});

describe("key-reference-external-aes-256", () => {
  const run = (props: Props) => validate(keyReferenceExternalAesPolicy, EKM_POLICY_TYPES.keyReference, props);
  const shapeFix = 'set keyShape: { algorithm: "AES", length: 32 } (the key reference is replaced).';

  it("passes an AES-256 EXTERNAL key reference", async () => {
    expect(await run(keyReference())).toEqual([]);
  });

  it("rejects a length in bits instead of bytes", async () => {
    const messages = await run({ ...keyReference(), keyShape: { algorithm: "AES", length: 256 } });
    expectOneViolation(
      messages,
      'Key reference keyShape is { algorithm: "AES", length: 256 }; it must be { algorithm: "AES", length: 32 }.',
      shapeFix,
    );
    expect(messages[0]).toContain("32 bytes = 256 bits");
  });

  it("rejects a non-AES algorithm", async () => {
    expectOneViolation(
      await run({ ...keyReference(), keyShape: { algorithm: "RSA", length: 256 } }),
      'Key reference keyShape is { algorithm: "RSA", length: 256 }; it must be { algorithm: "AES", length: 32 }.',
      shapeFix,
    );
  });

  it("rejects a key reference that is not EXTERNAL, including the HSM default", async () => {
    const fix = 'set protectionMode: "EXTERNAL" with externalKeyReference: { externalKeyId: <DSM security object name> }.';
    expectOneViolation(
      await run({ ...keyReference(), protectionMode: "HSM" }),
      'Key reference protectionMode is "HSM"; it must be "EXTERNAL".',
      fix,
    );
    const { protectionMode: _omitted, ...props } = keyReference();
    expectOneViolation(await run(props), 'Key reference protectionMode is not set; it must be "EXTERNAL".', fix);
  });

  it("rejects an EXTERNAL key reference without the DSM key ID", async () => {
    const { externalKeyReference: _omitted, ...props } = keyReference();
    expectOneViolation(
      await run(props),
      "Key reference has no externalKeyReference.externalKeyId.",
      "set externalKeyReference: { externalKeyId: <DSM security object name> }.",
    );
  });

  it("skips values unknown during preview", async () => {
    expect(await run({ ...keyReference(), externalKeyReference: { externalKeyId: UNKNOWN_STRING } })).toEqual([]);
    expect(await run({ ...keyReference(), keyShape: UNKNOWN_OBJECT })).toEqual([]);
  });
});

describe("dsm-key-aes-256-no-export", () => {
  const run = (props: Props) => validate(dsmKeyAesNoExportPolicy, EKM_POLICY_TYPES.dsmSecurityObject, props);

  it("passes an AES-256 key without EXPORT, and the defaults (keySize and keyOps unset)", async () => {
    expect(await run(dsmKey())).toEqual([]);
    const { keySize: _size, keyOps: _ops, ...defaults } = dsmKey();
    expect(await run(defaults)).toEqual([]);
    expect(await run({ ...dsmKey(), objType: "AES" })).toEqual([]);
  });

  it("rejects a key size other than 256", async () => {
    expectOneViolation(
      await run({ ...dsmKey(), keySize: 128 }),
      "DSM security object keySize is 128; it must be 256.",
      "set keySize: 256 (or leave it unset).",
    );
  });

  it("rejects an exportable key", async () => {
    const messages = await run({ ...dsmKey(), keyOps: ["ENCRYPT", "DECRYPT", "EXPORT"] });
    expectOneViolation(
      messages,
      'DSM security object keyOps include "EXPORT".',
      'remove "EXPORT" from keyOps (e.g. ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"]).',
    );
    expect(messages[0]).toContain("read the raw key material out of DSM");
  });

  it("rejects a key type other than AES", async () => {
    expectOneViolation(
      await run({ ...dsmKey(), objType: "RSA", keySize: 2048 }).then((m) => m.slice(0, 1)),
      'DSM security object objType is "RSA"; it must be "AES".',
      'set objType: "AES" (or leave it unset).',
    );
  });

  it("skips values unknown during preview", async () => {
    expect(await run({ ...dsmKey(), keySize: "3eeb2bf0-c639-47a8-9e75-3b44932eb421", keyOps: UNKNOWN_ARRAY })).toEqual([]);
  });
});

describe("dsm-key-no-destroy", () => {
  const run = (props: Props, config: Record<string, unknown> = {}) =>
    validate(dsmKeyNoDestroyPolicy, EKM_POLICY_TYPES.dsmSecurityObject, props, config);

  it("passes a key without allowDestroy, or with allowDestroy: false", async () => {
    expect(await run(dsmKey())).toEqual([]);
    expect(await run({ ...dsmKey(), allowDestroy: false })).toEqual([]);
  });

  it("rejects allowDestroy: true with the whole message", async () => {
    expect(await run({ ...dsmKey(), allowDestroy: true })).toEqual([
      "DSM security object has allowDestroy: true. Removing it from the stack would destroy the key material in " +
        "DSM, and everything OCI encrypted under the key reference would become unreadable for good. Fix: remove " +
        "allowDestroy (by default the key is disabled and kept in DSM), or for a deliberate teardown run the " +
        'preview with a policy config that sets { "dsm-key-no-destroy": { "allowKeyDestroy": true } }.',
    ]);
  });

  it("accepts allowDestroy: true when the policy config allows key destruction", async () => {
    expect(await run({ ...dsmKey(), allowDestroy: true }, { allowKeyDestroy: true })).toEqual([]);
    expect(await run({ ...dsmKey(), allowDestroy: true }, { allowKeyDestroy: false })).toHaveLength(1);
  });

  it("ships infra/policy/allow-key-destroy.json, a --policy-pack-config that turns it on", async () => {
    const file = path.join(__dirname, "..", "infra", "policy", "allow-key-destroy.json");
    const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, unknown>>;
    expect(config).toEqual({ "dsm-key-no-destroy": { allowKeyDestroy: true } });
    expect(await run({ ...dsmKey(), allowDestroy: true }, config[dsmKeyNoDestroyPolicy.name])).toEqual([]);
  });

  it("declares allowKeyDestroy in its config schema, off by default", () => {
    expect(dsmKeyNoDestroyPolicy.configSchema?.properties.allowKeyDestroy).toMatchObject({
      type: "boolean",
      default: false,
    });
  });
});
