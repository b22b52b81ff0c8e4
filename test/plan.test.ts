// The offline plan engine, its views and the `npm run plan` script.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { beforeAll, describe, expect, it } from "vitest";
import {
  PLAN_MOCK_DEFAULTS,
  PLAN_SECRET,
  PlanResource,
  PlanResult,
  planClientId,
  planCustomDependencies,
  planDsmUuid,
  planLongestChain,
  planRevealSecrets,
  planToJson,
  planToMermaid,
  readPlanStackConfig,
  renderPlanTree,
  runStackInProcess,
} from "../components/plan";
import { DsmSecurityObject } from "../components/dsm";
import { runEkmStack } from "../infra/stack";
import { T, resource, stackConfig } from "./oci-helpers";

const root = path.resolve(__dirname, "..");

/** A provider resource of no particular provider, to plan any program. */
class Thing extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super("demo:index:Thing", name, props, opts);
  }
}

describe("runStackInProcess", () => {
  let seen: { args: MockResourceArgs; defaults: { id: string | undefined; state: Record<string, unknown> } }[];
  let plan: PlanResult;

  beforeAll(async () => {
    seen = [];
    plan = await runStackInProcess({
      config: stackConfig(),
      program: () => runEkmStack(),
      // As the sandbox does: answer the gateway itself (a loopback IP) and keep the other defaults.
      onNewResource: async (args, defaults) => {
        seen.push({ args, defaults });
        if (args.type === T.gateway) return { id: "gw-from-hook", state: { ...defaults.state, ipAddresses: [{ ipAddress: "127.0.0.1" }] } };
        return undefined;
      },
      onCall: async (args, defaults) => (args.token === "oci:Identity/getDomainsSetting:getDomainsSetting" ? { ...defaults, csrAccess: "readOnly" } : undefined),
    });
  });

  it("lets the hook answer a resource and sees its answer flow on", () => {
    const gw = seen.find((s) => s.args.type === T.gateway)!;
    expect(gw.args.name).toBe("oci-ekm-gateway-gateway");
    expect(gw.args.inputs.endpointType).toBe("PRIVATE");
    expect(gw.defaults).toEqual({ id: "oci-ekm-gateway-gateway_id", state: { ...gw.args.inputs, ipAddresses: [{ ipAddress: "10.0.1.10", ipMode: "IPV4" }], state: "ACTIVE" } });
    expect(resource(plan, "oci-ekm-gateway-deployment").inputs.gatewayId).toBe("gw-from-hook");
    expect(resource(plan, "oci-ekm-identity-resource-app").inputs.audience).toBe("https://127.0.0.1/");
    expect(plan.outputs.gatewayBaseUrl).toBe("https://127.0.0.1/");
  });

  it("lets the hook answer provider functions", () => {
    expect(resource(plan, "oci-ekm-identity-signing-cert-access").inputs.csrAccess).toBe("readOnly");
  });

  it("hands secret inputs to the hook wrapped, and planRevealSecrets unwraps them", () => {
    const vault = seen.find((s) => s.args.type === T.vault)!;
    const metadata = vault.args.inputs.externalKeyManagerMetadata;
    expect(metadata[pulumi.runtime.specialSigKey]).toBe(pulumi.runtime.specialSecretSig);
    const revealed = planRevealSecrets(metadata) as { oauthMetadata: { clientAppSecret: string } };
    expect(revealed.oauthMetadata.clientAppSecret).toBe(plan.outputValues.clientSecret);
  });

  it("gives deterministic mock outputs", () => {
    expect(PLAN_MOCK_DEFAULTS).toEqual({ gatewayPrivateIp: "10.0.1.10", privateEndpointIp: "10.0.1.20", region: "us-ashburn-1", csrAccess: "none" });
    expect(planClientId("oci-ekm-identity-client-app")).toBe(planClientId("oci-ekm-identity-client-app"));
    expect(planClientId("oci-ekm-identity-client-app")).toMatch(/^[0-9a-f]{32}$/);
    expect(resource(plan, "oci-ekm-identity-client-app").outputs.name).toBe(planClientId("oci-ekm-identity-client-app"));
    expect(resource(plan, "oci-ekm-ekm-vault").id).toBe("oci-ekm-ekm-vault_id");
    expect(resource(plan, "oci-ekm-ekm-private-endpoint").outputs.privateEndpointIp).toBe("10.0.1.20");
  });

  it("answers the DSM resources as their providers' check and create would, with deterministic UUIDs", () => {
    const defaults = (type: string) => seen.find((x) => x.args.type === type)!.defaults;
    const groupId = planDsmUuid(T.dsmGroup, "oci-ekm-dsm-group");
    expect(groupId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(planDsmUuid(T.dsmGroup, "oci-ekm-dsm-group")).toBe(groupId);
    expect(defaults(T.dsmGroup)).toEqual({ id: groupId, state: { name: "oci-ekm", endpoint: "https://amer.smartkey.io", adopt: false, groupId } });
    const appId = planDsmUuid(T.dsmJwtApp, "oci-ekm-dsm-app");
    expect(defaults(T.dsmJwtApp)).toEqual({
      id: appId,
      state: {
        name: planClientId("oci-ekm-identity-client-app"),
        groupId,
        validIssuers: ["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"],
        jwksUrl: "https://idcs-0123456789abcdef.identity.oraclecloud.com/admin/v1/SigningCert/jwk",
        jwksCacheSeconds: 3600,
        permissions: ["ENCRYPT", "DECRYPT"],
        endpoint: "https://amer.smartkey.io",
        adopt: false,
        appId,
        authType: "SignedJwt",
        enabled: true,
      },
    });
    const kid = planDsmUuid(T.dsmSecurityObject, "oci-ekm-dsm-key-oci-ekm-key");
    expect(defaults(T.dsmSecurityObject)).toEqual({
      id: "oci-ekm-key",
      state: {
        name: "oci-ekm-key",
        groupId,
        keySize: 256,
        keyOps: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"],
        enabled: true,
        allowDestroy: false,
        adopt: false,
        endpoint: "https://amer.smartkey.io",
        kid,
        objType: "AES",
        state: "Active",
        rotatedKids: [],
      },
    });
    expect(plan.outputs).toMatchObject({ dsmGroupId: groupId, dsmAppId: appId, dsmKeyIds: [kid] });
  });

  it("lists resources in the order the program constructs them", () => {
    expect(plan.resources.filter((r) => r.custom).map((r) => r.name)).toEqual([
      "oci-ekm-network-vcn",
      "oci-ekm-network-nat",
      "oci-ekm-network-routes",
      "oci-ekm-network-https",
      "oci-ekm-network-subnet",
      "oci-ekm-certificate-ca-key",
      "oci-ekm-certificate-ca",
      "oci-ekm-certificate-key",
      "oci-ekm-certificate-request",
      "oci-ekm-certificate-issued",
      "oci-ekm-certificate-oci",
      "oci-ekm-gateway-gateway",
      "oci-ekm-gateway-deployment",
      "oci-ekm-identity-signing-cert-access",
      "oci-ekm-identity-resource-app",
      "oci-ekm-identity-client-app",
      "oci-ekm-dsm-group",
      "oci-ekm-dsm-app",
      "oci-ekm-dsm-key-oci-ekm-key",
      "oci-ekm-ekm-private-endpoint",
      "oci-ekm-ekm-vault",
      "oci-ekm-ekm-key-oci-ekm-key",
    ]);
    expect(plan.resources[0].type).toBe("pulumi:pulumi:Stack");
  });

  it("writes plain JSON with every resource, its inputs, outputs and dependencies as URNs", () => {
    const json = JSON.parse(JSON.stringify(planToJson(plan))) as { resources: Record<string, unknown>[]; outputs: Record<string, unknown>; longestDependencyChain: { depth: number } };
    expect(json.resources).toHaveLength(plan.resources.length);
    const urns = new Set(json.resources.map((r) => r.urn));
    for (const r of json.resources) {
      expect(Object.keys(r).sort()).toEqual(["additionalSecretOutputs", "custom", "dependencies", "id", "inputs", "name", "outputs", "parent", "protect", "type", "urn"]);
      for (const d of r.dependencies as string[]) expect(urns.has(d)).toBe(true);
      if (r.parent !== null) expect(urns.has(r.parent)).toBe(true);
    }
    expect(json.resources.filter((r) => r.custom).map((r) => r.type).sort()).toEqual(
      [
        ...[T.vcn, T.nat, T.routeTable, T.securityList, T.subnet, T.tlsKey, T.tlsCert, T.tlsKey, T.tlsRequest, T.tlsIssued, T.certificate, T.gateway, T.deployment, T.setting, T.app, T.app],
        ...[T.dsmGroup, T.dsmJwtApp, T.dsmSecurityObject, T.privateEndpoint, T.vault, T.key],
      ].sort(),
    );
    expect(json.outputs.clientSecret).toBe(PLAN_SECRET);
    expect(json.longestDependencyChain.depth).toBe(10);
    expect(JSON.stringify(json)).not.toContain(plan.outputValues.clientSecret as string);
  });

  it("prints a tree with the inputs that matter and secrets masked", () => {
    const tree = renderPlanTree(plan.resources);
    expect(tree.split("\n")[0]).toBe("+ pulumi:pulumi:Stack  oci-ekm-dev");
    expect(tree).toContain("    + oci-ekm-fortanix:index:EkmTopology  oci-ekm\n");
    expect(tree).toContain("specification.routes.0.backend.url=https://amer.smartkey.io/${request.path[path]}");
    expect(tree).toContain("+ oci:Kms/vault:Vault  oci-ekm-ekm-vault  [protected]");
    expect(tree).toContain("externalKeyManagerMetadata.oauthMetadata.clientAppSecret=[secret]");
    expect(tree).toContain("certificateConfig.privateKeyPem=[secret]");
    const groupId = planDsmUuid(T.dsmGroup, "oci-ekm-dsm-group");
    expect(tree).toContain(
      [
        "        + pulumi-nodejs:dynamic/dsm:JwtApp  oci-ekm-dsm-app",
        `              name=${planClientId("oci-ekm-identity-client-app")}`,
        `              groupId=${groupId}`,
        "              jwksUrl=https://idcs-0123456789abcdef.identity.oraclecloud.com/admin/v1/SigningCert/jwk",
        '              validIssuers=["https://identity.oraclecloud.com/","https://identity.oraclecloud.com"]',
        "              endpoint=https://amer.smartkey.io",
        "        + pulumi-nodejs:dynamic/dsm:SecurityObject  oci-ekm-dsm-key-oci-ekm-key",
        "              name=oci-ekm-key",
        `              groupId=${groupId}`,
        "              endpoint=https://amer.smartkey.io",
        "        + oci-ekm-fortanix:index:EkmVault  oci-ekm-ekm",
      ].join("\n"),
    );
    expect(tree).not.toContain("__provider");
  });

  it("draws the dependency graph in Mermaid with components as subgraphs", () => {
    const mermaid = planToMermaid(plan.resources);
    const lines = mermaid.trim().split("\n");
    expect(lines[0]).toBe("flowchart LR");
    expect(mermaid).toContain('subgraph r1["EkmTopology<br/>oci-ekm"]');
    expect(mermaid).toMatch(/r\d+\["Vault<br\/>oci-ekm-ekm-vault"\]/);
    const edges = [...planCustomDependencies(plan.resources).values()].reduce((n, d) => n + d.length, 0);
    expect(lines.filter((l) => l.includes(" --> "))).toHaveLength(edges);
    const id = (name: string) => `r${plan.resources.findIndex((r) => r.name === name)}`;
    expect(lines).toContain(`  ${id("oci-ekm-ekm-vault")} --> ${id("oci-ekm-ekm-key-oci-ekm-key")}`);
  });

  it("gives the same plan on a second run in the same process", async () => {
    const again = await runStackInProcess({
      config: stackConfig(),
      program: () => runEkmStack(),
      onNewResource: async (args, defaults) =>
        args.type === T.gateway ? { id: "gw-from-hook", state: { ...defaults.state, ipAddresses: [{ ipAddress: "127.0.0.1" }] } } : undefined,
      onCall: async (args, defaults) => (args.token === "oci:Identity/getDomainsSetting:getDomainsSetting" ? { ...defaults, csrAccess: "readOnly" } : undefined),
    });
    expect(planToJson(again)).toEqual(planToJson(plan));
  });

  it("refuses a second run while one is going", async () => {
    const first = runStackInProcess({ program: () => ({}) });
    await expect(runStackInProcess({ program: () => ({}) })).rejects.toThrow(/a plan is already running in this process/);
    await first;
  });

  it("records dependencies of any program, including dependsOn and custom parents", async () => {
    const p = await runStackInProcess({
      project: "demo",
      stack: "test",
      program: () => {
        const a = new Thing("a", { size: 1 });
        const b = new Thing("b", { other: a.id });
        const c = new Thing("c", {}, { dependsOn: [b], protect: true });
        const d = new Thing("d", {}, { parent: c });
        return { out: d.id, hidden: pulumi.secret("s3cret") };
      },
    });
    const urn = (n: string) => p.resources.find((r) => r.name === n)!.urn;
    expect(p.resources.find((r) => r.name === "b")!.dependencies).toEqual([urn("a")]);
    expect(p.resources.find((r) => r.name === "c")!.dependencies).toEqual([urn("b")]);
    expect(p.resources.find((r) => r.name === "c")!.protect).toBe(true);
    expect(p.resources.find((r) => r.name === "d")!.parent).toBe(urn("c"));
    expect(planLongestChain(p.resources).chain.map((r) => r.name)).toEqual(["a", "b", "c", "d"]);
    expect(p.outputs).toEqual({ out: "d_id", hidden: PLAN_SECRET });
    expect(p.secretOutputNames).toEqual(["hidden"]);
    expect(p.outputValues.hidden).toBe("s3cret");
  });

  it("fails as pulumi preview would when a DSM provider's check refuses an input", async () => {
    await expect(
      runStackInProcess({
        program: () => {
          new DsmSecurityObject("weak", { name: "weak-key", groupId: "not-a-group", keySize: 128 });
        },
      }),
    ).rejects.toThrow(
      /^pulumi-nodejs:dynamic\/dsm:SecurityObject weak: groupId must be the DSM group id \(a UUID\), got .*not-a-group.*; keySize must be 256 \(OCI External Key Management uses AES-256 keys\), got 128$/,
    );
  });

  it("reports a failing program", async () => {
    await expect(
      runStackInProcess({
        program: () => {
          throw new Error("boom");
        },
      }),
    ).rejects.toThrow("boom");
  });
});

describe("planLongestChain", () => {
  const r = (name: string, custom: boolean, dependencies: string[] = [], parent?: string): PlanResource => ({
    urn: name,
    type: custom ? "x:index:Custom" : "x:index:Component",
    name,
    parent,
    custom,
    inputs: {},
    outputs: {},
    dependencies,
    protect: false,
    additionalSecretOutputs: [],
  });

  it("counts resources, reads a dependency on a component as one on its custom children", () => {
    const resources = [r("comp", false), r("a", true, [], "comp"), r("b", true, ["a"], "comp"), r("c", true, ["comp"]), r("lone", true)];
    expect(planCustomDependencies(resources).get("c")).toEqual(["a", "b"]);
    const chain = planLongestChain(resources);
    expect(chain.depth).toBe(3);
    expect(chain.chain.map((x) => x.name)).toEqual(["a", "b", "c"]);
    expect(planLongestChain([]).depth).toBe(0);
  });
});

describe("readPlanStackConfig", () => {
  it("reads values as the CLI passes them and masks encrypted ones", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-config-"));
    const file = path.join(dir, "Pulumi.test.yaml");
    writeFileSync(
      file,
      [
        "encryptionsalt: v1:abc",
        "config:",
        "  oci-ekm:compartmentId: ocid1.compartment.oc1..aaaa",
        "  oci-ekm:protect: false",
        "  oci-ekm:certificateValidityDays: 30",
        "  oci-ekm:privateKeyPem:",
        "    secure: v1:AAAABBBB",
        "  oci-ekm:keys:",
        "    - name: k1",
        "      rotationPolicyDays: 7",
        "  namePrefix: short",
        "  dsm:apiKey:",
        "    secure: v1:CCCC",
      ].join("\n"),
    );
    expect(readPlanStackConfig(file)).toEqual({
      config: {
        "oci-ekm:compartmentId": "ocid1.compartment.oc1..aaaa",
        "oci-ekm:protect": "false",
        "oci-ekm:certificateValidityDays": "30",
        "oci-ekm:privateKeyPem": "[secret]",
        "oci-ekm:keys": '[{"name":"k1","rotationPolicyDays":7}]',
        "oci-ekm:namePrefix": "short",
        "dsm:apiKey": "[secret]",
      },
      secretKeys: ["oci-ekm:privateKeyPem", "dsm:apiKey"],
      undecryptedKeys: ["oci-ekm:privateKeyPem", "dsm:apiKey"],
    });
    expect(() => readPlanStackConfig(path.join(dir, "Pulumi.none.yaml"))).toThrow(/cannot read stack settings .*Pulumi\.none\.yaml/);
  });
});

describe("npm run plan", () => {
  const run = promisify(execFile);
  const tsNode = path.join(root, "node_modules", ".bin", "ts-node");

  it("plans the shipped dev stack and writes the JSON and Mermaid files", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-out-"));
    const json = path.join(dir, "plan.json");
    const mmd = path.join(dir, "plan.mmd");
    const { stdout } = await run(tsNode, ["scripts/plan.ts", "--stack", "dev", "--json", json, "--mermaid", mmd], { cwd: root });
    expect(stdout).toContain("+ oci:ApiGateway/deployment:Deployment  oci-ekm-gateway-deployment");
    expect(stdout).toMatch(/Resources: 29 registered \(22 to create, 7 components\) in \d+ ms/);
    expect(stdout).toContain(
      "Longest dependency chain: 10 resources: oci-ekm-certificate-ca-key → oci-ekm-certificate-ca → oci-ekm-certificate-issued → oci-ekm-certificate-oci → oci-ekm-gateway-gateway →",
    );
    const doc = JSON.parse(readFileSync(json, "utf8")) as { resources: { type: string; custom: boolean }[] };
    expect(doc.resources.filter((r) => r.custom)).toHaveLength(22);
    expect(readFileSync(mmd, "utf8").startsWith("flowchart LR\n")).toBe(true);
  });

  it("fails clearly on an unknown stack or argument", async () => {
    await expect(run(tsNode, ["scripts/plan.ts", "--stack", "nosuch"], { cwd: root })).rejects.toMatchObject({
      stderr: expect.stringMatching(/cannot read stack settings .*Pulumi\.nosuch\.yaml/),
    });
    await expect(run(tsNode, ["scripts/plan.ts", "--jsn", "x"], { cwd: root })).rejects.toMatchObject({
      stderr: expect.stringMatching(/unknown argument --jsn; usage: npm run plan -- \[--stack NAME\]/),
    });
  });
});

describe("a bad configuration file", () => {
  it("fails the plan before anything is registered", async () => {
    const { config } = readPlanStackConfig(path.join(root, "Pulumi.dev.yaml"));
    const types: string[] = [];
    await expect(
      runStackInProcess({
        config: { ...config, "oci-ekm:vcnCidr": "10.0.0.0/8x" },
        program: () => runEkmStack(),
        onNewResource: async (args) => {
          types.push(args.type);
          return undefined;
        },
      }),
    ).rejects.toThrow(/oci-ekm:vcnCidr is "10\.0\.0\.0\/8x"; expected an IPv4 CIDR block/);
    expect(types).toEqual(["pulumi:pulumi:Stack"]);
  });
});
