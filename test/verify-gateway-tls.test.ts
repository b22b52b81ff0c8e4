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
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  dsmReaderFromClient,
  ekmVerificationSummary,
  runEkmVerification,
  runEkmVerifyCommand,
  type EkmVerificationOptions,
  type EkmVerificationReport,
} from "../components/verify";
import { registerEkmApps } from "./verify-helpers";

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
  client = registerEkmApps(idp, GATEWAY, DSM_URL);
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
    const url = `https://127.0.0.1:${gateway.port}/oci/ekm/v1/vaults/${dsm.accountId}/keys/${KEY}/metadata`;
    expect(check(report, "ekm-key-metadata")).toMatchObject({
      found: `GET ${url} failed: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`,
      fix: `the certificate of ${url} is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT): pass the gateway certificate (stack output certificatePem) with --ca-bundle <file>`,
    });
  });

  it("fails the probe, asking for the gateway hostname, when calling the IP without it", async () => {
    const report = await runEkmVerification(options({ tlsServerName: undefined }));
    const url = `https://127.0.0.1:${gateway.port}/oci/ekm/v1/vaults/${dsm.accountId}/keys/${KEY}/metadata`;
    expect(check(report, "ekm-key-metadata")).toMatchObject({
      status: "failed",
      fix:
        `the certificate of ${url} does not name 127.0.0.1 (ERR_TLS_CERT_ALTNAME_INVALID; it names DNS:${GATEWAY_HOST}): ` +
        "pass --tls-server-name with the gateway hostname in the certificate (stack output gatewayHostname); --ca-bundle does not change which names a certificate carries",
    });
  });

  it("fails discovery when the domain's certificate is not trusted, pointing at --ca-bundle with the URL and the TLS code", async () => {
    const report = await runEkmVerification(options({ caBundle: undefined }));
    const url = `${idp.url}/.well-known/openid-configuration`;
    expect(check(report, "discovery")).toMatchObject({
      status: "failed",
      found: `GET ${url} failed: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
      fix: `the certificate of ${url} is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): pass the CA certificate that signed it (PEM) with --ca-bundle <file>`,
    });
    expect(check(report, "token")).toMatchObject({ status: "skipped", why: "no discovery document (token endpoint unknown)" });
  });

  it("fails discovery at a self-signed domain certificate, pointing at --ca-bundle", async () => {
    const key = generateRsaKeyPem();
    const selfSigned = new IdentityDomainEmulator({
      tls: { cert: selfSignedCertificatePem(key.privateKeyPem, { commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"] }), key: key.privateKeyPem },
    });
    await selfSigned.start();
    try {
      const report = await runEkmVerification(options({ domainUrl: selfSigned.url }));
      expect(check(report, "discovery")?.fix).toBe(
        `the certificate of ${selfSigned.url}/.well-known/openid-configuration is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT): pass the CA certificate that signed it (PEM) with --ca-bundle <file>`,
      );
    } finally {
      await selfSigned.stop();
    }
  });

  it("fails discovery at a domain certificate for another host, naming the names it carries", async () => {
    const other = issueServerCertificate(ca, { commonName: "idcs-other.example", dnsNames: ["idcs-other.example"] });
    const mismatched = new IdentityDomainEmulator({ tls: { cert: other.certPem, key: other.keyPem } });
    await mismatched.start();
    try {
      const report = await runEkmVerification(options({ domainUrl: mismatched.url }));
      expect(check(report, "discovery")?.fix).toBe(
        `the certificate of ${mismatched.url}/.well-known/openid-configuration does not name 127.0.0.1 (ERR_TLS_CERT_ALTNAME_INVALID; it names DNS:idcs-other.example): ` +
          "give --domain-url (stack output identityDomainUrl) the host name its certificate carries; --ca-bundle does not change which names a certificate carries",
      );
    } finally {
      await mismatched.stop();
    }
  });

  it("reports DSM's untrusted certificate as dsm-access, pointing at --ca-bundle or DSM_CA_BUNDLE", async () => {
    const untrusting = new DsmClient({ endpoint: dsm.url, apiKey: dsm.createApiKey({ role: "admin" }) });
    const report = await runEkmVerification(options({ dsm: dsmReaderFromClient(untrusting) }));
    expect(check(report, "dsm-access")).toMatchObject({
      status: "failed",
      fix: `the certificate of ${dsm.url} is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): pass the CA certificate that signed it (PEM) with --ca-bundle <file>, or in DSM_CA_BUNDLE`,
    });
  });

  it("npm run verify trusts --ca-bundle for DSM too when DSM_CA_BUNDLE is not set", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verify-tls-"));
    writeFileSync(join(dir, "ca.pem"), ca.certPem + gatewayCert);
    const printed: string[] = [];
    const code = await runEkmVerifyCommand(
      [
        "--domain-url", idp.url, "--client-id", client.clientId, "--client-secret", client.clientSecret, "--scope", GATEWAY + "oci_ekms",
        "--dsm-url", DSM_URL, "--gateway-url", GATEWAY, "--key-name", KEY, "--ca-bundle", join(dir, "ca.pem"),
      ],
      {
        readFile: (file) => readFileSync(file, "utf8"),
        readStdin: () => "",
        writeFile: (file, text) => writeFileSync(file, text),
        print: (text) => printed.push(text),
        env: { DSM_ENDPOINT: dsm.url, DSM_API_KEY: dsm.createApiKey({ role: "admin" }) },
      },
    );
    expect(printed.join("\n").split("\n").at(-1)).toBe("OK: 24 passed, 0 failed, 1 skipped: 1 because no vault URL given (--vault-url)");
    expect(code).toBe(0);
  });

  it("skips the probe when the vault URL is not reachable from this machine", async () => {
    const report = await runEkmVerification(options({ vaultUrl: `https://127.0.0.1:1/oci/ekm/v1/vaults/${dsm.accountId}` }));
    expect(check(report, "ekm-key-metadata")).toMatchObject({
      status: "skipped",
      why: "the vault URL is not reachable from this machine (ECONNREFUSED); run verify from a host in the VCN to probe it",
    });
    expect(report.ok).toBe(true);
    expect(ekmVerificationSummary(report)).toBe(
      "OK: 24 passed, 0 failed, 1 skipped: 1 because the vault URL is not reachable from this machine (ECONNREFUSED); run verify from a host in the VCN to probe it",
    );
  });
});
