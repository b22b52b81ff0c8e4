// OCI's budget for the key manager, the pure parts: the constants as Oracle gives them, each hop's
// share of an attempt, how the sandbox words a call and its summary lines, `--dsm-latency`, and the
// hops' clock on a real server.
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { EkmHopClock, type EkmHopSpan } from "../components/emulators/hop-clock";
import {
  OCI_EKM_ATTEMPTS,
  OCI_EKM_BUDGET_TEXT,
  OCI_EKM_CONNECT_TIMEOUT_MS,
  OCI_EKM_READ_TIMEOUT_MS,
  OCI_EKM_SLOW_CALL_MS,
  OCI_EKM_TIMEOUT_ANSWER,
  OciEkmTimeoutError,
} from "../components/oci-ekm-budget";
import { parseSandboxArgs } from "../components/sandbox";
import { describeEkmAttempt, describeEkmCall, dsmLatencyProblem, renderKeyManagerSummary } from "../components/sandbox/budget";
import { callKeyManagerInBudget, ekmHopTimes, type EkmAttemptTiming, type EkmCallTiming } from "../components/sandbox/oci-ekm-call";
import { ekmSlowCallWarnings, renderEkmCallTimes, timedEkmCall, type EkmCallTime } from "../components/verify/timing";
import { usageError } from "./cli-helpers";

const hops = (privateEndpoint: number, gateway: number, dsm: number, dsmState: "answered" | "working" | "not reached" = "answered") => ({ privateEndpoint, gateway, dsm, dsmState });
const answered = (ms: number, dsm: number): EkmAttemptTiming => ({ outcome: "answered", ms, status: 200, hops: hops(2, ms - dsm - 2, dsm) });
const cutOff = (ms: number, connectMs?: number): EkmAttemptTiming => ({
  outcome: "read timeout",
  ms,
  ...(connectMs === undefined ? {} : { connectMs }),
  hops: hops(3, 1, ms - 4, "working"),
});

describe("OCI's budget for the key manager", () => {
  it("is Oracle's: 500 ms to connect, 1 s to answer, one retry; a call over half the read timeout is slow", () => {
    expect([OCI_EKM_CONNECT_TIMEOUT_MS, OCI_EKM_READ_TIMEOUT_MS, OCI_EKM_ATTEMPTS, OCI_EKM_SLOW_CALL_MS]).toEqual([500, 1000, 2, 500]);
    expect(OCI_EKM_BUDGET_TEXT).toBe("500 ms to connect, 1000 ms to answer, 2 attempts");
    expect(OCI_EKM_TIMEOUT_ANSWER).toEqual({ status: 504, code: "GatewayTimeout" });
    expect(new OciEkmTimeoutError("Encrypt", ["no answer within 1000 ms", "not connected within 500 ms"]).message).toBe(
      "Encrypt: no answer within OCI's budget (500 ms to connect, 1000 ms to answer, 2 attempts): attempt 1 no answer within 1000 ms, attempt 2 not connected within 500 ms",
    );
  });
});

describe("ekmHopTimes: each hop's own share of an attempt", () => {
  const clock = (spans: Partial<Record<"gateway" | "DSM", Omit<EkmHopSpan, "hop" | "opcRequestId">>>) => ({
    span: (hop: "gateway" | "DSM", id: string): EkmHopSpan | undefined => (id === "req-1" && spans[hop] ? { hop, opcRequestId: id, ...spans[hop] } : undefined),
  });

  it("splits an answered attempt between the private endpoint, the gateway and DSM", () => {
    // The attempt ran from 100 to 160; the gateway held it 110-155, DSM 115-150.
    expect(ekmHopTimes(clock({ gateway: { startedAt: 110, endedAt: 155 }, DSM: { startedAt: 115, endedAt: 150 } }), "req-1", 60, 160)).toEqual(hops(15, 10, 35));
  });

  it("counts a hop still working up to the moment OCI gave up", () => {
    expect(ekmHopTimes(clock({ gateway: { startedAt: 5 }, DSM: { startedAt: 7, endedAt: 1200 } }), "req-1", 1004, 1004)).toEqual(hops(5, 2, 997, "working"));
  });

  it("gives the whole attempt to the private endpoint when the call reached no hop", () => {
    expect(ekmHopTimes(clock({}), "req-1", 501, 501)).toEqual(hops(501, 0, 0, "not reached"));
    expect(ekmHopTimes(undefined, "req-1", 42, 42)).toEqual(hops(42, 0, 0, "not reached"));
  });
});

describe("how the sandbox words OCI's calls to the key manager", () => {
  it("one attempt, answered or cut off, with each hop's share", () => {
    expect(describeEkmAttempt(answered(212.4, 207.2))).toBe("HTTP 200 after 212 ms: private endpoint 2 ms, gateway 3 ms, DSM 207 ms");
    expect(describeEkmAttempt(cutOff(1008.6, 8.2))).toBe(
      "no answer after 1009 ms (read timeout): private endpoint 3 ms (connecting 8 ms), gateway 1 ms, DSM 1005 ms, still working when OCI gave up",
    );
    expect(describeEkmAttempt({ outcome: "connect timeout", ms: 501, hops: hops(501, 0, 0, "not reached") })).toBe(
      "no answer after 501 ms (connect timeout): private endpoint 501 ms, gateway 0 ms, DSM 0 ms (not reached)",
    );
  });

  it("a call, each attempt in turn", () => {
    expect(describeEkmCall({ call: "Decrypt", answered: true, attempts: [answered(212.4, 207.2)] })).toBe(
      "Decrypt: HTTP 200 after 212 ms: private endpoint 2 ms, gateway 3 ms, DSM 207 ms",
    );
    expect(describeEkmCall({ call: "Encrypt", answered: false, attempts: [cutOff(1002), cutOff(1003)] })).toBe(
      "Encrypt: attempt 1: no answer after 1002 ms (read timeout): private endpoint 3 ms, gateway 1 ms, DSM 998 ms, still working when OCI gave up; " +
        "attempt 2: no answer after 1003 ms (read timeout): private endpoint 3 ms, gateway 1 ms, DSM 999 ms, still working when OCI gave up",
    );
  });

  it("adds to the summary only when the budget matters: a latency, a call cut off, a retry, a call over half the read timeout", () => {
    const quick: EkmCallTiming = { call: "GetKeyMetadata", answered: true, attempts: [answered(4, 1)] };
    expect(renderKeyManagerSummary({ keyManager: { calls: [quick] } })).toEqual([]);
    expect(renderKeyManagerSummary({ keyManager: { calls: [quick], dsmLatency: { ms: 0, delayedRequests: 0 } } })[0]).toBe(
      "  OCI's budget           500 ms to connect, 1000 ms to answer, 2 attempts: 1 call to the key manager, 0 cut off; slowest GetKeyMetadata 4 ms",
    );
    const cut: EkmCallTiming = { call: "Encrypt", answered: false, attempts: [cutOff(1002), cutOff(1003)] };
    const slow: EkmCallTiming = { call: "Decrypt", answered: true, attempts: [answered(612, 600)] };
    const retried: EkmCallTiming = { call: "GetKeyMetadata", answered: true, attempts: [cutOff(1001), answered(7, 3)] };
    expect(renderKeyManagerSummary({ keyManager: { calls: [quick, cut, slow, retried], dsmLatency: { ms: 1100, delayedRequests: 2 } } })).toEqual([
      "  OCI's budget           500 ms to connect, 1000 ms to answer, 2 attempts: 4 calls to the key manager, 1 cut off; slowest Encrypt 1003 ms",
      "  DSM latency            1100 ms on Encrypt and Decrypt (--dsm-latency): 2 requests delayed",
      "  ⚠ Decrypt: HTTP 200 after 612 ms: private endpoint 2 ms, gateway 10 ms, DSM 600 ms (more than half of OCI's 1000 ms read timeout)",
      "  ⚠ GetKeyMetadata: attempt 1: no answer after 1001 ms (read timeout): private endpoint 3 ms, gateway 1 ms, DSM 997 ms, still working when OCI gave up; " +
        "attempt 2: HTTP 200 after 7 ms: private endpoint 2 ms, gateway 2 ms, DSM 3 ms (answered on its retry)",
    ]);
  });
});

describe("--dsm-latency MS", () => {
  it("takes a whole number of milliseconds, 0 to 60000", () => {
    expect(parseSandboxArgs(["--dsm-latency", "1100"])).toEqual({ help: false, keep: false, dsmLatencyMs: 1100 });
    expect(parseSandboxArgs(["--dsm-latency=0", "--keep"])).toEqual({ help: false, keep: true, dsmLatencyMs: 0 });
    expect(parseSandboxArgs(["--dsm-latency", "60000"])).toEqual({ help: false, keep: false, dsmLatencyMs: 60000 });
    expect([0, 200, 60000].map(dsmLatencyProblem)).toEqual([undefined, undefined, undefined]);
    expect([-1, 1.5, 60001, Number.NaN].map(dsmLatencyProblem)).toEqual([
      "-1 is not a whole number of milliseconds from 0 to 60000",
      "1.5 is not a whole number of milliseconds from 0 to 60000",
      "60001 is not a whole number of milliseconds from 0 to 60000",
      "NaN is not a whole number of milliseconds from 0 to 60000",
    ]);
  });

  it("refuses anything else as a usage error naming --dsm-latency, as the other bad flags are", () => {
    const usage = (argv: string[]): string => usageError(() => parseSandboxArgs(argv));
    for (const given of ["-5", "1.5", "1e3", "200ms", "abc", "60001", " 200"]) {
      expect(usage(["--dsm-latency", given])).toBe(`--dsm-latency: "${given}" is not a whole number of milliseconds from 0 to 60000`);
    }
    expect(usage(["--dsm-latency"])).toBe("--dsm-latency needs a value");
    expect(usage(["--dsm-latency", "--keep"])).toBe("--dsm-latency needs a value");
    expect(usage(["--dsm-latency", "1", "--dsm-latency", "2"])).toBe("--dsm-latency is given more than once");
    expect(usage(["--dsm-latencyy", "1"])).toBe("unknown option --dsm-latencyy (did you mean --dsm-latency?)");
  });
});

describe("EkmHopClock", () => {
  it("notes when a server held each request, by its opc-request-id, until the answer went out", async () => {
    const clock = new EkmHopClock();
    let release = (): void => undefined;
    let arrived = (): void => undefined;
    const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
    const server = http.createServer((req, res) => {
      clock.track("DSM", req.headers, res);
      if (req.url !== "/slow") return void res.end("ok");
      release = () => res.end("late");
      arrived();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const get = (path: string, id?: string): Promise<void> =>
      new Promise((resolve, reject) => {
        http.get({ host: "127.0.0.1", port, path, headers: id ? { "opc-request-id": id } : {} }, (res) => res.resume().on("end", resolve)).on("error", reject);
      });
    try {
      await get("/", "req-1");
      await get("/", undefined);
      const late = get("/slow", "req-2");
      await slowArrived;
      expect(clock.span("DSM", "req-1")?.endedAt).toBeDefined();
      expect(clock.span("DSM", "req-2")).toMatchObject({ hop: "DSM", opcRequestId: "req-2" });
      expect(clock.span("DSM", "req-2")?.endedAt).toBeUndefined();
      expect(clock.span("gateway", "req-1")).toBeUndefined();
      release();
      await late;
      expect(clock.span("DSM", "req-2")?.endedAt).toBeDefined();
    } finally {
      server.close();
    }
  });
});

describe("verify's time per call", () => {
  const times = [
    { call: "discovery", ms: 12, slow: false },
    { call: "token", ms: 612, slow: true },
    { call: "ekm-key-metadata", subject: "k1", ms: 31, slow: false },
  ];

  it("times a call whether it answers or throws, and calls it slow over half of OCI's read timeout", async () => {
    const recorded: EkmCallTime[] = [];
    expect(await timedEkmCall(recorded, "jwks", async () => "keys")).toBe("keys");
    await expect(timedEkmCall(recorded, "token", () => Promise.reject(new Error("refused")), "x")).rejects.toThrow("refused");
    expect(recorded.map((t) => [t.call, t.subject, typeof t.ms, t.slow])).toEqual([
      ["jwks", undefined, "number", false],
      ["token", "x", "number", false],
    ]);
  });

  it("renders one line of times, then a warning per slow call; nothing without calls", () => {
    expect(renderEkmCallTimes(times)).toEqual([
      "time per call (OCI's budget for the key manager: 500 ms to connect, 1000 ms to answer, 2 attempts): discovery 12 ms, token 612 ms, ekm-key-metadata [k1] 31 ms",
      "⚠ token: 612 ms from this machine, more than half of the 1000 ms OCI gives the key manager to answer (over it OCI retries once, then fails the operation): " +
        "measure from a host in the VCN, and look at the distance to DSM",
    ]);
    expect(ekmSlowCallWarnings(times.filter((t) => !t.slow))).toEqual([]);
    expect(renderEkmCallTimes([])).toEqual([]);
  });
});

describe("callKeyManagerInBudget", () => {
  it("gives a key manager that never completes the TLS handshake 500 ms to connect, twice, then throws OCI's timeout", async () => {
    // A listener that takes the TCP connection and never answers: the handshake cannot finish.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const agent = new https.Agent({ keepAlive: true });
    const calls: EkmCallTiming[] = [];
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const call = callKeyManagerInBudget("GetVaultMetadata", { method: "GET", url: `https://127.0.0.1:${port}/metadata`, headers: {} }, agent, { calls });
      await expect(call).rejects.toThrow(
        new OciEkmTimeoutError("GetVaultMetadata", ["not connected within 500 ms", "not connected within 500 ms"]),
      );
      expect(calls.map((c) => [c.call, c.answered, c.attempts.map((a) => [a.outcome, a.connectMs, a.hops.dsmState])])).toEqual([
        ["GetVaultMetadata", false, [["connect timeout", undefined, "not reached"], ["connect timeout", undefined, "not reached"]]],
      ]);
      // Nothing was reached: the whole of each attempt is the way through the private endpoint.
      for (const a of calls[0].attempts) expect(a.hops.privateEndpoint).toBe(a.ms);
      expect(sockets).toHaveLength(2);
    } finally {
      agent.destroy();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
