import { createPublicKey } from "node:crypto";
import https from "node:https";
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityDomainEmulator, type IdentityDomainAppInput } from "../components/emulators/identity-domain";
import { createTestCertificateAuthority, issueServerCertificate } from "../components/emulators/tls";

const GATEWAY = "https://10.0.1.10/";
const DSM = "https://amer.smartkey.io";
const FQS = GATEWAY + "oci_ekms";

// The fields the identity component gives oci.identity.DomainsApp (reference: oci-wiring.md).
function resourceApp(overrides: Partial<IdentityDomainAppInput> = {}): IdentityDomainAppInput {
  return {
    idcsEndpoint: "https://idcs-x.identity.oraclecloud.com",
    schemas: ["urn:ietf:params:scim:schemas:oracle:idcs:App"],
    basedOnTemplate: { value: "CustomWebAppTemplateId" },
    displayName: "oci-ekm-resource",
    active: true,
    isOauthClient: true,
    clientType: "confidential",
    allowedGrants: ["client_credentials"],
    isOauthResource: true,
    audience: GATEWAY,
    secondaryAudiences: [DSM],
    scopes: [{ value: "oci_ekms", requiresConsent: false }],
    ...overrides,
  };
}

function clientApp(overrides: Partial<IdentityDomainAppInput> = {}): IdentityDomainAppInput {
  return {
    idcsEndpoint: "https://idcs-x.identity.oraclecloud.com",
    schemas: ["urn:ietf:params:scim:schemas:oracle:idcs:App"],
    basedOnTemplate: { value: "CustomWebAppTemplateId" },
    displayName: "oci-ekm-client",
    active: true,
    isOauthClient: true,
    clientType: "confidential",
    allowedGrants: ["client_credentials"],
    allowedScopes: [{ fqs: FQS }],
    trustScope: "Explicit",
    ...overrides,
  };
}

async function tokenRequest(
  idp: IdentityDomainEmulator,
  body: Record<string, string>,
  basic?: { id: string; secret: string },
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (basic) headers.authorization = "Basic " + Buffer.from(`${basic.id}:${basic.secret}`).toString("base64");
  const res = await fetch(idp.url + "/oauth2/v1/token", { method: "POST", headers, body: new URLSearchParams(body).toString() });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe("IdentityDomainEmulator", () => {
  const idp = new IdentityDomainEmulator();
  let client: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    await idp.start();
    idp.registerApp(resourceApp());
    client = idp.registerApp(clientApp({ name: "9a3bc0ffee9a3bc0ffee9a3bc0ffee00" }));
  });
  afterAll(() => idp.stop());

  it("serves the discovery document with the fixed issuer and paths relative to the domain URL", async () => {
    const res = await fetch(idp.url + "/.well-known/openid-configuration");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc.issuer).toBe("https://identity.oraclecloud.com/");
    expect(doc.token_endpoint).toBe("/oauth2/v1/token");
    expect(doc.jwks_uri).toBe("/admin/v1/SigningCert/jwk");
    expect(idp.jwksUri).toBe(idp.url + "/admin/v1/SigningCert/jwk");
    expect(idp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("answers 401 on the signing key endpoint until the signing certificate is public, then the JWKS", async () => {
    idp.setSigningCertPublicAccess(false);
    const denied = await fetch(idp.jwksUri);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ status: "401", schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"] });
    idp.setSigningCertPublicAccess(true);
    const ok = await fetch(idp.jwksUri);
    expect(ok.status).toBe(200);
    const jwks = (await ok.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", kid: "SIGNING_KEY", alg: "RS256", e: "AQAB" });
    // The certificate chain the real domain publishes beside the key, for the same public key.
    const x5c = (jwks.keys[0].x5c as string[])[0];
    const certPem = `-----BEGIN CERTIFICATE-----\n${x5c}\n-----END CERTIFICATE-----\n`;
    expect((createPublicKey(certPem).export({ format: "jwk" }) as { n: string }).n).toBe(jwks.keys[0].n);
    expect(typeof jwks.keys[0].x5t).toBe("string");
    expect(typeof jwks.keys[0]["x5t#S256"]).toBe("string");
  });

  it("issues an RS256 token with the resource app's audiences and the short scope value", async () => {
    const res = await tokenRequest(idp, { grant_type: "client_credentials", scope: FQS }, { id: client.clientId, secret: client.clientSecret });
    expect(res.status).toBe(200);
    expect(res.json.token_type).toBe("Bearer");
    expect(res.json.expires_in).toBe(3600);
    const token = res.json.access_token as string;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "RS256", kid: "SIGNING_KEY" });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: "https://identity.oraclecloud.com/",
      aud: [GATEWAY, DSM],
      scope: "oci_ekms",
      client_id: client.clientId,
      sub: client.clientId,
      sub_type: "client",
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    expect(typeof claims.jti).toBe("string");
    await compactVerify(token, await importJWK({ ...idp.jwks.keys[0] }, "RS256"));
  });

  it("accepts client credentials in the form body (client_secret_post) too", async () => {
    const res = await tokenRequest(idp, { grant_type: "client_credentials", scope: FQS, client_id: client.clientId, client_secret: client.clientSecret });
    expect(res.status).toBe(200);
  });

  it("refuses a bad secret, an unknown client and missing credentials with 401 invalid_client", async () => {
    for (const basic of [{ id: client.clientId, secret: "wrong" }, { id: "nobody", secret: client.clientSecret }, undefined]) {
      const res = await tokenRequest(idp, { grant_type: "client_credentials", scope: FQS }, basic);
      expect(res.status).toBe(401);
      expect(res.json.error).toBe("invalid_client");
    }
  });

  it("refuses a scope the client is not allowed or no resource app defines with 400 invalid_scope", async () => {
    const creds = { id: client.clientId, secret: client.clientSecret };
    expect((await tokenRequest(idp, { grant_type: "client_credentials", scope: GATEWAY + "other" }, creds)).json).toMatchObject({ error: "invalid_scope" });
    expect((await tokenRequest(idp, { grant_type: "client_credentials", scope: "oci_ekms" }, creds)).status).toBe(400);
    expect((await tokenRequest(idp, { grant_type: "client_credentials" }, creds)).json.error).toBe("invalid_scope");
    // Allowed to the client, but the resource app no longer defines it.
    const stray = idp.registerApp(clientApp({ displayName: "stray", allowedScopes: [{ fqs: "https://10.9.9.9/oci_ekms" }] }));
    const res = await tokenRequest(idp, { grant_type: "client_credentials", scope: "https://10.9.9.9/oci_ekms" }, { id: stray.clientId, secret: stray.clientSecret });
    expect(res).toMatchObject({ status: 400, json: { error: "invalid_scope" } });
  });

  it("refuses a grant the client is not allowed (unauthorized_client) and other grant types (unsupported_grant_type)", async () => {
    const noGrant = idp.registerApp(clientApp({ displayName: "no-grant", allowedGrants: ["authorization_code"] }));
    const creds = { id: noGrant.clientId, secret: noGrant.clientSecret };
    expect(await tokenRequest(idp, { grant_type: "client_credentials", scope: FQS }, creds)).toMatchObject({ status: 400, json: { error: "unauthorized_client" } });
    expect(await tokenRequest(idp, { grant_type: "password", scope: FQS }, creds)).toMatchObject({ status: 400, json: { error: "unsupported_grant_type" } });
  });

  it("refuses an inactive client app, and a scope of an inactive resource app", async () => {
    const inactive = idp.registerApp(clientApp({ displayName: "inactive", active: false }));
    expect(await tokenRequest(idp, { grant_type: "client_credentials", scope: FQS }, { id: inactive.clientId, secret: inactive.clientSecret })).toMatchObject({
      status: 401,
      json: { error: "invalid_client" },
    });
    const other = new IdentityDomainEmulator();
    await other.start();
    try {
      const resource = other.registerApp(resourceApp({ active: false }));
      const c = other.registerApp(clientApp());
      const res = await tokenRequest(other, { grant_type: "client_credentials", scope: FQS }, { id: c.clientId, secret: c.clientSecret });
      expect(res).toMatchObject({ status: 400, json: { error: "invalid_scope" } });
      other.updateApp(resource.clientId, { active: true });
      expect((await tokenRequest(other, { grant_type: "client_credentials", scope: FQS }, { id: c.clientId, secret: c.clientSecret })).status).toBe(200);
    } finally {
      await other.stop();
    }
  });

  it("records requests without credentials or tokens", () => {
    const text = JSON.stringify(idp.requests);
    expect(text).not.toContain(client.clientSecret);
    expect(text).not.toContain("eyJ");
    expect(idp.requests.find((r) => r.path === "/oauth2/v1/token" && r.status === 200)).toMatchObject({
      method: "POST",
      authScheme: "Basic",
      clientId: client.clientId,
      grantType: "client_credentials",
      scope: FQS,
    });
    expect(idp.requests.find((r) => r.status === 401 && r.path === "/oauth2/v1/token")?.error).toBe("invalid_client");
  });

  it("validates registered apps", () => {
    expect(() => idp.registerApp(resourceApp({ audience: undefined, displayName: "r2" }))).toThrow("registerApp: a resource app (isOauthResource) needs an audience");
    expect(() => idp.registerApp(clientApp({ name: client.clientId }))).toThrow(`registerApp: an app with client ID ${client.clientId} already exists`);
    expect(idp.getApp(client.clientId)).toMatchObject({ displayName: "oci-ekm-client", allowedScopes: [FQS], active: true });
    expect(JSON.stringify(idp.listApps())).not.toContain(client.clientSecret);
  });

  describe("test hooks", () => {
    it("mintToken gives the token the domain would issue, altered as asked", async () => {
      const plain = decodeJwt(await idp.mintToken({ clientId: client.clientId, scope: FQS }));
      expect(plain).toMatchObject({ aud: [GATEWAY, DSM], scope: "oci_ekms", client_id: client.clientId });
      const altered = decodeJwt(await idp.mintToken({ clientId: client.clientId, scope: FQS }, { claims: { aud: [GATEWAY], scope: null }, expiresInSeconds: -600 }));
      expect(altered.aud).toEqual([GATEWAY]);
      expect(altered.scope).toBeUndefined();
      expect((altered.exp as number) < Date.now() / 1000 - 500).toBe(true);
      const none = await idp.mintToken({ clientId: client.clientId, scope: FQS }, { signWith: "none" });
      expect(decodeProtectedHeader(none)).toEqual({ alg: "none", typ: "JWT" });
      expect(none.endsWith(".")).toBe(true);
      expect(decodeProtectedHeader(await idp.mintToken({ clientId: client.clientId, scope: FQS }, { signWith: "hs256" })).alg).toBe("HS256");
      const foreign = await idp.mintToken({ clientId: client.clientId, scope: FQS }, { signWith: "foreign-key" });
      expect(decodeProtectedHeader(foreign).kid).toBe("SIGNING_KEY");
      await expect(compactVerify(foreign, await importJWK({ ...idp.jwks.keys[0] }, "RS256"))).rejects.toThrow();
      await expect(idp.mintToken({ clientId: client.clientId, scope: GATEWAY + "nope" })).rejects.toThrow("mintToken: the domain would refuse: invalid_scope");
    });

    it("mintToken refuses what the token endpoint refuses: an inactive app, a non-client, a client without client_credentials", async () => {
      const inactive = idp.registerApp(clientApp({ displayName: "mint-inactive", active: false }));
      await expect(idp.mintToken({ clientId: inactive.clientId, scope: FQS })).rejects.toThrow("mintToken: the domain would refuse: invalid_client");
      const notClient = idp.registerApp(clientApp({ displayName: "mint-not-client", isOauthClient: false }));
      await expect(idp.mintToken({ clientId: notClient.clientId, scope: FQS })).rejects.toThrow("mintToken: the domain would refuse: invalid_client");
      const noGrant = idp.registerApp(clientApp({ displayName: "mint-no-grant", allowedGrants: ["authorization_code"] }));
      await expect(idp.mintToken({ clientId: noGrant.clientId, scope: FQS })).rejects.toThrow("mintToken: the domain would refuse: unauthorized_client");
    });

    it("alterIssuedTokens changes what the token endpoint issues until reset", async () => {
      const creds = { id: client.clientId, secret: client.clientSecret };
      idp.alterIssuedTokens({ claims: { iss: "https://evil.example/" } });
      const altered = await tokenRequest(idp, { grant_type: "client_credentials", scope: FQS }, creds);
      expect(decodeJwt(altered.json.access_token as string).iss).toBe("https://evil.example/");
      idp.alterIssuedTokens(undefined);
      const normal = await tokenRequest(idp, { grant_type: "client_credentials", scope: FQS }, creds);
      expect(decodeJwt(normal.json.access_token as string).iss).toBe("https://identity.oraclecloud.com/");
    });
  });
});

describe("IdentityDomainEmulator options", () => {
  it("serves HTTPS with the given certificate, absolute discovery URLs, another issuer and token lifetime", async () => {
    const ca = createTestCertificateAuthority();
    const cert = issueServerCertificate(ca, { commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"] });
    const idp = new IdentityDomainEmulator({
      tls: { cert: cert.certPem, key: cert.keyPem },
      discoveryUrls: "absolute",
      issuer: "https://idcs-abc.identity.oraclecloud.com",
      tokenTtlSeconds: 120,
      signingCertPublicAccess: true,
    });
    await idp.start();
    try {
      expect(idp.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const doc = await new Promise<Record<string, unknown>>((resolve, reject) => {
        https
          .get(idp.url + "/.well-known/openid-configuration", { ca: ca.certPem }, (res) => {
            let body = "";
            res.on("data", (c: Buffer) => (body += c.toString()));
            res.on("end", () => resolve(JSON.parse(body) as Record<string, unknown>));
          })
          .on("error", reject);
      });
      expect(doc).toMatchObject({ issuer: "https://idcs-abc.identity.oraclecloud.com", jwks_uri: idp.url + "/admin/v1/SigningCert/jwk", token_endpoint: idp.url + "/oauth2/v1/token" });
      idp.registerApp(resourceApp());
      const c = idp.registerApp(clientApp());
      const token = decodeJwt(await idp.mintToken({ clientId: c.clientId, scope: FQS }));
      expect(token.iss).toBe("https://idcs-abc.identity.oraclecloud.com");
      expect((token.exp as number) - (token.iat as number)).toBe(120);
    } finally {
      await idp.stop();
    }
  });
});
