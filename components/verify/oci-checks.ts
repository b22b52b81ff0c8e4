// The OCI side of the chain, read through OCI's own API: the external vault and its private endpoint
// ACTIVE, each key reference ENABLED, and each key reference's current version naming DSM's current
// version. Oracle's model is that OCI uses the version its key reference pins ("Rotating Key
// References"): a key rotated in DSM (by `rotate`, DSM's rotation policy or the console) is used by
// OCI only once a key reference version names it, so a lag here is a rotation OCI never followed.
import { ekmCheckFailed, ekmCheckPassed, ekmCheckSkipped, type EkmCheckResult } from "./checks";
import type { EkmDsmReader } from "./dsm-checks";

/** An external vault as GetVault answers it (the fields checked). */
export interface EkmOciVault {
  lifecycleState: string;
  vaultType?: string;
}

/** An EKM private endpoint as GetEkmsPrivateEndpoint answers it (the fields checked). */
export interface EkmOciPrivateEndpoint {
  lifecycleState: string;
}

/** A key reference as GetKey answers it (the fields checked). */
export interface EkmOciKeyReference {
  lifecycleState: string;
  /** OCID of the key reference version OCI encrypts under. */
  currentKeyVersion?: string;
  protectionMode?: string;
  /** `externalKeyReferenceDetails.externalKeyId`: the DSM key's name. */
  externalKeyId?: string;
}

/** A key reference version as ListKeyVersions answers it (the fields checked). */
export interface EkmOciKeyVersion {
  id: string;
  lifecycleState: string;
  /** The DSM version (kid) it names. */
  externalKeyVersionId?: string;
  timeCreated?: string;
  timeOfDeletion?: string;
}

/**
 * Read access to OCI's Key Management API, so the checks do not depend on how requests are signed.
 * `ociReaderFromConfigFile` (verify's `oci-sdk` module) builds one on Oracle's TypeScript SDK.
 */
export interface EkmOciReader {
  getVault(vaultId: string): Promise<EkmOciVault>;
  getPrivateEndpoint(privateEndpointId: string): Promise<EkmOciPrivateEndpoint>;
  getKey(managementEndpoint: string, keyId: string): Promise<EkmOciKeyReference>;
  listKeyVersions(managementEndpoint: string, keyId: string): Promise<EkmOciKeyVersion[]>;
}

/** What the OCI checks compare against: the stack's outputs. */
export interface EkmOciExpectations {
  /** Stack output `vaultId`. Undefined skips the vault check. */
  vaultId?: string;
  /** Stack output `privateEndpointId`. Undefined skips the private endpoint check. */
  privateEndpointId?: string;
  /** Stack output `managementEndpoint`. Undefined skips the key checks. */
  managementEndpoint?: string;
  /** DSM key names and their key reference OCIDs (stack outputs `keyNames`, `keyReferenceIds`), same order. */
  keys: { name: string; keyReferenceId?: string }[];
}

/** The part of an OCI SDK error the checks read (`OciError`: statusCode, serviceCode, message). */
interface OciErrorLike {
  statusCode?: number;
  serviceCode?: string;
  message?: string;
  /** The URL called: the SDK throws a plain object with it (not an Error) when no answer came. */
  requestEndpoint?: string;
}

/** OCI's answer in one line: status, service code and message, never a request's credentials. */
export function describeOciError(err: unknown): string {
  const e = (err ?? {}) as OciErrorLike;
  if (typeof e.statusCode === "number" && e.statusCode > 0) {
    return `HTTP ${e.statusCode}${e.serviceCode ? ` ${e.serviceCode}` : ""}${e.message ? `: ${e.message}` : ""}`;
  }
  if (err instanceof Error) return err.message;
  // No answer (connection, TLS): the SDK throws a plain object, which String() would print as [object Object].
  if (typeof e.message === "string" && e.message !== "") return `${e.message}${typeof e.requestEndpoint === "string" ? ` (${e.requestEndpoint})` : ""}`;
  return typeof err === "object" && err !== null ? "an error without a message" : String(err);
}

/** What to change when OCI refused or could not find something. */
function ociFix(err: unknown, what: string): string {
  const status = (err as OciErrorLike | undefined)?.statusCode;
  if (status === 401) {
    return "OCI refused the request's signature: check the OCI config file (user, tenancy, fingerprint, key_file, region) and that the API key is uploaded to that user";
  }
  if (status === 404) {
    return `check the ${what} OCID (stack outputs) and that your user's groups may read it (inspect/read vaults and keys, read ekms-private-endpoints in its compartment)`;
  }
  return `check that this machine reaches OCI's Key Management endpoints for the ${what}, and that a --ca-bundle given holds the CA of their certificates`;
}

const OCI_VERSION_LAG_FIX = "run pulumi refresh && pulumi up (the stack then creates a key reference version for DSM's current version), or run the rotation workflow";

async function vaultCheck(reader: EkmOciReader, vaultId: string): Promise<EkmCheckResult> {
  const expected = `the external vault ${vaultId} ACTIVE`;
  try {
    const vault = await reader.getVault(vaultId);
    if (vault.lifecycleState === "ACTIVE" && (vault.vaultType === undefined || vault.vaultType === "EXTERNAL")) {
      return ekmCheckPassed("oci-vault", expected, `ACTIVE, ${vault.vaultType ?? "type not given"}`);
    }
    return ekmCheckFailed(
      "oci-vault",
      expected,
      `${vault.lifecycleState}${vault.vaultType ? `, ${vault.vaultType}` : ""}`,
      vault.lifecycleState.startsWith("PENDING_DELETION") || vault.lifecycleState === "SCHEDULING_DELETION"
        ? "the vault is scheduled for deletion: cancel it with oci kms management vault cancel-deletion before the waiting period ends"
        : "wait for OCI to finish the vault's current operation, then run verify again",
    );
  } catch (err) {
    return ekmCheckFailed("oci-vault", expected, describeOciError(err), ociFix(err, "vault"));
  }
}

async function privateEndpointCheck(reader: EkmOciReader, id: string): Promise<EkmCheckResult> {
  const expected = `the EKM private endpoint ${id} ACTIVE`;
  try {
    const pe = await reader.getPrivateEndpoint(id);
    if (pe.lifecycleState === "ACTIVE") return ekmCheckPassed("oci-private-endpoint", expected, "ACTIVE");
    return ekmCheckFailed("oci-private-endpoint", expected, pe.lifecycleState, "a private endpoint that is not ACTIVE cannot reach the gateway: see its work requests in the OCI console");
  } catch (err) {
    return ekmCheckFailed("oci-private-endpoint", expected, describeOciError(err), ociFix(err, "private endpoint"));
  }
}

/** A version OCI still holds: not deleted, not on its way to deletion. */
function held(v: EkmOciKeyVersion): boolean {
  return v.lifecycleState !== "DELETED" && v.lifecycleState !== "DELETING" && v.timeOfDeletion === undefined;
}

interface KeyContext {
  reader: EkmOciReader;
  managementEndpoint: string;
  name: string;
  keyId: string;
  dsm?: EkmDsmReader;
  dsmUnavailableReason: string;
}

async function keyReferenceCheck(c: KeyContext): Promise<{ check: EkmCheckResult; key?: EkmOciKeyReference }> {
  const expected = `the key reference ${c.keyId} ENABLED, EXTERNAL, naming the DSM key ${JSON.stringify(c.name)}`;
  let key: EkmOciKeyReference;
  try {
    key = await c.reader.getKey(c.managementEndpoint, c.keyId);
  } catch (err) {
    return { check: ekmCheckFailed("oci-key-reference", expected, describeOciError(err), ociFix(err, "key reference"), c.name) };
  }
  const found = `${key.lifecycleState}, ${key.protectionMode ?? "protection mode not given"}, external key ${JSON.stringify(key.externalKeyId ?? "")}`;
  if (key.lifecycleState !== "ENABLED") {
    return { check: ekmCheckFailed("oci-key-reference", expected, found, "enable the key reference (oci kms management key enable), or cancel its deletion if it is pending deletion", c.name), key };
  }
  if (key.externalKeyId !== undefined && key.externalKeyId !== c.name) {
    return { check: ekmCheckFailed("oci-key-reference", expected, found, "the key reference names another DSM key: check the stack's keyNames and keyReferenceIds outputs", c.name), key };
  }
  return { check: ekmCheckPassed("oci-key-reference", expected, found, c.name), key };
}

/** The current version against DSM's, then every version OCI holds against what DSM holds. */
async function versionChecks(c: KeyContext, key: EkmOciKeyReference | undefined): Promise<EkmCheckResult[]> {
  const currentExpected = "OCI's current key reference version names DSM's current version of the key";
  const heldExpected = "every key reference version OCI holds names a version DSM still holds";
  if (key === undefined) {
    return [ekmCheckSkipped("oci-key-version-current", currentExpected, "no key reference", c.name), ekmCheckSkipped("oci-key-versions-in-dsm", heldExpected, "no key reference", c.name)];
  }
  let versions: EkmOciKeyVersion[];
  try {
    versions = await c.reader.listKeyVersions(c.managementEndpoint, c.keyId);
  } catch (err) {
    return [ekmCheckFailed("oci-key-version-current", currentExpected, describeOciError(err), ociFix(err, "key reference"), c.name)];
  }
  if (c.dsm === undefined) {
    return [
      ekmCheckSkipped("oci-key-version-current", currentExpected, c.dsmUnavailableReason, c.name),
      ekmCheckSkipped("oci-key-versions-in-dsm", heldExpected, c.dsmUnavailableReason, c.name),
    ];
  }
  return [await currentVersionCheck(c, key, versions), await heldVersionsCheck(c, versions)];
}

async function currentVersionCheck(c: KeyContext, key: EkmOciKeyReference, versions: EkmOciKeyVersion[]): Promise<EkmCheckResult> {
  const expected = "OCI's current key reference version names DSM's current version of the key";
  const current = versions.find((v) => v.id === key.currentKeyVersion);
  const dsmKey = await c.dsm!.findKeyByName(c.name);
  if (dsmKey === undefined) return ekmCheckSkipped("oci-key-version-current", expected, `DSM holds no key named ${JSON.stringify(c.name)} (see the DSM checks)`, c.name);
  if (current?.externalKeyVersionId === undefined) {
    return ekmCheckFailed(
      "oci-key-version-current",
      expected,
      `the current version ${key.currentKeyVersion ?? "(none)"} is not among the ${versions.length} versions OCI lists, or names no DSM version`,
      "wait for OCI to finish the key reference's rotation, then run verify again",
      c.name,
    );
  }
  if (current.externalKeyVersionId === dsmKey.kid) {
    return ekmCheckPassed("oci-key-version-current", expected, `current version ${current.id} names kid ${dsmKey.kid}, DSM's current`, c.name);
  }
  return ekmCheckFailed("oci-key-version-current", expected, `OCI still uses version ${current.externalKeyVersionId}, DSM's current is ${dsmKey.kid}`, OCI_VERSION_LAG_FIX, c.name);
}

async function heldVersionsCheck(c: KeyContext, versions: EkmOciKeyVersion[]): Promise<EkmCheckResult> {
  const expected = "every key reference version OCI holds names a version DSM still holds";
  const kept = versions.filter(held);
  const missing: string[] = [];
  for (const v of kept) {
    if (v.externalKeyVersionId === undefined || (await c.dsm!.getKey(v.externalKeyVersionId)) === undefined) {
      missing.push(`${v.id} (kid ${v.externalKeyVersionId ?? "none"})`);
    }
  }
  const pending = versions.length - kept.length;
  const tail = pending > 0 ? `; ${pending} more pending deletion or deleted` : "";
  if (missing.length === 0) {
    return ekmCheckPassed("oci-key-versions-in-dsm", expected, `${kept.length} version${kept.length === 1 ? "" : "s"}, each found in DSM${tail}`, c.name);
  }
  return ekmCheckFailed(
    "oci-key-versions-in-dsm",
    expected,
    `DSM holds no version for ${missing.join(", ")}${tail}`,
    "what OCI encrypted under those versions cannot be decrypted: restore the DSM key versions (from a DSM backup), and never destroy a rotated-away version OCI still holds",
    c.name,
  );
}

/** Per key: the key reference, its current version against DSM's, and every version it holds against DSM. */
async function keyChecks(c: KeyContext): Promise<EkmCheckResult[]> {
  const { check, key } = await keyReferenceCheck(c);
  return [check, ...(await versionChecks(c, check.ok ? key : undefined))];
}

/**
 * The OCI checks, in order: oci-vault, oci-private-endpoint, then per key oci-key-reference,
 * oci-key-version-current and oci-key-versions-in-dsm. Without `oci` every one is skipped with
 * `ociUnavailableReason`; the version checks need DSM too.
 */
export async function runOciChecks(
  oci: EkmOciReader | undefined,
  expect: EkmOciExpectations,
  options: { ociUnavailableReason: string; dsm?: EkmDsmReader; dsmUnavailableReason: string },
): Promise<EkmCheckResult[]> {
  if (oci === undefined) return [ekmCheckSkipped("oci-vault", "the external vault, private endpoint and key references in OCI", options.ociUnavailableReason)];
  const checks: EkmCheckResult[] = [];
  checks.push(expect.vaultId ? await vaultCheck(oci, expect.vaultId) : ekmCheckSkipped("oci-vault", "the external vault ACTIVE", "no vault OCID (stack output vaultId)"));
  checks.push(
    expect.privateEndpointId
      ? await privateEndpointCheck(oci, expect.privateEndpointId)
      : ekmCheckSkipped("oci-private-endpoint", "the EKM private endpoint ACTIVE", "no private endpoint OCID (stack output privateEndpointId)"),
  );
  for (const k of expect.keys) {
    if (!expect.managementEndpoint || !k.keyReferenceId) {
      const why = !expect.managementEndpoint ? "no management endpoint (stack output managementEndpoint)" : "no key reference OCID (stack output keyReferenceIds)";
      checks.push(ekmCheckSkipped("oci-key-reference", "the key reference ENABLED", why, k.name));
      continue;
    }
    checks.push(
      ...(await keyChecks({
        reader: oci,
        managementEndpoint: expect.managementEndpoint,
        name: k.name,
        keyId: k.keyReferenceId,
        dsm: options.dsm,
        dsmUnavailableReason: options.dsmUnavailableReason,
      })),
    );
  }
  return checks;
}
