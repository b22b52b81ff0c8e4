import * as identity from "@pulumi/oci/identity";
import * as pulumi from "@pulumi/pulumi";

export interface EkmPoliciesArgs {
  /** The group that runs and operates the EKM stack, as a policy names it: `ekm-operators`, or `'<domain>'/'<group>'` in an identity domain. Required. */
  operatorsGroup: string;
  /** Compartment OCID of the EKM resources (network, gateway, certificate, private endpoint, vault, keys). Required. */
  compartmentId: pulumi.Input<string>;
  /** Where the policy is attached: the compartment or one of its parents (the tenancy). Default: `compartmentId`. */
  policyCompartmentId?: pulumi.Input<string>;
  /** Compartment OCID of the identity domain (the tenancy for the Default domain), to let the group manage its apps and settings (`manage domains`) through a second policy attached there. Default: none (give the group the domain's Application Administrator role instead, as Oracle recommends). */
  identityDomainCompartmentId?: pulumi.Input<string>;
  /** Name of the policy. Default: `<displayNamePrefix>-ekm-operators`. */
  policyName?: string;
  /** Prefix of the display names. Default: the component name. */
  displayNamePrefix?: string;
}

/** One statement and where Oracle documents it. */
export interface EkmPolicyStatement {
  statement: string;
  source: string;
}

/**
 * The statements an EKM operators group needs in a compartment, each with Oracle's page. The
 * compartment is named by OCID (`compartment id ocid1.compartment…`), which statements accept.
 */
export function ekmPolicyStatements(group: string, compartmentId: string): EkmPolicyStatement[] {
  const where = `in compartment id ${compartmentId}`;
  return [
    // "Create a policy to manage (create, update and delete) External KMS private endpoints".
    { statement: `Allow group ${group} to manage ekms-private-endpoints ${where}`, source: "https://docs.oracle.com/iaas/Content/KeyManagement/Tasks/ekms_configuring_iam_policies.htm" },
    // "The External KMS private endpoints need a policy to manage Virtual Networks too."
    { statement: `Allow group ${group} to manage virtual-network-family ${where}`, source: "https://docs.oracle.com/iaas/Content/KeyManagement/Tasks/ekms_configuring_iam_policies.htm" },
    // "Policy example to manage Vaults" (EKM) and "Let security admins manage vaults, keys, and secrets".
    { statement: `Allow group ${group} to manage vaults ${where}`, source: "https://docs.oracle.com/iaas/Content/Identity/policiescommon/commonpolicies.htm" },
    { statement: `Allow group ${group} to manage keys ${where}`, source: "https://docs.oracle.com/iaas/Content/Identity/policiescommon/commonpolicies.htm" },
    // "Create a Policy to Give API Gateway Users Access to API Gateway-Related Resources" (api-gateways,
    // api-deployments, api-certificates, …; CreateGateway also needs `use api-certificates`).
    { statement: `Allow group ${group} to manage api-gateway-family ${where}`, source: "https://docs.oracle.com/iaas/Content/APIGateway/Tasks/apigatewaycreatingpolicies.htm" },
    // Importing the gateway certificate into OCI Certificates, and the certificate association API
    // Gateway creates with it (CreateAssociation needs `manage certificate-associations`, part of the family).
    { statement: `Allow group ${group} to manage leaf-certificate-family ${where}`, source: "https://docs.oracle.com/iaas/Content/certificates/managing-certificates.htm" },
  ];
}

/**
 * The statement that lets the group manage the identity domain's apps and settings. A policy
 * grants access only in the compartment it is attached to and those below it, so this one is
 * attached to the domain's compartment (the tenancy, for the Default domain), not the EKM one.
 */
export function ekmDomainPolicyStatement(group: string, identityDomainCompartmentId: string): EkmPolicyStatement {
  const where = identityDomainCompartmentId.startsWith("ocid1.tenancy.") ? "in tenancy" : `in compartment id ${identityDomainCompartmentId}`;
  // "To manage applications, you must … Be a member of a group granted manage domains".
  return { statement: `Allow group ${group} to manage domains ${where}`, source: "https://docs.oracle.com/iaas/Content/Identity/applications/overview.htm" };
}

/**
 * IAM for the EKM topology: one policy letting the operators group manage the EKM private
 * endpoint, the network, the vault and keys, the API Gateway and its certificate, and optionally
 * the identity domain's apps. Policies take effect within seconds but are global: create them with
 * a tenancy administrator's credentials, ahead of the first `pulumi up` of the operators.
 */
export class EkmPolicies extends pulumi.ComponentResource {
  /** OCID of the policy. */
  public readonly policyId: pulumi.Output<string>;
  /** The statements, as attached. */
  public readonly statements: pulumi.Output<string[]>;
  public readonly policy: identity.Policy;
  /** OCID of the policy in the identity domain's compartment, when `identityDomainCompartmentId` is set. */
  public readonly domainPolicyId?: pulumi.Output<string>;
  public readonly domainPolicy?: identity.Policy;

  constructor(name: string, args: EkmPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    if (!/^('[^']+'\/)?'?[A-Za-z0-9_.@-]+'?$/.test(args.operatorsGroup)) {
      throw new Error(`EkmPolicies ${name}: operatorsGroup is ${JSON.stringify(args.operatorsGroup)}; expected a group name such as ekm-operators, or '<domain>'/'<group>'`);
    }
    super("oci-ekm-fortanix:index:EkmPolicies", name, {}, opts);
    const prefix = args.displayNamePrefix ?? name;
    this.statements = pulumi.output(args.compartmentId).apply((compartmentId) => ekmPolicyStatements(args.operatorsGroup, compartmentId).map((s) => s.statement));
    this.policy = new identity.Policy(
      `${name}-policy`,
      {
        compartmentId: args.policyCompartmentId ?? args.compartmentId,
        name: args.policyName ?? `${prefix}-ekm-operators`,
        description: `Lets ${args.operatorsGroup} run the OCI Vault External Key Management stack backed by Fortanix DSM`,
        statements: this.statements,
      },
      { parent: this },
    );
    if (args.identityDomainCompartmentId !== undefined) {
      const domainCompartment = args.identityDomainCompartmentId;
      this.domainPolicy = new identity.Policy(
        `${name}-domain-policy`,
        {
          compartmentId: domainCompartment,
          name: `${args.policyName ?? `${prefix}-ekm-operators`}-domain`,
          description: `Lets ${args.operatorsGroup} manage the identity domain apps of the OCI Vault External Key Management stack`,
          statements: [pulumi.output(domainCompartment).apply((id) => ekmDomainPolicyStatement(args.operatorsGroup, id).statement)],
        },
        { parent: this },
      );
    }
    this.policyId = this.policy.id;
    this.domainPolicyId = this.domainPolicy?.id;
    this.registerOutputs({ policyId: this.policyId, statements: this.statements, domainPolicyId: this.domainPolicyId });
  }
}
