// The steps the Pulumi engine takes for one resource of a dynamic provider in each CLI command,
// over a {@link DynamicProviderHost}: what `pulumi preview`, `up`, `refresh` and `destroy` send the
// host, in that order, and what the engine keeps in the state afterwards.
import { type CheckResult, type DiffResult, type DynamicProviderHost, HostCallError } from "./provider-host";

type JsonMap = Record<string, unknown>;

/** One resource in the state file: its id, the inputs it was last deployed with, and its outputs. */
export interface HostedResourceState {
  urn: string;
  id: string;
  inputs: JsonMap;
  outputs: JsonMap;
  /** Set when the last create or update failed after the object was made: the engine keeps it, with these reasons. */
  initErrors?: string[];
}

/** A step the engine would stop at, with the state it would keep. */
export class EngineStepError extends Error {
  constructor(
    message: string,
    /** What the engine keeps in the state for this resource afterwards (undefined: nothing). */
    readonly state: HostedResourceState | undefined,
    /** The host's error, when the host refused a call. */
    override readonly cause?: HostCallError,
    /** `check` failures, when the inputs were refused. */
    readonly failures: CheckResult["failures"] = [],
  ) {
    super(message);
    this.name = "EngineStepError";
  }
}

function checkOrThrow(checked: CheckResult, state: HostedResourceState | undefined, urn: string): JsonMap {
  if (checked.failures.length > 0) {
    throw new EngineStepError(
      `${urn}: ${checked.failures.map((f) => f.reason).join("; ")}`,
      state,
      undefined,
      checked.failures,
    );
  }
  return checked.inputs;
}

/** `pulumi preview`: Check against the old inputs, then Diff against the state when the resource exists. */
export async function previewResource(
  host: DynamicProviderHost,
  urn: string,
  inputs: JsonMap,
  state?: HostedResourceState,
): Promise<{ inputs: JsonMap; diff?: DiffResult }> {
  const checked = checkOrThrow(await host.check(urn, state?.inputs ?? {}, inputs), state, urn);
  if (!state) return { inputs: checked };
  return { inputs: checked, diff: await host.diff(urn, state.id, state.outputs, checked, state.inputs) };
}

/** What `pulumi up` did to one resource. */
export interface UpResult {
  operation: "create" | "update" | "same";
  state: HostedResourceState;
  diff?: DiffResult;
}

/**
 * `pulumi up` for one resource: Check; then Create when it is new, or Diff and, on changes, Update.
 * A replacement is not carried out (these providers never ask for one without refusing first): it
 * is reported as an error. A failed Create or Update that made the object keeps it, as the engine does.
 */
export async function upResource(host: DynamicProviderHost, urn: string, inputs: JsonMap, state?: HostedResourceState): Promise<UpResult> {
  const checked = checkOrThrow(await host.check(urn, state?.inputs ?? {}, inputs), state, urn);
  try {
    if (!state) {
      const created = await host.create(urn, checked);
      return { operation: "create", state: { urn, id: created.id, inputs: checked, outputs: created.properties } };
    }
    const diff = await host.diff(urn, state.id, state.outputs, checked, state.inputs);
    if (diff.replaces.length > 0) throw new EngineStepError(`${urn}: the provider asks to replace it (${diff.replaces.join(", ")})`, state, undefined);
    if (diff.changes === "none") return { operation: "same", state, diff };
    const updated = await host.update(urn, state.id, state.outputs, checked, state.inputs);
    return { operation: "update", state: { urn, id: state.id, inputs: checked, outputs: updated.properties }, diff };
  } catch (err) {
    if (!(err instanceof HostCallError)) throw err;
    const kept = err.initFailure
      ? { urn, id: err.initFailure.id || state?.id || "", inputs: checked, outputs: err.initFailure.properties, initErrors: err.initFailure.reasons }
      : state;
    throw new EngineStepError(err.message, kept, err);
  }
}

/** `pulumi refresh` of one resource: Read; undefined when the provider found it gone (the engine drops it). */
export async function refreshResource(host: DynamicProviderHost, state: HostedResourceState): Promise<HostedResourceState | undefined> {
  let read;
  try {
    read = await host.read(state.urn, state.id, state.outputs, state.inputs);
  } catch (err) {
    if (err instanceof HostCallError) throw new EngineStepError(err.message, state, err);
    throw err;
  }
  if (read.id === "") return undefined;
  return { urn: state.urn, id: read.id, inputs: read.inputs ?? state.inputs, outputs: read.properties };
}

/** `pulumi destroy` of one resource: Delete with its outputs. */
export async function destroyResource(host: DynamicProviderHost, state: HostedResourceState): Promise<void> {
  try {
    await host.delete(state.urn, state.id, state.outputs, state.inputs);
  } catch (err) {
    if (err instanceof HostCallError) throw new EngineStepError(err.message, state, err);
    throw err;
  }
}
