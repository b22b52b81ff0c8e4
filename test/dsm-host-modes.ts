// The DSM providers through Pulumi's own dynamic-provider host, in the ways this library is loaded
// from source or from a checkout. In each, Pulumi's serializer copies the library's functions into
// `__provider` by value (they are not under a node_modules folder), so each is a separate test of
// code that must survive that copy. The installed package (captured by `require`) is driven the
// same way in package-sdk-*.test.ts. The repository's stack is one file (dsm-host.test.ts); the two
// ways another project loads a checkout share one team project and one file (dsm-host-checkout.test.ts).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import type { CapturedDynamicResource } from "../components/testing";
import { COMPARTMENT, DOMAIN, describeDsmThroughHost, type HostMode } from "./host-scenario";

const root = path.resolve(__dirname, "..");
const scratches: string[] = [];
// Scratch projects with node_modules of their own: removing them takes a while on a loaded machine.
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
}, 180_000);

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_") && !k.startsWith("DSM_") && !k.startsWith("VITEST")));
  return { ...env, ...extra };
}

function readCaptured(file: string): CapturedDynamicResource[] {
  return JSON.parse(readFileSync(file, "utf8")) as CapturedDynamicResource[];
}

// A consumer program in plain JavaScript, importing the library through `specifier`.
const consumerProgram = (specifier: string) => `const pulumi = require("@pulumi/pulumi");
const { EkmTopology } = require(${JSON.stringify(specifier)});
const config = new pulumi.Config();
const ekm = new EkmTopology("team", {
  compartmentId: config.require("compartmentId"),
  gatewayHostname: "ekm-gateway.team.example.com",
  identityDomainUrl: config.require("identityDomainUrl"),
  dsmUrl: config.require("dsmUrl"),
  dsm: { accountId: config.require("dsmAccountId"), groupName: "team-ekm", keys: [{ name: "team-key" }] },
  network: { existingSubnetId: "ocid1.subnet.oc1..aaaaaaaateamsubnet" },
});
exports.vaultId = ekm.vaultId;
`;

const captureMain = (testing: string, program: string) => `const { writeFileSync } = require("node:fs");
const { captureDynamicResources } = require(${JSON.stringify(testing)});
captureDynamicResources({ project: "team-stack", config: JSON.parse(process.env.CAPTURE_CONFIG), program: () => require(${JSON.stringify(program)}) })
  .then((found) => writeFileSync(process.argv[2], JSON.stringify(found)))
  .catch((e) => { console.error(e); process.exit(1); });
`;

function consumerCapture(dir: string, mode: string, dsm: { url: string; accountId: string }): CapturedDynamicResource[] {
  const config = {
    "team-stack:compartmentId": COMPARTMENT,
    "team-stack:identityDomainUrl": DOMAIN,
    "team-stack:dsmUrl": dsm.url,
    "team-stack:dsmAccountId": dsm.accountId,
  };
  const out = path.join(dir, `captured-${mode}.json`);
  execFileSync(process.execPath, [`capture-${mode}.js`, out], { cwd: dir, env: childEnv({ CAPTURE_CONFIG: JSON.stringify(config) }), stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
  return readCaptured(out);
}

/** This repository's stack: infra/ under ts-node, as Pulumi.yaml runs it. */
export function describeRepositoryStackThroughHost(): void {
  describeDsmThroughHost("this repository's stack (infra/ under ts-node, as Pulumi.yaml runs it)", () => ({
    programDir: root,
    groupName: "oci-ekm",
    keyName: "oci-ekm-key",
    capture: (dsm) => {
      const out = path.join(mkdtempSync(path.join(tmpdir(), "oci-ekm-capture-")), "captured.json");
      scratches.push(path.dirname(out));
      const config = {
        "oci-ekm:compartmentId": COMPARTMENT,
        "oci-ekm:gatewayHostname": "ekm-gateway.example.com",
        "oci-ekm:identityDomainUrl": DOMAIN,
        "oci-ekm:dsmUrl": dsm.url,
        "oci-ekm:dsmAccountId": dsm.accountId,
      };
      execFileSync(process.execPath, ["-r", "ts-node/register", "test/fixtures/capture-stack.ts", out], {
        cwd: root, env: childEnv({ CAPTURE_CONFIG: JSON.stringify(config) }), stdio: ["ignore", "pipe", "pipe"], timeout: 120_000,
      });
      return Promise.resolve(readCaptured(out));
    },
  }));
}

/**
 * A stack project as a team has it: its own @pulumi/pulumi installed with npm (the version this
 * repository locks, so that npm's cache serves it), and nothing of this checkout's node_modules.
 */
function teamProject(prefix: string, ...specs: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratches.push(dir);
  const sdk = (JSON.parse(readFileSync(path.join(root, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;
  // The project declares its SDK; one `npm install` resolves it together with anything added.
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "team-stack", private: true, dependencies: { "@pulumi/pulumi": sdk } }));
  npmInstall(dir, ...specs);
  return dir;
}

function npmInstall(dir: string, ...specs: string[]): void {
  execFileSync(process.platform === "win32" ? "npm.cmd" : "npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", ...specs], {
    cwd: dir, env: childEnv({}), stdio: ["ignore", "pipe", "pipe"], timeout: 240_000,
  });
}

/**
 * The team project both checkout modes run in: its own @pulumi/pulumi, and this checkout installed
 * with `npm install file:` (as `npm link` does). One install for both: the by-path program does not
 * use the link (it names dist/ by its path), and each mode has its own program and capture files.
 */
let checkoutProject: string | undefined;
function teamProjectWithCheckout(): string {
  checkoutProject ??= teamProject("oci-ekm-checkout-", `file:${root}`);
  return checkoutProject;
}

/** A mode's program and capture script in the team project, named after the mode. */
function checkoutMode(mode: string, specifier: string, testing: string): HostMode {
  const dir = teamProjectWithCheckout();
  writeFileSync(path.join(dir, `program-${mode}.js`), consumerProgram(specifier));
  writeFileSync(path.join(dir, `capture-${mode}.js`), captureMain(testing, `./program-${mode}.js`));
  return { programDir: dir, groupName: "team-ekm", keyName: "team-key", capture: (dsm) => Promise.resolve(consumerCapture(dir, mode, dsm)) };
}

/** This checkout's dist/, required by a relative path from another project. */
export function describeByPathThroughHost(): void {
  describeDsmThroughHost("dist/ required by path from another project", () => {
    const dist = path.relative(teamProjectWithCheckout(), path.join(root, "dist"));
    return checkoutMode("by-path", `./${dist}`, `./${dist}/testing`);
  }, 300_000);
}

/** This checkout installed into another project with `npm install file:` (as `npm link` does). */
export function describeLinkedThroughHost(): void {
  describeDsmThroughHost("a checkout linked into another project's node_modules (npm install file:, as npm link does)", () => checkoutMode("linked", "oci-ekm-fortanix", "oci-ekm-fortanix/testing"), 300_000);
}
