import { generateKeyPairSync, randomBytes } from "node:crypto";
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

function subjectAltNames(subject: CertificateSubject): forge.pki.CertificateField[] {
  const names: { type: number; value?: string; ip?: string }[] = [];
  for (const dns of subject.dnsNames ?? []) names.push({ type: 2, value: dns });
  for (const ip of subject.ipAddresses ?? []) {
    if (isIP(ip) === 0) throw new Error(`certificate ipAddresses: "${ip}" is not an IP address`);
    names.push({ type: 7, ip });
  }
  return names.length === 0 ? [] : [{ name: "subjectAltName", altNames: names } as forge.pki.CertificateField];
}

function buildCertificate(
  subject: CertificateSubject,
  publicKey: forge.pki.PublicKey,
  signer: { key: forge.pki.rsa.PrivateKey; issuer: forge.pki.CertificateField[] },
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
  cert.sign(signer.key, forge.md.sha256.create());
  return cert;
}

/**
 * A self-signed certificate for an existing private key: what `tls.SelfSignedCert` produces from
 * `privateKeyPem`, `dnsNames`, `ipAddresses`, `validityPeriodHours` and `isCaCertificate`.
 */
export function selfSignedCertificatePem(privateKeyPem: string, subject: CertificateSubject, isCa = false): string {
  const key = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  return forge.pki.certificateToPem(buildCertificate(subject, publicKey, { key, issuer: [] }, isCa));
}

/** A PKCS#10 request for an existing private key: what `tls.CertRequest` produces. */
export function certificateRequestPem(privateKeyPem: string, subject: CertificateSubject): string {
  const key = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([{ name: "commonName", value: subject.commonName }]);
  const san = subjectAltNames(subject);
  if (san.length > 0) csr.setAttributes([{ name: "extensionRequest", extensions: san }]);
  csr.sign(key, forge.md.sha256.create());
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
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem) as forge.pki.rsa.PrivateKey;
  const commonName = String(csr.subject.getField("CN")?.value ?? "");
  const requested = (csr.getAttribute({ name: "extensionRequest" }) as { extensions?: { name: string; altNames?: { type: number; value?: string; ip?: string }[] }[] } | null)?.extensions ?? [];
  const altNames = requested.find((e) => e.name === "subjectAltName")?.altNames ?? [];
  const subject: CertificateSubject = {
    commonName,
    dnsNames: altNames.filter((n) => n.type === 2).map((n) => String(n.value)),
    ipAddresses: altNames.filter((n) => n.type === 7).map((n) => String(n.ip)),
    validityHours,
  };
  const cert = buildCertificate(subject, csr.publicKey as forge.pki.PublicKey, { key: caKey, issuer: caCert.subject.attributes }, false);
  return forge.pki.certificateToPem(cert);
}

/** A throw-away certificate authority for the emulators' HTTPS listeners. */
export function createTestCertificateAuthority(commonName = "oci-ekm sandbox CA"): PemKeyPair {
  const { privateKeyPem } = generateRsaKeyPem();
  const key = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const cert = buildCertificate({ commonName, validityHours: 24 }, forge.pki.setRsaPublicKey(key.n, key.e), { key, issuer: [] }, true);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKeyPem };
}

/** A server certificate signed by `ca`, for the names a client will check. */
export function issueServerCertificate(ca: PemKeyPair, subject: CertificateSubject): PemKeyPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem) as forge.pki.rsa.PrivateKey;
  const { privateKeyPem } = generateRsaKeyPem();
  const key = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const cert = buildCertificate(subject, forge.pki.setRsaPublicKey(key.n, key.e), { key: caKey, issuer: caCert.subject.attributes }, false);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKeyPem };
}
