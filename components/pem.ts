// Pure helpers over PEM certificates and keys (node:crypto's X509Certificate): the CA bundle a chain
// implies, and the checks a user's gateway certificate must pass before anything is created.
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * A PEM as OCI keeps it: LF line ends and one trailing newline. OCI may normalise what it stores
 * (the provider's own test ignores `caBundle` drift), so the program sends it normalised.
 */
export function normalizePem(pem: string): string {
  return pem.replace(/\r\n?/g, "\n").trim() + "\n";
}

/** The PEM blocks of `text` with this label (`CERTIFICATE` by default), each normalised. */
export function pemBlocks(text: string, label = "CERTIFICATE"): string[] {
  return [...text.replace(/\r\n?/g, "\n").matchAll(BLOCK)].filter((m) => m[1] === label).map((m) => m[0] + "\n");
}

function parse(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/**
 * The CA certificates of a chain: every certificate of `certChainPem` but the leaf itself, joined.
 * Empty when the chain holds nothing else (a self-signed leaf, or no chain).
 */
export function caBundleOfChain(certificatePem: string, certChainPem: string): string {
  const leaf = parse(pemBlocks(certificatePem)[0] ?? "");
  return pemBlocks(certChainPem)
    .filter((pem) => {
      const cert = parse(pem);
      return cert !== undefined && (leaf === undefined || cert.fingerprint256 !== leaf.fingerprint256);
    })
    .join("");
}

/** A user's gateway certificate, as config gives it; a field that is a secret (not readable offline) is left out. */
export interface GatewayCertificateInput {
  certificatePem: string;
  /** Readable private key, when it is not a `secure:` value. */
  privateKeyPem?: string;
  certChainPem?: string;
  caBundlePem?: string;
  gatewayHostname?: string;
  /** Config or argument names to use in messages. Default: the field names. */
  names?: Partial<Record<"certificatePem" | "privateKeyPem" | "certChainPem" | "caBundlePem" | "gatewayHostname", string>>;
  /** The time to check validity at. Default: now. */
  now?: Date;
  /** The chain or CA bundle is given but not readable here (an Output): the chain is not checked. Default: false. */
  chainUnreadable?: boolean;
}

type CertificateField = "certificatePem" | "privateKeyPem" | "certChainPem" | "caBundlePem";

/**
 * One problem of a user's gateway certificate, in two phrasings: `message`, a sentence naming the
 * field (what the component throws), and `given`/`expected`, for a `<key> is <given>; expected
 * <expected>` line (what the stack config reports). `given` describes the value without secrets;
 * undefined means "show the value as given".
 */
export interface GatewayCertificateFinding {
  field: CertificateField;
  message: string;
  given?: string;
  expected: string;
}

/** The DNS names of a certificate's subject alternative names, as `DNS:a, DNS:b`. */
export function certificateDnsNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((n) => n.startsWith("DNS:"))
    .map((n) => n.slice(4));
}

/**
 * What is wrong with a user's gateway certificate, one finding per problem, each naming the field:
 * it must parse, be valid now, name `gatewayHostname` in its subject alternative names, match its
 * private key (when readable), and chain to the CA bundle (`caBundlePem`, else the CA certificates
 * of `certChainPem`), which must not be the leaf itself: the EKM private endpoint trusts that bundle
 * for as long as the vault lives, across renewals of the leaf.
 */
export function gatewayCertificateFindings(input: GatewayCertificateInput): GatewayCertificateFinding[] {
  const n = { certificatePem: "certificatePem", privateKeyPem: "privateKeyPem", certChainPem: "certChainPem", caBundlePem: "caBundlePem", gatewayHostname: "gatewayHostname", ...input.names };
  const leafPem = pemBlocks(input.certificatePem)[0];
  const leaf = leafPem ? parse(leafPem) : undefined;
  if (!leaf) {
    return [{
      field: "certificatePem",
      message: `${n.certificatePem} is not a PEM certificate (expected -----BEGIN CERTIFICATE----- …)`,
      expected: "a PEM certificate (-----BEGIN CERTIFICATE----- …) that parses as X.509",
    }];
  }
  const out: GatewayCertificateFinding[] = [];
  const now = input.now ?? new Date();
  const validTo = new Date(leaf.validTo).toISOString();
  const validFrom = new Date(leaf.validFrom).toISOString();
  if (new Date(leaf.validTo) < now) {
    out.push({ field: "certificatePem", message: `${n.certificatePem} expired on ${validTo}`, given: `a certificate that expired on ${validTo}`, expected: "a certificate valid now" });
  }
  if (new Date(leaf.validFrom) > now) {
    out.push({ field: "certificatePem", message: `${n.certificatePem} is not valid before ${validFrom}`, given: `a certificate not valid before ${validFrom}`, expected: "a certificate valid now" });
  }
  if (input.gatewayHostname !== undefined && leaf.checkHost(input.gatewayHostname, { subject: "never" }) === undefined) {
    const dns = certificateDnsNames(leaf);
    out.push({
      field: "certificatePem",
      message: `${n.certificatePem} does not name ${n.gatewayHostname} ${JSON.stringify(input.gatewayHostname)} in its subject alternative names (it has ${leaf.subjectAltName ?? "none"})`,
      given: dns.length === 0 ? "a certificate without DNS names in its subject alternative names" : `a certificate for the DNS names ${dns.join(", ")}`,
      expected: `a certificate whose subject alternative names include ${n.gatewayHostname} ${JSON.stringify(input.gatewayHostname)} (as a DNS name, or a wildcard matching it)`,
    });
  }
  if (input.privateKeyPem !== undefined) {
    let key: KeyObject | undefined;
    try {
      key = createPrivateKey(input.privateKeyPem);
    } catch {
      out.push({
        field: "privateKeyPem",
        message: `${n.privateKeyPem} is not a PEM private key (expected -----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)`,
        expected: "an unencrypted PEM private key (-----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----) that parses",
      });
    }
    if (key !== undefined && !leaf.checkPrivateKey(key)) {
      out.push({
        field: "privateKeyPem",
        message: `${n.privateKeyPem} is not the private key of ${n.certificatePem}`,
        expected: `the private key of ${n.certificatePem} (this key's public key is not the certificate's)`,
      });
    }
  }
  if (input.chainUnreadable) return out;
  const bundlePem = input.caBundlePem ?? (input.certChainPem !== undefined ? caBundleOfChain(input.certificatePem, input.certChainPem) : "");
  const bundleField: CertificateField = input.caBundlePem !== undefined ? "caBundlePem" : "certChainPem";
  const anchors = pemBlocks(bundlePem).map(parse).filter((c): c is X509Certificate => c !== undefined);
  if (anchors.length === 0) {
    out.push(
      input.caBundlePem !== undefined
        ? { field: "caBundlePem", message: `${n.caBundlePem} holds no PEM certificate`, expected: "PEM CA certificates (-----BEGIN CERTIFICATE----- …) that parse as X.509" }
        : {
            field: "certChainPem",
            message: `${n.certChainPem} holds no CA certificate of ${n.certificatePem} (the EKM private endpoint must trust the CA that issued the gateway certificate, never the certificate itself: give the issuing CA in ${n.certChainPem}, or ${n.caBundlePem})`,
            expected: `the CA certificate(s) that issued ${n.certificatePem}, not only the certificate itself (or set ${n.caBundlePem}): the EKM private endpoint trusts that CA, never the gateway certificate`,
          },
    );
    return out;
  }
  if (anchors.some((a) => a.fingerprint256 === leaf.fingerprint256)) {
    out.push({
      field: bundleField,
      message: `${n[bundleField]} contains ${n.certificatePem} itself: the EKM private endpoint must trust its CA, so that a renewed gateway certificate is trusted too`,
      expected: `CA certificates only, not ${n.certificatePem} itself: the EKM private endpoint must trust its CA, so that a renewed gateway certificate is trusted too`,
    });
  }
  const pool = [...anchors, ...pemBlocks(input.certChainPem ?? "").map(parse).filter((c): c is X509Certificate => c !== undefined)];
  if (!chainsTo(leaf, pool, anchors)) {
    const issuer = leaf.issuer.replace(/\n/g, ", ");
    out.push({
      field: "certificatePem",
      message: `${n.certificatePem} does not chain to ${n[bundleField]}: no certificate there issued it (issuer ${issuer})`,
      given: `a certificate issued by ${issuer}`,
      expected: `a certificate issued by a CA in ${n[bundleField]}${bundleField === "caBundlePem" ? ` (directly or through ${n.certChainPem})` : ""}: no certificate there issued it`,
    });
  }
  return out;
}

/** {@link gatewayCertificateFindings} as sentences, each naming its field. */
export function gatewayCertificateProblems(input: GatewayCertificateInput): string[] {
  return gatewayCertificateFindings(input).map((f) => f.message);
}

/** True when `cert` is signed, through certificates of `pool`, by one of `anchors`. */
function chainsTo(cert: X509Certificate, pool: X509Certificate[], anchors: X509Certificate[], depth = 0): boolean {
  if (depth > 8) return false;
  for (const issuer of pool) {
    if (issuer.fingerprint256 === cert.fingerprint256 || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) continue;
    if (anchors.some((a) => a.fingerprint256 === issuer.fingerprint256)) return true;
    if (chainsTo(issuer, pool, anchors, depth + 1)) return true;
  }
  return false;
}
