// The benchmark's figures: result types, the pure arithmetic behind them (percentiles, chain depth,
// request kinds) and the tables `npm run bench` prints. No I/O here, so all of it is testable as is.
import type { PlanResource } from "../plan/engine";
import { planLongestChain } from "../plan/report";
import { CliUsageError, parseCliArgs, type CliOption } from "../cli";

// ---- result types ---------------------------------------------------------------------------------

/** What one offline plan registered. */
export interface BenchPlanFigures {
  /** Keys in the `keys` stack config. */
  keys: number;
  /** Every registration, the stack and components included. */
  resources: number;
  /** Resources a provider manages (what `pulumi up` would create). */
  customResources: number;
  /** Depth of the longest chain of custom resources that must be created one after another. */
  chainDepth: number;
  /** Names along that chain, first created first. */
  chain: string[];
}

/** One offline plan, run in its own process. */
export interface BenchPlanResult extends BenchPlanFigures {
  /** From spawning the process to its answer (Node start, ts-node, module loading, the plan). */
  wallMs: number;
  /** Inside the process, from its start to the start of the plan (ts-node and module loading). */
  loadMs: number;
  /** The plan engine alone (`runStackInProcess`). */
  engineMs: number;
  /** Peak resident set size of the process (`process.resourceUsage().maxRSS`), MiB. */
  peakRssMiB: number;
}

/** A phase of the DSM resources' life, as the engine drives the providers. */
export type BenchDsmPhase = "up" | "refresh" | "destroy";

/** DSM requests of one phase. */
export interface BenchDsmPhaseResult {
  phase: BenchDsmPhase;
  /** Security objects (the group and the JWT app come on top). */
  keys: number;
  /** Whether the security objects had `allowDestroy: true` (destroy deletes them instead of disabling them). */
  allowDestroy: boolean;
  /** Requests other than authentication. */
  requests: number;
  /** Session authentications (`POST /sys/v1/session/auth`, and `select_account` for a user login). */
  authentications: number;
  /** Every request of the phase, authentication included, by `METHOD /path` with ids as `{id}`. */
  byKind: Record<string, number>;
}

/** What the DSM resources of one stack cost in its state file after `pulumi up`. */
export interface BenchDsmStateResult {
  /** How the program loaded the library: `stack` (providers copied by value) or `package` (installed: captured by require). */
  mode: "stack" | "package";
  /** Security objects (the group and the JWT app come on top). */
  keys: number;
  /** DSM resources in the state. */
  resources: number;
  /** Bytes of each kind's `__provider`, as stored (compressed when large). */
  providerBytes: { group: number; app: number; key: number };
  /** Bytes of the DSM resources' entries (`urn`, `type`, `id`, `inputs`, `outputs`) as JSON: `__provider` is in both. */
  stateBytes: number;
  /** Of `stateBytes`, the `__provider` copies. */
  providerStateBytes: number;
}

/** How a stored `__provider` compares with what Pulumi's serializer wrote, for one way of loading the library. */
export interface BenchProviderSize {
  /** `stack` (infra/ under ts-node), `dist` (dist/ by path), `linked` (npm link), `package` (installed tarball). */
  mode: string;
  kind: "group" | "app" | "key";
  /** What the serializer wrote. */
  serializedBytes: number;
  /** What is stored as `__provider` (packed above 16 KiB). */
  storedBytes: number;
  /** Modules the serialized text `require`s from this package. */
  packageRequires: number;
}

/** Latency figures of a series of calls, milliseconds. */
export interface BenchLatency {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

/** OCI Vault's calls through the private endpoint and the gateway to DSM, one at a time. */
export interface BenchSandboxResult {
  /** `runSandbox` until the topology is up and verified (includes its own OCI Vault steps). */
  setupMs: number;
  /** Calls not counted, made first to open connections and fill caches. */
  warmupCalls: number;
  /** Calls measured (Encrypt and Decrypt alternately). */
  requests: number;
  /** What ended the series: the request budget or the time budget. */
  stoppedBy: "requests" | "time";
  durationMs: number;
  requestsPerSecond: number;
  /**
   * CPU time of this process per call: every hop (client, private endpoint, gateway, DSM, Identity
   * Domain) runs in it, so a value close to the latency means the chain is CPU-bound here.
   */
  cpuMsPerRequest: number;
  latency: BenchLatency;
  byOperation: { encrypt: BenchLatency; decrypt: BenchLatency };
}

/** The machine the numbers come from. */
export interface BenchMachine {
  node: string;
  platform: string;
  cpuModel: string;
  cpus: number;
  totalMemoryMiB: number;
  /** 1-minute load average when the bench started (the machine may be shared). */
  loadAverage1m: number;
}

/** The JSON document `npm run bench` writes. */
export interface BenchResults {
  startedAt: string;
  machine: BenchMachine;
  plan: BenchPlanResult[];
  dsm: BenchDsmPhaseResult[];
  dsmState: BenchDsmStateResult[];
  providers: BenchProviderSize[];
  sandbox: BenchSandboxResult;
  /** The whole bench, wall time. */
  totalMs: number;
}

// ---- arithmetic -----------------------------------------------------------------------------------

/** The state figures of the DSM resources `pulumi up` left (their entries as the state file keeps them). */
export function benchDsmStateFigures(
  mode: BenchDsmStateResult["mode"],
  keys: number,
  states: readonly { urn: string; id: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }[],
): BenchDsmStateResult {
  const typeOf = (urn: string): string => (urn.split("::")[2] ?? "").split("$").pop() ?? "";
  const sizeOf = (kind: string): number => {
    const s = states.find((x) => typeOf(x.urn).endsWith(`:${kind}`));
    return s ? Buffer.byteLength(String(s.inputs.__provider ?? "")) : 0;
  };
  let stateBytes = 0;
  let providerStateBytes = 0;
  for (const s of states) {
    stateBytes += Buffer.byteLength(JSON.stringify({ urn: s.urn, type: typeOf(s.urn), id: s.id, inputs: s.inputs, outputs: s.outputs }));
    for (const props of [s.inputs, s.outputs]) providerStateBytes += Buffer.byteLength(JSON.stringify(String(props.__provider ?? "")));
  }
  return { mode, keys, resources: states.length, providerBytes: { group: sizeOf("Group"), app: sizeOf("JwtApp"), key: sizeOf("SecurityObject") }, stateBytes, providerStateBytes };
}

/** The nearest-rank percentile `p` (0–100) of `values` (any order). */
export function benchPercentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error("benchPercentile: no values");
  if (!(p >= 0 && p <= 100)) throw new Error(`benchPercentile: p must be between 0 and 100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Mean, p50, p95 and max of a series of durations. */
export function benchLatency(valuesMs: readonly number[]): BenchLatency {
  if (valuesMs.length === 0) throw new Error("benchLatency: no values");
  return {
    count: valuesMs.length,
    meanMs: valuesMs.reduce((a, b) => a + b, 0) / valuesMs.length,
    p50Ms: benchPercentile(valuesMs, 50),
    p95Ms: benchPercentile(valuesMs, 95),
    maxMs: Math.max(...valuesMs),
  };
}

/** Counts, chain depth and chain of a plan. */
export function benchPlanFigures(keys: number, resources: PlanResource[]): BenchPlanFigures {
  const chain = planLongestChain(resources);
  return {
    keys,
    resources: resources.length,
    customResources: resources.filter((r) => r.custom).length,
    chainDepth: chain.depth,
    chain: chain.chain.map((r) => r.name),
  };
}

/** One entry of the `keys` stack config. */
export interface BenchStackKey {
  name: string;
  description?: string;
  rotationPolicyDays?: number;
}

/**
 * `count` keys modelled on the first key of `keysJson` (the stack's `keys` config as JSON; default
 * one key `oci-ekm-key`): the first keeps its name, the others get `-2`, `-3`, … appended.
 */
export function benchStackKeys(count: number, keysJson?: string): BenchStackKey[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`key count must be a positive integer, got ${count}`);
  let template: BenchStackKey = { name: "oci-ekm-key" };
  if (keysJson !== undefined) {
    const parsed: unknown = JSON.parse(keysJson);
    const first = Array.isArray(parsed) ? (parsed[0] as unknown) : undefined;
    if (first === null || typeof first !== "object" || typeof (first as { name?: unknown }).name !== "string") {
      throw new Error(`the stack's keys config must be a list of {name, …}, got ${keysJson}`);
    }
    template = first as BenchStackKey;
  }
  return Array.from({ length: count }, (_, i) => ({ ...template, name: i === 0 ? template.name : `${template.name}-${i + 1}` }));
}

const UUID_IN_PATH = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** A DSM request's kind: `METHOD /path`, ids replaced by `{id}` so that requests of one kind add up. */
export function benchRequestKind(method: string, path: string): string {
  return `${method.toUpperCase()} ${path.replace(UUID_IN_PATH, "{id}")}`;
}

/** Request kinds that open a session rather than do work. */
export const BENCH_AUTH_KINDS: readonly string[] = ["POST /sys/v1/session/auth", "POST /sys/v1/session/select_account"];

/** Requests by kind, and the split between authentication and the rest. */
export function benchCountRequests(requests: readonly { method: string; path: string }[]): {
  requests: number;
  authentications: number;
  byKind: Record<string, number>;
} {
  const byKind: Record<string, number> = {};
  for (const r of requests) {
    const kind = benchRequestKind(r.method, r.path);
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  const authentications = BENCH_AUTH_KINDS.reduce((n, k) => n + (byKind[k] ?? 0), 0);
  return { requests: requests.length - authentications, authentications, byKind: Object.fromEntries(Object.entries(byKind).sort()) };
}

// ---- tables ---------------------------------------------------------------------------------------

export interface BenchTable {
  headers: string[];
  rows: string[][];
  /** Per column; default: left for the first column, right for the others (numbers). */
  align?: ("left" | "right")[];
}

/** A Markdown table, padded so that it also reads well in a terminal. */
export function renderBenchTable(table: BenchTable): string {
  const { headers, rows } = table;
  for (const [i, row] of rows.entries()) {
    if (row.length !== headers.length) throw new Error(`table row ${i} has ${row.length} cells for ${headers.length} columns`);
  }
  const align = headers.map((_, c) => table.align?.[c] ?? (c === 0 ? "left" : "right"));
  const widths = headers.map((h, c) => Math.max(3, h.length, ...rows.map((r) => r[c].length)));
  const cell = (text: string, c: number) => (align[c] === "right" ? text.padStart(widths[c]) : text.padEnd(widths[c]));
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  const rule = `|${widths.map((w, c) => (align[c] === "right" ? "-".repeat(w + 1) + ":" : ":" + "-".repeat(w + 1))).join("|")}|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const secs = (v: number) => (v / 1000).toFixed(1);

/** The plan table: one row per key count. */
export function benchPlanTable(plan: readonly BenchPlanResult[]): BenchTable {
  return {
    headers: ["keys", "resources (custom)", "longest chain", "wall s", "load s", "engine s", "peak RSS MiB"],
    rows: plan.map((p) => [
      String(p.keys),
      `${p.resources} (${p.customResources})`,
      String(p.chainDepth),
      secs(p.wallMs),
      secs(p.loadMs),
      secs(p.engineMs),
      p.peakRssMiB.toFixed(0),
    ]),
  };
}

/** The DSM table: one row per phase and key count. */
export function benchDsmTable(dsm: readonly BenchDsmPhaseResult[]): BenchTable {
  const kinds = (r: BenchDsmPhaseResult) =>
    Object.entries(r.byKind)
      .filter(([k]) => !BENCH_AUTH_KINDS.includes(k))
      .map(([k, n]) => `${n}× ${k}`)
      .join(", ");
  return {
    headers: ["phase", "keys", "requests", "auth", "requests by kind (auth excluded)"],
    align: ["left", "right", "right", "right", "left"],
    rows: dsm.map((r) => [
      r.phase + (r.phase === "destroy" ? (r.allowDestroy ? " (allowDestroy)" : " (keys kept)") : ""),
      String(r.keys),
      String(r.requests),
      String(r.authentications),
      kinds(r),
    ]),
  };
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(1);
}

/** The state table: the DSM resources' part of a stack's state file after `pulumi up`, by key count. */
export function benchDsmStateTable(states: readonly BenchDsmStateResult[]): BenchTable {
  return {
    headers: ["library loaded as", "keys", "DSM resources", "state KiB", "of it __provider KiB", "__provider KiB (group / app / key)"],
    align: ["left", "right", "right", "right", "right", "left"],
    rows: states.map((s) => [
      s.mode === "stack" ? "this repository's stack (ts-node)" : "installed package",
      String(s.keys),
      String(s.resources),
      kib(s.stateBytes),
      kib(s.providerStateBytes),
      `${kib(s.providerBytes.group)} / ${kib(s.providerBytes.app)} / ${kib(s.providerBytes.key)}`,
    ]),
  };
}

/** The provider table: bytes serialized and stored per way of loading the library and resource kind. */
export function benchProviderTable(sizes: readonly BenchProviderSize[]): BenchTable {
  const label: Record<string, string> = {
    stack: "this repository's stack (ts-node)",
    dist: "dist/ required by path",
    linked: "checkout linked (npm link)",
    package: "installed package",
  };
  return {
    headers: ["library loaded as", "resource", "serialized KiB", "stored KiB", "requires of this package"],
    align: ["left", "left", "right", "right", "right"],
    rows: sizes.map((p) => [label[p.mode] ?? p.mode, p.kind, kib(p.serializedBytes), kib(p.storedBytes), String(p.packageRequires)]),
  };
}

/** The sandbox table: one row, the whole series and each operation. */
export function benchSandboxTable(s: BenchSandboxResult): BenchTable {
  const row = (what: string, l: BenchLatency, rate: string) => [what, String(l.count), rate, ms(l.p50Ms), ms(l.p95Ms), ms(l.maxMs)];
  return {
    headers: ["calls", "n", "req/s", "p50 ms", "p95 ms", "max ms"],
    rows: [
      row("Encrypt + Decrypt", s.latency, s.requestsPerSecond.toFixed(1)),
      row("  Encrypt", s.byOperation.encrypt, ""),
      row("  Decrypt", s.byOperation.decrypt, ""),
    ],
  };
}

/** Everything `npm run bench` prints after measuring. */
export function renderBenchReport(r: BenchResults): string {
  const m = r.machine;
  return [
    `Machine: ${m.cpus} × ${m.cpuModel}, ${(m.totalMemoryMiB / 1024).toFixed(1)} GiB, Node ${m.node} (${m.platform}), load ${m.loadAverage1m.toFixed(2)} at start`,
    "",
    "Offline plan of the dev stack (one process each):",
    renderBenchTable(benchPlanTable(r.plan)),
    "",
    "DSM requests per operation (through Pulumi's dynamic-provider host, one host process per phase, against the DSM emulator):",
    renderBenchTable(benchDsmTable(r.dsm)),
    "",
    "DSM state after pulumi up (each resource keeps __provider in its inputs and its outputs):",
    renderBenchTable(benchDsmStateTable(r.dsmState)),
    "",
    "Serialized DSM providers (`__provider`), by how the program loads this library:",
    renderBenchTable(benchProviderTable(r.providers)),
    "",
    `Sandbox round trips: OCI Vault → private endpoint → gateway → DSM, one call at a time (${r.sandbox.requests} calls after ${r.sandbox.warmupCalls} warm-up, ` +
      `${secs(r.sandbox.durationMs)} s, stopped by the ${r.sandbox.stoppedBy} budget; ${ms(r.sandbox.cpuMsPerRequest)} ms CPU per call ` +
      `across all emulated hops; sandbox setup ${secs(r.sandbox.setupMs)} s):`,
    renderBenchTable(benchSandboxTable(r.sandbox)),
    "",
    `Bench total: ${secs(r.totalMs)} s`,
  ].join("\n");
}

// ---- command line ---------------------------------------------------------------------------------

export interface BenchArgs {
  /** JSON results file. Default `bench-results.json`. */
  out: string;
  /** Show the measured processes' stderr (provider warnings). Default false. */
  verbose: boolean;
  /** Seconds a measuring process may take before it is stopped. Default: the runner's (300). */
  childTimeoutSeconds?: number;
}

export const BENCH_USAGE = `Usage: npm run bench -- [--out FILE] [--verbose] [--child-timeout SECONDS]

Measures the offline plan (1, 10, 100 keys), DSM requests per up/refresh/destroy and sandbox round
trips on this machine, each in a process of its own; prints the tables and writes the JSON results.

  --out FILE                the JSON results file (default bench-results.json), checked before anything runs
  --verbose                 show the measured processes' stderr (provider warnings)
  --child-timeout SECONDS   stop a measuring process that takes longer (default 300)
  -h, --help                this text

Exit code: 0 done, 1 a measurement failed, 2 a usage error (nothing was run).`;

export const BENCH_OPTIONS: Readonly<Record<string, CliOption>> = { out: { value: true }, verbose: {}, "child-timeout": { value: true } };

/** Parses the arguments of `npm run bench`; a mistake throws `CliUsageError` naming it (see components/cli.ts). */
export function parseBenchArgs(argv: readonly string[]): { help: true } | ({ help: false } & BenchArgs) {
  const parsed = parseCliArgs(argv, BENCH_OPTIONS);
  if (parsed.help) return { help: true };
  const { out, verbose, "child-timeout": timeout } = parsed.values;
  const args: { help: false } & BenchArgs = { help: false, out: typeof out === "string" ? out : "bench-results.json", verbose: verbose === true };
  if (typeof timeout === "string") {
    const seconds = Number(timeout);
    if (!(Number.isFinite(seconds) && seconds > 0)) throw new CliUsageError(`--child-timeout: "${timeout}" is not a number of seconds greater than 0`);
    args.childTimeoutSeconds = seconds;
  }
  return args;
}
