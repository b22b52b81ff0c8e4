// The measurements themselves, each run in the process that calls it. The offline plan and the
// sandbox use the global Pulumi runtime, so `runBench` (runner.ts) gives each one its own process.
import { createRequire } from "node:module";
import path from "node:path";
import { DsmGroupProvider, DsmJwtAppProvider, DsmSecurityObjectProvider } from "../dsm/provider";
import { dsmProviderText, dsmUnpackProvider } from "../dsm/provider-module";
import { DSM_TYPE_TOKENS } from "../dsm/schemas";
import { DsmEmulator } from "../emulators/dsm";
import { destroyResource, type HostedResourceState, refreshResource, upResource } from "../testing/engine-steps";
import { DynamicProviderHost } from "../testing/provider-host";
import { planClientId, runStackInProcess } from "../plan/engine";
import { readPlanStackConfig } from "../plan/stack-config";
import { runSandbox } from "../sandbox/run";
import { OciVaultClient } from "../sandbox/oci-vault";
import {
  benchCountRequests,
  benchDsmStateFigures,
  type BenchDsmStateResult,
  benchLatency,
  benchPlanFigures,
  benchStackKeys,
  type BenchDsmPhase,
  type BenchDsmPhaseResult,
  type BenchPlanResult,
  type BenchProviderSize,
  type BenchSandboxResult,
} from "./figures";

/** A stack program, as `infra/` exports it. */
export type BenchProgram = () => Promise<object | void> | object | void;

// ---- offline plan ---------------------------------------------------------------------------------

export interface BenchPlanOptions {
  program: BenchProgram;
  /** The stack settings file (`Pulumi.dev.yaml`). */
  stackConfigFile: string;
  /** Number of keys to put in the `keys` config. */
  keys: number;
  /** Project (config namespace). Default `oci-ekm`. */
  project?: string;
  /** Stack name. Default `dev`. */
  stack?: string;
}

/**
 * Plans the stack of `stackConfigFile` with its `keys` config replaced by `keys` keys, in this
 * process. Call it once per process: `loadMs` and `peakRssMiB` are the process's.
 */
export async function benchPlanInProcess(opts: BenchPlanOptions): Promise<Omit<BenchPlanResult, "wallMs">> {
  const project = opts.project ?? "oci-ekm";
  // Everything up to here (Node, ts-node, the program's modules) is start-up, not planning.
  const loadMs = performance.now();
  const settings = readPlanStackConfig(opts.stackConfigFile, project);
  const keysKey = `${project}:keys`;
  const config = { ...settings.config, [keysKey]: JSON.stringify(benchStackKeys(opts.keys, settings.config[keysKey])) };
  const result = await runStackInProcess({
    project,
    stack: opts.stack ?? "dev",
    config,
    secretKeys: settings.secretKeys,
    program: opts.program,
  });
  return {
    ...benchPlanFigures(opts.keys, result.resources),
    loadMs,
    engineMs: result.durationMs,
    // Linux reports maxRSS in KiB.
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

// ---- DSM requests per operation, and what the DSM state costs ------------------------------------

export interface BenchDsmOptions {
  /** Number of security objects. */
  keys: number;
  /** `allowDestroy` of the security objects. Default false (what the topology declares). */
  allowDestroy?: boolean;
  /**
   * The library the providers come from, as a program in `fromDir` would `require(specifier)` it
   * (the serializer copies or `require`s its code depending on where that copy lives); the host runs
   * in `fromDir`. Default: this process's copy, the host in its working directory.
   */
  library?: { specifier: string; fromDir: string };
}

// Inputs as the topology declares them for the dev stack (names, issuer, JWKS URL shape).
const BENCH_JWKS_URL = "https://idcs-00000000000000000000000000000000.identity.oraclecloud.com/admin/v1/SigningCert/jwk";
const BENCH_ISSUER = "https://identity.oraclecloud.com/";
const BENCH_TYPES = { group: DSM_TYPE_TOKENS.group, app: DSM_TYPE_TOKENS.jwtApp, key: DSM_TYPE_TOKENS.securityObject };

/** One DSM lifecycle: the requests of each phase, and the state `up` left. */
export interface BenchDsmLifecycleResult {
  phases: BenchDsmPhaseResult[];
  state: BenchDsmStateResult;
}

/**
 * Creates, refreshes and destroys a DSM group, a JWT app and `keys` security objects against a
 * fresh DSM emulator, through Pulumi's dynamic-provider host as the engine drives it (a new host
 * per phase, as each CLI command starts one; parents first on up, dependents first on destroy, one
 * call at a time), and counts the emulator's requests per phase. The providers are the ones this
 * process serializes, as a program loaded this way would store them.
 */
export async function benchDsmLifecycle(opts: BenchDsmOptions): Promise<BenchDsmLifecycleResult> {
  const allowDestroy = opts.allowDestroy ?? false;
  const dsm = new DsmEmulator();
  const phases: BenchDsmPhaseResult[] = [];
  await dsm.start();
  try {
    const apiKey = dsm.createApiKey({ role: "admin", name: "bench-automation" });
    const endpoint = dsm.url;
    const lib: BenchDsmModule = opts.library
      ? (createRequire(path.join(opts.library.fromDir, "package.json"))(opts.library.specifier) as BenchDsmModule)
      : { dsmGroupProvider: () => new DsmGroupProvider(), dsmJwtAppProvider: () => new DsmJwtAppProvider(), dsmSecurityObjectProvider: () => new DsmSecurityObjectProvider(), dsmProviderText, dsmUnpackProvider };
    const provider = {
      group: await lib.dsmProviderText(lib.dsmGroupProvider()),
      app: await lib.dsmProviderText(lib.dsmJwtAppProvider()),
      key: await lib.dsmProviderText(lib.dsmSecurityObjectProvider()),
    };
    const urn = (type: string, name: string) => `urn:pulumi:dev::oci-ekm::oci-ekm-fortanix:index:EkmTopology$${type}::${name}`;
    const phase = async (name: BenchDsmPhase, work: (host: DynamicProviderHost) => Promise<void>): Promise<void> => {
      dsm.clearRequests();
      const host = await DynamicProviderHost.start({ programDir: opts.library?.fromDir ?? process.cwd() });
      try {
        await host.configure({ "dsm:endpoint": endpoint, "dsm:apiKey": apiKey }, ["dsm:apiKey"]);
        await work(host);
      } finally {
        await host.stop();
      }
      phases.push({ phase: name, keys: opts.keys, allowDestroy, ...benchCountRequests(dsm.requests) });
    };

    let states: HostedResourceState[] = [];
    await phase("up", async (host) => {
      const group = (await upResource(host, urn(BENCH_TYPES.group, "oci-ekm-dsm-group"), { __provider: provider.group, name: "oci-ekm", endpoint, adopt: false })).state;
      const groupId = group.id;
      const app = (await upResource(host, urn(BENCH_TYPES.app, "oci-ekm-dsm-app"), {
        __provider: provider.app,
        name: planClientId("oci-ekm-identity-client-app"),
        groupId,
        jwksUrl: BENCH_JWKS_URL,
        validIssuers: [BENCH_ISSUER],
        endpoint,
        adopt: false,
      })).state;
      states = [group, app];
      for (const k of benchStackKeys(opts.keys, JSON.stringify([{ name: "oci-ekm-key", description: "AES-256 key of the OCI external vault", rotationPolicyDays: 90 }]))) {
        const inputs = { __provider: provider.key, ...k, groupId, endpoint, adopt: false, allowDestroy };
        states.push((await upResource(host, urn(BENCH_TYPES.key, `oci-ekm-dsm-key-${k.name}`), inputs)).state);
      }
    });
    const state = benchDsmStateFigures(opts.library ? "package" : "stack", opts.keys, states);
    await phase("refresh", async (host) => {
      const next: HostedResourceState[] = [];
      for (const s of states) {
        const refreshed = await refreshResource(host, s);
        if (refreshed === undefined) throw new Error(`refresh: ${s.urn} is gone from DSM`);
        next.push(refreshed);
      }
      states = next;
    });
    await phase("destroy", async (host) => {
      for (const s of [...states].reverse()) await destroyResource(host, s);
    });
    return { phases, state };
  } finally {
    await dsm.stop();
  }
}

// ---- serialized provider sizes ----------------------------------------------------------------------

/** The DSM part of this library as one way of loading it exposes it (its own copies of these functions). */
interface BenchDsmModule {
  dsmGroupProvider(): object;
  dsmJwtAppProvider(): object;
  dsmSecurityObjectProvider(): object;
  dsmProviderText(provider: object): Promise<string>;
  dsmUnpackProvider(stored: string): string;
}

/**
 * Serializes the three DSM providers of the library loaded with `require(specifier)` from `fromDir`
 * (the serializer decides by where that copy lives whether to copy code or `require` it), and
 * reports what Pulumi wrote and what would be stored. Call it once per process and loading mode.
 */
export async function benchProviderSizesHere(mode: string, specifier: string, fromDir: string): Promise<BenchProviderSize[]> {
  const lib = createRequire(path.join(fromDir, "package.json"))(specifier) as BenchDsmModule;
  const out: BenchProviderSize[] = [];
  for (const [kind, provider] of [["group", lib.dsmGroupProvider()], ["app", lib.dsmJwtAppProvider()], ["key", lib.dsmSecurityObjectProvider()]] as const) {
    const stored = await lib.dsmProviderText(provider);
    const serialized = lib.dsmUnpackProvider(stored);
    const packageRequires = [...serialized.matchAll(/require\("oci-ekm-fortanix\/[^"]+"\)/g)].length;
    out.push({ mode, kind, serializedBytes: Buffer.byteLength(serialized), storedBytes: Buffer.byteLength(stored), packageRequires });
  }
  return out;
}

// ---- sandbox round trips --------------------------------------------------------------------------

export interface BenchSandboxOptions {
  program: BenchProgram;
  /** Calls to measure at most. Default 200. */
  maxRequests?: number;
  /** Seconds of calls at most. Default 20. */
  maxSeconds?: number;
  /** Calls made before measuring. Default 4. */
  warmupCalls?: number;
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");

/**
 * Brings up the sandbox (`runSandbox({ keep: true })`), then makes OCI Vault's Encrypt and Decrypt
 * calls one after another through the emulated private endpoint and gateway to DSM, until the
 * request or the time budget is spent; stops the sandbox. Uses this process's Pulumi runtime.
 */
export async function benchSandboxRoundTrips(opts: BenchSandboxOptions): Promise<BenchSandboxResult> {
  const maxRequests = opts.maxRequests ?? 200;
  const maxMs = (opts.maxSeconds ?? 20) * 1000;
  const warmupCalls = opts.warmupCalls ?? 4;
  const started = performance.now();
  const sandbox = await runSandbox({ program: opts.program, keep: true });
  let client: OciVaultClient | undefined;
  try {
    const setupMs = performance.now() - started;
    const e = sandbox.endpoints;
    if (!sandbox.ok || !e) {
      throw new Error(`the sandbox did not come up: ${sandbox.failedStep ? `${sandbox.failedStep.name}: ${sandbox.failedStep.detail}` : "no endpoints"}`);
    }
    const out = e.stackOutputs;
    const vaultUrl = str(out.vaultUrl);
    const local = new URL(e.localVaultUrl);
    const keyName = Array.isArray(out.keyNames) ? str(out.keyNames[0]) : "";
    if (!keyName) throw new Error("the sandbox stack outputs no keyNames");
    client = new OciVaultClient(
      {
        vaultUrl,
        idcsUrl: str(out.identityDomainUrl),
        clientId: str(out.clientId),
        clientSecret: str(out.clientSecret),
        scope: str(out.scope),
        caBundle: e.gatewayCaBundlePem,
        serverName: e.gatewayHostname,
      },
      // The vault URL's private IP is where the emulated private endpoint listens.
      { [new URL(vaultUrl).hostname]: Number(local.port) },
      e.caPem,
    );
    const vault = client;
    await vault.obtainToken();
    const plaintext = Buffer.from("benchmark sample: 32 bytes of it", "utf8");
    const encryptMs: number[] = [];
    const decryptMs: number[] = [];
    const roundTrip = async (record: boolean): Promise<void> => {
      let t = performance.now();
      const c = await vault.encrypt(keyName, plaintext);
      if (record) encryptMs.push(performance.now() - t);
      t = performance.now();
      const back = await vault.decrypt(keyName, c);
      if (record) decryptMs.push(performance.now() - t);
      if (!back.equals(plaintext)) throw new Error(`Decrypt of a ciphertext under ${c.keyVersionId} gave other bytes`);
    };
    for (let i = 0; i < Math.ceil(warmupCalls / 2); i++) await roundTrip(false);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let stoppedBy: BenchSandboxResult["stoppedBy"] = "requests";
    while (encryptMs.length + decryptMs.length < maxRequests) {
      if (performance.now() - t0 >= maxMs) {
        stoppedBy = "time";
        break;
      }
      await roundTrip(true);
    }
    const durationMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const all = [...encryptMs, ...decryptMs];
    return {
      setupMs,
      warmupCalls: Math.ceil(warmupCalls / 2) * 2,
      requests: all.length,
      stoppedBy,
      durationMs,
      requestsPerSecond: all.length / (durationMs / 1000),
      cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / all.length,
      latency: benchLatency(all),
      byOperation: { encrypt: benchLatency(encryptMs), decrypt: benchLatency(decryptMs) },
    };
  } finally {
    client?.close();
    await sandbox.stop();
  }
}
