// The "JWKS adapter" of the Azure AD API Gateway article and the static key of the static-keys article, as pure functions: OCI API Gateway wants
// `alg` on every key and chokes on large x5c chains, which Azure AD's JWKS has and Identity Domains' too.
import { createHash, createPublicKey } from "node:crypto";
import type { JSONWebKeySet, JWK } from "jose";

/** An RSA public key as API Gateway accepts it (also the `STATIC_KEYS` entry minus `format`). */
export interface ApiGatewayJwk {
  kid: string;
  kty: "RSA";
  n: string;
  e: string;
  alg: string;
  use?: string;
}

/** A JWKS every key of which API Gateway accepts. */
export interface ApiGatewayJwks {
  keys: ApiGatewayJwk[];
}

/** JWS algorithms API Gateway validates for RSA keys; another `alg` is replaced by RS256. */
const GATEWAY_RSA_ALGS = new Set(["RS256", "RS384", "RS512"]);

/**
 * Adapts a JWKS for API Gateway (the Azure AD article): keeps only RSA signing keys with a `kid`, keeps `kid`,
 * `kty`, `n`, `e`, `use`, sets `alg: "RS256"` where it is missing, and drops everything else
 * (`x5c`, `x5t`, `x5t#S256`, `key_ops`, `issuer` …). Encryption keys (`use: "enc"`) and non-RSA keys
 * are left out: API Gateway would reject them and they cannot verify an RS256 token anyway.
 */
export function adaptJwksForApiGateway(jwks: JSONWebKeySet): ApiGatewayJwks {
  const keys: ApiGatewayJwk[] = [];
  for (const key of jwks.keys) {
    if (key.kty !== "RSA" || typeof key.n !== "string" || typeof key.e !== "string") continue;
    if (typeof key.kid !== "string" || key.kid === "") continue;
    if (key.use !== undefined && key.use !== "sig") continue;
    const alg = typeof key.alg === "string" && GATEWAY_RSA_ALGS.has(key.alg) ? key.alg : "RS256";
    keys.push({ kid: key.kid, kty: "RSA", n: key.n, e: key.e, alg, ...(key.use !== undefined ? { use: key.use } : {}) });
  }
  return { keys };
}

/** RFC 7638 SHA-256 thumbprint (base64url) of an RSA public JWK: a stable default `kid`. */
export function rsaJwkThumbprint(jwk: { n: string; e: string }): string {
  // Members in lexicographic order, no whitespace, as RFC 7638 requires.
  const canonical = JSON.stringify({ e: jwk.e, kty: "RSA", n: jwk.n });
  return createHash("sha256").update(canonical).digest("base64url");
}

/** Options of {@link pemPublicKeyToJwk}. */
export interface PemToJwkOptions {
  /** Key ID the token header will name. Default: the RFC 7638 thumbprint of the key. */
  kid?: string;
  /** `use`. Default: `sig`. */
  use?: string;
  /** `alg`. Default: `RS256`. */
  alg?: string;
}

/**
 * Converts a PEM RSA public key (`-----BEGIN PUBLIC KEY-----`, PKCS#1 `RSA PUBLIC KEY`, or an X.509
 * certificate) to the JWK the static-keys article pastes into API Gateway: `{kty, n, e, alg, kid, use}`. A private
 * key is refused rather than silently reduced to its public half.
 */
export function pemPublicKeyToJwk(pem: string, options: PemToJwkOptions = {}): ApiGatewayJwk {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new Error("pemPublicKeyToJwk: got a private key; pass the public key (openssl rsa -in key.pem -pubout)");
  }
  let exported: JWK;
  try {
    exported = createPublicKey(pem).export({ format: "jwk" }) as JWK;
  } catch (err) {
    throw new Error(`pemPublicKeyToJwk: not a PEM public key or certificate (${(err as Error).message})`);
  }
  if (exported.kty !== "RSA" || typeof exported.n !== "string" || typeof exported.e !== "string") {
    throw new Error(`pemPublicKeyToJwk: the key is ${exported.kty ?? "unknown"}, API Gateway static keys must be RSA`);
  }
  const { n, e } = exported;
  return {
    kid: options.kid ?? rsaJwkThumbprint({ n, e }),
    kty: "RSA",
    n,
    e,
    alg: options.alg ?? "RS256",
    use: options.use ?? "sig",
  };
}

/** A key as the deployment's `STATIC_KEYS` validation policy lists it (`format: "JSON_WEB_KEY"`). */
export function apiGatewayStaticKey(jwk: ApiGatewayJwk): ApiGatewayJwk & { format: "JSON_WEB_KEY" } {
  return { format: "JSON_WEB_KEY", ...jwk };
}
