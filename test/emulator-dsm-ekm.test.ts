import { createDecipheriv } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";
import { DsmEmulator } from "../components/emulators/dsm";
import { EmulatorHttpServer, emulatorHttpGet, sendEmulatorJson, sendEmulatorText } from "../components/emulators/http";
import { createTestCertificateAuthority, issueServerCertificate } from "../components/emulators/tls";
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

describe("DsmEmulator EKM endpoints", () => {
  it("serves vault and key metadata", async () => {
    const t = await token();
    const meta = await ekm("GET", "/metadata", t);
    expect(meta.status).toBe(200);
    expect(meta.json).toEqual({ state: "ACTIVE", vendor: "Fortanix" });
    expect(meta.headers.get("opc-request-id")).toBe("req-123");
    const key = await ekm("GET", "/keys/oci-ekm-key/metadata", t);
    expect(key.json).toEqual({
      keyId: "oci-ekm-key",
      currentKeyVersionId: dsm.sobject("oci-ekm-key")!.kid,
      keyShape: { algorithm: "AES", length: 256 },
      state: "ENABLED",
      keyOps: ["ENCRYPT", "DECRYPT"],
    });
    const missing = await ekm("GET", "/keys/no-such-key/metadata", t);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ code: "NotFound", message: 'key "no-such-key" does not exist: no security object of that name in the DSM account' });
    const otherVault = await call(dsm.url, "GET", "/oci/ekm/v1/vaults/11111111-2222-4333-8444-555555555555/metadata", { auth: `Bearer ${t}` });
    expect(otherVault.status).toBe(404);
    expect((otherVault.json as { code: string }).code).toBe("NotFound");
  });

  it("encrypts and decrypts with AES-256-GCM under the security object's material", async () => {
    const t = await token();
    const aad = b64("context");
    const enc = await ekm("POST", "/keys/oci-ekm-key/encrypt", t, { plaintext: b64("master key bytes"), aad });
    expect(enc.status).toBe(200);
    const e = enc.json as Record<string, string>;
    expect(Object.keys(e).sort()).toEqual(["ciphertext", "iv", "keyId", "keyVersionId", "tag"]);
    expect(e.keyId).toBe("oci-ekm-key");
    expect(e.keyVersionId).toBe(dsm.sobject("oci-ekm-key")!.kid);
    expect(Buffer.from(e.iv, "base64").length).toBe(12);
    expect(Buffer.from(e.tag, "base64").length).toBe(16);

    const d = createDecipheriv("aes-256-gcm", dsm.keyMaterial("oci-ekm-key")!, Buffer.from(e.iv, "base64"));
    d.setAAD(Buffer.from("context"));
    d.setAuthTag(Buffer.from(e.tag, "base64"));
    expect(Buffer.concat([d.update(Buffer.from(e.ciphertext, "base64")), d.final()]).toString()).toBe("master key bytes");

    const dec = await ekm("POST", "/keys/oci-ekm-key/decrypt", t, { ciphertext: e.ciphertext, iv: e.iv, tag: e.tag, aad, keyVersionId: e.keyVersionId });
    expect(dec.status).toBe(200);
    expect(dec.json).toEqual({ keyId: "oci-ekm-key", keyVersionId: e.keyVersionId, plaintext: b64("master key bytes") });

    const tampered = await ekm("POST", "/keys/oci-ekm-key/decrypt", t, { ciphertext: e.ciphertext, iv: e.iv, tag: e.tag, keyVersionId: e.keyVersionId });
    expect(tampered.status).toBe(400);
    expect((tampered.json as { code: string }).code).toBe("InvalidParameter");
    expect((tampered.json as { message: string }).message).toMatch(/^decryption failed: the authentication tag does not match/);
    const noVersion = await ekm("POST", "/keys/oci-ekm-key/decrypt", t, { ciphertext: e.ciphertext, iv: e.iv, tag: e.tag });
    expect(noVersion.json).toEqual({ code: "InvalidParameter", message: "missing required field: keyVersionId" });
    const noPlain = await ekm("POST", "/keys/oci-ekm-key/encrypt", t, {});
    expect(noPlain.json).toEqual({ code: "InvalidParameter", message: "missing required field: plaintext" });
  });

  it("still decrypts data encrypted before a rotation, with the old keyVersionId", async () => {
    dsm.seedSobject({ name: "rotating-key", group_id: groupId, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"] });
    const t = await token();
    const before = (await ekm("POST", "/keys/rotating-key/encrypt", t, { plaintext: b64("old data") })).json as Record<string, string>;
    const oldKid = before.keyVersionId;
    const rotated = dsm.rekeySobject("rotating-key");
    expect(rotated.kid).not.toBe(oldKid);

    const meta = (await ekm("GET", "/keys/rotating-key/metadata", t)).json as Record<string, string>;
    expect(meta.currentKeyVersionId).toBe(rotated.kid);
    const after = (await ekm("POST", "/keys/rotating-key/encrypt", t, { plaintext: b64("new data") })).json as Record<string, string>;
    expect(after.keyVersionId).toBe(rotated.kid);

    const dec = await ekm("POST", "/keys/rotating-key/decrypt", t, { ciphertext: before.ciphertext, iv: before.iv, tag: before.tag, keyVersionId: oldKid });
    expect(dec.status).toBe(200);
    expect(dec.json).toEqual({ keyId: "rotating-key", keyVersionId: oldKid, plaintext: b64("old data") });

    const oldMeta = await ekm("GET", `/keys/rotating-key/keyVersions/${oldKid}/metadata`, t);
    expect(oldMeta.json).toEqual({ keyId: "rotating-key", keyVersionId: oldKid, state: "ENABLED" });
    const foreign = dsm.sobject("oci-ekm-key")!.kid;
    const notAVersion = await ekm("GET", `/keys/rotating-key/keyVersions/${foreign}/metadata`, t);
    expect(notAVersion.status).toBe(404);
    expect(notAVersion.json).toEqual({ code: "NotFound", message: `key version ${foreign} of key "rotating-key" does not exist` });
  });

  it("records EKM requests with the scheme and request id, never the token", async () => {
    const t = await token();
    await ekm("GET", "/keys/oci-ekm-key/metadata", t);
    expect(dsm.requests).toEqual([
      {
        method: "GET",
        path: `/oci/ekm/v1/vaults/${dsm.accountId}/keys/oci-ekm-key/metadata`,
        query: {},
        body: undefined,
        auth: "Bearer",
        api: "ekm",
        status: 200,
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
    expect(res.json).toEqual({ code: "NotAuthenticated", message: message.replace("JWKS_URL", jwks.url) });
  });

  it("accepts an audience of the DSM URL with a trailing slash, and the app found by sub", async () => {
    dsm.seedApp({
      name: "sub-named-app",
      add_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
      credential: { signedjwt: { valid_issuers: [ISSUER], signing_keys: { kind: "fetched", url: jwks.url } } },
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
      code: "NotAuthenticated",
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
      expect(res.json).toEqual({ code: "NotAuthenticated", message: `DSM app "${CLIENT_ID}" is disabled` });
    } finally {
      dsm.modifyApp(CLIENT_ID, { enabled: true });
    }
  });

  it("needs DECRYPT permission on the key's group to decrypt", async () => {
    const t = await token();
    const e = (await ekm("POST", "/keys/oci-ekm-key/encrypt", t, { plaintext: b64("x") })).json as Record<string, string>;
    dsm.modifyApp(CLIENT_ID, { groups: { [groupId]: ["ENCRYPT"] } });
    try {
      const res = await ekm("POST", "/keys/oci-ekm-key/decrypt", t, { ...e, keyId: undefined });
      expect(res.status).toBe(403);
      expect(res.json).toEqual({ code: "NotAuthorized", message: `DSM app "${CLIENT_ID}" lacks DECRYPT permission on group ${groupId} of key "oci-ekm-key"` });
      dsm.modifyApp(CLIENT_ID, { groups: {} });
      const meta = await ekm("GET", base, t);
      expect(meta.status).toBe(403);
      expect(meta.json).toEqual({ code: "NotAuthorized", message: `DSM app "${CLIENT_ID}" is not in group ${groupId} of key "oci-ekm-key"` });
    } finally {
      dsm.modifyApp(CLIENT_ID, { groups: { [groupId]: ["ENCRYPT", "DECRYPT"] } });
    }
  });

  it("refuses a disabled, deactivated or DECRYPT-less key", async () => {
    dsm.seedSobject({ name: "k-usable", group_id: groupId, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT"] });
    const kid = dsm.sobject("k-usable")!.kid;
    const t = await token();
    const e = (await ekm("POST", "/keys/k-usable/encrypt", t, { plaintext: b64("x") })).json as Record<string, string>;
    const decrypt = () => ekm("POST", "/keys/k-usable/decrypt", t, { ciphertext: e.ciphertext, iv: e.iv, tag: e.tag, keyVersionId: e.keyVersionId });

    dsm.modifySobject("k-usable", { enabled: false });
    const disabled = await decrypt();
    expect(disabled.status).toBe(403);
    expect(disabled.json).toEqual({ code: "NotAuthorized", message: `key "k-usable" (version ${kid}) is disabled` });
    expect(((await ekm("GET", "/keys/k-usable/metadata", t)).json as { state: string }).state).toBe("DISABLED");

    dsm.modifySobject("k-usable", { enabled: true, state: "Deactivated" });
    expect((await decrypt()).json).toEqual({ code: "NotAuthorized", message: `key "k-usable" (version ${kid}) is Deactivated, not Active` });

    dsm.modifySobject("k-usable", { state: "Active", key_ops: ["ENCRYPT"] });
    expect((await decrypt()).json).toEqual({ code: "NotAuthorized", message: `key "k-usable" (version ${kid}) does not permit DECRYPT (key_ops ["ENCRYPT"])` });

    dsm.modifySobject("k-usable", { key_ops: ["ENCRYPT", "DECRYPT"] });
    expect((await decrypt()).status).toBe(200);
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
      code: "NotAuthenticated",
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
          credential: { signedjwt: { valid_issuers: [ISSUER], signing_keys: { kind: "fetched", url: tlsJwks.url } } },
        });
        d.seedSobject({ name: "k", group_id: g.group_id, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT"] });
      }
      const t = await token();
      const res = await emulatorHttpGet(`${secure.ekmVaultUrl}/keys/k/metadata`, { headers: { authorization: `Bearer ${t}` }, ca: ca.certPem });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ keyId: "k", state: "ENABLED" });
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
