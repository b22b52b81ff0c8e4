// The invariants of the EKM topology (the Fortanix EKM guide) as mandatory resource policies. Each policy is
// exported on its own so tests can call its validate function directly; `ekmPolicies` is what the
// pack serves.
//
// This file imports nothing but types from @pulumi/policy: the pack is loaded by the Pulumi CLI
// from this directory, and depending on @pulumi/oci here would make every pack install pull the
// OCI provider. Type tokens are therefore plain strings, checked against the `__pulumiType` of
// each class in @pulumi/oci 4.20.0.

import type {
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
} from "@pulumi/policy";

/** Pulumi type tokens of the resources the pack checks. */
export const EKM_POLICY_TYPES = {
  gateway: "oci:ApiGateway/gateway:Gateway",
  deployment: "oci:ApiGateway/deployment:Deployment",
  subnet: "oci:Core/subnet:Subnet",
  domainsApp: "oci:Identity/domainsApp:DomainsApp",
  vault: "oci:Kms/vault:Vault",
  keyReference: "oci:Kms/key:Key",
  dsmSecurityObject: "pulumi-nodejs:dynamic/dsm:SecurityObject",
} as const;

/** Policy config of `dsm-key-no-destroy`. */
export interface DsmKeyNoDestroyConfig {
  /** Let DSM security objects carry `allowDestroy: true` (a deliberate teardown). Default false. */
  allowKeyDestroy?: boolean;
}

/** The deployment route that forwards every EKM path to DSM. */
export const EKM_PROXY_ROUTE_PATH = "/{path*}";
/** The API Gateway context variable that must end the backend URL, literally. */
export const EKM_BACKEND_PATH_VARIABLE = "/${request.path[path]}";
/** The scope OCI Vault asks the identity domain for. */
export const EKM_SCOPE = "oci_ekms";

// ---------------------------------------------------------------------------------------------
// Reading inputs that may be unknown during preview.
//
// The policy server hands validations a proxy that throws as soon as an unknown value (an output
// of a resource not created yet, e.g. the gateway's private IP inside the audience) is read, and
// reports the whole policy as "can't run during preview". Reading the raw object behind the proxy
// and recognising the engine's unknown sentinels lets each check skip only the value it cannot
// see, while the other checks of the same resource still run.

const UNKNOWN: unique symbol = Symbol("unknown during preview");
type Unknown = typeof UNKNOWN;

// The engine's placeholders for unknown values, one per value kind (@pulumi/policy 1.21.0 proxy.js;
// test/policy.test.ts checks that the list still matches).
export const POLICY_UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

// The key under which @pulumi/policy's proxy returns the object it wraps.
const PROXY_TARGET_KEY = "__getSpecialProxyTarget";

function isUnknown(value: unknown): value is Unknown {
  return value === UNKNOWN || (typeof value === "string" && POLICY_UNKNOWN_SENTINELS.has(value));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function rawProps(props: Record<string, unknown>): Record<string, unknown> {
  const target = props[PROXY_TARGET_KEY];
  return isRecord(target) ? target : props;
}

/** The value at `path`, UNKNOWN if it (or an object on the way) is unknown, undefined if absent. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (isUnknown(current)) return UNKNOWN;
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return isUnknown(current) ? UNKNOWN : current;
}

type Verdict = "yes" | "no" | "unknown";

/** Whether some element of a list satisfies `test`; "unknown" when only an unknown one could. */
function someElement(list: unknown, test: (element: unknown) => boolean): Verdict {
  if (isUnknown(list)) return "unknown";
  if (!Array.isArray(list)) return "no";
  let sawUnknown = false;
  for (const element of list) {
    if (isUnknown(element)) sawUnknown = true;
    else if (test(element)) return "yes";
  }
  return sawUnknown ? "unknown" : "no";
}

function show(value: unknown): string {
  if (value === undefined) return "not set";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** "<what> <why> Fix: <fix>" — the shape of every message of the pack. */
function violation(what: string, why: string, fix: string): string {
  return `${what} ${why} Fix: ${fix}`;
}

type Props = Record<string, unknown>;
type TypedValidation = (props: Props, args: ResourceValidationArgs, report: ReportViolation) => void;

/**
 * Like `validateResourceOfType`, for a type token instead of a class. The `__pulumiType` property
 * is what the policy server reads to skip other types without calling the function.
 */
function forType(type: string, validate: TypedValidation): ResourceValidation {
  const fn: ResourceValidation = (args, report) => {
    if (args.type !== type) {
      args.notApplicable(`Policy only applies to resources of type '${type}'`);
    }
    validate(rawProps(args.props), args, report);
  };
  return Object.assign(fn, { __pulumiType: type });
}

// ---------------------------------------------------------------------------------------------
// Network and gateway

export const gatewayPrivateEndpointPolicy: ResourceValidationPolicy = {
  name: "gateway-private-endpoint",
  description: "The API gateway in front of DSM must be PRIVATE.",
  enforcementLevel: "mandatory",
  validateResource: forType(EKM_POLICY_TYPES.gateway, (props, _args, report) => {
    const endpointType = at(props, "endpointType");
    if (isUnknown(endpointType) || endpointType === "PRIVATE") return;
    report(
      violation(
        `API gateway endpointType is ${show(endpointType)}; it must be "PRIVATE".`,
        "OCI Vault reaches the key manager only through the EKM private endpoint inside the VCN; a public gateway would put the proxy to DSM (tokens and key operations) on the internet.",
        'set endpointType: "PRIVATE" and place the gateway in the private subnet (the gateway is replaced).',
      ),
    );
  }),
};

export const subnetNoPublicIpPolicy: ResourceValidationPolicy = {
  name: "subnet-no-public-ip",
  description: "The subnet of the gateway and the EKM private endpoint must prohibit public IPs.",
  enforcementLevel: "mandatory",
  validateResource: forType(EKM_POLICY_TYPES.subnet, (props, _args, report) => {
    const prohibitPublicIp = at(props, "prohibitPublicIpOnVnic");
    if (isUnknown(prohibitPublicIp) || prohibitPublicIp === true) return;
    // OCI applies prohibitInternetIngress to prohibitPublicIpOnVnic when only the former is given.
    const prohibitIngress = at(props, "prohibitInternetIngress");
    if (prohibitPublicIp === undefined && (isUnknown(prohibitIngress) || prohibitIngress === true)) return;
    report(
      violation(
        `Subnet prohibitPublicIpOnVnic is ${show(prohibitPublicIp)}; it must be true.`,
        "The API gateway and the EKM private endpoint live in this subnet; a VNIC with a public IP exposes the path between OCI Vault and DSM to the internet, and EKM expects a private subnet reached through NAT.",
        "set prohibitPublicIpOnVnic: true (the subnet is replaced: the flag is immutable).",
      ),
    );
  }),
};

function isHttpsProxyUrl(url: string): boolean {
  // https://<host>[/<prefix>]/${request.path[path]}: the variable must be the last path segment.
  return /^https:\/\/[^/\s]+(\/\S*)?$/.test(url) && url.endsWith(EKM_BACKEND_PATH_VARIABLE);
}

export const deploymentProxyRoutePolicy: ResourceValidationPolicy = {
  name: "deployment-dsm-proxy-route",
  description: 'The gateway deployment must forward "/{path*}" to DSM over HTTPS with the path variable.',
  enforcementLevel: "mandatory",
  validateResource: forType(EKM_POLICY_TYPES.deployment, (props, _args, report) => {
    const pathPrefix = at(props, "pathPrefix");
    if (!isUnknown(pathPrefix) && pathPrefix !== "/") {
      report(
        violation(
          `API deployment pathPrefix is ${show(pathPrefix)}; it must be "/".`,
          "OCI Vault calls /oci/ekm/v1/... at the root of the gateway, so any other prefix turns every EKM request into a 404.",
          'set pathPrefix: "/".',
        ),
      );
    }

    const routes = at(props, "specification", "routes");
    if (isUnknown(routes)) return;
    const list = Array.isArray(routes) ? routes : [];
    const proxyRoutes = list.filter((route) => at(route, "path") === EKM_PROXY_ROUTE_PATH);
    if (proxyRoutes.length === 0) {
      if (list.some((route) => isUnknown(route) || isUnknown(at(route, "path")))) return;
      report(
        violation(
          `API deployment has no route with path "${EKM_PROXY_ROUTE_PATH}".`,
          "The gateway must forward every EKM path (/oci/ekm/v1/...) unchanged to DSM; without this catch-all route OCI Vault's requests never reach DSM.",
          `add a route { path: "${EKM_PROXY_ROUTE_PATH}", methods: ["ANY"], backend: { type: "HTTP_BACKEND", url: "https://<DSM host>${EKM_BACKEND_PATH_VARIABLE}" } }.`,
        ),
      );
      return;
    }

    for (const route of proxyRoutes) {
      const backendType = at(route, "backend", "type");
      if (!isUnknown(backendType) && backendType !== "HTTP_BACKEND") {
        report(
          violation(
            `Route "${EKM_PROXY_ROUTE_PATH}" has backend type ${show(backendType)}; it must be "HTTP_BACKEND".`,
            "DSM's EKM API is an HTTPS service that the gateway must proxy as an HTTP backend.",
            'set backend.type: "HTTP_BACKEND" with the DSM URL.',
          ),
        );
      }
      const url = at(route, "backend", "url");
      if (!isUnknown(url) && !(typeof url === "string" && isHttpsProxyUrl(url))) {
        const [what, why] =
          typeof url !== "string" || url === ""
            ? [
                `Route "${EKM_PROXY_ROUTE_PATH}" backend has no url.`,
                "The gateway has nowhere to forward OCI Vault's requests, so no key operation reaches DSM.",
              ]
            : !url.startsWith("https://")
              ? [
                  `Route "${EKM_PROXY_ROUTE_PATH}" backend url ${show(url)} is not an https:// URL.`,
                  "The gateway would send OCI Vault's bearer token and key requests to DSM unencrypted, and DSM serves its EKM API over HTTPS only.",
                ]
              : [
                  `Route "${EKM_PROXY_ROUTE_PATH}" backend url ${show(url)} does not end with "${EKM_BACKEND_PATH_VARIABLE}".`,
                  "Without the context variable every request goes to the same DSM path instead of /oci/ekm/v1/..., so no key operation succeeds.",
                ];
        report(
          violation(
            what,
            why,
            `set url to "https://<DSM host>${EKM_BACKEND_PATH_VARIABLE}", built by string concatenation so that the variable reaches OCI literally (not a TypeScript template literal).`,
          ),
        );
      }
      if (at(route, "backend", "isSslVerifyDisabled") === true) {
        report(
          violation(
            `Route "${EKM_PROXY_ROUTE_PATH}" backend has isSslVerifyDisabled: true.`,
            "The gateway would accept any certificate for DSM, so anyone on the path could read OCI Vault's tokens and key requests.",
            "remove isSslVerifyDisabled (DSM presents a certificate the gateway can verify).",
          ),
        );
      }
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// Identity domain

function grantsClientCredentials(props: Props): Verdict {
  return someElement(at(props, "allowedGrants"), (grant) => grant === "client_credentials");
}

export const resourceAppEkmScopePolicy: ResourceValidationPolicy = {
  name: "resource-app-ekm-scope",
  description: 'The OAuth resource app must define the scope "oci_ekms", allow client credentials and have an https:// audience.',
  enforcementLevel: "mandatory",
  validateResource: forType(EKM_POLICY_TYPES.domainsApp, (props, _args, report) => {
    if (at(props, "isOauthResource") !== true) return;

    const scope = someElement(at(props, "scopes"), (s) => at(s, "value") === EKM_SCOPE);
    if (scope === "no") {
      report(
        violation(
          `Resource app has no scope with value "${EKM_SCOPE}".`,
          `OCI Vault requests a token for the fully qualified scope <audience>${EKM_SCOPE}; without this scope the identity domain refuses the token and the vault cannot reach DSM.`,
          `add scopes: [{ value: "${EKM_SCOPE}", requiresConsent: false }].`,
        ),
      );
    }
    if (grantsClientCredentials(props) === "no") {
      report(
        violation(
          'Resource app allowedGrants does not include "client_credentials".',
          "OCI Vault authenticates to the identity domain with the client-credentials grant only.",
          'set allowedGrants: ["client_credentials"].',
        ),
      );
    }
    const audience = at(props, "audience");
    if (!isUnknown(audience) && !(typeof audience === "string" && /^https:\/\/\S+$/.test(audience))) {
      report(
        violation(
          `Resource app audience is ${show(audience)}; it must be an https:// URL.`,
          `The audience names the gateway the token is for (https://<gateway private IP>/) and prefixes the fully qualified scope <audience>${EKM_SCOPE}; EKM only talks HTTPS, so any other audience never matches.`,
          'set audience to "https://<gateway private IP>/".',
        ),
      );
    }
  }),
};

export const clientAppClientCredentialsPolicy: ResourceValidationPolicy = {
  name: "client-app-client-credentials",
  description: "OAuth client apps must allow the client-credentials grant.",
  enforcementLevel: "mandatory",
  validateResource: forType(EKM_POLICY_TYPES.domainsApp, (props, _args, report) => {
    const isResource = at(props, "isOauthResource");
    if (isUnknown(isResource) || isResource === true) return; // resource-app-ekm-scope covers it
    if (at(props, "isOauthClient") !== true) return;
    if (grantsClientCredentials(props) !== "no") return;
    report(
      violation(
        'Client app allowedGrants does not include "client_credentials".',
        "OCI Vault obtains its token for DSM with the client ID and secret stored in the vault, through the client-credentials grant; without it every key operation fails at the token request.",
        'set allowedGrants: ["client_credentials"].',
      ),
    );
  }),
};

// ---------------------------------------------------------------------------------------------
// Vault and key references

const EXTERNAL_VAULT_URL = /^https:\/\/[^/\s]+\/oci\/ekm\/v1\/vaults\/[^/\s]+\/?$/;

export const vaultExternalPolicy: ResourceValidationPolicy = {
  name: "vault-external-ekm",
  description: "The vault must be EXTERNAL with an https://<host>/oci/ekm/v1/vaults/<id> URL.",
  enforcementLevel: "mandatory",
  validateResource: forType(EKM_POLICY_TYPES.vault, (props, _args, report) => {
    const vaultType = at(props, "vaultType");
    if (isUnknown(vaultType)) return;
    if (vaultType !== "EXTERNAL") {
      report(
        violation(
          `Vault vaultType is ${show(vaultType)}; it must be "EXTERNAL".`,
          "Only an EXTERNAL vault keeps the key material in Fortanix DSM; any other type creates keys inside OCI and the stack is not EKM.",
          'set vaultType: "EXTERNAL" with externalKeyManagerMetadata (the vault is replaced).',
        ),
      );
      return;
    }
    const url = at(props, "externalKeyManagerMetadata", "externalVaultEndpointUrl");
    if (isUnknown(url)) return;
    if (url === undefined || url === "") {
      report(
        violation(
          "External vault has no externalKeyManagerMetadata.externalVaultEndpointUrl.",
          "OCI Vault sends every key operation to this URL through the EKM private endpoint; without it the vault cannot be created.",
          'set externalVaultEndpointUrl: "https://<private endpoint IP>/oci/ekm/v1/vaults/<DSM account ID>".',
        ),
      );
      return;
    }
    if (!(typeof url === "string" && EXTERNAL_VAULT_URL.test(url))) {
      report(
        violation(
          `External vault URL ${show(url)} does not match https://<host>/oci/ekm/v1/vaults/<id>.`,
          "DSM serves the OCI EKM API under /oci/ekm/v1/vaults/<DSM account ID>, over HTTPS only; any other URL makes vault creation and every key operation fail.",
          'set externalVaultEndpointUrl: "https://<private endpoint IP>/oci/ekm/v1/vaults/<DSM account ID>".',
        ),
      );
    }
  }),
};

export const keyReferenceExternalAesPolicy: ResourceValidationPolicy = {
  name: "key-reference-external-aes-256",
  description: "Key references must be AES, 32 bytes, protection mode EXTERNAL.",
  enforcementLevel: "mandatory",
  validateResource: forType(EKM_POLICY_TYPES.keyReference, (props, _args, report) => {
    const algorithm = at(props, "keyShape", "algorithm");
    const length = at(props, "keyShape", "length");
    const algorithmWrong = !isUnknown(algorithm) && algorithm !== "AES";
    const lengthWrong = !isUnknown(length) && length !== 32;
    if (algorithmWrong || lengthWrong) {
      const shape = `{ algorithm: ${show(algorithm)}, length: ${show(length)} }`;
      report(
        violation(
          `Key reference keyShape is ${shape}; it must be { algorithm: "AES", length: 32 }.`,
          "EKM accepts only AES-256 keys (the length is in bytes: 32 bytes = 256 bits), matching the AES-256 security object in DSM.",
          'set keyShape: { algorithm: "AES", length: 32 } (the key reference is replaced).',
        ),
      );
    }
    const protectionMode = at(props, "protectionMode");
    if (isUnknown(protectionMode)) return;
    if (protectionMode !== "EXTERNAL") {
      report(
        violation(
          `Key reference protectionMode is ${show(protectionMode)}; it must be "EXTERNAL".`,
          "Without EXTERNAL, OCI creates a key in its own HSM (the default) instead of referencing the DSM key, so the key material is not held by DSM.",
          'set protectionMode: "EXTERNAL" with externalKeyReference: { externalKeyId: <DSM security object name> }.',
        ),
      );
      return;
    }
    const externalKeyId = at(props, "externalKeyReference", "externalKeyId");
    if (!isUnknown(externalKeyId) && (typeof externalKeyId !== "string" || externalKeyId === "")) {
      report(
        violation(
          "Key reference has no externalKeyReference.externalKeyId.",
          "OCI finds the key in DSM by this ID (the security object's name); without it the key reference cannot be created.",
          "set externalKeyReference: { externalKeyId: <DSM security object name> }.",
        ),
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// DSM security objects (dynamic resources; their props are the resource's camelCase inputs)

export const dsmKeyAesNoExportPolicy: ResourceValidationPolicy = {
  name: "dsm-key-aes-256-no-export",
  description: "DSM security objects must be AES-256 keys without the EXPORT operation.",
  enforcementLevel: "mandatory",
  validateResource: forType(EKM_POLICY_TYPES.dsmSecurityObject, (props, _args, report) => {
    const objType = at(props, "objType");
    if (!isUnknown(objType) && objType !== undefined && objType !== "AES") {
      report(
        violation(
          `DSM security object objType is ${show(objType)}; it must be "AES".`,
          "OCI EKM key references are AES keys; DSM refuses OCI's wrap and unwrap requests for any other key type.",
          'set objType: "AES" (or leave it unset).',
        ),
      );
    }
    // keySize defaults to 256 when absent.
    const keySize = at(props, "keySize");
    if (!isUnknown(keySize) && keySize !== undefined && keySize !== 256) {
      report(
        violation(
          `DSM security object keySize is ${show(keySize)}; it must be 256.`,
          "The OCI key reference is AES-256 (keyShape length 32 bytes); a DSM key of another size does not match it and EKM cannot use it.",
          "set keySize: 256 (or leave it unset).",
        ),
      );
    }
    const exportable = someElement(at(props, "keyOps"), (op) => typeof op === "string" && op.toUpperCase() === "EXPORT");
    if (exportable === "yes") {
      report(
        violation(
          'DSM security object keyOps include "EXPORT".',
          "EXPORT lets an authorised caller read the raw key material out of DSM, which defeats holding the key outside OCI.",
          'remove "EXPORT" from keyOps (e.g. ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"]).',
        ),
      );
    }
  }),
};

export const dsmKeyNoDestroyPolicy: ResourceValidationPolicy = {
  name: "dsm-key-no-destroy",
  description: "DSM security objects must not set allowDestroy unless the policy config allows it.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowKeyDestroy: {
        type: "boolean",
        default: false,
        description: "Allow allowDestroy: true on DSM security objects, for a deliberate teardown.",
      },
    },
  },
  validateResource: forType(EKM_POLICY_TYPES.dsmSecurityObject, (props, args, report) => {
    if (at(props, "allowDestroy") !== true) return;
    if (args.getConfig<DsmKeyNoDestroyConfig>().allowKeyDestroy === true) return;
    report(
      violation(
        "DSM security object has allowDestroy: true.",
        "Removing it from the stack would destroy the key material in DSM, and everything OCI encrypted under the key reference would become unreadable for good.",
        'remove allowDestroy (by default the key is disabled and kept in DSM), or for a deliberate teardown run the preview with a policy config that sets { "dsm-key-no-destroy": { "allowKeyDestroy": true } }.',
      ),
    );
  }),
};

/** Every policy of the pack, in the order a reviewer reads the topology. */
export const ekmPolicies: ResourceValidationPolicy[] = [
  gatewayPrivateEndpointPolicy,
  subnetNoPublicIpPolicy,
  deploymentProxyRoutePolicy,
  resourceAppEkmScopePolicy,
  clientAppClientCredentialsPolicy,
  vaultExternalPolicy,
  keyReferenceExternalAesPolicy,
  dsmKeyAesNoExportPolicy,
  dsmKeyNoDestroyPolicy,
];
