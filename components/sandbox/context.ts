// Everything one sandbox run holds: the emulated services, the registrations of each program run,
// the stack outputs, the step runner, and the one way to stop it all (`stopAll`), which every path
// takes: the end of a run, `stop()` of a kept one, a throw, and the abort signal.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DsmEmulator } from "../emulators/dsm";
import type { ApiGatewayEmulator } from "../emulators/gateway";
import { EkmHopClock } from "../emulators/hop-clock";
import { IdentityDomainEmulator } from "../emulators/identity-domain";
import { OciKmsEmulator } from "../emulators/oci-kms";
import { ociApiKeyOf, writeOciApiKeyConfig } from "../emulators/oci-kms-config";
import type { PrivateEndpointEmulator } from "../emulators/private-endpoint";
import { createTestCertificateAuthority, freshRsaKeys, issueServerCertificate, type PemKeyPair, type RsaKeyMaker } from "../emulators/tls";
import type { PlanResult } from "../plan/engine";
import type { HostedResourceState } from "../testing/engine-steps";
import { DynamicProviderHost } from "../testing/provider-host";
import { keyManagerFailureNotes } from "./budget";
import type { SandboxOciKmsApi } from "./oci-kms-api";
import type { SandboxReplica } from "./replica";
import type { OciVaultClient, SandboxNetwork } from "./oci-vault";
import { RegisteredResources, type Registered } from "./resources";
import type { SandboxStack, sandboxStackConfig } from "./stack";
import { StepRunner } from "./step-runner";
import type { SandboxOciApiKey, SandboxOptions } from "./types";

const SANDBOX_ENV = ["DSM_ENDPOINT", "DSM_API_KEY", "DSM_CA_BUNDLE", "DSM_USERNAME", "DSM_PASSWORD", "DSM_ACCT_ID"] as const;

/** The region of the emulated OCI Key Management service and of the sandbox's OCI config. */
export const SANDBOX_OCI_REGION = "eu-frankfurt-1";

/** The emulated VCN as the program registered it: where the gateway and the private endpoint listen. */
export interface SandboxWiring {
  network: SandboxNetwork;
  gatewayIp: string;
  privateEndpoint: Registered;
}

/** How the program is run: the config and stack it is given (the rotation runs it again with `rotate` set). */
export interface SandboxProgramConfig {
  config: Record<string, unknown>;
  project: string;
  stack?: string;
  secretKeys?: string[];
}

/** The sandbox's OCI user: its throw-away API key, and an OCI config file naming it (for the SDK and verify). */
export interface SandboxOciUser {
  apiKey: SandboxOciApiKey;
  configFile: string;
  /** The temporary folder of the config and key files, removed by `stopAll`. */
  dir: string;
}

export class SandboxContext {
  readonly runner: StepRunner;
  /** When the gateway and DSM held each call of OCI to the key manager: where a call's time went. */
  readonly hopClock = new EkmHopClock();
  /** This run's RSA keys: the CA's, the listeners', the Identity Domain's, the OCI API key, the gateway certificate's. */
  readonly rsaKeys: RsaKeyMaker;
  readonly ca: PemKeyPair;
  readonly identity: IdentityDomainEmulator;
  /** OCI's Key Management service, its listener issued by the sandbox CA (so that `.sandbox/ca.pem` covers it). */
  readonly ociKms: OciKmsEmulator;
  dsm?: DsmEmulator;
  dsmApiKey = "";
  ociUser?: SandboxOciUser;
  gateway?: ApiGatewayEmulator;
  privateEndpoint?: PrivateEndpointEmulator;
  wiring?: SandboxWiring;
  /** OCI Vault's side of the external key manager: token, then the vault URL through the private endpoint. */
  vaultClient?: OciVaultClient;
  /** Oracle's SDK clients for the vault's management and crypto endpoints. */
  ociApi?: SandboxOciKmsApi;
  /** The vault's replica, once the program declared it and OCI created it (its chain started). */
  replica?: SandboxReplica;
  /** The DSM objects are made by Pulumi's dynamic-provider host, one host per CLI command. */
  readonly hosts: DynamicProviderHost[] = [];
  /** The state file's DSM entries, by resource name: what the next run's Check and Diff start from. */
  readonly dsmStates = new Map<string, HostedResourceState>();
  dsmObjectsCreated = 0;
  /** The registrations of the latest program run. */
  registered = new RegisteredResources();
  /** The first `pulumi up`. */
  plan?: PlanResult;
  /** The stack outputs with secrets revealed, of the latest run that completed. */
  stackOutputs?: Record<string, unknown>;
  programConfig?: SandboxProgramConfig;
  stackRun?: ReturnType<typeof sandboxStackConfig>;
  private readonly savedEnv: Record<string, string | undefined>;
  private stopping?: Promise<void>;
  private readonly onAbort = (): void => void this.stopAll().catch(() => undefined);

  constructor(readonly options: SandboxOptions) {
    this.runner = new StepRunner(options.onEvent, options.signal, keyManagerFailureNotes(this));
    this.rsaKeys = (options.rsaKeys ?? freshRsaKeys)();
    this.ca = createTestCertificateAuthority("oci-ekm sandbox CA", this.rsaKeys);
    const tls = this.loopbackCert();
    this.identity = new IdentityDomainEmulator({ tls: { cert: tls.certPem, key: tls.keyPem }, signingKeyPem: this.rsaKeys().privateKeyPem });
    this.ociKms = new OciKmsEmulator({ ca: this.ca, region: SANDBOX_OCI_REGION, rsaKeys: this.rsaKeys });
    this.savedEnv = Object.fromEntries(SANDBOX_ENV.map((k) => [k, process.env[k]]));
    options.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  get stack(): SandboxStack | undefined {
    return this.options.stack;
  }

  get aborted(): boolean {
    return this.options.signal?.aborted === true;
  }

  /** A server or client made after the stop request would outlive the sandbox: nothing new starts then. */
  throwIfAborted(): void {
    if (this.aborted) throw new Error("the sandbox was asked to stop");
  }

  loopbackCert(): { certPem: string; keyPem: string } {
    return issueServerCertificate(this.ca, { commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"], dnsNames: ["localhost"] }, this.rsaKeys);
  }

  /** The emulated DSM; throws before it started. */
  requireDsm(): DsmEmulator {
    if (!this.dsm) throw new Error("the emulated DSM did not start");
    return this.dsm;
  }

  /** Starts DSM and points the DSM provider at it through the environment, as a user's shell would. */
  async startDsm(accountId: string | undefined): Promise<DsmEmulator> {
    const tls = this.loopbackCert();
    const dsm = new DsmEmulator({ tls: { cert: tls.certPem, key: tls.keyPem }, trustedCa: this.ca.certPem, hopClock: this.hopClock, ...(accountId ? { accountId } : {}) });
    await dsm.start();
    this.dsm = dsm;
    this.dsmApiKey = dsm.createApiKey({ role: "admin", name: "sandbox-automation" });
    process.env.DSM_ENDPOINT = dsm.url;
    process.env.DSM_API_KEY = this.dsmApiKey;
    process.env.DSM_CA_BUNDLE = this.ca.certPem;
    for (const k of ["DSM_USERNAME", "DSM_PASSWORD", "DSM_ACCT_ID"]) delete process.env[k];
    return dsm;
  }

  /** Creates the sandbox's OCI user: a throw-away API key registered with OCI, and a config file naming it. */
  createOciUser(): SandboxOciUser {
    const tenancy = "ocid1.tenancy.oc1..aaaaaaaasandboxtenancy";
    const user = "ocid1.user.oc1..aaaaaaaasandboxuser";
    const key = ociApiKeyOf(this.rsaKeys());
    this.ociKms.registerApiKey(tenancy, user, key.publicKeyPem);
    const dir = mkdtempSync(path.join(tmpdir(), "oci-ekm-sandbox-oci-"));
    const files = writeOciApiKeyConfig(dir, { tenancy, user, region: SANDBOX_OCI_REGION }, key);
    this.ociUser = {
      apiKey: { tenancy, user, region: SANDBOX_OCI_REGION, fingerprint: key.fingerprint, privateKeyPem: key.privateKeyPem },
      configFile: files.configFile,
      dir,
    };
    return this.ociUser;
  }

  /** A dynamic-provider host for one CLI command, configured with the sandbox's DSM. */
  async startHost(): Promise<DynamicProviderHost> {
    const host = await DynamicProviderHost.start({ programDir: this.options.programDir ?? process.cwd() });
    this.hosts.push(host);
    // A host that came up after the stop request would outlive the sandbox.
    if (this.aborted) {
      await host.stop();
      throw new Error("the sandbox was asked to stop");
    }
    await host.configure({ "dsm:endpoint": this.requireDsm().url, "dsm:apiKey": this.dsmApiKey, "dsm:caBundle": this.ca.certPem }, ["dsm:apiKey"]);
    return host;
  }

  /**
   * Stops every server and host, removes the OCI config files and restores the environment, even
   * when one stop fails; once, whoever asks first.
   */
  stopAll(): Promise<void> {
    return (this.stopping ??= this.stopEverything());
  }

  private async stopEverything(): Promise<void> {
    this.options.signal?.removeEventListener("abort", this.onAbort);
    try {
      this.vaultClient?.close();
      this.replica?.client?.close();
      const stops = await Promise.allSettled([
        this.ociApi?.close(),
        this.replica?.api?.close(),
        this.replica?.chain.gateway.stop(),
        this.replica?.chain.privateEndpointEmulator.stop(),
        this.identity.stop(),
        this.dsm?.stop(),
        this.gateway?.stop(),
        this.privateEndpoint?.stop(),
        this.ociKms.stop(),
        ...this.hosts.map((h) => h.stop()),
      ]);
      const failed = stops.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed) throw failed.reason;
    } finally {
      if (this.ociUser) rmSync(this.ociUser.dir, { recursive: true, force: true });
      for (const k of SANDBOX_ENV) {
        if (this.savedEnv[k] === undefined) delete process.env[k];
        else process.env[k] = this.savedEnv[k];
      }
    }
  }
}
