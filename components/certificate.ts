import * as oci from "@pulumi/oci";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface EkmCertificateArgs {
  /** Compartment OCID of the OCI Certificates entry. Required unless `existingCertificateId` is set. */
  compartmentId: pulumi.Input<string>;
  /** FQDN of the gateway, the certificate's common name and DNS name (seed 000, 5.0). Required. */
  gatewayHostname: pulumi.Input<string>;
  /** Validity of the generated self-signed certificate, in days. Default 365. */
  validityDays?: number;
  /** Your certificate (PEM) instead of a generated one. Default: a self-signed certificate. */
  certificatePem?: pulumi.Input<string>;
  /** Private key of `certificatePem` (PEM); kept a secret. Required with `certificatePem` unless `existingCertificateId` is set. */
  privateKeyPem?: pulumi.Input<string>;
  /** Chain of `certificatePem` (PEM). Default: the certificate itself, as for a self-signed one. */
  certChainPem?: pulumi.Input<string>;
  /** OCID of an OCI Certificates entry that already holds `certificatePem`: nothing is created. Default: import. */
  existingCertificateId?: pulumi.Input<string>;
  /** Name of the OCI Certificates entry, unique in the compartment. Default: `<displayNamePrefix>-gateway-cert`. */
  certificateName?: pulumi.Input<string>;
  /** Prefix of the display names. Default: the component name. */
  displayNamePrefix?: string;
}

/** Default validity of the generated self-signed certificate, in days. */
export const DEFAULT_CERTIFICATE_VALIDITY_DAYS = 365;

/** The certificate's usages a TLS server needs. */
export const GATEWAY_CERTIFICATE_USES = ["key_encipherment", "digital_signature", "server_auth"];

/**
 * The gateway's TLS certificate (seed 000, 5.1): a self-signed certificate for the gateway FQDN
 * (or the user's PEMs) imported into OCI Certificates, where the API Gateway picks it up. The same
 * PEM is the EKM private endpoint's CA bundle.
 */
export class EkmCertificate extends pulumi.ComponentResource {
  /** OCID of the OCI Certificates entry the gateway uses. */
  public readonly certificateId: pulumi.Output<string>;
  /** The certificate (PEM); public. */
  public readonly certificatePem: pulumi.Output<string>;
  public readonly privateKey?: tls.PrivateKey;
  public readonly selfSignedCert?: tls.SelfSignedCert;
  public readonly certificate?: oci.certificatesmanagement.Certificate;

  constructor(name: string, args: EkmCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.existingCertificateId !== undefined && args.certificatePem === undefined) {
      throw new Error(`EkmCertificate ${name}: existingCertificateId needs certificatePem, the PEM it holds (it is the private endpoint's CA bundle)`);
    }
    // A generated certificate is its own chain: a chain given with it belongs to another certificate.
    if (args.certChainPem !== undefined && args.certificatePem === undefined) {
      throw new Error(`EkmCertificate ${name}: certChainPem needs certificatePem, the certificate it is the chain of`);
    }
    if (args.existingCertificateId === undefined && (args.certificatePem === undefined) !== (args.privateKeyPem === undefined)) {
      throw new Error(`EkmCertificate ${name}: certificatePem and privateKeyPem go together (both to import your certificate, neither to generate one)`);
    }
    const validityDays = args.validityDays ?? DEFAULT_CERTIFICATE_VALIDITY_DAYS;
    if (!Number.isInteger(validityDays) || validityDays < 1) {
      throw new Error(`EkmCertificate ${name}: validityDays must be a whole number of days, at least 1 (given ${validityDays})`);
    }
    super("oci-ekm-fortanix:index:EkmCertificate", name, {}, opts);
    const prefix = args.displayNamePrefix ?? name;

    if (args.existingCertificateId !== undefined) {
      this.certificateId = pulumi.output(args.existingCertificateId);
      this.certificatePem = pulumi.output(args.certificatePem!);
      this.registerOutputs({ certificateId: this.certificateId, certificatePem: this.certificatePem });
      return;
    }

    let certificatePem: pulumi.Output<string>;
    let privateKeyPem: pulumi.Output<string>;
    if (args.certificatePem !== undefined) {
      certificatePem = pulumi.output(args.certificatePem);
      privateKeyPem = pulumi.secret(args.privateKeyPem!);
    } else {
      this.privateKey = new tls.PrivateKey(`${name}-key`, { algorithm: "RSA", rsaBits: 2048 }, { parent: this });
      this.selfSignedCert = new tls.SelfSignedCert(
        `${name}-self-signed`,
        {
          privateKeyPem: this.privateKey.privateKeyPem,
          subject: { commonName: args.gatewayHostname, organization: prefix },
          dnsNames: [args.gatewayHostname],
          validityPeriodHours: validityDays * 24,
          allowedUses: GATEWAY_CERTIFICATE_USES,
        },
        { parent: this },
      );
      certificatePem = this.selfSignedCert.certPem;
      // @pulumi/tls marks the key secret already; wrapping again keeps it secret under plain mocks too.
      privateKeyPem = pulumi.secret(this.privateKey.privateKeyPem);
    }

    this.certificate = new oci.certificatesmanagement.Certificate(
      `${name}-oci`,
      {
        compartmentId: args.compartmentId,
        name: args.certificateName ?? `${prefix}-gateway-cert`,
        description: pulumi.interpolate`TLS certificate of the EKM gateway ${args.gatewayHostname}`,
        certificateConfig: {
          configType: "IMPORTED",
          certificatePem,
          certChainPem: args.certChainPem ?? certificatePem,
          privateKeyPem,
        },
      },
      // The provider does not mark the imported private key sensitive.
      { parent: this, additionalSecretOutputs: ["certificateConfig"] },
    );

    this.certificateId = this.certificate.id;
    this.certificatePem = certificatePem;
    this.registerOutputs({ certificateId: this.certificateId, certificatePem: this.certificatePem });
  }
}
