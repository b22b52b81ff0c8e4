import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityDomainEmulator } from "../components/emulators/identity-domain";
import { EkmHttpStatusError, OAuthTokenError, fetchOidcDiscovery, fetchOidcJwks, requestClientCredentialsToken } from "../components/verify";

const GATEWAY = "https://10.0.1.10/";
const FQS = GATEWAY + "oci_ekms";

describe("discovery, JWKS and token requests against the emulated domain", () => {
  const relative = new IdentityDomainEmulator();
  const absolute = new IdentityDomainEmulator({ discoveryUrls: "absolute", signingCertPublicAccess: true });
  let client = { clientId: "", clientSecret: "" };

  beforeAll(async () => {
    await relative.start();
    await absolute.start();
    relative.registerApp({ displayName: "r", isOauthResource: true, audience: GATEWAY, secondaryAudiences: ["https://amer.smartkey.io"], scopes: [{ value: "oci_ekms" }] });
    client = relative.registerApp({ displayName: "c", isOauthClient: true, allowedGrants: ["client_credentials"], allowedScopes: [{ fqs: FQS }] });
  });
  afterAll(async () => {
    await relative.stop();
    await absolute.stop();
  });

  it("resolves an Identity Domain's relative token_endpoint and jwks_uri against the domain URL", async () => {
    const d = await fetchOidcDiscovery(relative.url + "/");
    expect(d).toMatchObject({
      discoveryUrl: relative.url + "/.well-known/openid-configuration",
      issuer: "https://identity.oraclecloud.com/",
      tokenEndpoint: relative.url + "/oauth2/v1/token",
      jwksUri: relative.url + "/admin/v1/SigningCert/jwk",
    });
  });

  it("keeps absolute URLs, as Okta and Azure AD write them", async () => {
    const d = await fetchOidcDiscovery(absolute.url);
    expect(d.jwksUri).toBe(absolute.url + "/admin/v1/SigningCert/jwk");
    expect(d.tokenEndpoint).toBe(absolute.url + "/oauth2/v1/token");
  });

  it("reports a JWKS answering 401 as an EkmHttpStatusError with the status", async () => {
    const err = await fetchOidcJwks(relative.jwksUri).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EkmHttpStatusError);
    expect((err as EkmHttpStatusError).status).toBe(401);
    expect((await fetchOidcJwks(absolute.jwksUri)).keys.map((k) => k.kid)).toEqual(["SIGNING_KEY"]);
  });

  it("obtains a client-credentials token with Basic auth and the fully qualified scope", async () => {
    const token = await requestClientCredentialsToken({ tokenEndpoint: relative.tokenEndpoint, clientId: client.clientId, clientSecret: client.clientSecret, scope: FQS });
    expect(token.tokenType).toBe("Bearer");
    expect(token.expiresIn).toBe(3600);
    expect(decodeJwt(token.accessToken).scope).toBe("oci_ekms");
    expect(relative.requests.at(-1)).toMatchObject({ authScheme: "Basic", grantType: "client_credentials", scope: FQS });
  });

  it("turns a refusal into an OAuthTokenError with the OAuth error code, never the secret", async () => {
    const err = await requestClientCredentialsToken({ tokenEndpoint: relative.tokenEndpoint, clientId: client.clientId, clientSecret: "wrong-secret", scope: FQS }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthTokenError);
    expect((err as OAuthTokenError).status).toBe(401);
    expect((err as OAuthTokenError).error).toBe("invalid_client");
    expect((err as Error).message).not.toContain("wrong-secret");
  });

  it("refuses a plain-http URL on a non-loopback host before sending anything", async () => {
    await expect(fetchOidcDiscovery("http://idcs-1.identity.oraclecloud.com")).rejects.toThrow(
      'domain URL: "http://idcs-1.identity.oraclecloud.com" uses http://; only https:// is accepted',
    );
    await expect(
      requestClientCredentialsToken({ tokenEndpoint: "http://10.0.0.5/oauth2/v1/token", clientId: "a", clientSecret: "b", scope: FQS }),
    ).rejects.toThrow('token endpoint: "http://10.0.0.5/oauth2/v1/token" uses http://');
  });
});
