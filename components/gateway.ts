import * as apigateway from "@pulumi/oci/apigateway";
import type * as ociInput from "@pulumi/oci/types/input";
import * as pulumi from "@pulumi/pulumi";
import {
  DEFAULT_DSM_URL,
  EKM_API_PATH,
  GATEWAY_PATH_PREFIX,
  GATEWAY_PATH_VARIABLE,
  GATEWAY_ROUTE_PATH,
  OCI_EKMS_SCOPE,
  dsmHost,
  gatewayBackendUrl,
  gatewayBaseUrl,
} from "./urls";

/** Default hours the gateway caches the remote JWKS. */
export const DEFAULT_JWKS_CACHE_HOURS = 1;

/** Which requests the gateway forwards to DSM. */
export type GatewayRouteKind = "all" | "ekmOnly";

/** The gateway's route: its path under the deployment's prefix `/`, its methods and its backend. */
export interface GatewayRouteShape {
  path: string;
  methods: string[];
  /** The HTTP backend, with the `${request.path[path]}` context variable literal. */
  backendUrl: string;
}

/**
 * The route of each kind. `all` is the Fortanix guide's: `/{path*}`, any method, to
 * `https://<DSM_HOST>/…`, which also lets the VCN reach DSM's management API. `ekmOnly` forwards
 * only Oracle's EKM API: `/oci/ekm/v1/{path*}`, GET and POST, to the same path on DSM.
 */
export function gatewayRoute(kind: GatewayRouteKind, dsmUrl: string): GatewayRouteShape {
  if (kind === "ekmOnly") {
    return { path: EKM_API_PATH + GATEWAY_ROUTE_PATH, methods: ["GET", "POST"], backendUrl: "https://" + dsmHost(dsmUrl) + EKM_API_PATH + "/" + GATEWAY_PATH_VARIABLE };
  }
  return { path: GATEWAY_ROUTE_PATH, methods: ["ANY"], backendUrl: gatewayBackendUrl(dsmUrl) };
}

/** A public key the gateway accepts token signatures from (`STATIC_KEYS`), as a JWK. */
export interface GatewayJsonWebKeyArgs {
  /** Key id, matched against the token's `kid`. Required. */
  kid: string;
  /** Key type. Required; API Gateway takes `RSA`. */
  kty: string;
  /** RSA modulus, base64url. Required. */
  n: string;
  /** RSA exponent, base64url. Required. */
  e: string;
  /** Signature algorithm; API Gateway needs one on every key. Default `RS256`. */
  alg?: string;
  /** Key use. Default `sig`. */
  use?: string;
}

/**
 * Token validation at the gateway (the Azure AD and static-keys API Gateway articles): the deployment checks the bearer token itself
 * before forwarding to DSM, which checks it again.
 */
export interface GatewayTokenValidationArgs {
  /** Where the signing keys come from: `REMOTE_JWKS` (the Identity Domain's JWKS URI) or `STATIC_KEYS`. Default `REMOTE_JWKS`. */
  keySource?: string;
  /** JWKS URI for `REMOTE_JWKS`, reachable without authentication. Required with `REMOTE_JWKS`. */
  jwksUri?: pulumi.Input<string>;
  /** Hours the gateway caches the remote JWKS (1-24). Default 1. */
  maxCacheDurationInHours?: number;
  /** Public keys for `STATIC_KEYS`. Required with `STATIC_KEYS`. */
  staticKeys?: GatewayJsonWebKeyArgs[];
  /** Accepted `iss` values. Required (the topology passes the Identity Domain issuer). */
  issuers: pulumi.Input<pulumi.Input<string>[]>;
  /** Accepted `aud` values. Default: the gateway's base URL `https://<private IP>/`, the primary audience. */
  audiences?: pulumi.Input<pulumi.Input<string>[]>;
  /** Scopes the route accepts (`ANY_OF`). Default `["oci_ekms"]`. */
  allowedScopes?: string[];
  /** Tolerated clock skew between the issuer and the gateway, in seconds. Default: OCI's. */
  maxClockSkewInSeconds?: number;
}

export interface EkmGatewayArgs {
  /** Compartment OCID of the gateway and deployment. Required. */
  compartmentId: pulumi.Input<string>;
  /** Private subnet of the gateway. Required unless `existingGatewayId` is set. */
  subnetId?: pulumi.Input<string>;
  /** OCI Certificates OCID of the gateway's TLS certificate. Required unless `existingGatewayId` is set. */
  certificateId?: pulumi.Input<string>;
  /** Fortanix DSM URL the route forwards to. Default `https://amer.smartkey.io`. */
  dsmUrl?: pulumi.Input<string>;
  /** Network security groups of the gateway. Default: none (the subnet's security list applies). */
  networkSecurityGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** Deploy the route on this existing private gateway instead of creating one. Default: a new gateway. */
  existingGatewayId?: pulumi.Input<string>;
  /** Validate tokens at the gateway as well as at DSM. Default: off (DSM validates them, the Fortanix EKM guide). */
  tokenValidation?: GatewayTokenValidationArgs;
  /**
   * What the gateway forwards: `all` (the Fortanix EKM guide's `/{path*}`, any method) or `ekmOnly` (only
   * `/oci/ekm/v1/{path*}`, GET and POST, so that the VCN cannot reach DSM's management API through
   * the gateway). Changing it updates the deployment in place. A string rather than a union so that
   * Pulumi's component schema can carry it. Default `all`.
   */
  route?: string;
  /** Prefix of the display names. Default: the component name. */
  displayNamePrefix?: string;
}

type AuthenticationPolicy = ociInput.ApiGateway.DeploymentSpecificationRequestPoliciesAuthentication;
type ValidationPolicy = ociInput.ApiGateway.DeploymentSpecificationRequestPoliciesAuthenticationValidationPolicy;

/** The `TOKEN_AUTHENTICATION` request policy of a deployment validating tokens (exported for the sandbox and tests). */
export function gatewayAuthenticationPolicy(
  validation: GatewayTokenValidationArgs,
  defaultAudiences: pulumi.Input<pulumi.Input<string>[]>,
): AuthenticationPolicy {
  const keySource = validation.keySource ?? "REMOTE_JWKS";
  const additionalValidationPolicy = { issuers: validation.issuers, audiences: validation.audiences ?? defaultAudiences };
  let validationPolicy: ValidationPolicy;
  if (keySource === "REMOTE_JWKS") {
    validationPolicy = {
      type: "REMOTE_JWKS",
      uri: validation.jwksUri,
      maxCacheDurationInHours: validation.maxCacheDurationInHours ?? DEFAULT_JWKS_CACHE_HOURS,
      additionalValidationPolicy,
    };
  } else {
    validationPolicy = {
      type: "STATIC_KEYS",
      keys: (validation.staticKeys ?? []).map((k) => ({
        format: "JSON_WEB_KEY",
        kid: k.kid,
        kty: k.kty,
        n: k.n,
        e: k.e,
        alg: k.alg ?? "RS256",
        use: k.use ?? "sig",
      })),
      additionalValidationPolicy,
    };
  }
  return {
    type: "TOKEN_AUTHENTICATION",
    tokenHeader: "Authorization",
    tokenAuthScheme: "Bearer",
    isAnonymousAccessAllowed: false,
    maxClockSkewInSeconds: validation.maxClockSkewInSeconds,
    validationPolicy,
  };
}

/** Problems with token validation arguments, as messages naming the field. */
export function gatewayTokenValidationProblems(v: GatewayTokenValidationArgs): string[] {
  const problems: string[] = [];
  const keySource = v.keySource ?? "REMOTE_JWKS";
  if (keySource !== "REMOTE_JWKS" && keySource !== "STATIC_KEYS") {
    problems.push(`tokenValidation.keySource is "${keySource}"; expected "REMOTE_JWKS" or "STATIC_KEYS"`);
  }
  if (keySource === "REMOTE_JWKS" && v.jwksUri === undefined) problems.push("tokenValidation.jwksUri is required with REMOTE_JWKS");
  if (keySource === "STATIC_KEYS" && (v.staticKeys === undefined || v.staticKeys.length === 0)) {
    problems.push("tokenValidation.staticKeys needs at least one key with STATIC_KEYS");
  }
  for (const [i, k] of (v.staticKeys ?? []).entries()) {
    for (const field of ["kid", "kty", "n", "e"] as const) {
      if (typeof k[field] !== "string" || k[field].length === 0) problems.push(`tokenValidation.staticKeys[${i}].${field} is required`);
    }
  }
  const hours = v.maxCacheDurationInHours;
  if (hours !== undefined && (!Number.isInteger(hours) || hours < 1 || hours > 24)) {
    problems.push(`tokenValidation.maxCacheDurationInHours is ${hours}; expected a whole number from 1 to 24`);
  }
  if (v.allowedScopes !== undefined && v.allowedScopes.length === 0) problems.push("tokenValidation.allowedScopes must not be empty");
  return problems;
}

/**
 * The private API Gateway of the Fortanix EKM guide, section 5.2-5.3: one deployment at `/` with the route
 * `/{path*}` forwarding everything to `https://<DSM_HOST>/${request.path[path]}`, optionally
 * validating tokens first.
 */
export class EkmGateway extends pulumi.ComponentResource {
  /** OCID of the gateway. */
  public readonly gatewayId: pulumi.Output<string>;
  /** The gateway's private IP: the EKM private endpoint's target and, as `https://<ip>/`, the audience. */
  public readonly privateIp: pulumi.Output<string>;
  /** `https://<private IP>/`. */
  public readonly baseUrl: pulumi.Output<string>;
  /** The route's backend URL, `https://<DSM_HOST>/${request.path[path]}`. */
  public readonly backendUrl: pulumi.Output<string>;
  public readonly deploymentId: pulumi.Output<string>;
  public readonly gateway?: apigateway.Gateway;
  public readonly deployment: apigateway.Deployment;

  constructor(name: string, args: EkmGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems: string[] = [];
    if (args.existingGatewayId === undefined) {
      if (args.subnetId === undefined) problems.push("subnetId is required unless existingGatewayId is set");
      if (args.certificateId === undefined) problems.push("certificateId is required unless existingGatewayId is set");
    }
    if (typeof args.dsmUrl === "string") {
      try {
        gatewayBackendUrl(args.dsmUrl);
      } catch (e) {
        problems.push(`dsmUrl: ${(e as Error).message}`);
      }
    }
    if (args.tokenValidation) problems.push(...gatewayTokenValidationProblems(args.tokenValidation));
    if (args.route !== undefined && args.route !== "all" && args.route !== "ekmOnly") problems.push(`route is "${String(args.route)}"; expected "all" or "ekmOnly"`);
    if (problems.length > 0) throw new Error(`EkmGateway ${name}: ${problems.join("; ")}`);
    super("oci-ekm-fortanix:index:EkmGateway", name, {}, opts);
    const prefix = args.displayNamePrefix ?? name;

    if (args.existingGatewayId !== undefined) {
      this.gatewayId = pulumi.output(args.existingGatewayId);
      const existing = apigateway.getGatewayOutput({ gatewayId: args.existingGatewayId }, { parent: this });
      this.privateIp = existing.ipAddresses.apply((a) => firstIp(a, name));
    } else {
      this.gateway = new apigateway.Gateway(
        `${name}-gateway`,
        {
          compartmentId: args.compartmentId,
          displayName: `${prefix}-gateway`,
          endpointType: "PRIVATE",
          subnetId: args.subnetId!,
          certificateId: args.certificateId,
          networkSecurityGroupIds: args.networkSecurityGroupIds,
        },
        { parent: this },
      );
      this.gatewayId = this.gateway.id;
      this.privateIp = this.gateway.ipAddresses.apply((a) => firstIp(a, name));
    }
    this.baseUrl = this.privateIp.apply(gatewayBaseUrl);
    const route = pulumi.output(args.dsmUrl ?? DEFAULT_DSM_URL).apply((url) => gatewayRoute((args.route ?? "all") as GatewayRouteKind, url));
    this.backendUrl = route.backendUrl;

    const validation = args.tokenValidation;
    this.deployment = new apigateway.Deployment(
      `${name}-deployment`,
      {
        compartmentId: args.compartmentId,
        gatewayId: this.gatewayId,
        displayName: `${prefix}-deployment`,
        pathPrefix: GATEWAY_PATH_PREFIX,
        specification: {
          requestPolicies: validation ? { authentication: gatewayAuthenticationPolicy(validation, [this.baseUrl]) } : undefined,
          routes: [
            {
              path: route.path,
              methods: route.methods,
              backend: { type: "HTTP_BACKEND", url: this.backendUrl },
              requestPolicies: validation
                ? { authorization: { type: "ANY_OF", allowedScopes: validation.allowedScopes ?? [OCI_EKMS_SCOPE] } }
                : undefined,
            },
          ],
        },
      },
      { parent: this },
    );
    this.deploymentId = this.deployment.id;

    this.registerOutputs({
      gatewayId: this.gatewayId,
      privateIp: this.privateIp,
      baseUrl: this.baseUrl,
      backendUrl: this.backendUrl,
      deploymentId: this.deploymentId,
    });
  }
}

function firstIp(addresses: { ipAddress?: string }[] | undefined, name: string): string {
  const ip = addresses?.find((a) => a.ipAddress)?.ipAddress;
  if (!ip) throw new Error(`EkmGateway ${name}: the gateway reports no private IP address`);
  return ip;
}
