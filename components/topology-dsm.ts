// The DSM side of EkmTopology (topology.ts): group → JWT app (name = client ID, JWKS URI, issuer) →
// AES-256 security objects. With manageObjects false the objects exist in DSM already and only their
// names are used.
import * as pulumi from "@pulumi/pulumi";
import { DsmGroup, DsmJwtApp, DsmSecurityObject } from "./dsm";
import type { EkmDsmKeyArgs } from "./topology-args";
import { identityIssuerForms } from "./urls";

/** What the DSM side receives from the OCI side. */
export interface EkmDsmSeamInputs {
  /** Base for resource names (`<name>-dsm-…`). */
  name: string;
  /** Parent of the DSM resources. */
  parent: pulumi.Resource;
  groupName: string;
  keys: EkmDsmKeyArgs[];
  /** The client app's client ID: the DSM JWT app's name. */
  clientId: pulumi.Output<string>;
  /** The Identity Domain JWKS DSM fetches to check tokens. */
  jwksUri: pulumi.Output<string>;
  /** The issuer DSM accepts. */
  issuer: pulumi.Output<string>;
  /** Create the DSM objects (false: they exist already). */
  manageObjects: boolean;
  adopt: boolean;
  /** DSM REST API base URL. */
  apiEndpoint: string;
}

/** What the DSM side gives back. */
export interface EkmDsmSeamOutputs {
  /** The JWT app (with its group membership), when this stack manages it. */
  app?: DsmJwtApp;
  /** Security object names, in `keys` order: the key references' external key ids. */
  keyNames: pulumi.Output<string>[];
  groupId?: pulumi.Output<string>;
  appId?: pulumi.Output<string>;
  /** Security object kids, in `keys` order. */
  keyIds?: pulumi.Output<string>[];
  /** Each key's versions (kids) since the stack created or adopted it, oldest first, in `keys` order. */
  keyVersionIds?: pulumi.Output<string[]>[];
}

/** Declares the DSM objects (when the stack manages them) and gives back what the OCI side needs of them. */
export function provisionDsm(inputs: EkmDsmSeamInputs): EkmDsmSeamOutputs {
  if (!inputs.manageObjects) return { keyNames: inputs.keys.map((k) => pulumi.output(k.name)) };
  const opts = { parent: inputs.parent };
  const common = { endpoint: inputs.apiEndpoint, adopt: inputs.adopt };
  const group = new DsmGroup(`${inputs.name}-dsm-group`, { name: inputs.groupName, ...common }, opts);
  // DSM fetches the JWKS only when it checks a token, so creating the app need not wait for the
  // domain setting that makes the signing certificate public (reference graph: client app → JWT app).
  const app = new DsmJwtApp(
    `${inputs.name}-dsm-app`,
    { name: inputs.clientId, groupId: group.groupId, jwksUrl: inputs.jwksUri, validIssuers: inputs.issuer.apply(identityIssuerForms), ...common },
    opts,
  );
  const keys = inputs.keys.map(
    (k) =>
      new DsmSecurityObject(
        `${inputs.name}-dsm-key-${k.name}`,
        { name: k.name, groupId: group.groupId, description: k.description, rotationPolicyDays: k.rotationPolicyDays, rotate: k.rotate, ...common },
        opts,
      ),
  );
  // The key references take the names from the security objects, so each waits for its key.
  return {
    app,
    keyNames: keys.map((k) => k.name),
    groupId: group.groupId,
    appId: app.appId,
    keyIds: keys.map((k) => k.kid),
    // The rotated-away kids, oldest first, then the current one: the key reference was created
    // with the first, so each later one is a rotation OCI must be told of.
    keyVersionIds: keys.map((k) => pulumi.all([k.rotatedKids, k.kid]).apply(([rotated, kid]) => [...(rotated ?? []), kid])),
  };
}
