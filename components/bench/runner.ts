// `npm run bench` end to end: each measurement in a child process of its own (the Pulumi runtime is
// global to a process, and a fresh process gives honest start-up time, peak memory and DSM sessions).
// This file is also the child's entry point: `node [-r ts-node/register] runner.(ts|js) '<task JSON>'`.
import { fork } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchDsmPhaseResult, BenchDsmStateResult, BenchMachine, BenchPlanResult, BenchProviderSize, BenchResults, BenchSandboxResult } from "./figures";
import { benchDsmLifecycle, type BenchDsmLifecycleResult, benchPlanInProcess, benchProviderSizesHere, benchSandboxRoundTrips, type BenchProgram } from "./measure";

/** Where a stack program comes from: a module (loaded in the child) and the function it exports. */
export interface BenchProgramRef {
  /** Absolute path of the module, with or without extension (e.g. `<repo>/infra/stack`). */
  module: string;
  /** Name of the exported program function (e.g. `runEkmStack`). */
  export: string;
}

/** One measurement, as handed to a child process. */
export type BenchTask =
  | { kind: "plan"; program: BenchProgramRef; stackConfigFile: string; project: string; stack: string; keys: number }
  | { kind: "dsm"; keys: number; library?: { specifier: string; fromDir: string }; destroyBoth: boolean }
  | { kind: "providers"; mode: string; specifier: string; fromDir: string }
  | { kind: "sandbox"; program: BenchProgramRef; maxRequests: number; maxSeconds: number };

type BenchChildMessage = { ok: true; value: unknown } | { ok: false; error: string };

export interface BenchOptions {
  /** The stack program the plan and the sandbox run. */
  program: BenchProgramRef;
  /** The stack settings file of the offline plan (`Pulumi.dev.yaml`). */
  stackConfigFile: string;
  /** Project (config namespace). Default `oci-ekm`. */
  project?: string;
  /** Stack name of the offline plan. Default `dev`. */
  stack?: string;
  /** Key counts of the offline plan. Default [1, 10, 100]. */
  planKeys?: number[];
  /** Key counts of the DSM request count and state size. Default [1, 10, 100]. */
  dsmKeys?: number[];
  /** Sandbox calls to measure at most. Default 200. */
  sandboxRequests?: number;
  /** Seconds of sandbox calls at most. Default 20. */
  sandboxSeconds?: number;
  /** Kill a child that takes longer, milliseconds. Default 300000 (a loaded 2-core machine runs the 100-key DSM lifecycle in about 50 s). */
  childTimeoutMs?: number;
  /** Copy the children's stderr (provider warnings) to this process's stderr. Default false. */
  verbose?: boolean;
  /** Progress, one line per measurement. Default: none. */
  onProgress?: (line: string) => void;
}

/** The defaults of {@link BenchOptions}, in one place. */
export const BENCH_DEFAULTS = {
  project: "oci-ekm",
  stack: "dev",
  planKeys: [1, 10, 100] as number[],
  dsmKeys: [1, 10, 100] as number[],
  sandboxRequests: 200,
  sandboxSeconds: 20,
  childTimeoutMs: 300_000,
} as const;

const RUNNER_FILE = __filename;
// From components/bench/ (ts-node) or dist/bench/ (compiled) alike.
const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Runs one task in a fresh Node process; resolves with its value and the wall time from spawn to answer. */
export function runBenchTask<V>(
  task: BenchTask,
  opts: { timeoutMs?: number; verbose?: boolean } = {},
): Promise<{ value: V; wallMs: number; stderr: string }> {
  const started = performance.now();
  const execArgv = RUNNER_FILE.endsWith(".ts") ? ["-r", "ts-node/register"] : [];
  // Its own process group, so that a timeout ends it with the dynamic-provider hosts it started.
  const child = fork(RUNNER_FILE, [JSON.stringify(task)], { cwd: REPO_ROOT, execArgv, stdio: ["ignore", "pipe", "pipe", "ipc"], detached: true });
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    if (opts.verbose) process.stderr.write(d);
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
    if (opts.verbose) process.stderr.write(d);
  });
  return new Promise((resolve, reject) => {
    let answer: BenchChildMessage | undefined;
    let wallMs = 0;
    const timeoutMs = opts.timeoutMs ?? BENCH_DEFAULTS.childTimeoutMs;
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      reject(new Error(`bench ${task.kind}: no answer within ${timeoutMs / 1000} s (process killed)\n${tail(stderr)}`));
    }, timeoutMs);
    child.on("message", (m: BenchChildMessage) => {
      answer = m;
      wallMs = performance.now() - started;
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (answer?.ok) resolve({ value: answer.value as V, wallMs, stderr });
      else if (answer) reject(new Error(`bench ${task.kind}: ${answer.error}`));
      else reject(new Error(`bench ${task.kind}: the process ended (${signal ?? `code ${code}`}) without an answer\n${tail(stderr)}`));
    });
  });
}

function tail(text: string, lines = 20): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Every measurement, one child process after another (never two at once: the numbers would mix). */
export async function runBench(opts: BenchOptions): Promise<BenchResults> {
  const o = {
    program: opts.program,
    stackConfigFile: opts.stackConfigFile,
    project: opts.project ?? BENCH_DEFAULTS.project,
    stack: opts.stack ?? BENCH_DEFAULTS.stack,
    planKeys: opts.planKeys ?? BENCH_DEFAULTS.planKeys,
    dsmKeys: opts.dsmKeys ?? BENCH_DEFAULTS.dsmKeys,
    sandboxRequests: opts.sandboxRequests ?? BENCH_DEFAULTS.sandboxRequests,
    sandboxSeconds: opts.sandboxSeconds ?? BENCH_DEFAULTS.sandboxSeconds,
    childTimeoutMs: opts.childTimeoutMs ?? BENCH_DEFAULTS.childTimeoutMs,
    verbose: opts.verbose ?? false,
  };
  const progress = opts.onProgress ?? (() => undefined);
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const cpus = os.cpus();
  const machine: BenchMachine = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cpus: cpus.length,
    totalMemoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    loadAverage1m: os.loadavg()[0],
  };
  const child = { timeoutMs: o.childTimeoutMs, verbose: o.verbose };

  const plan: BenchPlanResult[] = [];
  for (const keys of o.planKeys) {
    const r = await runBenchTask<Omit<BenchPlanResult, "wallMs">>({ kind: "plan", program: o.program, stackConfigFile: o.stackConfigFile, project: o.project, stack: o.stack, keys }, child);
    plan.push({ ...r.value, wallMs: r.wallMs });
    progress(`plan, ${keys} key(s): ${r.value.resources} resources, ${(r.wallMs / 1000).toFixed(1)} s`);
  }

  const libraries = benchLibraryProjects();
  try {
    const dsm: BenchDsmPhaseResult[] = [];
    const dsmState: BenchDsmStateResult[] = [];
    for (const keys of o.dsmKeys) {
      const run = await runBenchTask<{ phases: BenchDsmPhaseResult[]; state: BenchDsmStateResult }>({ kind: "dsm", keys, destroyBoth: true }, child);
      dsm.push(...run.value.phases);
      dsmState.push(run.value.state);
      progress(`DSM up/refresh/destroy through the dynamic-provider host, ${keys} key(s): ${(run.wallMs / 1000).toFixed(1)} s`);
    }
    // The same stack's DSM state with the library installed as a package (providers captured by require).
    for (const keys of o.dsmKeys) {
      const run = await runBenchTask<{ state: BenchDsmStateResult }>({ kind: "dsm", keys, library: libraries.package, destroyBoth: false }, child);
      dsmState.push(run.value.state);
      progress(`DSM state with the installed package, ${keys} key(s): ${(run.wallMs / 1000).toFixed(1)} s`);
    }

    const providers: BenchProviderSize[] = [];
    for (const m of libraries.modes) providers.push(...(await runBenchTask<BenchProviderSize[]>({ kind: "providers", ...m }, child)).value);
    progress(`serialized DSM providers in ${libraries.modes.length} ways of loading the library`);

    const sandboxRun = await runBenchTask<BenchSandboxResult>({ kind: "sandbox", program: o.program, maxRequests: o.sandboxRequests, maxSeconds: o.sandboxSeconds }, child);
    progress(`sandbox: ${sandboxRun.value.requests} calls, ${sandboxRun.value.requestsPerSecond.toFixed(1)} req/s`);

    return {
      startedAt, machine, plan, dsm, dsmState, providers, sandbox: sandboxRun.value,
      totalMs: performance.now() - started,
    };
  } finally {
    libraries.remove();
  }
}

/**
 * Scratch projects that load the library the other ways a program can: a checkout linked into its
 * node_modules (`npm link`: only the link, the project's own @pulumi/pulumi beside it), and the
 * built package copied in with its dependencies beside it (as `npm install <tarball>` lays it out).
 * With this process's sources (ts-node) and `dist/` by path, the four modes of the provider table.
 */
function benchLibraryProjects(): {
  modes: { mode: string; specifier: string; fromDir: string }[];
  package: { specifier: string; fromDir: string };
  remove(): void;
} {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "oci-ekm-bench-"));
  const project = (name: string, deps: readonly string[], pkg: (at: string) => void): string => {
    const dir = path.join(scratch, name);
    mkdirSync(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `bench-${name}`, private: true }));
    for (const dep of deps) symlinkSync(path.join(REPO_ROOT, "node_modules", dep), path.join(dir, "node_modules", dep));
    pkg(path.join(dir, "node_modules", "oci-ekm-fortanix"));
    return dir;
  };
  const all = readdirSync(path.join(REPO_ROOT, "node_modules")).filter((e) => !e.startsWith(".") && e !== "@pulumi");
  const pulumi = readdirSync(path.join(REPO_ROOT, "node_modules", "@pulumi")).map((e) => `@pulumi/${e}`);
  const linked = project("linked", ["@pulumi/pulumi"], (at) => symlinkSync(REPO_ROOT, at));
  const installed = project("package", [...all, ...pulumi], (at) => {
    mkdirSync(at);
    cpSync(path.join(REPO_ROOT, "package.json"), path.join(at, "package.json"));
    cpSync(path.join(REPO_ROOT, "dist"), path.join(at, "dist"), { recursive: true });
  });
  const inPackage = { specifier: "oci-ekm-fortanix/dist/dsm/index.js", fromDir: installed };
  return {
    modes: [
      { mode: "stack", specifier: path.join(REPO_ROOT, "components", "dsm"), fromDir: REPO_ROOT },
      { mode: "dist", specifier: path.join(REPO_ROOT, "dist", "dsm"), fromDir: REPO_ROOT },
      { mode: "linked", specifier: "oci-ekm-fortanix/dist/dsm/index.js", fromDir: linked },
      { mode: "package", ...inPackage },
    ],
    package: inPackage,
    remove: () => rmSync(scratch, { recursive: true, force: true }),
  };
}

// ---- the child ------------------------------------------------------------------------------------

function loadBenchProgram(ref: BenchProgramRef): BenchProgram {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(ref.module) as Record<string, unknown>;
  const fn = mod[ref.export];
  if (typeof fn !== "function") throw new Error(`${ref.module} exports no function ${ref.export}`);
  return () => (fn as BenchProgram)();
}

async function runTaskHere(task: BenchTask): Promise<unknown> {
  switch (task.kind) {
    case "plan":
      return benchPlanInProcess({
        program: loadBenchProgram(task.program),
        stackConfigFile: task.stackConfigFile,
        project: task.project,
        stack: task.stack,
        keys: task.keys,
      });
    case "dsm": {
      const kept: BenchDsmLifecycleResult = await benchDsmLifecycle({ keys: task.keys, library: task.library });
      if (!task.destroyBoth) return { phases: kept.phases, state: kept.state };
      // Only destroy differs with allowDestroy; up and refresh are the same calls.
      const destroyed = (await benchDsmLifecycle({ keys: task.keys, allowDestroy: true, library: task.library })).phases.filter((r) => r.phase === "destroy");
      return { phases: [...kept.phases, ...destroyed], state: kept.state };
    }
    case "providers":
      return benchProviderSizesHere(task.mode, task.specifier, task.fromDir);
    case "sandbox":
      return benchSandboxRoundTrips({ program: loadBenchProgram(task.program), maxRequests: task.maxRequests, maxSeconds: task.maxSeconds });
  }
}

function childMain(): void {
  const send = (m: BenchChildMessage) => process.send!(m, () => process.exit(m.ok ? 0 : 1));
  let task: BenchTask;
  try {
    task = JSON.parse(process.argv[2] ?? "") as BenchTask;
  } catch {
    send({ ok: false, error: "the bench runner needs a task (JSON) as its argument" });
    return;
  }
  runTaskHere(task).then(
    (value) => send({ ok: true, value }),
    (err: unknown) => send({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
}

if (require.main === module && typeof process.send === "function") childMain();
