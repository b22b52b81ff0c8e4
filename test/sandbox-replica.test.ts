// The sandbox with a second region: the vault replicated to eu-amsterdam-1, OCI Vault there getting
// its own token (the second scope of the same client app) and decrypting, through its own private
// endpoint and gateway, what the source region encrypted under the same key reference OCID; and
// `--break replica-audience`, which fails where OCI would, with verify naming the link.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { recycledRsaKeys } from "../components/emulators/tls";
import { parseSandboxArgs, runSandbox, type SandboxResult } from "../components/sandbox";
import { REPLICA_DECRYPT_STEP, SANDBOX_REPLICA_REGION, replicaVaultUrl, sandboxReplicaRegionFor } from "../components/sandbox/replica";
import { sandboxStackConfig } from "../components/sandbox/stack";
import { runEkmStack } from "../infra/stack";
import { SANDBOX_UP_STEP as UP, sandboxCommandOutput } from "./sandbox-helpers";

const rsaKeys = recycledRsaKeys();
const sandbox = (options: { replica?: boolean; break?: "replica-audience" }): Promise<SandboxResult> =>
  runSandbox({ program: () => runEkmStack(), rsaKeys, ...options });

describe("npm run sandbox -- --replica", { timeout: 120_000 }, () => {
  it("passes end to end in both regions: the replica decrypts the source's ciphertexts through its own chain, and verify walks it", async () => {
    const r = await sandbox({ replica: true });
    expect(r.steps.filter((s) => s.status !== "passed").map((s) => `${s.name}: ${s.detail}`)).toEqual([]);
    const replicaStep = r.steps.find((s) => s.name === REPLICA_DECRYPT_STEP);
    expect(replicaStep?.detail).toMatch(/^eu-amsterdam-1: key ocid1\.key\.oc1\.eu-frankfurt-1\.[a-z0-9]+, 2 ciphertexts, 2 calls through the replica's gateway 10\.1\.1\.10$/);
    const replicaChecks = r.verification?.checks.filter((c) => c.name.startsWith("replica-")).map((c) => [c.name, c.subject, c.status]);
    expect(replicaChecks).toEqual([
      ["replica-token", "eu-amsterdam-1", "passed"],
      ["replica-token-audience", "eu-amsterdam-1", "passed"],
      ["replica-ekm-key-metadata", "eu-amsterdam-1: oci-ekm-key", "passed"],
    ]);
    expect(r.summary.checks).toEqual({ passed: 33, failed: 0, skipped: 0 });
    // OCI's calls to the key manager from both regions, each within the budget.
    expect(r.keyManager.calls.filter((c) => c.call === "Decrypt")).toHaveLength(4);
    expect(r.keyManager.calls.filter((c) => c.attempts.length !== 1)).toEqual([]);
  }, 180_000);

  it("--break replica-audience: the replica's resource app keeps the source's audience; OCI refuses the replication for want of a token, and verify names the replica's token", async () => {
    const r = await sandbox({ break: "replica-audience" });
    expect(r.ok).toBe(false);
    expect(r.failedStep?.name).toBe(UP);
    expect(r.failedStep?.detail).toContain(
      "oci-ekm-ekm-replication: OCI refused CreateVaultReplica: token endpoint answered 400 invalid_scope: Invalid scope: no active resource app defines https://10.1.1.10/oci_ekms.",
    );
    const failed = r.verification?.checks.filter((c) => c.status === "failed");
    expect(failed?.map((c) => [c.name, c.subject])).toEqual([["replica-token", "eu-amsterdam-1"]]);
    expect(failed?.[0].fix).toContain("a second resource app whose primary audience is https://10.1.1.10/ (the replica gateway's IP, not the source's)");
    // What depends on that token is reported as skipped, not left out.
    expect(r.verification?.checks.filter((c) => c.name.startsWith("replica-")).map((c) => [c.name, c.status])).toEqual([
      ["replica-token", "failed"],
      ["replica-token-audience", "skipped"],
      ["replica-ekm-key-metadata", "skipped"],
    ]);
  }, 180_000);
});

describe("npm run sandbox -- --stack NAME, for a stack with replicaRegion", { timeout: 120_000 }, () => {
  it("does the same in the stack's own replica region", async () => {
    const root = path.resolve(__dirname, "..");
    const dir = mkdtempSync(path.join(tmpdir(), "sandbox-replica-stack-"));
    copyFileSync(path.join(root, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    writeFileSync(path.join(dir, "Pulumi.dr.yaml"), readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8") + "  oci:region: ap-tokyo-1\n  oci-ekm:replicaRegion: ap-osaka-1\n");
    const { code, text } = await sandboxCommandOutput(["--stack", "dr"], dir, rsaKeys);
    expect(code).toBe(0);
    expect(text).toMatch(/✓ +[0-9.]+s  OCI Vault in the replica region decrypts both ciphertexts[^\n]*\n +ap-osaka-1: key ocid1\.key\./);
    expect(text).toContain("  verify checks          33 passed, 0 failed, 0 skipped (33 checks)");
  }, 180_000);
});

describe("the replica's parts of the sandbox", () => {
  it("--replica on the command line; replica-audience is one of the breaks", () => {
    expect(parseSandboxArgs(["--replica"])).toEqual({ help: false, keep: false, replica: true });
    expect(parseSandboxArgs(["--break", "replica-audience"])).toEqual({ help: false, keep: false, break: "replica-audience" });
  });

  it("a user's stack without replicaRegion gets the sandbox's with --replica, said as an overlay; one with its own keeps it", () => {
    const emulators = { identityDomainUrl: "https://127.0.0.1:1001", dsmUrl: "https://127.0.0.1:1002", staticKeys: [] };
    const base = { name: "dr", file: "Pulumi.dr.yaml", project: "oci-ekm", config: { "oci-ekm:compartmentId": "ocid1.compartment.oc1..aaaa" }, secretKeys: [] };
    const added = sandboxStackConfig(base, emulators, { replicaRegion: SANDBOX_REPLICA_REGION });
    expect(added.config["oci-ekm:replicaRegion"]).toBe("eu-amsterdam-1");
    expect(added.overlaid).toContainEqual({ key: "oci-ekm:replicaRegion", from: "(not set)", to: "eu-amsterdam-1 (--replica)" });
    const own = sandboxStackConfig({ ...base, config: { ...base.config, "oci-ekm:replicaRegion": "ap-osaka-1" } }, emulators, { replicaRegion: SANDBOX_REPLICA_REGION });
    expect(own.config["oci-ekm:replicaRegion"]).toBe("ap-osaka-1");
    expect(own.overlaid.map((o) => o.key)).not.toContain("oci-ekm:replicaRegion");
  });

  it("picks a replica region apart from the stack's own, in its realm", () => {
    expect([undefined, "eu-frankfurt-1", "eu-amsterdam-1", "us-gov-ashburn-1", "uk-gov-cardiff-1"].map(sandboxReplicaRegionFor)).toEqual([
      "eu-amsterdam-1", "eu-amsterdam-1", "eu-paris-1", "us-gov-chicago-1", "uk-gov-london-1",
    ]);
  });

  it("the replica calls the source's vault URL path at its own private endpoint (or its own gateway, when the source names its gateway)", () => {
    const src = "https://10.0.1.20/oci/ekm/v1/vaults/5f2b7e0c-1234-4c8e-9a6d-0123456789ab";
    expect(replicaVaultUrl(src, { privateEndpointIp: "10.0.1.20" }, { privateEndpointIp: "10.1.1.20", gatewayIp: "10.1.1.10" })).toBe(
      "https://10.1.1.20/oci/ekm/v1/vaults/5f2b7e0c-1234-4c8e-9a6d-0123456789ab",
    );
    expect(replicaVaultUrl(src.replace("10.0.1.20", "10.0.1.10"), { privateEndpointIp: "10.0.1.20" }, { privateEndpointIp: "10.1.1.20", gatewayIp: "10.1.1.10" })).toBe(
      "https://10.1.1.10/oci/ekm/v1/vaults/5f2b7e0c-1234-4c8e-9a6d-0123456789ab",
    );
  });
});
