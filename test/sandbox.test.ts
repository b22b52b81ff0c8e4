// The sandbox end to end, in-process: the real stack program, the emulated services, OCI Vault's
// calls, the rotation and verify; then each injected misconfiguration caught at the right step.
import { describe, expect, it } from "vitest";
import {
  SANDBOX_SCOPE_REFUSAL_STEP,
  countChecks,
  parseSandboxArgs,
  renderSandboxSummary,
  runSandbox,
  stackOutputsAfterRotation,
  type SandboxBreak,
  type SandboxResult,
} from "../components/sandbox";
import { runEkmStack } from "../infra/stack";
import { usageError } from "./cli-helpers";

const STEPS = [
  "start the emulated Identity Domain and DSM",
  "pulumi up (in-process, mocks answered by the emulators, DSM through Pulumi's dynamic-provider host)",
  "start the API gateway and the private endpoint from the registered deployment",
  "the gateway route: a DSM management call from the VCN (GET /sys/v1/groups)",
  "OCI Vault: token from the Identity Domain (client credentials)",
  "OCI Vault: GetVaultMetadata through the private endpoint and the gateway",
  'OCI Vault: GetKeyMetadata of "oci-ekm-key"',
  "OCI Vault: GetKeyVersionMetadata of the current version",
  "OCI Vault: Encrypt a sample",
  "rotate the key (a later pulumi up with `rotate` changed: Check, Diff, Update through the host)",
  "OCI Vault: Encrypt again (new key version)",
  "OCI Vault: Decrypt both ciphertexts",
  "verify (npm run verify against the sandbox)",
];

const sandbox = (kind?: SandboxBreak): Promise<SandboxResult> => runSandbox({ program: () => runEkmStack(), break: kind });

const failedChecks = (r: SandboxResult): string[] =>
  (r.verification?.checks ?? []).filter((c) => c.status === "failed").map((c) => c.name + (c.subject ? `:${c.subject}` : ""));

describe("npm run sandbox", () => {
  it("stands the topology up, serves keys through the gateway, survives a rotation and passes verify", async () => {
    const events: string[] = [];
    const r = await runSandbox({ program: () => runEkmStack(), onEvent: (e) => events.push(e.kind) });
    expect(r.steps.map((s) => [s.name, s.status])).toEqual(STEPS.map((s) => [s, "passed"]));
    expect(r.ok).toBe(true);
    expect(events).toEqual(STEPS.flatMap(() => ["start", "end"]));
    expect(r.summary).toMatchObject({ resourcesPlanned: 29, dsmObjectsCreated: 3, checksPassed: 25, checksRun: 25 });
    // The DSM objects were made and rotated by two host processes (two CLI commands), with this project's SDK.
    expect(r.summary.dsmHost).toEqual({ processes: 2, sdkVersion: (require("@pulumi/pulumi/package.json") as { version: string }).version });
    // Every OCI Vault call went through the gateway route to DSM's EKM endpoints.
    expect(r.summary.requestsServed.gateway).toBe(9);
    // The catch-all route lets the VCN reach DSM's management API (DSM answers, without a session).
    expect(r.steps[3].detail).toBe("forwarded to DSM (HTTP 401 without a DSM session): gatewayRoute ekmOnly would refuse it at the gateway");

    const step = (name: string) => r.steps.find((s) => s.name === name)!.detail;
    const rotation = step(STEPS[9]);
    const [before, after] = [step(STEPS[8]), step(STEPS[10])].map((d) => /key version (\S+)/.exec(d)?.[1]);
    expect(before).toBeDefined();
    expect(after).not.toBe(before);
    expect(rotation).toContain(`rotated kids [${before}]`);
    expect(step(STEPS[11])).toBe(`both decrypt to the sample (versions ${before}, ${after})`);
    expect(renderSandboxSummary(r).split("\n").filter((l) => /^(Summary|  steps|  verify checks)/.test(l))).toEqual([
      "Summary: every step passed",
      "  steps                  13 passed, 0 failed, 0 skipped (13 steps)",
      "  verify checks          25 passed, 0 failed, 0 skipped (25 checks)",
    ]);
  }, 120_000);

  const cases: { kind: SandboxBreak; step: string; message: string; checks: string[]; steps: string; verify: string }[] = [
    {
      kind: "audience",
      step: STEPS[5],
      message: 'token audience ["https://10.0.1.10/","https://eu.smartkey.io"] does not contain the DSM URL',
      checks: ["token-audience-dsm", "ekm-key-metadata:oci-ekm-key"],
      steps: "  steps                  5 passed, 2 failed, 6 skipped (13 steps)",
      verify: "  verify checks          23 passed, 2 failed, 0 skipped (25 checks)",
    },
    {
      kind: "scope",
      step: STEPS[5],
      message: 'token scope "oci_ekm" does not contain oci_ekms',
      checks: ["token"],
      // The token checks that need a token are skipped, and said to be.
      steps: "  steps                  5 passed, 2 failed, 6 skipped (13 steps)",
      verify: "  verify checks          13 passed, 1 failed, 11 skipped (25 checks)",
    },
    {
      kind: "issuer",
      step: STEPS[5],
      message: `valid issuers ["https://idcs-wrong.identity.oraclecloud.com/"]`,
      checks: ["dsm-app-issuer", "ekm-key-metadata:oci-ekm-key"],
      steps: "  steps                  5 passed, 2 failed, 6 skipped (13 steps)",
      verify: "  verify checks          23 passed, 2 failed, 0 skipped (25 checks)",
    },
    {
      kind: "signing-cert",
      step: STEPS[5],
      message: "/admin/v1/SigningCert/jwk: HTTP 401 (is the identity domain's signing certificate publicly accessible?)",
      checks: ["jwks", "ekm-key-metadata:oci-ekm-key"],
      steps: "  steps                  5 passed, 2 failed, 6 skipped (13 steps)",
      verify: "  verify checks          21 passed, 2 failed, 2 skipped (25 checks)",
    },
    {
      kind: "key-name",
      step: STEPS[6],
      message: "GetKeyMetadata answered HTTP 404: Invalid key details provided",
      checks: ["dsm-key-renamed:oci-ekm-key", "ekm-key-metadata:oci-ekm-key"],
      steps: "  steps                  7 passed, 2 failed, 5 skipped (14 steps)",
      verify: "  verify checks          18 passed, 2 failed, 5 skipped (25 checks)",
    },
  ];

  for (const c of cases) {
    it(`--break ${c.kind}: fails at "${c.step}" and verify names the broken link`, async () => {
      const r = await sandbox(c.kind);
      expect(r.ok).toBe(false);
      expect(r.failedStep?.name).toBe(c.step);
      expect(r.failedStep?.detail).toContain(c.message);
      // Every OCI Vault step after the failure is skipped, but verify still runs and fails.
      const verify = r.steps.at(-1)!;
      expect(verify).toMatchObject({ name: STEPS.at(-1), status: "failed" });
      expect(failedChecks(r)).toEqual(c.checks);
      for (const check of r.verification!.checks.filter((x) => x.status === "failed")) expect(check.fix).toBeTruthy();
      // The summary counts every step and check by outcome, and names each skipped check with its reason.
      const summary = renderSandboxSummary(r).split("\n");
      expect(summary.filter((l) => l.startsWith("  steps") || l.startsWith("  verify checks"))).toEqual([c.steps, c.verify]);
      const skipped = r.verification!.checks.filter((x) => x.status === "skipped");
      expect(summary.filter((l) => l.startsWith("  - "))).toEqual(skipped.map((x) => `  - ${x.name}${x.subject ? ` (${x.subject})` : ""}: skipped, ${x.why}`));
    }, 120_000);
  }

  for (const source of ["remoteJwks", "staticKeys"] as const) {
    it(`with gateway token validation (${source}) serves keys, and a token without oci_ekms stops at the gateway`, async () => {
      const good = await runSandbox({ program: () => runEkmStack(), gatewayTokenValidation: source });
      expect(good.failedStep).toBeUndefined();
      expect(good.ok).toBe(true);
      // A step of its own, right after OCI Vault got its token: a token of the domain without oci_ekms stops at the gateway.
      expect(good.steps.map((s) => s.name)).toEqual([...STEPS.slice(0, 5), SANDBOX_SCOPE_REFUSAL_STEP, ...STEPS.slice(5)]);
      expect(SANDBOX_SCOPE_REFUSAL_STEP).toBe("the gateway refuses a token without the oci_ekms scope (gateway token validation)");
      expect(good.steps[5]).toMatchObject({
        status: "passed",
        detail:
          "GetVaultMetadata with a token whose scope is urn:opc:idm:__myscopes__: HTTP 403 at the gateway (token scopes [urn:opc:idm:__myscopes__] include none of [oci_ekms]); DSM never saw it",
      });

      const bad = await runSandbox({ program: () => runEkmStack(), gatewayTokenValidation: source, break: "scope" });
      expect(bad.failedStep?.name).toBe(STEPS[5]);
      expect(bad.failedStep?.detail).toBe(
        "GetVaultMetadata answered HTTP 403: Forbidden (refused at the gateway: token scopes [oci_ekm] include none of [oci_ekms])",
      );
    }, 120_000);
  }

  it("with gatewayRoute ekmOnly serves keys and passes verify, and the gateway refuses DSM's management API", async () => {
    const r = await runSandbox({ program: () => runEkmStack(), gatewayRoute: "ekmOnly" });
    expect(r.steps.map((s) => [s.name, s.status])).toEqual(STEPS.map((s) => [s, "passed"]));
    expect(r.steps[3].detail).toBe("refused at the gateway (HTTP 404: no route matches GET /sys/v1/groups): only the EKM API is forwarded");
    expect(r.summary.checksPassed).toBe(25);
  }, 120_000);

  it("reads its arguments strictly, through components/cli.ts", () => {
    expect(parseSandboxArgs(["--keep", "--break", "scope"])).toEqual({ help: false, keep: true, break: "scope" });
    expect(parseSandboxArgs(["--break=issuer", "--stack", "dev"])).toEqual({ help: false, keep: false, break: "issuer", stack: "dev" });
    expect(parseSandboxArgs(["--gateway-token-validation", "staticKeys"])).toEqual({ help: false, keep: false, gatewayTokenValidation: "staticKeys" });
    expect(parseSandboxArgs(["--gateway-route", "ekmOnly"])).toEqual({ help: false, keep: false, gatewayRoute: "ekmOnly" });
    expect(parseSandboxArgs(["--kep", "--help"])).toEqual({ help: true });
    const usage = (argv: string[]): string => usageError(() => parseSandboxArgs(argv));
    expect(usage(["--break", "route"])).toBe('--break: "route" is not one of audience, scope, issuer, signing-cert, key-name');
    expect(usage(["--break"])).toBe("--break needs a value");
    expect(usage(["--break", "--keep"])).toBe("--break needs a value");
    expect(usage(["--break", "scope", "--break", "issuer"])).toBe("--break is given more than once");
    expect(usage(["--kep"])).toBe("unknown option --kep (did you mean --keep?)");
    expect(usage(["--stack"])).toBe("--stack needs a value");
    expect(usage(["--gateway-route=ekm"])).toBe('--gateway-route: "ekm" is not one of all, ekmOnly');
    expect(usage(["--gateway-token-validation=jwks"])).toBe('--gateway-token-validation: "jwks" is not one of remoteJwks, staticKeys');
  });
});

describe("the sandbox's pure helpers", () => {
  it("after a rotation the stack outputs carry the successor's kid at the rotated key's place", () => {
    const outputs = { keyNames: ["a", "b"], dsmKeyIds: ["kid-a", "kid-b"], vaultUrl: "https://10.0.1.20/x" };
    expect(stackOutputsAfterRotation(outputs, "b", "kid-b2")).toEqual({ keyNames: ["a", "b"], dsmKeyIds: ["kid-a", "kid-b2"], vaultUrl: "https://10.0.1.20/x" });
    expect(outputs.dsmKeyIds).toEqual(["kid-a", "kid-b"]);
    // Keys made by hand (no dsmKeyIds) and a name the stack does not have leave the outputs as they are.
    expect(stackOutputsAfterRotation({ keyNames: ["a"] }, "a", "new")).toEqual({ keyNames: ["a"] });
    expect(stackOutputsAfterRotation(outputs, "c", "new")).toBe(outputs);
  });

  it("counts checks by outcome, passed, failed and skipped always, then any other outcome", () => {
    expect(countChecks([])).toEqual({ passed: 0, failed: 0, skipped: 0 });
    expect(countChecks([{ status: "skipped" }, { status: "passed" }, { status: "rotated" }, { status: "skipped" }])).toEqual({ passed: 1, failed: 0, skipped: 2, rotated: 1 });
    expect(Object.keys(countChecks([{ status: "rotated" }, { status: "failed" }]))).toEqual(["passed", "failed", "skipped", "rotated"]);
  });
});
