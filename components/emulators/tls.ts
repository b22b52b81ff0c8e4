import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, privateEncrypt, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import forge from "node-forge";

/** A PEM certificate with its PEM private key. */
export interface PemKeyPair {
  certPem: string;
  keyPem: string;
}

/** What a generated certificate names and how long it lives. */
export interface CertificateSubject {
  /** Subject common name. */
  commonName: string;
  /** DNS names for the subjectAltName extension. Default: none. */
  dnsNames?: string[];
  /** IP addresses for the subjectAltName extension. Default: none. */
  ipAddresses?: string[];
  /** Validity from now, in hours. Default: 24. */
  validityHours?: number;
}

/** An RSA private key in PKCS#8 PEM with its SPKI public key, as `tls.PrivateKey` outputs them. */
export function generateRsaKeyPem(bits = 2048): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: bits,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** Hands out the RSA keys (2048 bits) of one run of the emulators, each key once. */
export type RsaKeyMaker = () => { privateKeyPem: string; publicKeyPem: string };

/** A new 2048-bit key at each call: what the sandbox and the emulators use unless told otherwise. */
export const freshRsaKey: RsaKeyMaker = () => generateRsaKeyPem();

/**
 * Where each run's keys come from: one maker per run. A 2048-bit key costs 50-400 ms of CPU and a
 * sandbox run makes seven (its CA, three listeners, the Identity Domain's signing key, the OCI API
 * key, the gateway certificate's key), which a suite of sandbox runs pays again and again.
 * `recycledRsaKeys()` makes each key once and hands the same sequence to every run: within a run
 * every key is still a different one, and the runs never share servers or tokens.
 */
export type RsaKeySource = () => RsaKeyMaker;

/** A new key every time, for every run. */
export const freshRsaKeys: RsaKeySource = () => freshRsaKey;

/** The same keys for every run, in the same order, each made once (for suites of runs: tests, benchmarks). */
export function recycledRsaKeys(): RsaKeySource {
  const made: { privateKeyPem: string; publicKeyPem: string }[] = [];
  return () => {
    let next = 0;
    return () => {
      if (next === made.length) made.push(generateRsaKeyPem());
      return made[next++];
    };
  };
}

function subjectAltNames(subject: CertificateSubject): forge.pki.CertificateField[] {
  const names: { type: number; value?: string; ip?: string }[] = [];
  for (const dns of subject.dnsNames ?? []) names.push({ type: 2, value: dns });
  for (const ip of subject.ipAddresses ?? []) {
    if (isIP(ip) === 0) throw new Error(`certificate ipAddresses: "${ip}" is not an IP address`);
    names.push({ type: 7, ip });
  }
  return names.length === 0 ? [] : [{ name: "subjectAltName", altNames: names } as forge.pki.CertificateField];
}

// SHA-256's DigestInfo prefix (RFC 8017 §9.2): with it, an RSA private-key operation under PKCS #1
// v1.5 padding is the RSASSA-PKCS1-v1_5 signature that forge computes in JavaScript.
const SHA256_DIGEST_INFO = Buffer.from("3031300d060960864801650304020105000420", "hex");

/**
 * What forge's `sign` calls with the message digest, signing through Node's crypto (OpenSSL): the
 * same signature bytes as forge's own RSA, in a fraction of the CPU time (forge's is pure JavaScript).
 */
function opensslSigner(privateKeyPem: string): forge.pki.rsa.PrivateKey {
  const key = createPrivateKey(privateKeyPem);
  const sign = (md: forge.md.MessageDigest): string => {
    const digest = Buffer.from(md.digest().getBytes(), "binary");
    return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, digest])).toString("binary");
  };
  return { sign } as unknown as forge.pki.rsa.PrivateKey;
}

/** The public key of a PEM private key, as forge takes it. */
function forgePublicKeyOf(privateKeyPem: string): forge.pki.PublicKey {
  return forge.pki.publicKeyFromPem(createPublicKey(privateKeyPem).export({ type: "spki", format: "pem" }).toString());
}

function buildCertificate(
  subject: CertificateSubject,
  publicKey: forge.pki.PublicKey,
  signer: { keyPem: string; issuer: forge.pki.CertificateField[] },
  isCa: boolean,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // Positive serial: a leading 0x00..0x7f byte keeps the DER integer positive.
  cert.serialNumber = "01" + randomBytes(15).toString("hex");
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + (subject.validityHours ?? 24) * 3_600_000);
  const attrs = [{ name: "commonName", value: subject.commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(signer.issuer.length > 0 ? signer.issuer : attrs);
  cert.setExtensions([
    { name: "basicConstraints", cA: isCa, critical: true },
    isCa
      ? { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      : { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    ...(isCa ? [] : [{ name: "extKeyUsage", serverAuth: true }]),
    ...subjectAltNames(subject),
  ]);
  cert.sign(opensslSigner(signer.keyPem), forge.md.sha256.create());
  return cert;
}

/**
 * A self-signed certificate for an existing private key: what `tls.SelfSignedCert` produces from
 * `privateKeyPem`, `dnsNames`, `ipAddresses`, `validityPeriodHours` and `isCaCertificate`.
 */
export function selfSignedCertificatePem(privateKeyPem: string, subject: CertificateSubject, isCa = false): string {
  return forge.pki.certificateToPem(buildCertificate(subject, forgePublicKeyOf(privateKeyPem), { keyPem: privateKeyPem, issuer: [] }, isCa));
}

/** A PKCS#10 request for an existing private key: what `tls.CertRequest` produces. */
export function certificateRequestPem(privateKeyPem: string, subject: CertificateSubject): string {
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forgePublicKeyOf(privateKeyPem);
  csr.setSubject([{ name: "commonName", value: subject.commonName }]);
  const san = subjectAltNames(subject);
  if (san.length > 0) csr.setAttributes([{ name: "extensionRequest", extensions: san }]);
  csr.sign(opensslSigner(privateKeyPem), forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

/**
 * A server certificate for a PKCS#10 request, signed by `ca`: what `tls.LocallySignedCert`
 * produces from `certRequestPem`, `caCertPem`, `caPrivateKeyPem` and `validityPeriodHours`. The
 * request's subject and subjectAltName carry over; a request whose signature is wrong is refused.
 */
export function signCertificateRequestPem(certRequestPem: string, ca: PemKeyPair, validityHours: number): string {
  const csr = forge.pki.certificationRequestFromPem(certRequestPem);
  if (!csr.verify()) throw new Error("the certificate request's signature does not verify");
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const commonName = String(csr.subject.getField("CN")?.value ?? "");
  const requested = (csr.getAttribute({ name: "extensionRequest" }) as { extensions?: { name: string; altNames?: { type: number; value?: string; ip?: string }[] }[] } | null)?.extensions ?? [];
  const altNames = requested.find((e) => e.name === "subjectAltName")?.altNames ?? [];
  const subject: CertificateSubject = {
    commonName,
    dnsNames: altNames.filter((n) => n.type === 2).map((n) => String(n.value)),
    ipAddresses: altNames.filter((n) => n.type === 7).map((n) => String(n.ip)),
    validityHours,
  };
  const cert = buildCertificate(subject, csr.publicKey as forge.pki.PublicKey, { keyPem: ca.keyPem, issuer: caCert.subject.attributes }, false);
  return forge.pki.certificateToPem(cert);
}

/** A throw-away certificate authority for the emulators' HTTPS listeners. */
export function createTestCertificateAuthority(commonName = "oci-ekm sandbox CA", keys: RsaKeyMaker = freshRsaKey): PemKeyPair {
  const { privateKeyPem } = keys();
  const cert = buildCertificate({ commonName, validityHours: 24 }, forgePublicKeyOf(privateKeyPem), { keyPem: privateKeyPem, issuer: [] }, true);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKeyPem };
}

/** A server certificate signed by `ca`, for the names a client will check. */
export function issueServerCertificate(ca: PemKeyPair, subject: CertificateSubject, keys: RsaKeyMaker = freshRsaKey): PemKeyPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const { privateKeyPem } = keys();
  const cert = buildCertificate(subject, forgePublicKeyOf(privateKeyPem), { keyPem: ca.keyPem, issuer: caCert.subject.attributes }, false);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKeyPem };
}
