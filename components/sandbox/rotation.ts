// Key rotation as Oracle describes it ("Rotating Key References"): the key is rekeyed in DSM, OCI keeps
// using the version its key reference pins, and only a new key reference version (the stack's
// `KeyVersion`, created by the same `pulumi up`) moves OCI to DSM's new version. The rotation is a
// real second run of the stack program with `keys[0].rotate` set, from the first run's state; it
// waits before CreateKeyVersion so that a step can show OCI still on the old version in between.
// With `--break rotation-not-followed` DSM rotates the key by itself and no run follows.
import { randomBytes } from "node:crypto";
import { DEFAULT_DSM_KEY_NAME } from "../topology";
import type { PlanResult } from "../plan/engine";
import type { SandboxContext, SandboxProgramConfig } from "./context";
import type { SandboxMocks, SandboxRekey } from "./mocks";
import { SANDBOX_SAMPLE, ociApi, type SandboxCiphertext, type SandboxSampleKey } from "./oci-kms-steps";
import { T, str } from "./resources";
import { runProgram } from "./up";

export const ROTATE_STEP = "rotate the key: pulumi up again with keys[0].rotate set; DSM rekeys it (Check, Diff, Update through the host)";
export const ROTATE_IN_DSM_ONLY_STEP = "rotate the key in DSM only, as its rotation policy would; no pulumi up follows (injected break)";
export const OCI_AFTER_REKEY_STEP = "OCI after the rekey: the key reference still uses the old version (KmsManagementClient GetKey, KmsCryptoClient Encrypt)";
export const KEY_VERSION_STEP = "the same pulumi up creates a key reference version (oci:Kms/keyVersion:KeyVersion, CreateKeyVersion)";

/** What the rotation did: DSM's new kid, and whether OCI followed (a key reference version names it). */
export interface SandboxRotation {
  kid: string;
  followed: boolean;
}

/** The run's config with `keys[0].rotate` set to a new value: what `pulumi config set --path 'keys[0].rotate'` does. */
export function rotatedProgramConfig(run: SandboxProgramConfig): SandboxProgramConfig {
  const key = `${run.project}:keys`;
  const given = run.config[key];
  const parsed: unknown = typeof given === "string" ? JSON.parse(given) : given;
  const keys = Array.isArray(parsed) && parsed.length > 0 ? (parsed as Record<string, unknown>[]) : [{ name: DEFAULT_DSM_KEY_NAME }];
  const rotate = `sandbox-rotation-${randomBytes(4).toString("hex")}`;
  return { ...run, config: { ...run.config, [key]: JSON.stringify([{ ...keys[0], rotate }, ...keys.slice(1)]) } };
}

type Settled = { ok: true; plan: PlanResult; mocks: SandboxMocks } | { ok: false; err: unknown };

/** OCI's key reference after DSM's rekey and before any key reference version: still the old version, for reads and for Encrypt. */
async function ociAfterRekeyStep(ctx: SandboxContext, key: SandboxSampleKey, rekey: SandboxRekey | undefined): Promise<SandboxCiphertext | undefined> {
  return ctx.runner.run(OCI_AFTER_REKEY_STEP, async () => {
    const api = await ociApi(ctx);
    const ref = await api.getKey(key.keyReferenceId);
    const kid = rekey?.kid ?? "";
    if (ref.externalKeyVersionId === kid) throw new Error(`OCI's key reference already names DSM's new version ${kid}, though no key reference version was created`);
    const c = await api.encrypt(key.keyReferenceId, SANDBOX_SAMPLE);
    if (c.keyVersionId !== ref.currentKeyVersion) throw new Error(`Encrypt went under ${c.keyVersionId}, not the current version ${ref.currentKeyVersion}`);
    return {
      value: { ...c, kid: ref.externalKeyVersionId ?? "" },
      detail: `DSM's current kid is ${kid}; OCI's current key reference version ${ref.currentKeyVersion} still names ${String(ref.externalKeyVersionId)}, and Encrypt went under it`,
    };
  });
}

/** The second run's end: exactly one new `KeyVersion`, for DSM's new kid; its outputs are the stack's from now on. */
async function keyVersionStep(ctx: SandboxContext, key: SandboxSampleKey, settled: Promise<Settled>, rekey: SandboxRekey | undefined): Promise<void> {
  await ctx.runner.run(KEY_VERSION_STEP, async () => {
    const run = await settled;
    if (!run.ok) throw run.err;
    const { plan, mocks } = run;
    const problems = [...mocks.problems, ...mocks.ociRefusals];
    if (problems.length > 0) throw new Error(problems.join("; "));
    const kid = rekey?.kid ?? "";
    const created = mocks.registered.byType(T.keyVersion).filter((r) => r.operation === "create");
    const kids = created.map((r) => str(r.inputs.externalKeyVersionId));
    if (created.length !== 1 || kids[0] !== kid) {
      throw new Error(`the run registered ${created.length} new KeyVersion(s) [${kids.join(", ")}]; expected exactly one, for DSM's new kid ${kid}`);
    }
    ctx.registered = mocks.registered;
    ctx.stackOutputs = plan.outputValues;
    const api = await ociApi(ctx);
    const versions = await api.listKeyVersions(key.keyReferenceId);
    const ref = await api.getKey(key.keyReferenceId);
    if (ref.currentKeyVersion !== created[0].id) throw new Error(`OCI's current key reference version is ${ref.currentKeyVersion}, not the new ${created[0].id}`);
    const ops = mocks.registered.operations();
    return {
      value: undefined,
      detail:
        `CreateKeyVersion made ${created[0].id} for kid ${kid}, the only KeyVersion this run registered ` +
        `(${ops.create} created, ${ops.update} updated, ${ops.same} unchanged); OCI lists ${versions.length} versions of the key reference, the current one naming ${String(ref.externalKeyVersionId)}`,
    };
  });
}

/** The rotation a `pulumi up` makes: rekey, OCI still on the old version, the key reference version. */
async function followedRotation(ctx: SandboxContext, key: SandboxSampleKey): Promise<{ rotation?: SandboxRotation; during?: SandboxCiphertext }> {
  const { runner } = ctx;
  if (runner.failed || ctx.aborted || !ctx.programConfig) {
    for (const name of [ROTATE_STEP, OCI_AFTER_REKEY_STEP, KEY_VERSION_STEP]) await runner.run(name, () => Promise.reject(new Error("not run")));
    return {};
  }
  let rekeyed: (rekey: SandboxRekey | undefined) => void = () => undefined;
  const rekeyDone = new Promise<SandboxRekey | undefined>((resolve) => (rekeyed = resolve));
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const settled: Promise<Settled> = runProgram(ctx, rotatedProgramConfig(ctx.programConfig), ctx.registered, { onRekey: rekeyed, beforeKeyVersion: () => released }).then(
    (r) => ({ ok: true, ...r }),
    (err: unknown) => ({ ok: false, err }),
  );
  void settled.then(() => rekeyed(undefined));
  let rekey: SandboxRekey | undefined;
  let during: SandboxCiphertext | undefined;
  try {
    rekey = await runner.run(ROTATE_STEP, async () => {
      const k = await rekeyDone;
      if (!k) {
        const run = await settled;
        throw run.ok ? new Error(`the run rekeyed no DSM key (was keys[0] "${key.name}"?)`) : run.err;
      }
      return { value: k, detail: `"${k.name}": new kid ${k.kid}, rotated kids [${k.rotatedKids.join(", ")}]` };
    });
    during = await ociAfterRekeyStep(ctx, key, rekey);
  } finally {
    release();
  }
  await keyVersionStep(ctx, key, settled, rekey);
  // Whatever happened above, the run is over before the sandbox goes on (or stops).
  await settled;
  return { rotation: rekey ? { kid: rekey.kid, followed: true } : undefined, during };
}

/** DSM rotates the key by itself (its rotation policy); the stack is not run again, so OCI is not told. */
async function rotationNotFollowed(ctx: SandboxContext, key: SandboxSampleKey): Promise<{ rotation?: SandboxRotation; during?: SandboxCiphertext }> {
  const rekey = await ctx.runner.run(ROTATE_IN_DSM_ONLY_STEP, async () => {
    const dsm = ctx.requireDsm();
    const old = dsm.sobject(key.name)?.kid ?? "";
    const renewed = dsm.rekeySobject(key.name);
    const value: SandboxRekey = { name: key.name, kid: renewed.kid, rotatedKids: [old] };
    return { value, detail: `"${key.name}": new kid ${renewed.kid} in DSM, the old one ${old} kept for decryption; no pulumi up, so no key reference version` };
  });
  const during = await ociAfterRekeyStep(ctx, key, rekey);
  return { rotation: rekey ? { kid: rekey.kid, followed: false } : undefined, during };
}

export function rotationSteps(ctx: SandboxContext, key: SandboxSampleKey): Promise<{ rotation?: SandboxRotation; during?: SandboxCiphertext }> {
  return ctx.options.break === "rotation-not-followed" ? rotationNotFollowed(ctx, key) : followedRotation(ctx, key);
}
