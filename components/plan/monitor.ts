// The offline plan's monitor: Pulumi's MockMonitor, recording every registration (inputs, mock
// outputs, dependencies, options) as the plan's resources, under the URNs the engine would give them.
import type { Mocks } from "@pulumi/pulumi/runtime/mocks";
import { MockMonitor, readSdkRegisteredOutputs, readSdkRegistration, readSdkRegistrationResponse, replaceMockMonitorNewUrn } from "./sdk-shims";
import { planJsonValue } from "./values";

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
  /** The version of its package, from which the engine names the default provider (`default_4_20_0`); empty when none was sent. */
  packageVersion?: string;
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
export class PlanMonitor extends MockMonitor {
  readonly records: PlanResource[] = [];
  readonly errors: unknown[] = [];
  stackOutputsRaw: Record<string, unknown> = {};
  private readonly pendingSecretOutputs = new Map<string, string[]>();

  constructor(mocks: Mocks, stack: string, project: string) {
    super(mocks);
    // Every registration and read goes through `newUrn`: replacing it keeps the monitor's own
    // resource map keyed by the URNs the program sees.
    replaceMockMonitorNewUrn(this, (parent: string, type: string, name: string) => planUrn(stack, project, parent || undefined, type, name));
  }

  /** additionalSecretOutputs of the registration being mocked (newResource only sees type and name). */
  takeSecretOutputs(type: string, name: string): string[] {
    const key = type + "::" + name;
    const list = this.pendingSecretOutputs.get(key) ?? [];
    this.pendingSecretOutputs.delete(key);
    return list;
  }

  override async registerResource(req: unknown, callback: MonitorCallback<unknown>): Promise<void> {
    const reg = readSdkRegistration(req);
    const additionalSecretOutputs = reg.additionalSecretOutputs;
    this.pendingSecretOutputs.set(reg.type + "::" + reg.name, additionalSecretOutputs);
    const record: Omit<PlanResource, "urn" | "id" | "outputs"> = {
      type: reg.type,
      name: reg.name,
      parent: reg.parent || undefined,
      custom: reg.custom,
      inputs: planJsonValue(reg.object) as Record<string, unknown>,
      dependencies: [...new Set(reg.dependencies)],
      protect: reg.protect,
      retainOnDelete: reg.retainOnDelete,
      ...(reg.provider ? { provider: reg.provider } : {}),
      ...(reg.custom && reg.version ? { packageVersion: reg.version } : {}),
      ...(reg.aliases.length > 0 ? { aliases: reg.aliases } : {}),
      additionalSecretOutputs,
    };
    await super.registerResource(req, (err: unknown, response: unknown) => {
      if (err) {
        this.errors.push(err);
      } else if (response) {
        const answer = readSdkRegistrationResponse(response);
        this.records.push({
          urn: answer.urn,
          ...record,
          id: record.custom ? answer.id || undefined : undefined,
          outputs: record.custom ? (planJsonValue(answer.object()) as Record<string, unknown>) : {},
        });
      }
      callback(err, response);
    });
  }

  override registerResourceOutputs(req: unknown, callback: MonitorCallback<object>): void {
    const { urn, outputs: raw } = readSdkRegisteredOutputs(req);
    const record = this.records.find((r) => r.urn === urn);
    if (record) {
      record.outputs = planJsonValue(raw) as Record<string, unknown>;
      if (record.type === STACK_TYPE) this.stackOutputsRaw = raw;
    }
    super.registerResourceOutputs(req, callback);
  }
}
