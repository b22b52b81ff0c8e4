// verify's OCI checks on a reader that answers as OCI's Key Management API does, and a DSM reader
// with the key's versions: the lag between OCI's current key reference version and DSM's current
// version is a rotation OCI never followed (Oracle's model), and must be named with its fix.
import { describe, expect, it } from "vitest";
import type { EkmDsmKey, EkmDsmReader } from "../components/verify/dsm-checks";
import { describeOciError, runOciChecks, type EkmOciKeyVersion, type EkmOciReader } from "../components/verify/oci-checks";

const ENDPOINT = "https://abc-management.kms.us-ashburn-1.oraclecloud.com";
const KEY_REF = "ocid1.key.oc1.iad.abc.key1";
const V1 = "ocid1.keyversion.oc1.iad.abc.v1";
const V2 = "ocid1.keyversion.oc1.iad.abc.v2";
const KID0 = "00000000-0000-4000-8000-000000000000";
const KID1 = "00000000-0000-4000-8000-000000000001";

function dsmWith(current: string, rotatedAway: string[]): EkmDsmReader {
  const keys: EkmDsmKey[] = [
    ...rotatedAway.map((kid) => ({ kid, name: `oci-ekm-key (rotated at 20261201T000000Z)`, group_id: "g", obj_type: "AES" })),
    { kid: current, name: "oci-ekm-key", group_id: "g", obj_type: "AES" },
  ];
  return {
    findAppByName: async () => undefined,
    findKeyByName: async (name) => keys.find((k) => k.name === name),
    getKey: async (kid) => keys.find((k) => k.kid === kid),
    listKeysInGroup: async () => keys,
  };
}

function ociWith(versions: EkmOciKeyVersion[], current: string, overrides: Partial<EkmOciReader> = {}): EkmOciReader {
  return {
    getVault: async () => ({ lifecycleState: "ACTIVE", vaultType: "EXTERNAL" }),
    getPrivateEndpoint: async () => ({ lifecycleState: "ACTIVE" }),
    getKey: async () => ({ lifecycleState: "ENABLED", currentKeyVersion: current, protectionMode: "EXTERNAL", externalKeyId: "oci-ekm-key" }),
    listKeyVersions: async () => versions,
    ...overrides,
  };
}

const EXPECT = { vaultId: "ocid1.vault.oc1.iad.abc", privateEndpointId: "ocid1.ekmsprivateendpoint.oc1.iad.abc", managementEndpoint: ENDPOINT, keys: [{ name: "oci-ekm-key", keyReferenceId: KEY_REF }] };
const OPTIONS = { ociUnavailableReason: "no OCI credentials", dsmUnavailableReason: "no DSM credentials" };
const v = (id: string, kid: string, extra: Partial<EkmOciKeyVersion> = {}): EkmOciKeyVersion => ({ id, lifecycleState: "ENABLED", externalKeyVersionId: kid, ...extra });

describe("verify: OCI's view of the vault and its key references", () => {
  it("passes when OCI's current version names DSM's current one and DSM holds every version", async () => {
    const checks = await runOciChecks(ociWith([v(V1, KID0), v(V2, KID1)], V2), EXPECT, { ...OPTIONS, dsm: dsmWith(KID1, [KID0]) });
    expect(checks.map((c) => [c.name, c.status, c.found])).toEqual([
      ["oci-vault", "passed", "ACTIVE, EXTERNAL"],
      ["oci-private-endpoint", "passed", "ACTIVE"],
      ["oci-key-reference", "passed", 'ENABLED, EXTERNAL, external key "oci-ekm-key"'],
      ["oci-key-version-current", "passed", `current version ${V2} names kid ${KID1}, DSM's current`],
      ["oci-key-versions-in-dsm", "passed", "2 versions, each found in DSM"],
    ]);
    expect(checks.slice(2).every((c) => c.subject === "oci-ekm-key")).toBe(true);
  });

  it("names the lag when DSM rotated and OCI did not follow, with the fix", async () => {
    const checks = await runOciChecks(ociWith([v(V1, KID0)], V1), EXPECT, { ...OPTIONS, dsm: dsmWith(KID1, [KID0]) });
    const lag = checks.find((c) => c.name === "oci-key-version-current")!;
    expect(lag.status).toBe("failed");
    expect(lag.found).toBe(`OCI still uses version ${KID0}, DSM's current is ${KID1}`);
    expect(lag.fix).toBe(
      "run pulumi refresh && pulumi up (the stack then creates a key reference version for DSM's current version), or run the rotation workflow",
    );
    expect(checks.find((c) => c.name === "oci-key-versions-in-dsm")!.status).toBe("passed");
  });

  it("fails a version whose DSM version is gone, and leaves versions pending deletion out", async () => {
    const gone = "00000000-0000-4000-8000-0000000000ff";
    const versions = [v(V1, gone), v(V2, KID1), v("ocid1.keyversion.oc1.iad.abc.v0", KID0, { lifecycleState: "PENDING_DELETION", timeOfDeletion: "2027-01-01T00:00:00Z" })];
    const checks = await runOciChecks(ociWith(versions, V2), EXPECT, { ...OPTIONS, dsm: dsmWith(KID1, []) });
    const held = checks.find((c) => c.name === "oci-key-versions-in-dsm")!;
    expect(held.status).toBe("failed");
    expect(held.found).toBe(`DSM holds no version for ${V1} (kid ${gone}); 1 more pending deletion or deleted`);
  });

  it("skips everything with the reason when there are no OCI credentials, and the version checks without DSM", async () => {
    expect(await runOciChecks(undefined, EXPECT, OPTIONS)).toEqual([
      { name: "oci-vault", status: "skipped", ok: false, expected: "the external vault, private endpoint and key references in OCI", found: "", why: "no OCI credentials" },
    ]);
    const noDsm = await runOciChecks(ociWith([v(V1, KID0)], V1), EXPECT, OPTIONS);
    expect(noDsm.map((c) => [c.name, c.status, c.why])).toEqual([
      ["oci-vault", "passed", undefined],
      ["oci-private-endpoint", "passed", undefined],
      ["oci-key-reference", "passed", undefined],
      ["oci-key-version-current", "skipped", "no DSM credentials"],
      ["oci-key-versions-in-dsm", "skipped", "no DSM credentials"],
    ]);
  });

  it("turns OCI's refusals into failed checks naming the status and what to fix", async () => {
    const refused = Object.assign(new Error("The required information to complete authentication was not provided or was incorrect."), {
      statusCode: 401,
      serviceCode: "NotAuthenticated",
    });
    const oci = ociWith([], V1, { getVault: async () => Promise.reject(refused), getKey: async () => Promise.reject(Object.assign(new Error("Authorization failed or requested resource not found."), { statusCode: 404, serviceCode: "NotAuthorizedOrNotFound" })) });
    const checks = await runOciChecks(oci, EXPECT, { ...OPTIONS, dsm: dsmWith(KID0, []) });
    expect(checks[0]).toMatchObject({
      name: "oci-vault",
      status: "failed",
      found: "HTTP 401 NotAuthenticated: The required information to complete authentication was not provided or was incorrect.",
    });
    expect(checks[0].fix).toContain("check the OCI config file (user, tenancy, fingerprint, key_file, region)");
    expect(checks.find((c) => c.name === "oci-key-reference")).toMatchObject({
      status: "failed",
      found: "HTTP 404 NotAuthorizedOrNotFound: Authorization failed or requested resource not found.",
    });
    expect(checks.filter((c) => c.name.startsWith("oci-key-version")).map((c) => [c.status, c.why])).toEqual([
      ["skipped", "no key reference"],
      ["skipped", "no key reference"],
    ]);
    expect(describeOciError(new Error("socket hang up"))).toBe("socket hang up");
    // What Oracle's SDK throws when no answer came (a refused certificate, say): a plain object, not an Error.
    expect(describeOciError({ code: undefined, message: "fetch failed", requestEndpoint: "https://kms.example/20180608/vaults/v" })).toBe("fetch failed (https://kms.example/20180608/vaults/v)");
    expect(describeOciError({ code: undefined })).toBe("an error without a message");
  });

  it("fails a key reference that is disabled or names another DSM key", async () => {
    const disabled = ociWith([v(V1, KID0)], V1, { getKey: async () => ({ lifecycleState: "DISABLED", currentKeyVersion: V1, protectionMode: "EXTERNAL", externalKeyId: "oci-ekm-key" }) });
    const [, , ref] = await runOciChecks(disabled, EXPECT, OPTIONS);
    expect(ref).toMatchObject({ status: "failed", found: 'DISABLED, EXTERNAL, external key "oci-ekm-key"' });
    const other = ociWith([v(V1, KID0)], V1, { getKey: async () => ({ lifecycleState: "ENABLED", currentKeyVersion: V1, protectionMode: "EXTERNAL", externalKeyId: "another-key" }) });
    const [, , wrong] = await runOciChecks(other, EXPECT, OPTIONS);
    expect(wrong).toMatchObject({ status: "failed", fix: "the key reference names another DSM key: check the stack's keyNames and keyReferenceIds outputs" });
  });
});
