// The emulated OCI Key Management service, driven only by Oracle's own TypeScript SDK (KmsVaultClient,
// EkmClient, KmsManagementClient, KmsCryptoClient) signing with an API key from a config file our
// writer made, over HTTPS trusting the emulator's test CA. Hand-made requests appear only where a
// request must be tampered with after the SDK's signer signed it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createSign } from "node:crypto";
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigFileAuthenticationDetailsProvider, DefaultRequestSigner, type OciError } from "oci-common";
import { EkmClient, KmsCryptoClient, KmsManagementClient, KmsVaultClient, requests } from "oci-keymanagement";
import {
  OCI_NOT_AUTHENTICATED_MESSAGE,
  OciApiKeyRegistry,
  OciKmsEmulator,
  generateOciApiKey,
  ociApiKeyFingerprint,
  ociConfigFileText,
  ociSdkTrustingCa,
  verifyOciRequestSignature,
  writeOciApiKeyConfig,
  type ExternalKeyManager,
  type OciApiKeyConfigFiles,
  type OciKeyJson,
  type OciSdkTrust,
  type OciVaultJson,
} from "../components/emulators";
import type { OciVaultClient } from "../components/sandbox/oci-vault";
import { FakeKeyManager } from "./oci-kms-fake-key-manager";

// The sandbox plugs its OciVaultClient in as the external key manager: this line fails to compile if it no longer fits.
const sandboxClientFits: (c: OciVaultClient) => ExternalKeyManager = (c) => c;
void sandboxClientFits;

const TENANCY = "ocid1.tenancy.oc1..aaaaaaaatenancy";
const USER = "ocid1.user.oc1..aaaaaaaauser";
const COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaacompartment";
const REGION = "eu-frankfurt-1";
const OCID = (type: string): RegExp => new RegExp(`^ocid1\\.${type}\\.oc1\\.${REGION}\\.a[a-z2-7]{59}$`);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SAMPLE = Buffer.from("the key material never leaves the key manager", "utf8");

/** What the SDK threw, or a failure if it did not throw. */
async function sdkError(call: Promise<unknown>): Promise<Pick<OciError, "statusCode" | "serviceCode" | "message" | "opcRequestId">> {
  try {
    await call;
  } catch (err) {
    const e = err as OciError;
    return { statusCode: e.statusCode, serviceCode: e.serviceCode, message: e.message, opcRequestId: e.opcRequestId };
  }
  throw new Error("the SDK call succeeded");
}

describe("the OCI Key Management emulator under Oracle's SDK", () => {
  let clockOffsetMs = 0;
  const emulator = new OciKmsEmulator({ region: REGION, now: () => Date.now() + clockOffsetMs });
  const km = new FakeKeyManager("team-key");
  const K1 = km.current;
  const dir = mkdtempSync(path.join(os.tmpdir(), "oci-kms-emulator-"));
  let files: OciApiKeyConfigFiles;
  let trust: OciSdkTrust;
  let vault: OciVaultJson;
  let key: OciKeyJson;
  let peId: string;
  const clients: { close(): void }[] = [];

  /** An SDK client of `kind` for `endpoint`, authenticated by the config file `configFile`. */
  function client<T extends { endpoint: string; close(): void }>(
    Kind: new (params: { authenticationDetailsProvider: ConfigFileAuthenticationDetailsProvider }, config: OciSdkTrust["clientConfiguration"]) => T,
    endpoint: string,
    configFile = files.configFile,
  ): T {
    const c = new Kind({ authenticationDetailsProvider: new ConfigFileAuthenticationDetailsProvider(configFile) }, trust.clientConfiguration);
    c.endpoint = endpoint;
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    // The SDK warns on the console for every error answer ("Request cannot be retried"); the tests expect those.
    const warn = console.warn.bind(console);
    vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
      if (!/^(Request cannot be retried|All retry attempts)/.test(String(args[0]))) warn(...args);
    });
    await emulator.start();
    files = writeOciApiKeyConfig(path.join(dir, "ok"), { tenancy: TENANCY, user: USER, region: REGION });
    expect(emulator.registerApiKey(TENANCY, USER, files.key.publicKeyPem)).toBe(files.keyId);
    trust = ociSdkTrustingCa(emulator.caCertPem);
    const pe = emulator.createEkmsPrivateEndpoint({
      compartmentId: COMPARTMENT,
      subnetId: "ocid1.subnet.oc1.eu-frankfurt-1.aaaaaaaasubnet",
      displayName: "team-ekm-pe",
      externalKeyManagerIp: "10.0.1.20",
      caBundle: emulator.caCertPem,
    });
    peId = pe.id;
    vault = await emulator.createVault(
      {
        compartmentId: COMPARTMENT,
        displayName: "team-ekm-vault",
        vaultType: "EXTERNAL",
        externalKeyManagerMetadata: {
          externalVaultEndpointUrl: "https://10.0.1.10/oci/ekm/v1/vaults/acct",
          privateEndpointId: pe.id,
          oauthMetadata: { idcsAccountNameUrl: "https://idcs-123.identity.oraclecloud.com", clientAppId: "client-app-id", clientAppSecret: "s3cret" },
        },
      },
      km,
    );
    key = await emulator.createKey(vault.managementEndpoint, {
      compartmentId: COMPARTMENT,
      displayName: "team-key",
      keyShape: { algorithm: "AES", length: 32 },
      protectionMode: "EXTERNAL",
      externalKeyReference: { externalKeyId: "team-key" },
    });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await trust?.close();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
    vi.restoreAllMocks();
  });

  describe("control plane", () => {
    it("GetVault: an ACTIVE EXTERNAL vault with its endpoints and key manager metadata, never the client secret", async () => {
      const res = await client(KmsVaultClient, emulator.url).getVault({ vaultId: vault.id });
      expect(res.vault).toMatchObject({
        id: expect.stringMatching(OCID("vault")),
        compartmentId: COMPARTMENT,
        displayName: "team-ekm-vault",
        lifecycleState: "ACTIVE",
        vaultType: "EXTERNAL",
        managementEndpoint: `${emulator.url}/${vault.id.slice(-12)}-management`,
        cryptoEndpoint: `${emulator.url}/${vault.id.slice(-12)}-crypto`,
        timeCreated: expect.stringMatching(ISO),
        externalKeyManagerMetadataSummary: {
          vendor: "Fake KMS",
          externalVaultEndpointUrl: "https://10.0.1.10/oci/ekm/v1/vaults/acct",
          privateEndpointId: peId,
          oauthMetadataSummary: { idcsAccountNameUrl: "https://idcs-123.identity.oraclecloud.com", clientAppId: "client-app-id" },
        },
      });
      expect(JSON.stringify(res.vault)).not.toContain("s3cret");
      // The SDK sends an opc-request-id of its own with every request; OCI's answer starts with it.
      expect(res.opcRequestId).toMatch(/^[0-9A-F-]+\/[0-9A-F]{32}\/[0-9A-F]{32}$/);
    });

    it("GetEkmsPrivateEndpoint: ACTIVE, with the key manager's IP, port 443 and the CA bundle", async () => {
      const res = await client(EkmClient, emulator.url).getEkmsPrivateEndpoint({ ekmsPrivateEndpointId: peId, opcRequestId: "MY-REQUEST" });
      expect(res.ekmsPrivateEndpoint).toMatchObject({
        id: expect.stringMatching(OCID("ekmsprivateendpoint")),
        lifecycleState: "ACTIVE",
        externalKeyManagerIp: "10.0.1.20",
        port: 443,
        caBundle: emulator.caCertPem,
        privateEndpointIp: "10.0.0.10",
      });
      expect(res.opcRequestId).toMatch(/^MY-REQUEST\/[0-9A-F]{32}\/[0-9A-F]{32}$/);
    });

    it("an unknown vault is 404 NotAuthorizedOrNotFound", async () => {
      const e = await sdkError(client(KmsVaultClient, emulator.url).getVault({ vaultId: `${vault.id.slice(0, -3)}zzz` }));
      expect(e).toMatchObject({ statusCode: 404, serviceCode: "NotAuthorizedOrNotFound" });
      expect(e.opcRequestId).toMatch(/[0-9A-F]{32}/);
    });
  });

  describe("key reference versions, pinned on the OCI side", () => {
    let management: KmsManagementClient;
    let crypto: KmsCryptoClient;
    let v1 = "";
    let v2 = "";
    let K2 = "";
    let before = "";
    let after = "";

    beforeAll(() => {
      management = client(KmsManagementClient, vault.managementEndpoint);
      crypto = client(KmsCryptoClient, vault.cryptoEndpoint);
    });

    it("a key reference created with K1 has one version, naming K1", async () => {
      const list = await management.listKeyVersions({ keyId: key.id });
      expect(list.items).toHaveLength(1);
      v1 = list.items[0].id;
      expect(list.items[0]).toEqual({
        compartmentId: COMPARTMENT,
        id: expect.stringMatching(OCID("keyversion")),
        keyId: key.id,
        lifecycleState: "ENABLED",
        origin: "EXTERNAL",
        timeCreated: expect.stringMatching(ISO),
        vaultId: vault.id,
        externalKeyReferenceDetails: { externalKeyId: "team-key", externalKeyVersionId: K1 },
        isAutoRotated: false,
      });
      const got = (await management.getKey({ keyId: key.id })).key;
      expect(got).toMatchObject({
        id: expect.stringMatching(OCID("key")),
        currentKeyVersion: v1,
        lifecycleState: "ENABLED",
        protectionMode: "EXTERNAL",
        keyShape: { algorithm: "AES", length: 32 },
        vaultId: vault.id,
        externalKeyReferenceDetails: { externalKeyId: "team-key", externalKeyVersionId: K1 },
      });
      expect((await management.getKeyVersion({ keyId: key.id, keyVersionId: v1 })).keyVersion).toMatchObject({ id: v1, origin: "EXTERNAL", lifecycleState: "ENABLED" });
    });

    it("Encrypt uses the current key reference version and names its external version to the key manager", async () => {
      const from = km.calls.length;
      const res = await crypto.encrypt({ encryptDataDetails: { keyId: key.id, plaintext: SAMPLE.toString("base64") } });
      expect(res.encryptedData).toMatchObject({ keyId: key.id, keyVersionId: v1, encryptionAlgorithm: "AES_256_GCM" });
      before = res.encryptedData.ciphertext;
      expect(km.versionsSeen("Encrypt", from)).toEqual([K1]);
    });

    it("a rotation in the key manager alone changes nothing in OCI: Encrypt stays on K1", async () => {
      K2 = km.rotate();
      const from = km.calls.length;
      const res = await crypto.encrypt({ encryptDataDetails: { keyId: key.id, plaintext: SAMPLE.toString("base64") } });
      expect(res.encryptedData.keyVersionId).toBe(v1);
      expect(km.versionsSeen("Encrypt", from)).toEqual([K1]);
    });

    it("CreateKeyVersion with K2 adds a second version and makes it current; the first stays ENABLED, neither is scheduled for deletion", async () => {
      const created = (await management.createKeyVersion({ keyId: key.id, createKeyMetadataDetails: { externalKeyVersionId: K2 } })).keyVersion;
      v2 = created.id;
      expect(created).toMatchObject({ keyId: key.id, lifecycleState: "ENABLED", origin: "EXTERNAL", externalKeyReferenceDetails: { externalKeyId: "team-key", externalKeyVersionId: K2 } });
      const list = (await management.listKeyVersions({ keyId: key.id, sortOrder: requests.ListKeyVersionsRequest.SortOrder.Asc })).items;
      expect(list.map((v) => [v.id, v.externalKeyReferenceDetails?.externalKeyVersionId, v.lifecycleState])).toEqual([
        [v1, K1, "ENABLED"],
        [v2, K2, "ENABLED"],
      ]);
      expect(list.every((v) => !("timeOfDeletion" in v))).toBe(true);
      const got = (await management.getKey({ keyId: key.id })).key;
      expect(got.currentKeyVersion).toBe(v2);
      expect(got.externalKeyReferenceDetails).toEqual({ externalKeyId: "team-key", externalKeyVersionId: K2 });
      expect(km.calls.at(-1)).toEqual({ op: "GetKeyVersionMetadata", keyId: "team-key", keyVersionId: K2 });
    });

    it("Encrypt after the new version names K2; both ciphertexts decrypt to the original bytes under their own versions", async () => {
      let from = km.calls.length;
      const res = await crypto.encrypt({ encryptDataDetails: { keyId: key.id, plaintext: SAMPLE.toString("base64") } });
      expect(res.encryptedData.keyVersionId).toBe(v2);
      expect(v2).not.toBe(v1);
      expect(km.versionsSeen("Encrypt", from)).toEqual([K2]);
      after = res.encryptedData.ciphertext;
      from = km.calls.length;
      const outs = [];
      for (const ciphertext of [before, after]) outs.push((await crypto.decrypt({ decryptDataDetails: { keyId: key.id, ciphertext } })).decryptedData);
      expect(outs.map((d) => [Buffer.from(d.plaintext, "base64").toString("utf8"), d.keyVersionId, d.keyId])).toEqual([
        [SAMPLE.toString("utf8"), v1, key.id],
        [SAMPLE.toString("utf8"), v2, key.id],
      ]);
      expect(outs[0].plaintextChecksum).toBe(String(crc32(SAMPLE)));
      expect(km.versionsSeen("Decrypt", from)).toEqual([K1, K2]);
    });

    it("CreateKeyVersion without externalKeyVersionId takes the key manager's current version; the same one twice is a 409", async () => {
      const K3 = km.rotate();
      const v3 = (await management.createKeyVersion({ keyId: key.id, createKeyMetadataDetails: {}, opcRetryToken: "retry-1" })).keyVersion;
      expect(v3.externalKeyReferenceDetails?.externalKeyVersionId).toBe(K3);
      expect(km.calls.slice(-2).map((c) => c.op)).toEqual(["GetKeyMetadata", "GetKeyVersionMetadata"]);
      // A retried request (same opc-retry-token) answers the version it made instead of making another.
      expect((await management.createKeyVersion({ keyId: key.id, createKeyMetadataDetails: {}, opcRetryToken: "retry-1" })).keyVersion.id).toBe(v3.id);
      const again = await sdkError(management.createKeyVersion({ keyId: key.id, createKeyMetadataDetails: { externalKeyVersionId: K3 } }));
      expect(again).toMatchObject({ statusCode: 409, serviceCode: "Conflict" });
      expect(again.message).toContain(`"${K3}" already has the key reference version ${v3.id}`);
      // The JS API the sandbox's mocks call for oci.kms.KeyVersion is the same operation.
      const K4 = km.rotate();
      const v4 = await emulator.createKeyVersion(vault.managementEndpoint, key.id, { externalKeyVersionId: K4 });
      expect(emulator.getKey(vault.managementEndpoint, key.id).currentKeyVersion).toBe(v4.id);
      expect(emulator.listKeyVersions(vault.managementEndpoint, key.id).map((v) => v.externalKeyReferenceDetails?.externalKeyVersionId)).toEqual([K1, K2, K3, K4]);
    });

    it("ListKeyVersions pages with limit and opc-next-page, newest first by default", async () => {
      const first = await management.listKeyVersions({ keyId: key.id, limit: 3 });
      expect(first.items.map((v) => v.externalKeyReferenceDetails?.externalKeyVersionId)).toHaveLength(3);
      expect(first.items[2].id).toBe(v2);
      expect(first.opcNextPage).toBe("3");
      const rest = await management.listKeyVersions({ keyId: key.id, limit: 3, page: first.opcNextPage });
      expect(rest.items.map((v) => v.id)).toEqual([v1]);
      expect(rest.opcNextPage).toBeUndefined();
    });

    it("a key manager error creates nothing and surfaces with the key manager's answer", async () => {
      const count = emulator.listKeyVersions(vault.managementEndpoint, key.id).length;
      const unknown = await sdkError(management.createKeyVersion({ keyId: key.id, createKeyMetadataDetails: { externalKeyVersionId: "no-such-kid" } }));
      expect(unknown).toMatchObject({ statusCode: 400, serviceCode: "InvalidParameter" });
      expect(unknown.message).toContain('GetKeyVersionMetadata of key "team-key" version "no-such-kid"');
      expect(unknown.message).toContain("GetKeyVersionMetadata answered HTTP 404: Invalid key details provided");
      km.rotate();
      km.failNext("GetKeyMetadata", 503, "Service Unavailable");
      const down = await sdkError(management.createKeyVersion({ keyId: key.id, createKeyMetadataDetails: {} }));
      expect(down).toMatchObject({ statusCode: 500, serviceCode: "InternalServerError" });
      expect(down.message).toContain("GetKeyMetadata answered HTTP 503: Service Unavailable");
      expect(emulator.listKeyVersions(vault.managementEndpoint, key.id)).toHaveLength(count);
      km.failNext("Encrypt", 403, "key is disabled");
      const refused = await sdkError(crypto.encrypt({ encryptDataDetails: { keyId: key.id, plaintext: SAMPLE.toString("base64") } }));
      expect(refused).toMatchObject({ statusCode: 400, serviceCode: "InvalidParameter" });
      expect(refused.message).toMatch(/^The external key manager refused Encrypt with key "team-key" version "[^"]+": Encrypt answered HTTP 403: key is disabled$/);
    });

    it("a key manager that does not answer within OCI's budget is OCI's timeout response, HTTP 504, naming each attempt", async () => {
      km.timeOutNext("Encrypt");
      const late = await sdkError(crypto.encrypt({ encryptDataDetails: { keyId: key.id, plaintext: SAMPLE.toString("base64") } }));
      expect(late).toMatchObject({ statusCode: 504, serviceCode: "GatewayTimeout" });
      expect(late.message).toMatch(
        /^The external key manager did not answer Encrypt with key "team-key" version "[^"]+": no answer within OCI's budget \(500 ms to connect, 1000 ms to answer, 2 attempts\): attempt 1 no answer within 1000 ms, attempt 2 no answer within 1000 ms$/,
      );
    });

    it("associated data must be given again, in any order, to decrypt", async () => {
      const sealed = (await crypto.encrypt({ encryptDataDetails: { keyId: key.id, plaintext: SAMPLE.toString("base64"), associatedData: { tenant: "t1", app: "a1" } } }))
        .encryptedData.ciphertext;
      const opened = await crypto.decrypt({ decryptDataDetails: { keyId: key.id, ciphertext: sealed, associatedData: { app: "a1", tenant: "t1" } } });
      expect(Buffer.from(opened.decryptedData.plaintext, "base64")).toEqual(SAMPLE);
      const wrong = await sdkError(crypto.decrypt({ decryptDataDetails: { keyId: key.id, ciphertext: sealed, associatedData: { app: "a2", tenant: "t1" } } }));
      expect(wrong).toMatchObject({ statusCode: 400, serviceCode: "InvalidParameter" });
      expect(wrong.message).toContain("AEAD tag check failed");
    });

    it("an unknown key is 404 on both endpoints; a ciphertext of no version of the key is 400", async () => {
      const bogus = key.id.replace(/.{4}$/, "zzzz");
      expect(await sdkError(management.getKey({ keyId: bogus }))).toMatchObject({ statusCode: 404, serviceCode: "NotAuthorizedOrNotFound" });
      expect(await sdkError(crypto.encrypt({ encryptDataDetails: { keyId: bogus, plaintext: "AAAA" } }))).toMatchObject({ statusCode: 404, serviceCode: "NotAuthorizedOrNotFound" });
      expect(await sdkError(crypto.decrypt({ decryptDataDetails: { keyId: key.id, ciphertext: "bm90IG9uZSBvZiBvdXJz" } }))).toMatchObject({ statusCode: 400, serviceCode: "InvalidParameter" });
      expect(await sdkError(crypto.encrypt({ encryptDataDetails: { keyId: key.id, plaintext: "not base64!" } }))).toMatchObject({ statusCode: 400, serviceCode: "InvalidParameter" });
    });
  });

  describe("request signatures", () => {
    const NOT_AUTHENTICATED = { statusCode: 401, serviceCode: "NotAuthenticated", message: OCI_NOT_AUTHENTICATED_MESSAGE };

    it("a request signed with another private key under the registered keyId is 401 NotAuthenticated", async () => {
      const other = writeOciApiKeyConfig(path.join(dir, "wrong"), { tenancy: TENANCY, user: USER, region: REGION }, { ...generateOciApiKey(), fingerprint: files.key.fingerprint });
      expect(other.keyId).toBe(files.keyId);
      const e = await sdkError(client(KmsManagementClient, vault.managementEndpoint, other.configFile).getKey({ keyId: key.id }));
      expect(e).toMatchObject(NOT_AUTHENTICATED);
      expect(emulator.requests.at(-1)).toMatchObject({ status: 401, code: "NotAuthenticated", refused: `the signature does not verify with the API key ${files.keyId}` });
    });

    it("a key that was never registered is 401, on a POST too", async () => {
      const stranger = writeOciApiKeyConfig(path.join(dir, "stranger"), { tenancy: TENANCY, user: USER, region: REGION });
      const e = await sdkError(client(KmsCryptoClient, vault.cryptoEndpoint, stranger.configFile).encrypt({ encryptDataDetails: { keyId: key.id, plaintext: "AAAA" } }));
      expect(e).toMatchObject(NOT_AUTHENTICATED);
      expect(emulator.requests.at(-1)?.refused).toBe(`no API key is registered for keyId ${stranger.keyId}`);
    });

    it("a date more than 5 minutes from the server's clock is 401", async () => {
      clockOffsetMs = 6 * 60_000;
      try {
        expect(await sdkError(client(KmsVaultClient, emulator.url).getVault({ vaultId: vault.id }))).toMatchObject(NOT_AUTHENTICATED);
        expect(emulator.requests.at(-1)?.refused).toMatch(/^x-date .* is more than 5 minutes from the server's clock/);
      } finally {
        clockOffsetMs = 0;
      }
    });

    it("a body changed after the SDK's signer signed it is 401; the same request untouched is answered", async () => {
      const uri = `${vault.cryptoEndpoint}/20180608/encrypt`;
      const body = JSON.stringify({ keyId: key.id, plaintext: "AAAA" });
      const signer = new DefaultRequestSigner(new ConfigFileAuthenticationDetailsProvider(files.configFile));
      const send = async (sent: string): Promise<{ status: number; json: unknown }> => {
        const headers = new Headers({ "content-type": "application/json" });
        await signer.signHttpRequest({ method: "POST", uri, headers, body });
        const dispatcher = (trust.clientConfiguration.httpOptions as { dispatcher: NonNullable<RequestInit["dispatcher"]> }).dispatcher;
        const res = await fetch(uri, { method: "POST", headers, body: sent, dispatcher });
        return { status: res.status, json: await res.json() };
      };
      expect((await send(body)).status).toBe(200);
      expect(await send(body.replace("AAAA", "AAAB"))).toEqual({ status: 401, json: { code: "NotAuthenticated", message: OCI_NOT_AUTHENTICATED_MESSAGE } });
      expect(emulator.requests.at(-1)?.refused).toBe("x-content-sha256 is not the SHA-256 of the body");
    });

    it("an unsigned request is 401 with an opc-request-id", async () => {
      const dispatcher = (trust.clientConfiguration.httpOptions as { dispatcher: NonNullable<RequestInit["dispatcher"]> }).dispatcher;
      const res = await fetch(`${emulator.url}/20180608/vaults/${vault.id}`, { dispatcher });
      expect(res.status).toBe(401);
      expect(res.headers.get("opc-request-id")).toMatch(/^[0-9A-F]{32}\/[0-9A-F]{32}$/);
      expect(await res.json()).toEqual({ code: "NotAuthenticated", message: OCI_NOT_AUTHENTICATED_MESSAGE });
    });
  });
});

describe("verifyOciRequestSignature on its own", () => {
  const apiKey = generateOciApiKey();
  const keys = new OciApiKeyRegistry();
  const keyId = keys.register("t", "u", apiKey.publicKeyPem);
  const now = Date.parse("2025-01-02T03:04:05Z");
  const date = new Date(now).toUTCString();

  function signed(names: string, headers: Record<string, string>, method = "GET", target = "/20180608/keys/k"): Parameters<typeof verifyOciRequestSignature>[0] {
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const text = names
      .split(" ")
      .map((n) => n.toLowerCase())
      .map((n) => (n === "(request-target)" ? `(request-target): ${method.toLowerCase()} ${target}` : `${n}: ${lower[n]}`))
      .join("\n");
    const signature = createSign("RSA-SHA256").update(text).sign(apiKey.privateKeyPem, "base64");
    const authorization = `Signature version="1",keyId="${keyId}",algorithm="rsa-sha256",headers="${names}",signature="${signature}"`;
    return { method, target, headers: { ...lower, authorization }, body: Buffer.alloc(0) };
  }

  it("accepts `date` instead of `x-date`, and header names in any case", () => {
    expect(verifyOciRequestSignature(signed("Date (request-target) HOST", { date, host: "h" }), { keys, now })).toBe(keyId);
  });

  it("refuses a signature that leaves out (request-target), host or the date", () => {
    expect(() => verifyOciRequestSignature(signed("date host", { date, host: "h" }), { keys, now })).toThrow("does not cover (request-target)");
    expect(() => verifyOciRequestSignature(signed("(request-target) host", { host: "h" }), { keys, now })).toThrow("does not cover date or x-date");
  });

  it("refuses a request signed for another host when the server names its own", () => {
    const req = signed("date (request-target) host", { date, host: "kms.example.com" });
    expect(verifyOciRequestSignature(req, { keys, now, hosts: ["kms.example.com"] })).toBe(keyId);
    expect(() => verifyOciRequestSignature(req, { keys, now, hosts: ["127.0.0.1:443"] })).toThrow("signed for host kms.example.com, not this server");
  });

  it("refuses a POST whose signature leaves out the body headers", () => {
    expect(() => verifyOciRequestSignature(signed("x-date (request-target) host", { "x-date": date, host: "h" }, "POST"), { keys, now })).toThrow(
      "does not cover content-type, content-length, x-content-sha256",
    );
  });
});

describe("OCI config files and API keys", () => {
  it("writes the [DEFAULT] profile the SDK reads, and refuses values it could not read back", () => {
    const text = ociConfigFileText({ user: USER, fingerprint: "aa:bb", tenancy: TENANCY, region: REGION, keyFile: "/keys/oci_api_key.pem" });
    expect(text).toBe(`[DEFAULT]\nuser=${USER}\nfingerprint=aa:bb\ntenancy=${TENANCY}\nregion=${REGION}\nkey_file=/keys/oci_api_key.pem\n`);
    expect(() => ociConfigFileText({ user: USER, fingerprint: "aa:bb", tenancy: TENANCY, region: "eu-frankfurt-1\nuser=x", keyFile: "/k" })).toThrow("OCI config region");
  });

  it("computes OCI's fingerprint (openssl rsa -pubout -outform DER | openssl md5 -c)", () => {
    const pem = [
      "-----BEGIN PUBLIC KEY-----",
      "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqGR23RzWCLWI5NCyAOZr",
      "a80mgt1WnPDZqJfNZtknuP97QJFFntTDVmwnmIACI8OuCpkSY6b2us3FBnzByCj+",
      "qty9iDBaP0rzqVsym0MkiM+XArXec3rZj4wJOq2uSShoNdaAeisXvddLHsV39ZZt",
      "nMo/RIWnYMlSyyAuU55NhSCP048s+vEz9PG1dD5UllEuNn5SKN3SA6yZq+L9YvSo",
      "qLQ9iutmb06XtzKS2Ec6d3w7JStH812SKN6wVbQfikh58/Mm1y8mOEWa8V451BsA",
      "tV+Eduif4Y0j5TPmQI7InHcvFLZPXvJi7R3dp2UFr5UMSJaaYINnNB1o8mYymjKR",
      "vQIDAQAB",
      "-----END PUBLIC KEY-----",
    ].join("\n");
    expect(ociApiKeyFingerprint(pem)).toBe("46:48:be:e8:7d:71:88:d2:0f:40:d1:77:f6:03:3e:fa");
  });

  it("the SDK's provider reads back the key, and signs with the keyId the emulator registers", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "oci-config-"));
    try {
      const written = writeOciApiKeyConfig(dir, { tenancy: TENANCY, user: USER, region: REGION });
      const provider = new ConfigFileAuthenticationDetailsProvider(written.configFile);
      expect(await provider.getKeyId()).toBe(written.keyId);
      expect(provider.getPrivateKey().trim()).toBe(readFileSync(written.keyFile, "utf8").trim());
      expect(provider.getRegion().regionId).toBe(REGION);
      expect(new OciApiKeyRegistry().register(TENANCY, USER, written.key.publicKeyPem)).toBe(written.keyId);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
