// When each hop on the way to the key manager held a call: the API gateway and DSM note when a
// request arrived and when they answered it, keyed by the `opc-request-id` OCI sends (the gateway
// forwards it to DSM). The caller then splits a slow call's time between the hops, also for a call it
// gave up on while a hop was still working. The clock is this process's monotonic one, so the spans of
// every emulator in the process compare.
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";

/** A hop that answers for itself: the private endpoint only relays bytes, so it has no span of its own. */
export type EkmHop = "gateway" | "DSM";

/** One hop's hold on one call: `performance.now()` when it arrived and when it answered (unset while it works). */
export interface EkmHopSpan {
  hop: EkmHop;
  opcRequestId: string;
  startedAt: number;
  endedAt?: number;
}

/** A kept sandbox serves calls for hours: only the latest spans are kept. */
const MAX_SPANS = 2000;

/** The spans of the hops that were given this clock (`hopClock` of the gateway and DSM emulators). */
export class EkmHopClock {
  private readonly spans = new Map<string, EkmHopSpan>();

  /** Notes that `hop` took a request; its span ends when the answer is sent or the connection goes. */
  track(hop: EkmHop, headers: IncomingHttpHeaders, res: ServerResponse): void {
    const id = headers["opc-request-id"];
    if (typeof id !== "string" || id === "") return;
    const span: EkmHopSpan = { hop, opcRequestId: id, startedAt: performance.now() };
    const key = `${hop} ${id}`;
    this.spans.delete(key);
    this.spans.set(key, span);
    if (this.spans.size > MAX_SPANS) this.spans.delete(this.spans.keys().next().value as string);
    const end = (): void => {
      span.endedAt ??= performance.now();
    };
    res.once("finish", end);
    res.once("close", end);
  }

  /** The span of `hop` for the call with this `opc-request-id`, if the call reached it. */
  span(hop: EkmHop, opcRequestId: string): EkmHopSpan | undefined {
    const span = this.spans.get(`${hop} ${opcRequestId}`);
    return span ? { ...span } : undefined;
  }
}
