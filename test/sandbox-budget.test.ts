// OCI's one-second budget in the sandbox: the emulated OCI gives the key manager 500 ms to connect
// and 1 s to answer, retries once, then answers with its timeout. A DSM made slower than that
// (`dsmLatencyMs`, `--dsm-latency`) fails Encrypt as OCI would, and the run says where each attempt's
// time went; a DSM a little slow passes. Times are printed, never asserted.
import { describe, expect, it } from "vitest";
import { recycledRsaKeys } from "../components/emulators/tls";
import { renderSandboxSummary, runSandbox, type EkmCallTiming, type SandboxResult } from "../components/sandbox";
import { runEkmStack } from "../infra/stack";
import { SANDBOX_STEPS as STEPS } from "./sandbox-helpers";

const KID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const N = "\\d+";
// One attempt cut off by the read timeout: each hop's share, DSM still working on it.
const CUT = `no answer after ${N} ms \\(read timeout\\): private endpoint ${N} ms( \\(connecting ${N} ms\\))?, gateway ${N} ms, DSM ${N} ms, still working when OCI gave up`;

const rsaKeys = recycledRsaKeys();
const sandbox = (dsmLatencyMs: number): Promise<SandboxResult> => runSandbox({ program: () => runEkmStack(), dsmLatencyMs, rsaKeys });

/** The measured times, for the log: where each attempt of each call went. */
function printTimes(label: string, calls: EkmCallTiming[]): void {
  const rows = calls.flatMap((c) =>
    c.attempts.map((a, i) => `${c.call} #${i + 1} ${a.outcome}: ${a.ms.toFixed(1)} ms = private endpoint ${a.hops.privateEndpoint.toFixed(1)} + gateway ${a.hops.gateway.toFixed(1)} + DSM ${a.hops.dsm.toFixed(1)}`),
  );
  console.log(`[${label}] OCI → key manager, per attempt:\n  ${rows.join("\n  ")}`);
}

// A whole sandbox run each: far beyond the default 30 s on a loaded machine, as in sandbox.test.ts.
describe("OCI's one-second budget in the sandbox", { timeout: 180_000 }, () => {
  it("a DSM 1100 ms late fails Encrypt with OCI's timeout after two attempts, and says where each attempt's time went", async () => {
    const r = await sandbox(1100);
    printTimes("dsm-latency 1100", r.keyManager.calls);
    expect(r.ok).toBe(false);
    // The vault and key reference were made (their calls are not delayed); Encrypt fails, the rest is skipped, verify runs.
    expect(r.steps.map((s) => [s.name, s.status])).toEqual([
      ...STEPS.slice(0, 8).map((s) => [s, "passed"]),
      [STEPS[8], "failed"],
      ...STEPS.slice(9, 14).map((s) => [s, "skipped"]),
      [STEPS[14], "passed"],
    ]);
    expect(r.failedStep?.detail).toMatch(
      new RegExp(
        `^The external key manager did not answer Encrypt with key "oci-ekm-key" version "${KID}": ` +
          "no answer within OCI's budget \\(500 ms to connect, 1000 ms to answer, 2 attempts\\): attempt 1 no answer within 1000 ms, attempt 2 no answer within 1000 ms; " +
          `where the time went: Encrypt: attempt 1: ${CUT}; attempt 2: ${CUT}$`,
      ),
    );
    // OCI's calls: the two of pulumi up, the three of OCI Vault's steps, then Encrypt, cut off.
    expect(r.keyManager.calls.map((c) => [c.call, c.answered, c.attempts.map((a) => a.outcome)])).toEqual([
      ...["GetVaultMetadata", "GetKeyMetadata", "GetVaultMetadata", "GetKeyMetadata", "GetKeyVersionMetadata"].map((c) => [c, true, ["answered"]]),
      ["Encrypt", false, ["read timeout", "read timeout"]],
    ]);
    const encrypt = r.keyManager.calls[5];
    // Both attempts reached DSM, which was still at work when OCI gave up; the hops' shares make up the attempt.
    expect(encrypt.attempts.map((a) => a.hops.dsmState)).toEqual(["working", "working"]);
    for (const a of encrypt.attempts) expect(a.hops.privateEndpoint + a.hops.gateway + a.hops.dsm).toBeCloseTo(a.ms, 6);
    expect(r.keyManager.dsmLatency).toEqual({ ms: 1100, delayedRequests: 2 });
    const summary = renderSandboxSummary(r).split("\n");
    expect(summary.filter((l) => /^ {2}(OCI's budget|DSM latency) /.test(l)).map((l) => l.replace(/\d+ ms$/, "N ms"))).toEqual([
      "  OCI's budget           500 ms to connect, 1000 ms to answer, 2 attempts: 6 calls to the key manager, 1 cut off; slowest Encrypt N ms",
      "  DSM latency            1100 ms on Encrypt and Decrypt (--dsm-latency): 2 requests delayed",
    ]);
    expect(summary).toContain(`  failure                ${r.failedStep?.detail}`);
  });

  it("a DSM 200 ms late still serves every step: each call is answered within the budget", async () => {
    const r = await sandbox(200);
    printTimes("dsm-latency 200", r.keyManager.calls);
    expect(r.steps.map((s) => [s.name, s.status])).toEqual(STEPS.map((s) => [s, "passed"]));
    expect(r.ok).toBe(true);
    expect(r.keyManager.calls.map((c) => [c.call, c.answered])).toEqual(
      [
        "GetVaultMetadata",
        "GetKeyMetadata",
        "GetVaultMetadata",
        "GetKeyMetadata",
        "GetKeyVersionMetadata",
        "Encrypt",
        "Encrypt",
        "GetKeyVersionMetadata",
        "Encrypt",
        "Decrypt",
        "Decrypt",
      ].map((c) => [c, true]),
    );
    // Every attempt of an Encrypt or Decrypt was delayed, and only those (a retry would be one more).
    const cryptoAttempts = r.keyManager.calls.filter((c) => c.call === "Encrypt" || c.call === "Decrypt").reduce((n, c) => n + c.attempts.length, 0);
    expect(r.keyManager.dsmLatency).toEqual({ ms: 200, delayedRequests: cryptoAttempts });
    expect(renderSandboxSummary(r).split("\n")).toContain("  DSM latency            200 ms on Encrypt and Decrypt (--dsm-latency): " + `${cryptoAttempts} requests delayed`);
  });
});
