// What a caller's resource options do to the components: an explicit `oci` provider reaches every OCI
// resource, `protect` is honoured (and the vault's own default applies only when nobody said), a
// transformation sees and changes every child, and a rename under an alias maps every resource to
// the URN it had, so nothing would be replaced. And every output a component declares is registered.
import * as oci from "@pulumi/oci";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EkmVault, type EkmVaultArgs } from "../components/ekm";
import { type PlanResource, type PlanResult, defaultPlanMockResult, runStackInProcess } from "../components/plan";
import { EkmTopology, type EkmTopologyArgs } from "../components/topology";
import { ACCOUNT_ID, COMPARTMENT, DOMAIN_URL, VAULT_ARGS } from "./oci-helpers";

const ARGS: EkmTopologyArgs = {
  compartmentId: COMPARTMENT,
  gatewayHostname: "ekm-gateway.example.com",
  identityDomainUrl: DOMAIN_URL,
  dsm: { accountId: ACCOUNT_ID, keys: [{ name: "key-a" }, { name: "key-b" }] },
  // Display names and the VCN's DNS label come from the prefix: fixed, so that a rename changes no input.
  namePrefix: "oci-ekm",
};

const VAULT: EkmVaultArgs = VAULT_ARGS;

function run(program: () => void): Promise<PlanResult> {
  return runStackInProcess({ program });
}

const custom = (p: PlanResult): PlanResource[] => p.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
const byType = (p: PlanResult, prefix: string): PlanResource[] => custom(p).filter((r) => r.type.startsWith(prefix));

afterEach(() => {
  vi.restoreAllMocks();
});

describe("every output a component declares is registered, from the same object", () => {
  it("for the topology and each child component", async () => {
    // registerOutputs is protected: spied through the prototype's shape.
    const spy = vi.spyOn(pulumi.ComponentResource.prototype as unknown as { registerOutputs(outputs?: object): void }, "registerOutputs");
    await run(() => void new EkmTopology("t", ARGS));
    const seen = new Map<string, string[]>();
    spy.mock.calls.forEach((call, i) => {
      // The SDK itself calls registerOutputs() with nothing when a component's constructor returns.
      if (call[0] === undefined || spy.mock.contexts[i] instanceof pulumi.runtime.Stack) return;
      const component = spy.mock.contexts[i] as pulumi.ComponentResource;
      const declared = Object.entries(component)
        .filter(([k, v]) => k !== "urn" && !k.startsWith("__") && pulumi.Output.isInstance(v))
        .map(([k]) => k)
        .sort();
      const registered = Object.keys((call[0] ?? {}) as object).sort();
      seen.set(component.constructor.name, registered);
      expect(registered, component.constructor.name).toEqual(declared);
    });
    expect([...seen.keys()].sort()).toEqual(["EkmCertificate", "EkmGateway", "EkmIdentity", "EkmNetwork", "EkmTopology", "EkmVault"]);
    expect(seen.get("EkmTopology")).toHaveLength(33);
    expect(seen.get("EkmTopology")).toEqual(expect.arrayContaining(["gatewayHostname", "gatewayBackendUrl", "deploymentId", "identityDomainUrl", "issuer", "dsmUrl", "dsmAccountId", "privateEndpointId"]));
  });
});

describe("an explicit oci provider", () => {
  it("reaches every OCI resource of the topology; tls and DSM resources keep theirs", async () => {
    let providerRef = "";
    const p = await run(() => {
      const tokyo = new oci.Provider("tokyo", { region: "ap-tokyo-1" });
      pulumi.all([tokyo.urn, tokyo.id]).apply(([urn, id]) => (providerRef = `${urn}::${id}`));
      new EkmTopology("t", ARGS, { providers: { oci: tokyo } });
    });
    const ociResources = byType(p, "oci:");
    expect(ociResources.length).toBeGreaterThanOrEqual(15);
    expect(providerRef).toMatch(/^urn:pulumi:.*::pulumi:providers:oci::tokyo::/);
    for (const r of ociResources) expect(r.provider, r.name).toBe(providerRef);
    for (const r of [...byType(p, "tls:"), ...byType(p, "pulumi-nodejs:")]) expect(r.provider, r.name).toBeUndefined();
  });
});

describe("protect", () => {
  const protectedNames = (p: PlanResult): string[] => custom(p).filter((r) => r.protect).map((r) => r.name).sort();

  it("the vault and key references are protected when nobody says otherwise", async () => {
    expect(protectedNames(await run(() => void new EkmTopology("t", ARGS)))).toEqual(["t-ekm-key-key-a", "t-ekm-key-key-b", "t-ekm-vault"]);
  });

  it("the caller's protect: false is honoured by the topology and by the vault used alone", async () => {
    expect(protectedNames(await run(() => void new EkmTopology("t", ARGS, { protect: false })))).toEqual([]);
    expect(protectedNames(await run(() => void new EkmVault("v", VAULT, { protect: false })))).toEqual([]);
    // The argument still wins over the option.
    expect(protectedNames(await run(() => void new EkmVault("v", { ...VAULT, protect: true }, { protect: false })))).toEqual(["v-key-key-a", "v-vault"]);
  });

  it("the caller's protect: true reaches every child, the network and the DSM objects too", async () => {
    const p = await run(() => void new EkmTopology("t", ARGS, { protect: true }));
    // Key reference versions are retained rather than protected: none exist before a rotation.
    expect(custom(p).filter((r) => !r.protect).map((r) => r.name)).toEqual([]);
  });
});

describe("transformations", () => {
  it("see every child and change what they register", async () => {
    const types = new Set<string>();
    const p = await run(
      () =>
        void new EkmTopology("t", ARGS, {
          transformations: [
            (args) => {
              types.add(args.type);
              if (args.type === "oci:Kms/vault:Vault") return { props: { ...args.props, freeformTags: { team: "payments" } }, opts: args.opts };
              return undefined;
            },
          ],
        }),
    );
    // The topology itself and every resource below it.
    expect([...types].sort()).toEqual([...new Set(p.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.type))].sort());
    expect(custom(p).find((r) => r.type === "oci:Kms/vault:Vault")?.inputs.freeformTags).toEqual({ team: "payments" });
  });
});

/**
 * The URN the engine looks for a resource under when its parent has an alias (pulumi/pulumi
 * pkg/resource/deploy/step_generator.go, inheritedChildAlias: a name that starts with the parent's
 * name takes the alias's name instead).
 */
function formerUrn(r: PlanResource, p: PlanResult, formerOf: Map<string, string>): string {
  const known = formerOf.get(r.urn);
  if (known !== undefined) return known;
  const [prefix, project] = r.urn.split("::");
  const parent = p.resources.find((x) => x.urn === r.parent && x.type !== "pulumi:pulumi:Stack");
  const parentWas = parent === undefined ? undefined : formerUrn(parent, p, formerOf);
  const aliasName = r.aliases?.find((a) => a.name !== undefined)?.name;
  let name = r.name;
  if (aliasName !== undefined) name = aliasName;
  else if (parent !== undefined && parentWas !== undefined && r.name.startsWith(parent.name)) name = parentWas.split("::").at(-1)! + r.name.slice(parent.name.length);
  // The type is qualified by the parent's type chain (the plan engine's planUrn, the engine's rule).
  const type = parentWas === undefined ? r.type : `${parentWas.split("::")[2]}$${r.type}`;
  const urn = `${prefix}::${project}::${type}::${name}`;
  formerOf.set(r.urn, urn);
  return urn;
}

describe("aliases", () => {
  it("a topology renamed under an alias maps every resource to the URN it had, with the same inputs: nothing is replaced", async () => {
    const before = await run(() => void new EkmTopology("oci-ekm", ARGS));
    // Mock answers as for the resources the aliases name (the mocks derive ids from names; the cloud's
    // objects would be the same ones).
    const after = await runStackInProcess({
      program: () => void new EkmTopology("payments-ekm", ARGS, { aliases: [{ name: "oci-ekm" }] }),
      onNewResource: async (args) => defaultPlanMockResult({ ...args, name: args.name.replace(/^payments-ekm/, "oci-ekm") }),
    });
    const formerOf = new Map<string, string>();
    const old = new Map(before.resources.map((r) => [r.urn, r]));
    const moved = after.resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
    expect(moved.length).toBe(before.resources.length - 1);
    for (const r of moved) {
      const was = formerUrn(r, after, formerOf);
      expect(old.has(was), `${r.urn} was ${was}`).toBe(true);
      if (r.custom) expect(r.inputs, r.name).toEqual(old.get(was)!.inputs);
    }
    expect(after.resources.find((r) => r.name === "payments-ekm")?.aliases).toEqual([{ name: "oci-ekm", parentUrn: "urn:pulumi:dev::oci-ekm::pulumi:pulumi:Stack::oci-ekm-dev" }]);
  });
});
