// `npm run verify` as a user runs it after `pulumi up`: the stack outputs file, DSM credentials from
// DSM_*, one line per check, the exit status, and never a secret or a token on the terminal.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DsmEmulator } from "../components/emulators/dsm";
import { IdentityDomainEmulator } from "../components/emulators/identity-domain";
import type { EkmVerificationReport } from "../components/verify";

const ROOT = join(__dirname, "..");
const TS_NODE = join(ROOT, "node_modules", ".bin", "ts-node");
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
function runVerify(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      TS_NODE,
      [join(ROOT, "scripts", "verify.ts"), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  await idp.start();
  await dsm.start();
  idp.registerApp({
    displayName: "oci-ekm-resource",
    isOauthResource: true,
    audience: GATEWAY,
    secondaryAudiences: [DSM_URL],
    scopes: [{ value: "oci_ekms" }],
    isOauthClient: true,
    allowedGrants: ["client_credentials"],
  });
  client = idp.registerApp({
    displayName: "oci-ekm-client",
    isOauthClient: true,
    allowedGrants: ["client_credentials"],
    allowedScopes: [{ fqs: GATEWAY + "oci_ekms" }],
  });
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
    const { code, stdout, stderr } = await runVerify(["--outputs", outputsFile], { DSM_ENDPOINT: dsm.url, DSM_API_KEY: apiKey });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toBe(`✓ discovery: issuer https://identity.oraclecloud.com/, token_endpoint ${idp.url}/oauth2/v1/token, jwks_uri ${idp.jwksUri}`);
    expect(lines).toContain(`✓ ekm-key-metadata [${KEY}]: 200 keyId ${KEY}, state ACTIVE, AES 256`);
    expect(lines.at(-1)).toBe("OK: 25 passed, 0 failed, 0 skipped");
    assertNoSecret(stdout);
  });

  it("exits 1 with the broken link and its fix, without echoing the wrong secret", async () => {
    const { code, stdout } = await runVerify(["--outputs", outputsFile, "--client-secret", "wrong-client-secret"]);
    expect(code).toBe(1);
    expect(stdout).toContain("✗ token: expected a token for client");
    expect(stdout).toContain("    fix: the identity domain refused the client ID/secret");
    expect(stdout).toContain("- dsm-app: skipped, no DSM credentials");
    expect(stdout.trim().split("\n").at(-1)).toMatch(/^FAILED: 2 passed, 1 failed, \d+ skipped$/);
    expect(stdout).not.toContain("wrong-client-secret");
    assertNoSecret(stdout);
  });

  it("prints the report as JSON with --json", async () => {
    const { code, stdout } = await runVerify(["--outputs", outputsFile, "--json"], { DSM_ENDPOINT: dsm.url, DSM_API_KEY: apiKey });
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as EkmVerificationReport;
    expect(report).toMatchObject({ ok: true, passed: 25, failed: 0, skipped: 0 });
    expect(report.checks[0]).toMatchObject({ name: "discovery", status: "passed", ok: true });
    assertNoSecret(stdout);
  });

  it("exits 2 on bad input, naming the option", async () => {
    const { code, stdout, stderr } = await runVerify(["--domain-url", "http://idcs-1.identity.oraclecloud.com", "--client-id", "a", "--client-secret", "top-secret-value"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("verify: invalid verify options:");
    expect(stderr).toContain("scope (--scope): required");
    expect(stderr).toContain('domainUrl (--domain-url): "http://idcs-1.identity.oraclecloud.com" uses http://');
    expect(stderr).not.toContain("top-secret-value");
  });
});
