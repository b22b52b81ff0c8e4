import { X509Certificate, createHash, generateKeyPairSync } from "node:crypto";
import { SignJWT, createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { describe, expect, it } from "vitest";
import { selfSignedCertificatePem } from "../components/emulators/tls";
import { adaptJwksForApiGateway, apiGatewayStaticKey, pemPublicKeyToJwk, rsaJwkThumbprint } from "../components/verify";

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
}

// An Azure AD v1 signing key, as https://login.microsoftonline.com/<tenant>/discovery/keys serves it:
// kid = x5t = base64url SHA-1 of the certificate, x5c with the certificate, no alg.
function azureStyleKey(): { jwk: Record<string, unknown>; privateKey: ReturnType<typeof generateKeyPairSync>["privateKey"] } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const certPem = selfSignedCertificatePem(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), {
    commonName: "accounts.accesscontrol.windows.net",
  });
  const der = derOf(certPem);
  const thumb = createHash("sha1").update(der).digest("base64url");
  const { n, e } = publicKey.export({ format: "jwk" }) as { n: string; e: string };
  return {
    jwk: {
      kty: "RSA",
      use: "sig",
      kid: thumb,
      x5t: thumb,
      n,
      e,
      x5c: [der.toString("base64")],
      issuer: "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
    },
    privateKey,
  };
}

describe("adaptJwksForApiGateway", () => {
  const a = azureStyleKey();
  const b = azureStyleKey();
  const azure: JSONWebKeySet = { keys: [a.jwk, b.jwk] as JSONWebKeySet["keys"] };

  it("the test input is real: x5c holds a certificate for the key's n and e", () => {
    const cert = new X509Certificate(Buffer.from((a.jwk.x5c as string[])[0], "base64"));
    const fromCert = cert.publicKey.export({ format: "jwk" }) as { n: string; e: string };
    expect(fromCert.n).toBe(a.jwk.n);
    expect(fromCert.e).toBe("AQAB");
  });

  it("adds alg RS256, keeps kid/kty/n/e/use and drops x5c, x5t and everything else", () => {
    const adapted = adaptJwksForApiGateway(azure);
    expect(adapted).toEqual({
      keys: [
        { kid: a.jwk.kid, kty: "RSA", n: a.jwk.n, e: "AQAB", alg: "RS256", use: "sig" },
        { kid: b.jwk.kid, kty: "RSA", n: b.jwk.n, e: "AQAB", alg: "RS256", use: "sig" },
      ],
    });
    expect(JSON.stringify(adapted).length).toBeLessThan(JSON.stringify(azure).length / 2);
  });

  it("keeps an existing RS384/RS512 alg, replaces an alg API Gateway cannot use, strips Identity Domain's x5t#S256", () => {
    const adapted = adaptJwksForApiGateway({
      keys: [
        { ...(a.jwk as object), alg: "RS512" },
        { ...(b.jwk as object), alg: "PS256" },
        { kty: "RSA", kid: "SIGNING_KEY", n: a.jwk.n as string, e: "AQAB", alg: "RS256", "x5t#S256": "zz", x5t: "yy", x5c: ["MII"] },
      ] as JSONWebKeySet["keys"],
    });
    expect(adapted.keys.map((k) => [k.kid, k.alg])).toEqual([
      [a.jwk.kid, "RS512"],
      [b.jwk.kid, "RS256"],
      ["SIGNING_KEY", "RS256"],
    ]);
    expect(adapted.keys[2]).toEqual({ kid: "SIGNING_KEY", kty: "RSA", n: a.jwk.n, e: "AQAB", alg: "RS256" });
  });

  it("leaves out keys API Gateway cannot use: EC, encryption keys, keys without kid", () => {
    const adapted = adaptJwksForApiGateway({
      keys: [
        { kty: "EC", kid: "ec1", crv: "P-256", x: "x", y: "y" },
        { ...(a.jwk as object), use: "enc" },
        { kty: "RSA", n: a.jwk.n as string, e: "AQAB" },
        b.jwk,
      ] as JSONWebKeySet["keys"],
    });
    expect(adapted.keys.map((k) => k.kid)).toEqual([b.jwk.kid]);
  });

  it("the adapted JWKS still verifies a token the IdP signed (RS256, by kid)", async () => {
    const token = await new SignJWT({ aud: "api://x" }).setProtectedHeader({ alg: "RS256", kid: b.jwk.kid as string }).sign(b.privateKey);
    const { payload } = await jwtVerify(token, createLocalJWKSet(adaptJwksForApiGateway(azure)), { algorithms: ["RS256"] });
    expect(payload.aud).toBe("api://x");
  });
});

describe("pemPublicKeyToJwk", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = publicKey.export({ type: "spki", format: "pem" }).toString();
  const pkcs1 = publicKey.export({ type: "pkcs1", format: "pem" }).toString();
  const expectedN = (publicKey.export({ format: "jwk" }) as { n: string }).n;

  it("converts `openssl rsa -pubout` output to seed 002's JWK with the given kid", () => {
    expect(pemPublicKeyToJwk(spki, { kid: "name_from_step" })).toEqual({
      kid: "name_from_step",
      kty: "RSA",
      n: expectedN,
      e: "AQAB",
      alg: "RS256",
      use: "sig",
    });
  });

  it("defaults the kid to the RFC 7638 thumbprint, the same for PKCS#1, SPKI and the certificate", () => {
    const certPem = selfSignedCertificatePem(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), { commonName: "client" });
    const kid = rsaJwkThumbprint({ n: expectedN, e: "AQAB" });
    expect(kid).toBe(createHash("sha256").update(`{"e":"AQAB","kty":"RSA","n":"${expectedN}"}`).digest("base64url"));
    expect(pemPublicKeyToJwk(spki).kid).toBe(kid);
    expect(pemPublicKeyToJwk(pkcs1).kid).toBe(kid);
    expect(pemPublicKeyToJwk(certPem).kid).toBe(kid);
  });

  it("gives the STATIC_KEYS entry of the gateway deployment", () => {
    expect(apiGatewayStaticKey(pemPublicKeyToJwk(spki, { kid: "k1" }))).toEqual({
      format: "JSON_WEB_KEY",
      kid: "k1",
      kty: "RSA",
      n: expectedN,
      e: "AQAB",
      alg: "RS256",
      use: "sig",
    });
  });

  it("refuses a private key, garbage and a non-RSA key with a clear message", () => {
    expect(() => pemPublicKeyToJwk(privateKey.export({ type: "pkcs8", format: "pem" }).toString())).toThrow(
      "pemPublicKeyToJwk: got a private key; pass the public key",
    );
    expect(() => pemPublicKeyToJwk("hello")).toThrow("pemPublicKeyToJwk: not a PEM public key or certificate");
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(() => pemPublicKeyToJwk(ec)).toThrow("pemPublicKeyToJwk: the key is EC, API Gateway static keys must be RSA");
  });
});
