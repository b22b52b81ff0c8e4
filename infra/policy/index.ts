// The policy pack a reviewer runs with `pulumi preview --policy-pack infra/policy`.
// The policies live in policies.ts so that tests import them without starting the pack's server.
import { PolicyPack } from "@pulumi/policy";
import { ekmPolicies } from "./policies";

new PolicyPack("oci-ekm", {
  description: "Invariants of the OCI Vault External Key Management topology backed by Fortanix DSM.",
  enforcementLevel: "mandatory",
  policies: ekmPolicies,
});
