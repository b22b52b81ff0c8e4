// verify's OCI reader on Oracle's own SDK, signing with a config file, against the emulated OCI Key
// Management service: it reads what OCI holds, and the checks name a rotation OCI has not followed
// until a key reference version is created for it.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { OciKmsEmulator, ociSdkTrustingCa, writeOciApiKeyConfig, type OciSdkTrust } from "../components/emulators";
import type { EkmDsmKey, EkmDsmReader } from "../components/verify/dsm-checks";
import { runOciChecks } from "../components/verify/oci-checks";
import { ekmOciConfigPath, ekmOciReaderFromConfigFile, type EkmOciAccess } from "../components/verify/oci-sdk";
import { FakeKeyManager } from "./oci-kms-fake-key-manager";

const TENANCY = "ocid1.tenancy.oc1..aaaaaaaatenancy";
const USER = "ocid1.user.oc1..aaaaaaaauser";
const COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaacompartment";
const KEY = "team-key";

describe("ekmOciConfigPath", () => {
  it("looks where Oracle's SDK looks: ~/.oci/config, then OCI_CONFIG_FILE, then ~/.oraclebmc/config", () => {
    const has = (...files: string[]) => (p: string) => files.includes(p);
    expect(ekmOciConfigPath({}, "/given", "/home/u", has())).toBe("/given");
    expect(ekmOciConfigPath({ OCI_CONFIG_FILE: "/env" }, undefined, "/home/u", has("/home/u/.oci/config", "/env"))).toBe("/home/u/.oci/config");
    expect(ekmOciConfigPath({ OCI_CONFIG_FILE: "/env" }, undefined, "/home/u", has("/env", "/home/u/.oraclebmc/config"))).toBe("/env");
    expect(ekmOciConfigPath({}, undefined, "/home/u", has("/home/u/.oraclebmc/config"))).toBe("/home/u/.oraclebmc/config");
    expect(ekmOciConfigPath({ OCI_CONFIG_FILE: "/missing" }, undefined, "/home/u", has())).toBeUndefined();
  });
});

describe("verify's OCI reader, through Oracle's SDK, against the emulated OCI", () => {
  const emulator = new OciKmsEmulator({ region: "us-ashburn-1" });
  const km = new FakeKeyManager(KEY);
  const first = km.current;
  const dir = mkdtempSync(path.join(os.tmpdir(), "verify-oci-sdk-"));
  let trust: OciSdkTrust;
  let access: EkmOciAccess;
  let expectations: Parameters<typeof runOciChecks>[1];
  const dsm: EkmDsmReader = {
    findAppByName: async () => undefined,
    findKeyByName: async (name) => (name === KEY ? ({ kid: km.current, name: KEY, group_id: "g", obj_type: "AES" } satisfies EkmDsmKey) : undefined),
    // DSM keeps every version the fake key manager made.
    getKey: async (kid) => ({ kid, name: KEY, group_id: "g", obj_type: "AES" }),
    listKeysInGroup: async () => [],
  };

  beforeAll(async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await emulator.start();
    const files = writeOciApiKeyConfig(dir, { tenancy: TENANCY, user: USER, region: "us-ashburn-1" });
    emulator.registerApiKey(TENANCY, USER, files.key.publicKeyPem);
    trust = ociSdkTrustingCa(emulator.caCertPem);
    const pe = emulator.createEkmsPrivateEndpoint({ compartmentId: COMPARTMENT, subnetId: "ocid1.subnet.oc1..s", displayName: "pe", externalKeyManagerIp: "10.0.1.10", caBundle: emulator.caCertPem });
    const vault = await emulator.createVault(
      {
        compartmentId: COMPARTMENT,
        displayName: "vault",
        vaultType: "EXTERNAL",
        externalKeyManagerMetadata: {
          externalVaultEndpointUrl: "https://10.0.1.20/oci/ekm/v1/vaults/acct",
          privateEndpointId: pe.id,
          oauthMetadata: { idcsAccountNameUrl: "https://idcs-1.identity.oraclecloud.com", clientAppId: "c", clientAppSecret: "s" },
        },
      },
      km,
    );
    const key = await emulator.createKey(vault.managementEndpoint, {
      compartmentId: COMPARTMENT,
      displayName: KEY,
      keyShape: { algorithm: "AES", length: 32 },
      protectionMode: "EXTERNAL",
      externalKeyReference: { externalKeyId: KEY },
    });
    access = await ekmOciReaderFromConfigFile({ configFile: files.configFile, kmsEndpoint: emulator.url, clientConfiguration: trust.clientConfiguration });
    expectations = { vaultId: vault.id, privateEndpointId: pe.id, managementEndpoint: vault.managementEndpoint, keys: [{ name: KEY, keyReferenceId: key.id }] };
  });

  afterAll(async () => {
    access?.close();
    await trust?.close();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
    vi.restoreAllMocks();
  });

  it("reads the vault, the private endpoint and the key reference; the first version is OCI's own", async () => {
    const checks = await runOciChecks(access.reader, expectations, { ociUnavailableReason: "", dsm, dsmUnavailableReason: "" });
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ["oci-vault", "passed"],
      ["oci-private-endpoint", "passed"],
      ["oci-key-reference", "passed"],
      ["oci-key-version-current", "passed"],
      ["oci-key-versions-in-dsm", "passed"],
    ]);
    expect(checks[0].found).toBe("ACTIVE, EXTERNAL");
    expect(checks[3].found).toMatch(new RegExp(`^current version ocid1\\.keyversion\\.oc1\\.us-ashburn-1\\.\\S+ names kid ${first}, DSM's current$`));
    expect(checks[4].found).toBe("1 version, each found in DSM");
  });

  it("names the lag after a DSM rotation, and passes once the key reference version is created", async () => {
    const rotated = km.rotate();
    const lagging = await runOciChecks(access.reader, expectations, { ociUnavailableReason: "", dsm, dsmUnavailableReason: "" });
    expect(lagging.find((c) => c.name === "oci-key-version-current")).toMatchObject({
      status: "failed",
      found: `OCI still uses version ${first}, DSM's current is ${rotated}`,
    });
    await emulator.createKeyVersion(expectations.managementEndpoint!, expectations.keys[0].keyReferenceId!, { externalKeyVersionId: rotated });
    const followed = await runOciChecks(access.reader, expectations, { ociUnavailableReason: "", dsm, dsmUnavailableReason: "" });
    expect(followed.filter((c) => c.status !== "passed")).toEqual([]);
    expect(followed.find((c) => c.name === "oci-key-versions-in-dsm")!.found).toBe("2 versions, each found in DSM");
    const versions = await access.reader.listKeyVersions(expectations.managementEndpoint!, expectations.keys[0].keyReferenceId!);
    // OCI lists the newest first by default (sortOrder DESC).
    expect(versions.map((v) => [v.externalKeyVersionId, v.lifecycleState, v.timeOfDeletion])).toEqual([
      [rotated, "ENABLED", undefined],
      [first, "ENABLED", undefined],
    ]);
  });

  it("a request signed with a key OCI does not know fails the vault check with OCI's refusal", async () => {
    const stranger = writeOciApiKeyConfig(path.join(dir, "stranger"), { tenancy: TENANCY, user: "ocid1.user.oc1..aaaaaaaastranger", region: "us-ashburn-1" });
    const other = await ekmOciReaderFromConfigFile({ configFile: stranger.configFile, kmsEndpoint: emulator.url, clientConfiguration: trust.clientConfiguration });
    try {
      const [vault] = await runOciChecks(other.reader, { vaultId: expectations.vaultId, keys: [] }, { ociUnavailableReason: "", dsmUnavailableReason: "" });
      expect(vault).toMatchObject({
        name: "oci-vault",
        status: "failed",
        found: "HTTP 401 NotAuthenticated: The required information to complete authentication was not provided or was incorrect.",
      });
    } finally {
      other.close();
    }
  });
});
