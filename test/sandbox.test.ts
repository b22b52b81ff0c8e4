// The sandbox end to end, in-process: the real stack program, the emulated services (OCI's Key
// Management among them), OCI Vault's calls, the rotation as Oracle describes it (a second run of the
// program) and verify; then each injected misconfiguration caught at the right step.
import { describe, expect, it } from "vitest";
import {
  SANDBOX_SCOPE_REFUSAL_STEP,
  countChecks,
  parseSandboxArgs,
  renderSandboxSummary,
  runSandbox,
  type SandboxBreak,
  type SandboxResult,
} from "../components/sandbox";
import { runEkmStack } from "../infra/stack";
import { recycledRsaKeys } from "../components/emulators/tls";
import { usageError } from "./cli-helpers";
import { SANDBOX_STEPS as STEPS, SANDBOX_UP_STEP as UP } from "./sandbox-helpers";

const ROTATE_IN_DSM_ONLY = "rotate the key in DSM only, as its rotation policy would; no pulumi up follows (injected break)";
const KEY_VERSION_OCID = "ocid1\\.keyversion\\.oc1\\.eu-frankfurt-1\\.a[a-z2-7]{59}";
const KID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

// The first run makes its own keys, as `npm run sandbox` does; the others reuse one set (each run's
// keys still differ from one another), which spares the suite about two seconds of CPU per run.
const rsaKeys = recycledRsaKeys();
const sandbox = (kind?: SandboxBreak): Promise<SandboxResult> => runSandbox({ program: () => runEkmStack(), break: kind, rsaKeys });

const failedChecks = (r: SandboxResult): string[] =>
  (r.verification?.checks ?? []).filter((c) => c.status === "failed").map((c) => c.name + (c.subject ? `:${c.subject}` : ""));

describe("npm run sandbox", () => {
  it("stands the topology up, serves keys through OCI's API and the gateway, rotates the key as Oracle describes and passes verify", async () => {
    const events: string[] = [];
    const r = await runSandbox({ program: () => runEkmStack(), onEvent: (e) => events.push(e.kind) });
    expect(r.steps.map((s) => [s.name, s.status])).toEqual(STEPS.map((s) => [s, "passed"]));
    expect(r.ok).toBe(true);
    expect(events).toEqual(STEPS.flatMap(() => ["start", "end"]));
    // verify's OCI checks ran too: vault, private endpoint, key reference, current version, versions in DSM.
    expect(r.summary).toMatchObject({ resourcesPlanned: 29, dsmObjectsCreated: 3, checksPassed: 30, checksRun: 30 });
    expect(r.verification!.checks.filter((c) => c.name.startsWith("oci-")).map((c) => [c.name, c.status])).toEqual(
      ["oci-vault", "oci-private-endpoint", "oci-key-reference", "oci-key-version-current", "oci-key-versions-in-dsm"].map((n) => [n, "passed"]),
    );
    // The DSM objects were made and rotated by two host processes (two CLI commands), with this project's SDK.
    expect(r.summary.dsmHost).toEqual({ processes: 2, sdkVersion: (require("@pulumi/pulumi/package.json") as { version: string }).version });
    // Every OCI Vault call went through the gateway route to DSM's EKM endpoints.
    expect(r.summary.requestsServed.gateway).toBe(13);
    // The catch-all route lets the VCN reach DSM's management API (DSM answers, without a session).
    expect(r.steps[3].detail).toBe("forwarded to DSM (HTTP 401 without a DSM session): gatewayRoute ekmOnly would refuse it at the gateway");

    const step = (name: string) => r.steps.find((s) => s.name === name)!.detail;
    expect(step(UP)).toBe("29 resources registered, 3 DSM objects created; OCI created the vault and 1 key reference, calling DSM through the private endpoint and the gateway");
    const encrypted = new RegExp(`^ciphertext under key version (${KEY_VERSION_OCID}) \\(DSM kid (${KID})\\)`);
    const [, v1, k1] = encrypted.exec(step(STEPS[8]))!;
    // DSM rekeys; OCI still names the old kid and encrypts under v1; the same run's KeyVersion moves it on.
    const [, k2] = new RegExp(`^"oci-ekm-key": new kid (${KID}), rotated kids \\[${k1}\\]$`).exec(step(STEPS[9]))!;
    expect(step(STEPS[10])).toBe(`DSM's current kid is ${k2}; OCI's current key reference version ${v1} still names ${k1}, and Encrypt went under it`);
    const [, v2] = new RegExp(
      `^CreateKeyVersion made (${KEY_VERSION_OCID}) for kid ${k2}, the only KeyVersion this run registered \\(1 created, 1 updated, \\d+ unchanged\\); ` +
        `OCI lists 2 versions of the key reference, the current one naming ${k2}$`,
    ).exec(step(STEPS[11]))!;
    expect(step(STEPS[12])).toBe(`ciphertext under key version ${v2} (DSM kid ${k2}), the new one`);
    expect(step(STEPS[13])).toBe(`both decrypt to the sample (versions ${v1} (kid ${k1}), ${v2} (kid ${k2}))`);
    // The stack outputs are the second run's: DSM's new kid, and the key reference version it declared.
    const outputs = r.endpoints!.stackOutputs;
    expect(outputs.dsmKeyIds).toEqual([k2]);
    expect(outputs.keyReferenceVersions).toEqual([{ key: "oci-ekm-key", externalKeyVersionId: k2, keyVersionId: v2 }]);
    expect(renderSandboxSummary(r).split("\n").filter((l) => /^(Summary|  steps|  verify checks)/.test(l))).toEqual([
      "Summary: every step passed",
      "  steps                  15 passed, 0 failed, 0 skipped (15 steps)",
      "  verify checks          30 passed, 0 failed, 0 skipped (30 checks)",
    ]);
  }, 180_000);

  it("--break rotation-not-followed: DSM rotates the key alone, OCI keeps encrypting under the old version, verify names the lag", async () => {
    const r = await sandbox("rotation-not-followed");
    expect(r.ok).toBe(false);
    expect(r.steps.map((s) => [s.name, s.status])).toEqual([
      ...STEPS.slice(0, 9).map((s) => [s, "passed"]),
      [ROTATE_IN_DSM_ONLY, "passed"],
      [STEPS[10], "passed"],
      [STEPS[12], "passed"],
      [STEPS[13], "passed"],
      [STEPS[14], "failed"],
    ]);
    const step = (name: string) => r.steps.find((s) => s.name === name)!.detail;
    const [, v1, k1] = new RegExp(`^ciphertext under key version (${KEY_VERSION_OCID}) \\(DSM kid (${KID})\\)$`).exec(step(STEPS[8]))!;
    const [, k2] = new RegExp(`^"oci-ekm-key": new kid (${KID}) in DSM, the old one ${k1} kept for decryption; no pulumi up, so no key reference version$`).exec(step(ROTATE_IN_DSM_ONLY))!;
    // Encrypt still works, under the old version.
    expect(step(STEPS[12])).toBe(`ciphertext under key version ${v1} (DSM kid ${k1}): OCI still uses the old version; DSM's current is ${k2}`);
    expect(failedChecks(r)).toEqual(["oci-key-version-current:oci-ekm-key"]);
    const lag = r.verification!.checks.find((c) => c.name === "oci-key-version-current")!;
    expect(lag.found).toBe(`OCI still uses version ${k1}, DSM's current is ${k2}`);
    expect(lag.fix).toContain("pulumi refresh && pulumi up");
    expect(lag.fix).toContain("rotation workflow");
    expect(r.summary.dsmHost.processes).toBe(1);
  }, 180_000);

  // OCI calls the key manager as it creates the vault: a broken link fails `pulumi up` there, with
  // DSM's reason, and verify (on the outputs of what was created) names the link and the fix.
  const refusedVault = (reason: string): string => `oci-ekm-ekm-vault: OCI refused CreateVault: HTTP 400 InvalidParameter: The external key manager refused GetVaultMetadata: GetVaultMetadata answered ${reason}`;
  // Without a vault the vault and key reference checks are skipped, the private endpoint's passes.
  const cases: { kind: SandboxBreak; step: string; message: string; checks: string[]; steps: string; verify: string }[] = [
    {
      kind: "audience",
      step: UP,
      message: refusedVault('HTTP 401: token audience ["https://10.0.1.10/","https://eu.smartkey.io"] does not contain the DSM URL'),
      checks: ["token-audience-dsm", "ekm-key-metadata:oci-ekm-key"],
      steps: "  steps                  1 passed, 2 failed, 12 skipped (15 steps)",
      verify: "  verify checks          24 passed, 2 failed, 2 skipped (28 checks)",
    },
    {
      kind: "scope",
      step: UP,
      message: refusedVault('HTTP 401: token scope "oci_ekm" does not contain oci_ekms'),
      checks: ["token"],
      // The token checks that need a token are skipped, and said to be.
      steps: "  steps                  1 passed, 2 failed, 12 skipped (15 steps)",
      verify: "  verify checks          14 passed, 1 failed, 13 skipped (28 checks)",
    },
    {
      kind: "issuer",
      step: UP,
      message: `valid issuers ["https://idcs-wrong.identity.oraclecloud.com/"]`,
      checks: ["dsm-app-issuer", "ekm-key-metadata:oci-ekm-key"],
      steps: "  steps                  1 passed, 2 failed, 12 skipped (15 steps)",
      verify: "  verify checks          24 passed, 2 failed, 2 skipped (28 checks)",
    },
    {
      kind: "signing-cert",
      step: UP,
      message: "/admin/v1/SigningCert/jwk: HTTP 401 (is the identity domain's signing certificate publicly accessible?)",
      checks: ["jwks", "ekm-key-metadata:oci-ekm-key"],
      steps: "  steps                  1 passed, 2 failed, 12 skipped (15 steps)",
      verify: "  verify checks          22 passed, 2 failed, 4 skipped (28 checks)",
    },
    {
      // Renamed after `up`: the key reference exists, OCI's next call to DSM finds no such key.
      kind: "key-name",
      step: STEPS[6],
      message: "GetKeyMetadata answered HTTP 404: Invalid key details provided",
      checks: ["dsm-key-renamed:oci-ekm-key", "ekm-key-metadata:oci-ekm-key"],
      steps: "  steps                  7 passed, 2 failed, 7 skipped (16 steps)",
      verify: "  verify checks          22 passed, 2 failed, 6 skipped (30 checks)",
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
    }, 180_000);
  }

  for (const source of ["remoteJwks", "staticKeys"] as const) {
    it(`with gateway token validation (${source}) serves keys, and a token without oci_ekms stops at the gateway`, async () => {
      const good = await runSandbox({ program: () => runEkmStack(), gatewayTokenValidation: source, rsaKeys });
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

      // OCI's first call, as it creates the vault, stops at the gateway.
      const bad = await runSandbox({ program: () => runEkmStack(), gatewayTokenValidation: source, break: "scope", rsaKeys });
      expect(bad.failedStep?.name).toBe(UP);
      expect(bad.failedStep?.detail).toContain(
        refusedVault("HTTP 403: Forbidden (refused at the gateway: token scopes [oci_ekm] include none of [oci_ekms])"),
      );
    }, 180_000);
  }

  it("with gatewayRoute ekmOnly serves keys and passes verify, and the gateway refuses DSM's management API", async () => {
    const r = await runSandbox({ program: () => runEkmStack(), gatewayRoute: "ekmOnly", rsaKeys });
    expect(r.steps.map((s) => [s.name, s.status])).toEqual(STEPS.map((s) => [s, "passed"]));
    expect(r.steps[3].detail).toBe("refused at the gateway (HTTP 404: no route matches GET /sys/v1/groups): only the EKM API is forwarded");
    expect(r.summary.checksPassed).toBe(30);
  }, 180_000);

  it("reads its arguments strictly, through components/cli.ts", () => {
    expect(parseSandboxArgs(["--keep", "--break", "scope"])).toEqual({ help: false, keep: true, break: "scope" });
    expect(parseSandboxArgs(["--break=issuer", "--stack", "dev"])).toEqual({ help: false, keep: false, break: "issuer", stack: "dev" });
    expect(parseSandboxArgs(["--gateway-token-validation", "staticKeys"])).toEqual({ help: false, keep: false, gatewayTokenValidation: "staticKeys" });
    expect(parseSandboxArgs(["--gateway-route", "ekmOnly"])).toEqual({ help: false, keep: false, gatewayRoute: "ekmOnly" });
    expect(parseSandboxArgs(["--kep", "--help"])).toEqual({ help: true });
    const usage = (argv: string[]): string => usageError(() => parseSandboxArgs(argv));
    expect(usage(["--break", "route"])).toBe('--break: "route" is not one of audience, scope, issuer, signing-cert, key-name, rotation-not-followed, replica-audience');
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
  it("counts checks by outcome, passed, failed and skipped always, then any other outcome", () => {
    expect(countChecks([])).toEqual({ passed: 0, failed: 0, skipped: 0 });
    expect(countChecks([{ status: "skipped" }, { status: "passed" }, { status: "rotated" }, { status: "skipped" }])).toEqual({ passed: 1, failed: 0, skipped: 2, rotated: 1 });
    expect(Object.keys(countChecks([{ status: "rotated" }, { status: "failed" }]))).toEqual(["passed", "failed", "skipped", "rotated"]);
  });
});
