// The measurements themselves, each run in the process that calls it. The offline plan and the
// sandbox use the global Pulumi runtime, so `runBench` (runner.ts) gives each one its own process.
import { DsmGroupProvider, DsmJwtAppProvider, DsmSecurityObjectProvider } from "../dsm/provider";
import { resetDsmSessions } from "../dsm/client";
import { DsmEmulator } from "../emulators/dsm";
import { planClientId, runStackInProcess } from "../plan/engine";
import { readPlanStackConfig } from "../plan/stack-config";
import { runSandbox } from "../sandbox/run";
import { OciVaultClient } from "../sandbox/oci-vault";
import {
  benchCountRequests,
  benchLatency,
  benchPlanFigures,
  benchStackKeys,
  type BenchDsmPhase,
  type BenchDsmPhaseResult,
  type BenchPlanResult,
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

// ---- DSM requests per operation -------------------------------------------------------------------

export interface BenchDsmOptions {
  /** Number of security objects. */
  keys: number;
  /** `allowDestroy` of the security objects. Default false (what the topology declares). */
  allowDestroy?: boolean;
}

type Props = Record<string, unknown>;

const DSM_ENV = ["DSM_ENDPOINT", "DSM_API_KEY", "DSM_CA_BUNDLE", "DSM_USERNAME", "DSM_PASSWORD", "DSM_ACCT_ID"] as const;

// Inputs as the topology declares them for the dev stack (names, issuer, JWKS URL shape).
const BENCH_JWKS_URL = "https://idcs-00000000000000000000000000000000.identity.oraclecloud.com/admin/v1/SigningCert/jwk";
const BENCH_ISSUER = "https://identity.oraclecloud.com/";

/** The check-then-create the engine performs for a new resource; returns its id and state. */
async function engineCreate(
  provider: { check(olds: Props, news: Props): Promise<{ inputs?: Props; failures?: { property: string; reason: string }[] }>; create(inputs: Props): Promise<{ id: string; outs?: Props }> },
  news: Props,
): Promise<{ id: string; state: Props }> {
  const checked = await provider.check({}, news);
  if (checked.failures && checked.failures.length > 0) {
    throw new Error(`check failed: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  }
  const created = await provider.create(checked.inputs ?? news);
  return { id: created.id, state: created.outs ?? {} };
}

/**
 * Creates, refreshes and destroys a DSM group, a JWT app and `keys` security objects against a
 * fresh DSM emulator, calling the providers in the engine's order (creates parents first, deletes
 * dependents first, one call at a time), and counts the emulator's requests per phase.
 *
 * Each phase is a separate CLI run with a separate provider process, hence a new DSM session:
 * this process's session cache is reset before each phase so that its authentication is counted.
 */
export async function benchDsmLifecycle(opts: BenchDsmOptions): Promise<BenchDsmPhaseResult[]> {
  const allowDestroy = opts.allowDestroy ?? false;
  const dsm = new DsmEmulator();
  const savedEnv = Object.fromEntries(DSM_ENV.map((k) => [k, process.env[k]]));
  const results: BenchDsmPhaseResult[] = [];
  await dsm.start();
  try {
    for (const k of DSM_ENV) delete process.env[k];
    process.env.DSM_API_KEY = dsm.createApiKey({ role: "admin", name: "bench-automation" });
    const endpoint = dsm.url;
    const groups = new DsmGroupProvider();
    const apps = new DsmJwtAppProvider();
    const sobjects = new DsmSecurityObjectProvider();

    const phase = async (name: BenchDsmPhase, work: () => Promise<void>): Promise<void> => {
      resetDsmSessions();
      dsm.clearRequests();
      await work();
      results.push({ phase: name, keys: opts.keys, allowDestroy, ...benchCountRequests(dsm.requests) });
    };

    let group = { id: "", state: {} as Props };
    let app = { id: "", state: {} as Props };
    let keys: { id: string; state: Props }[] = [];
    await phase("up", async () => {
      group = await engineCreate(groups, { name: "oci-ekm", endpoint, adopt: false });
      const groupId = String(group.state.groupId);
      app = await engineCreate(apps, {
        name: planClientId("oci-ekm-identity-client-app"),
        groupId,
        jwksUrl: BENCH_JWKS_URL,
        validIssuers: [BENCH_ISSUER],
        endpoint,
        adopt: false,
      });
      keys = [];
      for (const k of benchStackKeys(opts.keys, JSON.stringify([{ name: "oci-ekm-key", description: "AES-256 key of the OCI external vault", rotationPolicyDays: 90 }]))) {
        keys.push(await engineCreate(sobjects, { ...k, groupId, endpoint, adopt: false, allowDestroy }));
      }
    });
    await phase("refresh", async () => {
      const refreshed = async (p: { read(id: string, props?: Props): Promise<{ id?: string; props?: Props }> }, r: { id: string; state: Props }) => {
        const read = await p.read(r.id, r.state);
        if (read.props === undefined) throw new Error(`refresh: ${r.id} is gone from DSM`);
        return { id: r.id, state: read.props };
      };
      group = await refreshed(groups, group);
      app = await refreshed(apps, app);
      const next: { id: string; state: Props }[] = [];
      for (const k of keys) next.push(await refreshed(sobjects, k));
      keys = next;
    });
    await phase("destroy", async () => {
      for (const k of [...keys].reverse()) await sobjects.delete(k.id, k.state);
      await apps.delete(app.id, app.state);
      await groups.delete(group.id, group.state);
    });
    return results;
  } finally {
    resetDsmSessions();
    for (const k of DSM_ENV) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
    await dsm.stop();
  }
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
        caBundle: e.gatewayCertificatePem,
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
