import * as certificatesmanagement from "@pulumi/oci/certificatesmanagement";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { caBundleOfChain, gatewayCertificateProblems, normalizePem } from "./pem";

/** Which certificate the gateway serves and what the private endpoint trusts. The topology takes these same fields as `certificate`. */
export interface EkmCertificateSourceArgs {
  /** Validity of the generated gateway certificate, in days. Default 365. */
  validityDays?: number;
  /** How many days before it expires the generated gateway certificate is renewed by `pulumi up`. Default 30. */
  renewBeforeDays?: number;
  /** Validity of the generated CA, in days: the private endpoint trusts it for as long as the vault lives. Default 3650. */
  caValidityDays?: number;
  /** Your certificate (PEM) instead of a generated one. Default: a certificate issued by a generated CA. */
  certificatePem?: pulumi.Input<string>;
  /** Private key of `certificatePem` (PEM); kept a secret. Required with `certificatePem` unless `existingCertificateId` is set (or the topology uses an existing gateway). */
  privateKeyPem?: pulumi.Input<string>;
  /** Chain of `certificatePem` (PEM): the CA certificate(s) that issued it. Required with `certificatePem` unless `caBundlePem` is set. */
  certChainPem?: pulumi.Input<string>;
  /** What the EKM private endpoint trusts (PEM CA certificates). Default: the CA certificates of `certChainPem` (never the leaf). */
  caBundlePem?: pulumi.Input<string>;
  /** OCID of an OCI Certificates entry that already holds `certificatePem`: nothing is created. Default: import. */
  existingCertificateId?: pulumi.Input<string>;
}

/** A CA that issues the gateway certificate instead of a generated one (a replica region's gateway: the same CA as the source's). */
export interface EkmCertificateIssuerArgs {
  /** The CA certificate (PEM), the chain of the issued certificate and what the private endpoint trusts. Required. */
  caCertPem: pulumi.Input<string>;
  /** The CA's private key (PEM); kept a secret. Required. */
  caPrivateKeyPem: pulumi.Input<string>;
}

export interface EkmCertificateArgs extends EkmCertificateSourceArgs {
  /** Compartment OCID of the OCI Certificates entry. Required unless `existingCertificateId` is set. */
  compartmentId: pulumi.Input<string>;
  /** FQDN of the gateway, the certificate's common name and DNS name (Fortanix EKM guide, 5.0). Required. */
  gatewayHostname: pulumi.Input<string>;
  /** Name of the OCI Certificates entry, unique in the compartment. Default: `<displayNamePrefix>-gateway-cert`. */
  certificateName?: pulumi.Input<string>;
  /** Issue the generated gateway certificate with this CA. Default: a CA generated for this certificate (`caValidityDays`). */
  issuer?: EkmCertificateIssuerArgs;
  /** Prefix of the display names. Default: the component name. */
  displayNamePrefix?: string;
}

/** Default validity of the generated gateway certificate, in days. */
export const DEFAULT_CERTIFICATE_VALIDITY_DAYS = 365;
/** Default days before expiry at which `pulumi up` renews the generated gateway certificate. */
export const DEFAULT_CERTIFICATE_RENEW_BEFORE_DAYS = 30;
/** Default validity of the generated CA, in days (10 years). */
export const DEFAULT_CA_VALIDITY_DAYS = 3650;

/** The certificate's usages a TLS server needs. */
export const GATEWAY_CERTIFICATE_USES = ["key_encipherment", "digital_signature", "server_auth"];
/** The CA's usages: it signs the gateway certificate. */
export const GATEWAY_CA_USES = ["cert_signing", "crl_signing", "digital_signature"];

function days(name: string, field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`EkmCertificate ${name}: ${field} must be a whole number of days, at least ${min} (given ${value})`);
}

/**
 * The gateway's TLS certificate and what the EKM private endpoint trusts. Generated (default): a
 * long-lived private CA and a gateway certificate it issues for the gateway FQDN, renewed
 * `renewBeforeDays` before it expires; OCI Certificates imports the gateway certificate with the CA
 * as its chain, and the private endpoint's CA bundle is the CA. A renewal then adds a version to the
 * same Certificates entry (same OCID): the gateway, the private endpoint, the vault and the key
 * references stay as they are. Yours: your certificate, key and chain, and the chain's CA
 * certificates as the CA bundle.
 */
export class EkmCertificate extends pulumi.ComponentResource {
  /** OCID of the OCI Certificates entry the gateway uses. */
  public readonly certificateId: pulumi.Output<string>;
  /** The gateway certificate (PEM); public. */
  public readonly certificatePem: pulumi.Output<string>;
  /** The CA certificate(s) the EKM private endpoint trusts (PEM); public. Unchanged by renewals. */
  public readonly caBundle: pulumi.Output<string>;
  public readonly caPrivateKey?: tls.PrivateKey;
  public readonly ca?: tls.SelfSignedCert;
  public readonly privateKey?: tls.PrivateKey;
  public readonly certRequest?: tls.CertRequest;
  public readonly issuedCert?: tls.LocallySignedCert;
  public readonly certificate?: certificatesmanagement.Certificate;

  constructor(name: string, args: EkmCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    const own = args.certificatePem !== undefined;
    if (args.existingCertificateId !== undefined && !own) {
      throw new Error(`EkmCertificate ${name}: existingCertificateId needs certificatePem, the PEM it holds, and its chain (certChainPem) or caBundlePem`);
    }
    if ((args.certChainPem !== undefined || args.caBundlePem !== undefined) && !own) {
      throw new Error(`EkmCertificate ${name}: certChainPem and caBundlePem go with certificatePem (a generated certificate comes with its own CA)`);
    }
    if (args.existingCertificateId === undefined && own !== (args.privateKeyPem !== undefined)) {
      throw new Error(`EkmCertificate ${name}: certificatePem and privateKeyPem go together (both to import your certificate, neither to generate one)`);
    }
    if (own && args.issuer !== undefined) {
      throw new Error(`EkmCertificate ${name}: issuer goes with a generated certificate, not with certificatePem (your certificate comes with its own chain)`);
    }
    if (own && args.certChainPem === undefined && args.caBundlePem === undefined) {
      throw new Error(`EkmCertificate ${name}: with certificatePem, give certChainPem (the CA that issued it) or caBundlePem: the EKM private endpoint trusts a CA, never the gateway certificate itself`);
    }
    const validityDays = args.validityDays ?? DEFAULT_CERTIFICATE_VALIDITY_DAYS;
    const renewBeforeDays = args.renewBeforeDays ?? DEFAULT_CERTIFICATE_RENEW_BEFORE_DAYS;
    const caValidityDays = args.caValidityDays ?? DEFAULT_CA_VALIDITY_DAYS;
    days(name, "validityDays", validityDays, 1);
    days(name, "renewBeforeDays", renewBeforeDays, 0);
    days(name, "caValidityDays", caValidityDays, 1);
    if (renewBeforeDays >= validityDays) throw new Error(`EkmCertificate ${name}: renewBeforeDays (${renewBeforeDays}) must be less than validityDays (${validityDays})`);
    if (caValidityDays < validityDays) throw new Error(`EkmCertificate ${name}: caValidityDays (${caValidityDays}) must be at least validityDays (${validityDays})`);
    // Checked before anything is created, where the PEMs are plain text (a secret key is not readable here).
    if (own && typeof args.certificatePem === "string") {
      const problems = gatewayCertificateProblems({
        certificatePem: args.certificatePem,
        ...(typeof args.privateKeyPem === "string" ? { privateKeyPem: args.privateKeyPem } : {}),
        ...(typeof args.certChainPem === "string" ? { certChainPem: args.certChainPem } : {}),
        ...(typeof args.caBundlePem === "string" ? { caBundlePem: args.caBundlePem } : {}),
        ...(typeof args.gatewayHostname === "string" ? { gatewayHostname: args.gatewayHostname } : {}),
        chainUnreadable: [args.certChainPem, args.caBundlePem].some((v) => v !== undefined && typeof v !== "string"),
      });
      if (problems.length > 0) throw new Error(`EkmCertificate ${name}: ${problems.join("; ")}`);
    }
    super("oci-ekm-fortanix:index:EkmCertificate", name, {}, opts);
    const prefix = args.displayNamePrefix ?? name;

    let certificatePem: pulumi.Output<string>;
    let chainPem: pulumi.Output<string>;
    let privateKeyPem: pulumi.Output<string> | undefined;
    if (own) {
      certificatePem = pulumi.output(args.certificatePem!).apply(normalizePem);
      chainPem = pulumi.output(args.certChainPem ?? args.caBundlePem!).apply(normalizePem);
      this.caBundle = args.caBundlePem !== undefined
        ? pulumi.output(args.caBundlePem).apply(normalizePem)
        : pulumi.all([certificatePem, chainPem]).apply(([leaf, chain]) => caBundleOfChain(leaf, chain));
      if (args.privateKeyPem !== undefined) privateKeyPem = pulumi.secret(args.privateKeyPem);
    } else {
      const child = { parent: this };
      let caCertPem: pulumi.Output<string>;
      let caPrivateKeyPem: pulumi.Output<string>;
      if (args.issuer !== undefined) {
        caCertPem = pulumi.output(args.issuer.caCertPem);
        caPrivateKeyPem = pulumi.secret(args.issuer.caPrivateKeyPem);
      } else {
        this.caPrivateKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "RSA", rsaBits: 2048 }, child);
        this.ca = new tls.SelfSignedCert(
          `${name}-ca`,
          {
            privateKeyPem: this.caPrivateKey.privateKeyPem,
            subject: { commonName: `${prefix} EKM gateway CA`, organization: prefix },
            isCaCertificate: true,
            validityPeriodHours: caValidityDays * 24,
            allowedUses: GATEWAY_CA_USES,
          },
          child,
        );
        caCertPem = this.ca.certPem;
        caPrivateKeyPem = this.caPrivateKey.privateKeyPem;
      }
      // API Gateway takes an RSA key of 2048 to 4096 bits; @pulumi/tls writes it as PKCS#1, as it asks.
      this.privateKey = new tls.PrivateKey(`${name}-key`, { algorithm: "RSA", rsaBits: 2048 }, child);
      this.certRequest = new tls.CertRequest(
        `${name}-request`,
        { privateKeyPem: this.privateKey.privateKeyPem, subject: { commonName: args.gatewayHostname, organization: prefix }, dnsNames: [args.gatewayHostname] },
        child,
      );
      this.issuedCert = new tls.LocallySignedCert(
        `${name}-issued`,
        {
          certRequestPem: this.certRequest.certRequestPem,
          caPrivateKeyPem,
          caCertPem,
          validityPeriodHours: validityDays * 24,
          // Without it @pulumi/tls renews only once the certificate has expired: the TLS outage would
          // start before any `pulumi up` could help.
          earlyRenewalHours: renewBeforeDays * 24,
          allowedUses: GATEWAY_CERTIFICATE_USES,
        },
        child,
      );
      certificatePem = this.issuedCert.certPem.apply(normalizePem);
      chainPem = caCertPem.apply(normalizePem);
      this.caBundle = chainPem;
      // @pulumi/tls marks the key secret already; wrapping again keeps it secret under plain mocks too.
      privateKeyPem = pulumi.secret(this.privateKey.privateKeyPem);
    }

    if (args.existingCertificateId !== undefined) {
      this.certificateId = pulumi.output(args.existingCertificateId);
    } else {
      this.certificate = new certificatesmanagement.Certificate(
        `${name}-oci`,
        {
          compartmentId: args.compartmentId,
          name: args.certificateName ?? `${prefix}-gateway-cert`,
          description: pulumi.interpolate`TLS certificate of the EKM gateway ${args.gatewayHostname}`,
          // A new certificate (a renewal) is a new version of this entry: same OCID, updated in place.
          certificateConfig: { configType: "IMPORTED", certificatePem, certChainPem: chainPem, privateKeyPem: privateKeyPem! },
        },
        // The provider does not mark the imported private key sensitive.
        { parent: this, additionalSecretOutputs: ["certificateConfig"] },
      );
      this.certificateId = this.certificate.id;
    }
    this.certificatePem = certificatePem;
    this.registerOutputs({ certificateId: this.certificateId, certificatePem: this.certificatePem, caBundle: this.caBundle });
  }
}
