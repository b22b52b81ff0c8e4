// verify after a key rotation: DSM rotates through POST /crypto/v1/keys/rekey (the old version is
// renamed "<name> (rotated at <time>)", a new kid takes the name) while the stack's outputs still
// hold the old kid. The key works, so nothing fails; verify says which kid is current and asks for
// `pulumi refresh`, and never advises renaming a rotated-away version back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dsmCreateSobject, dsmDeleteSobject, dsmRekeySobject } from "../components/dsm";
import { DsmClient, resetDsmSessions } from "../components/dsm/client";
import { DsmEmulator } from "../components/emulators/dsm";
import { IdentityDomainEmulator } from "../components/emulators/identity-domain";
import {
  dsmReaderFromClient,
  dsmRotatedAt,
  dsmTimestampIso,
  renderEkmVerificationReport,
  runEkmVerification,
  type EkmCheckResult,
  type EkmVerificationOptions,
  type EkmVerificationReport,
} from "../components/verify";
import { registerEkmApps } from "./verify-helpers";

const DSM_URL = "https://amer.smartkey.io";
const GATEWAY = "https://10.0.1.10/";
const FQS = GATEWAY + "oci_ekms";

// DSM's clock, pinned only while a rotation is made, so that its timestamps are known.
let pinned: number | undefined;
const idp = new IdentityDomainEmulator({ signingCertPublicAccess: true });
const dsm = new DsmEmulator({ publicUrl: DSM_URL, deletedSobjectVisibleMs: 0, now: () => pinned ?? Date.now() });
let client = { clientId: "", clientSecret: "" };
let dsmClient: DsmClient;
let groupId = "";

async function createKey(name: string): Promise<string> {
  const key = await dsmCreateSobject(dsmClient, {
    name,
    group_id: groupId,
    obj_type: "AES",
    key_size: 256,
    key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"],
    enabled: true,
  });
  return key.kid;
}

/** Rotates `name` as DSM's rotation policy or `pulumi up` with `rotate` does, at `iso`; returns the new kid. */
async function rotateAt(name: string, iso: string): Promise<string> {
  pinned = Date.parse(iso);
  try {
    return (await dsmRekeySobject(dsmClient, name)).kid;
  } finally {
    pinned = undefined;
  }
}

function options(keyName: string, keyId: string): EkmVerificationOptions {
  return {
    domainUrl: idp.url,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    scope: FQS,
    issuers: [idp.issuer],
    dsmUrl: DSM_URL,
    gatewayBaseUrl: GATEWAY,
    vaultUrl: dsm.ekmVaultUrl,
    keyNames: [keyName],
    keyIds: [keyId],
    dsm: dsmReaderFromClient(dsmClient),
  };
}

function byName(report: EkmVerificationReport): Record<string, EkmCheckResult> {
  return Object.fromEntries(report.checks.map((c) => [c.name, c]));
}

const REFRESH_FIX =
  "run pulumi refresh && pulumi up so the stack's outputs (dsmKeyIds) follow the new key version and OCI gets a key reference version for it (or run the rotation workflow); nothing to rename in DSM: " +
  "OCI's key reference finds the key by its name, and the rotated-away version still decrypts what it encrypted";

beforeAll(async () => {
  await idp.start();
  await dsm.start();
  resetDsmSessions();
  client = registerEkmApps(idp, GATEWAY, DSM_URL);
  dsmClient = new DsmClient({ endpoint: dsm.url, apiKey: dsm.createApiKey({ role: "admin" }) });
  groupId = dsm.seedGroup({ name: "oci-ekm" }).group_id;
  dsm.seedApp({
    name: client.clientId,
    default_group: groupId,
    add_groups: { [groupId]: ["ENCRYPT", "DECRYPT"] },
    credential: { signedjwt: { valid_issuers: [idp.issuer], signing_keys: { kind: "fetched", url: idp.jwksUri, cache_duration: 3600 } } },
  });
});

afterAll(async () => {
  await idp.stop();
  await dsm.stop();
});

describe("verify after a rotation", () => {
  it("reports the outputs' kid as rotated, names the current kid and since when, asks for pulumi refresh, and passes", async () => {
    const name = "oci-ekm-key";
    const outputsKid = await createKey(name);
    const currentKid = await rotateAt(name, "2025-01-02T03:04:05Z");
    const report = await runEkmVerification(options(name, outputsKid));

    expect(report).toMatchObject({ ok: true, failed: 0, skipped: 0, passed: 25, rotated: 1 });
    expect(report.checks.slice(18, 24).map((c) => [c.name, c.status])).toEqual([
      ["dsm-key-rotated", "passed"],
      ["dsm-key-enabled", "passed"],
      ["dsm-key-state", "passed"],
      ["dsm-key-shape", "passed"],
      ["dsm-key-ops", "passed"],
      ["dsm-app-permissions", "passed"],
    ]);
    const found =
      `rotated: the outputs' kid ${outputsKid} is a rotated-away version, now named "oci-ekm-key (rotated at 20250102T030405Z)"; ` +
      `the current version of "oci-ekm-key" is kid ${currentKid}, since 2025-01-02T03:04:05Z`;
    expect(byName(report)["dsm-key-rotated"]).toEqual({
      name: "dsm-key-rotated",
      subject: name,
      status: "passed",
      ok: true,
      expected: `a security object named "oci-ekm-key" with the kid the stack outputs (dsmKeyIds) ${outputsKid}`,
      found,
      fix: REFRESH_FIX,
      rotation: { previousKid: outputsKid, previousName: "oci-ekm-key (rotated at 20250102T030405Z)", currentKid, since: "2025-01-02T03:04:05Z" },
    });
    expect(byName(report)["ekm-key-metadata"]).toMatchObject({ status: "passed", found: `200 keyId ${name}, state ACTIVE, AES 256` });

    const lines = renderEkmVerificationReport(report).split("\n");
    expect(lines.slice(18, 20)).toEqual([`↻ dsm-key-rotated [oci-ekm-key]: ${found}`, `    fix: ${REFRESH_FIX}`]);
    expect(lines.at(-1)).toBe("OK: 25 passed (1 key rotated: run pulumi refresh && pulumi up), 0 failed, 0 skipped");
    expect(lines.filter((l) => l.includes("rename the security object") || l.includes("back to"))).toEqual([]);
  });

  it("with the current kid (after pulumi refresh) the key is plainly present", async () => {
    const name = "refreshed-key";
    await createKey(name);
    const currentKid = await rotateAt(name, "2025-01-02T03:04:05Z");
    const report = await runEkmVerification(options(name, currentKid));
    expect(report).toMatchObject({ ok: true, passed: 25, rotated: 0 });
    expect(byName(report)["dsm-key-exists"]).toMatchObject({ status: "passed", found: `kid ${currentKid}` });
    expect(byName(report)["dsm-key-exists"].fix).toBeUndefined();
    expect(renderEkmVerificationReport(report).split("\n").at(-1)).toBe("OK: 25 passed, 0 failed, 0 skipped");
  });

  it("counts the rotations when the outputs are several versions behind", async () => {
    const name = "twice-rotated";
    const outputsKid = await createKey(name);
    await rotateAt(name, "2025-01-02T03:04:05Z");
    const currentKid = await rotateAt(name, "2025-02-03T04:05:06Z");
    const report = await runEkmVerification(options(name, outputsKid));
    expect(report.ok).toBe(true);
    expect(byName(report)["dsm-key-rotated"].found).toBe(
      `rotated: the outputs' kid ${outputsKid} is a rotated-away version, now named "twice-rotated (rotated at 20250102T030405Z)"; ` +
        `the current version of "twice-rotated" is kid ${currentKid}, since 2025-02-03T04:05:06Z (2 rotations later)`,
    );
  });

  it("rotated, then the current version renamed: names the current version to rename, never the rotated-away one", async () => {
    const name = "renamed-after-rotation";
    const outputsKid = await createKey(name);
    const currentKid = await rotateAt(name, "2025-01-02T03:04:05Z");
    dsm.modifySobject(currentKid, { name: "renamed-after-rotation-v2" });
    const report = await runEkmVerification(options(name, outputsKid));
    expect(report.checks.filter((c) => c.status === "failed").map((c) => c.name)).toEqual(["dsm-key-renamed", "ekm-key-metadata"]);
    expect(byName(report)["dsm-key-renamed"]).toMatchObject({
      subject: name,
      found:
        `no object named "renamed-after-rotation"; the key ${outputsKid} was rotated (now "renamed-after-rotation (rotated at 20250102T030405Z)") ` +
        `and its current version ${currentKid} is named "renamed-after-rotation-v2"`,
      fix:
        `rename the security object "renamed-after-rotation-v2" (kid ${currentKid}, the current version) back to "renamed-after-rotation" in DSM, then run pulumi refresh; ` +
        `leave "renamed-after-rotation (rotated at 20250102T030405Z)" as it is: it is a rotated-away version`,
    });
  });

  it("rotated, then the current version deleted: says so, without advising to rename the rotated-away version", async () => {
    const name = "deleted-after-rotation";
    const outputsKid = await createKey(name);
    const currentKid = await rotateAt(name, "2025-01-02T03:04:05Z");
    await dsmDeleteSobject(dsmClient, currentKid);
    const report = await runEkmVerification(options(name, outputsKid));
    expect(report.checks.filter((c) => c.status === "failed").map((c) => c.name)).toEqual(["dsm-key-exists", "ekm-key-metadata"]);
    expect(byName(report)["dsm-key-exists"]).toMatchObject({
      found:
        `no security object with that name; the key ${outputsKid} was rotated (now "deleted-after-rotation (rotated at 20250102T030405Z)") ` +
        `and its current version ${currentKid} is not in DSM`,
      fix:
        `the current version of "deleted-after-rotation" was deleted (or these DSM credentials cannot see it): restore it, or create an AES-256 security object named "deleted-after-rotation" ` +
        `(run pulumi refresh, then pulumi up); do not rename "deleted-after-rotation (rotated at 20250102T030405Z)" back: it is a rotated-away version`,
    });
  });

  it("a key renamed by someone (no successor) is still reported as renamed, with the rename back", async () => {
    const name = "renamed-by-someone";
    const kid = await createKey(name);
    dsm.modifySobject(kid, { name: "renamed-by-someone-v2" });
    const report = await runEkmVerification(options(name, kid));
    expect(byName(report)["dsm-key-renamed"]).toMatchObject({
      status: "failed",
      found: `no object named "renamed-by-someone"; the key ${kid} is now named "renamed-by-someone-v2"`,
      fix: `rename the security object "renamed-by-someone-v2" back to "renamed-by-someone" in DSM: the key reference's external key ID is the name, and renaming breaks every encrypt and decrypt`,
    });
  });
});

describe("rotation helpers", () => {
  it("reads the rotation time from a rotated-away name of the same key only", () => {
    expect(dsmRotatedAt("k", "k (rotated at 20250102T030405Z)")).toBe("20250102T030405Z");
    expect(dsmRotatedAt("k", "k (rotated at 20250102T030405Z) #2")).toBe("20250102T030405Z");
    expect(dsmRotatedAt("k", "other (rotated at 20250102T030405Z)")).toBeUndefined();
    expect(dsmRotatedAt("k", "k-v2")).toBeUndefined();
  });

  it("shows DSM's compact timestamps as ISO 8601 and leaves anything else as it is", () => {
    expect(dsmTimestampIso("20250102T030405Z")).toBe("2025-01-02T03:04:05Z");
    expect(dsmTimestampIso("2025-01-02")).toBe("2025-01-02");
  });
});
