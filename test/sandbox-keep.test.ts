// `npm run sandbox -- --keep`: the servers stay up for `npm run verify`, the DSM provider and OCI's
// SDK until stop(), which closes every one of them and gives the DSM_* environment back. A sandbox
// that fails returns its failed step rather than throwing, and its --keep files are the user's alone.
import { spawn, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigFileAuthenticationDetailsProvider, type OciError } from "oci-common";
import { KmsCryptoClient, KmsManagementClient } from "oci-keymanagement";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { writeOciApiKeyConfig } from "../components/emulators";
import { SANDBOX_USAGE, removeSandboxKeepFiles, runSandbox, writeSandboxKeepFiles, type SandboxEndpoints, type SandboxKeepFiles } from "../components/sandbox";
import { EkmNetworkError, ekmHttpRequest, ociSdkTrusting, requestClientCredentialsToken } from "../components/verify";
import { runEkmStack } from "../infra/stack";
import { recycledRsaKeys } from "../components/emulators/tls";
import { type ScriptLauncher, scriptCommand } from "./script-process";

// Each run's keys differ from one another; the runs reuse one set (about two seconds of CPU each).
const rsaKeys = recycledRsaKeys();

const DSM_ENV = ["DSM_ENDPOINT", "DSM_API_KEY", "DSM_CA_BUNDLE", "DSM_USERNAME", "DSM_PASSWORD", "DSM_ACCT_ID"] as const;
const BEFORE: Record<string, string | undefined> = {
  DSM_ENDPOINT: "https://before.example",
  DSM_API_KEY: "before-api-key",
  DSM_CA_BUNDLE: undefined,
  DSM_USERNAME: "someone@example.com",
  DSM_PASSWORD: undefined,
  DSM_ACCT_ID: undefined,
};

// A whole sandbox run: far beyond the default 30 s on a loaded machine, as in sandbox.test.ts.
describe("runSandbox({ keep: true })", { timeout: 120_000 }, () => {
  let saved: Record<string, string | undefined>;
  beforeEach(() => {
    saved = Object.fromEntries(DSM_ENV.map((k) => [k, process.env[k]]));
    for (const k of DSM_ENV) {
      if (BEFORE[k] === undefined) delete process.env[k];
      else process.env[k] = BEFORE[k];
    }
  });
  afterEach(() => {
    for (const k of DSM_ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it("keeps the servers up with their endpoints until stop(), which closes them and restores DSM_*", async () => {
    const r = await runSandbox({ program: () => runEkmStack(), keep: true, rsaKeys });
    const e = r.endpoints as SandboxEndpoints;
    try {
      expect(r.failedStep).toBeUndefined();
      expect(r.endpoints).not.toBeUndefined();
      const out = e.stackOutputs;
      expect(e.identityDomainUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(e.dsmUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(e.gatewayUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
      expect(e.localVaultUrl).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:\\d+/oci/ekm/v1/vaults/${String(out.dsmAccountId)}$`));
      expect(e.gatewayHostname).toBe("ekm-gateway.sandbox.internal");
      expect(out).toMatchObject({ identityDomainUrl: e.identityDomainUrl, dsmUrl: e.dsmUrl });
      // What the private endpoint trusts is the stack's CA, not the gateway certificate.
      const trusted = new X509Certificate(e.gatewayCaBundlePem);
      expect(trusted.ca).toBe(true);
      expect(trusted.subject).toBe("CN=oci-ekm EKM gateway CA");
      // While kept, the DSM provider and verify are pointed at the sandbox's DSM.
      expect(process.env.DSM_ENDPOINT).toBe(e.dsmUrl);
      expect(process.env.DSM_API_KEY).toBe(e.dsmApiKey);
      expect(process.env.DSM_USERNAME).toBeUndefined();

      // A call to the gateway URL, as OCI Vault makes it through the private endpoint.
      const token = await requestClientCredentialsToken(
        {
          tokenEndpoint: e.identityDomainUrl + "/oauth2/v1/token",
          clientId: String(out.clientId),
          clientSecret: String(out.clientSecret),
          scope: String(out.scope),
        },
        { caBundle: e.caPem },
      );
      const res = await ekmHttpRequest("gateway URL", "GET", `${e.gatewayUrl}oci/ekm/v1/vaults/${String(out.dsmAccountId)}/metadata`, {
        caBundle: e.gatewayCaBundlePem,
        tlsServerName: e.gatewayHostname,
        headers: { authorization: `Bearer ${token.accessToken}` },
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ state: "ACTIVE" });

      await oracleSdkAgainstKeepFiles(e);
    } finally {
      await r.stop();
    }

    for (const k of DSM_ENV) expect([k, process.env[k]]).toEqual([k, BEFORE[k]]);
    for (const url of [e.gatewayUrl, e.localVaultUrl + "/metadata", e.identityDomainUrl + "/.well-known/openid-configuration", e.dsmUrl + "/sys/v1/health"]) {
      const refused = await ekmHttpRequest("url", "GET", url, { caBundle: e.caPem, timeoutMs: 2_000 }).then(
        (ok) => `answered ${ok.status}`,
        (err: unknown) => (err instanceof EkmNetworkError ? err.code : String(err)),
      );
      expect([url, refused]).toEqual([url, "ECONNREFUSED"]);
    }
  }, 180_000);

  it("reports a vault URL that names no listener as a failed step, not a throw, and restores DSM_*", async () => {
    const r = await runSandbox({
      keep: true,
      rsaKeys,
      program: () => {
        // OCI Vault calls port 443; a vault URL on another port reaches nothing.
        pulumi.runtime.registerStackTransformation((args) => {
          if (args.type !== "oci:Kms/vault:Vault") return undefined;
          const meta = pulumi.output(args.props.externalKeyManagerMetadata as pulumi.Input<{ externalVaultEndpointUrl: string }>);
          const externalKeyManagerMetadata = meta.apply((m) => ({
            ...m,
            externalVaultEndpointUrl: m.externalVaultEndpointUrl.replace(/^https:\/\/([^/:]+)\//, "https://$1:8443/"),
          }));
          return { props: { ...args.props, externalKeyManagerMetadata }, opts: args.opts };
        });
        return runEkmStack();
      },
    });
    try {
      expect(r.ok).toBe(false);
      // OCI calls the vault URL as it creates the vault: `pulumi up` fails there.
      expect(r.failedStep?.name).toBe("pulumi up (in-process, mocks answered by the emulators, DSM through Pulumi's dynamic-provider host)");
      expect(r.failedStep?.detail).toContain("oci-ekm-ekm-vault: OCI refused CreateVault: HTTP 500 InternalServerError: The external key manager failed GetVaultMetadata: the external vault URL uses port 8443; OCI Vault calls port 443");
      expect(r.endpoints).toBeUndefined();
    } finally {
      await r.stop();
    }
    for (const k of DSM_ENV) expect([k, process.env[k]]).toEqual([k, BEFORE[k]]);
  }, 180_000);
});

/**
 * An application's own test against a kept sandbox: Oracle's SDK clients configured from
 * `.sandbox/oci/config`, the vault's endpoints and a key reference from `.sandbox/outputs.json`.
 */
async function oracleSdkAgainstKeepFiles(e: SandboxEndpoints): Promise<void> {
  const base = mkdtempSync(path.join(tmpdir(), "sandbox-keep-sdk-"));
  const files: SandboxKeepFiles = writeSandboxKeepFiles(path.join(base, ".sandbox"), e);
  const outputs = JSON.parse(readFileSync(files.outputsFile, "utf8")) as Record<string, unknown> & { keyReferenceIds: string[]; dsmKeyIds: string[] };
  // In-process the CA is trusted through the SDK's client configuration; a process of its own uses NODE_EXTRA_CA_CERTS.
  const trust = ociSdkTrusting([readFileSync(files.caFile, "utf8")]);
  const clients: { close(): void }[] = [];
  const client = <C extends { endpoint: string; close(): void }>(Kind: new (p: { authenticationDetailsProvider: ConfigFileAuthenticationDetailsProvider }, c: typeof trust.clientConfiguration) => C, endpoint: unknown, configFile = files.ociConfigFile): C => {
    const c = new Kind({ authenticationDetailsProvider: new ConfigFileAuthenticationDetailsProvider(configFile) }, trust.clientConfiguration);
    c.endpoint = String(endpoint);
    clients.push(c);
    return c;
  };
  // The SDK warns on the console for the refused request below.
  const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
  try {
    expect(outputs).toMatchObject({ ociKmsEndpoint: e.ociKmsEndpoint, vaultId: expect.stringMatching(/^ocid1\.vault\.oc1\.eu-frankfurt-1\.a[a-z2-7]{59}$/) });
    expect(String(outputs.managementEndpoint)).toMatch(new RegExp(`^${e.ociKmsEndpoint}/[a-z2-7]{12}-management$`));
    expect(String(outputs.cryptoEndpoint)).toMatch(new RegExp(`^${e.ociKmsEndpoint}/[a-z2-7]{12}-crypto$`));
    for (const f of [files.ociConfigFile, files.ociKeyFile]) expect([f, statSync(f).mode & 0o777]).toEqual([f, 0o600]);
    expect(statSync(path.dirname(files.ociConfigFile)).mode & 0o777).toBe(0o700);
    expect(readFileSync(files.ociConfigFile, "utf8")).toBe(
      `[DEFAULT]\nuser=${e.ociApiKey.user}\nfingerprint=${e.ociApiKey.fingerprint}\ntenancy=${e.ociApiKey.tenancy}\nregion=eu-frankfurt-1\nkey_file=${files.ociKeyFile}\n`,
    );

    const keyId = outputs.keyReferenceIds[0];
    expect(keyId).toMatch(/^ocid1\.key\.oc1\.eu-frankfurt-1\./);
    const crypto = client(KmsCryptoClient, outputs.cryptoEndpoint);
    const plaintext = Buffer.from("an application's data key", "utf8").toString("base64");
    const { encryptedData } = await crypto.encrypt({ encryptDataDetails: { keyId, plaintext } });
    const { decryptedData } = await crypto.decrypt({ decryptDataDetails: { keyId, ciphertext: encryptedData.ciphertext } });
    expect(decryptedData).toMatchObject({ plaintext, keyVersionId: encryptedData.keyVersionId });

    // The rotated key: OCI's first version and the one the rotation's KeyVersion made, none scheduled for deletion.
    const { items } = await client(KmsManagementClient, outputs.managementEndpoint).listKeyVersions({ keyId });
    expect(items.length).toBeGreaterThanOrEqual(2);
    for (const v of items) expect([v.id, v.lifecycleState, v.timeOfDeletion]).toEqual([v.id, "ENABLED", undefined]);
    expect(items.map((v) => v.externalKeyReferenceDetails?.externalKeyVersionId)).toContain(outputs.dsmKeyIds[0]);
    expect(encryptedData.keyVersionId).toBe(items.find((v) => v.externalKeyReferenceDetails?.externalKeyVersionId === outputs.dsmKeyIds[0])?.id);

    // The same user with a key the sandbox never registered: refused as OCI refuses it.
    const other = writeOciApiKeyConfig(path.join(base, "other"), { tenancy: e.ociApiKey.tenancy, user: e.ociApiKey.user, region: "eu-frankfurt-1" });
    const refused = await client(KmsCryptoClient, outputs.cryptoEndpoint, other.configFile)
      .encrypt({ encryptDataDetails: { keyId, plaintext } })
      .then(
        () => "answered",
        (err: OciError) => `${err.statusCode} ${err.serviceCode}`,
      );
    expect(refused).toBe("401 NotAuthenticated");
  } finally {
    warn.mockRestore();
    for (const c of clients) c.close();
    await trust.close();
    removeSandboxKeepFiles(files);
    rmSync(base, { recursive: true, force: true });
  }
}

// A whole sandbox run: far beyond the default 30 s on a loaded machine, as in sandbox.test.ts.
describe("the sandbox's Identity Domain", { timeout: 120_000 }, () => {
  it("refuses identity resources whose idcsEndpoint names another domain", async () => {
    const r = await runSandbox({
      rsaKeys,
      program: () => {
        pulumi.runtime.registerStackTransformation((args) =>
          args.type === "oci:Identity/domainsApp:DomainsApp"
            ? { props: { ...args.props, idcsEndpoint: "https://idcs-other.identity.oraclecloud.com" }, opts: args.opts }
            : undefined,
        );
        return runEkmStack();
      },
    });
    expect(r.ok).toBe(false);
    expect(r.failedStep?.name).toBe("pulumi up (in-process, mocks answered by the emulators, DSM through Pulumi's dynamic-provider host)");
    expect(r.failedStep?.detail).toContain("idcsEndpoint https://idcs-other.identity.oraclecloud.com is not the Identity Domain https://127.0.0.1:");
  }, 180_000);
});

describe("writeSandboxKeepFiles", () => {
  const endpoints: SandboxEndpoints = {
    identityDomainUrl: "https://127.0.0.1:1001",
    dsmUrl: "https://127.0.0.1:1002",
    gatewayUrl: "https://127.0.0.1:1003/",
    localVaultUrl: "https://127.0.0.1:1004/oci/ekm/v1/vaults/acct",
    gatewayHostname: "ekm-gateway.sandbox.internal",
    caPem: "CA",
    gatewayCaBundlePem: "GW",
    dsmApiKey: "sandbox-api-key",
    ociKmsEndpoint: "https://127.0.0.1:1005",
    ociApiKey: { tenancy: "ocid1.tenancy.oc1..t", user: "ocid1.user.oc1..u", region: "eu-frankfurt-1", fingerprint: "aa:bb", privateKeyPem: "OCI-KEY" },
    stackOutputs: { clientSecret: "sandbox-client-secret", vaultUrl: "https://10.0.1.20/oci/ekm/v1/vaults/acct" },
  };

  it("writes new 0600 files in a 0700 directory, replacing an older readable file and never following a symlink", () => {
    const base = mkdtempSync(path.join(tmpdir(), "sandbox-keep-"));
    try {
      const dir = path.join(base, ".sandbox");
      const files = writeSandboxKeepFiles(dir, endpoints);
      expect(statSync(dir).mode & 0o777).toBe(0o700);

      // A second --keep run finds a world-readable env.sh and a planted outputs.json symlink.
      writeFileSync(files.envFile, "old", { mode: 0o644 });
      const elsewhere = path.join(base, "elsewhere.json");
      writeFileSync(elsewhere, "untouched", { mode: 0o644 });
      rmSync(files.outputsFile);
      symlinkSync(elsewhere, files.outputsFile);

      const again = writeSandboxKeepFiles(dir, endpoints);
      expect(again).toEqual({
        caFile: path.join(dir, "ca.pem"),
        outputsFile: path.join(dir, "outputs.json"),
        envFile: path.join(dir, "env.sh"),
        ociConfigFile: path.join(dir, "oci", "config"),
        ociKeyFile: path.join(dir, "oci", "oci_api_key.pem"),
      });
      expect(statSync(path.join(dir, "oci")).mode & 0o777).toBe(0o700);
      for (const f of [again.caFile, again.outputsFile, again.envFile, again.ociConfigFile, again.ociKeyFile]) {
        expect(lstatSync(f).isFile()).toBe(true);
        expect([f, statSync(f).mode & 0o777]).toEqual([f, 0o600]);
      }
      expect(readFileSync(elsewhere, "utf8")).toBe("untouched");
      expect(JSON.parse(readFileSync(again.outputsFile, "utf8"))).toEqual({
        clientSecret: "sandbox-client-secret",
        vaultUrl: endpoints.localVaultUrl,
        ociKmsEndpoint: "https://127.0.0.1:1005",
      });
      expect(readFileSync(again.ociKeyFile, "utf8")).toBe("OCI-KEY");
      expect(readFileSync(again.ociConfigFile, "utf8")).toBe(
        `[DEFAULT]\nuser=ocid1.user.oc1..u\nfingerprint=aa:bb\ntenancy=ocid1.tenancy.oc1..t\nregion=eu-frankfurt-1\nkey_file=${again.ociKeyFile}\n`,
      );
      expect(readFileSync(again.envFile, "utf8")).toBe(
        `export DSM_ENDPOINT='https://127.0.0.1:1002'\nexport DSM_API_KEY='sandbox-api-key'\nexport DSM_CA_BUNDLE='${again.caFile}'\n`,
      );
      expect(readFileSync(again.caFile, "utf8")).toBe("CA\nGW");

      removeSandboxKeepFiles(again);
      for (const f of [again.caFile, again.outputsFile, again.envFile, again.ociConfigFile, again.ociKeyFile]) expect([f, existsSync(f)]).toEqual([f, false]);
      expect(existsSync(dir)).toBe(false);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

// The command as a user runs it: a process of its own, stopped by a signal.
const root = path.resolve(__dirname, "..");

function sandboxProcess(args: string[], launcher?: ScriptLauncher) {
  const started = scriptCommand("scripts/sandbox.ts", args, launcher);
  const child = spawn(started.command, started.args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString("utf8");
    for (const w of [...waiters]) {
      const m = w.pattern.exec(stdout);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Resolves when stdout matches; rejects when the process ends first. */
    waitFor: (pattern: RegExp) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const m = pattern.exec(stdout);
        if (m) return resolve(m);
        waiters.push({ pattern, resolve });
        void exited.then((code) => reject(new Error(`sandbox exited (${code}) before printing ${pattern}:\n${stdout}\n${stderr}`)));
      }),
  };
}

async function refusal(url: string, caBundle: string): Promise<string> {
  return ekmHttpRequest("url", "GET", url, { caBundle, timeoutMs: 2_000 }).then(
    (ok) => `answered ${ok.status}`,
    (err: unknown) => (err instanceof EkmNetworkError ? err.code : String(err)),
  );
}

describe("npm run sandbox, as a process", () => {
  it("--keep: prints its PID, writes outputs.json after the rotation, and SIGTERM closes every port and removes .sandbox/", async () => {
    const p = sandboxProcess(["--keep"]);
    const [, pid, again] = await p.waitFor(/sandbox running as PID (\d+); stop it with kill (\d+) or Ctrl-C\n/);
    expect([pid, again]).toEqual([String(p.child.pid), String(p.child.pid)]);
    const out = p.stdout();
    const url = (label: string): string => new RegExp(`^  ${label} +(https://\\S+)`, "m").exec(out)![1];
    const ociKms = url("OCI Key Management");
    const urls = [url("Identity Domain") + "/.well-known/openid-configuration", url("DSM") + "/sys/v1/health", url("API gateway"), url("external vault") + "/metadata", ociKms];
    const dir = path.join(root, ".sandbox");
    const files = ["env.sh", "outputs.json", "ca.pem", "oci/config", "oci/oci_api_key.pem"].map((f) => path.join(dir, f));
    const caBundle = readFileSync(path.join(dir, "ca.pem"), "utf8");
    expect(out).toContain("  OCI config file      .sandbox/oci/config  (profile DEFAULT, a throw-away API key the sandbox accepts)\n");
    expect(out).toContain("  trust the sandbox CA NODE_EXTRA_CA_CERTS=.sandbox/ca.pem (set when the process starts)\n");

    // The outputs describe the stack after the last step: the rotated key's kid is its successor's.
    const newKid = /"oci-ekm-key": new kid (\S+), rotated kids/.exec(out)![1];
    expect(out).toMatch(new RegExp(`OCI Vault: Encrypt again after the rotation\n {11}ciphertext under key version \\S+ \\(DSM kid ${newKid}\\), the new one\n`));
    const outputs = JSON.parse(readFileSync(path.join(dir, "outputs.json"), "utf8")) as { dsmKeyIds: string[]; ociKmsEndpoint: string };
    expect(outputs).toMatchObject({ dsmKeyIds: [newKid], ociKmsEndpoint: ociKms });
    for (const u of urls) expect([u, await refusal(u, caBundle)]).not.toEqual([u, "ECONNREFUSED"]);

    // A process of its own trusts the OCI emulator through NODE_EXTRA_CA_CERTS, read as Node starts:
    // Node's fetch gets OCI's answer to an unsigned request (401), not a TLS error.
    const probe = (env: NodeJS.ProcessEnv): string =>
      spawnSync(process.execPath, ["-e", `fetch(${JSON.stringify(ociKms + "/20180608/vaults/x")}).then((r) => console.log(r.status), (e) => console.log(e.cause?.code ?? e.message))`], {
        env,
        encoding: "utf8",
      }).stdout.trim();
    const { NODE_EXTRA_CA_CERTS: _none, ...withoutCa } = process.env;
    expect(probe({ ...withoutCa, NODE_EXTRA_CA_CERTS: path.join(dir, "ca.pem") })).toBe("401");
    expect(probe(withoutCa)).toMatch(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);

    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(
      p.stdout().endsWith("stopped by SIGTERM: every server closed, .sandbox/env.sh, .sandbox/outputs.json, .sandbox/ca.pem, .sandbox/oci/config, .sandbox/oci/oci_api_key.pem removed\n"),
    ).toBe(true);
    for (const u of urls) expect([u, await refusal(u, caBundle)]).toEqual([u, "ECONNREFUSED"]);
    for (const f of files) expect([f, existsSync(f)]).toEqual([f, false]);
    expect(existsSync(dir)).toBe(false);
    expect(p.stderr()).toBe("");
  }, 180_000);

  it("SIGINT before the last step: the step that ran is cut short, the rest skipped, every server closed, exit 130", async () => {
    const p = sandboxProcess([]);
    const [, identityUrl, dsmUrl] = await p.waitFor(/start the emulated Identity Domain, DSM and OCI Key Management\n +Identity Domain (\S+), DSM (\S+) \(account/);
    p.child.kill("SIGINT");
    expect(await p.exited).toBe(130);
    const lines = p.stdout().split("\n");
    expect(lines).toContain("  steps                  1 passed, 1 failed, 13 skipped (15 steps)");
    expect(lines).toContain("  failure                stopped while it ran: the sandbox was asked to stop");
    expect(lines.at(-2)).toBe("stopped by SIGINT before the last step: every server closed");
    for (const u of [identityUrl + "/.well-known/openid-configuration", dsmUrl + "/sys/v1/health"]) {
      expect([u, await refusal(u, "")]).toEqual([u, "ECONNREFUSED"]);
    }
  }, 180_000);

  it("a usage error exits 2 with the usage, before any server starts; --help exits 0", async () => {
    // --help through npm, as a user runs it; the rest with package.json's command directly (script-process.ts).
    const cases: [string[], number, string, string][] = [
      [["--break"], 2, "", `sandbox: --break needs a value\n${SANDBOX_USAGE}\n`],
      [["--break", "scope", "--break", "audience"], 2, "", `sandbox: --break is given more than once\n${SANDBOX_USAGE}\n`],
      [["--stack", "nosuch"], 2, "", `sandbox: --stack nosuch: there is no Pulumi.nosuch.yaml in ${root} (stacks there: dev)\n${SANDBOX_USAGE}\n`],
      [["--help"], 0, `${SANDBOX_USAGE}\n`, ""],
    ];
    for (const [args, code, stdout, stderr] of cases) {
      const p = sandboxProcess(args, args.includes("--help") ? "npm" : "transpiled");
      expect([args, await p.exited, p.stdout(), p.stderr()]).toEqual([args, code, stdout, stderr]);
    }
  }, 120_000);
});
