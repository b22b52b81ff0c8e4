// The DSM resources: what section 9 of the Fortanix EKM guide does by hand in the DSM console (group, JWT app,
// AES-256 security object), as Pulumi dynamic resources.
import * as pulumi from "@pulumi/pulumi";
import { DsmGroupProvider, DsmJwtAppProvider, DsmSecurityObjectProvider } from "./provider";
import { dsmProviderModule } from "./provider-module";
import { DSM_TYPE_TOKENS } from "./schemas";

// One provider object per kind: Pulumi serializes a provider once per object, so sharing it keeps
// registration cheap. Created lazily so that importing the package costs nothing.
let sharedGroupProvider: DsmGroupProvider | undefined;
let sharedJwtAppProvider: DsmJwtAppProvider | undefined;
let sharedSecurityObjectProvider: DsmSecurityObjectProvider | undefined;

/** The provider instance every {@link DsmGroup} uses. */
export function dsmGroupProvider(): DsmGroupProvider {
  return (sharedGroupProvider ??= new DsmGroupProvider());
}
/** The provider instance every {@link DsmJwtApp} uses. */
export function dsmJwtAppProvider(): DsmJwtAppProvider {
  return (sharedJwtAppProvider ??= new DsmJwtAppProvider());
}
/** The provider instance every {@link DsmSecurityObject} uses. */
export function dsmSecurityObjectProvider(): DsmSecurityObjectProvider {
  return (sharedSecurityObjectProvider ??= new DsmSecurityObjectProvider());
}

/**
 * The props of a dynamic resource: the args, every declared output name present (undefined when not
 * an input) so that Pulumi creates an Output for each, and the serialized provider as `__provider`.
 * This is what `pulumi.dynamic.Resource` registers, with the provider text from
 * {@link dsmProviderModule} (compressed when large).
 */
function dynamicProps<A extends object>(provider: object, args: A, outputs: readonly string[]): Record<string, unknown> {
  const props: Record<string, unknown> = { ...(args as Record<string, unknown>) };
  if ("__provider" in props) throw new Error("a DSM resource must not define the __provider input");
  for (const name of outputs) if (!(name in props)) props[name] = undefined;
  props.__provider = dsmProviderModule(provider);
  return props;
}

/**
 * Inputs of a {@link DsmGroup}. DSM credentials are never inputs: set `DSM_API_KEY` (or `DSM_USERNAME`,
 * `DSM_PASSWORD`, `DSM_ACCT_ID`) in the environment, or the stack config `dsm:apiKey` (secret) etc.
 */
export interface DsmGroupArgs {
  /** Group name in DSM ("Title" in the console). Required. */
  name: pulumi.Input<string>;
  /** Description. Default: none; when omitted, whatever DSM has is left alone. */
  description?: pulumi.Input<string>;
  /** DSM URL, e.g. `https://amer.smartkey.io`. Default: stack config `dsm:endpoint`, else `DSM_ENDPOINT`. */
  endpoint?: pulumi.Input<string>;
  /** Take over an existing group of this name (its description is reconciled) instead of failing. Default: false. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A DSM group (type `DSM_TYPE_TOKENS.group`). Renames and description changes update it in place.
 * On delete, a group that still holds security objects (kept keys, rotated-away versions) is left in
 * DSM and a warning says so.
 */
export class DsmGroup extends pulumi.CustomResource {
  /** Group UUID (`group_id`). */
  declare readonly groupId: pulumi.Output<string>;
  /** Account UUID (`acct_id`). */
  declare readonly acctId: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly description: pulumi.Output<string | undefined>;
  /** The DSM URL used. */
  declare readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: DsmGroupArgs, opts?: pulumi.CustomResourceOptions) {
    super(DSM_TYPE_TOKENS.group, name, dynamicProps(dsmGroupProvider(), args, ["groupId", "acctId", "name", "description", "endpoint"]), opts);
  }
}

/** Inputs of a {@link DsmJwtApp}: a DSM app that authenticates OCI's calls with Identity Domain tokens. */
export interface DsmJwtAppArgs {
  /** App name: the OCI confidential client app's client ID (Fortanix EKM guide, 9.4). Required. */
  name: pulumi.Input<string>;
  /** UUID of the group whose keys the app may use (a {@link DsmGroup}'s `groupId`). Required. */
  groupId: pulumi.Input<string>;
  /** Accepted token issuers. Default: `["https://identity.oraclecloud.com/"]`. */
  validIssuers?: pulumi.Input<pulumi.Input<string>[]>;
  /** Identity Domain JWKS URL (`…/admin/v1/SigningCert/jwk`), fetched by DSM ("FETCHED SIGNING KEY"). Required. */
  jwksUrl: pulumi.Input<string>;
  /** How long DSM caches the fetched signing keys, seconds. Default: 3600. */
  jwksCacheSeconds?: pulumi.Input<number>;
  /** Permissions on the group. Default: `["ENCRYPT", "DECRYPT"]` (what OCI Vault's calls need). */
  permissions?: pulumi.Input<pulumi.Input<string>[]>;
  /** Description. Default: none; when omitted, whatever DSM has is left alone. */
  description?: pulumi.Input<string>;
  /** DSM URL. Default: stack config `dsm:endpoint`, else `DSM_ENDPOINT`. */
  endpoint?: pulumi.Input<string>;
  /** Take over an existing app of this name (reconciled to these inputs) instead of failing. Default: false. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A DSM signed-JWT app (type `DSM_TYPE_TOKENS.jwtApp`) with fetched signing keys, member of one
 * group. Every change updates it in place (PATCH); delete deletes it.
 */
export class DsmJwtApp extends pulumi.CustomResource {
  /** App UUID (`app_id`). */
  declare readonly appId: pulumi.Output<string>;
  /** `SignedJwt`. */
  declare readonly authType: pulumi.Output<string>;
  declare readonly acctId: pulumi.Output<string>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly name: pulumi.Output<string>;
  declare readonly groupId: pulumi.Output<string>;
  declare readonly validIssuers: pulumi.Output<string[]>;
  declare readonly jwksUrl: pulumi.Output<string>;
  declare readonly jwksCacheSeconds: pulumi.Output<number>;
  declare readonly permissions: pulumi.Output<string[]>;
  declare readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: DsmJwtAppArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      DSM_TYPE_TOKENS.jwtApp, name,
      dynamicProps(dsmJwtAppProvider(), args, [
        "appId", "authType", "acctId", "enabled", "name", "groupId", "validIssuers", "jwksUrl", "jwksCacheSeconds", "permissions", "endpoint",
      ]),
      opts,
    );
  }
}

/** Inputs of a {@link DsmSecurityObject}: an AES-256 key that an OCI key reference points at by name. */
export interface DsmSecurityObjectArgs {
  /** Security object name: the key reference's external key ID. Never renamed (OCI finds the key by name). Required. */
  name: pulumi.Input<string>;
  /** UUID of the group holding the key. Cannot change. Required. */
  groupId: pulumi.Input<string>;
  /** Key size in bits. Only 256. Default: 256. */
  keySize?: pulumi.Input<number>;
  /** Permitted operations. Default: `["ENCRYPT", "DECRYPT", "APPMANAGEABLE"]`. */
  keyOps?: pulumi.Input<pulumi.Input<string>[]>;
  /** Description. Default: none; when omitted, whatever DSM has is left alone. */
  description?: pulumi.Input<string>;
  /** Whether the key can be used. Default: true. */
  enabled?: pulumi.Input<boolean>;
  /** Automatic rotation every N days (`rotation_policy.interval_days`). Default: none; when omitted, DSM's policy is left alone. */
  rotationPolicyDays?: pulumi.Input<number>;
  /** Any string: changing it rotates the key (rekey: new kid, same name; the old kid is kept and recorded). Default: none. */
  rotate?: pulumi.Input<string>;
  /** Destroy the key material (and rotated-away versions) on delete. Must already be true in the state when the delete runs. Default: false (disable and keep). */
  allowDestroy?: pulumi.Input<boolean>;
  /** Take over an existing AES-256 key of this name in `groupId` (reconciled to these inputs) instead of failing. Default: false. */
  adopt?: pulumi.Input<boolean>;
  /** DSM URL. Cannot change. Default: stack config `dsm:endpoint`, else `DSM_ENDPOINT`. */
  endpoint?: pulumi.Input<string>;
}

/**
 * A DSM AES-256 security object (type `DSM_TYPE_TOKENS.securityObject`). Renaming it, or changing
 * its group, size or endpoint, is refused; delete disables it and keeps the key material unless
 * `allowDestroy` is true.
 */
export class DsmSecurityObject extends pulumi.CustomResource {
  /** Current key id (changes on rotation). */
  declare readonly kid: pulumi.Output<string>;
  /** DSM key state, e.g. `Active`. */
  declare readonly state: pulumi.Output<string>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly keySize: pulumi.Output<number>;
  declare readonly keyOps: pulumi.Output<string[]>;
  /** Kids replaced by earlier rotations, oldest first (kept in DSM). */
  declare readonly rotatedKids: pulumi.Output<string[]>;
  declare readonly objType: pulumi.Output<string>;
  declare readonly acctId: pulumi.Output<string>;
  declare readonly kcv: pulumi.Output<string | undefined>;
  declare readonly name: pulumi.Output<string>;
  declare readonly groupId: pulumi.Output<string>;
  declare readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: DsmSecurityObjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      DSM_TYPE_TOKENS.securityObject, name,
      dynamicProps(dsmSecurityObjectProvider(), args, [
        "kid", "state", "enabled", "keySize", "keyOps", "rotatedKids", "objType", "acctId", "kcv", "name", "groupId", "endpoint",
      ]),
      opts,
    );
  }
}
