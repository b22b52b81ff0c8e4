// The offline plan engine, its views and the `npm run plan` script.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { CliUsageError } from "../components/cli";
import { OFFLINE_UNDECRYPTED_SECRET } from "../components/offline-secret";
import {
  PLAN_MOCK_DEFAULTS,
  PLAN_SECRET,
  PLAN_USAGE,
  PlanConfigError,
  checkPlanRequiredKeys,
  checkPlanSecretDeclarations,
  PlanResource,
  PlanResult,
  PlanRunOptions,
  planClientId,
  planCustomDependencies,
  planDsmUuid,
  planLongestChain,
  planRevealSecrets,
  planSdkModules,
  planSdkShimProblems,
  planToJson,
  planToMermaid,
  planUrn,
  readPlanProject,
  readPlanStackConfig,
  renderPlanTree,
  runPlanCommand,
  runStackInProcess,
} from "../components/plan";
import { assertPlanSdkShims } from "../components/plan/sdk-shims";
import { DsmSecurityObject } from "../components/dsm";
import { runEkmStack } from "../infra/stack";
import { ACCOUNT_ID, COMPARTMENT, DOMAIN_URL, T, resource, stackConfig, userGatewayCertificate } from "./oci-helpers";
import { type ScriptLauncher, scriptCommand } from "./script-process";

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
      expect(Object.keys(r).sort()).toEqual(["additionalSecretOutputs", "custom", "dependencies", "id", "inputs", "name", "outputs", "parent", "protect", "provider", "providerRegion", "type", "urn"]);
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

  it("gives every resource the URN the Pulumi engine builds, with the whole parent chain", () => {
    const stackUrn = "urn:pulumi:dev::oci-ekm::pulumi:pulumi:Stack::oci-ekm-dev";
    const topologyUrn = "urn:pulumi:dev::oci-ekm::oci-ekm-fortanix:index:EkmTopology::oci-ekm";
    const networkUrn = "urn:pulumi:dev::oci-ekm::oci-ekm-fortanix:index:EkmTopology$oci-ekm-fortanix:index:EkmNetwork::oci-ekm-network";
    const vcnUrn = "urn:pulumi:dev::oci-ekm::oci-ekm-fortanix:index:EkmTopology$oci-ekm-fortanix:index:EkmNetwork$oci:Core/vcn:Vcn::oci-ekm-network-vcn";
    expect(plan.resources[0].urn).toBe(stackUrn);
    expect(resource(plan, "oci-ekm")).toMatchObject({ urn: topologyUrn, parent: stackUrn });
    expect(resource(plan, "oci-ekm-network")).toMatchObject({ urn: networkUrn, parent: topologyUrn });
    expect(resource(plan, "oci-ekm-network-vcn")).toMatchObject({ urn: vcnUrn, parent: networkUrn });
    const json = planToJson(plan) as { resources: { name: string; urn: string }[] };
    expect(json.resources.find((r) => r.name === "oci-ekm-network-vcn")!.urn).toBe(vcnUrn);
    expect(resource(plan, "oci-ekm-network-subnet").dependencies).toContain(vcnUrn);
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
        `        + ${T.dsmJwtApp}  oci-ekm-dsm-app`,
        `              name=${planClientId("oci-ekm-identity-client-app")}`,
        `              groupId=${groupId}`,
        "              jwksUrl=https://idcs-0123456789abcdef.identity.oraclecloud.com/admin/v1/SigningCert/jwk",
        '              validIssuers=["https://identity.oraclecloud.com/","https://identity.oraclecloud.com"]',
        "              endpoint=https://amer.smartkey.io",
        `        + ${T.dsmSecurityObject}  oci-ekm-dsm-key-oci-ekm-key`,
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
    expect(urn("a")).toBe("urn:pulumi:test::demo::demo:index:Thing::a");
    expect(urn("d")).toBe("urn:pulumi:test::demo::demo:index:Thing$demo:index:Thing::d");
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

describe("planSdkShimProblems", () => {
  it("finds every @pulumi/pulumi internal the offline plan relies on in this checkout's SDK", () => {
    expect(planSdkShimProblems()).toEqual([]);
    expect(() => assertPlanSdkShims()).not.toThrow();
  });

  it("names an internal that is gone: the SDK version, its file, the symbol and what the plan needs it for", () => {
    const sdk = planSdkModules();
    const { waitForRPCs: _gone, ...settings } = sdk.settings as Record<string, unknown>;
    expect(planSdkShimProblems({ ...sdk, settings })).toEqual([
      `@pulumi/pulumi ${sdk.version}: runtime/settings no longer exports waitForRPCs() (the offline plan needs it to wait until every registration is answered before reading the plan)`,
    ]);
  });

  it("names a MockMonitor without newUrn, a method whose signature changed, and a store without a feature flag", () => {
    const sdk = planSdkModules();
    class MockMonitor {
      registerResource(_req: unknown, _callback: unknown): void {}
      registerResourceOutputs(_req: unknown): void {}
    }
    const store = { supportsSecrets: false, supportsResourceReferences: false, supportsOutputValues: false, supportsDeletedWith: false, supportsTransforms: false };
    const problems = planSdkShimProblems({ ...sdk, version: "3.999.0", mocks: { MockMonitor }, state: { getStore: () => store } });
    expect(problems).toEqual([
      "@pulumi/pulumi 3.999.0: runtime/mocks no longer has MockMonitor.prototype.newUrn() taking 3 parameters (the offline plan needs it to give resources the URNs the engine gives them (the parent's whole type chain))",
      "@pulumi/pulumi 3.999.0: runtime/mocks no longer has MockMonitor.prototype.registerResourceOutputs() taking 2 parameters (the offline plan needs it to record the outputs of components and of the stack)",
      "@pulumi/pulumi 3.999.0: runtime/state no longer keeps the boolean supportsAliasSpecs on getStore()'s store (the offline plan needs it to set it as pulumi.runtime.setMocks does (true))",
    ]);
  });

  it("fails the plan with those messages before it runs anything", () => {
    const sdk = planSdkModules();
    const runtime = { ...(sdk.runtime as Record<string, unknown>), specialSigKey: undefined };
    expect(() => assertPlanSdkShims({ ...sdk, runtime })).toThrow(
      /^offline plan: the @pulumi\/pulumi loaded lacks internals the plan relies on .*\n- @pulumi\/pulumi \d+\.\d+\.\d+: runtime\/rpc no longer exports specialSigKey \(a string\) \(the offline plan needs it to decode/,
    );
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
    retainOnDelete: false,
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

describe("planUrn", () => {
  it("qualifies a type by its parent's whole type chain and leaves the stack's type out", () => {
    const stack = planUrn("prod", "p", undefined, "pulumi:pulumi:Stack", "p-prod");
    expect(stack).toBe("urn:pulumi:prod::p::pulumi:pulumi:Stack::p-prod");
    const top = planUrn("prod", "p", stack, "x:index:Top", "top");
    expect(top).toBe("urn:pulumi:prod::p::x:index:Top::top");
    const mid = planUrn("prod", "p", top, "x:index:Mid", "mid");
    expect(mid).toBe("urn:pulumi:prod::p::x:index:Top$x:index:Mid::mid");
    expect(planUrn("prod", "p", mid, "y:mod/leaf:Leaf", "leaf")).toBe("urn:pulumi:prod::p::x:index:Top$x:index:Mid$y:mod/leaf:Leaf::leaf");
  });
});

/** A folder with this project's Pulumi.yaml and a `Pulumi.<stack>.yaml` holding `config`. */
function projectWith(config: Record<string, unknown>, stack = "test", declare = ""): string {
  const dir = mkdtempSync(path.join(tmpdir(), "plan-project-"));
  copyFileSync(path.join(root, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  if (declare !== "") appendFileSync(path.join(dir, "Pulumi.yaml"), declare);
  writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stringify({ config }));
  return dir;
}

/** A valid stack file's config, as a user writes it. */
const BASE = {
  "oci-ekm:compartmentId": COMPARTMENT,
  "oci-ekm:gatewayHostname": "ekm-gateway.example.com",
  "oci-ekm:dsmAccountId": ACCOUNT_ID,
  "oci-ekm:identityDomainUrl": DOMAIN_URL,
};

describe("readPlanStackConfig", () => {
  it("reads values as the CLI passes them, encrypted ones as the offline placeholder", () => {
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
        "  oci-ekm:config:dsmGroupName: legacy-form",
        "  dsm:apiKey:",
        "    secure: v1:CCCC",
      ].join("\n"),
    );
    expect(readPlanStackConfig(file)).toEqual({
      config: {
        "oci-ekm:compartmentId": "ocid1.compartment.oc1..aaaa",
        "oci-ekm:protect": "false",
        "oci-ekm:certificateValidityDays": "30",
        "oci-ekm:privateKeyPem": OFFLINE_UNDECRYPTED_SECRET,
        "oci-ekm:keys": '[{"name":"k1","rotationPolicyDays":7}]',
        "oci-ekm:namePrefix": "short",
        "oci-ekm:dsmGroupName": "legacy-form",
        "dsm:apiKey": OFFLINE_UNDECRYPTED_SECRET,
      },
      secretKeys: ["oci-ekm:privateKeyPem", "dsm:apiKey"],
      undecryptedKeys: ["oci-ekm:privateKeyPem", "dsm:apiKey"],
      unnamespacedKeys: ["namePrefix"],
    });
    expect(() => readPlanStackConfig(path.join(dir, "Pulumi.none.yaml"))).toThrow(/cannot read stack settings .*Pulumi\.none\.yaml/);
  });

  it("refuses, in the CLI's words, a key that is not <namespace>:<name>, and one key written twice", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-config-"));
    const file = path.join(dir, "Pulumi.test.yaml");
    writeFileSync(file, stringify({ config: { "oci-ekm:keys:name": "k1", gatewayHostname: "a.example.com", "oci-ekm:gatewayHostname": "b.example.com" } }));
    let error: unknown;
    try {
      readPlanStackConfig(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlanConfigError);
    expect((error as Error).message).toBe(
      [
        "Pulumi.test.yaml: could not parse oci-ekm:keys:name as a configuration key (configuration keys should be of the form `<namespace>:<name>`); write it as <namespace>:<name>, such as oci-ekm:name",
        "Pulumi.test.yaml: gatewayHostname and oci-ekm:gatewayHostname are the same key oci-ekm:gatewayHostname; keep one of them",
      ].join("\n"),
    );
  });
});

/** A project that declares privateKeyPem secret (as a project may; ours cannot, see infra/config-keys.ts). */
const DECLARE_SECRET_KEY = "  privateKeyPem:\n    type: string\n    secret: true\n";

describe("readPlanProject, checkPlanRequiredKeys and checkPlanSecretDeclarations", () => {
  it("reads the project name, the keys Pulumi.yaml declares secret and those it requires", () => {
    expect(readPlanProject(path.join(root, "Pulumi.yaml"))).toEqual({
      name: "oci-ekm",
      secretKeys: [],
      requiredKeys: ["compartmentId", "gatewayHostname", "identityDomainUrl", "dsmAccountId"].map((k) => ({ declared: k, key: `oci-ekm:${k}` })),
    });
    const dir = projectWith(BASE, "test", DECLARE_SECRET_KEY);
    expect(readPlanProject(path.join(dir, "Pulumi.yaml")).secretKeys).toEqual([{ declared: "privateKeyPem", key: "oci-ekm:privateKeyPem" }]);
  });

  it("refuses, as the CLI does, a stack that lacks a key the project declares without a default, with the command that sets it", () => {
    const { "oci-ekm:gatewayHostname": _hostname, "oci-ekm:dsmAccountId": _account, ...rest } = BASE;
    const one = projectWith({ ...rest, "oci-ekm:dsmAccountId": ACCOUNT_ID });
    const file = (dir: string) => path.join(dir, "Pulumi.test.yaml");
    const project = readPlanProject(path.join(root, "Pulumi.yaml"));
    expect(() => checkPlanRequiredKeys(file(one), "test", project, readPlanStackConfig(file(one)))).toThrow(
      new PlanConfigError(file(one), ["Stack 'test' is missing configuration value 'gatewayHostname'; fix: pulumi config set gatewayHostname <value>"]),
    );
    const two = projectWith(rest);
    expect(() => checkPlanRequiredKeys(file(two), "test", project, readPlanStackConfig(file(two)))).toThrow(
      new PlanConfigError(file(two), [
        "Stack 'test' is missing configuration values 'dsmAccountId' and 'gatewayHostname'; fix: pulumi config set dsmAccountId <value>, pulumi config set gatewayHostname <value>",
      ]),
    );
    expect(() => checkPlanRequiredKeys(file(two), "dev", project, readPlanStackConfig(path.join(root, "Pulumi.dev.yaml")))).not.toThrow();
    // A required key misspelt is named with the key it most likely is.
    const typo = projectWith({ ...rest, "oci-ekm:dsmAccountId": ACCOUNT_ID, "oci-ekm:gatewayHostName": "ekm-gateway.example.com" });
    expect(() => checkPlanRequiredKeys(file(typo), "test", project, readPlanStackConfig(file(typo)))).toThrow(
      new PlanConfigError(file(typo), [
        "Stack 'test' is missing configuration value 'gatewayHostname'; fix: pulumi config set gatewayHostname <value>",
        "'oci-ekm:gatewayHostName' is set: did you mean 'gatewayHostname'?",
      ]),
    );
  });

  it("refuses a plaintext value for a key declared secret as the CLI does, with the command that encrypts it, never the value", () => {
    const dir = projectWith({ ...BASE, "oci-ekm:privateKeyPem": "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n" }, "test", DECLARE_SECRET_KEY);
    const file = path.join(dir, "Pulumi.test.yaml");
    const project = readPlanProject(path.join(dir, "Pulumi.yaml"));
    let message = "";
    try {
      checkPlanSecretDeclarations(file, "test", project, readPlanStackConfig(file));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe("Pulumi.test.yaml: Stack 'test' with configuration key 'privateKeyPem' must be encrypted as it's secret; fix: pulumi config set --secret privateKeyPem < key.pem");
    expect(() => checkPlanSecretDeclarations(file, "test", project, readPlanStackConfig(path.join(root, "Pulumi.dev.yaml")))).not.toThrow();
  });
});

describe("runPlanCommand", () => {
  /** Runs the command in-process; `ran` says whether the program was reached. */
  async function plan(argv: string[], program: PlanRunOptions["program"] = () => runEkmStack()): Promise<{ code: number; printed: string; ran: boolean }> {
    const printed: string[] = [];
    let ran = false;
    const code = await runPlanCommand(argv, {
      projectDir: root,
      program: () => {
        ran = true;
        return program();
      },
      print: (text) => printed.push(text),
    });
    return { code, printed: printed.join("\n"), ran };
  }

  /** The CliUsageError's message, and what had been printed and run by then. */
  async function usageError(argv: string[]): Promise<{ message: string; printed: string; ran: boolean }> {
    const printed: string[] = [];
    let ran = false;
    const error = await runPlanCommand(argv, {
      projectDir: root,
      program: () => {
        ran = true;
      },
      print: (text) => printed.push(text),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliUsageError);
    return { message: (error as Error).message, printed: printed.join("\n"), ran };
  }

  it("prints the usage for --help and does nothing else", async () => {
    expect(await plan(["--help"])).toEqual({ code: 0, printed: PLAN_USAGE, ran: false });
    expect(await plan(["--stack", "dev", "-h"])).toEqual({ code: 0, printed: PLAN_USAGE, ran: false });
  });

  it("refuses a bad command line before any work", async () => {
    const nothing = { printed: "", ran: false };
    expect(await usageError(["--jsn", "x.json"])).toEqual({ message: "unknown option --jsn (did you mean --json?)", ...nothing });
    expect(await usageError(["--stack"])).toEqual({ message: "--stack needs a value", ...nothing });
    expect(await usageError(["--json", "--stack", "dev"])).toEqual({ message: "--json needs a value", ...nothing });
    expect(await usageError(["--stack", "dev", "--stack", "prod"])).toEqual({ message: "--stack is given more than once", ...nothing });
    expect(await usageError(["--stack", "../dev"])).toEqual({
      message: '--stack ../dev: a stack name may only contain alphanumeric, hyphens, underscores, or periods (invalid character "/" at position 2)',
      ...nothing,
    });
    expect(await usageError(["--stack", "nosuch"])).toEqual({
      message: `--stack nosuch: cannot read stack settings ${path.join(root, "Pulumi.nosuch.yaml")} (no such file; stacks there: dev)`,
      ...nothing,
    });
    expect(await usageError(["--json", "/nonexistent/x.json"])).toEqual({
      message: "--json /nonexistent/x.json: cannot write there (folder /nonexistent does not exist or is not writable)",
      ...nothing,
    });
    const dir = mkdtempSync(path.join(tmpdir(), "plan-out-"));
    expect(await usageError(["--json", path.join(dir, "ok.json"), "--mermaid", dir])).toEqual({ message: `--mermaid ${dir}: is a folder, expected a file name`, ...nothing });
    expect(await usageError(["--cwd", dir])).toEqual({ message: `--cwd ${dir}: no Pulumi.yaml there`, ...nothing });
  });

  it("refuses a plaintext private key as pulumi preview does, before the program runs", async () => {
    const dir = projectWith({ ...BASE, "oci-ekm:privateKeyPem": "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n" }, "test", DECLARE_SECRET_KEY);
    let ran = false;
    await expect(
      runPlanCommand(["--stack", "test", "--cwd", dir], {
        projectDir: root,
        program: () => {
          ran = true;
        },
        print: () => undefined,
      }),
    ).rejects.toThrow(
      new PlanConfigError("Pulumi.test.yaml", ["Stack 'test' with configuration key 'privateKeyPem' must be encrypted as it's secret; fix: pulumi config set --secret privateKeyPem < key.pem"]),
    );
    expect(ran).toBe(false);
  });

  it("feeds the program each secure: value as the offline placeholder, marked secret, and says so once", async () => {
    const dir = projectWith({ ...BASE, "oci-ekm:privateKeyPem": { secure: "v1:AAAABBBB" }, "dsm:apiKey": { secure: "v1:CCCC" }, namePrefix: "short" });
    // The SDK reads secretness with runtime.isConfigSecret, which its types do not declare.
    const isSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;
    let seen: Record<string, unknown> = {};
    const { code, printed } = await plan(["--stack", "test", "--cwd", dir], () => {
      const config = new pulumi.Config("oci-ekm");
      seen = {
        privateKeyPem: pulumi.runtime.getConfig("oci-ekm:privateKeyPem"),
        privateKeyPemSecret: isSecret("oci-ekm:privateKeyPem"),
        apiKeySecret: isSecret("dsm:apiKey"),
        namePrefix: config.get("namePrefix"),
        compartmentSecret: isSecret("oci-ekm:compartmentId"),
      };
      return { pem: config.requireSecret("privateKeyPem") };
    });
    expect(code).toBe(0);
    expect(seen).toEqual({ privateKeyPem: OFFLINE_UNDECRYPTED_SECRET, privateKeyPemSecret: true, apiKeySecret: true, namePrefix: "short", compartmentSecret: false });
    expect(printed.split("\n").slice(0, 4)).toEqual([
      "Stack test (project oci-ekm), region: us-ashburn-1 (oci:region not set)",
      "note: oci-ekm:privateKeyPem and dsm:apiKey are secure: values; their format is checked by pulumi preview, not offline",
      "note: namePrefix has no namespace; it is read as oci-ekm:namePrefix, as pulumi reads it",
      "",
    ]);
    expect(printed.match(/secure: value/g)).toHaveLength(1);
    expect(printed).toContain("\n    pem: [secret]\n");
    expect(printed).not.toContain(OFFLINE_UNDECRYPTED_SECRET);
  });

  // Needs the config loader to accept OFFLINE_UNDECRYPTED_SECRET for privateKeyPem (branch issue11-config).
  it("plans the stack with the README's secure: private key, with no false failure", async () => {
    const { certPem, chainPem } = userGatewayCertificate();
    const dir = projectWith({ ...BASE, "oci-ekm:certificatePem": certPem, "oci-ekm:certChainPem": chainPem, "oci-ekm:privateKeyPem": { secure: "v1:AAAABBBB" } });
    const { code, printed } = await plan(["--stack", "test", "--cwd", dir]);
    expect(code).toBe(0);
    expect(printed.split("\n").slice(0, 3)).toEqual([
      "Stack test (project oci-ekm), region: us-ashburn-1 (oci:region not set)",
      "note: oci-ekm:privateKeyPem is a secure: value; its format is checked by pulumi preview, not offline",
      "",
    ]);
    expect(printed.match(/secure: value/g)).toHaveLength(1);
    expect(printed).toContain("certificateConfig.privateKeyPem=[secret]");
    expect(printed).not.toContain(OFFLINE_UNDECRYPTED_SECRET);
  });

  it("takes the region of the mocked endpoints from oci:region and writes URNs with the parent chain", async () => {
    const dir = projectWith({ ...BASE, "oci:region": "eu-frankfurt-1" });
    const json = path.join(dir, "plan.json");
    const { code, printed } = await plan(["--stack", "test", "--cwd", dir, "--json", json]);
    expect(code).toBe(0);
    expect(printed.split("\n")[0]).toBe("Stack test (project oci-ekm), region: eu-frankfurt-1 (oci:region)");
    expect(printed.split("\n")[1]).toBe("");
    const doc = JSON.parse(readFileSync(json, "utf8")) as { resources: { name: string; urn: string }[]; outputs: Record<string, string> };
    const tag = createHash("sha256").update("oci:Kms/vault:Vault::oci-ekm-ekm-vault").digest("hex").slice(0, 12);
    expect(doc.outputs.managementEndpoint).toBe(`https://${tag}-management.kms.eu-frankfurt-1.oraclecloud.com`);
    expect(doc.outputs.cryptoEndpoint).toBe(`https://${tag}-crypto.kms.eu-frankfurt-1.oraclecloud.com`);
    expect(doc.resources.find((r) => r.name === "oci-ekm-network-vcn")!.urn).toBe(
      "urn:pulumi:test::oci-ekm::oci-ekm-fortanix:index:EkmTopology$oci-ekm-fortanix:index:EkmNetwork$oci:Core/vcn:Vcn::oci-ekm-network-vcn",
    );
    expect(printed).toContain(`JSON plan written to ${json}`);
  });

  it("refuses an oci:region that is not a region identifier, before the program runs", async () => {
    const dir = projectWith({ ...BASE, "oci:region": "US East (Ashburn)" });
    let ran = false;
    await expect(
      runPlanCommand(["--stack", "test", "--cwd", dir], { projectDir: root, program: () => void (ran = true), print: () => undefined }),
    ).rejects.toThrow(new PlanConfigError("Pulumi.test.yaml", ['oci:region is "US East (Ashburn)"; expected an OCI region identifier such as us-ashburn-1 or eu-frankfurt-1']));
    expect(ran).toBe(false);
  });

  it("fails with the program's message when the config is invalid, printing no plan", async () => {
    const dir = projectWith({ ...BASE, "oci-ekm:protect": "maybe" });
    const printed: string[] = [];
    await expect(runPlanCommand(["--stack", "test", "--cwd", dir], { projectDir: root, program: () => runEkmStack(), print: (t) => printed.push(t) })).rejects.toThrow(
      'Invalid stack configuration (1 problem); nothing was created:\n  oci-ekm:protect is "maybe"; expected true or false',
    );
    expect(printed).toEqual([]);
  });
});

describe("npm run plan", () => {
  function runPlan(args: string[], launcher?: ScriptLauncher): Promise<{ code: number; stdout: string; stderr: string }> {
    const started = scriptCommand("scripts/plan.ts", args, launcher);
    return new Promise((resolve) => {
      execFile(started.command, started.args, { cwd: root }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
        resolve({ code, stdout, stderr });
      });
    });
  }

  it("plans the shipped dev stack and writes the JSON and Mermaid files", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-out-"));
    const json = path.join(dir, "plan.json");
    const mmd = path.join(dir, "plan.mmd");
    const { code, stdout, stderr } = await runPlan(["--stack", "dev", "--json", json, "--mermaid", mmd]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout.split("\n")[0]).toBe("Stack dev (project oci-ekm), region: us-ashburn-1 (oci:region not set)");
    expect(stdout).toContain("+ oci:ApiGateway/deployment:Deployment  oci-ekm-gateway-deployment");
    expect(stdout).toMatch(/Resources: 29 registered \(22 to create, 7 components\) in \d+ ms/);
    expect(stdout).toContain(
      "Longest dependency chain: 10 resources: oci-ekm-certificate-ca-key → oci-ekm-certificate-ca → oci-ekm-certificate-issued → oci-ekm-certificate-oci → oci-ekm-gateway-gateway →",
    );
    const doc = JSON.parse(readFileSync(json, "utf8")) as { resources: { type: string; custom: boolean }[] };
    expect(doc.resources.filter((r) => r.custom)).toHaveLength(22);
    expect(readFileSync(mmd, "utf8").startsWith("flowchart LR\n")).toBe(true);
  });

  it("exits 0 on --help, 2 on a usage error before any work, 1 when the config is refused", async () => {
    // Through npm, as a user runs it; the other runs start package.json's command directly (script-process.ts).
    expect(await runPlan(["--help"], "npm")).toEqual({ code: 0, stdout: PLAN_USAGE + "\n", stderr: "" });
    expect(await runPlan(["--json", "/nonexistent/x.json"])).toEqual({
      code: 2,
      stdout: "",
      stderr: `plan: --json /nonexistent/x.json: cannot write there (folder /nonexistent does not exist or is not writable)\n${PLAN_USAGE}\n`,
    });
    const dir = projectWith({ ...BASE, "oci-ekm:privateKeyPem": "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n" });
    expect(await runPlan(["--stack", "test", "--cwd", dir])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "plan: Invalid stack configuration (1 problem); nothing was created:\n" +
        "  oci-ekm:privateKeyPem is set in plain text; expected an encrypted value, so that neither the stack file nor the state holds it readable: pulumi config set --secret privateKeyPem < key.pem\n",
    });
    // Three processes, one after another: slow on a loaded two-core machine.
  }, 120_000);
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
