// The local main job: the whole topology on this machine (see run.ts).
export * from "./run";
export * from "./stack";
export * from "./report";
export { SANDBOX_OPTIONS, SANDBOX_USAGE, parseSandboxArgs, sandboxCommand, type SandboxArgs, type SandboxCommandIo } from "./command";
export {
  OciVaultClient,
  OciVaultCallError,
  type OciVaultView,
  type SandboxNetwork,
  type EkmCiphertext,
  type EkmVaultMetadata,
  type EkmKeyMetadata,
  type EkmKeyVersionMetadata,
} from "./oci-vault";
export type { EkmAttemptOutcome, EkmAttemptTiming, EkmCallTiming, EkmHopTimes } from "./oci-ekm-call";
export { DSM_CRYPTO_PATH, SANDBOX_MAX_DSM_LATENCY_MS, describeEkmAttempt, describeEkmCall } from "./budget";
