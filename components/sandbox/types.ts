// The sandbox's public shapes: its options, its progress events, its result and what `--keep` hands on.
import type { RsaKeySource } from "../emulators/tls";
import type { EkmVerificationReport } from "../verify/run";
import type { EkmCallTiming } from "./oci-ekm-call";
import type { SandboxOverlay, SandboxStack } from "./stack";

/** One deliberate misconfiguration the sandbox can inject, each a way EKM breaks in practice. */
export type SandboxBreak = "audience" | "scope" | "issuer" | "signing-cert" | "key-name" | "rotation-not-followed" | "replica-audience";

export const SANDBOX_BREAKS: readonly SandboxBreak[] = ["audience", "scope", "issuer", "signing-cert", "key-name", "rotation-not-followed", "replica-audience"];

/** Progress of the sandbox, one event as each step starts and ends. */
export type SandboxEvent =
  | { kind: "start"; step: string }
  | { kind: "end"; step: SandboxStepResult }
  /** With a stack: the values the emulators replaced, once they are known (before `pulumi up`). */
  | { kind: "overlaid"; overlaid: SandboxOverlay[] };

export interface SandboxStepResult {
  name: string;
  status: "passed" | "failed" | "skipped";
  ms: number;
  /** What happened, in one line; never a secret or a token. */
  detail: string;
}

export interface SandboxOptions {
  /** The stack program to run (the project's `infra/` program). */
  program: () => Promise<object | void> | object | void;
  /**
   * The user's stack (see `readSandboxStack`): its config, with the emulators in place of the real
   * services, instead of the sandbox's built-in config. Default: the built-in config.
   */
  stack?: SandboxStack;
  /** Stack config by full key, on top of what the sandbox sets (emulator URLs, account id). Default: none. */
  config?: Record<string, unknown>;
  /** Inject one misconfiguration. Default: none. */
  break?: SandboxBreak;
  /**
   * Have the gateway validate tokens itself (the Azure AD and static-keys API Gateway articles): `remoteJwks` from the Identity Domain,
   * or `staticKeys` built from its JWKS with the JWKS adapter. Default: off, as in the stack config.
   */
  gatewayTokenValidation?: "remoteJwks" | "staticKeys";
  /** What the gateway forwards (`oci-ekm:gatewayRoute`): `all` or `ekmOnly`. Default: as in the stack config (`all`). */
  gatewayRoute?: "all" | "ekmOnly";
  /**
   * A replica of the vault in a second region (`eu-amsterdam-1`): the built-in stack gets
   * `replicaRegion`, as does a stack that has none. `--break replica-audience` implies it. Default: false.
   */
  replica?: boolean;
  /**
   * Have the emulated DSM answer OCI's Encrypt and Decrypt this many milliseconds late (a whole
   * number, 0 to 60000), to see OCI's budget for the key manager (1 s to answer, one retry) at work.
   * Default: 0, no delay.
   */
  dsmLatencyMs?: number;
  /** Leave the servers running; the caller ends them with `stop()`. Default: false. */
  keep?: boolean;
  /** Progress callback. Default: none. */
  onEvent?: (event: SandboxEvent) => void;
  /**
   * Stop early (SIGINT, SIGTERM): every server and host is stopped at once, the steps not yet run
   * are skipped, and the result comes back as failed. Default: none.
   */
  signal?: AbortSignal;
  /**
   * The program's directory, where Pulumi's dynamic-provider host runs (with that project's
   * @pulumi/pulumi) to create the DSM objects, as `pulumi up` runs it. Default: the current directory.
   */
  programDir?: string;
  /**
   * Where the run's throw-away RSA keys come from (the sandbox CA, the listeners' certificates, the
   * Identity Domain's signing key, the OCI API key, the gateway certificate's `tls.PrivateKey`).
   * Default: new keys (`freshRsaKeys`). A suite of runs passes `recycledRsaKeys()`.
   */
  rsaKeys?: RsaKeySource;
}

/** The sandbox's throw-away OCI API key: what an OCI config file names (the private key is a credential). */
export interface SandboxOciApiKey {
  tenancy: string;
  user: string;
  region: string;
  fingerprint: string;
  /** PKCS#8 PEM. Written only to a 0600 file, never printed. */
  privateKeyPem: string;
}

/** Where the running sandbox is, for `--keep` (the API keys are the sandbox's own throw-away credentials). */
export interface SandboxEndpoints {
  identityDomainUrl: string;
  dsmUrl: string;
  gatewayUrl: string;
  /** The external vault URL as this machine reaches it (through the emulated private endpoint). */
  localVaultUrl: string;
  /** With a replica: the vault URL as the replica region calls it, as this machine reaches it. */
  localReplicaVaultUrl?: string;
  gatewayHostname: string;
  /** PEM of the sandbox CA (Identity Domain, DSM and OCI Key Management listeners). */
  caPem: string;
  /** PEM of what the private endpoint trusts for the gateway: the stack's CA bundle (`caBundle` output). */
  gatewayCaBundlePem: string;
  dsmApiKey: string;
  /** The emulated OCI Key Management control plane (`https://kms.<region>.oraclecloud.com` at OCI). */
  ociKmsEndpoint: string;
  /** The API key the emulated OCI Key Management service accepts signatures of. */
  ociApiKey: SandboxOciApiKey;
  /** Stack outputs with secrets revealed, as `pulumi stack output --json --show-secrets` prints them. */
  stackOutputs: Record<string, unknown>;
}

export interface SandboxSummary {
  resourcesPlanned: number;
  dsmObjectsCreated: number;
  /** The dynamic-provider host processes that made and changed the DSM objects, and the SDK that ran them. */
  dsmHost: { processes: number; sdkVersion?: string };
  requestsServed: { identityDomain: number; gateway: number; dsm: number; ociKms: number };
  /** Steps by outcome. */
  steps: { passed: number; failed: number; skipped: number };
  /** verify's checks by outcome (`passed`, `failed`, `skipped`, and any other outcome verify reports). */
  checks: Record<string, number>;
  checksPassed: number;
  /** Checks that ran (not skipped). */
  checksRun: number;
}

/** OCI's calls to the key manager in this run, against OCI's budget (components/oci-ekm-budget.ts). */
export interface SandboxKeyManagerTimes {
  /** Every call the emulated OCI made to the key manager, in order, with where each attempt's time went. */
  calls: EkmCallTiming[];
  /** With `dsmLatencyMs`: the delay, and how many requests DSM delayed (each attempt is one). */
  dsmLatency?: { ms: number; delayedRequests: number };
}

export interface SandboxResult {
  ok: boolean;
  steps: SandboxStepResult[];
  /** The first step that failed. */
  failedStep?: SandboxStepResult;
  verification?: EkmVerificationReport;
  summary: SandboxSummary;
  /** With a stack: the values the emulators replaced. */
  overlaid: SandboxOverlay[];
  /** OCI's calls to the key manager and their time. */
  keyManager: SandboxKeyManagerTimes;
  endpoints?: SandboxEndpoints;
  /** Stops every server (a no-op unless `keep` was set). */
  stop(): Promise<void>;
}
