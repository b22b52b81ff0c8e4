import { generateKeyPairSync, randomBytes } from "node:crypto";
import { SignJWT, base64url, type JSONWebKeySet, type JWTPayload } from "jose";
import { describe, expect, it } from "vitest";
import {
  EKM_TOKEN_CHECK_NAMES,
  ekmAudienceContains,
  ekmTokenScopes,
  verifyEkmToken,
  type EkmCheckResult,
} from "../components/verify";

const DSM = "https://amer.smartkey.io";
const GATEWAY = "https://10.0.1.10/";
const ISSUER = "https://identity.oraclecloud.com/";
const NOW = new Date("2026-03-01T12:00:00Z");
const NOW_S = Math.floor(NOW.getTime() / 1000);

const domainKey = generateKeyPairSync("rsa", { modulusLength: 2048 });
const foreignKey = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicJwk = domainKey.publicKey.export({ format: "jwk" }) as { n: string; e: string };
// Identity-Domain-shaped JWKS: kid SIGNING_KEY, alg RS256, certificate fields beside the key.
const JWKS: JSONWebKeySet = {
  keys: [{ kty: "RSA", kid: "SIGNING_KEY", alg: "RS256", n: publicJwk.n, e: publicJwk.e, x5t: "abc", x5c: ["MIIB"] }],
};

function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const base: JWTPayload = {
    iss: ISSUER,
    sub: "3f1c0ffee",
    client_id: "3f1c0ffee",
    aud: [GATEWAY, DSM],
    scope: "oci_ekms",
    iat: NOW_S - 10,
    exp: NOW_S + 3600,
    jti: "j1",
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) delete base[k];
    else base[k] = v;
  }
  return base;
}

async function signed(payload: JWTPayload, header: Record<string, string> = {}, key = domainKey.privateKey): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: "SIGNING_KEY", ...header }).sign(key);
}

async function check(token: string, extra: Partial<Parameters<typeof verifyEkmToken>[1]> = {}): Promise<Record<string, EkmCheckResult>> {
  const results = await verifyEkmToken(token, { jwks: JWKS, jwksUri: "https://idcs-x.identity.oraclecloud.com/admin/v1/SigningCert/jwk", issuers: [ISSUER], dsmUrl: DSM, gatewayBaseUrl: GATEWAY, now: NOW, ...extra });
  expect(results.map((r) => r.name)).toEqual([...EKM_TOKEN_CHECK_NAMES]);
  return Object.fromEntries(results.map((r) => [r.name, r]));
}

function failedNames(results: Record<string, EkmCheckResult>): string[] {
  return Object.values(results).filter((r) => r.status === "failed").map((r) => r.name);
}

describe("verifyEkmToken", () => {
  it("passes every check for a token as the Identity Domain issues it", async () => {
    const r = await check(await signed(claims()));
    expect(Object.values(r).map((c) => [c.name, c.status])).toEqual(EKM_TOKEN_CHECK_NAMES.map((n) => [n, "passed"]));
    expect(r["token-audience-dsm"].found).toBe(`aud "${GATEWAY}", "${DSM}"`);
    expect(r["token-scope"].found).toBe('scope "oci_ekms"');
    expect(r["token-not-before"].found).toBe("no nbf claim");
  });

  it("fails token-audience-dsm with the secondary audience fix when the DSM URL is missing", async () => {
    const r = await check(await signed(claims({ aud: [GATEWAY] })));
    expect(failedNames(r)).toEqual(["token-audience-dsm"]);
    expect(r["token-audience-dsm"]).toMatchObject({
      expected: `aud contains "${DSM}"`,
      found: `aud "${GATEWAY}"`,
      fix: "the resource app's secondary audience must be https://amer.smartkey.io (the DSM URL)",
    });
  });

  it("fails token-audience-gateway with the primary audience fix when the gateway URL is missing", async () => {
    const r = await check(await signed(claims({ aud: ["https://10.0.1.99/", DSM] })));
    expect(failedNames(r)).toEqual(["token-audience-gateway"]);
    expect(r["token-audience-gateway"].fix).toBe(
      "the resource app's primary audience must be https://10.0.1.10/ (the gateway's base URL, https://<gateway private IP>/)",
    );
  });

  it("accepts an audience that differs only by one trailing slash, and a single-string aud", async () => {
    expect(ekmAudienceContains(["https://amer.smartkey.io/"], DSM)).toBe(true);
    expect(ekmAudienceContains(["https://amer.smartkey.io.evil"], DSM)).toBe(false);
    const r = await check(await signed(claims({ aud: DSM })), { gatewayBaseUrl: undefined });
    expect(r["token-audience-dsm"].status).toBe("passed");
    expect(r["token-audience-gateway"]).toMatchObject({ status: "skipped", why: "no gateway URL given (--gateway-url)" });
  });

  it("fails token-issuer naming the issuer found", async () => {
    const r = await check(await signed(claims({ iss: "https://idcs-123.identity.oraclecloud.com" })));
    expect(failedNames(r)).toEqual(["token-issuer"]);
    expect(r["token-issuer"]).toMatchObject({
      expected: `iss among "${ISSUER}"`,
      found: 'iss "https://idcs-123.identity.oraclecloud.com"',
    });
    expect(r["token-issuer"].fix).toContain("the DSM JWT app's valid issuer must be the token's issuer \"https://idcs-123.identity.oraclecloud.com\"");
  });

  it("fails token-scope when oci_ekms is absent, including when only the fully qualified form is present", async () => {
    for (const scope of ["openid", "https://10.0.1.10/oci_ekms", null]) {
      const r = await check(await signed(claims({ scope })));
      expect(failedNames(r)).toEqual(["token-scope"]);
      expect(r["token-scope"].fix).toContain(`the resource app's scope must be "oci_ekms"`);
    }
    expect(ekmTokenScopes({ scope: "a  oci_ekms b" })).toEqual(["a", "oci_ekms", "b"]);
    expect(ekmTokenScopes({ scp: ["oci_ekms"] })).toEqual(["oci_ekms"]);
  });

  it("fails token-expiry for an expired token beyond the clock skew, passes within it", async () => {
    const expired = await check(await signed(claims({ exp: NOW_S - 61 })));
    expect(failedNames(expired)).toEqual(["token-expiry"]);
    expect(expired["token-expiry"].found).toBe(`exp ${new Date((NOW_S - 61) * 1000).toISOString()} (expired 61 s ago)`);
    const withinSkew = await check(await signed(claims({ exp: NOW_S - 59 })));
    expect(withinSkew["token-expiry"].status).toBe("passed");
    const noExp = await check(await signed(claims({ exp: null })));
    expect(noExp["token-expiry"]).toMatchObject({ status: "failed", found: "no exp claim" });
  });

  it("fails token-not-before for a token not valid yet beyond the skew", async () => {
    const r = await check(await signed(claims({ nbf: NOW_S + 120 })));
    expect(failedNames(r)).toEqual(["token-not-before"]);
    expect((await check(await signed(claims({ nbf: NOW_S + 30 }))))["token-not-before"].status).toBe("passed");
  });

  it("fails token-not-before for an nbf that is not a number (a JWT library rejects it; it is not a missing nbf)", async () => {
    const r = await check(await signed(claims({ nbf: String(NOW_S + 86_400) })));
    expect(failedNames(r)).toEqual(["token-not-before"]);
    expect(r["token-not-before"]).toMatchObject({ expected: "nbf a number of seconds", found: `nbf "${NOW_S + 86_400}"` });
  });

  it("fails token-signature for a token signed by a foreign key under the domain's kid", async () => {
    const r = await check(await signed(claims(), {}, foreignKey.privateKey));
    expect(failedNames(r)).toEqual(["token-signature"]);
    expect(r["token-signature"].found).toMatch(/^signature does not verify/);
  });

  it("fails token-key when the kid is not in the JWKS and skips the signature", async () => {
    const r = await check(await signed(claims(), { kid: "other-key" }, foreignKey.privateKey));
    expect(failedNames(r)).toEqual(["token-key"]);
    expect(r["token-key"]).toMatchObject({ expected: 'kid among https://idcs-x.identity.oraclecloud.com/admin/v1/SigningCert/jwk keys: "SIGNING_KEY"', found: 'kid "other-key"' });
    expect(r["token-signature"]).toMatchObject({ status: "skipped", why: "no key of the JWKS matches the token's kid" });
  });

  it("rejects alg none", async () => {
    const token = `${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url.encode(JSON.stringify(claims()))}.`;
    const r = await check(token);
    expect(failedNames(r)).toEqual(["token-algorithm", "token-key"]);
    expect(r["token-algorithm"]).toMatchObject({ expected: "alg RS256", found: "alg none" });
    expect(r["token-algorithm"].fix).toContain("the token is unsigned (alg none)");
    expect(r["token-signature"]).toMatchObject({ status: "skipped", why: "alg is none, not RS256" });
  });

  it("rejects HS256 even with the domain's kid", async () => {
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: "HS256", kid: "SIGNING_KEY" }).sign(randomBytes(32));
    const r = await check(token);
    expect(failedNames(r)).toEqual(["token-algorithm"]);
    expect(r["token-algorithm"].found).toBe("alg HS256");
  });

  it("fails token-format for something that is not a JWT and skips the rest", async () => {
    const r = await check("not-a-token");
    expect(r["token-format"].status).toBe("failed");
    expect(Object.values(r).filter((c) => c.status === "skipped")).toHaveLength(EKM_TOKEN_CHECK_NAMES.length - 1);
  });

  it("skips key and signature checks when no JWKS is available", async () => {
    const r = await check(await signed(claims()), { jwks: undefined });
    expect(r["token-key"]).toMatchObject({ status: "skipped", why: "the JWKS could not be fetched (see check jwks)" });
    expect(r["token-signature"].status).toBe("skipped");
    expect(r["token-issuer"].status).toBe("passed");
  });

  it("never puts the token in a result", async () => {
    const token = await signed(claims({ aud: ["x"] }));
    const results = await verifyEkmToken(token, { jwks: JWKS, dsmUrl: DSM, gatewayBaseUrl: GATEWAY, now: NOW });
    const text = JSON.stringify(results);
    for (const part of token.split(".")) expect(text).not.toContain(part);
  });
});
