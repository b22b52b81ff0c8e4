// runEkmVerification against the emulated Identity Domain and DSM over loopback HTTP: a correct
// setup passes every check, and each broken link fails its own named check with its fix.
import { dsmCreateApp, dsmCreateGroup, dsmCreateSobject } from "../components/dsm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DsmClient, resetDsmSessions } from "../components/dsm/client";
import { DsmEmulator } from "../components/emulators/dsm";
import { IdentityDomainEmulator } from "../components/emulators/identity-domain";
import {
  dsmReaderFromClient,
  renderEkmVerificationReport,
  runEkmVerification,
  type EkmCheckResult,
  type EkmVerificationOptions,
  type EkmVerificationReport,
} from "../components/verify";

const ISSUER = "https://identity.oraclecloud.com/";
const DSM_URL = "https://amer.smartkey.io";
const GATEWAY = "https://10.0.1.10/";
const FQS = GATEWAY + "oci_ekms";
const KEY = "oci-ekm-key";

const ALL_CHECKS = [
  "discovery",
  "jwks",
  "token",
  "token-format",
  "token-algorithm",
  "token-key",
  "token-signature",
  "token-issuer",
  "token-audience-dsm",
  "token-audience-gateway",
  "token-scope",
  "token-expiry",
  "token-not-before",
  "dsm-app",
  "dsm-app-enabled",
  "dsm-app-auth",
  "dsm-app-issuer",
  "dsm-app-jwks-url",
  "dsm-key-exists",
  "dsm-key-enabled",
  "dsm-key-state",
  "dsm-key-shape",
  "dsm-key-ops",
  "dsm-app-permissions",
  "ekm-key-metadata",
];

const idp = new IdentityDomainEmulator({ signingCertPublicAccess: true });
const dsm = new DsmEmulator({ publicUrl: DSM_URL });
let resourceId = "";
let client = { clientId: "", clientSecret: "" };
let apiKey = "";
let dsmClient: DsmClient;
let groupId = "";
let keyId = "";

function signedJwt(overrides: { valid_issuers?: string[]; url?: string } = {}) {
  return {
    signedjwt: {
      valid_issuers: overrides.valid_issuers ?? [ISSUER],
      signing_keys: { kind: "fetched" as const, url: overrides.url ?? idp.jwksUri, cache_duration: 3600 },
    },
  };
}

async function createDsmApp(): Promise<void> {
  await dsmCreateApp(dsmClient, {
    name: client.clientId,
    description: "OCI EKM",
    app_type: "default",
    default_group: groupId,
    add_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
    credential: signedJwt(),
  });
}

async function createKey(keySize = 256): Promise<void> {
  keyId = (
    await dsmCreateSobject(dsmClient, {
      name: KEY,
      group_id: groupId,
      obj_type: "AES",
      key_size: keySize,
      key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"],
      enabled: true,
    })
  ).kid;
}

function options(overrides: Partial<EkmVerificationOptions> = {}): EkmVerificationOptions {
  return {
    domainUrl: idp.url,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    scope: FQS,
    issuers: [ISSUER],
    dsmUrl: DSM_URL,
    gatewayBaseUrl: GATEWAY,
    vaultUrl: dsm.ekmVaultUrl,
    keyNames: [KEY],
    keyIds: [keyId],
    dsm: dsmReaderFromClient(dsmClient),
    secrets: [apiKey],
    ...overrides,
  };
}

function byName(report: EkmVerificationReport): Record<string, EkmCheckResult> {
  return Object.fromEntries(report.checks.map((c) => [c.name, c]));
}

function failed(report: EkmVerificationReport): string[] {
  return report.checks.filter((c) => c.status === "failed").map((c) => c.name);
}

beforeAll(async () => {
  await idp.start();
  await dsm.start();
  resetDsmSessions();
  // The two apps of seed 000 section 6, with the fields the identity component gives DomainsApp.
  resourceId = idp.registerApp({
    displayName: "oci-ekm-resource",
    isOauthResource: true,
    audience: GATEWAY,
    secondaryAudiences: [DSM_URL],
    scopes: [{ value: "oci_ekms", requiresConsent: false }],
    isOauthClient: true,
    clientType: "confidential",
    allowedGrants: ["client_credentials"],
    active: true,
  }).clientId;
  client = idp.registerApp({
    displayName: "oci-ekm-client",
    isOauthClient: true,
    clientType: "confidential",
    allowedGrants: ["client_credentials"],
    allowedScopes: [{ fqs: FQS }],
    active: true,
  });
  // DSM side of section 9, through the project's DSM client.
  apiKey = dsm.createApiKey({ role: "admin" });
  dsmClient = new DsmClient({ endpoint: dsm.url, apiKey });
  groupId = (await dsmCreateGroup(dsmClient, { name: "oci-ekm" })).group_id;
  await createDsmApp();
  await createKey();
});

afterAll(async () => {
  await idp.stop();
  await dsm.stop();
});

beforeEach(() => {
  dsm.clearJwksCache();
});

describe("runEkmVerification over loopback HTTP", () => {
  it("times each call on OCI's chain and flags one that takes more than half of OCI's 1 s read timeout, as a warning", async () => {
    // DSM answers GetKeyMetadata 600 ms late: from here the vault URL uses most of what OCI allows.
    dsm.injectFault({ path: `/oci/ekm/v1/vaults/${dsm.accountId}/keys/${KEY}/metadata`, kind: "latency", ms: 600, times: 1 });
    const report = await runEkmVerification(options());
    expect(report).toMatchObject({ ok: true, passed: ALL_CHECKS.length });
    expect(report.times?.map((t) => [t.call, t.subject])).toEqual([["discovery", undefined], ["jwks", undefined], ["token", undefined], ["ekm-key-metadata", KEY]]);
    expect(report.times?.at(-1)?.slow).toBe(true);
    console.log(`verify's calls from here: ${report.times?.map((t) => `${t.call} ${t.ms} ms`).join(", ")}`);
    const lines = renderEkmVerificationReport(report).split("\n");
    // The check lines are as before; the times come between them and the closing line.
    expect(lines.slice(0, ALL_CHECKS.length + 1).map((l) => l.slice(0, 2))).toEqual([...ALL_CHECKS.map(() => "✓ "), ""]);
    expect(lines[ALL_CHECKS.length + 1]).toMatch(
      /^time per call \(OCI's budget for the key manager: 500 ms to connect, 1000 ms to answer, 2 attempts\): discovery \d+ ms, jwks \d+ ms, token \d+ ms, ekm-key-metadata \[oci-ekm-key\] \d+ ms$/,
    );
    expect(lines.filter((l) => l.startsWith("⚠ ekm-key-metadata"))).toEqual([
      `⚠ ekm-key-metadata [oci-ekm-key]: ${report.times?.at(-1)?.ms} ms from this machine, more than half of the 1000 ms OCI gives the key manager to answer ` +
        "(over it OCI retries once, then fails the operation): measure from a host in the VCN, and look at the distance to DSM",
    ]);
    expect(lines.at(-1)).toBe(`OK: ${ALL_CHECKS.length} passed, 0 failed, 0 skipped`);
  });

  it("passes every check, in chain order, for a correct setup", async () => {
    const report = await runEkmVerification(options());
    expect(report.checks.map((c) => [c.name, c.status])).toEqual(ALL_CHECKS.map((n) => [n, "passed"]));
    expect(report).toMatchObject({ ok: true, passed: ALL_CHECKS.length, failed: 0, skipped: 0 });
    const c = byName(report);
    expect(c.discovery.found).toBe(
      `issuer ${ISSUER}, token_endpoint ${idp.url}/oauth2/v1/token, jwks_uri ${idp.url}/admin/v1/SigningCert/jwk`,
    );
    expect(c["dsm-app-jwks-url"].found).toBe(`fetched from ${idp.jwksUri}`);
    expect(c["dsm-key-shape"]).toMatchObject({ subject: KEY, found: "AES 256" });
    expect(c["ekm-key-metadata"]).toMatchObject({ subject: KEY, found: `200 keyId ${KEY}, state ACTIVE, AES 256` });
    // OCI Vault's call reached DSM's EKM API with the token and a request ID.
    const ekmCall = dsm.requests.filter((r) => r.api === "ekm").at(-1);
    expect(ekmCall).toMatchObject({ method: "GET", path: `/oci/ekm/v1/vaults/${dsm.accountId}/keys/${KEY}/metadata`, auth: "Bearer", status: 200 });
    expect(typeof ekmCall?.opcRequestId).toBe("string");
    // The token request was made as OCI Vault makes it.
    expect(idp.requests.filter((r) => r.path === "/oauth2/v1/token").at(-1)).toMatchObject({
      authScheme: "Basic",
      grantType: "client_credentials",
      scope: FQS,
      status: 200,
    });
  });

  it("never shows the client secret, the token or the DSM API key", async () => {
    const report = await runEkmVerification(options({ secrets: [apiKey] }));
    const text = renderEkmVerificationReport(report) + JSON.stringify(report);
    expect(text).not.toContain(client.clientSecret);
    expect(text).not.toContain(apiKey);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });

  it("skips the DSM checks without DSM credentials, saying why", async () => {
    const report = await runEkmVerification(options({ dsm: undefined, dsmUnavailableReason: "no DSM credentials (test)" }));
    expect(report.ok).toBe(true);
    expect(byName(report)["dsm-app"]).toMatchObject({ status: "skipped", why: "no DSM credentials (test)" });
    const lines = renderEkmVerificationReport(report).split("\n");
    expect(lines).toContain("- dsm-app: skipped, no DSM credentials (test)");
    expect(report).toMatchObject({ passed: 14, failed: 0, skipped: 1, skippedReasons: [{ why: "no DSM credentials (test)", checks: ["dsm-app"] }] });
    expect(lines.at(-1)).toBe("OK: 14 passed, 0 failed, 1 skipped: 1 because no DSM credentials (test)");
  });

  it("reports DSM refusing the credentials as dsm-access, without the API key", async () => {
    const badKey = Buffer.from("00000000-0000-4000-8000-000000000000:not-a-secret-at-all").toString("base64");
    const reader = dsmReaderFromClient(new DsmClient({ endpoint: dsm.url, apiKey: badKey }, { maxAttempts: 1 }));
    const report = await runEkmVerification(options({ dsm: reader, secrets: [badKey] }));
    expect(failed(report)).toEqual(["dsm-access"]);
    expect(byName(report)["dsm-access"].found).toMatch(/401/);
    expect(JSON.stringify(report)).not.toContain(badKey);
  });

  describe("Identity Domain and token failures", () => {
    it("primary audience missing: token-audience-gateway", async () => {
      const wrong = "https://10.0.1.99/";
      idp.updateApp(resourceId, { audience: wrong });
      idp.updateApp(client.clientId, { allowedScopes: [{ fqs: wrong + "oci_ekms" }] });
      try {
        const report = await runEkmVerification(options({ scope: wrong + "oci_ekms" }));
        expect(failed(report)).toEqual(["token-audience-gateway"]);
        expect(byName(report)["token-audience-gateway"]).toMatchObject({
          expected: `aud contains "${GATEWAY}"`,
          found: `aud "${wrong}", "${DSM_URL}"`,
          fix: "the resource app's primary audience must be https://10.0.1.10/ (the gateway's base URL, https://<gateway private IP>/)",
        });
      } finally {
        idp.updateApp(resourceId, { audience: GATEWAY });
        idp.updateApp(client.clientId, { allowedScopes: [{ fqs: FQS }] });
      }
    });

    it("secondary audience missing: token-audience-dsm, and DSM refuses the call", async () => {
      idp.updateApp(resourceId, { secondaryAudiences: [] });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["token-audience-dsm", "ekm-key-metadata"]);
        expect(byName(report)["token-audience-dsm"].fix).toBe("the resource app's secondary audience must be https://amer.smartkey.io (the DSM URL)");
        // Oracle's EKM protocol has no error row for a refused token: 401, with DSM's reason.
        expect(byName(report)["ekm-key-metadata"].found).toMatch(/^401 token audience \["https:\/\/10\.0\.1\.10\/"\] does not contain the DSM URL https:\/\/amer\.smartkey\.io/);
      } finally {
        idp.updateApp(resourceId, { secondaryAudiences: [DSM_URL] });
      }
    });

    it("wrong issuer: token-issuer and dsm-app-issuer", async () => {
      const other = "https://idcs-other.identity.oraclecloud.com/";
      idp.alterIssuedTokens({ claims: { iss: other } });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["token-issuer", "dsm-app-issuer", "ekm-key-metadata"]);
        expect(byName(report)["token-issuer"]).toMatchObject({ expected: `iss among "${ISSUER}"`, found: `iss "${other}"` });
        expect(byName(report)["dsm-app-issuer"]).toMatchObject({
          expected: `valid issuers include "${other}", the iss of a token the domain just issued (with a trailing slash)`,
          found: `valid issuers "${ISSUER}"`,
          fix: `set the DSM app ${client.clientId}'s valid issuer to "${other}" (the identity domain's issuer)`,
        });
      } finally {
        idp.alterIssuedTokens(undefined);
      }
    });

    it("scope missing: token-scope", async () => {
      idp.updateApp(resourceId, { scopes: [{ value: "ekms" }] });
      idp.updateApp(client.clientId, { allowedScopes: [{ fqs: GATEWAY + "ekms" }] });
      try {
        const report = await runEkmVerification(options({ scope: GATEWAY + "ekms" }));
        expect(failed(report)).toEqual(["token-scope", "ekm-key-metadata"]);
        expect(byName(report)["token-scope"]).toMatchObject({ expected: 'scope contains "oci_ekms"', found: 'scope "ekms"' });
      } finally {
        idp.updateApp(resourceId, { scopes: [{ value: "oci_ekms" }] });
        idp.updateApp(client.clientId, { allowedScopes: [{ fqs: FQS }] });
      }
    });

    it("scope not allowed to the client: token refused with invalid_scope", async () => {
      idp.updateApp(client.clientId, { allowedScopes: [] });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["token"]);
        const token = byName(report).token;
        expect(token.found).toMatch(/^token endpoint answered 400 invalid_scope/);
        expect(token.fix).toBe(
          "the client app must be allowed the fully qualified scope https://10.0.1.10/oci_ekms (the resource app's primary audience followed by oci_ekms), and the resource app must be active and define the scope oci_ekms",
        );
        expect(byName(report)["token-audience-dsm"]).toMatchObject({ status: "skipped", why: "no token" });
      } finally {
        idp.updateApp(client.clientId, { allowedScopes: [{ fqs: FQS }] });
      }
    });

    it("expired token: token-expiry", async () => {
      // exp and the time verify checks it against are both fixed: the clock may pass a second between.
      const exp = Math.floor(Date.now() / 1000) - 600;
      idp.alterIssuedTokens({ claims: { exp } });
      try {
        const report = await runEkmVerification({ ...options(), now: new Date((exp + 600) * 1000) });
        expect(failed(report)).toEqual(["token-expiry", "ekm-key-metadata"]);
        expect(byName(report)["token-expiry"].found).toMatch(/\(expired 600 s ago\)$/);
      } finally {
        idp.alterIssuedTokens(undefined);
      }
    });

    it("token signed by an unknown key: token-signature (same kid) or token-key (other kid)", async () => {
      idp.alterIssuedTokens({ signWith: "foreign-key" });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["token-signature", "ekm-key-metadata"]);
      } finally {
        idp.alterIssuedTokens(undefined);
      }
      idp.alterIssuedTokens({ signWith: "foreign-key", header: { kid: "ROGUE_KEY" } });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["token-key", "ekm-key-metadata"]);
        expect(byName(report)["token-key"]).toMatchObject({ found: 'kid "ROGUE_KEY"', expected: `kid among ${idp.jwksUri} keys: "SIGNING_KEY"` });
      } finally {
        idp.alterIssuedTokens(undefined);
      }
    });

    it("alg none token: token-algorithm", async () => {
      idp.alterIssuedTokens({ signWith: "none" });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["token-algorithm", "token-key", "ekm-key-metadata"]);
        expect(byName(report)["token-algorithm"]).toMatchObject({ expected: "alg RS256", found: "alg none" });
        expect(byName(report)["token-signature"]).toMatchObject({ status: "skipped", why: "alg is none, not RS256" });
      } finally {
        idp.alterIssuedTokens(undefined);
      }
    });

    it("signing certificate not public: jwks answers 401, with the domain setting to change", async () => {
      idp.setSigningCertPublicAccess(false);
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["jwks", "ekm-key-metadata"]);
        expect(byName(report).jwks).toMatchObject({
          expected: `${idp.jwksUri} readable without credentials (DSM fetches it)`,
          fix: "enable 'Configure client access' under Access signing certificate in the domain settings (the identity component's DomainsSetting signingCertPublicAccess)",
        });
        expect(byName(report).jwks.found).toMatch(/^401 /);
        expect(byName(report)["token-signature"]).toMatchObject({ status: "skipped", why: "the JWKS could not be fetched (see check jwks)" });
      } finally {
        idp.setSigningCertPublicAccess(true);
      }
    });

    it("bad client secret: token refused with invalid_client", async () => {
      const report = await runEkmVerification(options({ clientSecret: "not-the-secret" }));
      expect(failed(report)).toEqual(["token"]);
      expect(byName(report).token.found).toMatch(/^token endpoint answered 401 invalid_client/);
      expect(byName(report).token.fix).toContain("use the client app's Client ID and Client Secret from its OAuth configuration");
      expect(byName(report)["ekm-key-metadata"]).toMatchObject({ status: "skipped", why: "no token" });
      expect(JSON.stringify(report)).not.toContain("not-the-secret");
      // Every skipped check is counted under its reason, and the checks each reason covers are listed.
      expect(report.skippedReasons).toEqual([
        {
          why: "no token",
          checks: [
            "token-format", "token-algorithm", "token-key", "token-signature", "token-issuer", "token-audience-dsm",
            "token-audience-gateway", "token-scope", "token-expiry", "token-not-before", `ekm-key-metadata [${KEY}]`,
          ],
        },
      ]);
      expect(renderEkmVerificationReport(report).split("\n").at(-1)).toBe("FAILED: 13 passed, 1 failed, 11 skipped: 11 because no token");
    });
  });

  describe("DSM failures", () => {
    it("DSM app missing: dsm-app", async () => {
      dsm.deleteApp(client.clientId);
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["dsm-app", "ekm-key-metadata"]);
        expect(byName(report)["dsm-app"]).toMatchObject({
          found: "no app with that name",
          fix: `create the DSM app with the client app's Client ID ${client.clientId} as its name (Apps → ADD APP, authentication method JSON Web Token)`,
        });
        expect(byName(report)["dsm-app-permissions"]).toMatchObject({ status: "skipped", why: "no DSM app named after the client ID" });
      } finally {
        await createDsmApp();
      }
    });

    it("DSM app with another issuer: dsm-app-issuer", async () => {
      dsm.modifyApp(client.clientId, { credential: signedJwt({ valid_issuers: ["https://accounts.example.com/"] }) });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["dsm-app-issuer", "ekm-key-metadata"]);
        expect(byName(report)["dsm-app-issuer"].found).toBe('valid issuers "https://accounts.example.com/"');
      } finally {
        dsm.modifyApp(client.clientId, { credential: signedJwt() });
      }
    });

    it("DSM app with another JWKS URL: dsm-app-jwks-url", async () => {
      const other = idp.url + "/admin/v1/SigningCert/other";
      dsm.modifyApp(client.clientId, { credential: signedJwt({ url: other }) });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["dsm-app-jwks-url", "ekm-key-metadata"]);
        expect(byName(report)["dsm-app-jwks-url"]).toMatchObject({
          expected: `fetched signing keys from ${idp.jwksUri}`,
          found: `fetched from ${other}`,
          fix: `set the DSM app ${client.clientId}'s signing keys to FETCHED SIGNING KEY with key URL ${idp.jwksUri} (jwks_uri of the domain's discovery document)`,
        });
      } finally {
        dsm.modifyApp(client.clientId, { credential: signedJwt() });
      }
    });

    it("app without DECRYPT on the key's group: dsm-app-permissions", async () => {
      dsm.modifyApp(client.clientId, { groups: { [groupId]: ["ENCRYPT"] } });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["dsm-app-permissions"]);
        expect(byName(report)["dsm-app-permissions"]).toMatchObject({
          subject: KEY,
          found: 'permissions "ENCRYPT"',
          fix: `give the DSM app ${client.clientId} DECRYPT on the group of "${KEY}"`,
        });
      } finally {
        dsm.modifyApp(client.clientId, { groups: { [groupId]: ["ENCRYPT", "DECRYPT"] } });
      }
    });

    it("key missing: dsm-key-exists, and GetKeyMetadata answers 404", async () => {
      dsm.deleteSobject(KEY);
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["dsm-key-exists", "ekm-key-metadata"]);
        expect(byName(report)["dsm-key-exists"]).toMatchObject({ subject: KEY, found: "no security object with that name" });
        // Oracle's EKM error for an unknown key: 404 "Invalid key details provided".
        expect(byName(report)["ekm-key-metadata"].found).toBe("404 Invalid key details provided");
      } finally {
        await createKey();
      }
    });

    it("key disabled: dsm-key-enabled, and OCI sees it DISABLED", async () => {
      dsm.modifySobject(KEY, { enabled: false });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["dsm-key-enabled", "ekm-key-metadata"]);
        expect(byName(report)["dsm-key-enabled"]).toMatchObject({ found: "disabled", fix: `enable the security object "${KEY}" in DSM` });
        // Oracle's EKM error for a disabled key: 403 "Key is in disabled state.".
        expect(byName(report)["ekm-key-metadata"].found).toBe("403 Key is in disabled state.");
      } finally {
        dsm.modifySobject(KEY, { enabled: true });
      }
    });

    it("key deactivated: dsm-key-state", async () => {
      dsm.modifySobject(KEY, { state: "Deactivated" });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["dsm-key-state", "ekm-key-metadata"]);
        expect(byName(report)["dsm-key-state"].found).toBe("state Deactivated");
      } finally {
        dsm.modifySobject(KEY, { state: "Active" });
      }
    });

    it("key of the wrong size: dsm-key-shape", async () => {
      dsm.deleteSobject(KEY);
      await createKey(128);
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["dsm-key-shape", "ekm-key-metadata"]);
        expect(byName(report)["dsm-key-shape"]).toMatchObject({ expected: "AES 256", found: "AES 128" });
      } finally {
        dsm.deleteSobject(KEY);
        await createKey();
      }
    });

    it("key without DECRYPT: dsm-key-ops, and the EKM key metadata lists only ENCRYPT", async () => {
      dsm.modifySobject(KEY, { key_ops: ["ENCRYPT", "APPMANAGEABLE"] });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["dsm-key-ops", "ekm-key-metadata"]);
        expect(byName(report)["ekm-key-metadata"].found).toBe(`200 keyId ${KEY}, state ACTIVE, AES 256, keyOps [ENCRYPT]`);
        expect(byName(report)["dsm-key-ops"]).toMatchObject({
          found: 'key_ops "ENCRYPT", "APPMANAGEABLE"',
          fix: `allow DECRYPT in the security object "${KEY}"'s key operations`,
        });
      } finally {
        dsm.modifySobject(KEY, { key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"] });
      }
    });

    it("key renamed in DSM: dsm-key-renamed, by kid and, without it, from the app's group", async () => {
      dsm.modifySobject(KEY, { name: "oci-ekm-key-new" });
      try {
        const report = await runEkmVerification(options());
        expect(failed(report)).toEqual(["dsm-key-renamed", "ekm-key-metadata"]);
        expect(byName(report)["dsm-key-renamed"]).toMatchObject({
          subject: KEY,
          found: `no object named "${KEY}"; the key ${keyId} is now named "oci-ekm-key-new"`,
          fix: `rename the security object "oci-ekm-key-new" back to "${KEY}" in DSM: the key reference's external key ID is the name, and renaming breaks every encrypt and decrypt`,
        });
        const withoutIds = await runEkmVerification(options({ keyIds: undefined }));
        expect(failed(withoutIds)).toEqual(["dsm-key-renamed", "ekm-key-metadata"]);
        expect(byName(withoutIds)["dsm-key-renamed"].found).toBe(`no object named "${KEY}"; the app's groups hold "oci-ekm-key-new"`);
      } finally {
        dsm.modifySobject("oci-ekm-key-new", { name: KEY });
      }
    });

    it("a rotated key still passes: the name moved to the new kid", async () => {
      const rotated = dsm.rekeySobject(KEY);
      const report = await runEkmVerification(options({ keyIds: [rotated.kid] }));
      expect(report.ok).toBe(true);
      expect(byName(report)["dsm-key-exists"].found).toBe(`kid ${rotated.kid}`);
      keyId = rotated.kid;
    });
  });

  describe("TLS", () => {
    it("an https:// vault URL served by a plain HTTP listener: says no TLS server answered, naming the URL and the code", async () => {
      const vaultUrl = dsm.ekmVaultUrl.replace(/^http:/, "https:");
      const report = await runEkmVerification(options({ vaultUrl }));
      const url = `${vaultUrl}/keys/${KEY}/metadata`;
      const probe = byName(report)["ekm-key-metadata"];
      expect(probe.status).toBe("failed");
      expect(probe.fix).toBe(`no TLS server answered at ${url} (EPROTO): check the URL's scheme (https:// or, on loopback, http://) and port`);
    });
  });

  describe("input", () => {
    it("refuses http:// on a non-loopback host and missing fields before any request, naming the fields", async () => {
      const before = idp.requests.length;
      await expect(
        runEkmVerification(options({ domainUrl: "http://idcs-x.identity.oraclecloud.com", clientId: "", vaultUrl: "ftp://x" })),
      ).rejects.toThrow(
        [
          "invalid verify options:",
          "  clientId (--client-id): required",
          '  domainUrl (--domain-url): "http://idcs-x.identity.oraclecloud.com" uses http://; only https:// is accepted (http:// only on loopback hosts such as 127.0.0.1)',
          '  vaultUrl (--vault-url): "ftp://x" must be an https:// URL',
        ].join("\n"),
      );
      expect(idp.requests.length).toBe(before);
    });
  });
});
