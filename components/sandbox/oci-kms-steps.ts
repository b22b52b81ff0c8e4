// OCI Vault's data calls as an application makes them: Encrypt and Decrypt on the vault's crypto
// endpoint through Oracle's SDK (KmsCryptoClient), which OCI serves by calling the external key
// manager through the private endpoint and the gateway to DSM, under the key reference's version.
import type { SandboxContext } from "./context";
import { SandboxOciKmsApi, type OciCiphertext } from "./oci-kms-api";
import { sandboxKeyNames } from "./oci-vault-steps";
import { str } from "./resources";

/** What the sandbox encrypts. */
export const SANDBOX_SAMPLE = Buffer.from("the key material never leaves DSM", "utf8");

/** The key the sandbox uses and rotates: its DSM name and its key reference's OCID. */
export interface SandboxSampleKey {
  name: string;
  keyReferenceId: string;
}

/** A ciphertext and the DSM kid its key reference version names. */
export interface SandboxCiphertext extends OciCiphertext {
  kid: string;
}

export const ENCRYPT_STEP = "OCI Vault: Encrypt a sample (KmsCryptoClient, through the private endpoint and the gateway to DSM)";
export const ENCRYPT_AGAIN_STEP = "OCI Vault: Encrypt again after the rotation";
export const DECRYPT_STEP = "OCI Vault: Decrypt both ciphertexts (KmsCryptoClient, each under the version it names)";

/** The first key of the stack and its key reference, from the stack outputs (as an application reads them). */
export function sampleKey(ctx: SandboxContext): SandboxSampleKey {
  const out = ctx.stackOutputs ?? {};
  const name = sandboxKeyNames(ctx)[0] ?? "";
  const names = Array.isArray(out.keyNames) ? out.keyNames.map(str) : [];
  const ids = Array.isArray(out.keyReferenceIds) ? out.keyReferenceIds.map(str) : [];
  return { name, keyReferenceId: ids[names.indexOf(name)] ?? "" };
}

/** Oracle's SDK clients for the stack's vault (its `cryptoEndpoint` and `managementEndpoint` outputs). */
export async function ociApi(ctx: SandboxContext): Promise<SandboxOciKmsApi> {
  if (ctx.ociApi) return ctx.ociApi;
  const out = ctx.stackOutputs ?? {};
  if (!ctx.ociUser || typeof out.cryptoEndpoint !== "string" || typeof out.managementEndpoint !== "string") {
    throw new Error("the stack has no vault endpoints (outputs cryptoEndpoint, managementEndpoint)");
  }
  ctx.ociApi = await SandboxOciKmsApi.open(ctx.ociUser.configFile, { cryptoEndpoint: out.cryptoEndpoint, managementEndpoint: out.managementEndpoint }, ctx.ca.certPem);
  return ctx.ociApi;
}

/** Encrypt under the key reference's current version; the answer names the version. */
export async function encryptSample(ctx: SandboxContext, key: SandboxSampleKey): Promise<SandboxCiphertext> {
  const api = await ociApi(ctx);
  const c = await api.encrypt(key.keyReferenceId, SANDBOX_SAMPLE);
  return { ...c, kid: await api.kidOf(key.keyReferenceId, c.keyVersionId) };
}

export async function encryptStep(ctx: SandboxContext, key: SandboxSampleKey): Promise<SandboxCiphertext | undefined> {
  return ctx.runner.run(ENCRYPT_STEP, async () => {
    const c = await encryptSample(ctx, key);
    return { value: c, detail: `ciphertext under key version ${c.keyVersionId} (DSM kid ${c.kid})` };
  });
}

/** After a rotation OCI followed, Encrypt uses the new version; after one it did not, still the old one. */
export async function encryptAgainStep(
  ctx: SandboxContext,
  key: SandboxSampleKey,
  before: SandboxCiphertext | undefined,
  rotation: { followed: boolean; kid: string } | undefined,
): Promise<SandboxCiphertext | undefined> {
  return ctx.runner.run(ENCRYPT_AGAIN_STEP, async () => {
    const c = await encryptSample(ctx, key);
    const under = `ciphertext under key version ${c.keyVersionId} (DSM kid ${c.kid})`;
    if (rotation?.followed === false) {
      if (c.kid === rotation.kid) throw new Error(`${under}: OCI uses DSM's new version though no key reference version names it`);
      return { value: c, detail: `${under}: OCI still uses the old version; DSM's current is ${rotation.kid}` };
    }
    if (before && c.keyVersionId === before.keyVersionId) throw new Error(`still encrypting under ${c.keyVersionId} after the rotation`);
    if (rotation && c.kid !== rotation.kid) throw new Error(`${under}, not under DSM's new version ${rotation.kid}`);
    return { value: c, detail: `${under}, the new one` };
  });
}

export async function decryptStep(ctx: SandboxContext, key: SandboxSampleKey, ciphertexts: (SandboxCiphertext | undefined)[]): Promise<void> {
  await ctx.runner.run(DECRYPT_STEP, async () => {
    const api = await ociApi(ctx);
    const versions: string[] = [];
    for (const c of ciphertexts) {
      if (!c) throw new Error("a ciphertext is missing");
      const out = await api.decrypt(key.keyReferenceId, c);
      if (!out.plaintext.equals(SANDBOX_SAMPLE)) throw new Error(`decrypting the ciphertext of version ${c.keyVersionId} gave other bytes`);
      if (out.keyVersionId !== c.keyVersionId) throw new Error(`the ciphertext of version ${c.keyVersionId} was decrypted under ${out.keyVersionId}`);
      versions.push(`${c.keyVersionId} (kid ${c.kid})`);
    }
    return { value: undefined, detail: `both decrypt to the sample (versions ${versions.join(", ")})` };
  });
}
