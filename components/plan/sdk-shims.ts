// Every reach of the offline plan into @pulumi/pulumi beyond the API a program uses, in one place.
// The plan runs a program in this process as the language host would, under a mock monitor that
// records what `pulumi preview` would register; for that it relies on SDK internals that carry no
// compatibility promise: a private method of MockMonitor, the protobuf requests the SDK sends its
// monitor, runtime settings and store flags, the wire signatures of serialized values. Each shim
// below names the SDK file and symbol it depends on, and `planSdkShimProblems` checks against the
// @pulumi/pulumi actually loaded that each one is still there with the expected shape, so that an
// SDK that moved one fails the plan with a message naming it instead of giving a silently wrong plan.
import * as pulumi from "@pulumi/pulumi";
import * as aliasProto from "@pulumi/pulumi/proto/alias_pb";
import * as resourceProto from "@pulumi/pulumi/proto/resource_pb";
import * as sdkMocks from "@pulumi/pulumi/runtime/mocks";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as sdkSettings from "@pulumi/pulumi/runtime/settings";
import * as sdkState from "@pulumi/pulumi/runtime/state";
import { version as sdkVersion } from "@pulumi/pulumi/version";
import type { PlanAlias } from "./monitor";

// ---- serialized values (runtime/rpc.ts) ---------------------------------------------------------

// runtime/rpc.ts, specialSigKey, specialSecretSig, specialResourceSig, specialOutputValueSig: the
// signatures the SDK marks serialized secrets, resource references and output values with (the
// engine's wire format, sdk/go/common/resource/sig). The plan decodes what the monitor receives by them.
/** The key a serialized special value carries its signature under. */
export const SDK_SIG_KEY: string = pulumi.runtime.specialSigKey;
/** The signature of a secret (`{ [SDK_SIG_KEY]: SDK_SECRET_SIG, value }`). */
export const SDK_SECRET_SIG: string = pulumi.runtime.specialSecretSig;
/** The signature of a resource reference (`{ …, urn }`). */
export const SDK_RESOURCE_SIG: string = pulumi.runtime.specialResourceSig;
/** The signature of an output value (`{ …, value?, secret? }`). */
export const SDK_OUTPUT_SIG: string = pulumi.runtime.specialOutputValueSig;
// runtime/rpc.ts, unknownValue: what the SDK sends for a value unknown at plan time.
/** The serialized form of an unknown value. */
export const SDK_UNKNOWN_VALUE: string = pulumi.runtime.unknownValue;

// ---- the mock monitor (runtime/mocks.ts) --------------------------------------------------------

// runtime/mocks.ts, MockMonitor: the in-process monitor `pulumi.runtime.setMocks` installs. The plan
// extends it (registerResource and registerResourceOutputs, each `(req, callback)`, to record every
// registration) rather than re-implementing the monitor protocol.
export { MockMonitor };

/**
 * runtime/mocks.ts, MockMonitor.newUrn(parent, type, name): private in the SDK's types; every
 * registration and read goes through it. The SDK's keeps only the parent's last type, so its URNs
 * would not match a real stack's state: replacing it keeps the monitor's own resource map keyed by
 * the URNs the program sees.
 */
export function replaceMockMonitorNewUrn(monitor: MockMonitor, newUrn: (parent: string, type: string, name: string) => string): void {
  (monitor as unknown as { newUrn: unknown }).newUrn = newUrn;
}

// ---- the requests the SDK sends its monitor (proto/resource_pb, proto/alias_pb) -------------------

// The SDK hands MockMonitor the generated protobuf messages (typed `any` there). The plan reads
// them through the getters below only, so that the checker can name any that is gone.
interface StructLike {
  toJavaScript(): Record<string, unknown>;
}
interface AliasLike {
  getUrn(): string;
  getSpec(): { getName(): string; getType(): string; getStack(): string; getProject(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
}
interface RegisterResourceRequestLike {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getProvider(): string;
  getVersion(): string;
  getAliasesList(): AliasLike[];
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

/** proto/resource_pb.js, RegisterResourceRequest: what the plan reads of a registration, as plain values. */
export interface SdkRegistration {
  type: string;
  name: string;
  /** Empty for none. */
  parent: string;
  custom: boolean;
  protect: boolean;
  retainOnDelete: boolean;
  /** Empty for the default provider. */
  provider: string;
  /** The version of the resource's package (its default provider's plugin); empty when the SDK sent none. */
  version: string;
  aliases: PlanAlias[];
  dependencies: string[];
  additionalSecretOutputs: string[];
  /** The inputs, serialized (secrets and unknowns marked with the signatures above). */
  object: Record<string, unknown>;
}

/** An alias request as a plain object, empty parts left out (proto/alias_pb.js, Alias and Alias.Spec). */
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

/** Reads a RegisterResourceRequest (proto/resource_pb.js) the SDK passed `MockMonitor.registerResource`. */
export function readSdkRegistration(request: unknown): SdkRegistration {
  const req = request as RegisterResourceRequestLike;
  return {
    type: req.getType(),
    name: req.getName(),
    parent: req.getParent(),
    custom: req.getCustom(),
    protect: req.getProtect() === true,
    retainOnDelete: req.getRetainondelete() === true,
    provider: req.getProvider(),
    version: req.getVersion(),
    aliases: req.getAliasesList().map(planAlias),
    dependencies: req.getDependenciesList(),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    object: req.getObject()?.toJavaScript() ?? {},
  };
}

/** Reads the RegisterResourceResponse (proto/resource_pb.js) MockMonitor answers a registration with. */
export function readSdkRegistrationResponse(response: unknown): { urn: string; id: string; object(): Record<string, unknown> } {
  const res = response as RegisterResourceResponseLike;
  return { urn: res.getUrn(), id: res.getId(), object: () => res.getObject()?.toJavaScript() ?? {} };
}

/** Reads a RegisterResourceOutputsRequest (proto/resource_pb.js): a component's (or the stack's) registered outputs. */
export function readSdkRegisteredOutputs(request: unknown): { urn: string; outputs: Record<string, unknown> } {
  const req = request as RegisterResourceOutputsRequestLike;
  return { urn: req.getUrn(), outputs: req.getOutputs()?.toJavaScript() ?? {} };
}

// ---- the runtime (runtime/settings.ts, runtime/state.ts, runtime/config.ts, runtime/stack.ts) -----

/** The monitor features runtime/state.ts's store records (LocalStore.supports*), as the plan sets them. */
const PLAN_MONITOR_FEATURES = {
  supportsSecrets: true,
  supportsResourceReferences: true,
  supportsOutputValues: false,
  supportsDeletedWith: true,
  supportsAliasSpecs: true,
  supportsTransforms: false,
} as const;

type SdkStore = Record<keyof typeof PLAN_MONITOR_FEATURES, boolean>;

/**
 * Installs `monitor` as the runtime's monitor for `project`/`stack`, not a preview, with the monitor
 * features `pulumi.runtime.setMocks` switches on (runtime/mocks.ts, setMocks, as of the oldest SDK
 * the range admits): setMocks itself would make its own MockMonitor, not the plan's. Depends on
 * runtime/settings.ts, setMockOptions(monitor, project, stack, preview), and runtime/state.ts,
 * getStore() (@internal, absent from the SDK's types) and the supports* flags of its store.
 */
export function installSdkMockMonitor(monitor: MockMonitor, project: string, stack: string): void {
  sdkSettings.setMockOptions(monitor, project, stack, false);
  const store = (sdkState as unknown as { getStore(): SdkStore }).getStore();
  Object.assign(store, PLAN_MONITOR_FEATURES);
}

/**
 * runtime/config.ts, setAllConfig(config, secretKeys): the stack config as the language host gives
 * it to a program (full keys, values as text), with the keys that are secrets.
 */
export function setSdkConfig(config: Record<string, string>, secretKeys: string[]): void {
  pulumi.runtime.setAllConfig(config, secretKeys);
}

/**
 * runtime/stack.ts, runInPulumiStack(init): runs the program inside the stack resource, as the
 * language host does, and registers what it returns as the stack's outputs.
 */
export async function runInSdkStack(init: () => Promise<object>): Promise<void> {
  await pulumi.runtime.runInPulumiStack(init);
}

/**
 * runtime/settings.ts, waitForRPCs() (@internal): resolves once every registration the program
 * started has been answered, so that the recorded plan is complete.
 */
export function waitForSdkRpcs(): Promise<void> {
  return (sdkSettings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

// ---- the check -----------------------------------------------------------------------------------

/** The @pulumi/pulumi modules the shims above rely on, as loaded; {@link planSdkShimProblems} takes others to be tested. */
export interface PlanSdkModules {
  /** `@pulumi/pulumi/version`'s `version`, for the messages. */
  version: string;
  /** `pulumi.runtime` (runtime/index.ts: rpc.ts, config.ts, stack.ts). */
  runtime: object;
  /** `@pulumi/pulumi/runtime/mocks`. */
  mocks: object;
  /** `@pulumi/pulumi/runtime/settings`. */
  settings: object;
  /** `@pulumi/pulumi/runtime/state`. */
  state: object;
  /** `@pulumi/pulumi/proto/resource_pb`. */
  resourceProto: object;
  /** `@pulumi/pulumi/proto/alias_pb`. */
  aliasProto: object;
}

/** The modules of the @pulumi/pulumi this package loaded (the stack project's own copy, when installed there). */
export function planSdkModules(): PlanSdkModules {
  return { version: sdkVersion, runtime: pulumi.runtime, mocks: sdkMocks, settings: sdkSettings, state: sdkState, resourceProto, aliasProto };
}

/** One SDK internal a shim relies on. */
interface ShimNeed {
  /** The SDK file, as the messages name it, e.g. `runtime/settings`. */
  file: string;
  /** What the file must still have, following "no longer", e.g. `exports waitForRPCs()`. */
  what: string;
  /** What the plan does with it, following "the offline plan needs it to". */
  why: string;
  holds(sdk: PlanSdkModules): boolean;
}

type SdkModuleName = Exclude<keyof PlanSdkModules, "version">;

function propertyAt(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if ((typeof at !== "object" && typeof at !== "function") || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** A function at `path` of the module, taking `arity` parameters (exactly, or at least with `atLeast`). */
function needFunction(file: string, module: SdkModuleName, path: string[], why: string, arity?: { exactly?: number; atLeast?: number }): ShimNeed {
  const params = arity?.exactly ?? arity?.atLeast;
  const shape = params === undefined ? "" : ` taking ${arity?.exactly === undefined ? "at least " : ""}${params} parameters`;
  return {
    file,
    what: `${path.length === 1 ? "exports" : "has"} ${path.join(".")}()${shape}`,
    why,
    holds: (sdk) => {
      const f = propertyAt(sdk[module], path);
      if (typeof f !== "function") return false;
      return (arity?.exactly === undefined || f.length === arity.exactly) && (arity?.atLeast === undefined || f.length >= arity.atLeast);
    },
  };
}

/** A non-empty string exported by the module. */
function needString(file: string, module: SdkModuleName, name: string, why: string): ShimNeed {
  return { file, what: `exports ${name} (a string)`, why, holds: (sdk) => typeof propertyAt(sdk[module], [name]) === "string" && propertyAt(sdk[module], [name]) !== "" };
}

/** A boolean monitor feature flag on runtime/state's store; a missing getStore is a need of its own. */
function needStoreFlag(flag: keyof SdkStore): ShimNeed {
  return {
    file: "runtime/state",
    what: `keeps the boolean ${flag} on getStore()'s store`,
    why: `set it as pulumi.runtime.setMocks does (${String(PLAN_MONITOR_FEATURES[flag])})`,
    holds: (sdk) => {
      const getStore = propertyAt(sdk.state, ["getStore"]);
      if (typeof getStore !== "function") return true;
      try {
        return typeof propertyAt(getStore(), [flag]) === "boolean";
      } catch {
        return false;
      }
    },
  };
}

const REGISTRATION_GETTERS = [
  "getType", "getName", "getParent", "getCustom", "getProtect", "getRetainondelete", "getProvider", "getVersion", "getAliasesList", "getDependenciesList",
  "getAdditionalsecretoutputsList", "getObject",
];
const ALIAS_SPEC_GETTERS = ["getName", "getType", "getStack", "getProject", "getParenturn", "getNoparent"];

/** Every internal the shims above rely on, in their order. */
const SHIM_NEEDS: readonly ShimNeed[] = [
  needString("runtime/rpc", "runtime", "specialSigKey", "decode the secrets, resource references and output values the program registers"),
  needString("runtime/rpc", "runtime", "specialSecretSig", "show secret values as [secret]"),
  needString("runtime/rpc", "runtime", "specialResourceSig", "show a resource reference as its URN"),
  needString("runtime/rpc", "runtime", "specialOutputValueSig", "read output values (secret, unknown or known)"),
  needString("runtime/rpc", "runtime", "unknownValue", "show values unknown at plan time as [unknown]"),
  needFunction("runtime/mocks", "mocks", ["MockMonitor"], "answer the program's registrations in this process"),
  needFunction("runtime/mocks", "mocks", ["MockMonitor", "prototype", "newUrn"], "give resources the URNs the engine gives them (the parent's whole type chain)", { exactly: 3 }),
  needFunction("runtime/mocks", "mocks", ["MockMonitor", "prototype", "registerResource"], "record every registration", { exactly: 2 }),
  needFunction("runtime/mocks", "mocks", ["MockMonitor", "prototype", "registerResourceOutputs"], "record the outputs of components and of the stack", { exactly: 2 }),
  ...REGISTRATION_GETTERS.map((g) =>
    needFunction("proto/resource_pb", "resourceProto", ["RegisterResourceRequest", "prototype", g], "read each registration (type, name, parent, inputs, dependencies, options)"),
  ),
  needFunction("proto/alias_pb", "aliasProto", ["Alias", "prototype", "getUrn"], "read the aliases a resource is registered with"),
  needFunction("proto/alias_pb", "aliasProto", ["Alias", "prototype", "getSpec"], "read the aliases a resource is registered with"),
  ...ALIAS_SPEC_GETTERS.map((g) => needFunction("proto/alias_pb", "aliasProto", ["Alias", "Spec", "prototype", g], "read the aliases a resource is registered with")),
  ...["getUrn", "getId", "getObject"].map((g) =>
    needFunction("proto/resource_pb", "resourceProto", ["RegisterResourceResponse", "prototype", g], "read the URN, id and mock outputs of each registration"),
  ),
  ...["getUrn", "getOutputs"].map((g) =>
    needFunction("proto/resource_pb", "resourceProto", ["RegisterResourceOutputsRequest", "prototype", g], "read the outputs of components and of the stack"),
  ),
  needFunction("runtime/settings", "settings", ["setMockOptions"], "install the plan's monitor as the runtime's", { atLeast: 4 }),
  needFunction("runtime/state", "state", ["getStore"], "switch on the monitor features pulumi.runtime.setMocks does (secrets, resource references, alias specs)"),
  ...(Object.keys(PLAN_MONITOR_FEATURES) as (keyof SdkStore)[]).map(needStoreFlag),
  needFunction("runtime/config", "runtime", ["setAllConfig"], "give the program its stack config and the keys that are secret", { atLeast: 2 }),
  needFunction("runtime/stack", "runtime", ["runInPulumiStack"], "run the program inside its stack resource, as the language host does", { atLeast: 1 }),
  needFunction("runtime/settings", "settings", ["waitForRPCs"], "wait until every registration is answered before reading the plan"),
];

/**
 * What the @pulumi/pulumi loaded (or `sdk`, a stand-in for tests) lacks of the internals the offline
 * plan relies on, one message each naming the SDK version, the file, the symbol and what the plan
 * needs it for; empty when everything is there with the expected shape.
 */
export function planSdkShimProblems(sdk: PlanSdkModules = planSdkModules()): string[] {
  return SHIM_NEEDS.filter((need) => !need.holds(sdk)).map(
    (need) => `@pulumi/pulumi ${sdk.version}: ${need.file} no longer ${need.what} (the offline plan needs it to ${need.why})`,
  );
}

/** Throws an Error listing {@link planSdkShimProblems}, if there are any. */
export function assertPlanSdkShims(sdk?: PlanSdkModules): void {
  const problems = planSdkShimProblems(sdk);
  if (problems.length === 0) return;
  throw new Error(
    "offline plan: the @pulumi/pulumi loaded lacks internals the plan relies on (use a @pulumi/pulumi this package's range admits, " +
      `or a release of this package made for the newer SDK):\n${problems.map((p) => `- ${p}`).join("\n")}`,
  );
}
