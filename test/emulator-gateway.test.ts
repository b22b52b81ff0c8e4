import { X509Certificate } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import {
  ApiGatewayEmulator,
  compileGatewayRoute,
  renderGatewayBackendUrl,
  type GatewayDeploymentSpec,
} from "../components/emulators/gateway";
import {
  createTestCertificateAuthority,
  generateRsaKeyPem,
  freshRsaKeys,
  issueServerCertificate,
  recycledRsaKeys,
  selfSignedCertificatePem,
} from "../components/emulators/tls";

const BACKEND = "https://amer.smartkey.io/${request.path[path]}";

describe("the emulators' RSA keys", () => {
  it("recycledRsaKeys: every key of a run is a different one, and each run gets the same keys in the same order", () => {
    const source = recycledRsaKeys();
    const first = source();
    const run1 = [first(), first(), first()].map((k) => k.privateKeyPem);
    const second = source();
    const run2 = [second(), second(), second(), second()].map((k) => k.privateKeyPem);
    expect(new Set(run1).size).toBe(3);
    expect(run2.slice(0, 3)).toEqual(run1);
    expect(run1).not.toContain(run2[3]);
    expect(run2[3]).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it("freshRsaKeys (the default): a new key at every call", () => {
    const keys = freshRsaKeys();
    expect(keys().privateKeyPem).not.toBe(keys().privateKeyPem);
  });

  it("a CA and a server certificate made from a run's keys carry those keys", () => {
    const keys = recycledRsaKeys()();
    const ca = createTestCertificateAuthority("recycled CA", keys);
    const server = issueServerCertificate(ca, { commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"] }, keys);
    expect(new X509Certificate(server.certPem).checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect([ca.keyPem, server.keyPem].every((k) => k.startsWith("-----BEGIN PRIVATE KEY-----"))).toBe(true);
    expect(ca.keyPem).not.toBe(server.keyPem);
  });
});

describe("route templates", () => {
  it("matches /{path*} under / and captures the rest of the path, slashes included", () => {
    const match = compileGatewayRoute("/", "/{path*}");
    expect(match("/oci/ekm/v1/vaults/acct/keys/k1/metadata")).toEqual({ path: "oci/ekm/v1/vaults/acct/keys/k1/metadata" });
    expect(match("/")).toEqual({ path: "" });
  });

  it("matches single-segment parameters and literal prefixes", () => {
    const match = compileGatewayRoute("/v1", "/keys/{name}");
    expect(match("/v1/keys/k1")).toEqual({ name: "k1" });
    expect(match("/v1/keys/k1/extra")).toBeUndefined();
    expect(match("/keys/k1")).toBeUndefined();
  });

  it("refuses a wildcard that is not the last segment", () => {
    expect(() => compileGatewayRoute("/", "/{path*}/x")).toThrow("must be the last segment");
  });

  it("renders the backend URL from the context variables", () => {
    expect(renderGatewayBackendUrl(BACKEND, { path: { path: "oci/ekm/v1/vaults/a/metadata" }, query: {}, headers: {} })).toBe(
      "https://amer.smartkey.io/oci/ekm/v1/vaults/a/metadata",
    );
    expect(() => renderGatewayBackendUrl(BACKEND, { path: {}, query: {}, headers: {} })).toThrow('no path value "path"');
  });
});

describe("ApiGatewayEmulator", () => {
  const ca = createTestCertificateAuthority();
  const backendCert = issueServerCertificate(ca, { commonName: "amer.smartkey.io", dnsNames: ["amer.smartkey.io"] });
  const gatewayKey = generateRsaKeyPem();
  const gatewayCert = selfSignedCertificatePem(gatewayKey.privateKeyPem, { commonName: "ekm-gw.example", dnsNames: ["ekm-gw.example"] });
  const seen: { path: string; auth?: string; host?: string; body?: string }[] = [];
  let backend: https.Server;
  let backendPort = 0;
  const gateways: ApiGatewayEmulator[] = [];

  beforeAll(async () => {
    backend = https.createServer({ cert: backendCert.certPem, key: backendCert.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        seen.push({ path: req.url ?? "", auth: req.headers.authorization, host: req.headers.host, ...(body ? { body } : {}) });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
    backendPort = (backend.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const g of gateways) await g.stop();
    backend.closeAllConnections();
    await new Promise<void>((r) => backend.close(() => r()));
  });

  async function gateway(deployment: GatewayDeploymentSpec): Promise<ApiGatewayEmulator> {
    const g = new ApiGatewayEmulator({
      deployment,
      tls: { certPem: gatewayCert, keyPem: gatewayKey.privateKeyPem },
      // eu.smartkey.io resolves to the same backend, whose certificate names only amer.smartkey.io.
      resolve: {
        "amer.smartkey.io": { host: "127.0.0.1", port: backendPort },
        "eu.smartkey.io": { host: "127.0.0.1", port: backendPort },
      },
      trustedCa: ca.certPem,
    });
    await g.start();
    gateways.push(g);
    return g;
  }

  function call(g: ApiGatewayEmulator, path: string, token?: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: "127.0.0.1",
          port: g.port,
          path,
          method: "GET",
          ca: gatewayCert,
          servername: "ekm-gw.example",
          headers: token ? { authorization: `Bearer ${token}` } : {},
        },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  const route = { path: "/{path*}", methods: ["ANY"], backend: { type: "HTTP_BACKEND", url: BACKEND } };

  it("forwards every path to the DSM host named in the backend URL, over verified TLS", async () => {
    const g = await gateway({ pathPrefix: "/", specification: { routes: [route] } });
    const res = await call(g, "/oci/ekm/v1/vaults/acct-1/keys/k1/metadata", "tok");
    expect(res.status).toBe(200);
    expect(seen.at(-1)).toEqual({ path: "/oci/ekm/v1/vaults/acct-1/keys/k1/metadata", auth: "Bearer tok", host: "amer.smartkey.io" });
    expect(g.requests.at(-1)).toMatchObject({ status: 200, route: "/{path*}", backendUrl: "https://amer.smartkey.io/oci/ekm/v1/vaults/acct-1/keys/k1/metadata" });
  });

  it("forwards a chunked request body as one body, without the client's hop-by-hop headers", async () => {
    const g = await gateway({ pathPrefix: "/", specification: { routes: [route] } });
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        {
          host: "127.0.0.1",
          port: g.port,
          path: "/oci/ekm/v1/vaults/acct-1/keys/k1/encrypt",
          method: "POST",
          ca: gatewayCert,
          servername: "ekm-gw.example",
          // No content-length: Node sends the body chunked.
          headers: { authorization: "Bearer tok", "content-type": "application/json" },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.write('{"plaintext":');
      req.end('"aGVsbG8="}');
    });
    expect(status).toBe(200);
    expect(seen.at(-1)).toEqual({
      path: "/oci/ekm/v1/vaults/acct-1/keys/k1/encrypt",
      auth: "Bearer tok",
      host: "amer.smartkey.io",
      body: '{"plaintext":"aGVsbG8="}',
    });
  });

  it("answers 404 itself when no route matches", async () => {
    const g = await gateway({ pathPrefix: "/", specification: { routes: [{ ...route, path: "/keys/{name}" }] } });
    const res = await call(g, "/oci/ekm/v1/vaults/acct-1/metadata");
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ code: 404, message: "Not Found" });
  });

  it("fails with 502 when the backend certificate does not name the backend host", async () => {
    const g = await gateway({
      pathPrefix: "/",
      specification: { routes: [{ ...route, backend: { type: "HTTP_BACKEND", url: "https://eu.smartkey.io/${request.path[path]}" } }] },
    });
    const res = await call(g, "/x");
    expect(res.status).toBe(502);
    expect(g.requests.at(-1)?.rejected).toContain("unreachable");
  });

  it("validates tokens at the gateway when the deployment asks for it", async () => {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const g = await gateway({
      pathPrefix: "/",
      specification: {
        requestPolicies: {
          authentication: {
            type: "TOKEN_AUTHENTICATION",
            tokenHeader: "Authorization",
            tokenAuthScheme: "Bearer",
            validationPolicy: {
              type: "STATIC_KEYS",
              keys: [{ format: "JSON_WEB_KEY", kid: "k1", kty: "RSA", n: jwk.n, e: jwk.e, alg: "RS256", use: "sig" }],
              additionalValidationPolicy: { issuers: ["https://identity.oraclecloud.com/"], audiences: ["https://10.0.1.10/"] },
            },
          },
        },
        routes: [{ ...route, requestPolicies: { authorization: { type: "ANY_OF", allowedScopes: ["oci_ekms"] } } }],
      },
    });
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuer("https://identity.oraclecloud.com/")
        .setAudience(["https://10.0.1.10/", "https://amer.smartkey.io"])
        .setExpirationTime("5m")
        .sign(privateKey);

    expect((await call(g, "/ok", await sign({ scope: "oci_ekms" }))).status).toBe(200);
    const noScope = await call(g, "/ok", await sign({ scope: "other" }));
    expect(noScope.status).toBe(403);
    expect(g.requests.at(-1)?.rejected).toBe("token scopes [other] include none of [oci_ekms]");
    expect((await call(g, "/ok")).status).toBe(401);
    const [header, payload, signature] = (await sign({ scope: "oci_ekms" })).split(".");
    const tampered = signature.slice(0, 10) + (signature[10] === "A" ? "B" : "A") + signature.slice(11);
    const forged = await call(g, "/ok", [header, payload, tampered].join("."));
    expect(forged.status).toBe(401);
    expect(g.requests.at(-1)?.rejected).toContain("token rejected at the gateway");
  });
});
