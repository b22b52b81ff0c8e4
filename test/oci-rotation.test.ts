// Key rotation on both sides, under mocks: the stack program run again and again as `pulumi up`
// would after each event, with a small stand-in for DSM that answers the security objects as the
// provider would (a rekey on a changed `rotate`, a rotation made outside seen after `pulumi refresh`).
// Oracle's model: OCI follows a DSM rotation only through a new key reference version, and the OCI
// provider's delete of a `KeyVersion` schedules its deletion, so nothing may ever drop one.
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { keyReferenceVersionKids } from "../components/ekm";
import { type PlanMockResult, type PlanResource, type PlanResult, runStackInProcess } from "../components/plan";
import { runEkmStack } from "../infra/stack";
import { T, ofType, resource, stackConfig } from "./oci-helpers";

const KEY_VERSION = "oci:Kms/keyVersion:KeyVersion";
const VAULT_COMPONENT = "oci-ekm-fortanix:index:EkmVault";

/** What DSM holds for one security object: its kids oldest first, and the `rotate` it last saw. */
interface FakeKey {
  kids: string[];
  rotate?: string;
}

/** The DSM side as the security object provider reports it across runs (its state, in effect). */
class FakeDsm {
  private readonly keys = new Map<string, FakeKey>();
  private counter = 0;

  private nextKid(): string {
    this.counter += 1;
    return `00000000-0000-4000-8000-${String(this.counter).padStart(12, "0")}`;
  }

  /** A rotation made outside the program (DSM's rotation policy, the console), then `pulumi refresh`. */
  rotateOutside(name: string): string {
    const key = this.keys.get(name)!;
    key.kids.push(this.nextKid());
    return key.kids.at(-1)!;
  }

  kids(name: string): string[] {
    return [...(this.keys.get(name)?.kids ?? [])];
  }

  /** The provider's answer for the inputs of this run: created once, rekeyed when `rotate` changed. */
  answer(inputs: Record<string, unknown>): Record<string, unknown> {
    const name = String(inputs.name);
    const rotate = inputs.rotate === undefined ? undefined : String(inputs.rotate);
    let key = this.keys.get(name);
    if (key === undefined) {
      key = { kids: [this.nextKid()], rotate };
      this.keys.set(name, key);
    } else if (rotate !== undefined && rotate !== key.rotate) {
      key.kids.push(this.nextKid());
      key.rotate = rotate;
    }
    return { kid: key.kids.at(-1), rotatedKids: key.kids.slice(0, -1) };
  }
}

function run(dsm: FakeDsm, keys: object[]): Promise<PlanResult> {
  return runStackInProcess({
    config: stackConfig({ keys }),
    program: () => runEkmStack(),
    onNewResource: async (args: MockResourceArgs, defaults: PlanMockResult) => {
      if (args.type !== T.dsmSecurityObject) return undefined;
      return { ...defaults, state: { ...defaults.state, ...dsm.answer(args.inputs as Record<string, unknown>) } };
    },
  });
}

const versions = (p: PlanResult): PlanResource[] => ofType(p, KEY_VERSION);

/** Every resource below the vault component, by URN. */
function vaultSubtree(p: PlanResult): PlanResource[] {
  const vault = p.resources.find((r) => r.type === VAULT_COMPONENT)!;
  const below = new Set([vault.urn]);
  const out: PlanResource[] = [];
  for (const r of p.resources) {
    if (r.parent !== undefined && below.has(r.parent)) {
      below.add(r.urn);
      out.push(r);
    }
  }
  return out;
}

/** What the next run would delete: everything the previous one registered and this one did not. */
function dropped(before: PlanResult, after: PlanResult): string[] {
  const now = new Set(after.resources.map((r) => r.urn));
  return before.resources.filter((r) => !now.has(r.urn)).map((r) => r.urn);
}

describe("keyReferenceVersionKids", () => {
  it("skips the version OCI recorded with the key reference, and repeats", () => {
    expect(keyReferenceVersionKids([])).toEqual([]);
    expect(keyReferenceVersionKids(["k0"])).toEqual([]);
    expect(keyReferenceVersionKids(["k0", "k1", "k2"])).toEqual(["k1", "k2"]);
    expect(keyReferenceVersionKids(["k0", "k1", "k0", "k1", "k3"])).toEqual(["k1", "k3"]);
  });
});

describe("a DSM rotation reaches OCI as a key reference version", () => {
  it("a new stack declares no key reference version: OCI records the first one itself", async () => {
    const first = await run(new FakeDsm(), [{ name: "key-a" }]);
    expect(versions(first)).toEqual([]);
    expect(first.outputs.keyReferenceVersions).toEqual([]);
  });

  it("a changed `rotate` yields exactly one new KeyVersion naming the new kid, after the rekey, and nothing else in the vault changes", async () => {
    const dsm = new FakeDsm();
    const first = await run(dsm, [{ name: "key-a" }, { name: "key-b" }]);
    const second = await run(dsm, [{ name: "key-a", rotate: "2026-12" }, { name: "key-b" }]);
    const [k0, k1] = dsm.kids("key-a");
    expect(dsm.kids("key-a")).toHaveLength(2);

    expect(versions(second).map((v) => v.name)).toEqual([`oci-ekm-ekm-key-key-a-version-${k1}`]);
    const v = versions(second)[0];
    const keyRef = resource(second, "oci-ekm-ekm-key-key-a");
    const vault = resource(second, "oci-ekm-ekm-vault");
    expect(v.inputs).toEqual({ keyId: keyRef.id, managementEndpoint: vault.outputs.managementEndpoint, externalKeyVersionId: k1 });
    expect(v.inputs.externalKeyVersionId).not.toBe(k0);
    expect(v.retainOnDelete).toBe(true);
    // Created after DSM's rekey (its kid comes from the security object), on the key reference.
    expect(v.dependencies).toContain(resource(second, "oci-ekm-dsm-key-key-a").urn);
    expect(v.dependencies).toContain(keyRef.urn);
    expect(v.parent).toBe(resource(second, "oci-ekm-ekm").urn);

    const others = (p: PlanResult) => vaultSubtree(p).filter((r) => r.type !== KEY_VERSION).map((r) => [r.urn, r.inputs, r.protect]);
    expect(others(second)).toEqual(others(first));
    expect(dropped(first, second)).toEqual([]);
    expect(second.outputs.keyReferenceVersions).toEqual([{ key: "key-a", externalKeyVersionId: k1, keyVersionId: v.outputs.keyVersionId }]);
    expect(String(v.outputs.keyVersionId)).toMatch(/^ocid1\.keyversion\.oc1\.us-ashburn-1\.[0-9a-f]{24}$/);
  });

  it("a kid changed by `pulumi refresh` (DSM's rotation policy) yields exactly one new KeyVersion, with the config unchanged", async () => {
    const dsm = new FakeDsm();
    const keys = [{ name: "key-a", rotationPolicyDays: 90 }];
    const first = await run(dsm, keys);
    const outside = dsm.rotateOutside("key-a");
    const second = await run(dsm, keys);
    expect(versions(second).map((v) => v.inputs.externalKeyVersionId)).toEqual([outside]);
    expect(versions(second)[0].retainOnDelete).toBe(true);
    expect(dropped(first, second)).toEqual([]);
    const others = (p: PlanResult) => vaultSubtree(p).filter((r) => r.type !== KEY_VERSION).map((r) => [r.urn, r.inputs]);
    expect(others(second)).toEqual(others(first));
  });

  it("across three rotations nothing is ever dropped or changed: each version stays declared with its inputs, each after the one before", async () => {
    const dsm = new FakeDsm();
    const runs = [await run(dsm, [{ name: "key-a" }])];
    for (const rotate of ["r1", "r2", "r3"]) runs.push(await run(dsm, [{ name: "key-a", rotate }]));
    const [, k1, k2, k3] = dsm.kids("key-a");
    expect(versions(runs[3]).map((v) => v.inputs.externalKeyVersionId)).toEqual([k1, k2, k3]);
    for (let i = 1; i < runs.length; i += 1) {
      expect(dropped(runs[i - 1], runs[i]), `run ${i + 1}`).toEqual([]);
      expect(versions(runs[i])).toHaveLength(i);
      // A version's inputs never change (every input of a KeyVersion forces replacement).
      for (const v of versions(runs[i - 1])) expect(resource(runs[i], v.name).inputs).toEqual(v.inputs);
    }
    const [v1, v2, v3] = versions(runs[3]);
    expect(v2.dependencies).toContain(v1.urn);
    expect(v3.dependencies).toContain(v2.urn);
    expect(versions(runs[3]).every((v) => v.retainOnDelete)).toBe(true);
  });

  it("a key removed after rotations: its versions are retained (no delete reaches OCI), its key reference is protected, its DSM key is only disabled", async () => {
    const dsm = new FakeDsm();
    await run(dsm, [{ name: "key-a" }, { name: "key-b" }]);
    await run(dsm, [{ name: "key-a" }, { name: "key-b", rotate: "r1" }]);
    const rotated = await run(dsm, [{ name: "key-a" }, { name: "key-b", rotate: "r2" }]);
    const removed = await run(dsm, [{ name: "key-a" }]);
    const gone = dropped(rotated, removed).map((urn) => rotated.resources.find((r) => r.urn === urn)!);
    expect(gone.map((r) => [r.type, r.name]).sort()).toEqual(
      [
        [T.dsmSecurityObject, "oci-ekm-dsm-key-key-b"],
        [T.key, "oci-ekm-ekm-key-key-b"],
        ...dsm.kids("key-b").slice(1).map((kid) => [KEY_VERSION, `oci-ekm-ekm-key-key-b-version-${kid}`]),
      ].sort(),
    );
    // The engine never calls delete for a retained resource, and refuses to delete a protected one.
    for (const r of gone.filter((g) => g.type === KEY_VERSION)) expect(r.retainOnDelete, r.name).toBe(true);
    expect(gone.find((g) => g.type === T.key)!.protect).toBe(true);
    // The security object's delete disables it and keeps every version's material unless allowDestroy
    // (the provider's own test shows the DSM side); the state says allowDestroy is false.
    expect(gone.find((g) => g.type === T.dsmSecurityObject)!.outputs.allowDestroy).toBe(false);
    expect(versions(removed)).toEqual([]);
  });
});

describe("the scheduled rotation workflow", () => {
  /** Pulumi's `--target` glob (pkg/resource/deploy/deployment.go, getMatcher): `**` any text, `*` any text without ':'. */
  function pulumiTargetMatcher(glob: string): RegExp {
    const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    return new RegExp("^" + glob.split("**").map((seg) => seg.split("*").map(quote).join("[^:]*")).join(".*") + "$");
  }

  it("targets exactly the key reference versions: its preview and up touch nothing else", async () => {
    const workflow = parseYaml(readFileSync(path.join(__dirname, "..", ".github", "workflows", "rotation.yml"), "utf8")) as {
      on: Record<string, unknown>;
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
    };
    expect(Object.keys(workflow.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps).filter((s) => s.uses?.startsWith("pulumi/actions"));
    expect(steps.map((s) => s.with?.command)).toEqual(["refresh", "preview", "up"]);
    const dsm = new FakeDsm();
    await run(dsm, [{ name: "key-a" }, { name: "key-b" }]);
    const rotated = await run(dsm, [{ name: "key-a", rotate: "r1" }, { name: "key-b", rotate: "r1" }]);
    for (const step of steps.slice(1)) {
      const globs = String(step.with?.target).split("\n").map((l) => l.trim()).filter((l) => l !== "");
      const targeted = rotated.resources.filter((r) => globs.some((g) => pulumiTargetMatcher(g).test(r.urn)));
      expect(targeted.map((r) => r.urn).sort(), String(step.with?.command)).toEqual(versions(rotated).map((r) => r.urn).sort());
      expect(targeted).toHaveLength(2);
    }
  });
});
