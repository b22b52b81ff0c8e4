// Runs the sandbox's steps in order and reports each one: a step after a failed one is skipped
// (unless it always runs, as verify does), and once the sandbox is asked to stop nothing new starts.
import type { SandboxEvent, SandboxStepResult } from "./types";

/** What a step's body hands back: its value and one line saying what happened; `failed` fails it with a value. */
export interface StepOutcome<V> {
  value: V;
  detail: string;
  failed?: boolean;
}

export class StepRunner {
  readonly steps: SandboxStepResult[] = [];
  constructor(
    private readonly onEvent?: (e: SandboxEvent) => void,
    private readonly signal?: AbortSignal,
  ) {}

  get failed(): SandboxStepResult | undefined {
    return this.steps.find((s) => s.status === "failed");
  }

  count(status: SandboxStepResult["status"]): number {
    return this.steps.filter((s) => s.status === status).length;
  }

  skip(name: string, why: string): void {
    const step: SandboxStepResult = { name, status: "skipped", ms: 0, detail: why };
    this.steps.push(step);
    this.onEvent?.({ kind: "end", step });
  }

  /**
   * Runs a step unless an earlier one failed (or `always`); returns its value, or undefined when it
   * threw or was skipped. A body may also fail with a value (`failed: true`), as `verify` does.
   */
  async run<V>(name: string, body: () => Promise<StepOutcome<V>>, always = false): Promise<V | undefined> {
    if (this.signal?.aborted) {
      this.skip(name, "not run: the sandbox was asked to stop");
      return undefined;
    }
    const earlier = this.failed;
    if (earlier && !always) {
      this.skip(name, `after "${earlier.name}" failed`);
      return undefined;
    }
    this.onEvent?.({ kind: "start", step: name });
    const started = performance.now();
    let step: SandboxStepResult;
    let value: V | undefined;
    try {
      const out = await body();
      value = out.value;
      step = { name, status: out.failed ? "failed" : "passed", ms: performance.now() - started, detail: out.detail };
    } catch (err) {
      step = { name, status: "failed", ms: performance.now() - started, detail: err instanceof Error ? err.message : String(err) };
    }
    // Whatever it returned, a step the stop request cut short did not do its work.
    if (this.signal?.aborted) step = { ...step, status: "failed", detail: "stopped while it ran: the sandbox was asked to stop" };
    this.steps.push(step);
    this.onEvent?.({ kind: "end", step });
    return value;
  }
}
