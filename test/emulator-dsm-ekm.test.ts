// The OCI External Key Manager endpoints of the DSM emulator, held to Oracle's protocol as
// /tmp/research/ekm-protocol.md reconstructs it: the operations, their fields, and the statuses and
// messages of Oracle's error table (`{"code": "<status>", "message"}`); and DSM's token checks.
import { createDecipheriv } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";
import { DSM_EMULATOR_UNCONFIRMED, DsmEmulator } from "../components/emulators/dsm";
import { EmulatorHttpServer, emulatorHttpGet, sendEmulatorJson, sendEmulatorText } from "../components/emulators/http";
import { createTestCertificateAuthority, issueServerCertificate } from "../components/emulators/tls";
import { probeEkmKeyMetadata } from "../components/verify/ekm-probe";
import { call } from "./emulator-dsm-helpers";

const ISSUER = "https://identity.oraclecloud.com/";
const DSM_URL = "https://amer.smartkey.io";
const GATEWAY_AUDIENCE = "https://10.0.1.10/";
const CLIENT_ID = "4f0e2c1b9a8d4e7f8a6b5c4d3e2f1a0b";
const EXPIRED_AT = Math.floor(Date.now() / 1000) - 3600;

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

/** A tiny Identity-Domain-like JWKS endpoint built on the shared emulator helpers. */
class JwksServer {
  keys: JWK[] = [];
  unauthorized = false;
  fetches = 0;
  readonly server: EmulatorHttpServer;
  constructor(tls?: { cert: string; key: string }) {
    this.server = new EmulatorHttpServer((req, res) => {
      this.fetches += 1;
      if (this.unauthorized) sendEmulatorText(res, 401, "Unauthorized");
      else sendEmulatorJson(res, 200, { keys: this.keys });
    }, { tls });
  }
  get url(): string {
    return `${this.server.url}/admin/v1/SigningCert/jwk`;
  }
}

let signingKey: PrivateKey;
let rogueKey: PrivateKey;
let jwks: JwksServer;
let dsm: DsmEmulator;
let vault: string;
let groupId: string;

interface TokenOverrides {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  key?: PrivateKey;
  expiresIn?: string | number;
}

async function token(o: TokenOverrides = {}): Promise<string> {
  const jwt = new SignJWT({ scope: "oci_ekms", client_id: CLIENT_ID, ...(o.claims ?? {}) })
    .setProtectedHeader({ alg: "RS256", kid: "sig-1", ...(o.header ?? {}) } as { alg: string })
    .setIssuer((o.claims?.iss as string | undefined) ?? ISSUER)
    .setAudience((o.claims?.aud as string[] | undefined) ?? [GATEWAY_AUDIENCE, DSM_URL])
    .setSubject(CLIENT_ID)
    .setIssuedAt()
    .setExpirationTime(o.expiresIn ?? "10m");
  return jwt.sign(o.key ?? signingKey);
}

function unsignedToken(claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;
}

async function ekm(method: string, path: string, bearer: string | undefined, body?: unknown) {
  return call(dsm.url, method, `/oci/ekm/v1/vaults/${dsm.accountId}${path}`, {
    auth: bearer === undefined ? undefined : `Bearer ${bearer}`,
    body,
    headers: { "opc-request-id": "req-123" },
  });
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

beforeAll(async () => {
  const signing = await generateKeyPair("RS256");
  signingKey = signing.privateKey;
  const unrelated = (await generateKeyPair("RS256")).publicKey; // a second key in the JWKS, as a real domain may publish
  ({ privateKey: rogueKey } = await generateKeyPair("RS256"));
  jwks = new JwksServer();
  await jwks.server.start();
  jwks.keys = [
    { ...(await exportJWK(signing.publicKey)), kid: "sig-1", use: "sig", alg: "RS256" },
    { ...(await exportJWK(unrelated)), kid: "sig-2", use: "sig" },
  ];
  dsm = new DsmEmulator({ publicUrl: DSM_URL });
  await dsm.start();
  vault = dsm.ekmVaultUrl;
  groupId = dsm.seedGroup({ name: "oci-ekm" }).group_id;
  dsm.seedApp({
    name: CLIENT_ID,
    default_group: groupId,
    add_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
    credential: { signedjwt: { valid_issuers: [ISSUER], signing_keys: { kind: "fetched", url: jwks.url, cache_duration: 3600 } } },
  });
  dsm.seedSobject({ name: "oci-ekm-key", group_id: groupId, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"] });
});

afterAll(async () => {
  await dsm.stop();
  await jwks.server.stop();
});

beforeEach(() => {
  dsm.clearRequests();
  jwks.unauthorized = false;
});

const version = (kid: string) => `/keys/oci-ekm-key/keyVersions/${kid}/metadata`;

describe("DsmEmulator EKM metadata (GetVaultMetadata, GetKeyMetadata, GetKeyVersionMetadata)", () => {
  it("serves vault, key and key-version metadata with the fields of Oracle's protocol", async () => {
    const t = await token();
    const meta = await ekm("GET", "/metadata", t);
    expect({ status: meta.status, json: meta.json }).toEqual({ status: 200, json: { state: "ACTIVE", vendor: "Fortanix" } });
    expect(meta.headers.get("opc-request-id")).toBe("req-123");
    const kid = dsm.sobject("oci-ekm-key")!.kid;
    const key = await ekm("GET", "/keys/oci-ekm-key/metadata", t);
    expect({ status: key.status, json: key.json }).toEqual({
      status: 200,
      json: { keyId: "oci-ekm-key", currentKeyVersionId: kid, keyShape: { algorithm: "AES", length: 256 }, state: "ACTIVE", keyOps: ["ENCRYPT", "DECRYPT"] },
    });
    const v = await ekm("GET", version(kid), t);
    expect({ status: v.status, json: v.json }).toEqual({ status: 200, json: { keyId: "oci-ekm-key", keyVersionId: kid, state: "ACTIVE", keyVersionOps: ["ENCRYPT", "DECRYPT"] } });
  });

  it("answers Oracle's 404s for a wrong vault, key or key version", async () => {
    const t = await token();
    const missing = await ekm("GET", "/keys/no-such-key/metadata", t);
    expect({ status: missing.status, json: missing.json }).toEqual({ status: 404, json: { code: "404", message: "Invalid key details provided" } });
    const otherVault = await call(dsm.url, "GET", "/oci/ekm/v1/vaults/11111111-2222-4333-8444-555555555555/metadata", { auth: `Bearer ${t}` });
    expect({ status: otherVault.status, json: otherVault.json }).toEqual({ status: 404, json: { code: "404", message: "Error in getting OCI vault" } });
    const foreign = dsm.seedSobject({ name: "another-key", group_id: groupId, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT"] }).kid;
    const notAVersion = await ekm("GET", version(foreign), t);
    expect({ status: notAVersion.status, json: notAVersion.json }).toEqual({ status: 404, json: { code: "404", message: "Invalid Key details" } });
    const route = await ekm("GET", "/keys/oci-ekm-key/wrap", t);
    expect({ status: route.status, json: route.json }).toEqual({
      status: 404,
      json: { code: "404", message: `no such endpoint: GET /oci/ekm/v1/vaults/${dsm.accountId}/keys/oci-ekm-key/wrap` },
    });
    const method = await ekm("POST", "/metadata", t, {});
    expect({ status: method.status, json: method.json }).toEqual({ status: 405, json: { code: "405", message: `method POST not allowed on /oci/ekm/v1/vaults/${dsm.accountId}/metadata` } });
  });

  it("a BLOCKED vault says so in its metadata and refuses every key call with 403", async () => {
    const t = await token();
    dsm.setEkmVaultState("BLOCKED");
    try {
      expect((await ekm("GET", "/metadata", t)).json).toEqual({ state: "BLOCKED", vendor: "Fortanix" });
      for (const [method, path, body] of [
        ["GET", "/keys/oci-ekm-key/metadata", undefined],
        ["POST", "/keys/oci-ekm-key/encrypt", { plaintext: b64("x") }],
        ["POST", "/generateRandomBytes", { length: 16 }],
      ] as const) {
        const res = await ekm(method, path, t, body);
        expect({ status: res.status, json: res.json }, path).toEqual({ status: 403, json: { code: "403", message: DSM_EMULATOR_UNCONFIRMED.ekmBlockedVaultMessage } });
      }
    } finally {
      dsm.setEkmVaultState("ACTIVE");
    }
    expect(dsm.ekmVaultState).toBe("ACTIVE");
  });

  it("a disabled key is a 403 (Oracle), an enabled key that is not Active is BLOCKED", async () => {
    dsm.seedSobject({ name: "k-states", group_id: groupId, obj_type: "AES", key_size: 128, key_ops: ["ENCRYPT"] });
    const kid = dsm.sobject("k-states")!.kid;
    const t = await token();
    const meta = () => ekm("GET", "/keys/k-states/metadata", t);
    const versionMeta = () => ekm("GET", `/keys/k-states/keyVersions/${kid}/metadata`, t);
    expect((await meta()).json).toMatchObject({ keyShape: { algorithm: "AES", length: 128 }, state: "ACTIVE", keyOps: ["ENCRYPT"] });
    dsm.modifySobject("k-states", { state: "Deactivated" });
    expect((await meta()).json).toMatchObject({ state: "BLOCKED" });
    expect((await versionMeta()).json).toEqual({ keyId: "k-states", keyVersionId: kid, state: "BLOCKED", keyVersionOps: ["ENCRYPT"] });
    dsm.modifySobject("k-states", { state: "Active", enabled: false });
    for (const res of [await meta(), await versionMeta()]) {
      expect({ status: res.status, json: res.json }).toEqual({ status: 403, json: { code: "403", message: "Key is in disabled state." } });
    }
  });
});

describe("DsmEmulator EKM cryptography (Encrypt, Decrypt, GenerateRandomBytes)", () => {
  it("encrypts with AES-256-GCM under the key's material; the reply blob decrypts as it is", async () => {
    const t = await token();
    const aad = b64("context");
    const enc = await ekm("POST", "/keys/oci-ekm-key/encrypt", t, { plaintext: b64("master key bytes"), aad });
    expect(enc.status).toBe(200);
    const e = enc.json as Record<string, string>;
    expect(e).toEqual({
      ciphertext: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
      iv: expect.stringMatching(/^[A-Za-z0-9+/]{16}$/),
      tag: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/),
      aad,
      mode: "GCM",
      keyVersionId: dsm.sobject("oci-ekm-key")!.kid,
    });
    const d = createDecipheriv("aes-256-gcm", dsm.keyMaterial("oci-ekm-key")!, Buffer.from(e.iv, "base64"));
    d.setAAD(Buffer.from("context"));
    d.setAuthTag(Buffer.from(e.tag, "base64"));
    expect(Buffer.concat([d.update(Buffer.from(e.ciphertext, "base64")), d.final()]).toString()).toBe("master key bytes");

    const dec = await ekm("POST", "/keys/oci-ekm-key/decrypt", t, e);
    expect({ status: dec.status, json: dec.json }).toEqual({ status: 200, json: { plaintext: b64("master key bytes") } });
    const noAad = (await ekm("POST", "/keys/oci-ekm-key/encrypt", t, { plaintext: b64("x"), mode: "AES_GCM" })).json as Record<string, string>;
    expect(Object.keys(noAad).sort()).toEqual(["ciphertext", "iv", "keyVersionId", "mode", "tag"]);
  });

  it("answers Oracle's 400s for bad input and failed decryption", async () => {
    const t = await token();
    const e = (await ekm("POST", "/keys/oci-ekm-key/encrypt", t, { plaintext: b64("secret"), aad: b64("ctx") })).json as Record<string, string>;
    const decrypt = (body: Record<string, unknown>) => ekm("POST", "/keys/oci-ekm-key/decrypt", t, body);
    const aead = { code: "400", message: "Error in decryption: [NCERRCryptoOperationFailed: Cryptographic operation failed in cipher operation]: AEAD decrypt final failed" };
    const cases: [string, Record<string, unknown>, unknown][] = [
      ["without the aad", { ...e, aad: undefined }, aead],
      ["another tag", { ...e, tag: Buffer.alloc(16).toString("base64") }, aead],
      ["a short tag", { ...e, tag: b64("short") }, aead],
      ["another iv", { ...e, iv: Buffer.alloc(12).toString("base64") }, aead],
      ["tampered base64", { ...e, ciphertext: "QUJD!" }, { code: "400", message: "Bad Request: illegal base64 data at input byte 4" }],
      ["unfinished base64 aad", { ...e, aad: "QUJDREVGx" }, { code: "400", message: "Bad Request: illegal base64 data at input byte 8" }],
      ["no keyVersionId", { ...e, keyVersionId: undefined }, { code: "400", message: "Bad Request: keyVersionId is required" }],
      ["CBC", { ...e, mode: "CBC" }, { code: "400", message: 'Bad Request: mode "CBC" is not supported (GCM or AES_GCM)' }],
    ];
    for (const [what, body, json] of cases) {
      const res = await decrypt(body);
      expect({ status: res.status, json: res.json }, what).toEqual({ status: 400, json });
    }
    const noPlain = await ekm("POST", "/keys/oci-ekm-key/encrypt", t, {});
    expect(noPlain.json).toEqual({ code: "400", message: "Bad Request: plaintext is required" });
    const badIv = await ekm("POST", "/keys/oci-ekm-key/encrypt", t, { plaintext: b64("x"), iv: b64("16 bytes of iv!!") });
    expect(badIv.json).toEqual({ code: "400", message: "Bad Request: iv must be 12 bytes for GCM, got 16" });
    const otherKey = await ekm("POST", "/keys/another-key/decrypt", t, e);
    expect(otherKey.json).toEqual({ code: "404", message: "Invalid Key details" });
  });

  it("still decrypts data encrypted before a rotation, with the old keyVersionId", async () => {
    dsm.seedSobject({ name: "rotating-key", group_id: groupId, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"] });
    const t = await token();
    const before = (await ekm("POST", "/keys/rotating-key/encrypt", t, { plaintext: b64("old data") })).json as Record<string, string>;
    const oldKid = before.keyVersionId;
    const rotated = dsm.rekeySobject("rotating-key");
    expect(rotated.kid).not.toBe(oldKid);
    expect(((await ekm("GET", "/keys/rotating-key/metadata", t)).json as Record<string, string>).currentKeyVersionId).toBe(rotated.kid);
    const after = (await ekm("POST", "/keys/rotating-key/encrypt", t, { plaintext: b64("new data") })).json as Record<string, string>;
    expect(after.keyVersionId).toBe(rotated.kid);
    const pinned = (await ekm("POST", "/keys/rotating-key/encrypt", t, { plaintext: b64("pinned"), keyVersionId: oldKid })).json as Record<string, string>;
    expect(pinned.keyVersionId).toBe(oldKid);
    for (const [blob, plain] of [[before, "old data"], [after, "new data"], [pinned, "pinned"]] as const) {
      expect((await ekm("POST", "/keys/rotating-key/decrypt", t, blob)).json).toEqual({ plaintext: b64(plain) });
    }
    const oldMeta = await ekm("GET", `/keys/rotating-key/keyVersions/${oldKid}/metadata`, t);
    expect(oldMeta.json).toEqual({ keyId: "rotating-key", keyVersionId: oldKid, state: "ACTIVE", keyVersionOps: ["ENCRYPT", "DECRYPT"] });
  });

  it("refuses a disabled, deactivated, deleted or DECRYPT-less key", async () => {
    dsm.seedSobject({ name: "k-usable", group_id: groupId, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT"] });
    const kid = dsm.sobject("k-usable")!.kid;
    const t = await token();
    const e = (await ekm("POST", "/keys/k-usable/encrypt", t, { plaintext: b64("x") })).json as Record<string, string>;
    const decrypt = () => ekm("POST", "/keys/k-usable/decrypt", t, e);
    const notActive = { status: 403, json: { code: "403", message: "OCI key is not in Active state to perform the operation." } };
    dsm.modifySobject("k-usable", { enabled: false });
    expect(await decrypt().then((r) => ({ status: r.status, json: r.json }))).toEqual(notActive);
    dsm.modifySobject("k-usable", { enabled: true, state: "Deactivated" });
    expect(await decrypt().then((r) => ({ status: r.status, json: r.json }))).toEqual(notActive);
    dsm.modifySobject("k-usable", { state: "Active", key_ops: ["ENCRYPT"] });
    expect((await decrypt()).json).toEqual({ code: "403", message: `key "k-usable" (version ${kid}) does not permit DECRYPT (key_ops ["ENCRYPT"])` });
    dsm.modifySobject("k-usable", { key_ops: ["ENCRYPT", "DECRYPT"] });
    expect((await decrypt()).status).toBe(200);
    dsm.deleteSobject("k-usable");
    expect((await decrypt()).json).toEqual({ code: "404", message: "Invalid key details provided" });
  });

  it("generates random bytes at the vault and under a key (201, {randomBytes, length})", async () => {
    const t = await token();
    for (const path of ["/generateRandomBytes", "/keys/oci-ekm-key/generateRandomBytes"]) {
      const res = await ekm("POST", path, t, { length: 32 });
      expect(res.status, path).toBe(DSM_EMULATOR_UNCONFIRMED.ekmRandomBytesStatus);
      expect(res.json).toEqual({ randomBytes: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/), length: 32 });
    }
    for (const length of [0, 65536, "8"]) {
      const res = await ekm("POST", "/generateRandomBytes", t, { length });
      expect({ status: res.status, json: res.json }).toEqual({ status: 400, json: { code: "400", message: `Bad Request: length must be an integer from 1 to 65535, got ${JSON.stringify(length)}` } });
    }
    dsm.seedSobject({ name: "k-off", group_id: groupId, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT"], enabled: false });
    const off = await ekm("POST", "/keys/k-off/generateRandomBytes", t, { length: 8 });
    expect({ status: off.status, json: off.json }).toEqual({ status: 403, json: { code: "403", message: "Key is in disabled state." } });
  });
});

describe("verify's EKM probe reads these answers", () => {
  const probe = async (keyName: string) => probeEkmKeyMetadata({ vaultUrl: vault, keyName, token: await token() });
  const expected = (keyName: string) => `GET ${vault}/keys/${keyName}/metadata answers 200 with the key's metadata`;

  it("passes an ACTIVE AES-256 key with ENCRYPT and DECRYPT", async () => {
    expect(await probe("oci-ekm-key")).toEqual({
      name: "ekm-key-metadata",
      status: "passed",
      ok: true,
      subject: "oci-ekm-key",
      expected: expected("oci-ekm-key"),
      found: "200 keyId oci-ekm-key, state ACTIVE, AES 256",
    });
  });

  it("fails a BLOCKED key, a key without DECRYPT, a disabled and a missing key, with what DSM answered", async () => {
    dsm.seedSobject({ name: "k-probe", group_id: groupId, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT"] });
    const unusable = 'DSM serves the key but OCI cannot use it: the security object "k-probe" must be enabled, Active and AES-256, with key_ops ENCRYPT and DECRYPT (see the dsm-key checks)';
    dsm.modifySobject("k-probe", { state: "Deactivated" });
    expect(await probe("k-probe")).toMatchObject({ status: "failed", found: "200 keyId k-probe, state BLOCKED, AES 256", fix: unusable });
    dsm.modifySobject("k-probe", { state: "Active", key_ops: ["ENCRYPT"] });
    expect(await probe("k-probe")).toMatchObject({ status: "failed", found: "200 keyId k-probe, state ACTIVE, AES 256, keyOps [ENCRYPT]", fix: unusable });
    dsm.modifySobject("k-probe", { key_ops: ["ENCRYPT", "DECRYPT"], enabled: false });
    expect(await probe("k-probe")).toMatchObject({ status: "failed", found: "403 Key is in disabled state." });
    expect(await probe("no-such-key")).toMatchObject({
      status: "failed",
      found: "404 Invalid key details provided",
      fix: 'no key named "no-such-key" under this vault URL: check the DSM account ID in the vault URL and the key\'s name in DSM',
    });
  });
});

describe("DsmEmulator EKM log and JWKS cache", () => {
  it("records EKM requests with the scheme, the request id and the answer, never the token", async () => {
    const t = await token();
    const res = await ekm("GET", "/keys/oci-ekm-key/metadata", t);
    expect(dsm.requests).toEqual([
      {
        method: "GET",
        path: `/oci/ekm/v1/vaults/${dsm.accountId}/keys/oci-ekm-key/metadata`,
        query: {},
        body: undefined,
        auth: "Bearer",
        api: "ekm",
        status: 200,
        response: res.json,
        opcRequestId: "req-123",
      },
    ]);
    expect(JSON.stringify(dsm.requests)).not.toContain(t.split(".")[2]);
  });

  it("caches the fetched JWKS and fetches again for an unknown kid", async () => {
    dsm.clearJwksCache();
    const start = jwks.fetches;
    await ekm("GET", "/keys/oci-ekm-key/metadata", await token());
    await ekm("GET", "/keys/oci-ekm-key/metadata", await token());
    expect(jwks.fetches).toBe(start + 1);
    await ekm("GET", "/keys/oci-ekm-key/metadata", await token({ header: { kid: "not-there" } }));
    expect(jwks.fetches).toBe(start + 2);
  });
});

describe("DsmEmulator EKM token checks", () => {
  const base = "/keys/oci-ekm-key/metadata";

  it.each<[string, () => Promise<string | undefined>, number, string]>([
    ["no token", async () => undefined, 401, "missing bearer token: send Authorization: Bearer <Identity Domain access token>"],
    ["not a JWT", async () => "garbage", 401, "the bearer token is not a JWT"],
    ["alg none", async () => unsignedToken({ iss: ISSUER, aud: [DSM_URL], scope: "oci_ekms", client_id: CLIENT_ID, exp: 9999999999 }), 401, 'token alg "none" is not accepted: DSM requires RS256-signed tokens'],
    ["bad signature", async () => token({ key: rogueKey }), 401, `token signature verification failed: not signed by the key "sig-1" of DSM app "${CLIENT_ID}"'s signing keys`],
    ["unknown kid", async () => token({ header: { kid: "rotated-away" } }), 401, 'no signing key with kid "rotated-away" in the JWKS at JWKS_URL'],
    ["wrong issuer", async () => token({ claims: { iss: "https://idcs-abc.identity.oraclecloud.com/" } }), 401, `token issuer "https://idcs-abc.identity.oraclecloud.com/" is not among DSM app "${CLIENT_ID}"'s valid issuers ["${ISSUER}"]`],
    ["audience without the DSM URL", async () => token({ claims: { aud: [GATEWAY_AUDIENCE] } }), 401, `token audience ["${GATEWAY_AUDIENCE}"] does not contain the DSM URL ${DSM_URL} (make it the resource app's secondary audience)`],
    ["no oci_ekms scope", async () => token({ claims: { scope: "urn:opc:idm:__myscopes__" } }), 401, 'token scope "urn:opc:idm:__myscopes__" does not contain oci_ekms'],
    ["expired", async () => token({ expiresIn: EXPIRED_AT }), 401, `token expired at ${new Date(EXPIRED_AT * 1000).toISOString()}`],
    ["unknown app", async () => token({ claims: { client_id: "someone-else" } }), 401, `no DSM app is named after the token's client_id "someone-else": name the JWT app after the OCI client app's client ID`],
  ])("refuses %s", async (_name, makeToken, status, message) => {
    const res = await ekm("GET", base, await makeToken());
    expect(res.status).toBe(status);
    expect(res.json).toEqual({ code: "401", message: message.replace("JWKS_URL", jwks.url) });
  });

  it("accepts an audience of the DSM URL with a trailing slash, and the app found by sub", async () => {
    dsm.seedApp({
      name: "sub-named-app",
      add_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
      credential: { signedjwt: { valid_issuers: [ISSUER], signing_keys: { kind: "fetched", url: jwks.url, cache_duration: 3600 } } },
    });
    const t = await new SignJWT({ scope: "other oci_ekms" })
      .setProtectedHeader({ alg: "RS256", kid: "sig-1" })
      .setIssuer(ISSUER)
      .setAudience(`${DSM_URL}/`)
      .setSubject("sub-named-app")
      .setExpirationTime("5m")
      .sign(signingKey);
    expect((await ekm("GET", base, t)).status).toBe(200);
  });

  it("fails every call while the JWKS URL answers 401", async () => {
    dsm.clearJwksCache();
    jwks.unauthorized = true;
    const res = await ekm("GET", base, await token());
    expect(res.status).toBe(401);
    expect(res.json).toEqual({
      code: "401",
      message: `cannot fetch DSM app "${CLIENT_ID}"'s signing keys from ${jwks.url}: HTTP 401 (is the identity domain's signing certificate publicly accessible?)`,
    });
    jwks.unauthorized = false;
    expect((await ekm("GET", base, await token())).status).toBe(200);
  });

  it("refuses a disabled app", async () => {
    dsm.modifyApp(CLIENT_ID, { enabled: false });
    try {
      const res = await ekm("GET", base, await token());
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ code: "401", message: `DSM app "${CLIENT_ID}" is disabled` });
    } finally {
      dsm.modifyApp(CLIENT_ID, { enabled: true });
    }
  });

  it("needs DECRYPT permission on the key's group to decrypt", async () => {
    const t = await token();
    const e = (await ekm("POST", "/keys/oci-ekm-key/encrypt", t, { plaintext: b64("x") })).json as Record<string, string>;
    dsm.modifyApp(CLIENT_ID, { groups: { [groupId]: ["ENCRYPT"] } });
    try {
      const res = await ekm("POST", "/keys/oci-ekm-key/decrypt", t, e);
      expect(res.status).toBe(403);
      expect(res.json).toEqual({ code: "403", message: `DSM app "${CLIENT_ID}" lacks DECRYPT permission on group ${groupId} of key "oci-ekm-key"` });
      dsm.modifyApp(CLIENT_ID, { groups: {} });
      const meta = await ekm("GET", base, t);
      expect(meta.status).toBe(403);
      expect(meta.json).toEqual({ code: "403", message: `DSM app "${CLIENT_ID}" is not in group ${groupId} of key "oci-ekm-key"` });
    } finally {
      dsm.modifyApp(CLIENT_ID, { groups: { [groupId]: ["ENCRYPT", "DECRYPT"] } });
    }
  });

  it("verifies tokens against stored signing keys (base64 DER)", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const der = (await exportSPKI(publicKey)).replace(/-----[A-Z ]+-----|\s/g, "");
    dsm.seedApp({
      name: "stored-keys-app",
      add_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
      credential: { signedjwt: { valid_issuers: [ISSUER], signing_keys: { kind: "stored", keys: { "stored-1": der } } } },
    });
    const ok = await token({ key: privateKey, header: { kid: "stored-1" }, claims: { client_id: "stored-keys-app" } });
    expect((await ekm("GET", base, ok)).status).toBe(200);
    const wrongKid = await token({ key: privateKey, header: { kid: "stored-2" }, claims: { client_id: "stored-keys-app" } });
    expect((await ekm("GET", base, wrongKid)).json).toEqual({
      code: "401",
      message: 'no signing key with kid "stored-2" among DSM app "stored-keys-app"\'s stored keys',
    });
  });
});

describe("DsmEmulator over HTTPS", () => {
  it("serves TLS itself and fetches an https JWKS trusting the given CA", async () => {
    const ca = createTestCertificateAuthority();
    const cert = issueServerCertificate(ca, { commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"] });
    const tlsJwks = new JwksServer({ cert: cert.certPem, key: cert.keyPem });
    await tlsJwks.server.start();
    tlsJwks.keys = jwks.keys;
    const secure = new DsmEmulator({ publicUrl: DSM_URL, tls: { cert: cert.certPem, key: cert.keyPem }, trustedCa: ca.certPem });
    const untrusting = new DsmEmulator({ publicUrl: DSM_URL });
    try {
      const url = await secure.start();
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      await untrusting.start();
      for (const d of [secure, untrusting]) {
        const g = d.seedGroup({ name: "g" });
        d.seedApp({
          name: CLIENT_ID,
          add_groups: { [g.group_id]: ["ENCRYPT", "DECRYPT"] },
          credential: { signedjwt: { valid_issuers: [ISSUER], signing_keys: { kind: "fetched", url: tlsJwks.url, cache_duration: 3600 } } },
        });
        d.seedSobject({ name: "k", group_id: g.group_id, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT"] });
      }
      const t = await token();
      const res = await emulatorHttpGet(`${secure.ekmVaultUrl}/keys/k/metadata`, { headers: { authorization: `Bearer ${t}` }, ca: ca.certPem });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ keyId: "k", state: "ACTIVE" });
      const refused = await call(untrusting.url, "GET", `/oci/ekm/v1/vaults/${untrusting.accountId}/keys/k/metadata`, { auth: `Bearer ${t}` });
      expect(refused.status).toBe(401);
      expect((refused.json as { message: string }).message).toMatch(
        new RegExp(`^cannot fetch DSM app "${CLIENT_ID}"'s signing keys from ${tlsJwks.url.replace(/[.]/g, "\\.")}: .*certificate`),
      );
    } finally {
      await secure.stop();
      await untrusting.stop();
      await tlsJwks.server.stop();
    }
  });
});
