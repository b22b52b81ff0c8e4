// The package as other stacks get it: what `npm pack` ships and how it depends on the Pulumi
// packages; then Pulumi's component analyzer over the repo, as `pulumi package add` runs it. The
// tarball installed in stack projects is tested in package-sdk-latest.test.ts and
// package-sdk-oldest.test.ts (package-consumer.ts).
import { existsSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PACKAGE, packOnce, pkg, root, run } from "./package-consumer";

describe("npm pack", () => {
  it("ships dist/ with a declaration next to every module, PulumiPlugin.yaml, README.md and package.json, and nothing else", () => {
    const { files } = packOnce();
    const outside = files.filter((f) => !f.startsWith("dist/") && !["package.json", "PulumiPlugin.yaml", "README.md"].includes(f));
    expect(outside).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(["PulumiPlugin.yaml", "README.md", "package.json", "dist/index.js", "dist/index.d.ts", "dist/dsm/provider.js", "dist/testing/index.js"]));
    const modules = files.filter((f) => f.endsWith(".js"));
    expect(modules.filter((f) => !files.includes(f.replace(/\.js$/, ".d.ts")))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    // dist/ is the build of components/ and nothing older: no module whose source is gone.
    expect(modules.filter((f) => !existsSync(path.join(root, "components", f.replace(/^dist\//, "").replace(/\.js$/, ".ts"))))).toEqual([]);
  }, 120_000);

  it("depends on @pulumi/pulumi, @pulumi/oci and @pulumi/tls by range, so that npm shares the stack project's copies", () => {
    expect(pkg.dependencies["@pulumi/pulumi"]).toBe("^3.142.0");
    expect(pkg.dependencies["@pulumi/oci"]).toBe("^4.20.0");
    expect(pkg.dependencies["@pulumi/tls"]).toBe("^5.6.1");
    for (const [name, range] of Object.entries(pkg.dependencies)) expect(range, name).toMatch(/^\^\d+\.\d+\.\d+$/);
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
    expect(analyzed.components).toEqual(["EkmNetwork", "EkmCertificate", "EkmGateway", "EkmIdentity", "EkmVault", "EkmReplicaRegion", "EkmTopology", "EkmPolicies"]);
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
      ["compartmentId", "gatewayHostname", "dsmUrl", "identityDomainUrl", "dsm", "network", "certificate", "gateway", "identity", "replica", "vaultUrlHost", "protect", "namePrefix"].sort(),
    );
    expect([...(topology.requiredInputs ?? [])].sort()).toEqual(["compartmentId", "dsm", "gatewayHostname", "identityDomainUrl"]);
    expect(topology.inputProperties.compartmentId).toMatchObject({ type: "string" });
    expect(topology.inputProperties.dsm.$ref).toBe(`#/types/${token("EkmDsmArgs")}`);
    expect(topology.inputProperties.network.$ref).toBe(`#/types/${token("EkmTopologyNetworkArgs")}`);
    expect(Object.keys(schema.types[token("EkmTopologyNetworkArgs")].properties)).toEqual(
      expect.arrayContaining(["existingVcnId", "existingSubnetId", "vcnCidr", "subnetCidr"]),
    );
    // The topology's network and certificate types extend the components' own: the analyzer follows the heritage.
    expect(topology.inputProperties.certificate.$ref).toBe(`#/types/${token("EkmTopologyCertificateArgs")}`);
    expect(Object.keys(schema.types[token("EkmTopologyCertificateArgs")].properties).sort()).toEqual(
      ["caBundlePem", "caValidityDays", "certChainPem", "certificatePem", "existingCertificateId", "privateKeyPem", "renewBeforeDays", "validityDays"],
    );
    // The replica's provider is a reference to an OCI provider resource, as other languages pass one.
    expect(topology.inputProperties.replica.$ref).toBe(`#/types/${token("EkmTopologyReplicaArgs")}`);
    const replica = schema.types[token("EkmTopologyReplicaArgs")];
    expect(Object.keys(replica.properties).sort()).toEqual(["certificate", "gateway", "gatewayHostname", "identityDomainId", "identityDomainUrl", "network", "provider", "region"]);
    expect(replica.properties.provider).toMatchObject({ $ref: expect.stringMatching(/^\/oci\/v\d+\.\d+\.\d+\/schema\.json#\/resources\/oci$/), optional: true });
    expect(Object.keys(schema.types[token("EkmDsmArgs")].properties)).toEqual(expect.arrayContaining(["accountId", "groupName", "keys"]));
    expect(schema.types[token("EkmDsmArgs")].properties.keys.items?.$ref).toBe(`#/types/${token("EkmDsmKeyArgs")}`);
  });

  it("the other components' inputs are their Args", () => {
    expect(analyzed.error).toBeUndefined();
    const inputs = (name: string) => Object.keys(analyzed.schema!.resources[token(name)].inputProperties);
    expect(inputs("EkmNetwork")).toEqual(expect.arrayContaining(["compartmentId", "existingVcnId", "existingSubnetId", "vcnCidr", "subnetCidr"]));
    expect(inputs("EkmCertificate")).toEqual(expect.arrayContaining(["compartmentId", "gatewayHostname", "certificatePem", "privateKeyPem", "certChainPem", "caBundlePem", "renewBeforeDays", "caValidityDays"]));
    expect(inputs("EkmGateway")).toEqual(expect.arrayContaining(["compartmentId", "subnetId", "certificateId", "dsmUrl", "tokenValidation", "route"]));
    expect(analyzed.schema!.resources[token("EkmGateway")].inputProperties.route).toMatchObject({ type: "string" });
    expect(inputs("EkmIdentity")).toEqual(expect.arrayContaining(["identityDomainUrl", "gatewayPrivateIp", "dsmUrl", "issuer"]));
    expect(inputs("EkmVault")).toEqual(expect.arrayContaining(["compartmentId", "subnetId", "gatewayPrivateIp", "caBundle", "dsmAccountId", "clientId", "clientSecret", "keys"]));
    expect(inputs("EkmPolicies").sort()).toEqual(["compartmentId", "displayNamePrefix", "identityDomainCompartmentId", "operatorsGroup", "policyCompartmentId", "policyName"]);
  });
});
