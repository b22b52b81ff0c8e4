// A TLS client trusting a CA bundle besides the public roots, with one secure context per bundle
// (components/tls-trust.ts): a server the bundle's CA issued is trusted, one it did not is refused,
// and a bundle met again reuses its context instead of parsing the public roots again.
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import type { ConnectionOptions } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestCertificateAuthority, issueServerCertificate, recycledRsaKeys } from "../components/emulators/tls";
import { secureContextTrusting, TRUSTED_CONTEXTS_KEPT } from "../components/tls-trust";

const keys = recycledRsaKeys()();
const ca = createTestCertificateAuthority("tls-trust CA", keys);
const other = createTestCertificateAuthority("another CA", keys);
const served = issueServerCertificate(ca, { commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"], dnsNames: ["localhost"] }, keys);
const server = https.createServer({ cert: served.certPem, key: served.keyPem }, (_req, res) => res.end("ok"));
let port = 0;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function get(caPem: string): Promise<string> {
  // https.request hands its options to tls.connect, secureContext included (RequestOptions does not declare it).
  const options: https.RequestOptions & Pick<ConnectionOptions, "secureContext"> = { host: "127.0.0.1", port, path: "/", agent: false, secureContext: secureContextTrusting(caPem) };
  return new Promise((resolve) => {
    const req = https.get(options, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString("utf8")));
      res.on("end", () => resolve(body));
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe("secureContextTrusting", () => {
  it("trusts a server the bundle's CA issued, and refuses one it did not", async () => {
    expect(await get(ca.certPem)).toBe("ok");
    expect(await get(other.certPem)).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("gives the same context for the same bundle, another for another, and keeps the last ones only", () => {
    const first = secureContextTrusting(ca.certPem);
    expect(secureContextTrusting(ca.certPem)).toBe(first);
    expect(secureContextTrusting(other.certPem)).not.toBe(first);
    for (let i = 0; i < TRUSTED_CONTEXTS_KEPT; i++) secureContextTrusting(`${other.certPem}\n# ${i}\n`);
    expect(secureContextTrusting(ca.certPem)).not.toBe(first);
  });
});
