// The sandbox: the real stack program, run in-process under mocks whose answers come from emulated
// services, then exercised the way OCI Vault uses it (the Fortanix EKM guide, section 11) and checked by `verify`.
import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { DsmClient } from "../dsm/client";
import { DSM_TYPE_TOKENS } from "../dsm/schemas";
import { DsmEmulator } from "../emulators/dsm";
import { ApiGatewayEmulator, type GatewayDeploymentSpec } from "../emulators/gateway";
import { IdentityDomainEmulator } from "../emulators/identity-domain";
import { PrivateEndpointEmulator } from "../emulators/private-endpoint";
import {
  certificateRequestPem,
  createTestCertificateAuthority,
  generateRsaKeyPem,
  issueServerCertificate,
  selfSignedCertificatePem,
  signCertificateRequestPem,
} from "../emulators/tls";
import { planRevealSecrets, runStackInProcess, type PlanMockResult, type PlanResult } from "../plan/engine";
import { dsmReaderFromClient } from "../verify/dsm-checks";
import { EKM_API_PATH, GATEWAY_ROUTE_PATH, OCI_EKMS_SCOPE } from "../urls";
import { ekmHttpRequest } from "../verify/http";
import { adaptJwksForApiGateway } from "../verify/jwks-adapter";
import { runEkmVerification, type EkmVerificationReport } from "../verify/run";
import { DynamicProviderHost } from "../testing/provider-host";
import { type HostedResourceState, upResource } from "../testing/engine-steps";
import { OciVaultClient, type EkmCiphertext, type SandboxNetwork } from "./oci-vault";
import { sandboxStackConfig, type SandboxOverlay, type SandboxStack } from "./stack";

/** One deliberate misconfiguration the sandbox can inject, each a way the Fortanix EKM guide says EKM breaks. */
export type SandboxBreak = "audience" | "scope" | "issuer" | "signing-cert" | "key-name";

export const SANDBOX_BREAKS: readonly SandboxBreak[] = ["audience", "scope", "issuer", "signing-cert", "key-name"];

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
}

/** Where the running sandbox is, for `--keep` (the API key is the sandbox's own throw-away credential). */
export interface SandboxEndpoints {
  identityDomainUrl: string;
  dsmUrl: string;
  gatewayUrl: string;
  /** The external vault URL as this machine reaches it (through the emulated private endpoint). */
  localVaultUrl: string;
  gatewayHostname: string;
  /** PEM of the sandbox CA (Identity Domain and DSM listeners). */
  caPem: string;
  /** PEM of what the private endpoint trusts for the gateway: the stack's CA bundle (`caBundle` output). */
  gatewayCaBundlePem: string;
  dsmApiKey: string;
  /** Stack outputs with secrets revealed, as `pulumi stack output --json --show-secrets` prints them. */
  stackOutputs: Record<string, unknown>;
}

export interface SandboxSummary {
  resourcesPlanned: number;
  dsmObjectsCreated: number;
  /** The dynamic-provider host processes that made and changed the DSM objects, and the SDK that ran them. */
  dsmHost: { processes: number; sdkVersion?: string };
  requestsServed: { identityDomain: number; gateway: number; dsm: number };
  /** Steps by outcome. */
  steps: { passed: number; failed: number; skipped: number };
  /** verify's checks by outcome (`passed`, `failed`, `skipped`, and any other outcome verify reports). */
  checks: Record<string, number>;
  checksPassed: number;
  /** Checks that ran (not skipped). */
  checksRun: number;
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
  endpoints?: SandboxEndpoints;
  /** Stops every server (a no-op unless `keep` was set). */
  stop(): Promise<void>;
}

const T = {
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  certRequest: "tls:index/certRequest:CertRequest",
  locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
  domainsSetting: "oci:Identity/domainsSetting:DomainsSetting",
  domainsApp: "oci:Identity/domainsApp:DomainsApp",
  gateway: "oci:ApiGateway/gateway:Gateway",
  deployment: "oci:ApiGateway/deployment:Deployment",
  certificate: "oci:CertificatesManagement/certificate:Certificate",
  privateEndpoint: "oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint",
  vault: "oci:Kms/vault:Vault",
  keyReference: "oci:Kms/key:Key",
  dsmGroup: DSM_TYPE_TOKENS.group,
  dsmJwtApp: DSM_TYPE_TOKENS.jwtApp,
  dsmSecurityObject: DSM_TYPE_TOKENS.securityObject,
} as const;

/** A resource as the sandbox's mocks saw it: inputs with secrets revealed, and the state it answered. */
interface Registered {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
}

type Props = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v));
const obj = (v: unknown): Props => (typeof v === "object" && v !== null ? (v as Props) : {});

/**
 * The misconfiguration of each `--break`, applied as a stack transformation so it reaches the
 * resources exactly as a wrong value in a component would.
 */
function breakTransformation(kind: SandboxBreak): pulumi.ResourceTransformation | undefined {
  const edit = (type: string, change: (props: Props) => Props | undefined): pulumi.ResourceTransformation => (args) => {
    if (args.type !== type) return undefined;
    const props = change(args.props as Props);
    return props ? { props, opts: args.opts } : undefined;
  };
  switch (kind) {
    case "audience":
      // The DSM URL missing from the resource app's audiences.
      return edit(T.domainsApp, (p) => (p.isOauthResource ? { ...p, secondaryAudiences: ["https://eu.smartkey.io"] } : undefined));
    case "scope":
      // A scope value one letter off, consistently on both apps: a token is issued, without oci_ekms.
      return edit(T.domainsApp, (p) => {
        if (p.isOauthResource) return { ...p, scopes: [{ value: "oci_ekm", requiresConsent: false }] };
        if (p.allowedScopes === undefined) return undefined;
        const scopes = pulumi
          .output(p.allowedScopes as pulumi.Input<{ fqs: string }[]>)
          .apply((list) => list.map((s) => ({ ...s, fqs: s.fqs.replace(/oci_ekms$/, "oci_ekm") })));
        return { ...p, allowedScopes: scopes };
      });
    case "issuer":
      return edit(T.dsmJwtApp, (p) => ({ ...p, validIssuers: ["https://idcs-wrong.identity.oraclecloud.com/"] }));
    case "signing-cert":
      return edit(T.domainsSetting, (p) => ({ ...p, signingCertPublicAccess: false }));
    case "key-name":
      // Applied after `up`: someone renames the key in the DSM console (the Fortanix EKM guide, 10.2 warning).
      return undefined;
  }
}

class StepRunner {
  readonly steps: SandboxStepResult[] = [];
  constructor(
    private readonly onEvent?: (e: SandboxEvent) => void,
    private readonly signal?: AbortSignal,
  ) {}

  get failed(): SandboxStepResult | undefined {
    return this.steps.find((s) => s.status === "failed");
  }

  skip(name: string, why: string): void {
    const step: SandboxStepResult = { name, status: "skipped", ms: 0, detail: why };
    this.steps.push(step);
    this.onEvent?.({ kind: "end", step });
  }

  /**
   * Runs a step unless an earlier one failed (or `always`); returns its value, or undefined when it
   * threw or was skipped. A body may also fail with a value (`failed: true`), as `verify` does.
   */
  async run<V>(name: string, body: () => Promise<{ value: V; detail: string; failed?: boolean }>, always = false): Promise<V | undefined> {
    if (this.signal?.aborted) {
      this.skip(name, "not run: the sandbox was asked to stop");
      return undefined;
    }
    const earlier = this.failed;
    if (earlier && !always) {
      this.skip(name, `after "${earlier.name}" failed`);
      return undefined;
    }
    this.onEvent?.({ kind: "start", step: name });
    const started = performance.now();
    let step: SandboxStepResult;
    let value: V | undefined;
    try {
      const out = await body();
      value = out.value;
      step = { name, status: out.failed ? "failed" : "passed", ms: performance.now() - started, detail: out.detail };
    } catch (err) {
      step = { name, status: "failed", ms: performance.now() - started, detail: err instanceof Error ? err.message : String(err) };
    }
    // Whatever it returned, a step the stop request cut short did not do its work.
    if (this.signal?.aborted) step = { ...step, status: "failed", detail: "stopped while it ran: the sandbox was asked to stop" };
    this.steps.push(step);
    this.onEvent?.({ kind: "end", step });
    return value;
  }
}

/** The step that shows the gateway refusing a token without the `oci_ekms` scope (gateway token validation only). */
export const SANDBOX_SCOPE_REFUSAL_STEP = `the gateway refuses a token without the ${OCI_EKMS_SCOPE} scope (gateway token validation)`;

/**
 * The stack outputs after a `pulumi up` that rotated `keyName`: its entry of `dsmKeyIds` (same
 * order as `keyNames`) is the successor's kid. Outputs without that key come back unchanged.
 */
export function stackOutputsAfterRotation(outputs: Record<string, unknown>, keyName: string, newKid: string): Record<string, unknown> {
  const names = outputs.keyNames;
  const ids = outputs.dsmKeyIds;
  if (!Array.isArray(names) || !Array.isArray(ids)) return outputs;
  const index = names.indexOf(keyName);
  if (index === -1 || index >= ids.length) return outputs;
  return { ...outputs, dsmKeyIds: ids.map((id: unknown, i) => (i === index ? newKid : id)) };
}

/** verify's checks by outcome: passed, failed and skipped always, then any other outcome in order of appearance. */
export function countChecks(checks: readonly { status: string }[]): Record<string, number> {
  const counts: Record<string, number> = { passed: 0, failed: 0, skipped: 0 };
  for (const c of checks) counts[c.status] = (counts[c.status] ?? 0) + 1;
  return counts;
}

const SANDBOX_ENV = ["DSM_ENDPOINT", "DSM_API_KEY", "DSM_CA_BUNDLE", "DSM_USERNAME", "DSM_PASSWORD", "DSM_ACCT_ID"] as const;

/**
 * Stands the topology up on this machine and uses it: emulated Identity Domain and DSM (HTTPS,
 * sandbox CA), the real stack program under mocks answered by them (DSM objects created for real
 * through the providers), an emulated gateway and private endpoint built from what the program
 * registered, OCI Vault's calls through them, a key rotation, and `verify`.
 */
export async function runSandbox(options: SandboxOptions): Promise<SandboxResult> {
  const runner = new StepRunner(options.onEvent, options.signal);
  const ca = createTestCertificateAuthority("oci-ekm sandbox CA");
  const loopbackCert = () => issueServerCertificate(ca, { commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"], dnsNames: ["localhost"] });
  const identityTls = loopbackCert();
  const dsmTls = loopbackCert();
  const identity = new IdentityDomainEmulator({ tls: { cert: identityTls.certPem, key: identityTls.keyPem } });
  let dsm: DsmEmulator | undefined;
  let gateway: ApiGatewayEmulator | undefined;
  let privateEndpoint: PrivateEndpointEmulator | undefined;
  const savedEnv = Object.fromEntries(SANDBOX_ENV.map((k) => [k, process.env[k]]));
  let client: OciVaultClient | undefined;
  // The DSM objects are made by Pulumi's dynamic-provider host from the providers the program
  // serialized, one host per CLI command, as `pulumi up` makes them.
  const hosts: DynamicProviderHost[] = [];
  const dsmStates = new Map<string, HostedResourceState>();
  const startHost = async (): Promise<DynamicProviderHost> => {
    const host = await DynamicProviderHost.start({ programDir: options.programDir ?? process.cwd() });
    hosts.push(host);
    // A host that came up after the stop request would outlive the sandbox.
    if (options.signal?.aborted) {
      await host.stop();
      throw new Error("the sandbox was asked to stop");
    }
    await host.configure({ "dsm:endpoint": dsm!.url, "dsm:apiKey": dsmApiKey, "dsm:caBundle": ca.certPem }, ["dsm:apiKey"]);
    return host;
  };
  // Every server is stopped and the environment restored even when one stop fails; once, whoever
  // asks first (the end of the run, `stop()`, or the abort signal).
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> => (stopping ??= stopEverything());
  const stopEverything = async (): Promise<void> => {
    try {
      client?.close();
      const stops = await Promise.allSettled([identity.stop(), dsm?.stop(), gateway?.stop(), privateEndpoint?.stop(), ...hosts.map((h) => h.stop())]);
      const failed = stops.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed) throw failed.reason;
    } finally {
      for (const k of SANDBOX_ENV) {
        if (savedEnv[k] === undefined) delete process.env[k];
        else process.env[k] = savedEnv[k];
      }
    }
  };

  const onAbort = (): void => void stopAll().catch(() => undefined);
  options.signal?.addEventListener("abort", onAbort, { once: true });

  const registered: Registered[] = [];
  const byType = (type: string) => registered.filter((r) => r.type === type);
  const byId = (type: string, id: unknown) => registered.find((r) => r.type === type && r.id === id);
  let plan: PlanResult | undefined;
  let dsmApiKey = "";
  let dsmObjectsCreated = 0;
  let stackRun: ReturnType<typeof sandboxStackConfig> | undefined;
  // A stack's DSM account id is only an identifier: the emulated DSM takes it as its own, so the
  // vault URL keeps the user's account. One that is no UUID stays, for validation to report.
  const stackAccountId = options.stack?.config[`${options.stack.project}:dsmAccountId`];
  const accountId = stackAccountId !== undefined && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(stackAccountId) ? stackAccountId : undefined;

  try {
    // 1. The services the topology talks to.
    await runner.run("start the emulated Identity Domain and DSM", async () => {
      await identity.start();
      // DSM's public URL is its loopback URL here, so the token audience, the gateway backend and
      // the JWT app all name the same DSM.
      const dsmProbe = new DsmEmulator({ tls: { cert: dsmTls.certPem, key: dsmTls.keyPem }, trustedCa: ca.certPem, ...(accountId ? { accountId } : {}) });
      await dsmProbe.start();
      dsm = dsmProbe;
      dsmApiKey = dsm.createApiKey({ role: "admin", name: "sandbox-automation" });
      process.env.DSM_ENDPOINT = dsm.url;
      process.env.DSM_API_KEY = dsmApiKey;
      process.env.DSM_CA_BUNDLE = ca.certPem;
      for (const k of ["DSM_USERNAME", "DSM_PASSWORD", "DSM_ACCT_ID"]) delete process.env[k];
      if (options.stack) {
        stackRun = sandboxStackConfig(
          options.stack,
          { identityDomainUrl: identity.url, dsmUrl: dsm.url, staticKeys: adaptJwksForApiGateway(identity.jwks).keys },
          { gatewayTokenValidation: options.gatewayTokenValidation, gatewayRoute: options.gatewayRoute },
        );
        options.onEvent?.({ kind: "overlaid", overlaid: stackRun.overlaid });
      }
      return { value: undefined, detail: `Identity Domain ${identity.url}, DSM ${dsm.url} (account ${dsm.accountId})` };
    });

    // 2. `pulumi up` of the real program, every resource answered by the emulators.
    plan = await runner.run("pulumi up (in-process, mocks answered by the emulators, DSM through Pulumi's dynamic-provider host)", async () => {
      const d = dsm!;
      let upHost: Promise<DynamicProviderHost> | undefined;
      // Identity resources land in the domain their idcsEndpoint names; here there is only one. A
      // mismatch is reported once the program has run: a throwing mock would leave its dependents waiting.
      const wrongDomain: string[] = [];
      const inDomain = (name: string, inputs: Props): void => {
        if (str(inputs.idcsEndpoint).replace(/\/+$/, "") !== identity.url) {
          wrongDomain.push(`${name}: idcsEndpoint ${str(inputs.idcsEndpoint)} is not the Identity Domain ${identity.url}`);
        }
      };
      const answer = async (args: MockResourceArgs, defaults: PlanMockResult): Promise<PlanMockResult | undefined> => {
        const inputs = planRevealSecrets(args.inputs) as Props;
        let result: PlanMockResult | undefined;
        switch (args.type) {
          case T.privateKey: {
            const key = generateRsaKeyPem(Number(inputs.rsaBits ?? 2048));
            result = { id: defaults.id, state: { ...defaults.state, privateKeyPem: key.privateKeyPem, publicKeyPem: key.publicKeyPem } };
            break;
          }
          case T.selfSignedCert: {
            const subject = obj(inputs.subject);
            const certPem = selfSignedCertificatePem(
              str(inputs.privateKeyPem),
              {
                commonName: str(subject.commonName) || str((inputs.dnsNames as string[] | undefined)?.[0]),
                dnsNames: inputs.dnsNames as string[] | undefined,
                ipAddresses: inputs.ipAddresses as string[] | undefined,
                validityHours: Number(inputs.validityPeriodHours ?? 24),
              },
              inputs.isCaCertificate === true,
            );
            result = { id: defaults.id, state: { ...defaults.state, certPem } };
            break;
          }
          case T.certRequest: {
            const subject = obj(inputs.subject);
            const certRequestPem = certificateRequestPem(str(inputs.privateKeyPem), {
              commonName: str(subject.commonName) || str((inputs.dnsNames as string[] | undefined)?.[0]),
              dnsNames: inputs.dnsNames as string[] | undefined,
              ipAddresses: inputs.ipAddresses as string[] | undefined,
            });
            result = { id: defaults.id, state: { ...defaults.state, certRequestPem } };
            break;
          }
          case T.locallySignedCert: {
            const certPem = signCertificateRequestPem(
              str(inputs.certRequestPem),
              { certPem: str(inputs.caCertPem), keyPem: str(inputs.caPrivateKeyPem) },
              Number(inputs.validityPeriodHours ?? 24),
            );
            result = { id: defaults.id, state: { ...defaults.state, certPem } };
            break;
          }
          case T.domainsSetting:
            inDomain(args.name, inputs);
            identity.setSigningCertPublicAccess(inputs.signingCertPublicAccess === true);
            break;
          case T.domainsApp: {
            inDomain(args.name, inputs);
            const creds = identity.registerApp(inputs as Parameters<IdentityDomainEmulator["registerApp"]>[0] & Props);
            result = { id: defaults.id, state: { ...defaults.state, name: creds.clientId, clientSecret: creds.clientSecret } };
            break;
          }
          case T.dsmGroup:
          case T.dsmJwtApp:
          case T.dsmSecurityObject: {
            // A throwing mock would leave the in-process engine with an unhandled rejection; once
            // the sandbox is stopping, the remaining DSM objects get the plan's defaults instead.
            if (options.signal?.aborted) break;
            let state: HostedResourceState;
            try {
              const host = await (upHost ??= startHost());
              ({ state } = await upResource(host, `urn:pulumi:sandbox::oci-ekm::${args.type}::${args.name}`, inputs));
            } catch (err) {
              if (options.signal?.aborted) break;
              throw err;
            }
            dsmStates.set(args.name, state);
            dsmObjectsCreated++;
            const { __provider: _serialized, ...outputs } = state.outputs;
            result = { id: state.id, state: outputs };
            break;
          }
        }
        registered.push({ type: args.type, name: args.name, id: result?.id ?? defaults.id ?? "", inputs, state: planRevealSecrets((result ?? defaults).state) as Props });
        return result;
      };
      const transformation = options.break ? breakTransformation(options.break) : undefined;
      const builtIn = {
        "oci-ekm:compartmentId": "ocid1.compartment.oc1..aaaaaaaasandboxsandboxsandboxsandboxsandboxsandbox",
        "oci-ekm:identityDomainUrl": identity.url,
        "oci-ekm:dsmUrl": d.url,
        "oci-ekm:dsmAccountId": d.accountId,
        "oci-ekm:gatewayHostname": "ekm-gateway.sandbox.internal",
        ...(options.gatewayTokenValidation ? { "oci-ekm:gatewayTokenValidation": options.gatewayTokenValidation } : {}),
        ...(options.gatewayRoute ? { "oci-ekm:gatewayRoute": options.gatewayRoute } : {}),
        ...(options.gatewayTokenValidation === "staticKeys"
          ? { "oci-ekm:gatewayStaticKeys": adaptJwksForApiGateway(identity.jwks).keys }
          : {}),
      };
      const result = await runStackInProcess({
        program: async () => {
          if (transformation) pulumi.runtime.registerStackTransformation(transformation);
          return options.program();
        },
        ...(options.stack && stackRun ? { project: options.stack.project, stack: options.stack.name, secretKeys: stackRun.secretKeys } : {}),
        config: { ...(stackRun ? stackRun.config : builtIn), ...options.config },
        onNewResource: answer,
      });
      // The command is over: its host goes, as the engine ends its plugins.
      await (await upHost)?.stop();
      if (wrongDomain.length > 0) throw new Error(wrongDomain.join("; "));
      const created = `${result.resources.length} resources registered, ${dsmObjectsCreated} DSM objects created`;
      return { value: result, detail: created };
    });

    let stackOutputs: Record<string, unknown> | undefined = plan?.outputValues;

    if (options.break === "key-name" && plan) {
      await runner.run("rename the DSM key in the DSM console (injected break)", async () => {
        const name = str(byType(T.dsmSecurityObject)[0]?.state.name);
        dsm!.modifySobject(name, { name: `${name}-renamed` });
        return { value: undefined, detail: `"${name}" is now "${name}-renamed" in DSM; the key reference still says "${name}"` };
      });
    }

    // 3. The gateway and the private endpoint, built from what the program registered.
    const wiring = await runner.run("start the API gateway and the private endpoint from the registered deployment", async () => {
      const deployment = byType(T.deployment)[0];
      if (!deployment) throw new Error("the program registered no API Gateway deployment");
      const gw = byId(T.gateway, deployment.inputs.gatewayId);
      if (!gw) throw new Error(`the deployment's gatewayId ${str(deployment.inputs.gatewayId)} is no gateway of this stack`);
      const cert = byId(T.certificate, gw.inputs.certificateId);
      if (!cert) throw new Error(`the gateway's certificateId ${str(gw.inputs.certificateId)} is no certificate of this stack`);
      const certConfig = obj(cert.inputs.certificateConfig);
      gateway = new ApiGatewayEmulator({
        deployment: { pathPrefix: str(deployment.inputs.pathPrefix), specification: deployment.inputs.specification as GatewayDeploymentSpec["specification"] },
        tls: { certPem: str(certConfig.certificatePem), keyPem: str(certConfig.privateKeyPem) },
        trustedCa: ca.certPem,
      });
      await gateway.start();
      const gatewayIp = str(obj((gw.state.ipAddresses as unknown[] | undefined)?.[0]).ipAddress);
      const pe = byType(T.privateEndpoint)[0];
      if (!pe) throw new Error("the program registered no EKM private endpoint");
      const network: SandboxNetwork = { [gatewayIp]: gateway.port };
      const relayTo = network[str(pe.inputs.externalKeyManagerIp)];
      if (relayTo === undefined) {
        throw new Error(`the private endpoint relays to ${str(pe.inputs.externalKeyManagerIp)}, but the gateway's private IP is ${gatewayIp}`);
      }
      privateEndpoint = new PrivateEndpointEmulator({ host: "127.0.0.1", port: relayTo });
      network[str(pe.state.privateEndpointIp)] = await privateEndpoint.start();
      return {
        value: { network, gatewayIp, pe },
        detail: `gateway ${gatewayIp} → 127.0.0.1:${gateway.port}, private endpoint ${str(pe.state.privateEndpointIp)} → 127.0.0.1:${network[str(pe.state.privateEndpointIp)]}`,
      };
    });

    // What the route lets the VCN reach besides the EKM API: with `all`, DSM's management API too.
    await runner.run("the gateway route: a DSM management call from the VCN (GET /sys/v1/groups)", async () => {
      if (!wiring || !gateway) throw new Error("the gateway did not start");
      const seen = gateway.requests.length;
      const res = await ekmHttpRequest("gateway URL", "GET", `https://127.0.0.1:${gateway.port}/sys/v1/groups`, {
        caBundle: str(wiring.pe.inputs.caBundle),
        tlsServerName: str(plan?.outputValues.gatewayHostname),
      });
      const record = gateway.requests[seen];
      const routePath = str(obj((obj(byType(T.deployment)[0]?.inputs.specification).routes as unknown[] | undefined)?.[0]).path);
      const ekmOnly = routePath === EKM_API_PATH + GATEWAY_ROUTE_PATH;
      // A call that matched no route is refused at the gateway; one that matched is forwarded, or
      // stopped by the gateway's own token validation (and then forwarded with a valid token).
      const matched = record?.route !== undefined;
      if (ekmOnly) {
        if (matched) throw new Error(`GET /sys/v1/groups matched the route ${String(record?.route)} (HTTP ${res.status}); ekmOnly must forward only ${EKM_API_PATH}/…`);
        return { value: undefined, detail: `refused at the gateway (HTTP ${res.status}: ${String(record?.rejected)}): only the EKM API is forwarded` };
      }
      if (!matched) return { value: undefined, detail: `the route ${routePath} does not match it (HTTP ${res.status}: ${String(record?.rejected)})` };
      const how = record?.rejected ? `matched the route; without a token the gateway answered HTTP ${res.status}, with one it forwards to DSM` : `forwarded to DSM (HTTP ${res.status} without a DSM session)`;
      return { value: undefined, detail: `${how}: gatewayRoute ekmOnly would refuse it at the gateway` };
    });

    // 4. OCI Vault at work. When the gateway itself refuses a call, its reason is in its log, not in
    // the generic body it answers with: show it, so it is clear where the call stopped.
    const atGateway = async <V>(call: () => Promise<V>): Promise<V> => {
      const seen = gateway?.requests.length ?? 0;
      try {
        return await call();
      } catch (err) {
        const refusal = gateway?.requests.slice(seen).find((r) => r.rejected)?.rejected;
        if (refusal && err instanceof Error) err.message += ` (refused at the gateway: ${refusal})`;
        throw err;
      }
    };
    const vault = byType(T.vault)[0];
    // Every key of the stack is looked up, in the order of its config; the first one is used, rotated
    // and used again. The key references say which names OCI Vault asks for.
    const referenced = byType(T.keyReference).map((r) => str(obj(r.inputs.externalKeyReference).externalKeyId));
    const configured = stackOutputs?.keyNames;
    const keyNames = Array.isArray(configured) ? configured.map(str).filter((n) => referenced.includes(n)) : referenced;
    const keyName = keyNames[0] ?? "";
    let clientApp: ReturnType<IdentityDomainEmulator["getApp"]>;
    await runner.run("OCI Vault: token from the Identity Domain (client credentials)", async () => {
      if (!vault || !wiring) throw new Error("the program registered no external vault");
      const meta = obj(vault.inputs.externalKeyManagerMetadata);
      const oauth = obj(meta.oauthMetadata);
      clientApp = identity.getApp(str(oauth.clientAppId));
      if (!clientApp) throw new Error(`the vault's clientAppId ${str(oauth.clientAppId)} is no app of the Identity Domain`);
      if (str(meta.privateEndpointId) !== wiring.pe.id) throw new Error(`the vault's privateEndpointId ${str(meta.privateEndpointId)} is not the private endpoint ${wiring.pe.id}`);
      client = new OciVaultClient(
        {
          vaultUrl: str(meta.externalVaultEndpointUrl),
          idcsUrl: str(oauth.idcsAccountNameUrl),
          clientId: str(oauth.clientAppId),
          clientSecret: str(oauth.clientAppSecret),
          scope: clientApp.allowedScopes[0] ?? "",
          caBundle: str(wiring.pe.inputs.caBundle),
          serverName: str(plan?.outputValues.gatewayHostname),
        },
        wiring.network,
        ca.certPem,
      );
      await client.obtainToken();
      return { value: undefined, detail: `token for client ${str(oauth.clientAppId).slice(0, 8)}… with scope ${clientApp.allowedScopes[0]}` };
    });
    // With token validation at the gateway, a token of the right domain and audience but without
    // the oci_ekms scope must stop there, before DSM sees it (the Azure AD and static-keys API Gateway articles).
    const deploymentSpec = obj(byType(T.deployment)[0]?.inputs.specification);
    if (obj(deploymentSpec.requestPolicies).authentication !== undefined) {
      await runner.run(SANDBOX_SCOPE_REFUSAL_STEP, async () => {
        const otherScope = "urn:opc:idm:__myscopes__";
        const token = await identity.mintToken({ clientId: clientApp!.clientId, scope: clientApp!.allowedScopes[0] ?? "" }, { claims: { scope: otherScope } });
        const seen = gateway!.requests.length;
        const status = await client!.vaultMetadataStatusWithToken(token);
        const record = gateway!.requests[seen];
        if (status !== 403 || !record?.rejected) {
          throw new Error(`GetVaultMetadata with a token whose scope is ${otherScope}: HTTP ${status}${record?.rejected ? ` (${record.rejected})` : ", forwarded to DSM"}; the gateway must refuse it with HTTP 403`);
        }
        return { value: undefined, detail: `GetVaultMetadata with a token whose scope is ${otherScope}: HTTP ${status} at the gateway (${record.rejected}); DSM never saw it` };
      });
    }
    // OCI Vault uses a vault, a key and a key version only in state ACTIVE (Oracle: "Ensure the key is
    // in Active state"), and a key version only for the operations it lists.
    await runner.run("OCI Vault: GetVaultMetadata through the private endpoint and the gateway", async () => {
      const meta = await atGateway(() => client!.vaultMetadata());
      if (meta.state !== "ACTIVE") throw new Error(`GetVaultMetadata: the vault is ${meta.state}, not ACTIVE (vendor ${meta.vendor})`);
      return { value: undefined, detail: `vault state ${meta.state}, vendor ${meta.vendor}` };
    });
    for (const name of keyNames.length > 0 ? keyNames : [keyName]) {
      const keyMeta = await runner.run(`OCI Vault: GetKeyMetadata of "${name}"`, async () => {
        const meta = await atGateway(() => client!.keyMetadata(name));
        if (meta.state !== "ACTIVE") throw new Error(`GetKeyMetadata: key "${name}" is ${meta.state}, not ACTIVE`);
        return {
          value: meta,
          detail: `${meta.keyShape.algorithm}-${meta.keyShape.length}, state ${meta.state}, operations ${meta.keyOps.join(", ")}, current version ${meta.currentKeyVersionId}`,
        };
      });
      const versionStep = `OCI Vault: GetKeyVersionMetadata of the current version${keyNames.length > 1 ? ` of "${name}"` : ""}`;
      await runner.run(versionStep, async () => {
        const version = await atGateway(() => client!.keyVersionMetadata(name, keyMeta!.currentKeyVersionId));
        const missing = ["ENCRYPT", "DECRYPT"].filter((op) => !version.keyVersionOps.includes(op));
        if (version.state !== "ACTIVE" || missing.length > 0) {
          throw new Error(`GetKeyVersionMetadata: version ${version.keyVersionId} is ${version.state} with operations [${version.keyVersionOps.join(", ")}]; OCI Vault needs ACTIVE with ENCRYPT and DECRYPT`);
        }
        return { value: undefined, detail: `version ${version.keyVersionId}, state ${version.state}, operations ${version.keyVersionOps.join(", ")}` };
      });
    }
    const sample = Buffer.from("the key material never leaves DSM", "utf8");
    const before = await runner.run("OCI Vault: Encrypt a sample", async () => {
      const c = await atGateway(() => client!.encrypt(keyName, sample));
      return { value: c, detail: `ciphertext under key version ${c.keyVersionId}` };
    });
    await runner.run("rotate the key (a later pulumi up with `rotate` changed: Check, Diff, Update through the host)", async () => {
      const so = byType(T.dsmSecurityObject).find((r) => r.state.name === keyName);
      const prior = so ? dsmStates.get(so.name) : undefined;
      if (!so || !prior) throw new Error(`no DSM security object named "${keyName}" in this stack`);
      const host = await startHost();
      try {
        const up = await upResource(host, prior.urn, { ...prior.inputs, rotate: `sandbox-${randomBytes(4).toString("hex")}` }, prior);
        dsmStates.set(so.name, up.state);
        const { __provider: _serialized, ...outs } = up.state.outputs;
        so.state = outs;
      } finally {
        await host.stop();
      }
      // That `pulumi up` ends with new stack outputs: the key's kid is its successor's.
      if (stackOutputs) stackOutputs = stackOutputsAfterRotation(stackOutputs, keyName, str(so.state.kid));
      const rotated = (so.state.rotatedKids as string[] | undefined) ?? [];
      return { value: undefined, detail: `"${keyName}": new kid ${str(so.state.kid)}, rotated kids [${rotated.join(", ")}]` };
    });
    const after = await runner.run("OCI Vault: Encrypt again (new key version)", async () => {
      const c = await atGateway(() => client!.encrypt(keyName, sample));
      if (before && c.keyVersionId === before.keyVersionId) throw new Error(`still encrypting under ${c.keyVersionId} after the rotation`);
      return { value: c, detail: `ciphertext under key version ${c.keyVersionId}` };
    });
    await runner.run("OCI Vault: Decrypt both ciphertexts", async () => {
      const results: string[] = [];
      for (const c of [before, after] as EkmCiphertext[]) {
        const plain = await atGateway(() => client!.decrypt(keyName, c));
        if (!plain.equals(sample)) throw new Error(`decrypting the ciphertext of version ${c.keyVersionId} gave other bytes`);
        results.push(c.keyVersionId);
      }
      return { value: undefined, detail: `both decrypt to the sample (versions ${results.join(", ")})` };
    });

    // 5. verify, on what the stack outputs, whatever happened above.
    let verification: EkmVerificationReport | undefined;
    if (plan && wiring && client) {
      verification = await runner.run(
        "verify (npm run verify against the sandbox)",
        async () => {
          const out = stackOutputs!;
          const dsmClient = new DsmClient({ endpoint: dsm!.url, apiKey: dsmApiKey, caBundle: ca.certPem });
          const report = await runEkmVerification({
            domainUrl: str(out.identityDomainUrl),
            clientId: str(out.clientId),
            clientSecret: str(out.clientSecret),
            scope: str(out.scope),
            dsmUrl: str(out.dsmUrl),
            gatewayBaseUrl: str(out.gatewayBaseUrl),
            vaultUrl: client!.localVaultUrl(),
            keyNames: out.keyNames as string[],
            keyIds: out.dsmKeyIds as string[] | undefined,
            // The gateway is trusted as the private endpoint trusts it: through the stack's CA bundle.
            caBundle: ca.certPem + "\n" + str(out.caBundle ?? wiring.pe.inputs.caBundle),
            tlsServerName: str(out.gatewayHostname),
            dsm: dsmReaderFromClient(dsmClient),
            secrets: [dsmApiKey],
          });
          const failed = report.checks.filter((c) => c.status === "failed");
          const passed = report.checks.filter((c) => c.status === "passed").length;
          if (failed.length > 0) {
            const names = failed.map((c) => c.name + (c.subject ? ` (${c.subject})` : "")).join(", ");
            return { value: report, detail: `${failed.length} check(s) failed: ${names}`, failed: true };
          }
          return { value: report, detail: `${passed} checks passed` };
        },
        true,
      );
    } else {
      runner.skip("verify (npm run verify against the sandbox)", options.signal?.aborted ? "not run: the sandbox was asked to stop" : "the topology did not come up");
    }

    const checks = verification?.checks ?? [];
    // A vault URL that names no listener failed its step above; it must not turn the result into a throw.
    let localVaultUrl: string | undefined;
    try {
      localVaultUrl = client?.localVaultUrl();
    } catch {
      localVaultUrl = undefined;
    }
    const result: SandboxResult = {
      ok: runner.failed === undefined,
      steps: runner.steps,
      failedStep: runner.failed,
      verification,
      summary: {
        resourcesPlanned: plan?.resources.length ?? 0,
        dsmObjectsCreated,
        dsmHost: { processes: hosts.length, ...(hosts[0] ? { sdkVersion: hosts[0].sdkVersion } : {}) },
        requestsServed: {
          identityDomain: identity.requests.length,
          gateway: gateway?.requests.length ?? 0,
          dsm: dsm?.requests.length ?? 0,
        },
        steps: {
          passed: runner.steps.filter((st) => st.status === "passed").length,
          failed: runner.steps.filter((st) => st.status === "failed").length,
          skipped: runner.steps.filter((st) => st.status === "skipped").length,
        },
        checks: countChecks(checks),
        checksPassed: checks.filter((c) => c.status === "passed").length,
        checksRun: checks.filter((c) => c.status !== "skipped").length,
      },
      overlaid: stackRun?.overlaid ?? [],
      endpoints:
        plan && gateway && dsm && wiring && localVaultUrl !== undefined
          ? {
              identityDomainUrl: identity.url,
              dsmUrl: dsm.url,
              gatewayUrl: `https://127.0.0.1:${gateway.port}/`,
              localVaultUrl,
              gatewayHostname: str(plan.outputValues.gatewayHostname),
              caPem: ca.certPem,
              gatewayCaBundlePem: str(wiring.pe.inputs.caBundle),
              dsmApiKey,
              stackOutputs: stackOutputs ?? plan.outputValues,
            }
          : undefined,
      stop: options.keep ? stopAll : async () => undefined,
    };
    if (!options.keep) await stopAll();
    options.signal?.removeEventListener("abort", onAbort);
    return result;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
