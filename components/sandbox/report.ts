// What the sandbox shows and leaves behind: the closing summary and the --keep files.
import { mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ociConfigFileText } from "../emulators/oci-kms-config";
import { renderKeyManagerSummary } from "./budget";
import type { SandboxEndpoints, SandboxResult } from "./types";

/**
 * The closing summary: what was planned, created and served, every step and verify check counted
 * by outcome, OCI's budget for the key manager when it mattered, and the checks that failed or were
 * skipped, each with its fix or its reason.
 */
export function renderSandboxSummary(result: SandboxResult): string {
  const s = result.summary;
  const checks = result.verification?.checks ?? [];
  const counts = Object.entries(s.checks)
    .map(([status, n]) => `${n} ${status}`)
    .join(", ");
  const lines = [
    `Summary: ${result.ok ? "every step passed" : `FAILED at "${result.failedStep?.name}"`}`,
    `  resources planned      ${s.resourcesPlanned}`,
    `  DSM objects created    ${s.dsmObjectsCreated} (by Pulumi's dynamic-provider host, ${s.dsmHost.processes} process${s.dsmHost.processes === 1 ? "" : "es"}${s.dsmHost.sdkVersion ? `, @pulumi/pulumi ${s.dsmHost.sdkVersion}` : ""})`,
    `  requests served        Identity Domain ${s.requestsServed.identityDomain}, gateway ${s.requestsServed.gateway}, DSM ${s.requestsServed.dsm}, OCI Key Management ${s.requestsServed.ociKms}`,
    `  steps                  ${s.steps.passed} passed, ${s.steps.failed} failed, ${s.steps.skipped} skipped (${result.steps.length} steps)`,
    `  verify checks          ${counts} (${checks.length > 0 ? `${checks.length} checks` : "verify did not run"})`,
  ];
  if (result.failedStep) lines.push(`  failure                ${result.failedStep.detail}`);
  lines.push(...renderKeyManagerSummary(result));
  for (const check of checks) {
    const what = `${check.name}${check.subject ? ` (${check.subject})` : ""}`;
    if (check.status === "failed") {
      lines.push(`  ✗ ${what}: expected ${check.expected}, found ${check.found}`);
      if (check.fix) lines.push(`      fix: ${check.fix}`);
    } else if (check.status === "skipped") {
      lines.push(`  - ${what}: skipped, ${check.why ?? "no reason given"}`);
    }
  }
  return lines.join("\n");
}

/** The files `--keep` writes for `npm run verify`, the DSM provider and OCI's SDK or CLI. */
export interface SandboxKeepFiles {
  /** The sandbox CA (Identity Domain, DSM, OCI Key Management) and the gateway's CA (PEM): for `NODE_EXTRA_CA_CERTS`. */
  caFile: string;
  /** The stack outputs with secrets, vault URL as this machine reaches it, and `ociKmsEndpoint`. */
  outputsFile: string;
  /** `export DSM_ENDPOINT=… DSM_API_KEY=… DSM_CA_BUNDLE=…`. */
  envFile: string;
  /** An OCI config file (profile DEFAULT) naming the sandbox's throw-away API key. */
  ociConfigFile: string;
  /** The API key's private key (PEM), what `key_file` names. */
  ociKeyFile: string;
}

/** A new file of mode 0600 in `dir`. */
function newPrivateFile(dir: string, name: string, text: string): string {
  const p = path.join(dir, name);
  // Never rewrite what is there: an older file keeps its mode while being written, a symlink
  // would carry the secrets elsewhere. A new file is created with 0600 from the start.
  rmSync(p, { force: true });
  writeFileSync(p, text, { mode: 0o600, flag: "wx" });
  return p;
}

/**
 * Writes the running sandbox's CA, stack outputs, DSM environment and OCI config under `dir`
 * (created 0700, and `oci/` in it), each a new file of mode 0600: they hold the sandbox's client
 * secret, DSM API key and OCI API key.
 */
export function writeSandboxKeepFiles(dir: string, e: SandboxEndpoints): SandboxKeepFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = newPrivateFile(dir, "ca.pem", e.caPem + "\n" + e.gatewayCaBundlePem);
  const outputs = {
    ...e.stackOutputs,
    vaultUrl: e.localVaultUrl,
    ...(e.localReplicaVaultUrl ? { replicaVaultUrl: e.localReplicaVaultUrl } : {}),
    ociKmsEndpoint: e.ociKmsEndpoint,
  };
  const outputsFile = newPrivateFile(dir, "outputs.json", JSON.stringify(outputs, null, 2));
  const envFile = newPrivateFile(
    dir,
    "env.sh",
    [`export DSM_ENDPOINT='${e.dsmUrl}'`, `export DSM_API_KEY='${e.dsmApiKey}'`, `export DSM_CA_BUNDLE='${caFile}'`, ""].join("\n"),
  );
  const ociDir = path.join(dir, "oci");
  mkdirSync(ociDir, { recursive: true, mode: 0o700 });
  const k = e.ociApiKey;
  const ociKeyFile = newPrivateFile(ociDir, "oci_api_key.pem", k.privateKeyPem);
  const ociConfigFile = newPrivateFile(
    ociDir,
    "config",
    ociConfigFileText({ user: k.user, fingerprint: k.fingerprint, tenancy: k.tenancy, region: k.region, keyFile: path.resolve(ociKeyFile) }),
  );
  return { caFile, outputsFile, envFile, ociConfigFile, ociKeyFile };
}

/** Removes a folder when nothing else was put in it. */
function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // Already gone, or not ours to remove.
  }
}

/** Removes what {@link writeSandboxKeepFiles} wrote: once the servers are gone, the files point at nothing. */
export function removeSandboxKeepFiles(files: SandboxKeepFiles): void {
  for (const f of sandboxKeepFileList(files)) rmSync(f, { force: true });
  removeIfEmpty(path.dirname(files.ociConfigFile));
  removeIfEmpty(path.dirname(files.envFile));
}

/** Every file `--keep` wrote, in the order they are shown. */
export function sandboxKeepFileList(files: SandboxKeepFiles): string[] {
  return [files.envFile, files.outputsFile, files.caFile, files.ociConfigFile, files.ociKeyFile];
}
