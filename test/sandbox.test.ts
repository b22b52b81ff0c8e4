// The sandbox end to end, in-process: the real stack program, the emulated services, OCI Vault's
// calls, the rotation and verify; then each injected misconfiguration caught at the right step.
import { describe, expect, it } from "vitest";
import { parseSandboxArgs, renderSandboxSummary, runSandbox, type SandboxBreak, type SandboxResult } from "../components/sandbox";
import { runEkmStack } from "../infra/stack";

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
    expect(renderSandboxSummary(r)).toContain("Summary: every step passed");
  });

  const cases: { kind: SandboxBreak; step: string; message: string; checks: string[] }[] = [
    {
      kind: "audience",
      step: STEPS[5],
      message: 'token audience ["https://10.0.1.10/","https://eu.smartkey.io"] does not contain the DSM URL',
      checks: ["token-audience-dsm", "ekm-key-metadata:oci-ekm-key"],
    },
    { kind: "scope", step: STEPS[5], message: 'token scope "oci_ekm" does not contain oci_ekms', checks: ["token"] },
    {
      kind: "issuer",
      step: STEPS[5],
      message: `valid issuers ["https://idcs-wrong.identity.oraclecloud.com/"]`,
      checks: ["dsm-app-issuer", "ekm-key-metadata:oci-ekm-key"],
    },
    {
      kind: "signing-cert",
      step: STEPS[5],
      message: "/admin/v1/SigningCert/jwk: HTTP 401 (is the identity domain's signing certificate publicly accessible?)",
      checks: ["jwks", "ekm-key-metadata:oci-ekm-key"],
    },
    {
      kind: "key-name",
      step: STEPS[6],
      message: "GetKeyMetadata answered HTTP 404: Invalid key details provided",
      checks: ["dsm-key-renamed:oci-ekm-key", "ekm-key-metadata:oci-ekm-key"],
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
    });
  }

  for (const source of ["remoteJwks", "staticKeys"] as const) {
    it(`with gateway token validation (${source}) serves keys, and a token without oci_ekms stops at the gateway`, async () => {
      const good = await runSandbox({ program: () => runEkmStack(), gatewayTokenValidation: source });
      expect(good.failedStep).toBeUndefined();
      expect(good.ok).toBe(true);

      const bad = await runSandbox({ program: () => runEkmStack(), gatewayTokenValidation: source, break: "scope" });
      expect(bad.failedStep?.name).toBe(STEPS[5]);
      expect(bad.failedStep?.detail).toBe(
        "GetVaultMetadata answered HTTP 403: Forbidden (refused at the gateway: token scopes [oci_ekm] include none of [oci_ekms])",
      );
    });
  }

  it("with gatewayRoute ekmOnly serves keys and passes verify, and the gateway refuses DSM's management API", async () => {
    const r = await runSandbox({ program: () => runEkmStack(), gatewayRoute: "ekmOnly" });
    expect(r.steps.map((s) => [s.name, s.status])).toEqual(STEPS.map((s) => [s, "passed"]));
    expect(r.steps[3].detail).toBe("refused at the gateway (HTTP 404: no route matches GET /sys/v1/groups): only the EKM API is forwarded");
    expect(r.summary.checksPassed).toBe(25);
  });

  it("reads its arguments strictly", () => {
    expect(parseSandboxArgs(["--keep", "--break", "scope"])).toEqual({ keep: true, break: "scope" });
    expect(parseSandboxArgs(["--break=issuer"])).toEqual({ keep: false, break: "issuer" });
    expect(parseSandboxArgs(["--break", "route"])).toEqual({
      error: '--break: "route" is not one of audience, scope, issuer, signing-cert, key-name',
    });
    expect(parseSandboxArgs(["--kep"])).toEqual({ error: 'unknown argument "--kep"' });
    expect(parseSandboxArgs(["--gateway-token-validation", "staticKeys"])).toEqual({ keep: false, gatewayTokenValidation: "staticKeys" });
    expect(parseSandboxArgs(["--gateway-route", "ekmOnly"])).toEqual({ keep: false, gatewayRoute: "ekmOnly" });
    expect(parseSandboxArgs(["--gateway-route=ekm"])).toEqual({ error: '--gateway-route: "ekm" is not one of all, ekmOnly' });
    expect(parseSandboxArgs(["--gateway-token-validation=jwks"])).toEqual({
      error: '--gateway-token-validation: "jwks" is not one of remoteJwks, staticKeys',
    });
  });
});
