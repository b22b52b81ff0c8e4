// Fault injection (no part of DSM's API): latency, error statuses with Retry-After, dropped
// connections before and after the operation, for the client's retry and idempotence tests.
import type { DsmEmulatorFault } from "./dsm-types";

export type PendingFault = DsmEmulatorFault & { remaining: number };

/** The faults waiting for matching requests, tried in the order they were injected. */
export class DsmFaults {
  private readonly faults: PendingFault[] = [];

  inject(fault: DsmEmulatorFault): void {
    const times = fault.times ?? 1;
    // Infinity: a lasting condition (a slow DSM), not a number of hits.
    if (times !== Number.POSITIVE_INFINITY && (!Number.isInteger(times) || times < 1)) {
      throw new Error(`injectFault: times must be a positive integer or Infinity, got ${fault.times}`);
    }
    if (fault.kind === "status" && fault.status !== undefined && (fault.status < 400 || fault.status > 599)) {
      throw new Error(`injectFault: status must be an HTTP error status (400-599), got ${fault.status}`);
    }
    this.faults.push({ ...fault, remaining: times });
  }

  /** The first fault matching the request, used up by one hit. */
  take(method: string, path: string): DsmEmulatorFault | undefined {
    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (f.path === undefined || (typeof f.path === "string" ? f.path === path : f.path.test(path))),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }

  pending(): PendingFault[] {
    return this.faults.filter((f) => f.remaining > 0).map((f) => ({ ...f }));
  }

  clear(): void {
    this.faults.length = 0;
  }
}

/** The message of an injected status fault. */
export function faultMessage(status: number): string {
  return status === 429 ? "too many requests (injected fault)" : `service unavailable (injected fault, HTTP ${status})`;
}
