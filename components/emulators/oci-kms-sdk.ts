// Oracle's TypeScript SDK trusting the emulator's test CA, and only it: how the SDK is made to trust a
// CA is verify's (components/verify/oci-sdk.ts, `ociSdkTrusting`), which also serves real OCI.
import { ociSdkTrusting, type OciSdkTrust } from "../verify/oci-sdk";

export type { OciSdkTrust } from "../verify/oci-sdk";

/**
 * A `ClientConfiguration` under which the SDK's clients trust `caCertPem` and only it (the emulator's
 * test CA), without touching the process's other HTTPS clients.
 */
export function ociSdkTrustingCa(caCertPem: string): OciSdkTrust {
  return ociSdkTrusting([caCertPem]);
}
