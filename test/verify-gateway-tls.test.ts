// The whole chain over TLS, as OCI Vault calls it: Identity Domain (HTTPS, private CA), then the
// vault URL through the emulated private API Gateway (self-signed certificate for its FQDN, route
// /{path*} to https://amer.smartkey.io/${request.path[path]}) to DSM's EKM API.
import { dsmCreateApp, dsmCreateGroup, dsmCreateSobject } from "../components/dsm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DsmClient, resetDsmSessions } from "../components/dsm/client";
import { DsmEmulator } from "../components/emulators/dsm";
import { ApiGatewayEmulator } from "../components/emulators/gateway";
import { IdentityDomainEmulator } from "../components/emulators/identity-domain";
import { createTestCertificateAuthority, generateRsaKeyPem, issueServerCertificate, selfSignedCertificatePem } from "../components/emulators/tls";
import { dsmReaderFromClient, runEkmVerification, type EkmVerificationOptions, type EkmVerificationReport } from "../components/verify";

const DSM_URL = "https://amer.smartkey.io";
const GATEWAY = "https://10.0.1.10/";
const GATEWAY_HOST = "ekm-gw.example";
const KEY = "oci-ekm-key";

const ca = createTestCertificateAuthority();
const loopbackCert = issueServerCertificate(ca, { commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"] });
const dsmCert = issueServerCertificate(ca, { commonName: "amer.smartkey.io", dnsNames: ["amer.smartkey.io"], ipAddresses: ["127.0.0.1"] });
const gatewayKey = generateRsaKeyPem();
// What the certificate component makes: self-signed, naming the gateway's FQDN, not its IP.
const gatewayCert = selfSignedCertificatePem(gatewayKey.privateKeyPem, { commonName: GATEWAY_HOST, dnsNames: [GATEWAY_HOST] });

const idp = new IdentityDomainEmulator({ signingCertPublicAccess: true, tls: { cert: loopbackCert.certPem, key: loopbackCert.keyPem } });
const dsm = new DsmEmulator({ publicUrl: DSM_URL, tls: { cert: dsmCert.certPem, key: dsmCert.keyPem }, trustedCa: ca.certPem });
let gateway: ApiGatewayEmulator;
let client = { clientId: "", clientSecret: "" };
let dsmClient: DsmClient;

beforeAll(async () => {
  await idp.start();
  await dsm.start();
  resetDsmSessions();
  gateway = new ApiGatewayEmulator({
    deployment: {
      pathPrefix: "/",
      specification: {
        routes: [{ path: "/{path*}", methods: ["ANY"], backend: { type: "HTTP_BACKEND", url: "https://amer.smartkey.io/${request.path[path]}" } }],
      },
    },
    tls: { certPem: gatewayCert, keyPem: gatewayKey.privateKeyPem },
    resolve: { "amer.smartkey.io": { host: "127.0.0.1", port: Number(new URL(dsm.url).port) } },
    trustedCa: ca.certPem,
  });
  await gateway.start();
  idp.registerApp({
    displayName: "resource",
    isOauthResource: true,
    audience: GATEWAY,
    secondaryAudiences: [DSM_URL],
    scopes: [{ value: "oci_ekms" }],
    isOauthClient: true,
    allowedGrants: ["client_credentials"],
  });
  client = idp.registerApp({ displayName: "client", isOauthClient: true, allowedGrants: ["client_credentials"], allowedScopes: [{ fqs: GATEWAY + "oci_ekms" }] });
  dsmClient = new DsmClient({ endpoint: dsm.url, apiKey: dsm.createApiKey({ role: "admin" }), caBundle: ca.certPem });
  const group = await dsmCreateGroup(dsmClient, { name: "oci-ekm" });
  await dsmCreateApp(dsmClient, {
    name: client.clientId,
    default_group: group.group_id,
    add_groups: { [group.group_id]: ["ENCRYPT", "DECRYPT"] },
    credential: { signedjwt: { valid_issuers: [idp.issuer], signing_keys: { kind: "fetched", url: idp.jwksUri, cache_duration: 3600 } } },
  });
  await dsmCreateSobject(dsmClient, { name: KEY, group_id: group.group_id, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"] });
});

afterAll(async () => {
  await gateway.stop();
  await idp.stop();
  await dsm.stop();
});

function options(overrides: Partial<EkmVerificationOptions> = {}): EkmVerificationOptions {
  return {
    domainUrl: idp.url,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    scope: GATEWAY + "oci_ekms",
    dsmUrl: DSM_URL,
    gatewayBaseUrl: GATEWAY,
    vaultUrl: `https://127.0.0.1:${gateway.port}/oci/ekm/v1/vaults/${dsm.accountId}`,
    keyNames: [KEY],
    caBundle: ca.certPem + gatewayCert,
    tlsServerName: GATEWAY_HOST,
    dsm: dsmReaderFromClient(dsmClient),
    ...overrides,
  };
}

function check(report: EkmVerificationReport, name: string) {
  return report.checks.find((c) => c.name === name);
}

describe("runEkmVerification over TLS through the emulated gateway", () => {
  it("passes every check, GetKeyMetadata going through the gateway's /{path*} route to DSM", async () => {
    const report = await runEkmVerification(options());
    expect(report.checks.filter((c) => c.status !== "passed")).toEqual([]);
    expect(report.passed).toBe(25);
    expect(gateway.requests.at(-1)).toMatchObject({
      method: "GET",
      route: "/{path*}",
      status: 200,
      backendUrl: `https://amer.smartkey.io/oci/ekm/v1/vaults/${dsm.accountId}/keys/${KEY}/metadata`,
    });
  });

  it("fails the probe, asking for the gateway certificate, when the CA bundle lacks it", async () => {
    const report = await runEkmVerification(options({ caBundle: ca.certPem }));
    expect(report.checks.filter((c) => c.status === "failed").map((c) => c.name)).toEqual(["ekm-key-metadata"]);
    expect(check(report, "ekm-key-metadata")?.fix).toBe("the gateway's certificate is not trusted: pass it with --ca-bundle (stack output certificatePem)");
  });

  it("fails the probe, asking for the gateway hostname, when calling the IP without it", async () => {
    const report = await runEkmVerification(options({ tlsServerName: undefined }));
    expect(check(report, "ekm-key-metadata")).toMatchObject({
      status: "failed",
      fix: "the gateway certificate does not name the host called: pass --tls-server-name with the gateway hostname in the certificate (stack output gatewayHostname)",
    });
  });

  it("fails discovery when the domain's certificate is not trusted (TLS verification stays on)", async () => {
    const report = await runEkmVerification(options({ caBundle: undefined }));
    expect(check(report, "discovery")).toMatchObject({ status: "failed" });
    expect(check(report, "discovery")?.found).toMatch(/certificate/i);
    expect(check(report, "token")).toMatchObject({ status: "skipped", why: "no discovery document (token endpoint unknown)" });
  });

  it("skips the probe when the vault URL is not reachable from this machine", async () => {
    const report = await runEkmVerification(options({ vaultUrl: `https://127.0.0.1:1/oci/ekm/v1/vaults/${dsm.accountId}` }));
    expect(check(report, "ekm-key-metadata")).toMatchObject({
      status: "skipped",
      why: "the vault URL is not reachable from this machine (ECONNREFUSED); run verify from a host in the VCN to probe it",
    });
    expect(report.ok).toBe(true);
  });
});
