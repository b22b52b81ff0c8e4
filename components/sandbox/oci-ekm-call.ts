// One call of OCI to the key manager, under OCI's time budget (components/oci-ekm-budget.ts): 500 ms
// to connect (TCP and TLS, through the private endpoint), 1 s to read the answer, one retry of a
// call that got none, then OCI's timeout. Each attempt records where its time went: the private
// endpoint (connecting and relaying), the gateway, DSM, read from the hops' own clock (EkmHopClock)
// by the request id the attempt sent.
import { randomUUID } from "node:crypto";
import https from "node:https";
import { performance } from "node:perf_hooks";
import type { EkmHopClock } from "../emulators/hop-clock";
import { OCI_EKM_ATTEMPTS, OCI_EKM_CONNECT_TIMEOUT_MS, OCI_EKM_READ_TIMEOUT_MS, OciEkmTimeoutError } from "../oci-ekm-budget";

/** Where one attempt's time went, milliseconds: each hop's own share, so that they add up to the attempt. */
export interface EkmHopTimes {
  /** Connecting through the private endpoint (TCP, TLS with the gateway) and relaying: what the gateway did not see. */
  privateEndpoint: number;
  /** The gateway's own time: routing, token validation, its connection to DSM. */
  gateway: number;
  /** DSM's time, up to its answer or to the moment OCI gave up. */
  dsm: number;
  /** Whether DSM had answered when the attempt ended, was still working on it, or never got it. */
  dsmState: "answered" | "working" | "not reached";
}

/** How one attempt ended. */
export type EkmAttemptOutcome = "answered" | "connect timeout" | "read timeout" | "connection error";

/** One attempt of a call, as OCI saw it. */
export interface EkmAttemptTiming {
  outcome: EkmAttemptOutcome;
  /** From the start of the attempt to its answer, or to the moment OCI gave up. */
  ms: number;
  /** The time to connect; undefined when a kept-alive connection was used. */
  connectMs?: number;
  /** The HTTP status of an answered attempt. */
  status?: number;
  /** The error of an attempt whose connection failed. */
  error?: string;
  hops: EkmHopTimes;
}

/** One call of OCI to the key manager and each of its attempts. */
export interface EkmCallTiming {
  /** The vendor API call, e.g. `Encrypt`. */
  call: string;
  /** The key manager answered (any HTTP status) within the budget. */
  answered: boolean;
  attempts: EkmAttemptTiming[];
}

/** A request to the key manager. */
export interface EkmRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
}

interface AttemptEnd {
  outcome: EkmAttemptOutcome;
  connectMs?: number;
  answer?: { status: number; body: string };
  error?: Error;
}

/**
 * One attempt: 500 ms to connect, then 1 s for each read of the answer (a read timeout, as a socket's:
 * the clock starts again with every byte that comes). A timer that fires while this process was busy
 * may find answer bytes already waiting on the socket: the check is made after the pending input is
 * read (setImmediate), and bytes that came meanwhile have re-armed it, so only a hop that did not
 * answer times out.
 */
function attempt(agent: https.Agent, request: EkmRequest): Promise<AttemptEnd> {
  return new Promise((resolve) => {
    const started = performance.now();
    let done = false;
    let connectMs: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    let armed = 0;
    const finish = (end: AttemptEnd): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...end, ...(connectMs === undefined ? {} : { connectMs }) });
    };
    const req = https.request(request.url, { method: request.method, headers: request.headers, agent });
    const arm = (ms: number, outcome: EkmAttemptOutcome): void => {
      clearTimeout(timer);
      const mine = ++armed;
      timer = setTimeout(() => {
        setImmediate(() => {
          if (done || mine !== armed) return;
          finish({ outcome });
          req.destroy();
        });
      }, ms);
    };
    arm(OCI_EKM_CONNECT_TIMEOUT_MS, "connect timeout");
    req.on("socket", (socket) => {
      // A kept-alive connection is ready at once; a new one once TLS is up.
      if (!socket.connecting) return arm(OCI_EKM_READ_TIMEOUT_MS, "read timeout");
      socket.once("secureConnect", () => {
        connectMs = performance.now() - started;
        arm(OCI_EKM_READ_TIMEOUT_MS, "read timeout");
      });
    });
    req.on("response", (res) => {
      arm(OCI_EKM_READ_TIMEOUT_MS, "read timeout");
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => {
        arm(OCI_EKM_READ_TIMEOUT_MS, "read timeout");
        chunks.push(c);
      });
      res.on("end", () => finish({ outcome: "answered", answer: { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") } }));
      res.on("error", (error) => finish({ outcome: "connection error", error }));
    });
    req.on("error", (error) => finish({ outcome: "connection error", error }));
    req.end(request.body);
  });
}

/** Each hop's own share of an attempt that lasted `ms` and ended at `endedAt`: nested spans, each minus the next. */
export function ekmHopTimes(clock: Pick<EkmHopClock, "span"> | undefined, opcRequestId: string, ms: number, endedAt: number): EkmHopTimes {
  const held = (hop: "gateway" | "DSM"): { ms: number; state: EkmHopTimes["dsmState"] } => {
    const span = clock?.span(hop, opcRequestId);
    if (!span) return { ms: 0, state: "not reached" };
    const answered = span.endedAt !== undefined && span.endedAt <= endedAt;
    return { ms: Math.max(0, (answered ? span.endedAt! : endedAt) - span.startedAt), state: answered ? "answered" : "working" };
  };
  const gateway = held("gateway");
  const dsm = held("DSM");
  return { privateEndpoint: Math.max(0, ms - gateway.ms), gateway: Math.max(0, gateway.ms - dsm.ms), dsm: dsm.ms, dsmState: dsm.state };
}

/** What an attempt that got no answer says, e.g. `no answer within 1000 ms`. */
function unanswered(a: EkmAttemptTiming): string {
  if (a.outcome === "connect timeout") return `not connected within ${OCI_EKM_CONNECT_TIMEOUT_MS} ms`;
  if (a.outcome === "read timeout") return `no answer within ${OCI_EKM_READ_TIMEOUT_MS} ms`;
  return `failed: ${a.error ?? "connection error"}`;
}

/**
 * Sends `request` as OCI does: each attempt under the two timeouts, with a request id of its own; an
 * attempt that got no answer (a timeout, or a connection the far end dropped) is sent once more (a
 * timed-out connection is closed, so the retry connects anew). Records the call in `calls`. Resolves with the answer, whatever its status; throws
 * {@link OciEkmTimeoutError} when every attempt timed out, or the connection error of the last one.
 */
export async function callKeyManagerInBudget(
  what: string,
  request: EkmRequest,
  agent: https.Agent,
  record: { clock?: EkmHopClock; calls: EkmCallTiming[] },
): Promise<{ status: number; body: string }> {
  const call: EkmCallTiming = { call: what, answered: false, attempts: [] };
  record.calls.push(call);
  let last: AttemptEnd | undefined;
  for (let n = 0; n < OCI_EKM_ATTEMPTS; n++) {
    const opcRequestId = randomUUID();
    const started = performance.now();
    last = await attempt(agent, { ...request, headers: { ...request.headers, "opc-request-id": opcRequestId } });
    const ended = performance.now();
    call.attempts.push({
      outcome: last.outcome,
      ms: ended - started,
      ...(last.connectMs === undefined ? {} : { connectMs: last.connectMs }),
      ...(last.answer ? { status: last.answer.status } : {}),
      ...(last.error ? { error: last.error.message } : {}),
      hops: ekmHopTimes(record.clock, opcRequestId, ended - started, ended),
    });
    if (last.answer) {
      call.answered = true;
      return last.answer;
    }
  }
  if (last?.outcome === "connection error") throw new Error(`${request.method} ${request.url} failed: ${last.error?.message ?? "connection error"}`);
  throw new OciEkmTimeoutError(what, call.attempts.map(unanswered));
}
