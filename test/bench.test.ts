// The benchmark's pure parts: percentiles, plan figures, key lists, request kinds, tables, arguments.
// Nothing here is timed: the benchmark prints numbers, tests check the arithmetic and the layout.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  BENCH_USAGE,
  benchCountRequests,
  benchDsmStateFigures,
  benchDsmStateTable,
  benchDsmTable,
  benchProviderTable,
  benchLatency,
  benchPercentile,
  benchPlanFigures,
  benchRequestKind,
  benchStackKeys,
  parseBenchArgs,
  renderBenchTable,
  type BenchDsmPhaseResult,
} from "../components/bench/figures";
import { DSM_TYPE_TOKENS } from "../components/dsm/schemas";
import type { PlanResource } from "../components/plan";
import { usageError } from "./cli-helpers";
import { type ScriptLauncher, scriptCommand } from "./script-process";

function res(name: string, custom: boolean, dependencies: string[] = [], parent?: string): PlanResource {
  return {
    urn: `urn:pulumi:dev::oci-ekm::t::${name}`,
    type: custom ? "demo:index:Thing" : "demo:index:Component",
    name,
    parent: parent === undefined ? undefined : `urn:pulumi:dev::oci-ekm::t::${parent}`,
    custom,
    inputs: {},
    outputs: {},
    dependencies: dependencies.map((d) => `urn:pulumi:dev::oci-ekm::t::${d}`),
    protect: false,
    retainOnDelete: false,
    additionalSecretOutputs: [],
  };
}

describe("benchPercentile (nearest rank)", () => {
  const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];

  it("takes the value at rank ceil(p/100 · n) of the sorted values", () => {
    expect(benchPercentile(values, 50)).toBe(5);
    expect(benchPercentile(values, 95)).toBe(10);
    expect(benchPercentile(values, 90)).toBe(9);
    expect(benchPercentile(values, 0)).toBe(1);
    expect(benchPercentile(values, 100)).toBe(10);
    expect(benchPercentile([42], 95)).toBe(42);
  });

  it("does not reorder its input", () => {
    const input = [3, 1, 2];
    benchPercentile(input, 50);
    expect(input).toEqual([3, 1, 2]);
  });

  it("refuses an empty series and a p outside 0–100", () => {
    expect(() => benchPercentile([], 50)).toThrow("benchPercentile: no values");
    expect(() => benchPercentile([1], 101)).toThrow("p must be between 0 and 100, got 101");
  });

  it("benchLatency gives count, mean, p50, p95 and max", () => {
    const series = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(benchLatency(series)).toEqual({ count: 20, meanMs: 10.5, p50Ms: 10, p95Ms: 19, maxMs: 20 });
  });
});

describe("benchPlanFigures", () => {
  it("counts registrations and custom resources, and measures the longest chain through components", () => {
    // vcn → subnet → gateway; the key depends on the vault component, which stands for its vault.
    const resources = [
      res("stack", false),
      res("net", false, [], "stack"),
      res("vcn", true, [], "net"),
      res("subnet", true, ["vcn"], "net"),
      res("gateway", true, ["subnet"], "stack"),
      res("ekm", false, [], "stack"),
      res("vault", true, ["gateway"], "ekm"),
      res("key", true, ["ekm"], "stack"),
      res("lonely", true, [], "stack"),
    ];
    expect(benchPlanFigures(3, resources)).toEqual({
      keys: 3,
      resources: 9,
      customResources: 6,
      chainDepth: 5,
      chain: ["vcn", "subnet", "gateway", "vault", "key"],
    });
  });
});

describe("benchStackKeys", () => {
  it("keeps the first key of the stack config and appends -2, -3, … to the others", () => {
    const dev = JSON.stringify([{ name: "oci-ekm-key", description: "AES-256 key", rotationPolicyDays: 90 }]);
    expect(benchStackKeys(1, dev)).toEqual([{ name: "oci-ekm-key", description: "AES-256 key", rotationPolicyDays: 90 }]);
    expect(benchStackKeys(3, dev).map((k) => k.name)).toEqual(["oci-ekm-key", "oci-ekm-key-2", "oci-ekm-key-3"]);
    expect(benchStackKeys(100, dev)[99]).toEqual({ name: "oci-ekm-key-100", description: "AES-256 key", rotationPolicyDays: 90 });
  });

  it("uses the stack's default key when the config sets none", () => {
    expect(benchStackKeys(2)).toEqual([{ name: "oci-ekm-key" }, { name: "oci-ekm-key-2" }]);
  });

  it("refuses a count that is not a positive integer, and a keys config that is not a list of {name}", () => {
    expect(() => benchStackKeys(0)).toThrow("key count must be a positive integer, got 0");
    expect(() => benchStackKeys(1, '{"name":"x"}')).toThrow('the stack\'s keys config must be a list of {name, …}, got {"name":"x"}');
  });
});

describe("DSM request kinds", () => {
  it("names a request by method and path, ids replaced by {id}", () => {
    expect(benchRequestKind("patch", "/crypto/v1/keys/3F2504E0-4F89-41D3-9A0C-0305E82C3301")).toBe("PATCH /crypto/v1/keys/{id}");
    expect(benchRequestKind("GET", "/sys/v1/groups")).toBe("GET /sys/v1/groups");
  });

  it("counts authentication apart from the other requests", () => {
    const id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const counted = benchCountRequests([
      { method: "POST", path: "/sys/v1/session/auth" },
      { method: "GET", path: "/sys/v1/groups" },
      { method: "POST", path: "/sys/v1/groups" },
      { method: "POST", path: "/crypto/v1/keys/info" },
      { method: "POST", path: "/crypto/v1/keys/info" },
      { method: "GET", path: `/sys/v1/groups/${id}` },
    ]);
    expect(counted).toEqual({
      requests: 5,
      authentications: 1,
      byKind: {
        "GET /sys/v1/groups": 1,
        "GET /sys/v1/groups/{id}": 1,
        "POST /crypto/v1/keys/info": 2,
        "POST /sys/v1/groups": 1,
        "POST /sys/v1/session/auth": 1,
      },
    });
  });
});

describe("DSM requests per up, measured as npm run bench measures them", () => {
  it("creates first: up of a group, a JWT app and N keys costs 2 + N requests after the session, one create each", async () => {
    // The compiled bench (dist/), loaded natively: Pulumi's serializer cannot walk vite's modules.
    const root = path.resolve(__dirname, "..");
    const bench = createRequire(__filename)(path.join(root, "dist/bench")) as typeof import("../components/bench/measure");
    const { phases } = await bench.benchDsmLifecycle({ keys: 2, library: { specifier: "./dist", fromDir: root } });
    expect(phases.find((p) => p.phase === "up")).toEqual({
      phase: "up",
      keys: 2,
      allowDestroy: false,
      requests: 4,
      authentications: 1,
      byKind: { "POST /crypto/v1/keys": 2, "POST /sys/v1/apps": 1, "POST /sys/v1/groups": 1, "POST /sys/v1/session/auth": 1 },
    });
  }, 120_000);
});

describe("renderBenchTable", () => {
  it("renders a padded Markdown table, first column left-aligned and numbers right-aligned", () => {
    const text = renderBenchTable({ headers: ["keys", "wall s"], rows: [["1", "4.4"], ["100", "12.5"]] });
    expect(text).toBe(["| keys | wall s |", "|:-----|-------:|", "| 1    |    4.4 |", "| 100  |   12.5 |"].join("\n"));
  });

  it("refuses a row with the wrong number of cells", () => {
    expect(() => renderBenchTable({ headers: ["a", "b"], rows: [["1"]] })).toThrow("table row 0 has 1 cells for 2 columns");
  });

  it("lists DSM requests by kind without the authentication, which has its own column", () => {
    const row: BenchDsmPhaseResult = {
      phase: "destroy",
      keys: 1,
      allowDestroy: false,
      requests: 3,
      authentications: 1,
      byKind: { "DELETE /sys/v1/apps/{id}": 1, "GET /crypto/v1/keys": 1, "PATCH /crypto/v1/keys/{id}": 1, "POST /sys/v1/session/auth": 1 },
    };
    expect(benchDsmTable([row]).rows).toEqual([
      ["destroy (keys kept)", "1", "3", "1", "1× DELETE /sys/v1/apps/{id}, 1× GET /crypto/v1/keys, 1× PATCH /crypto/v1/keys/{id}"],
    ]);
  });
});

describe("what the DSM state costs", () => {
  const urn = (type: string, name: string) => `urn:pulumi:dev::oci-ekm::oci-ekm-fortanix:index:EkmTopology$${type}::${name}`;
  const entry = (type: string, name: string, provider: string) => ({
    urn: urn(type, name),
    id: `${name}-id`,
    inputs: { __provider: provider, name },
    outputs: { __provider: provider, name, kid: "k" },
  });

  it("sums each resource's state entry as JSON, and counts __provider once in the inputs and once in the outputs", () => {
    const { group, jwtApp, securityObject } = DSM_TYPE_TOKENS;
    const states = [entry(group, "g", "G".repeat(100)), entry(jwtApp, "a", "A".repeat(200)), entry(securityObject, "k1", "K".repeat(300)), entry(securityObject, "k2", "K".repeat(300))];
    const figures = benchDsmStateFigures("stack", 2, states);
    const types = [group, jwtApp, securityObject, securityObject];
    const expected = states.reduce(
      (n, s, i) => n + Buffer.byteLength(JSON.stringify({ urn: s.urn, type: types[i], id: s.id, inputs: s.inputs, outputs: s.outputs })),
      0,
    );
    expect(figures).toMatchObject({ mode: "stack", keys: 2, resources: 4, providerBytes: { group: 100, app: 200, key: 300 }, providerStateBytes: 2 * (102 + 202 + 302 + 302) });
    expect(figures.stateBytes).toBeGreaterThan(figures.providerStateBytes);
    expect(figures.stateBytes).toBe(expected);
  });

  it("tables the state by key count and the providers by way of loading, in KiB", () => {
    const state = { mode: "stack" as const, keys: 100, resources: 102, providerBytes: { group: 14745, app: 15155, key: 17100 }, stateBytes: 3589222, providerStateBytes: 3482624 };
    expect(benchDsmStateTable([state, { ...state, mode: "package" }]).rows).toEqual([
      ["this repository's stack (ts-node)", "100", "102", "3505.1", "3401.0", "14.4 / 14.8 / 16.7"],
      ["installed package", "100", "102", "3505.1", "3401.0", "14.4 / 14.8 / 16.7"],
    ]);
    expect(benchProviderTable([{ mode: "package", kind: "key", serializedBytes: 3789, storedBytes: 3789, packageRequires: 2 }]).rows).toEqual([
      ["installed package", "key", "3.7", "3.7", "2"],
    ]);
  });
});

describe("parseBenchArgs", () => {
  it("defaults to bench-results.json and takes --out FILE, --out=FILE, --verbose and --child-timeout", () => {
    expect(parseBenchArgs([])).toEqual({ help: false, out: "bench-results.json", verbose: false });
    expect(parseBenchArgs(["--out", "x.json", "--verbose"])).toEqual({ help: false, out: "x.json", verbose: true });
    expect(parseBenchArgs(["--out=y.json"])).toEqual({ help: false, out: "y.json", verbose: false });
    expect(parseBenchArgs(["--child-timeout", "600"])).toEqual({ help: false, out: "bench-results.json", verbose: false, childTimeoutSeconds: 600 });
    expect(parseBenchArgs(["--keys", "5", "-h"])).toEqual({ help: true });
  });

  it("names a bad argument as a usage error (components/cli.ts)", () => {
    const usage = (argv: string[]): string => usageError(() => parseBenchArgs(argv));
    expect(usage(["--keys", "5"])).toBe("unknown option --keys");
    expect(usage(["--verbos"])).toBe("unknown option --verbos (did you mean --verbose?)");
    expect(usage(["--child-timeout", "soon"])).toBe('--child-timeout: "soon" is not a number of seconds greater than 0');
    expect(usage(["--child-timeout=0"])).toBe('--child-timeout: "0" is not a number of seconds greater than 0');
    expect(usage(["--out"])).toBe("--out needs a value");
    expect(usage(["--verbose", "--verbose"])).toBe("--verbose is given more than once");
  });
});

describe("npm run bench, as a process", () => {
  const root = path.resolve(__dirname, "..");
  const run = (args: string[], launcher?: ScriptLauncher): { status: number | null; stdout: string; stderr: string } => {
    const started = scriptCommand("scripts/bench.ts", args, launcher);
    return spawnSync(started.command, started.args, { cwd: root, encoding: "utf8", timeout: 60_000 });
  };

  it("--help exits 0 with the usage; an unwritable --out exits 2 before anything is measured", () => {
    // The command `npm run bench` runs after its build (npm itself is left out here: its build is ten seconds of tsc).
    expect(run(["--help"])).toMatchObject({ status: 0, stdout: BENCH_USAGE + "\n", stderr: "" });
    expect(run(["--out", "/nonexistent/x.json"])).toMatchObject({
      status: 2,
      stdout: "",
      stderr: `bench: --out /nonexistent/x.json: cannot write there (folder /nonexistent does not exist or is not writable)\n${BENCH_USAGE}\n`,
    });
    expect(run(["--child-timeout"])).toMatchObject({ status: 2, stdout: "", stderr: `bench: --child-timeout needs a value\n${BENCH_USAGE}\n` });
  }, 120_000);
});
