// The offline plan engine: runs a Pulumi program in this process under a mock resource monitor
// that records what `pulumi preview` would register (inputs, mock outputs, dependencies,
// protect, secret outputs), with deterministic mock outputs. No CLI, no cloud, no credentials.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor, type MockCallArgs, type MockResourceArgs, type Mocks } from "@pulumi/pulumi/runtime/mocks";
import * as pulumiSettings from "@pulumi/pulumi/runtime/settings";
import * as pulumiState from "@pulumi/pulumi/runtime/state";
import { checkDsmInputs, DSM_TYPE_TOKENS, type DsmResourceKind } from "../dsm/schemas";

/** Stands for a secret value in every plan output. */
export const PLAN_SECRET = "[secret]";
/** Stands for a value unknown at plan time. */
export const PLAN_UNKNOWN = "[unknown]";

const SIG_KEY = pulumi.runtime.specialSigKey;
const SECRET_SIG = pulumi.runtime.specialSecretSig;
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

/** One registered resource, as plain JSON (secrets replaced by `[secret]`). */
export interface PlanResource {
  urn: string;
  type: string;
  name: string;
  /** URN of the parent; undefined for the stack itself. */
  parent?: string;
  /** True for resources a provider manages, false for components (and the stack). */
  custom: boolean;
  /** The mock id; undefined for components. */
  id?: string;
  inputs: Record<string, unknown>;
  /** Mock outputs of custom resources; registered outputs of components. */
  outputs: Record<string, unknown>;
  /** URNs of the resources whose outputs or `dependsOn` this resource waits for. */
  dependencies: string[];
  protect: boolean;
  /** Deleting it (or replacing it) leaves the cloud object in place: the provider's delete is never called. */
  retainOnDelete: boolean;
  additionalSecretOutputs: string[];
  /** The explicit provider it is registered with (`<provider URN>::<id>`); undefined for the default provider. */
  provider?: string;
  /** The aliases it is registered with (the engine resolves them to the URNs the resource may have had). */
  aliases?: PlanAlias[];
}

/** An alias as the SDK sends it: an old URN, or the parts that differ from the resource's own (the engine fills in the rest). */
export interface PlanAlias {
  urn?: string;
  name?: string;
  type?: string;
  stack?: string;
  project?: string;
  parentUrn?: string;
  noParent?: boolean;
}

/** What a mock returns for one resource. */
export interface PlanMockResult {
  id: string | undefined;
  state: Record<string, unknown>;
}

/** The deterministic values mock outputs are built from. */
export interface PlanMockDefaults {
  /** `ipAddresses[0].ipAddress` of every API Gateway. */
  gatewayPrivateIp: string;
  /** `privateEndpointIp` of every EKM private endpoint. */
  privateEndpointIp: string;
  /** Region in the vault endpoints. */
  region: string;
  /** `csrAccess` the Identity Domain settings lookup returns. */
  csrAccess: string;
}

export const PLAN_MOCK_DEFAULTS: PlanMockDefaults = {
  gatewayPrivateIp: "10.0.1.10",
  privateEndpointIp: "10.0.1.20",
  region: "us-ashburn-1",
  csrAccess: "none",
};

export interface PlanRunOptions {
  /** The Pulumi program: registers resources and returns the stack outputs. Required. */
  program: () => Promise<object | void> | object | void;
  /** Project name (the config namespace). Default `oci-ekm`. */
  project?: string;
  /** Stack name. Default `dev`. */
  stack?: string;
  /** Stack config by full key (`oci-ekm:compartmentId`); non-strings are stored as JSON, as Pulumi does. Default: none. */
  config?: Record<string, unknown>;
  /** Full keys of `config` that are secrets. Default: none. */
  secretKeys?: string[];
  /** Overrides of the mock defaults. Default: none, i.e. `PLAN_MOCK_DEFAULTS`. */
  mockDefaults?: Partial<PlanMockDefaults>;
  /**
   * Answer a resource yourself (the sandbox creates the real thing): return `{ id, state }`, or
   * undefined to keep the defaults. Secret inputs arrive wrapped as Pulumi's mocks wrap them
   * (`planRevealSecrets` unwraps them). Default: none, every resource gets the defaults.
   */
  onNewResource?: (args: MockResourceArgs, defaults: PlanMockResult) => Promise<PlanMockResult | undefined>;
  /** Answer a provider function call (invoke) yourself; undefined keeps the defaults. Default: none. */
  onCall?: (args: MockCallArgs, defaults: Record<string, unknown>) => Promise<Record<string, unknown> | undefined>;
}

export interface PlanResult {
  /** Every registered resource, in the order the program constructed them, the stack first. */
  resources: PlanResource[];
  /** Stack outputs as plain JSON, secrets replaced by `[secret]`. */
  outputs: Record<string, unknown>;
  /** Names of the stack outputs that are secrets. */
  secretOutputNames: string[];
  /** Stack outputs with secrets revealed: for the caller's own use in memory; never print or write them. */
  outputValues: Record<string, unknown>;
  /** Wall time of the run. */
  durationMs: number;
}

function hex(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** The deterministic OAuth client ID the plan gives an Identity Domain app (32 hex digits, like real ones). */
export function planClientId(resourceName: string): string {
  return hex("client-id:" + resourceName, 32);
}

/**
 * The deterministic UUID the plan gives a DSM object (a group's `groupId`, an app's `appId`, a
 * security object's `kid`), from its resource type and name.
 */
export function planDsmUuid(resourceType: string, resourceName: string): string {
  const h = hex("dsm-uuid:" + resourceType + "::" + resourceName, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The DSM dynamic resources, by type token. */
const DSM_KINDS: Record<string, DsmResourceKind> = {
  [DSM_TYPE_TOKENS.group]: "group",
  [DSM_TYPE_TOKENS.jwtApp]: "jwtApp",
  [DSM_TYPE_TOKENS.securityObject]: "securityObject",
};

/**
 * What a DSM provider's `create` returns, without calling DSM: the inputs after the provider's own
 * `check` (its defaults applied, its validation failing the plan as it fails `pulumi preview`), and
 * the ids DSM would assign. The ids matter beyond display: an input whose value is undefined carries
 * no dependency, so without a `groupId` the plan would lose the group → app and group → key edges.
 */
function dsmPlanMockResult(kind: DsmResourceKind, args: MockResourceArgs, inputs: Record<string, unknown>, id: string): PlanMockResult {
  const { inputs: checked, failures } = checkDsmInputs(kind, planRevealSecrets(inputs) as Record<string, unknown>);
  if (failures.length > 0) throw new Error(`${args.type} ${args.name}: ${failures.map((f) => f.reason).join("; ")}`);
  // A secret input stays wrapped, so that the output is secret too.
  for (const [k, v] of Object.entries(inputs)) if (hasSecret(v)) checked[k] = v;
  const uuid = planDsmUuid(args.type, args.name);
  switch (kind) {
    case "group":
      return { id: uuid, state: { ...checked, groupId: uuid } };
    case "jwtApp":
      return { id: uuid, state: { ...checked, appId: uuid, authType: "SignedJwt", enabled: true } };
    case "securityObject":
      // The provider's id of a security object is its name (what key references use); the kid changes on rotation.
      return { id: String(checked.name ?? id), state: { ...checked, kid: uuid, objType: "AES", state: "Active", rotatedKids: [] } };
  }
}

/** Unwraps Pulumi's secret markers (as mocks receive them) into plain values. */
export function planRevealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(planRevealSecrets);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return planRevealSecrets(obj.value);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, planRevealSecrets(v)]));
  }
  return value;
}

function secretWrap(value: unknown): unknown {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/**
 * Default mock outputs: the inputs, plus what each provider computes, deterministically. Throws,
 * naming the resource and the fields, when a DSM provider's check would refuse the inputs.
 */
export function defaultPlanMockResult(args: MockResourceArgs, d: PlanMockDefaults = PLAN_MOCK_DEFAULTS): PlanMockResult {
  const inputs = { ...(args.inputs as Record<string, unknown>) };
  // A dynamic provider's serialized code is an input, not something it outputs.
  delete inputs.__provider;
  const id = `${args.name}_id`;
  const tag = hex(args.type + "::" + args.name, 12);
  const dsmKind = DSM_KINDS[args.type];
  if (dsmKind !== undefined) return dsmPlanMockResult(dsmKind, args, inputs, id);
  switch (args.type) {
    case "oci:ApiGateway/gateway:Gateway":
      return { id, state: { ...inputs, ipAddresses: [{ ipAddress: d.gatewayPrivateIp, ipMode: "IPV4" }], state: "ACTIVE" } };
    case "oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint":
      return { id, state: { ...inputs, privateEndpointIp: d.privateEndpointIp, state: "ACTIVE" } };
    case "oci:Identity/domainsApp:DomainsApp":
      return { id, state: { ...inputs, name: planClientId(args.name), clientSecret: "mock-client-secret-" + hex("secret:" + args.name, 24) } };
    case "oci:Kms/vault:Vault":
      return {
        id,
        state: {
          ...inputs,
          managementEndpoint: `https://${tag}-management.kms.${d.region}.oraclecloud.com`,
          cryptoEndpoint: `https://${tag}-crypto.kms.${d.region}.oraclecloud.com`,
          state: "ACTIVE",
        },
      };
    case "oci:Kms/key:Key":
      return { id, state: { ...inputs, state: "ENABLED" } };
    case "oci:Kms/keyVersion:KeyVersion":
      return { id, state: { ...inputs, keyVersionId: `ocid1.keyversion.oc1.${d.region}.${hex("key-version:" + args.name, 24)}`, state: "ENABLED" } };
    case "tls:index/privateKey:PrivateKey":
      return {
        id,
        state: {
          ...inputs,
          privateKeyPem: `-----BEGIN RSA PRIVATE KEY-----\nMOCK-PLAN-KEY-${tag}\n-----END RSA PRIVATE KEY-----\n`,
          publicKeyPem: `-----BEGIN PUBLIC KEY-----\nMOCK-PLAN-PUBLIC-KEY-${tag}\n-----END PUBLIC KEY-----\n`,
        },
      };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { id, state: { ...inputs, certPem: `-----BEGIN CERTIFICATE-----\nMOCK-PLAN-CERTIFICATE-${tag}\n-----END CERTIFICATE-----\n`, readyForRenewal: false } };
    case "tls:index/certRequest:CertRequest":
      return { id, state: { ...inputs, certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\nMOCK-PLAN-CSR-${tag}\n-----END CERTIFICATE REQUEST-----\n` } };
    default:
      return { id: args.custom === false ? undefined : id, state: inputs };
  }
}

/**
 * What the plan's `getDomainsSetting` reads: the settings of a domain in use, with every writable
 * field set, so that the plan shows what the domain setting carries over (and tests can check it).
 */
export const PLAN_DOMAIN_SETTINGS: Record<string, unknown> = {
  id: "Settings",
  settingId: "Settings",
  schemas: ["urn:ietf:params:scim:schemas:oracle:idcs:Settings"],
  signingCertPublicAccess: false,
  accountAlwaysTrustScope: false,
  allowedDomains: ["example.com"],
  allowedForgotPasswordFlowReturnUrls: ["https://console.example.com/"],
  allowedNotificationRedirectUrls: ["https://console.example.com/notifications"],
  auditEventRetentionPeriod: 30,
  certificateValidations: [{
    crlCheckOnOcspFailureEnabled: false, crlEnabled: false, crlLocation: "", crlRefreshInterval: 0, ocspEnabled: true,
    ocspResponderUrl: "https://ocsp.example.com", ocspSettingsResponderUrlPreferred: true, ocspSigningCertificateAlias: "", ocspTimeoutDuration: 3,
    ocspUnknownResponseStatusAllowed: false,
  }],
  cloudGateCorsSettings: [{ cloudGateCorsAllowNullOrigin: false, cloudGateCorsAllowedOrigins: ["https://app.example.com"], cloudGateCorsEnabled: true, cloudGateCorsExposedHeaders: [], cloudGateCorsMaxAge: 600 }],
  cloudMigrationCustomUrl: "",
  cloudMigrationUrlEnabled: false,
  companyNames: [{ locale: "en", value: "Example Corp" }],
  contactEmails: ["security@example.com"],
  customBranding: true,
  customCssLocation: "",
  customHtmlLocation: "",
  customTranslation: "",
  defaultTrustScope: "Explicit",
  diagnosticLevel: 0,
  diagnosticRecordForSearchIdentifiesReturnedResources: false,
  enableTermsOfUse: true,
  externalId: "",
  iamUpstSessionExpiry: 480,
  images: [{ display: "Example Corp", type: "desktop logo", value: "https://cdn.example.com/logo.png" }],
  isHostedPage: false,
  issuer: "https://identity.oraclecloud.com/",
  locale: "en-US",
  loginTexts: [{ locale: "en", value: "Authorized use only" }],
  maxNoOfAppCmvaToReturn: 1000,
  maxNoOfAppRoleMembersToReturn: 1000,
  preferredLanguage: "en",
  prevIssuer: "",
  privacyPolicyUrl: "https://example.com/privacy",
  purgeConfigs: [{ resourceName: "AuditEvent", retentionPeriod: 30 }],
  reAuthFactors: ["password"],
  reAuthWhenChangingMyAuthenticationFactors: true,
  serviceAdminCannotListOtherUsers: false,
  subMappingAttr: "userName",
  tags: [{ key: "owner", value: "security" }],
  tenantCustomClaims: [{ allScopes: false, expression: false, mode: "always", name: "department", scopes: ["urn:opc:idm:__myscopes__"], tokenType: "AT", value: "security" }],
  termsOfUseUrl: "https://example.com/terms",
  timezone: "Europe/Berlin",
  // Read-only: not carried over.
  cloudAccountName: "examplecorp",
  domainOcid: "ocid1.domain.oc1..aaaaaaaaexampledomain",
  tenancyOcid: "ocid1.tenancy.oc1..aaaaaaaaexampletenancy",
};

/** Default results of provider functions (invokes). */
export function defaultPlanCallResult(args: MockCallArgs, d: PlanMockDefaults = PLAN_MOCK_DEFAULTS): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.token) {
    case "oci:Identity/getDomainsSetting:getDomainsSetting":
      return { ...PLAN_DOMAIN_SETTINGS, ...inputs, csrAccess: d.csrAccess };
    case "oci:ApiGateway/getGateway:getGateway":
      return { ...inputs, id: inputs.gatewayId, endpointType: "PRIVATE", ipAddresses: [{ ipAddress: d.gatewayPrivateIp, ipMode: "IPV4" }] };
    default:
      return inputs;
  }
}

/** Turns a serialized property value (protobuf Struct as JS) into plain JSON. */
export function planJsonValue(value: unknown, revealSecrets = false): unknown {
  if (value === pulumi.runtime.unknownValue) return PLAN_UNKNOWN;
  if (Array.isArray(value)) return value.map((v) => planJsonValue(v, revealSecrets));
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    switch (obj[SIG_KEY]) {
      case SECRET_SIG:
        return revealSecrets ? planJsonValue(obj.value, true) : PLAN_SECRET;
      case RESOURCE_SIG:
        return obj.urn;
      case OUTPUT_SIG:
        if (obj.secret === true && !revealSecrets) return PLAN_SECRET;
        return "value" in obj ? planJsonValue(obj.value, revealSecrets) : PLAN_UNKNOWN;
      case undefined:
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, planJsonValue(v, revealSecrets)]));
      default:
        return "[asset]";
    }
  }
  return value;
}

function hasSecret(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasSecret);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG || (obj[SIG_KEY] === OUTPUT_SIG && obj.secret === true)) return true;
    return Object.values(obj).some(hasSecret);
  }
  return false;
}

/** The parts of the monitor's protobuf requests the plan reads. */
interface StructLike {
  toJavaScript(): Record<string, unknown>;
}
interface RegisterResourceRequestLike {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getProvider(): string;
  getAliasesList(): AliasLike[];
  getDependenciesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getObject(): StructLike | undefined;
}
interface AliasLike {
  getUrn(): string;
  getSpec(): { getName(): string; getType(): string; getStack(): string; getProject(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
}

/** An alias request as a plain object, empty parts left out. */
function planAlias(a: AliasLike): PlanAlias {
  const spec = a.getSpec();
  if (spec === undefined) return { urn: a.getUrn() };
  const parts: PlanAlias = {
    name: spec.getName() || undefined,
    type: spec.getType() || undefined,
    stack: spec.getStack() || undefined,
    project: spec.getProject() || undefined,
    parentUrn: spec.getParenturn() || undefined,
    noParent: spec.getNoparent() || undefined,
  };
  return Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)) as PlanAlias;
}

interface RegisterResourceResponseLike {
  getUrn(): string;
  getId(): string;
  getObject(): StructLike | undefined;
}
interface RegisterResourceOutputsRequestLike {
  getUrn(): string;
  getOutputs(): StructLike | undefined;
}
type MonitorCallback<T> = (err: unknown, response: T | undefined) => void;

const STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * The URN the Pulumi engine gives a resource: its type qualified by its parent's whole qualified
 * type chain, the stack's type left out (pulumi/pulumi pkg/resource/deploy/deployment.go,
 * generateURN, and sdk/go/common/resource/urn/urn.go, New). The SDK's mock monitor keeps only the
 * parent's last type, so its URNs would not match a real stack's state.
 */
export function planUrn(stack: string, project: string, parent: string | undefined, type: string, name: string): string {
  const parentType = parent ? parent.split("::")[2] ?? "" : "";
  const qualified = parentType !== "" && parentType !== STACK_TYPE ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** A MockMonitor that records every registration with its dependencies. */
class PlanMonitor extends MockMonitor {
  readonly records: PlanResource[] = [];
  readonly errors: unknown[] = [];
  stackOutputsRaw: Record<string, unknown> = {};
  private readonly pendingSecretOutputs = new Map<string, string[]>();

  constructor(mocks: Mocks, stack: string, project: string) {
    super(mocks);
    // `newUrn` is private in the SDK's types; every registration and read goes through it, so
    // replacing it keeps the monitor's own resource map keyed by the URNs the program sees.
    const self = this as unknown as { newUrn?: unknown };
    if (typeof self.newUrn !== "function") {
      throw new Error("offline plan: this @pulumi/pulumi version's MockMonitor lacks newUrn; re-check the plan engine against it");
    }
    self.newUrn = (parent: string, type: string, name: string) => planUrn(stack, project, parent || undefined, type, name);
  }

  /** additionalSecretOutputs of the registration being mocked (newResource only sees type and name). */
  takeSecretOutputs(type: string, name: string): string[] {
    const key = type + "::" + name;
    const list = this.pendingSecretOutputs.get(key) ?? [];
    this.pendingSecretOutputs.delete(key);
    return list;
  }

  override async registerResource(req: RegisterResourceRequestLike, callback: MonitorCallback<RegisterResourceResponseLike>): Promise<void> {
    const additionalSecretOutputs = req.getAdditionalsecretoutputsList();
    this.pendingSecretOutputs.set(req.getType() + "::" + req.getName(), additionalSecretOutputs);
    const record: Omit<PlanResource, "urn" | "id" | "outputs"> = {
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent() || undefined,
      custom: req.getCustom(),
      inputs: planJsonValue(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
      dependencies: [...new Set(req.getDependenciesList())],
      protect: req.getProtect() === true,
      retainOnDelete: req.getRetainondelete() === true,
      ...(req.getProvider() ? { provider: req.getProvider() } : {}),
      ...(req.getAliasesList().length > 0 ? { aliases: req.getAliasesList().map(planAlias) } : {}),
      additionalSecretOutputs,
    };
    await super.registerResource(req, (err: unknown, response: RegisterResourceResponseLike | undefined) => {
      if (err) {
        this.errors.push(err);
      } else if (response) {
        this.records.push({
          urn: response.getUrn(),
          ...record,
          id: record.custom ? response.getId() || undefined : undefined,
          outputs: record.custom ? (planJsonValue(response.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>) : {},
        });
      }
      callback(err, response);
    });
  }

  override registerResourceOutputs(req: RegisterResourceOutputsRequestLike, callback: MonitorCallback<object>): void {
    const urn = req.getUrn();
    const raw = req.getOutputs()?.toJavaScript() ?? {};
    const record = this.records.find((r) => r.urn === urn);
    if (record) {
      record.outputs = planJsonValue(raw) as Record<string, unknown>;
      if (record.type === STACK_TYPE) this.stackOutputsRaw = raw;
    }
    super.registerResourceOutputs(req, callback);
  }
}

interface PulumiStoreLike {
  supportsSecrets: boolean;
  supportsResourceReferences: boolean;
  supportsOutputValues: boolean;
  supportsDeletedWith: boolean;
  supportsAliasSpecs: boolean;
  supportsTransforms: boolean;
}

function sdkInternals(): { getStore(): PulumiStoreLike; waitForRPCs(): Promise<void> } {
  const state = pulumiState as unknown as { getStore?: () => PulumiStoreLike };
  const settings = pulumiSettings as unknown as { waitForRPCs?: () => Promise<void> };
  if (typeof state.getStore !== "function" || typeof settings.waitForRPCs !== "function") {
    throw new Error("offline plan: this @pulumi/pulumi version lacks runtime getStore/waitForRPCs; re-check the plan engine against it");
  }
  return { getStore: state.getStore, waitForRPCs: settings.waitForRPCs };
}

/**
 * `records` sorted by the order of `constructed` (`type::name`, repeated names matched in turn);
 * resources the program did not construct (the stack) come first, in the order they were registered.
 */
function inConstructionOrder(records: PlanResource[], constructed: string[]): PlanResource[] {
  const positions = new Map<string, number[]>();
  constructed.forEach((key, i) => positions.set(key, [...(positions.get(key) ?? []), i]));
  const rank = (r: PlanResource): number => positions.get(r.type + "::" + r.name)?.shift() ?? -1;
  return records
    .map((r, i) => ({ r, i, rank: rank(r) }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((x) => x.r);
}

let running = false;

/**
 * Runs `opts.program` as the stack `opts.project`/`opts.stack` under mocks and returns every
 * registered resource with its inputs, mock outputs and dependencies. Runs one after another in a
 * process are fine; concurrent runs are refused (the Pulumi runtime is global).
 */
export async function runStackInProcess(opts: PlanRunOptions): Promise<PlanResult> {
  if (running) throw new Error("runStackInProcess: a plan is already running in this process (the Pulumi runtime is global)");
  running = true;
  const started = performance.now();
  try {
    const project = opts.project ?? "oci-ekm";
    const stack = opts.stack ?? "dev";
    const defaults: PlanMockDefaults = { ...PLAN_MOCK_DEFAULTS, ...opts.mockDefaults };
    const internals = sdkInternals();

    let monitor: PlanMonitor | undefined;
    // Inputs a provider's check refuses fail the plan once the program is done: failing the
    // registration itself would reject every output promise of the resource, which nobody awaits.
    const refusals: unknown[] = [];
    const mocks: Mocks = {
      newResource: async (args) => {
        const secretOutputs = monitor!.takeSecretOutputs(args.type, args.name);
        let base: PlanMockResult;
        try {
          base = defaultPlanMockResult(args, defaults);
        } catch (e) {
          refusals.push(e);
          return { id: `${args.name}_id`, state: {} };
        }
        const result = (await opts.onNewResource?.(args, base)) ?? base;
        // As the engine does: outputs listed in additionalSecretOutputs come back secret.
        const state: Record<string, unknown> = { ...result.state };
        for (const key of secretOutputs) {
          if (key in state && !hasSecret(state[key])) state[key] = secretWrap(state[key]);
        }
        return { id: result.id, state };
      },
      call: async (args) => {
        const base = defaultPlanCallResult(args, defaults);
        return (await opts.onCall?.(args, base)) ?? base;
      },
    };
    monitor = new PlanMonitor(mocks, stack, project);

    pulumiSettings.setMockOptions(monitor, project, stack, false);
    const store = internals.getStore();
    store.supportsSecrets = true;
    store.supportsResourceReferences = true;
    store.supportsOutputValues = false;
    store.supportsDeletedWith = true;
    store.supportsAliasSpecs = true;
    store.supportsTransforms = false;
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.config ?? {})) {
      if (v !== undefined) config[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    pulumi.runtime.setAllConfig(config, opts.secretKeys ?? []);

    // A program error is caught inside the stack's init: thrown from there, the SDK would also
    // reject promises nobody awaits (unhandled rejections) besides the one returned here.
    let programError: unknown;
    // The monitor sees registrations once their inputs are resolved, and that order depends on
    // timing: the first dynamic resource of a kind waits for its provider's serialization, which
    // is cached for later runs. The order the program constructs resources in does not, so the
    // plan lists them in that order (a stack transformation sees each construction; it changes nothing).
    const constructed: string[] = [];
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        pulumi.runtime.registerStackTransformation((t) => {
          constructed.push(t.type + "::" + t.name);
          return undefined;
        });
        return (await opts.program()) ?? {};
      } catch (e) {
        programError = e ?? new Error("the program failed");
        return {};
      }
    });
    await internals.waitForRPCs();
    if (programError !== undefined) throw programError;
    if (refusals.length === 1) throw refusals[0];
    if (refusals.length > 1) throw new Error(refusals.map((e) => (e instanceof Error ? e.message : String(e))).join("\n"));
    if (monitor.errors.length > 0) throw monitor.errors[0];

    const raw = monitor.stackOutputsRaw;
    return {
      resources: inConstructionOrder(monitor.records, constructed),
      outputs: planJsonValue(raw) as Record<string, unknown>,
      secretOutputNames: Object.keys(raw).filter((k) => hasSecret(raw[k])),
      outputValues: planJsonValue(raw, true) as Record<string, unknown>,
      durationMs: performance.now() - started,
    };
  } finally {
    running = false;
  }
}
