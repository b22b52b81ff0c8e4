// The provider of DSM signed-JWT apps: one function per provider method. provider.ts holds the class
// the serializer sees; its methods call these (provider-common.ts says why).
import * as pulumi from "@pulumi/pulumi";
import type { DsmApiApp, DsmApiSignedJwt, DsmAppRequest } from "./api";
import { dsmCreateApp, dsmDeleteApp, dsmFindAppByName, dsmGetApp, dsmGetAppCredential, dsmPatchApp, dsmSignedJwtOf } from "./api-apps";
import type { DsmClient } from "./client";
import { isDsmNotFound } from "./errors";
import {
  dsmAnyUnknown,
  dsmClean,
  dsmClientFor,
  dsmCreatedBy,
  dsmCreateOrAdopt,
  dsmDefaultEndpoint,
  dsmKnown,
  dsmPartialCreate,
  type DsmProviderHandle,
  dsmSameSet,
  type Props,
} from "./provider-common";
import {
  checkDsmInputsAgainst,
  type DsmJwtAppInputs,
  dsmJwtAppInputsSchema,
  parseDsmInputsAgainst,
} from "./schemas";

export type DsmJwtAppOutputs = DsmJwtAppInputs & {
  endpoint: string;
  appId: string;
  acctId: string;
  /** `SignedJwt` for a JWT app. */
  authType: string;
  enabled: boolean;
};

/**
 * The signed-JWT credential of `inputs`. A PATCH replaces the credential whole, so what this
 * provider does not manage (`private_claims_policy`) is carried over from `current`.
 */
function dsmSignedJwt(inputs: DsmJwtAppInputs, current?: DsmApiSignedJwt): DsmApiSignedJwt {
  return {
    valid_issuers: [...new Set(inputs.validIssuers)],
    signing_keys: { kind: "fetched", url: inputs.jwksUrl, cache_duration: inputs.jwksCacheSeconds },
    ...(current?.private_claims_policy !== undefined ? { private_claims_policy: current.private_claims_policy } : {}),
  };
}

/** The app's signed-JWT credential from its own endpoint (the App object has none), or undefined. */
async function dsmAppSignedJwt(client: DsmClient, appId: string): Promise<DsmApiSignedJwt | undefined> {
  return dsmSignedJwtOf(await dsmGetAppCredential(client, appId));
}

/** What the app provider compares: the managed parts of a JWT app. */
interface DsmAppView {
  name: string;
  description?: string;
  groups: Record<string, string[]>;
  defaultGroup?: string;
  validIssuers?: string[];
  jwksUrl?: string;
  jwksCacheSeconds?: number;
}

function dsmAppViewOf(app: DsmApiApp, jwt: DsmApiSignedJwt | undefined): DsmAppView {
  const groups = Array.isArray(app.groups) ? Object.fromEntries(app.groups.map((g) => [g, [] as string[]])) : { ...app.groups };
  const keys = jwt?.signing_keys;
  return dsmClean({
    name: app.name,
    description: app.description,
    groups,
    defaultGroup: app.default_group,
    validIssuers: jwt?.valid_issuers,
    jwksUrl: keys?.kind === "fetched" ? keys.url : undefined,
    jwksCacheSeconds: keys?.kind === "fetched" ? keys.cache_duration : undefined,
  });
}

function dsmAppViewOfState(state: DsmJwtAppOutputs): DsmAppView {
  return dsmClean({
    name: state.name,
    description: state.description,
    groups: { [state.groupId]: state.permissions ?? [] },
    defaultGroup: state.groupId,
    validIssuers: state.validIssuers,
    jwksUrl: state.jwksUrl,
    jwksCacheSeconds: state.jwksCacheSeconds,
  });
}

/**
 * The PATCH body that brings `current` to `inputs`; `previousGroupId` is removed from the app when
 * the group changed. A changed credential is sent whole, with what `currentJwt` holds beyond it.
 */
function dsmAppPatch(current: DsmAppView, inputs: DsmJwtAppInputs, previousGroupId?: string, currentJwt?: DsmApiSignedJwt): DsmAppRequest {
  const body: DsmAppRequest = {};
  if (current.name !== inputs.name) body.name = inputs.name;
  if (inputs.description !== undefined && current.description !== inputs.description) body.description = inputs.description;
  const held = current.groups[inputs.groupId];
  if (held === undefined) body.add_groups = { [inputs.groupId]: [...inputs.permissions] };
  else if (!dsmSameSet(held, inputs.permissions)) body.mod_groups = { [inputs.groupId]: [...inputs.permissions] };
  if (previousGroupId !== undefined && previousGroupId !== inputs.groupId && previousGroupId in current.groups) {
    body.del_groups = [previousGroupId];
  }
  if (current.defaultGroup !== inputs.groupId) body.default_group = inputs.groupId;
  const credentialSame =
    dsmSameSet(current.validIssuers, inputs.validIssuers) &&
    current.jwksUrl === inputs.jwksUrl &&
    current.jwksCacheSeconds === inputs.jwksCacheSeconds;
  if (!credentialSame) body.credential = { signedjwt: dsmSignedJwt(inputs, currentJwt) };
  return body;
}

function dsmAppOutputs(inputs: DsmJwtAppInputs, app: DsmApiApp, endpoint: string): DsmJwtAppOutputs {
  return dsmClean({
    ...inputs,
    name: app.name,
    description: app.description ?? inputs.description,
    endpoint,
    appId: app.app_id,
    acctId: app.acct_id,
    authType: app.auth_type ?? "SignedJwt",
    enabled: app.enabled,
  });
}

export async function dsmJwtAppCheck(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
  return checkDsmInputsAgainst(dsmJwtAppInputsSchema(), news);
}

export async function dsmJwtAppDiff(provider: DsmProviderHandle, id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
  const replaces: string[] = [];
  const newEndpoint = news.endpoint ?? dsmDefaultEndpoint(provider);
  if (dsmKnown(newEndpoint) && olds.endpoint !== undefined && newEndpoint !== olds.endpoint) replaces.push("endpoint");
  const changed =
    news.name !== olds.name ||
    news.groupId !== olds.groupId ||
    news.jwksUrl !== olds.jwksUrl ||
    news.jwksCacheSeconds !== olds.jwksCacheSeconds ||
    !dsmKnown(news.validIssuers) || !dsmSameSet(news.validIssuers as string[], olds.validIssuers as string[]) ||
    !dsmKnown(news.permissions) || !dsmSameSet(news.permissions as string[], olds.permissions as string[]) ||
    (news.description !== undefined && news.description !== olds.description) ||
    (news.adopt ?? false) !== (olds.adopt ?? false);
  return { changes: changed || replaces.length > 0 || dsmAnyUnknown(news), replaces };
}

/**
 * Whether `app`, found under the name after a create attempt that may have been carried out, is that
 * attempt's: created by this session's own app or user (`creator`, the session's `entity_id`) and
 * holding what the create sent. Apps have no field of their own to mark a create with: the document's
 * AppRequest has no `custom_metadata`, and its free-text fields (`description`, `interface`) are the
 * user's or mean something to DSM. The one app mistaken for this create's own is thus one that the
 * same credential made under this name, identical down to group and permissions, while an attempt of
 * this create was in doubt; a 409 to a first attempt is never taken for it.
 */
async function dsmAppIsOwn(client: DsmClient, app: DsmApiApp, inputs: DsmJwtAppInputs, mayHaveCreated: boolean): Promise<boolean> {
  if (!mayHaveCreated) return false;
  const view = dsmAppViewOf(app, undefined);
  const sameGroups = Object.keys(view.groups).length === 1 && dsmSameSet(view.groups[inputs.groupId], inputs.permissions);
  const sent = sameGroups && view.defaultGroup === inputs.groupId && (inputs.description === undefined || app.description === inputs.description);
  return sent && dsmCreatedBy(app.creator, await client.sessionEntityId());
}

export async function dsmJwtAppCreate(provider: DsmProviderHandle, raw: Props): Promise<pulumi.dynamic.CreateResult<DsmJwtAppOutputs>> {
  const inputs = parseDsmInputsAgainst<DsmJwtAppInputs>("jwtApp", dsmJwtAppInputsSchema(), raw);
  const client = dsmClientFor(provider, inputs.endpoint, provider.options);
  const body: DsmAppRequest & { name: string } = dsmClean({
    name: inputs.name,
    description: inputs.description,
    app_type: "default",
    default_group: inputs.groupId,
    add_groups: { [inputs.groupId]: [...inputs.permissions] },
    credential: { signedjwt: dsmSignedJwt(inputs) },
  });
  const { object: existing, created } = await dsmCreateOrAdopt<DsmApiApp>({
    kind: "jwtApp",
    name: inputs.name,
    takenStatuses: [400, 409],
    create: (recover) => dsmCreateApp(client, body, { recover }),
    find: () => dsmFindAppByName(client, inputs.name),
    idOf: (a) => a.app_id,
    isOwn: (a, mayHaveCreated) => dsmAppIsOwn(client, a, inputs, mayHaveCreated),
  }, inputs.adopt, client.endpoint);
  if (created) return { id: existing.app_id, outs: dsmAppOutputs(inputs, existing, client.endpoint) };
  const jwt = await dsmAppSignedJwt(client, existing.app_id);
  const patch = dsmAppPatch(dsmAppViewOf(existing, jwt), inputs, undefined, jwt);
  if (Object.keys(patch).length === 0) return { id: existing.app_id, outs: dsmAppOutputs(inputs, existing, client.endpoint) };
  try {
    const app = await dsmPatchApp(client, existing.app_id, patch);
    return { id: app.app_id, outs: dsmAppOutputs(inputs, app, client.endpoint) };
  } catch (err) {
    throw dsmPartialCreate(err, existing.app_id, dsmAppOutputs(inputs, existing, client.endpoint), raw);
  }
}

export async function dsmJwtAppRead(provider: DsmProviderHandle, id: string, props?: Props): Promise<pulumi.dynamic.ReadResult<DsmJwtAppOutputs>> {
  const state = (props ?? {}) as Partial<DsmJwtAppOutputs>;
  const client = dsmClientFor(provider, state.endpoint, provider.options);
  let app: DsmApiApp;
  let jwt: DsmApiSignedJwt | undefined;
  try {
    app = await dsmGetApp(client, id);
    jwt = await dsmAppSignedJwt(client, id);
  } catch (err) {
    if (isDsmNotFound(err)) return {};
    throw err;
  }
  const view = dsmAppViewOf(app, jwt);
  const groupId = state.groupId !== undefined && state.groupId in view.groups ? state.groupId : (view.defaultGroup ?? Object.keys(view.groups)[0] ?? "");
  const inputs: DsmJwtAppInputs = dsmClean({
    name: app.name,
    groupId,
    validIssuers: view.validIssuers ?? [],
    jwksUrl: view.jwksUrl ?? "",
    jwksCacheSeconds: view.jwksCacheSeconds ?? 0,
    permissions: view.groups[groupId] ?? [],
    description: app.description,
    endpoint: client.endpoint,
    adopt: state.adopt ?? false,
  });
  const outs = dsmAppOutputs(inputs, app, client.endpoint);
  return { id, props: outs, inputs: inputs as DsmJwtAppOutputs };
}

export async function dsmJwtAppUpdate(provider: DsmProviderHandle, id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult<DsmJwtAppOutputs>> {
  const old = olds as unknown as DsmJwtAppOutputs;
  const inputs = parseDsmInputsAgainst<DsmJwtAppInputs>("jwtApp", dsmJwtAppInputsSchema(), news);
  const client = dsmClientFor(provider, inputs.endpoint ?? old.endpoint, provider.options);
  let patch = dsmAppPatch(dsmAppViewOfState(old), inputs, old.groupId);
  if (Object.keys(patch).length === 0) {
    return { outs: dsmClean({ ...old, ...inputs, description: inputs.description ?? old.description, endpoint: client.endpoint }) };
  }
  if (patch.credential) patch = dsmAppPatch(dsmAppViewOfState(old), inputs, old.groupId, await dsmAppSignedJwt(client, id));
  const app = await dsmPatchApp(client, id, patch);
  return { outs: dsmAppOutputs(inputs, app, client.endpoint) };
}

export async function dsmJwtAppDelete(provider: DsmProviderHandle, id: string, props: Props): Promise<void> {
  const state = props as unknown as DsmJwtAppOutputs;
  const client = dsmClientFor(provider, state.endpoint, provider.options);
  try {
    await dsmDeleteApp(client, id);
  } catch (err) {
    if (!isDsmNotFound(err)) throw err;
  }
}
