// `npm run verify` as a user runs it after `pulumi up`: the stack outputs file, DSM credentials from
// DSM_*, one line per check, the exit status, and never a secret or a token on the terminal.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DsmEmulator } from "../components/emulators/dsm";
import { IdentityDomainEmulator } from "../components/emulators/identity-domain";
import { EKM_VERIFY_USAGE, type EkmVerificationReport } from "../components/verify";
import { type ScriptLauncher, scriptCommand } from "./script-process";
import { registerEkmApps } from "./verify-helpers";

const ROOT = join(__dirname, "..");
const GATEWAY = "https://10.0.1.10/";
const DSM_URL = "https://amer.smartkey.io";
const KEY = "oci-ekm-key";

const idp = new IdentityDomainEmulator({ signingCertPublicAccess: true });
const dsm = new DsmEmulator({ publicUrl: DSM_URL });
const dir = mkdtempSync(join(tmpdir(), "verify-cli-"));
const outputsFile = join(dir, "outputs.json");
let client = { clientId: "", clientSecret: "" };
let apiKey = "";

// Async on purpose: the emulators answer from this process's event loop while the child runs.
function runVerify(args: string[], env: Record<string, string> = {}, stdin = "", launcher?: ScriptLauncher): Promise<{ code: number; stdout: string; stderr: string }> {
  const started = scriptCommand(join(ROOT, "scripts", "verify.ts"), args, launcher);
  return new Promise((resolve) => {
    const child = execFile(
      started.command,
      started.args,
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(stdin);
  });
}

function requestsSoFar(): number {
  return idp.requests.length + dsm.requests.length;
}

const NO_DSM = "no DSM credentials (set DSM_API_KEY, or DSM_USERNAME, DSM_PASSWORD and DSM_ACCT_ID; DSM_ENDPOINT defaults to the DSM URL)";

beforeAll(async () => {
  await idp.start();
  await dsm.start();
  client = registerEkmApps(idp, GATEWAY, DSM_URL);
  apiKey = dsm.createApiKey({ role: "admin" });
  const group = dsm.seedGroup({ name: "oci-ekm" });
  dsm.seedApp({
    name: client.clientId,
    default_group: group.group_id,
    add_groups: { [group.group_id]: ["ENCRYPT", "DECRYPT"] },
    credential: { signedjwt: { valid_issuers: [idp.issuer], signing_keys: { kind: "fetched", url: idp.jwksUri, cache_duration: 3600 } } },
  });
  const key = dsm.seedSobject({ name: KEY, group_id: group.group_id, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT"] });
  writeFileSync(
    outputsFile,
    JSON.stringify({
      gatewayBaseUrl: GATEWAY,
      gatewayHostname: "ekm-gw.example.com",
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      identityDomainUrl: idp.url,
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      tokenUrl: idp.tokenEndpoint,
      scope: GATEWAY + "oci_ekms",
      audience: GATEWAY,
      dsmUrl: DSM_URL,
      dsmAccountId: dsm.accountId,
      vaultUrl: dsm.ekmVaultUrl,
      keyNames: [KEY],
      dsmKeyIds: [key.kid],
    }),
  );
});

afterAll(async () => {
  await idp.stop();
  await dsm.stop();
});

function assertNoSecret(text: string): void {
  expect(text).not.toContain(client.clientSecret);
  expect(text).not.toContain(apiKey);
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
}

describe("npm run verify", () => {
  it("prints one line per check and exits 0 when the deployed chain works", async () => {
    // Through npm, as a user runs it; the other tests start package.json's command directly (script-process.ts).
    const { code, stdout, stderr } = await runVerify(["--outputs", outputsFile], { DSM_ENDPOINT: dsm.url, DSM_API_KEY: apiKey }, "", "npm");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toBe(`✓ discovery: issuer https://identity.oraclecloud.com/, token_endpoint ${idp.url}/oauth2/v1/token, jwks_uri ${idp.jwksUri}`);
    expect(lines).toContain(`✓ ekm-key-metadata [${KEY}]: 200 keyId ${KEY}, state ACTIVE, AES 256`);
    expect(lines.at(-1)).toBe("OK: 25 passed, 0 failed, 0 skipped");
    assertNoSecret(stdout);
  });

  it("exits 1 with the broken link and its fix, without echoing the wrong secret, counting the skipped checks by reason", async () => {
    const { code, stdout } = await runVerify(["--outputs", outputsFile, "--client-secret", "wrong-client-secret"]);
    expect(code).toBe(1);
    expect(stdout).toContain("✗ token: expected a token for client");
    expect(stdout).toContain("    fix: the identity domain refused the client ID/secret");
    expect(stdout).toContain(`- dsm-app: skipped, ${NO_DSM}`);
    expect(stdout.trim().split("\n").at(-1)).toBe(`FAILED: 2 passed, 1 failed, 12 skipped: 11 because no token; 1 because ${NO_DSM}`);
    expect(stdout).not.toContain("wrong-client-secret");
    assertNoSecret(stdout);
  });

  it("prints the report as JSON with --json -", async () => {
    const { code, stdout } = await runVerify(["--outputs", outputsFile, "--json", "-"], { DSM_ENDPOINT: dsm.url, DSM_API_KEY: apiKey });
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as EkmVerificationReport;
    expect(report).toMatchObject({ ok: true, passed: 25, failed: 0, skipped: 0, rotated: 0, skippedReasons: [] });
    expect(report.checks[0]).toMatchObject({ name: "discovery", status: "passed", ok: true });
    assertNoSecret(stdout);
  });

  it("writes the JSON report to --json FILE besides the text", async () => {
    const file = join(dir, "report.json");
    const { code, stdout } = await runVerify(["--outputs", outputsFile, "--json", file]);
    expect(code).toBe(0);
    expect(stdout.trim().split("\n").slice(-2)).toEqual([`OK: 14 passed, 0 failed, 1 skipped: 1 because ${NO_DSM}`, `JSON report written to ${file}`]);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ ok: true, passed: 14, skipped: 1, skippedReasons: [{ why: NO_DSM, checks: ["dsm-app"] }] });
    assertNoSecret(readFileSync(file, "utf8"));
  });

  it("reads the outputs from standard input with --outputs -", async () => {
    const { code, stdout, stderr } = await runVerify(["--outputs", "-"], { DSM_ENDPOINT: dsm.url, DSM_API_KEY: apiKey }, readFileSync(outputsFile, "utf8"));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.trim().split("\n").at(-1)).toBe("OK: 25 passed, 0 failed, 0 skipped");
  });

  it("--help prints the usage and exits 0", async () => {
    const { code, stdout, stderr } = await runVerify(["--outputs", outputsFile, "--help"]);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: EKM_VERIFY_USAGE + "\n", stderr: "" });
  });

  describe("exits 2 with the message and the usage, before any request", () => {
    const cases: { what: string; args: string[]; env?: Record<string, string>; stdin?: string; message: string }[] = [
      { what: "an unknown option", args: ["--outputs", outputsFile, "--key-nam", "k"], message: "unknown option --key-nam (did you mean --key-name?)" },
      { what: "an option without its value", args: ["--outputs", outputsFile, "--vault-url"], message: "--vault-url needs a value" },
      { what: "an option given twice", args: ["--outputs", outputsFile, "--scope", "a", "--scope", "b"], message: "--scope is given more than once" },
      {
        what: "an unwritable --json file",
        args: ["--outputs", outputsFile, "--json", "/nonexistent/report.json"],
        message: "--json /nonexistent/report.json: cannot write there (folder /nonexistent does not exist or is not writable)",
      },
      {
        what: "invalid JSON on standard input (not quoted: it may hold the secret)",
        args: ["--outputs", "-"],
        stdin: '{"clientSecret": "idcscs-top-secret-value", ',
        message: "--outputs -: standard input is not valid JSON; pipe the stack outputs in: pulumi stack output --json --show-secrets | npm run verify -- --outputs -",
      },
      {
        what: "an incomplete DSM user login",
        args: ["--outputs", outputsFile],
        env: { DSM_USERNAME: "me@example.com", DSM_PASSWORD: "pw-top-secret-value" },
        message: "DSM user login incomplete: missing DSM_ACCT_ID (dsm:acctId)",
      },
      {
        what: "options that fail validation, naming each",
        args: ["--domain-url", "http://idcs-1.identity.oraclecloud.com", "--client-id", "a", "--client-secret", "top-secret-value"],
        message: [
          "invalid verify options:",
          "  scope (--scope): required",
          "  dsmUrl (--dsm-url): required",
          '  domainUrl (--domain-url): "http://idcs-1.identity.oraclecloud.com" uses http://; only https:// is accepted (http:// only on loopback hosts such as 127.0.0.1)',
        ].join("\n"),
      },
    ];
    for (const c of cases) {
      it(c.what, async () => {
        const before = requestsSoFar();
        const { code, stdout, stderr } = await runVerify(c.args, c.env, c.stdin);
        expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: "", stderr: `verify: ${c.message}\n${EKM_VERIFY_USAGE}\n` });
        expect(requestsSoFar()).toBe(before);
      });
    }
  });
});
