import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vitest/config";
import SlowestFirstSequencer from "./sequencer.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

// Pulumi's closure serializer cannot walk modules that vite transformed ("Could not find [[Scopes]]
// property"; the test hangs). Dynamic providers are therefore loaded from their tsc output in dist/
// (`npm test` builds first), natively by Node, wherever a test or a component imports them.
const COMPILED_BY_TSC: Record<string, string> = {
  [path.join(root, "components/dsm/provider.ts")]: path.join(root, "dist/dsm/provider.js"),
};

function stalenessWarning(): void {
  const src = path.join(root, "components/dsm");
  const out = path.join(root, "dist/dsm");
  for (const file of readdirSync(src).filter((f) => f.endsWith(".ts"))) {
    const compiled = path.join(out, file.replace(/\.ts$/, ".js"));
    if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(path.join(src, file)).mtimeMs) {
      console.warn(`[vitest] dist/dsm/${file.replace(/\.ts$/, ".js")} is older than components/dsm/${file}: run \`npm run build\` first`);
      return;
    }
  }
}

function compiledDynamicProviders(): Plugin {
  let warned = false;
  return {
    name: "oci-ekm:compiled-dynamic-providers",
    enforce: "pre",
    resolveId(source, importer) {
      if (!importer || !(source.startsWith(".") || path.isAbsolute(source))) return null;
      const base = path.resolve(path.dirname(importer), source);
      for (const candidate of [base, `${base}.ts`, base.replace(/\.js$/, ".ts")]) {
        const compiled = COMPILED_BY_TSC[candidate];
        if (compiled === undefined) continue;
        if (!existsSync(compiled)) {
          throw new Error(`${path.relative(root, compiled)} is missing: run \`npm run build\` before vitest (the DSM providers are tested compiled)`);
        }
        if (!warned) {
          warned = true;
          stalenessWarning();
        }
        return { id: compiled, external: true };
      }
      return null;
    },
  };
}

// Files that change the process for good (module mocks, their own setMocks) or that are slow anyway
// get a fresh worker each, as vitest's default isolation gives. Every other file shares its worker's
// loaded modules with the files before it: most of them take milliseconds, and loading
// @pulumi/pulumi, @pulumi/oci and the emulators again for each cost more than a minute of the run.
// The plan engine's runs (runStackInProcess) set the SDK's runtime up afresh each time, so files
// that use it share a worker too.
const ISOLATED = [
  // Module mocks (vi.doMock after vi.resetModules) for the whole process.
  "sandbox-wiring",
  // pulumi.runtime.setMocks of its own, which the plan engine's runs in the same process would replace.
  "dsm-resources",
  // Slow files that spawn programs and hosts.
  "package-sdk-latest", "package-sdk-oldest", "package", "package-surface", "dsm-host", "dsm-host-checkout", "bench", "verify-cli",
].map((name) => `test/${name}.test.ts`);

// Sandbox runs share a worker among themselves: each run sets DSM_* for its duration and restores
// them, and closes every server it started (sandbox-keep.test.ts checks both). Loading the sandbox's
// modules once instead of once per file saves about ten seconds of CPU; they stay apart from the
// small files so that their minutes of runs spread over both workers.
const SANDBOX = ["sandbox", "sandbox-budget", "sandbox-keep", "sandbox-replica", "sandbox-stack"].map((name) => `test/${name}.test.ts`);

const shared = {
  root,
  // Transpiles the repository's modules once, for the tests that start scripts/*.ts as processes.
  globalSetup: [path.join(root, "test/transpile-setup.mts")],
  testTimeout: 30_000,
  hookTimeout: 30_000,
  server: {
    deps: {
      // Load the compiled DSM modules with Node itself, so that the closure serializer sees real
      // functions and require() calls (and the session cache is the process's one).
      external: [/\/dist\/dsm\//],
    },
  },
};

export default defineConfig({
  plugins: [compiledDynamicProviders()],
  test: {
    root,
    reporters: ["default", "./test/summary-reporter.mts"],
    // vitest's default is one worker fewer than the CPUs: a single one on the two-core CI machine.
    // The slow files mostly wait on child processes (npm, Pulumi's provider host), so two run side
    // by side in about half the time (three measured slower: the run is bound by CPU).
    maxWorkers: Number(process.env.OCI_EKM_TEST_WORKERS ?? 2),
    sequence: { sequencer: SlowestFirstSequencer },
    projects: [
      { extends: true, test: { ...shared, name: "isolated", include: ISOLATED } },
      { extends: true, test: { ...shared, name: "sandbox", include: SANDBOX, isolate: false } },
      { extends: true, test: { ...shared, name: "shared", include: ["test/**/*.test.ts"], exclude: [...ISOLATED, ...SANDBOX], isolate: false } },
    ],
  },
});
