// The package as other stacks get it: `npm pack`, installed from the tarball into a scratch project,
// a consumer program compiled there with strict tsc and run under Pulumi mocks in the consumer's own
// Node process. The DSM providers are serialized in that process, where this package lives in
// node_modules: their `require("oci-ekm-fortanix/dist/…")` references must go through the exports
// map. Then Pulumi's component analyzer over the repo, as `pulumi package add` runs it.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const PACKAGE = "oci-ekm-fortanix";
const SUBNET = "ocid1.subnet.oc1..aaaaaaaateamsubnet";
const VCN = "ocid1.vcn.oc1..aaaaaaaateamvcn";
const COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaateamcompartment";

/** Children get a clean environment: none of the `npm_*` variables of an enclosing `npm test`. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_")));
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): string {
  try {
    return execFileSync(command, args, { cwd, env: childEnv(), encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
  }
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

// ---- the consumer project ------------------------------------------------------------------------

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    strict: true,
    outDir: "build",
    types: ["node"],
  },
  files: ["program.ts", "main.ts"],
};

// What a team writes: the topology in its own VCN and private subnet. The verify library and the
// DSM resources come from the same entry.
const CONSUMER_PROGRAM = `import { DsmSecurityObject, EkmTopology, EkmTopologyArgs, runEkmVerification } from "${PACKAGE}";

const args: EkmTopologyArgs = {
  compartmentId: "${COMPARTMENT}",
  gatewayHostname: "ekm-gateway.team.example.com",
  identityDomainUrl: "https://idcs-0123456789abcdef.identity.oraclecloud.com",
  dsmUrl: "https://eu.smartkey.io",
  dsm: { accountId: "5f2b7e0c-1234-4c8e-9a6d-0123456789ab", groupName: "team-ekm", keys: [{ name: "team-key" }] },
  network: { existingVcnId: "${VCN}", existingSubnetId: "${SUBNET}" },
};

export const topology = new EkmTopology("team", args);

export const verify: typeof runEkmVerification = runEkmVerification;
export const SecurityObject: typeof DsmSecurityObject = DsmSecurityObject;
`;

// Runs the program under mocks and writes what was registered to registered.json.
const CONSUMER_MAIN = `import * as pulumi from "@pulumi/pulumi";
import { writeFileSync } from "node:fs";

interface Registered {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];

function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const state: Record<string, unknown> = { ...inputs };
  delete state.__provider;
  switch (type) {
    case "oci:ApiGateway/gateway:Gateway":
      return { ...state, ipAddresses: [{ ipAddress: "10.0.1.10", ipMode: "IPV4" }] };
    case "oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint":
      return { ...state, privateEndpointIp: "10.0.1.20" };
    case "oci:Identity/domainsApp:DomainsApp":
      return { ...state, name: name + "-client-id", clientSecret: "mock-client-secret" };
    case "oci:Kms/vault:Vault":
      return { ...state, managementEndpoint: "https://m.kms.example", cryptoEndpoint: "https://c.kms.example" };
    case "tls:index/privateKey:PrivateKey":
      return { ...state, privateKeyPem: "mock-private-key" };
    case "tls:index/selfSignedCert:SelfSignedCert":
      return { ...state, certPem: "mock-certificate" };
    case "pulumi-nodejs:dynamic/dsm:Group":
      return { ...state, groupId: name + "-group-uuid" };
    case "pulumi-nodejs:dynamic/dsm:JwtApp":
      return { ...state, appId: name + "-app-uuid" };
    case "pulumi-nodejs:dynamic/dsm:SecurityObject":
      return { ...state, kid: name + "-kid" };
    default:
      return state;
  }
}

pulumi.runtime.setMocks(
  {
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
      const inputs = args.inputs as Record<string, unknown>;
      const custom = args.custom !== false;
      registered.push({ type: args.type, name: args.name, custom, inputs });
      return { id: custom ? args.name + "_id" : undefined, state: mockState(args.type, args.name, inputs) };
    },
    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
      const inputs = args.inputs as Record<string, unknown>;
      return args.token === "oci:Identity/getDomainsSetting:getDomainsSetting" ? { ...inputs, csrAccess: "none" } : inputs;
    },
  },
  "team-stack",
  "dev",
  false,
);

async function main(): Promise<void> {
  // Imported only now: resources must be constructed after setMocks.
  const program = await import("./program.js");
  const t = program.topology;
  await new Promise<void>((resolve) => pulumi.all([t.urn, t.vaultUrl, t.keyReferenceIds, t.clientId]).apply(() => resolve()));
  await pulumi.runtime.disconnect();
  writeFileSync(
    "registered.json",
    JSON.stringify({ registered, exported: { verify: typeof program.verify, SecurityObject: typeof program.SecurityObject } }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
`;

interface Registered {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, unknown>;
}
interface PackedFile {
  path: string;
}

let scratch = "";
let consumer = "";
let packedFiles: string[] = [];
let registered: Registered[] = [];
let exported: Record<string, string> = {};

/** Packs the package, installs the tarball into a scratch project, compiles and runs the consumer there. */
function packInstallAndRun(): void {
  if (!existsSync(path.join(root, "dist/index.js"))) {
    // Type errors elsewhere make tsc exit non-zero but still emit; what matters is the output.
    try {
      run(npm, ["run", "build"], root, 120_000);
    } catch (e) {
      if (!existsSync(path.join(root, "dist/index.js"))) throw e;
    }
  }
  scratch = mkdtempSync(path.join(tmpdir(), "oci-ekm-consumer-"));
  const packDir = path.join(scratch, "pack");
  mkdirSync(packDir);
  const packed = JSON.parse(run(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], root, 60_000)) as {
    filename: string;
    files: PackedFile[];
  }[];
  packedFiles = packed[0].files.map((f) => f.path).sort();

  consumer = path.join(scratch, "consumer");
  mkdirSync(consumer);
  writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "team-stack", private: true, main: "build/main.js" }, null, 2));
  run(
    npm,
    [
      "install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts",
      path.join(packDir, packed[0].filename), "@pulumi/pulumi@3.248.0", "typescript@5.9.3", "@types/node@20.19.43",
    ],
    consumer,
    120_000,
  );
  writeFileSync(path.join(consumer, "tsconfig.json"), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
  writeFileSync(path.join(consumer, "program.ts"), CONSUMER_PROGRAM);
  writeFileSync(path.join(consumer, "main.ts"), CONSUMER_MAIN);
  run(process.execPath, [path.join(consumer, "node_modules/typescript/bin/tsc"), "-p", "."], consumer, 120_000);
  run(process.execPath, ["build/main.js"], consumer, 60_000);
  const result = JSON.parse(readFileSync(path.join(consumer, "registered.json"), "utf8")) as {
    registered: Registered[];
    exported: Record<string, string>;
  };
  registered = result.registered;
  exported = result.exported;
}

const ofType = (type: string) => registered.filter((r) => r.type === type);
const only = (type: string) => {
  const found = ofType(type);
  expect(found.map((r) => r.name), type).toHaveLength(1);
  return found[0];
};

describe("the packed package", () => {
  beforeAll(packInstallAndRun, 240_000);
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  describe("npm pack", () => {
    it("ships dist/ with a declaration next to every module, PulumiPlugin.yaml and package.json, and nothing else", () => {
      const outside = packedFiles.filter((f) => !f.startsWith("dist/") && !["package.json", "PulumiPlugin.yaml", "README.md"].includes(f));
      expect(outside).toEqual([]);
      expect(packedFiles).toEqual(expect.arrayContaining(["PulumiPlugin.yaml", "package.json", "dist/index.js", "dist/index.d.ts", "dist/dsm/provider.js"]));
      const modules = packedFiles.filter((f) => f.endsWith(".js"));
      expect(modules.filter((f) => !packedFiles.includes(f.replace(/\.js$/, ".d.ts")))).toEqual([]);
      expect(packedFiles.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
      // dist/ is the build of components/ and nothing older: no module whose source is gone.
      expect(modules.filter((f) => !existsSync(path.join(root, "components", f.replace(/^dist\//, "").replace(/\.js$/, ".ts"))))).toEqual([]);
    });

    it("PulumiPlugin.yaml declares the Node.js runtime (name and version come from package.json)", () => {
      expect(parseYaml(readFileSync(path.join(consumer, "node_modules", PACKAGE, "PulumiPlugin.yaml"), "utf8"))).toEqual({ runtime: "nodejs" });
    });
  });

  describe("installed in another project", () => {
    const resolveFrom = () => createRequire(path.join(consumer, "package.json")).resolve;
    const installed = () => path.join(consumer, "node_modules", PACKAGE);

    it("the exports map serves the main entry, package.json, and dist/ modules with or without .js", () => {
      const resolve = resolveFrom();
      expect(resolve(PACKAGE)).toBe(path.join(installed(), "dist/index.js"));
      expect(resolve(`${PACKAGE}/package.json`)).toBe(path.join(installed(), "package.json"));
      expect(resolve(`${PACKAGE}/dist/dsm/client.js`)).toBe(path.join(installed(), "dist/dsm/client.js"));
      expect(resolve(`${PACKAGE}/dist/dsm/client`)).toBe(path.join(installed(), "dist/dsm/client.js"));
      expect(() => resolve(`${PACKAGE}/components/index`)).toThrow(/not defined by "exports"/);
    });

    it("Pulumi's serializer names every dist/ module by a path that resolves back to that module", () => {
      // The function the closure serializer uses to name a module inside an installed package.
      const consumerRequire = createRequire(path.join(consumer, "package.json"));
      const { getModuleFromPath } = consumerRequire("@pulumi/pulumi/runtime/closure/package") as {
        getModuleFromPath: (p: string, pkg: unknown) => string;
      };
      const pkg = JSON.parse(readFileSync(path.join(installed(), "package.json"), "utf8")) as unknown;
      const modules = packedFiles.filter((f) => f.endsWith(".js"));
      const named = modules.map((f) => [f, getModuleFromPath(`${PACKAGE}/${f}`, pkg)] as const);
      expect(named.find(([f]) => f === "dist/dsm/client.js")?.[1]).toBe(`${PACKAGE}/dist/dsm/client.js`);
      expect(named.find(([f]) => f === "dist/index.js")?.[1]).toBe(PACKAGE);
      for (const [file, specifier] of named) expect(consumerRequire.resolve(specifier), specifier).toBe(path.join(installed(), file));
    });

    it("the consumer program compiles with strict tsc against the declarations; the verify library and DsmSecurityObject are exported", () => {
      expect(existsSync(path.join(consumer, "build/program.js"))).toBe(true);
      expect(exported).toEqual({ verify: "function", SecurityObject: "function" });
    });

    it("EkmTopology in the user's VCN and subnet registers no network resource and wires that subnet to the gateway and the private endpoint", () => {
      expect(registered.filter((r) => r.type.startsWith("oci:Core/"))).toEqual([]);
      expect(registered.map((r) => r.type).sort()).toEqual(
        [
          "oci-ekm-fortanix:index:EkmTopology",
          "oci-ekm-fortanix:index:EkmNetwork",
          "oci-ekm-fortanix:index:EkmCertificate",
          "tls:index/privateKey:PrivateKey",
          "tls:index/selfSignedCert:SelfSignedCert",
          "oci:CertificatesManagement/certificate:Certificate",
          "oci-ekm-fortanix:index:EkmGateway",
          "oci:ApiGateway/gateway:Gateway",
          "oci:ApiGateway/deployment:Deployment",
          "oci-ekm-fortanix:index:EkmIdentity",
          "oci:Identity/domainsSetting:DomainsSetting",
          "oci:Identity/domainsApp:DomainsApp",
          "oci:Identity/domainsApp:DomainsApp",
          "pulumi-nodejs:dynamic/dsm:Group",
          "pulumi-nodejs:dynamic/dsm:JwtApp",
          "pulumi-nodejs:dynamic/dsm:SecurityObject",
          "oci-ekm-fortanix:index:EkmVault",
          "oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint",
          "oci:Kms/vault:Vault",
          "oci:Kms/key:Key",
        ].sort(),
      );
      const gateway = only("oci:ApiGateway/gateway:Gateway");
      expect(gateway.name).toBe("team-gateway-gateway");
      expect(gateway.inputs).toMatchObject({ subnetId: SUBNET, endpointType: "PRIVATE", compartmentId: COMPARTMENT });
      expect(only("oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint").inputs).toMatchObject({ subnetId: SUBNET });
      expect(only("oci:Kms/key:Key").inputs).toMatchObject({ externalKeyReference: { externalKeyId: "team-key" } });
      expect(only("pulumi-nodejs:dynamic/dsm:SecurityObject").inputs).toMatchObject({ name: "team-key", groupId: "team-dsm-group-group-uuid" });
      expect(only("pulumi-nodejs:dynamic/dsm:Group").inputs).toMatchObject({ name: "team-ekm" });
    });

    it("the DSM providers serialized in the consumer require this package only through exported dist/ paths, and load there", () => {
      const dynamic = registered.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
      expect(dynamic.map((r) => r.type).sort()).toEqual([
        "pulumi-nodejs:dynamic/dsm:Group",
        "pulumi-nodejs:dynamic/dsm:JwtApp",
        "pulumi-nodejs:dynamic/dsm:SecurityObject",
      ]);
      const consumerRequire = createRequire(path.join(consumer, "package.json"));
      for (const r of dynamic) {
        const code = r.inputs.__provider;
        expect(typeof code, r.type).toBe("string");
        const text = code as string;
        // Captured by reference, not copied from this checkout.
        expect(text).not.toContain(root);
        const requires = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
        const own = requires.filter((s) => s === PACKAGE || s.startsWith(`${PACKAGE}/`));
        expect(own, r.type).toEqual(expect.arrayContaining([`${PACKAGE}/dist/dsm/client.js`]));
        for (const s of own) expect(s, r.type).toMatch(/^oci-ekm-fortanix\/dist\/[\w/-]+\.js$/);
        for (const s of requires) {
          if (s.startsWith(`${PACKAGE}/`)) expect(consumerRequire.resolve(s)).toBe(path.join(consumer, "node_modules", s));
          else expect(() => consumerRequire.resolve(s), s).not.toThrow();
        }
        // What the dynamic-provider host does with it: evaluate the module and take its handler.
        const file = path.join(consumer, `provider-${r.type.split(":").pop()}.js`);
        writeFileSync(file, text);
        const loaded = run(process.execPath, ["-e", `const p = require(${JSON.stringify(file)}).handler(); console.log([typeof p.create, typeof p.delete].join(","))`], consumer, 30_000);
        expect(loaded.trim(), r.type).toBe("function,function");
      }
    });
  });
});

// ---- hosting for other languages ----------------------------------------------------------------

interface SchemaProperty {
  type?: string;
  $ref?: string;
  plain?: boolean;
  items?: SchemaProperty;
}
interface PackageSchema {
  name: string;
  version: string;
  resources: Record<string, { isComponent?: boolean; inputProperties: Record<string, SchemaProperty>; requiredInputs?: string[] }>;
  types: Record<string, { properties: Record<string, SchemaProperty> }>;
}

// What the Node.js language host does for `pulumi package add <this repo>`: load the package's main
// entry, collect the exported ComponentResource classes, and let Pulumi's analyzer (TypeScript over
// the sources, from tsconfig.json) derive the schema.
const ANALYZE = `const path = require("path");
const { Analyzer } = require("@pulumi/pulumi/provider/experimental/analyzer");
const { ComponentProvider, getPulumiComponents } = require("@pulumi/pulumi/provider/experimental/provider");
// Only for the message: a property whose type the analyzer cannot describe fails deep inside it
// without naming the property.
const getResourceType = Analyzer.prototype.getResourceType;
Analyzer.prototype.getResourceType = function (context, type) {
  try {
    return getResourceType.call(this, context, type);
  } catch (e) {
    throw new Error(this.formatErrorContext(context) + ": type " + this.checker.typeToString(type) + " is a resource the analyzer cannot describe (" + e.message.split("\\n")[0] + ")");
  }
};
const root = process.cwd();
const pkg = require(path.join(root, "package.json"));
const components = getPulumiComponents(require(root));
const provider = new ComponentProvider({ dirname: root, name: pkg.name.replace(/^@.*?\\//, ""), components });
provider.getSchema().then(
  (schema) => console.log(JSON.stringify({ components: components.map((c) => c.name), schema: JSON.parse(schema) })),
  (e) => console.log(JSON.stringify({ components: components.map((c) => c.name), error: e.message })),
);
`;

describe("Pulumi's component analyzer over the repo (pulumi package add)", () => {
  let analyzed: { components: string[]; schema?: PackageSchema; error?: string };
  beforeAll(() => {
    const out = run(process.execPath, ["-e", ANALYZE], root, 120_000);
    analyzed = JSON.parse(out.trim().split("\n").pop() ?? "{}") as typeof analyzed;
  }, 150_000);

  const token = (name: string) => `${PACKAGE}:index:${name}`;

  it("finds every component and derives a schema without rejecting any Args or output", () => {
    expect(analyzed.components).toEqual(["EkmNetwork", "EkmCertificate", "EkmGateway", "EkmIdentity", "EkmVault", "EkmTopology"]);
    expect(analyzed.error).toBeUndefined();
    expect(analyzed.schema?.name).toBe(PACKAGE);
    expect(Object.keys(analyzed.schema?.resources ?? {}).sort()).toEqual(analyzed.components.map(token).sort());
  });

  it("EkmTopology's inputs are its Args, with the network, DSM and certificate options as object types", () => {
    expect(analyzed.error).toBeUndefined();
    const schema = analyzed.schema!;
    const topology = schema.resources[token("EkmTopology")];
    expect(topology.isComponent).toBe(true);
    expect(Object.keys(topology.inputProperties).sort()).toEqual(
      ["compartmentId", "gatewayHostname", "dsmUrl", "identityDomainUrl", "dsm", "network", "certificate", "gateway", "identity", "vaultUrlHost", "protect", "namePrefix"].sort(),
    );
    expect([...(topology.requiredInputs ?? [])].sort()).toEqual(["compartmentId", "dsm", "gatewayHostname", "identityDomainUrl"]);
    expect(topology.inputProperties.compartmentId).toMatchObject({ type: "string" });
    expect(topology.inputProperties.dsm.$ref).toBe(`#/types/${token("EkmDsmArgs")}`);
    expect(topology.inputProperties.network.$ref).toBe(`#/types/${token("EkmTopologyNetworkArgs")}`);
    expect(Object.keys(schema.types[token("EkmTopologyNetworkArgs")].properties)).toEqual(
      expect.arrayContaining(["existingVcnId", "existingSubnetId", "vcnCidr", "subnetCidr"]),
    );
    expect(Object.keys(schema.types[token("EkmDsmArgs")].properties)).toEqual(expect.arrayContaining(["accountId", "groupName", "keys"]));
    expect(schema.types[token("EkmDsmArgs")].properties.keys.items?.$ref).toBe(`#/types/${token("EkmDsmKeyArgs")}`);
  });

  it("the other components' inputs are their Args", () => {
    expect(analyzed.error).toBeUndefined();
    const inputs = (name: string) => Object.keys(analyzed.schema!.resources[token(name)].inputProperties);
    expect(inputs("EkmNetwork")).toEqual(expect.arrayContaining(["compartmentId", "existingVcnId", "existingSubnetId", "vcnCidr", "subnetCidr"]));
    expect(inputs("EkmCertificate")).toEqual(expect.arrayContaining(["compartmentId", "gatewayHostname", "certificatePem", "privateKeyPem"]));
    expect(inputs("EkmGateway")).toEqual(expect.arrayContaining(["compartmentId", "subnetId", "certificateId", "dsmUrl", "tokenValidation"]));
    expect(inputs("EkmIdentity")).toEqual(expect.arrayContaining(["identityDomainUrl", "gatewayPrivateIp", "dsmUrl", "issuer"]));
    expect(inputs("EkmVault")).toEqual(expect.arrayContaining(["compartmentId", "subnetId", "gatewayPrivateIp", "caBundle", "dsmAccountId", "clientId", "clientSecret", "keys"]));
  });
});
