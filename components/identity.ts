import * as identity from "@pulumi/oci/identity";
import * as pulumi from "@pulumi/pulumi";
import { checkedIdentityDomainUrl, identityDomainUrlProblems } from "./identity-domain-url";
import { ekmArgProblemText } from "./problems";
import {
  DEFAULT_DSM_URL,
  DEFAULT_IDENTITY_ISSUER,
  OCI_EKMS_SCOPE,
  fullyQualifiedScope,
  gatewayBaseUrl,
  identityJwksUri,
  identityTokenUrl,
  normalizeDsmUrl,
  normalizeIdentityDomainUrl,
} from "./urls";

export interface EkmIdentityArgs {
  /** URL of the OCI Identity Domain, `https://idcs-<id>.identity.oraclecloud.com` (a `/` or `:443` suffix is fine). Required. */
  identityDomainUrl: pulumi.Input<string>;
  /** The gateway's private IP; the resource app's primary audience is `https://<ip>/`. Required. */
  gatewayPrivateIp: pulumi.Input<string>;
  /** Fortanix DSM URL, the resource app's secondary audience (DSM checks `aud` against it). Default `https://amer.smartkey.io`. */
  dsmUrl?: pulumi.Input<string>;
  /** Issuer of the domain's tokens, reported for DSM and the gateway. Default `https://identity.oraclecloud.com/`. */
  issuer?: string;
  /** Make the domain's signing certificate public (DSM fetches the JWKS without credentials). Default true. */
  manageSigningCertAccess?: boolean;
  /** The domain's `csrAccess` setting to keep. Default: read from the domain, so it is left as it is. */
  csrAccess?: pulumi.Input<string>;
  /**
   * The private IP of a replica region's gateway (a replicated external vault, Oracle's "Replicating
   * External Vaults"): a second resource app with primary audience `https://<ip>/`, and its scope
   * added to the same client app, whose client ID and secret the replica uses too. Default: none.
   */
  replicaGatewayPrivateIp?: pulumi.Input<string>;
  /**
   * Replicate the domain to a region (the provider's `oci_identity_domain_replication_to_region`),
   * made through the domain's home region. A domain other than the Default one must be replicated
   * to the replica region of a vault before the vault is. Destroying it leaves the replication on
   * (OCI has no way to undo it). Default: none (the Default domain replicates to subscribed regions
   * by itself).
   */
  replicateTo?: EkmIdentityDomainReplicationArgs;
  /** Delete the apps even while active when the stack is destroyed. Default true. */
  forceDelete?: boolean;
  /** Prefix of the app display names. Default: the component name. */
  displayNamePrefix?: string;
}

/** The Identity Domain's replication to another region. */
export interface EkmIdentityDomainReplicationArgs {
  /** OCID of the Identity Domain (`ocid1.domain.…`). Required. */
  domainId: pulumi.Input<string>;
  /** The region to replicate it to. Required. */
  region: string;
}

/**
 * The writable settings of a domain, as `getDomainsSetting` reads them and `DomainsSetting` takes
 * them. `DomainsSetting` create and update are a whole `PutSetting` of the configured fields, so
 * every one of these is carried over from the domain as it is: on a shared production domain the
 * PUT then changes `signingCertPublicAccess` alone.
 */
export const DOMAIN_SETTING_CARRIED_FIELDS = [
  "accountAlwaysTrustScope", "allowedDomains", "allowedForgotPasswordFlowReturnUrls", "allowedNotificationRedirectUrls",
  "auditEventRetentionPeriod", "certificateValidation", "cloudGateCorsSettings", "cloudMigrationCustomUrl", "cloudMigrationUrlEnabled",
  "companyNames", "contactEmails", "csrAccess", "customBranding", "customCssLocation", "customHtmlLocation", "customTranslation",
  "defaultTrustScope", "diagnosticLevel", "diagnosticRecordForSearchIdentifiesReturnedResources", "enableTermsOfUse", "externalId",
  "iamUpstSessionExpiry", "images", "isHostedPage", "issuer", "locale", "loginTexts", "maxNoOfAppCmvaToReturn",
  "maxNoOfAppRoleMembersToReturn", "preferredLanguage", "prevIssuer", "privacyPolicyUrl", "purgeConfigs", "reAuthFactors",
  "reAuthWhenChangingMyAuthenticationFactors", "serviceAdminCannotListOtherUsers", "subMappingAttr", "tags", "tenantCustomClaims",
  "termsOfUseUrl", "timezone",
] as const satisfies readonly (keyof identity.DomainsSettingArgs)[];

/** One carried field's value from what `getDomainsSetting` read (two are lists there and objects here). */
export function carriedDomainSetting(current: Record<string, unknown>, field: (typeof DOMAIN_SETTING_CARRIED_FIELDS)[number]): unknown {
  if (field === "certificateValidation") return (current.certificateValidations as unknown[] | undefined)?.[0];
  if (field === "cloudGateCorsSettings") return (current.cloudGateCorsSettings as unknown[] | undefined)?.[0];
  return current[field];
}

const APP_SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:App";
const SETTINGS_SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:Settings";
/** The template the console's "Confidential Application" uses. */
const CONFIDENTIAL_APP_TEMPLATE = "CustomWebAppTemplateId";

/**
 * The replica resource app's audience, `https://<replica gateway IP>/`, refused when it is the
 * source gateway's too: two resource apps of one domain with one audience, and OCI's token request
 * in the replica region names a scope no app holds apart. Known only once both gateways have their
 * IPs (existing subnets); new subnets that overlap are refused before anything is created.
 */
export function replicaAudienceOf(owner: string, replicaGatewayPrivateIp: pulumi.Input<string>, gatewayPrivateIp: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.all([replicaGatewayPrivateIp, gatewayPrivateIp]).apply(([replicaIp, sourceIp]) => {
    if (replicaIp === sourceIp) {
      throw new Error(
        `${owner}: the replica's gateway has the source gateway's private IP ${replicaIp}; each resource app's audience is its gateway's IP, so the two gateways need different ones (give the replica's subnet another range)`,
      );
    }
    return gatewayBaseUrl(replicaIp);
  });
}

/** What {@link EkmIdentity} refuses before it declares anything: the domain's URL (the same rule the vault and the stack config run) and the DSM URL. */
export function ekmIdentityProblems(args: Pick<EkmIdentityArgs, "identityDomainUrl" | "dsmUrl">): string[] {
  const problems = identityDomainUrlProblems("identityDomainUrl", args.identityDomainUrl).map(ekmArgProblemText);
  if (typeof args.dsmUrl === "string") {
    try {
      normalizeDsmUrl(args.dsmUrl);
    } catch (e) {
      problems.push(`dsmUrl: ${(e as Error).message}`);
    }
  }
  return problems;
}

/**
 * The Identity Domain side of the Fortanix EKM guide, section 6: the domain setting that makes the signing
 * certificate public, the confidential resource app (audience `https://<gateway IP>/`, secondary
 * audience the DSM URL, scope `oci_ekms`) and the confidential client app OCI Vault authenticates as.
 */
export class EkmIdentity extends pulumi.ComponentResource {
  /** The client app's OAuth client ID (its `name`); DSM's JWT app carries the same name. */
  public readonly clientId: pulumi.Output<string>;
  /** The client app's secret (a Pulumi secret). */
  public readonly clientSecret: pulumi.Output<string>;
  /** The resource app's primary audience, `https://<gateway IP>/`. */
  public readonly audience: pulumi.Output<string>;
  /** The fully qualified scope the client requests: audience + `oci_ekms`. */
  public readonly scope: pulumi.Output<string>;
  /** The domain URL without trailing `/` or `:443`. */
  public readonly identityDomainUrl: pulumi.Output<string>;
  public readonly issuer: pulumi.Output<string>;
  /** `<domain>/admin/v1/SigningCert/jwk`. */
  public readonly jwksUri: pulumi.Output<string>;
  /** `<domain>/oauth2/v1/token`. */
  public readonly tokenUrl: pulumi.Output<string>;
  /** The replica's resource app's primary audience, `https://<replica gateway IP>/`; with `replicaGatewayPrivateIp` only. */
  public readonly replicaAudience?: pulumi.Output<string>;
  /** The replica's fully qualified scope, also granted to the client app; with `replicaGatewayPrivateIp` only. */
  public readonly replicaScope?: pulumi.Output<string>;
  public readonly domainSetting?: identity.DomainsSetting;
  public readonly resourceApp: identity.DomainsApp;
  public readonly replicaResourceApp?: identity.DomainsApp;
  public readonly clientApp: identity.DomainsApp;
  /** The domain's replication to `replicateTo.region`; with `replicateTo` only. */
  public readonly domainReplication?: identity.DomainReplicationToRegion;

  constructor(name: string, args: EkmIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = ekmIdentityProblems(args);
    if (problems.length > 0) throw new Error(`EkmIdentity ${name}: ${problems.join("; ")}`);
    super("oci-ekm-fortanix:index:EkmIdentity", name, {}, opts);
    const prefix = args.displayNamePrefix ?? name;
    const forceDelete = args.forceDelete ?? true;

    this.identityDomainUrl = checkedIdentityDomainUrl(`EkmIdentity ${name}`, args.identityDomainUrl).apply(normalizeIdentityDomainUrl);
    const idcsEndpoint = this.identityDomainUrl;
    this.issuer = pulumi.output(args.issuer ?? DEFAULT_IDENTITY_ISSUER);
    this.jwksUri = pulumi.output(args.identityDomainUrl).apply(identityJwksUri);
    this.tokenUrl = pulumi.output(args.identityDomainUrl).apply(identityTokenUrl);
    this.audience = pulumi.output(args.gatewayPrivateIp).apply(gatewayBaseUrl);

    if (args.manageSigningCertAccess ?? true) {
      const current = identity.getDomainsSettingOutput({ idcsEndpoint, settingId: "Settings" }, { parent: this });
      const carried: Record<string, pulumi.Output<unknown>> = {};
      for (const field of DOMAIN_SETTING_CARRIED_FIELDS) {
        carried[field] = current.apply((c) => carriedDomainSetting(c as unknown as Record<string, unknown>, field));
      }
      const settings = {
        ...(carried as unknown as Omit<identity.DomainsSettingArgs, "idcsEndpoint" | "settingId" | "schemas" | "csrAccess">),
        idcsEndpoint,
        settingId: "Settings",
        schemas: [SETTINGS_SCHEMA],
        csrAccess: args.csrAccess ?? current.csrAccess,
        signingCertPublicAccess: true,
      };
      // Deleting a DomainsSetting does nothing in OCI: the signing certificate stays public after a
      // destroy. retainOnDelete makes `pulumi destroy` show it as "[retain]" (the CLI's marker for a
      // resource left in the cloud) instead of reporting a delete that did not happen.
      this.domainSetting = new identity.DomainsSetting(`${name}-signing-cert-access`, settings, { parent: this, retainOnDelete: true });
    }

    const confidentialApp = {
      idcsEndpoint,
      schemas: [APP_SCHEMA],
      basedOnTemplate: { value: CONFIDENTIAL_APP_TEMPLATE },
      active: true,
      isOauthClient: true,
      clientType: "confidential",
      allowedGrants: ["client_credentials"],
      forceDelete,
    };
    // The provider does not mark `clientSecret` sensitive. Its own acceptance test ignores drift in
    // `schemas`, which the domain may extend on its own: a diff there would recur on every preview.
    const appOpts = { parent: this, additionalSecretOutputs: ["clientSecret"], ignoreChanges: ["schemas"] };

    // One resource app per gateway a private endpoint reaches: OCI asks for a token whose audience
    // is that gateway's base URL.
    const resourceApp = (resourceName: string, displayName: string, audience: pulumi.Output<string>, description: string): identity.DomainsApp =>
      new identity.DomainsApp(
        resourceName,
        {
          ...confidentialApp,
          displayName,
          description,
          isOauthResource: true,
          audience,
          secondaryAudiences: [pulumi.output(args.dsmUrl ?? DEFAULT_DSM_URL).apply(normalizeDsmUrl)],
          // displayName and description are part of the provider's hash of each scope: left unset, the
          // domain's own values would show as a change on every run.
          scopes: [{ value: OCI_EKMS_SCOPE, requiresConsent: false, displayName: OCI_EKMS_SCOPE, description: "OCI Vault External Key Management" }],
        },
        appOpts,
      );
    this.resourceApp = resourceApp(`${name}-resource-app`, `${prefix}-resource-app`, this.audience, "OCI Vault EKM: the API Gateway fronting Fortanix DSM (audience and scope oci_ekms)");

    // The client can only be granted a scope that exists: it waits for the resource app (its id),
    // while the value stays the audience this component set.
    this.scope = pulumi.all([this.resourceApp.id, this.audience]).apply(([, audience]) => fullyQualifiedScope(audience));
    const allowedScopes = [{ fqs: this.scope }];
    if (args.replicaGatewayPrivateIp !== undefined) {
      const replicaAudience = replicaAudienceOf(`EkmIdentity ${name}`, args.replicaGatewayPrivateIp, args.gatewayPrivateIp);
      this.replicaAudience = replicaAudience;
      this.replicaResourceApp = resourceApp(
        `${name}-replica-resource-app`,
        `${prefix}-replica-resource-app`,
        replicaAudience,
        "OCI Vault EKM: the replica region's API Gateway fronting Fortanix DSM (audience and scope oci_ekms)",
      );
      this.replicaScope = pulumi.all([this.replicaResourceApp.id, replicaAudience]).apply(([, audience]) => fullyQualifiedScope(audience));
      allowedScopes.push({ fqs: this.replicaScope });
    }
    this.clientApp = new identity.DomainsApp(
      `${name}-client-app`,
      {
        ...confidentialApp,
        displayName: `${prefix}-client-app`,
        description: "OCI Vault EKM: the client OCI Vault authenticates as (client credentials)",
        allowedScopes,
        trustScope: "Explicit",
      },
      appOpts,
    );

    if (args.replicateTo !== undefined) {
      // Read and delete do nothing in the provider: retainOnDelete shows `pulumi destroy` leaving it on.
      this.domainReplication = new identity.DomainReplicationToRegion(
        `${name}-domain-replication`,
        { domainId: args.replicateTo.domainId, replicaRegion: args.replicateTo.region },
        { parent: this, retainOnDelete: true },
      );
    }

    this.clientId = this.clientApp.name;
    this.clientSecret = pulumi.secret(this.clientApp.clientSecret);
    this.registerOutputs({
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      audience: this.audience,
      scope: this.scope,
      identityDomainUrl: this.identityDomainUrl,
      issuer: this.issuer,
      jwksUri: this.jwksUri,
      tokenUrl: this.tokenUrl,
      ...(this.replicaScope ? { replicaAudience: this.replicaAudience, replicaScope: this.replicaScope } : {}),
    });
  }
}
