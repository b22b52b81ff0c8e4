// The offline plan engine: runs a Pulumi program in this process under a mock resource monitor
// that records what `pulumi preview` would register (inputs, mock outputs, dependencies,
// protect, secret outputs), with deterministic mock outputs. No CLI, no cloud, no credentials.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor, type MockCallArgs, type MockResourceArgs, type Mocks } from "@pulumi/pulumi/runtime/mocks";
import * as pulumiSettings from "@pulumi/pulumi/runtime/settings";
import * as pulumiState from "@pulumi/pulumi/runtime/state";

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
  additionalSecretOutputs: string[];
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
  /** The Pulumi program: registers resources and returns the stack outputs. */
  program: () => Promise<object | void> | object | void;
  /** Project name (the config namespace). Default `oci-ekm`. */
  project?: string;
  /** Stack name. Default `dev`. */
  stack?: string;
  /** Stack config by full key (`oci-ekm:compartmentId`); non-strings are stored as JSON, as Pulumi does. Default: none. */
  config?: Record<string, unknown>;
  /** Full keys of `config` that are secrets. Default: none. */
  secretKeys?: string[];
  /** Overrides of the mock defaults. */
  mockDefaults?: Partial<PlanMockDefaults>;
  /**
   * Answer a resource yourself (the sandbox creates the real thing): return `{ id, state }`, or
   * undefined to keep the defaults. Secret inputs arrive wrapped as Pulumi's mocks wrap them
   * (`planRevealSecrets` unwraps them).
   */
  onNewResource?: (args: MockResourceArgs, defaults: PlanMockResult) => Promise<PlanMockResult | undefined>;
  /** Answer a provider function call (invoke) yourself; undefined keeps the defaults. */
  onCall?: (args: MockCallArgs, defaults: Record<string, unknown>) => Promise<Record<string, unknown> | undefined>;
}

export interface PlanResult {
  /** Every registered resource, in registration order, the stack first. */
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

/** Default mock outputs: the inputs, plus what each provider computes, deterministically. */
export function defaultPlanMockResult(args: MockResourceArgs, d: PlanMockDefaults = PLAN_MOCK_DEFAULTS): PlanMockResult {
  const inputs = { ...(args.inputs as Record<string, unknown>) };
  // A dynamic provider's serialized code is an input, not something it outputs.
  delete inputs.__provider;
  const id = `${args.name}_id`;
  const tag = hex(args.type + "::" + args.name, 12);
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
      return { id, state: { ...inputs, certPem: `-----BEGIN CERTIFICATE-----\nMOCK-PLAN-CERTIFICATE-${tag}\n-----END CERTIFICATE-----\n` } };
    default:
      return { id: args.custom === false ? undefined : id, state: inputs };
  }
}

/** Default results of provider functions (invokes). */
export function defaultPlanCallResult(args: MockCallArgs, d: PlanMockDefaults = PLAN_MOCK_DEFAULTS): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.token) {
    case "oci:Identity/getDomainsSetting:getDomainsSetting":
      return { ...inputs, id: "Settings", csrAccess: d.csrAccess, signingCertPublicAccess: false };
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
  getDependenciesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getObject(): StructLike | undefined;
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

/** A MockMonitor that records every registration with its dependencies. */
class PlanMonitor extends MockMonitor {
  readonly records: PlanResource[] = [];
  readonly errors: unknown[] = [];
  stackOutputsRaw: Record<string, unknown> = {};
  private readonly pendingSecretOutputs = new Map<string, string[]>();

  constructor(mocks: Mocks) {
    super(mocks);
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
    const mocks: Mocks = {
      newResource: async (args) => {
        const secretOutputs = monitor!.takeSecretOutputs(args.type, args.name);
        const base = defaultPlanMockResult(args, defaults);
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
    monitor = new PlanMonitor(mocks);

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
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        return (await opts.program()) ?? {};
      } catch (e) {
        programError = e ?? new Error("the program failed");
        return {};
      }
    });
    await internals.waitForRPCs();
    if (programError !== undefined) throw programError;
    if (monitor.errors.length > 0) throw monitor.errors[0];

    const raw = monitor.stackOutputsRaw;
    return {
      resources: monitor.records,
      outputs: planJsonValue(raw) as Record<string, unknown>,
      secretOutputNames: Object.keys(raw).filter((k) => hasSecret(raw[k])),
      outputValues: planJsonValue(raw, true) as Record<string, unknown>,
      durationMs: performance.now() - started,
    };
  } finally {
    running = false;
  }
}
