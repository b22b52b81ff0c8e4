// The package's entry points as a stack loads them (compiled dist/, in a fresh Node process, so that
// nothing vitest already loaded counts): the main entry is what a program declares and nothing of
// the tooling, and each tool has its own subpath.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");

interface Loaded {
  exports: string[];
  ownModules: string[];
  packages: string[];
  /** The @pulumi/oci services whose index.js was loaded. */
  ociServices: string[];
  /** Whether @pulumi/oci's own index.js (which loads all of its ~170 services) was loaded. */
  ociIndex: boolean;
}

/** Requires `entry` from dist/ in a new process and reports its exports and what it loaded. */
function load(entry: string): Loaded {
  const script = `
    const path = require("node:path");
    const dist = path.join(process.cwd(), "dist") + path.sep;
    const m = require(path.join(dist, ${JSON.stringify(entry)}));
    const files = Object.keys(require.cache);
    const pkgOf = (f) => { const rest = f.split("node_modules" + path.sep).pop().split(path.sep); return rest[0].startsWith("@") ? rest[0] + "/" + rest[1] : rest[0]; };
    console.log(JSON.stringify({
      exports: Object.keys(m).sort(),
      ownModules: files.filter((f) => f.startsWith(dist)).map((f) => f.slice(dist.length).split(path.sep).join("/")).sort(),
      packages: [...new Set(files.filter((f) => f.includes("node_modules")).map(pkgOf))].sort(),
      ociServices: files.filter((f) => /node_modules[\\/]@pulumi[\\/]oci[\\/][^\\/]+[\\/]index\.js$/.test(f)).map((f) => f.split(path.sep).slice(-2)[0]).sort(),
      ociIndex: files.some((f) => f.endsWith(path.join("@pulumi", "oci", "index.js"))),
    }));`;
  return JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" })) as Loaded;
}

describe("the main entry (require('oci-ekm-fortanix'))", () => {
  const main = load("index.js");

  it("loads the components, the DSM resources and their helpers, and no tooling", () => {
    expect(main.ownModules).toEqual([
      "certificate.js", "dsm/api-apps.js", "dsm/api-keys.js", "dsm/api.js", "dsm/app-provider.js", "dsm/client.js", "dsm/credentials.js",
      "dsm/errors.js", "dsm/group-provider.js", "dsm/index.js", "dsm/key-provider.js", "dsm/provider-cache.js", "dsm/provider-common.js", "dsm/provider-module.js",
      "dsm/provider.js", "dsm/resources.js", "dsm/schemas.js", "dsm/session.js", "ekm.js", "gateway.js", "identity-domain-url.js", "identity.js",
      "index.js", "network.js", "pem.js", "policies.js", "problems.js", "replica.js", "topology-args.js", "topology-dsm.js", "topology.js", "urls.js",
    ]);
    // node-forge (the emulators' certificates) and yaml (the plan's stack files) are tooling only.
    expect(main.packages).not.toContain("node-forge");
    expect(main.packages).not.toContain("yaml");
    // Oracle's SDK is for verify and the sandbox only.
    for (const sdk of ["oci-common", "oci-keymanagement", "undici"]) expect(main.packages, sdk).not.toContain(sdk);
    expect(main.packages).toEqual(expect.arrayContaining(["@pulumi/oci", "@pulumi/pulumi", "@pulumi/tls", "axios", "zod"]));
  });

  it("loads only the five @pulumi/oci services the components declare, not the whole provider SDK", () => {
    // Importing "@pulumi/oci" loads every service; a consumer's tsc then also reads all their types
    // (the README's program: 23 s of strict tsc against 9.5 s).
    expect(main.ociIndex).toBe(false);
    expect(main.ociServices).toEqual(["apigateway", "certificatesmanagement", "core", "identity", "kms"]);
  });

  it("exports every component, the DSM resources and the helpers a program uses, and none of the tools", () => {
    expect(main.exports).toEqual(expect.arrayContaining([
      "EkmTopology", "EkmNetwork", "EkmCertificate", "EkmGateway", "EkmIdentity", "EkmVault", "EkmPolicies",
      "DsmGroup", "DsmJwtApp", "DsmSecurityObject", "DsmClient",
      "externalVaultUrl", "gatewayBaseUrl", "identityTokenUrl", "identityDomainUrlProblem", "ekmPolicyStatements", "caBundleOfChain", "GATEWAY_ROUTE_PATH",
    ]));
    for (const tool of ["runEkmVerification", "runStackInProcess", "runSandbox", "DsmEmulator", "IdentityDomainEmulator", "runBench", "DynamicProviderHost"]) {
      expect(main.exports, tool).not.toContain(tool);
    }
  });
});

describe("the subpaths", () => {
  const cases: [string, string[]][] = [
    ["verify", ["runEkmVerification", "runDsmChecks"]],
    ["plan", ["runStackInProcess", "formatPlanReport", "readPlanStackConfig"]],
    ["sandbox", ["runSandbox", "OciVaultClient"]],
    ["emulators", ["DsmEmulator", "IdentityDomainEmulator", "ApiGatewayEmulator", "PrivateEndpointEmulator"]],
    ["bench", ["runBench"]],
    ["testing", ["DynamicProviderHost", "captureDynamicResources", "runStackInProcess"]],
  ];
  for (const [subpath, names] of cases) {
    it(`oci-ekm-fortanix/${subpath} is dist/${subpath}/index.js, exporting ${names.join(", ")}`, () => {
      const pkg = require(path.join(root, "package.json")) as { exports: Record<string, { types: string; default: string }> };
      expect(pkg.exports[`./${subpath}`]).toEqual({ types: `./dist/${subpath}/index.d.ts`, default: `./dist/${subpath}/index.js` });
      expect(load(`${subpath}/index.js`).exports).toEqual(expect.arrayContaining(names));
    });
  }
});

describe("Oracle's SDK", () => {
  it("is loaded by the verify entry only when OCI is read, never by importing it", () => {
    const verify = load("verify/index.js");
    for (const sdk of ["oci-common", "oci-keymanagement", "undici"]) expect(verify.packages, sdk).not.toContain(sdk);
    expect(verify.exports).toEqual(expect.arrayContaining(["ekmOciReaderFromConfigFile", "runOciChecks", "ociSdkTrusting"]));
  });
});

describe("what ships in dist/", () => {
  it("names the documents it follows by their titles, never by this repository's internal names or paths", () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const at = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(at);
        else if (/\.(js|d\.ts)$/.test(entry.name)) files.push(at);
      }
    };
    walk(path.join(root, "dist"));
    expect(files.length).toBeGreaterThan(50);
    const offending = files.filter((f) => /\bseeds? ?0\d\d\b|\.\.\/shared|\/work\/|\/tmp\/|test\/fixtures|dsm-api\.md|oci-wiring\.md/i.test(readFileSync(f, "utf8")));
    expect(offending.map((f) => path.relative(root, f))).toEqual([]);
  });
});
