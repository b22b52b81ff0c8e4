// Pure helpers over PEM certificates and keys (node:crypto's X509Certificate): the CA bundle a chain
// implies, and the checks a user's gateway certificate must pass before anything is created.
import { createPrivateKey, X509Certificate } from "node:crypto";

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
}

/**
 * What is wrong with a user's gateway certificate, one message per problem, each naming the field:
 * it must parse, be valid now, name `gatewayHostname` in its subject alternative names, match its
 * private key (when readable), and chain to the CA bundle (`caBundlePem`, else the CA certificates
 * of `certChainPem`), which must not be the leaf itself: the EKM private endpoint trusts that bundle
 * for as long as the vault lives, across renewals of the leaf.
 */
export function gatewayCertificateProblems(input: GatewayCertificateInput): string[] {
  const n = { certificatePem: "certificatePem", privateKeyPem: "privateKeyPem", certChainPem: "certChainPem", caBundlePem: "caBundlePem", gatewayHostname: "gatewayHostname", ...input.names };
  const leafPem = pemBlocks(input.certificatePem)[0];
  const leaf = leafPem ? parse(leafPem) : undefined;
  if (!leaf) return [`${n.certificatePem} is not a PEM certificate (expected -----BEGIN CERTIFICATE----- …)`];
  const problems: string[] = [];
  const now = input.now ?? new Date();
  if (new Date(leaf.validTo) < now) problems.push(`${n.certificatePem} expired on ${new Date(leaf.validTo).toISOString()}`);
  if (new Date(leaf.validFrom) > now) problems.push(`${n.certificatePem} is not valid before ${new Date(leaf.validFrom).toISOString()}`);
  if (input.gatewayHostname !== undefined && leaf.checkHost(input.gatewayHostname, { subject: "never" }) === undefined) {
    problems.push(`${n.certificatePem} does not name ${n.gatewayHostname} ${JSON.stringify(input.gatewayHostname)} in its subject alternative names (it has ${leaf.subjectAltName ?? "none"})`);
  }
  if (input.privateKeyPem !== undefined) {
    let matches = false;
    try {
      matches = leaf.checkPrivateKey(createPrivateKey(input.privateKeyPem));
    } catch {
      problems.push(`${n.privateKeyPem} is not a PEM private key (expected -----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)`);
      matches = true;
    }
    if (!matches) problems.push(`${n.privateKeyPem} is not the private key of ${n.certificatePem}`);
  }
  const bundlePem = input.caBundlePem ?? (input.certChainPem !== undefined ? caBundleOfChain(input.certificatePem, input.certChainPem) : "");
  const bundleField = input.caBundlePem !== undefined ? n.caBundlePem : n.certChainPem;
  const anchors = pemBlocks(bundlePem).map(parse).filter((c): c is X509Certificate => c !== undefined);
  if (anchors.length === 0) {
    problems.push(
      input.caBundlePem !== undefined
        ? `${n.caBundlePem} holds no PEM certificate`
        : `${n.certChainPem} holds no CA certificate of ${n.certificatePem} (the EKM private endpoint must trust the CA that issued the gateway certificate, never the certificate itself: give the issuing CA in ${n.certChainPem}, or ${n.caBundlePem})`,
    );
    return problems;
  }
  if (anchors.some((a) => a.fingerprint256 === leaf.fingerprint256)) {
    problems.push(`${bundleField} contains ${n.certificatePem} itself: the EKM private endpoint must trust its CA, so that a renewed gateway certificate is trusted too`);
  }
  const pool = [...anchors, ...pemBlocks(input.certChainPem ?? "").map(parse).filter((c): c is X509Certificate => c !== undefined)];
  if (!chainsTo(leaf, pool, anchors)) {
    problems.push(`${n.certificatePem} does not chain to ${bundleField}: no certificate there issued it (issuer ${leaf.issuer.replace(/\n/g, ", ")})`);
  }
  return problems;
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
