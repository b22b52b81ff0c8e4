// Pulumi dynamic providers of the DSM resources: group, JWT app, AES-256 security object.
//
// Serialization rules (see ../shared/reference/pulumi-notes.md, "Dynamic providers"): a provider
// instance is serialized into the state as `__provider`. It therefore holds no credential: methods
// read DSM credentials when they run, from the stack config given to `configure` (kept in a
// process-global registry, outside the instance) or from the environment. Everything the methods
// use is either a module (captured as `require(...)` when installed) or a function of this package.
import * as pulumi from "@pulumi/pulumi";
import {
  type DsmApiApp,
  type DsmApiGroup,
  type DsmApiSignedJwt,
  type DsmApiSobject,
  type DsmAppRequest,
  DsmClient,
  type DsmClientOptions,
  type DsmCredentialSettings,
  type DsmSobjectRequest,
  isDsmNotFound,
  isDsmStatus,
  normalizeDsmEndpoint,
  resolveDsmCredentials,
} from "./client";
import {
  checkDsmInputs,
  containsDsmUnknown,
  DSM_KEY_SIZE,
  DSM_MANAGED_BY,
  type DsmGroupInputs,
  type DsmJwtAppInputs,
  type DsmResourceKind,
  type DsmSecurityObjectInputs,
  dsmKindLabel,
  parseDsmInputs,
} from "./schemas";

/** Options of the DSM providers (no credentials: those are read when a method runs). */
export interface DsmProviderOptions {
  /** Timeouts and retry budget of the DSM client. Default: the client's defaults. */
  client?: DsmClientOptions;
}

/** State of a {@link DsmGroup}. */
export type DsmGroupOutputs = DsmGroupInputs & {
  /** The DSM URL used (no trailing slash). */
  endpoint: string;
  groupId: string;
  acctId: string;
  createdAt?: string;
};

/** State of a {@link DsmJwtApp}. */
export type DsmJwtAppOutputs = DsmJwtAppInputs & {
  endpoint: string;
  appId: string;
  acctId: string;
  /** `SignedJwt` for a JWT app. */
  authType: string;
  enabled: boolean;
};

/** State of a {@link DsmSecurityObject}. */
export type DsmSecurityObjectOutputs = DsmSecurityObjectInputs & {
  endpoint: string;
  /** Current key id (changes on rotation). */
  kid: string;
  acctId: string;
  objType: string;
  /** `Active`, `Deactivated`, … */
  state: string;
  kcv?: string;
  /** Key ids that earlier rotations replaced, oldest first (their material is kept in DSM). */
  rotatedKids: string[];
  createdAt?: string;
};

type Props = Record<string, unknown>;

// ---- credentials: configure() registry and client construction ------------------------------------

function dsmConfigRegistry(): WeakMap<object, DsmCredentialSettings> {
  const key = Symbol.for("oci-ekm-fortanix.dsm.provider-config");
  const holder = globalThis as unknown as Record<symbol, WeakMap<object, DsmCredentialSettings> | undefined>;
  let registry = holder[key];
  if (!registry) {
    registry = new WeakMap();
    holder[key] = registry;
  }
  return registry;
}

/** Reads the `dsm:*` stack config handed to `configure` (values stay in this process, never in the provider object). */
function dsmConfigure(provider: object, req: pulumi.dynamic.ConfigureRequest): void {
  const get = (key: string): string | undefined => {
    const v = req.config.get(key);
    return v === undefined || v === "" ? undefined : v;
  };
  const settings: DsmCredentialSettings = {};
  const assign = (field: keyof DsmCredentialSettings, key: string): void => {
    const v = get(key);
    if (v !== undefined) settings[field] = v;
  };
  assign("endpoint", "dsm:endpoint");
  assign("apiKey", "dsm:apiKey");
  assign("username", "dsm:username");
  assign("password", "dsm:password");
  assign("acctId", "dsm:acctId");
  assign("caBundle", "dsm:caBundle");
  dsmConfigRegistry().set(provider, settings);
}

function dsmClientFor(provider: object, endpoint: string | undefined, options: DsmProviderOptions): DsmClient {
  const settings = dsmConfigRegistry().get(provider) ?? {};
  const credentials = resolveDsmCredentials({ ...settings, ...(endpoint !== undefined ? { endpoint } : {}) });
  return new DsmClient(credentials, options.client ?? {});
}

/** The endpoint a resource without `endpoint` would use, if one is configured (for diffs only). */
function dsmDefaultEndpoint(provider: object): string | undefined {
  const v = dsmConfigRegistry().get(provider)?.endpoint ?? process.env.DSM_ENDPOINT;
  return v !== undefined && v.trim() !== "" ? normalizeDsmEndpoint(v) : undefined;
}

// ---- shared helpers -------------------------------------------------------------------------------

/** Drops undefined values (the state protocol has no undefined) and the `__provider` key. */
function dsmClean<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined && k !== "__provider") out[k] = v;
  return out as T;
}

function dsmKnown(v: unknown): boolean {
  return v !== undefined && !containsDsmUnknown(v);
}

function dsmSameSet(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The error for a create that finds an object of the same name, saying how to adopt it. */
function dsmAlreadyExists(kind: DsmResourceKind, name: string, id: string, endpoint: string): Error {
  const what = dsmKindLabel(kind);
  return new Error(
    `DSM ${what} "${name}" already exists at ${endpoint} (id ${id}) and this resource did not create it. ` +
      `To manage the existing ${what} with Pulumi, set \`adopt: true\` on the resource: its properties are then reconciled to the inputs. ` +
      `Otherwise choose another name.`,
  );
}

/** An error after the object exists or changed: Pulumi records the object (id and state) instead of forgetting the change. */
function dsmPartialCreate(err: unknown, id: string, outs: object): Error {
  const message = err instanceof Error ? err.message : String(err);
  return Object.assign(new Error(message), { id, properties: dsmClean(outs), reasons: [message] });
}

/**
 * Tells the user something during a deployment. The dynamic-provider host connects no engine logger
 * (PULUMI_NODEJS_ENGINE is unset there), so pulumi.log.warn falls back to `console.warn`: the
 * provider plugin's stderr. Under mocks or in the program process it goes to the engine log.
 */
async function dsmNotice(message: string): Promise<void> {
  try {
    await pulumi.log.warn(message);
  } catch {
    process.stderr.write(`warning: ${message}\n`);
  }
}

// ---- groups ---------------------------------------------------------------------------------------

function dsmGroupOutputs(inputs: DsmGroupInputs, group: DsmApiGroup, endpoint: string): DsmGroupOutputs {
  return dsmClean({
    name: group.name,
    description: group.description ?? inputs.description,
    endpoint,
    adopt: inputs.adopt,
    groupId: group.group_id,
    acctId: group.acct_id,
    createdAt: group.created_at,
  });
}

/**
 * Provider of {@link DsmGroup} (`pulumi-nodejs:dynamic/dsm:Group`). A group that still holds security
 * objects (kept on delete, or rotated-away versions) is left in DSM on delete, with a warning.
 */
export class DsmGroupProvider implements pulumi.dynamic.ResourceProvider {
  constructor(readonly options: DsmProviderOptions = {}) {}

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    dsmConfigure(this, req);
  }

  async check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    return checkDsmInputs("group", news);
  }

  async diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const replaces: string[] = [];
    let changes = false;
    const newEndpoint = news.endpoint ?? dsmDefaultEndpoint(this);
    if (dsmKnown(newEndpoint) && olds.endpoint !== undefined && newEndpoint !== olds.endpoint) replaces.push("endpoint");
    if (news.name !== olds.name) changes = true;
    if (news.description !== undefined && news.description !== olds.description) changes = true;
    if ((news.adopt ?? false) !== (olds.adopt ?? false)) changes = true;
    return { changes: changes || replaces.length > 0, replaces };
  }

  async create(raw: Props): Promise<pulumi.dynamic.CreateResult<DsmGroupOutputs>> {
    const inputs = parseDsmInputs("group", raw);
    const client = dsmClientFor(this, inputs.endpoint, this.options);
    let group = await client.findGroupByName(inputs.name);
    if (group) {
      if (!inputs.adopt) throw dsmAlreadyExists("group", inputs.name, group.group_id, client.endpoint);
    } else {
      try {
        group = await client.createGroup(dsmClean({ name: inputs.name, description: inputs.description }));
      } catch (err) {
        // Created meanwhile by someone else (409; DSM's status for groups is not confirmed, so 400 too).
        const raced = isDsmStatus(err, 400, 409) ? await client.findGroupByName(inputs.name) : undefined;
        if (!raced) throw err;
        if (!inputs.adopt) throw dsmAlreadyExists("group", inputs.name, raced.group_id, client.endpoint);
        group = raced;
      }
      return { id: group.group_id, outs: dsmGroupOutputs(inputs, group, client.endpoint) };
    }
    const adopted = group;
    if (inputs.description !== undefined && adopted.description !== inputs.description) {
      try {
        group = await client.patchGroup(adopted.group_id, { description: inputs.description });
      } catch (err) {
        throw dsmPartialCreate(err, adopted.group_id, dsmGroupOutputs(inputs, adopted, client.endpoint));
      }
    }
    return { id: group.group_id, outs: dsmGroupOutputs(inputs, group, client.endpoint) };
  }

  async read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult<DsmGroupOutputs>> {
    const state = (props ?? {}) as Partial<DsmGroupOutputs>;
    const client = dsmClientFor(this, state.endpoint, this.options);
    let group: DsmApiGroup;
    try {
      group = await client.getGroup(id);
    } catch (err) {
      if (isDsmNotFound(err)) return {};
      throw err;
    }
    const outs = dsmGroupOutputs({ name: group.name, description: group.description, adopt: state.adopt ?? false }, group, client.endpoint);
    const inputs = dsmClean({ name: outs.name, description: outs.description, endpoint: outs.endpoint, adopt: outs.adopt });
    return { id, props: outs, inputs: inputs as DsmGroupOutputs };
  }

  async update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult<DsmGroupOutputs>> {
    const old = olds as unknown as DsmGroupOutputs;
    const inputs = parseDsmInputs("group", news);
    const client = dsmClientFor(this, inputs.endpoint ?? old.endpoint, this.options);
    const body = dsmClean({
      name: inputs.name !== old.name ? inputs.name : undefined,
      description: inputs.description !== undefined && inputs.description !== old.description ? inputs.description : undefined,
    });
    if (Object.keys(body).length === 0) {
      return { outs: dsmClean({ ...old, adopt: inputs.adopt, endpoint: client.endpoint }) };
    }
    const group = await client.patchGroup(id, body);
    return { outs: dsmGroupOutputs(inputs, group, client.endpoint) };
  }

  async delete(id: string, props: Props): Promise<void> {
    const state = props as unknown as DsmGroupOutputs;
    const client = dsmClientFor(this, state.endpoint, this.options);
    let held: DsmApiSobject[];
    try {
      held = await client.listSobjects({ groupId: id });
    } catch (err) {
      if (isDsmNotFound(err)) return;
      throw err;
    }
    if (held.length === 0) {
      try {
        await client.deleteGroup(id);
        return;
      } catch (err) {
        if (isDsmNotFound(err)) return;
        if (!isDsmStatus(err, 400, 409)) throw err;
      }
    }
    const now = held.length > 0 ? held : await client.listSobjects({ groupId: id });
    if (now.length === 0) throw new Error(`DSM group "${state.name}" (${id}) could not be deleted and holds no visible security object`);
    const names = now.map((s) => `"${s.name}"`);
    await dsmNotice(
      `DSM group "${state.name}" (${id}) was left in DSM at ${client.endpoint}: it still holds ${now.length} security object` +
        `${now.length === 1 ? "" : "s"} (${names.slice(0, 10).join(", ")}${names.length > 10 ? ", …" : ""}) whose key material was kept ` +
        `(allowDestroy is false, or rotated-away versions). Data encrypted under them stays recoverable. ` +
        `Delete the keys and the group in DSM yourself when you are sure no ciphertext depends on them.`,
    );
  }
}

// ---- JWT apps -------------------------------------------------------------------------------------

function dsmSignedJwt(inputs: DsmJwtAppInputs): DsmApiSignedJwt {
  return {
    valid_issuers: [...inputs.validIssuers],
    signing_keys: { kind: "fetched", url: inputs.jwksUrl, cache_duration: inputs.jwksCacheSeconds },
  };
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

function dsmAppViewOf(app: DsmApiApp): DsmAppView {
  const groups = Array.isArray(app.groups) ? Object.fromEntries(app.groups.map((g) => [g, [] as string[]])) : { ...app.groups };
  const jwt = app.credential?.signedjwt;
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

/** The PATCH body that brings `current` to `inputs`; `previousGroupId` is removed from the app when the group changed. */
function dsmAppPatch(current: DsmAppView, inputs: DsmJwtAppInputs, previousGroupId?: string): DsmAppRequest {
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
  if (!credentialSame) body.credential = { signedjwt: dsmSignedJwt(inputs) };
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

/** Provider of {@link DsmJwtApp} (`pulumi-nodejs:dynamic/dsm:JwtApp`): a signed-JWT app with fetched signing keys. */
export class DsmJwtAppProvider implements pulumi.dynamic.ResourceProvider {
  constructor(readonly options: DsmProviderOptions = {}) {}

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    dsmConfigure(this, req);
  }

  async check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    return checkDsmInputs("jwtApp", news);
  }

  async diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const replaces: string[] = [];
    const newEndpoint = news.endpoint ?? dsmDefaultEndpoint(this);
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
    return { changes: changed || replaces.length > 0, replaces };
  }

  async create(raw: Props): Promise<pulumi.dynamic.CreateResult<DsmJwtAppOutputs>> {
    const inputs = parseDsmInputs("jwtApp", raw);
    const client = dsmClientFor(this, inputs.endpoint, this.options);
    let existing = await client.findAppByName(inputs.name);
    if (!existing) {
      const body: DsmAppRequest & { name: string } = dsmClean({
        name: inputs.name,
        description: inputs.description,
        app_type: "default",
        default_group: inputs.groupId,
        add_groups: { [inputs.groupId]: [...inputs.permissions] },
        credential: { signedjwt: dsmSignedJwt(inputs) },
      });
      try {
        const app = await client.createApp(body);
        return { id: app.app_id, outs: dsmAppOutputs(inputs, app, client.endpoint) };
      } catch (err) {
        existing = isDsmStatus(err, 400, 409) ? await client.findAppByName(inputs.name) : undefined;
        if (!existing) throw err;
      }
    }
    if (!inputs.adopt) throw dsmAlreadyExists("jwtApp", inputs.name, existing.app_id, client.endpoint);
    const patch = dsmAppPatch(dsmAppViewOf(existing), inputs);
    if (Object.keys(patch).length === 0) return { id: existing.app_id, outs: dsmAppOutputs(inputs, existing, client.endpoint) };
    try {
      const app = await client.patchApp(existing.app_id, patch);
      return { id: app.app_id, outs: dsmAppOutputs(inputs, app, client.endpoint) };
    } catch (err) {
      throw dsmPartialCreate(err, existing.app_id, dsmAppOutputs(inputs, existing, client.endpoint));
    }
  }

  async read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult<DsmJwtAppOutputs>> {
    const state = (props ?? {}) as Partial<DsmJwtAppOutputs>;
    const client = dsmClientFor(this, state.endpoint, this.options);
    let app: DsmApiApp;
    try {
      app = await client.getApp(id);
    } catch (err) {
      if (isDsmNotFound(err)) return {};
      throw err;
    }
    const view = dsmAppViewOf(app);
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

  async update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult<DsmJwtAppOutputs>> {
    const old = olds as unknown as DsmJwtAppOutputs;
    const inputs = parseDsmInputs("jwtApp", news);
    const client = dsmClientFor(this, inputs.endpoint ?? old.endpoint, this.options);
    const patch = dsmAppPatch(dsmAppViewOfState(old), inputs, old.groupId);
    if (Object.keys(patch).length === 0) {
      return { outs: dsmClean({ ...old, ...inputs, description: inputs.description ?? old.description, endpoint: client.endpoint }) };
    }
    const app = await client.patchApp(id, patch);
    return { outs: dsmAppOutputs(inputs, app, client.endpoint) };
  }

  async delete(id: string, props: Props): Promise<void> {
    const state = props as unknown as DsmJwtAppOutputs;
    const client = dsmClientFor(this, state.endpoint, this.options);
    try {
      await client.deleteApp(id);
    } catch (err) {
      if (!isDsmNotFound(err)) throw err;
    }
  }
}

// ---- security objects -----------------------------------------------------------------------------

/** The create body of an AES-256 security object (always with `key_ops`). */
export function dsmSecurityObjectCreateBody(inputs: DsmSecurityObjectInputs): DsmSobjectRequest & { name: string } {
  return dsmClean({
    name: inputs.name,
    group_id: inputs.groupId,
    obj_type: "AES",
    key_size: inputs.keySize,
    key_ops: [...inputs.keyOps],
    description: inputs.description,
    enabled: inputs.enabled,
    custom_metadata: { "managed-by": DSM_MANAGED_BY },
    rotation_policy: inputs.rotationPolicyDays !== undefined ? { interval_days: inputs.rotationPolicyDays } : undefined,
  });
}

interface DsmSobjectView {
  description?: string;
  enabled: boolean;
  keyOps: string[];
  rotationPolicyDays?: number;
}

function dsmSobjectViewOf(s: DsmApiSobject): DsmSobjectView {
  return dsmClean({ description: s.description, enabled: s.enabled, keyOps: s.key_ops, rotationPolicyDays: s.rotation_policy?.interval_days });
}

/** The PATCH body bringing `current` to `inputs` (fields left undefined in the inputs are left as DSM has them). */
function dsmSobjectPatch(current: DsmSobjectView, inputs: DsmSecurityObjectInputs): DsmSobjectRequest {
  const body: DsmSobjectRequest = {};
  if (inputs.description !== undefined && inputs.description !== current.description) body.description = inputs.description;
  if (inputs.enabled !== current.enabled) body.enabled = inputs.enabled;
  if (!dsmSameSet(inputs.keyOps, current.keyOps)) body.key_ops = [...inputs.keyOps];
  if (inputs.rotationPolicyDays !== undefined && inputs.rotationPolicyDays !== current.rotationPolicyDays) {
    body.rotation_policy = { interval_days: inputs.rotationPolicyDays };
  }
  return body;
}

function dsmSobjectOutputs(inputs: DsmSecurityObjectInputs, s: DsmApiSobject, endpoint: string, rotatedKids: string[]): DsmSecurityObjectOutputs {
  return dsmClean({
    ...inputs,
    name: s.name,
    groupId: s.group_id,
    keySize: s.key_size ?? inputs.keySize,
    keyOps: [...s.key_ops],
    description: s.description ?? inputs.description,
    enabled: s.enabled,
    rotationPolicyDays: s.rotation_policy?.interval_days ?? inputs.rotationPolicyDays,
    endpoint,
    kid: s.kid,
    acctId: s.acct_id,
    objType: s.obj_type,
    state: s.state ?? "Active",
    kcv: s.kcv,
    rotatedKids: [...rotatedKids],
    createdAt: s.created_at,
  });
}

/**
 * Why a change of a security object is refused, or undefined. OCI key references find the key by
 * name; a replacement would strand every ciphertext made with the old key.
 */
export function dsmSecurityObjectRefusal(olds: Props, news: Props, defaultEndpoint?: string): string | undefined {
  const name = String(olds.name);
  const tail =
    "OCI key references find the key by its name (the external key ID), and a new key could not decrypt what the old one encrypted. " +
    "To use another key, add a new DsmSecurityObject (and key reference) next to this one.";
  if (dsmKnown(news.name) && news.name !== olds.name) {
    return `DSM security object "${name}" cannot be renamed to "${String(news.name)}": ${tail} ` +
      `If it was renamed outside Pulumi, rename it back to "${String(news.name)}" in DSM and run \`pulumi refresh\`.`;
  }
  if (dsmKnown(news.groupId) && olds.groupId !== undefined && news.groupId !== olds.groupId) {
    return `DSM security object "${name}" cannot move from group ${String(olds.groupId)} to ${String(news.groupId)}: ` +
      `that would replace the key. ${tail}`;
  }
  if (dsmKnown(news.keySize) && olds.keySize !== undefined && news.keySize !== olds.keySize) {
    return `DSM security object "${name}" cannot change key size from ${String(olds.keySize)} to ${String(news.keySize)}: that would replace the key. ${tail}`;
  }
  if (olds.objType !== undefined && olds.objType !== "AES") {
    return `DSM security object "${name}" is of type ${String(olds.objType)}, not AES: it cannot be changed into an AES key. ${tail}`;
  }
  const newEndpoint = news.endpoint ?? defaultEndpoint;
  if (dsmKnown(newEndpoint) && olds.endpoint !== undefined && newEndpoint !== olds.endpoint) {
    return `DSM security object "${name}" cannot move from ${String(olds.endpoint)} to ${String(newEndpoint)}: that would replace the key. ${tail}`;
  }
  return undefined;
}

/**
 * Provider of {@link DsmSecurityObject} (`pulumi-nodejs:dynamic/dsm:SecurityObject`): an AES-256 key.
 * Refuses renames and replacements; a changed `rotate` rekeys; delete disables the key and keeps its
 * material unless `allowDestroy` is true.
 */
export class DsmSecurityObjectProvider implements pulumi.dynamic.ResourceProvider {
  constructor(readonly options: DsmProviderOptions = {}) {}

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    dsmConfigure(this, req);
  }

  async check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    return checkDsmInputs("securityObject", news);
  }

  async diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const refusal = dsmSecurityObjectRefusal(olds, news, dsmDefaultEndpoint(this));
    if (refusal) throw new Error(refusal);
    const changed =
      !dsmKnown(news.name) || !dsmKnown(news.groupId) ||
      (news.description !== undefined && news.description !== olds.description) ||
      (news.enabled ?? true) !== olds.enabled ||
      !dsmKnown(news.keyOps) || !dsmSameSet(news.keyOps as string[], olds.keyOps as string[]) ||
      (news.rotationPolicyDays !== undefined && news.rotationPolicyDays !== olds.rotationPolicyDays) ||
      (news.rotate !== undefined && news.rotate !== olds.rotate) ||
      (news.allowDestroy ?? false) !== (olds.allowDestroy ?? false) ||
      (news.adopt ?? false) !== (olds.adopt ?? false);
    return { changes: changed, replaces: [] };
  }

  async create(raw: Props): Promise<pulumi.dynamic.CreateResult<DsmSecurityObjectOutputs>> {
    const inputs = parseDsmInputs("securityObject", raw);
    const client = dsmClientFor(this, inputs.endpoint, this.options);
    let existing = await client.findSobjectByName(inputs.name);
    if (!existing) {
      try {
        const created = await client.createSobject(dsmSecurityObjectCreateBody(inputs));
        return { id: created.name, outs: dsmSobjectOutputs(inputs, created, client.endpoint, []) };
      } catch (err) {
        existing = isDsmStatus(err, 409) ? await client.findSobjectByName(inputs.name) : undefined;
        if (!existing) throw err;
      }
    }
    if (!inputs.adopt) throw dsmAlreadyExists("securityObject", inputs.name, existing.kid, client.endpoint);
    const mismatch =
      existing.obj_type !== "AES" ? `it is of type ${existing.obj_type}, not AES` :
      existing.key_size !== DSM_KEY_SIZE ? `its key size is ${String(existing.key_size)}, not ${DSM_KEY_SIZE}` :
      existing.group_id !== inputs.groupId ? `it is in group ${existing.group_id}, not ${inputs.groupId}` :
      undefined;
    if (mismatch) {
      throw new Error(
        `DSM security object "${inputs.name}" (kid ${existing.kid}) cannot be adopted: ${mismatch}. ` +
          "Moving or replacing a key would strand what it encrypted; adopt it with matching groupId (AES-256 only), or choose another name.",
      );
    }
    const patch = dsmSobjectPatch(dsmSobjectViewOf(existing), inputs);
    if (Object.keys(patch).length === 0) return { id: existing.name, outs: dsmSobjectOutputs(inputs, existing, client.endpoint, []) };
    try {
      const patched = await client.patchSobject(existing.kid, patch);
      return { id: patched.name, outs: dsmSobjectOutputs(inputs, patched, client.endpoint, []) };
    } catch (err) {
      throw dsmPartialCreate(err, existing.name, dsmSobjectOutputs(inputs, existing, client.endpoint, []));
    }
  }

  async read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult<DsmSecurityObjectOutputs>> {
    const state = (props ?? {}) as Partial<DsmSecurityObjectOutputs>;
    const client = dsmClientFor(this, state.endpoint, this.options);
    const rotatedKids = [...(state.rotatedKids ?? [])];
    let current: DsmApiSobject;
    try {
      current = state.kid !== undefined ? await client.getSobject(state.kid) : ((await client.findSobjectByName(id)) as DsmApiSobject);
    } catch (err) {
      if (isDsmNotFound(err)) return {};
      throw err;
    }
    if (current === undefined) return {};
    // Rotated outside Pulumi: the state's kid was renamed away; follow the replacement links to the current key.
    for (let hops = 0; current.links?.replacement !== undefined && hops < 50; hops += 1) {
      let next: DsmApiSobject;
      try {
        next = await client.getSobject(current.links.replacement);
      } catch (err) {
        if (isDsmNotFound(err)) break;
        throw err;
      }
      if (!rotatedKids.includes(current.kid)) rotatedKids.push(current.kid);
      current = next;
    }
    const inputs: DsmSecurityObjectInputs = dsmClean({
      name: current.name,
      groupId: current.group_id,
      keySize: current.key_size ?? DSM_KEY_SIZE,
      keyOps: [...current.key_ops],
      description: current.description,
      enabled: current.enabled,
      rotationPolicyDays: current.rotation_policy?.interval_days,
      rotate: state.rotate,
      allowDestroy: state.allowDestroy ?? false,
      adopt: state.adopt ?? false,
      endpoint: client.endpoint,
    });
    const outs = dsmSobjectOutputs(inputs, current, client.endpoint, rotatedKids);
    return { id, props: outs, inputs: inputs as DsmSecurityObjectOutputs };
  }

  async update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult<DsmSecurityObjectOutputs>> {
    const old = olds as unknown as DsmSecurityObjectOutputs;
    const refusal = dsmSecurityObjectRefusal(olds, news, dsmDefaultEndpoint(this));
    if (refusal) throw new Error(refusal);
    const inputs = parseDsmInputs("securityObject", news);
    const client = dsmClientFor(this, inputs.endpoint ?? old.endpoint, this.options);
    let rotatedKids = [...(old.rotatedKids ?? [])];
    let current: DsmApiSobject | undefined;
    let view: DsmSobjectView = dsmSobjectViewOf({
      kid: old.kid, name: old.name, group_id: old.groupId, acct_id: old.acctId, obj_type: old.objType, key_ops: old.keyOps,
      enabled: old.enabled, description: old.description,
      ...(old.rotationPolicyDays !== undefined ? { rotation_policy: { interval_days: old.rotationPolicyDays } } : {}),
    });
    if (inputs.rotate !== undefined && inputs.rotate !== old.rotate) {
      current = await client.rekeySobject(old.name, {}, old.kid);
      rotatedKids = [...rotatedKids.filter((k) => k !== old.kid), old.kid];
      view = dsmSobjectViewOf(current);
    }
    const patch = dsmSobjectPatch(view, inputs);
    if (Object.keys(patch).length > 0) {
      const rotated = current;
      try {
        current = await client.patchSobject(rotated?.kid ?? old.kid, patch);
      } catch (err) {
        if (rotated === undefined) throw err;
        // The rekey is done: record it (with what DSM has, not what the PATCH wanted), or the next
        // `pulumi up` would see the old kid and `rotate` in the state and rotate a second time.
        throw dsmPartialCreate(err, id, {
          ...dsmSobjectOutputs(inputs, rotated, client.endpoint, rotatedKids),
          description: rotated.description,
          rotationPolicyDays: rotated.rotation_policy?.interval_days,
        });
      }
    }
    if (current === undefined) {
      return { outs: dsmClean({ ...old, ...inputs, description: inputs.description ?? old.description, endpoint: client.endpoint, rotatedKids }) };
    }
    return { outs: dsmSobjectOutputs(inputs, current, client.endpoint, rotatedKids) };
  }

  async delete(_id: string, props: Props): Promise<void> {
    const state = props as unknown as DsmSecurityObjectOutputs;
    const client = dsmClientFor(this, state.endpoint, this.options);
    if (state.allowDestroy === true) {
      for (const kid of [state.kid, ...(state.rotatedKids ?? [])]) {
        try {
          await client.deleteSobject(kid);
        } catch (err) {
          if (!isDsmNotFound(err)) throw err;
        }
      }
      return;
    }
    try {
      await client.patchSobject(state.kid, { enabled: false });
    } catch (err) {
      if (isDsmNotFound(err)) return;
      throw err;
    }
    await dsmNotice(
      `DSM security object "${state.name}" (kid ${state.kid}) was disabled and kept in DSM at ${client.endpoint}, with its key material ` +
        "(allowDestroy is false), so data encrypted under it stays recoverable. To use it again, re-enable it or declare it with `adopt: true`; " +
        "to destroy it, set `allowDestroy: true`, run `pulumi up`, then remove it.",
    );
  }
}
