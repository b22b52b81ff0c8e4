// The offline plan engine: runs a Pulumi program in this process under a mock resource monitor
// that records what `pulumi preview` would register (inputs, mock outputs, dependencies,
// protect, secret outputs), with deterministic mock outputs. No CLI, no cloud, no credentials.
// The monitor is in monitor.ts, the mock outputs in mock-results.ts, the reading of serialized
// values in values.ts, and every use of @pulumi/pulumi's internals in sdk-shims.ts.
import * as pulumi from "@pulumi/pulumi";
import type { MockCallArgs, MockResourceArgs, Mocks } from "@pulumi/pulumi/runtime/mocks";
import { defaultDsmProviderCacheDir } from "../dsm/provider-cache";
import { useDsmProviderCache } from "../dsm/provider-module";
import { defaultPlanCallResult, defaultPlanMockResult, PLAN_MOCK_DEFAULTS, type PlanMockDefaults, type PlanMockResult, type PlanMockSubnets, planMockSubnets } from "./mock-results";
import { PlanMonitor, type PlanResource } from "./monitor";
import { assertPlanSdkShims, installSdkMockMonitor, runInSdkStack, setSdkConfig, waitForSdkRpcs } from "./sdk-shims";
import { planHasSecret, planJsonValue, planSecretWrap } from "./values";

export { PLAN_SECRET, PLAN_UNKNOWN, planJsonValue, planRevealSecrets } from "./values";
export { type PlanAlias, type PlanResource, planUrn } from "./monitor";
export {
  defaultPlanCallResult,
  defaultPlanMockResult,
  PLAN_DOMAIN_SETTINGS,
  PLAN_MOCK_DEFAULTS,
  planClientId,
  planDsmUuid,
  type PlanMockDefaults,
  type PlanMockResult,
} from "./mock-results";

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
  /**
   * Where the DSM providers' serialized text is kept between runs (dsm/provider-cache.ts), or false
   * to serialize them afresh. Default: `node_modules/.cache/oci-ekm-fortanix-providers` under the
   * working directory, when it has a node_modules folder.
   */
  providerCache?: string | false;
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
let sdkChecked = false;

/**
 * The mocks of one run: the default mock outputs, or the caller's hooks' answers, with the outputs
 * listed in additionalSecretOutputs made secret. A resource whose inputs a DSM provider's check
 * refuses is answered empty and its error added to `refusals`.
 */
function planMocks(opts: PlanRunOptions, defaults: PlanMockDefaults, monitor: () => PlanMonitor, refusals: unknown[]): Mocks {
  const subnets: PlanMockSubnets = planMockSubnets();
  return {
    newResource: async (args) => {
      const secretOutputs = monitor().takeSecretOutputs(args.type, args.name);
      let base: PlanMockResult;
      try {
        base = defaultPlanMockResult(args, defaults, subnets);
      } catch (e) {
        refusals.push(e);
        return { id: `${args.name}_id`, state: {} };
      }
      const result = (await opts.onNewResource?.(args, base)) ?? base;
      // As the engine does: outputs listed in additionalSecretOutputs come back secret.
      const state: Record<string, unknown> = { ...result.state };
      for (const key of secretOutputs) {
        if (key in state && !planHasSecret(state[key])) state[key] = planSecretWrap(state[key]);
      }
      return { id: result.id, state };
    },
    call: async (args) => {
      const base = defaultPlanCallResult(args, defaults);
      return (await opts.onCall?.(args, base)) ?? base;
    },
  };
}

/** The stack config as the runtime holds it: non-strings as JSON, as Pulumi stores them. */
function planConfig(config: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config ?? {})) {
    if (v !== undefined) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

/**
 * Runs `program` as the stack; resolves with its error, if any, and the `type::name` of every
 * resource it constructed, in order.
 */
async function runPlanProgram(program: PlanRunOptions["program"]): Promise<{ programError: unknown; constructed: string[] }> {
  // A program error is caught inside the stack's init: thrown from there, the SDK would also
  // reject promises nobody awaits (unhandled rejections) besides the one returned here.
  let programError: unknown;
  // The monitor sees registrations once their inputs are resolved, and that order depends on
  // timing: the first dynamic resource of a kind waits for its provider's serialization, which
  // is cached for later runs. The order the program constructs resources in does not, so the
  // plan lists them in that order (a stack transformation sees each construction; it changes nothing).
  const constructed: string[] = [];
  await runInSdkStack(async () => {
    try {
      pulumi.runtime.registerStackTransformation((t) => {
        constructed.push(t.type + "::" + t.name);
        return undefined;
      });
      return (await program()) ?? {};
    } catch (e) {
      programError = e ?? new Error("the program failed");
      return {};
    }
  });
  await waitForSdkRpcs();
  return { programError, constructed };
}

/**
 * Runs `opts.program` as the stack `opts.project`/`opts.stack` under mocks and returns every
 * registered resource with its inputs, mock outputs and dependencies. Runs one after another in a
 * process are fine; concurrent runs are refused (the Pulumi runtime is global). Fails, naming them,
 * when the @pulumi/pulumi loaded lacks internals the plan relies on (sdk-shims.ts).
 */
export async function runStackInProcess(opts: PlanRunOptions): Promise<PlanResult> {
  if (running) throw new Error("runStackInProcess: a plan is already running in this process (the Pulumi runtime is global)");
  if (!sdkChecked) {
    assertPlanSdkShims();
    sdkChecked = true;
  }
  running = true;
  const started = performance.now();
  const cacheBefore = useDsmProviderCache(opts.providerCache === false ? undefined : (opts.providerCache ?? defaultDsmProviderCacheDir()));
  try {
    const project = opts.project ?? "oci-ekm";
    const stack = opts.stack ?? "dev";
    const defaults: PlanMockDefaults = { ...PLAN_MOCK_DEFAULTS, ...opts.mockDefaults };

    // Inputs a provider's check refuses fail the plan once the program is done: failing the
    // registration itself would reject every output promise of the resource, which nobody awaits.
    const refusals: unknown[] = [];
    const monitor: PlanMonitor = new PlanMonitor(planMocks(opts, defaults, () => monitor, refusals), stack, project);
    installSdkMockMonitor(monitor, project, stack);
    setSdkConfig(planConfig(opts.config), opts.secretKeys ?? []);

    const { programError, constructed } = await runPlanProgram(opts.program);
    if (programError !== undefined) throw programError;
    if (refusals.length === 1) throw refusals[0];
    if (refusals.length > 1) throw new Error(refusals.map((e) => (e instanceof Error ? e.message : String(e))).join("\n"));
    if (monitor.errors.length > 0) throw monitor.errors[0];

    const raw = monitor.stackOutputsRaw;
    return {
      resources: inConstructionOrder(monitor.records, constructed),
      outputs: planJsonValue(raw) as Record<string, unknown>,
      secretOutputNames: Object.keys(raw).filter((k) => planHasSecret(raw[k])),
      outputValues: planJsonValue(raw, true) as Record<string, unknown>,
      durationMs: performance.now() - started,
    };
  } finally {
    useDsmProviderCache(cacheBefore);
    running = false;
  }
}
