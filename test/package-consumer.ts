// The package as other stacks get it: `npm pack`, then installed from the tarball into a scratch
// stack project that already has its own @pulumi/pulumi, as npm resolves it for a user. There the
// README's consumer program is compiled with strict tsc and run under mocks in the consumer's own
// Node process, and its DSM resources are driven through that project's dynamic-provider host
// (host-scenario.ts). One file per SDK (package-sdk-latest.test.ts, package-sdk-oldest.test.ts), so
// that vitest runs the two slow installs side by side; what the tarball holds and Pulumi's component
// analyzer are in package.test.ts.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DSM_TYPE_TOKENS } from "../components/dsm/schemas";
import type { PlanResource } from "../components/testing";
import { COMPARTMENT, DOMAIN, describeDsmThroughHost } from "./host-scenario";

export const root = path.resolve(__dirname, "..");
export const PACKAGE = "oci-ekm-fortanix";
const SUBNET = "ocid1.subnet.oc1..aaaaaaaateamsubnet";
const VCN = "ocid1.vcn.oc1..aaaaaaaateamvcn";
export const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
};
/** The oldest @pulumi/pulumi the published range admits (`^3.142.0` → 3.142.0). */
export const OLDEST_SDK = pkg.dependencies["@pulumi/pulumi"].replace(/^\^/, "");

/** Children get a clean environment: none of the `npm_*` variables of an enclosing `npm test`, no DSM_*. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_") && !k.startsWith("DSM_")));
  return { ...env, ...extra };
}

export function run(command: string, args: string[], cwd: string, timeoutMs: number, extraEnv: Record<string, string> = {}): string {
  try {
    return execFileSync(command, args, { cwd, env: childEnv(extraEnv), encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
  }
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const scratch = mkdtempSync(path.join(tmpdir(), "oci-ekm-consumer-"));
// A stack project of node_modules: removing it takes a while on a loaded machine.
afterAll(() => rmSync(scratch, { recursive: true, force: true }), 180_000);

// ---- the tarball -----------------------------------------------------------------------------------

export interface Packed {
  tarball: string;
  files: string[];
}
let packing: Packed | undefined;
export function packOnce(): Packed {
  if (packing) return packing;
  if (!existsSync(path.join(root, "dist/index.js"))) run(npm, ["run", "build"], root, 120_000);
  const packDir = path.join(scratch, "pack");
  mkdirSync(packDir, { recursive: true });
  const packed = JSON.parse(run(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], root, 60_000)) as {
    filename: string;
    files: { path: string }[];
  }[];
  packing = { tarball: path.join(packDir, packed[0].filename), files: packed[0].files.map((f) => f.path).sort() };
  return packing;
}

// ---- the consumer project ------------------------------------------------------------------------

/** The README's consumer program, verbatim: the TypeScript block after `<!-- consumer-program -->`. */
function readmeConsumerProgram(): string {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const m = /<!-- consumer-program -->\s*```ts\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error("README.md has no consumer program (a ```ts block after <!-- consumer-program -->)");
  return m[1];
}

// The tsconfig of `pulumi new typescript` (pulumi/templates, typescript/tsconfig.json): today's, and
// the one before it moved to nodenext (commit 81e65225), which many stacks still have. Neither skips
// the libraries' declarations, so this package's own must type-check under both.
const TEMPLATE_OPTIONS = {
  strict: true, target: "es2020", sourceMap: true, experimentalDecorators: true, pretty: true,
  noFallthroughCasesInSwitch: true, noImplicitReturns: true, forceConsistentCasingInFileNames: true,
};
const CONSUMER_TSCONFIG = { compilerOptions: { ...TEMPLATE_OPTIONS, outDir: "build", module: "nodenext", moduleResolution: "nodenext" }, files: ["index.ts"] };
const CONSUMER_TSCONFIG_COMMONJS = { compilerOptions: { ...TEMPLATE_OPTIONS, outDir: "build-commonjs", module: "commonjs", moduleResolution: "node" }, files: ["index.ts"] };

// Runs the compiled program under mocks with the stack config in CAPTURE_CONFIG and writes every
// registered resource to the file named by the first argument.
const CAPTURE = `const { writeFileSync } = require("node:fs");
const { runStackInProcess } = require("${PACKAGE}/testing");
runStackInProcess({ project: "team-stack", stack: "dev", config: JSON.parse(process.env.CAPTURE_CONFIG), program: () => require("./build/index.js") })
  .then((r) => writeFileSync(process.argv[2], JSON.stringify(r.resources)))
  .catch((e) => { console.error(e); process.exit(1); });
`;

interface Consumer {
  dir: string;
  /** Every directory holding a @pulumi/pulumi package in the consumer's tree. */
  sdkCopies: string[];
  sdkVersion: string;
  run(dsm: { url: string; accountId: string }): PlanResource[];
}

function sdkCopies(dir: string): string[] {
  const found: string[] = [];
  const walk = (nm: string): void => {
    if (!existsSync(nm)) return;
    for (const entry of readdirSync(nm)) {
      if (entry.startsWith(".")) continue;
      const names = entry.startsWith("@") ? readdirSync(path.join(nm, entry)).map((e) => `${entry}/${e}`) : [entry];
      for (const name of names) {
        const at = path.join(nm, name);
        if (name === "@pulumi/pulumi") found.push(path.relative(dir, at));
        walk(path.join(at, "node_modules"));
      }
    }
  };
  walk(path.join(dir, "node_modules"));
  return found;
}

const consumers = new Map<string, Promise<Consumer>>();
/** A stack project that declares @pulumi/pulumi@`sdk`, the tarball installed into it, the README program compiled. */
function consumerWith(sdk: string): Promise<Consumer> {
  let made = consumers.get(sdk);
  if (!made) {
    made = Promise.resolve().then(() => {
      const { tarball } = packOnce();
      const dir = path.join(scratch, `stack-${sdk}`);
      mkdirSync(dir, { recursive: true });
      // The stack project declares its own SDK, as `pulumi new typescript` writes it; the team then
      // adds the package: one `npm install`, which resolves the project's SDK and the package together.
      const declared = { "@pulumi/pulumi": sdk, typescript: "5.9.3", "@types/node": "20.19.43" };
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "team-stack", private: true, main: "build/index.js", dependencies: declared }, null, 2));
      run(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", tarball], dir, 240_000);
      writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
      writeFileSync(path.join(dir, "tsconfig.commonjs.json"), JSON.stringify(CONSUMER_TSCONFIG_COMMONJS, null, 2));
      writeFileSync(path.join(dir, "index.ts"), readmeConsumerProgram());
      writeFileSync(path.join(dir, "capture.js"), CAPTURE);
      // Both configurations in one tsc (build mode): each is checked in full, the declarations are read once.
      run(process.execPath, [path.join(dir, "node_modules/typescript/bin/tsc"), "-b", "tsconfig.json", "tsconfig.commonjs.json"], dir, 180_000);
      const version = (JSON.parse(readFileSync(path.join(dir, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;
      return {
        dir,
        sdkCopies: sdkCopies(dir),
        sdkVersion: version,
        run: (dsm) => {
          const config = {
            "team-stack:compartmentId": COMPARTMENT,
            "team-stack:gatewayHostname": "ekm-gateway.team.example.com",
            "team-stack:identityDomainUrl": DOMAIN,
            "team-stack:dsmUrl": dsm.url,
            "team-stack:dsmAccountId": dsm.accountId,
            "team-stack:vcnId": VCN,
            "team-stack:subnetId": SUBNET,
          };
          const out = path.join(dir, `registered-${Date.now()}.json`);
          run(process.execPath, ["capture.js", out], dir, 120_000, { CAPTURE_CONFIG: JSON.stringify(config) });
          return JSON.parse(readFileSync(out, "utf8")) as PlanResource[];
        },
      };
    });
    consumers.set(sdk, made);
  }
  return made;
}

/**
 * The package installed from the tarball in a stack project that has @pulumi/pulumi@`sdk`: what npm
 * made of it, the README's program compiled and run there, and its DSM resources through that
 * project's dynamic-provider host.
 */
export function describeInstalledPackage(label: string, sdk: string): void {
  describe(`installed in a stack project that has ${label}`, { timeout: 120_000 }, () => {
    let consumer: Consumer;
    let registered: PlanResource[] = [];
    const only = (type: string): PlanResource => {
      const found = registered.filter((r) => r.type === type);
      expect(found.map((r) => r.name), type).toHaveLength(1);
      return found[0];
    };
    beforeAll(async () => {
      consumer = await consumerWith(sdk);
      registered = consumer.run({ url: "https://eu.smartkey.io", accountId: "5f2b7e0c-1234-4c8e-9a6d-0123456789ab" });
    }, 600_000);

    it("npm keeps one @pulumi/pulumi, the stack project's, and the package's exports map serves its subpaths", () => {
      expect(consumer.sdkCopies).toEqual(["node_modules/@pulumi/pulumi"]);
      if (sdk !== "latest") expect(consumer.sdkVersion).toBe(sdk);
      const resolve = createRequire(path.join(consumer.dir, "package.json")).resolve;
      const installed = path.join(consumer.dir, "node_modules", PACKAGE);
      expect(resolve(PACKAGE)).toBe(path.join(installed, "dist/index.js"));
      for (const subpath of ["verify", "plan", "sandbox", "emulators", "bench", "testing"]) {
        expect(resolve(`${PACKAGE}/${subpath}`)).toBe(path.join(installed, `dist/${subpath}/index.js`));
      }
      expect(resolve(`${PACKAGE}/package.json`)).toBe(path.join(installed, "package.json"));
      expect(resolve(`${PACKAGE}/dist/dsm/client.js`)).toBe(path.join(installed, "dist/dsm/client.js"));
      expect(() => resolve(`${PACKAGE}/components/index`)).toThrow(/not defined by "exports"/);
      expect(parseYaml(readFileSync(path.join(installed, "PulumiPlugin.yaml"), "utf8"))).toEqual({ runtime: "nodejs" });
    });

    it("require('oci-ekm-fortanix') there loads the components and the DSM resources, and none of the tooling", () => {
      const report = run(process.execPath, ["-e", `require(${JSON.stringify(PACKAGE)}); console.log(JSON.stringify(Object.keys(require.cache)))`], consumer.dir, 60_000);
      const loaded = JSON.parse(report) as string[];
      const own = path.join(consumer.dir, "node_modules", PACKAGE, "dist") + path.sep;
      const ownDirs = [...new Set(loaded.filter((f) => f.startsWith(own)).map((f) => path.dirname(f.slice(own.length)) || "."))].sort();
      expect(ownDirs).toEqual([".", "dsm"]);
      expect(loaded.filter((f) => /node_modules[\\/](node-forge|yaml)[\\/]/.test(f))).toEqual([]);
    });

    it("the offline plan finds there every @pulumi/pulumi internal it relies on (planSdkShimProblems of oci-ekm-fortanix/plan)", () => {
      const script = `const plan = require(${JSON.stringify(`${PACKAGE}/plan`)}); console.log(JSON.stringify({ version: plan.planSdkModules().version, problems: plan.planSdkShimProblems() }))`;
      const report = JSON.parse(run(process.execPath, ["-e", script], consumer.dir, 60_000)) as { version: string; problems: string[] };
      expect(report.version).toBe(consumer.sdkVersion);
      expect(report.problems).toEqual([]);
    });

    it("the README's consumer program compiles with the tsconfig of pulumi new typescript, today's and the commonjs one before it, and registers the topology in the team's VCN and subnet", () => {
      expect(existsSync(path.join(consumer.dir, "build/index.js"))).toBe(true);
      expect(existsSync(path.join(consumer.dir, "build-commonjs/index.js"))).toBe(true);
      expect(registered.filter((r) => r.type.startsWith("oci:Core/"))).toEqual([]);
      expect(only("oci:ApiGateway/gateway:Gateway").inputs).toMatchObject({ subnetId: SUBNET, endpointType: "PRIVATE", compartmentId: COMPARTMENT });
      expect(only("oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint").inputs).toMatchObject({ subnetId: SUBNET });
      expect(only("oci:Kms/key:Key").inputs).toMatchObject({ externalKeyReference: { externalKeyId: "team-key" } });
      expect(only(DSM_TYPE_TOKENS.group).inputs).toMatchObject({ name: "team-ekm", endpoint: "https://eu.smartkey.io" });
    });

    it("the DSM providers serialized there require this package only through exported dist/ paths, each of which resolves", () => {
      const consumerRequire = createRequire(path.join(consumer.dir, "package.json"));
      for (const r of registered.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic/"))) {
        const text = String(r.inputs.__provider);
        // Captured by reference, not copied from this checkout, and small enough to be stored as written.
        expect(text).not.toContain(root);
        expect(text).not.toContain("packed provider");
        const requires = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
        const own = requires.filter((s) => s === PACKAGE || s.startsWith(`${PACKAGE}/`));
        const kind = { Group: "group", JwtApp: "app", SecurityObject: "key" }[r.type.split(":").pop()!];
        expect(own.sort(), r.type).toEqual([`${PACKAGE}/dist/dsm/${kind}-provider.js`, `${PACKAGE}/dist/dsm/provider-common.js`]);
        expect(text.length, r.type).toBeLessThan(8 * 1024);
        for (const s of requires) expect(() => consumerRequire.resolve(s), s).not.toThrow();
      }
    });
  });

  describeDsmThroughHost(`the packed package in a stack project that has ${label}: its DSM providers through that project's host`, async () => {
    const consumer = await consumerWith(sdk);
    return {
      programDir: consumer.dir,
      groupName: "team-ekm",
      keyName: "team-key",
      capture: (dsm) => Promise.resolve(consumer.run(dsm).filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/")).map((r) => ({ urn: r.urn, type: r.type, name: r.name, inputs: r.inputs }))),
    };
  }, 600_000);
}
