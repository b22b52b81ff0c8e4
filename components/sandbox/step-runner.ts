// Runs the sandbox's steps in order and reports each one: a step after a failed one is skipped
// (unless it always runs, as verify does), and once the sandbox is asked to stop nothing new starts.
import type { SandboxEvent, SandboxStepResult } from "./types";

/** What a step's body hands back: its value and one line saying what happened; `failed` fails it with a value. */
export interface StepOutcome<V> {
  value: V;
  detail: string;
  failed?: boolean;
}

/**
 * What a failed step's detail gains besides its error: `mark()` before the step, `notes(mark)` after
 * it failed (the sandbox adds where the time of a call that ran out of OCI's budget went).
 */
export interface StepFailureNotes {
  mark(): number;
  notes(mark: number): string | undefined;
}

export class StepRunner {
  readonly steps: SandboxStepResult[] = [];
  constructor(
    private readonly onEvent?: (e: SandboxEvent) => void,
    private readonly signal?: AbortSignal,
    private readonly failureNotes?: StepFailureNotes,
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
    const mark = this.failureNotes?.mark() ?? 0;
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
    const notes = step.status === "failed" ? this.failureNotes?.notes(mark) : undefined;
    if (notes) step = { ...step, detail: `${step.detail}; ${notes}` };
    // Whatever it returned, a step the stop request cut short did not do its work.
    if (this.signal?.aborted) step = { ...step, status: "failed", detail: "stopped while it ran: the sandbox was asked to stop" };
    this.steps.push(step);
    this.onEvent?.({ kind: "end", step });
    return value;
  }
}
