// What the sandbox shows and leaves behind: the closing summary and the --keep files.
import { mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SandboxEndpoints, SandboxResult } from "./run";

/**
 * The closing summary: what was planned, created and served, every step and verify check counted
 * by outcome, and the checks that failed or were skipped, each with its fix or its reason.
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
    `  requests served        Identity Domain ${s.requestsServed.identityDomain}, gateway ${s.requestsServed.gateway}, DSM ${s.requestsServed.dsm}`,
    `  steps                  ${s.steps.passed} passed, ${s.steps.failed} failed, ${s.steps.skipped} skipped (${result.steps.length} steps)`,
    `  verify checks          ${counts} (${checks.length > 0 ? `${checks.length} checks` : "verify did not run"})`,
  ];
  if (result.failedStep) lines.push(`  failure                ${result.failedStep.detail}`);
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

/** The files `--keep` writes for `npm run verify` and the DSM provider. */
export interface SandboxKeepFiles {
  /** The sandbox CA and the gateway's CA (PEM). */
  caFile: string;
  /** The stack outputs with secrets, vault URL as this machine reaches it. */
  outputsFile: string;
  /** `export DSM_ENDPOINT=… DSM_API_KEY=… DSM_CA_BUNDLE=…`. */
  envFile: string;
}

/**
 * Writes the running sandbox's CA, stack outputs and DSM environment under `dir` (created 0700),
 * each a new file of mode 0600: they hold the sandbox's client secret and DSM API key.
 */
export function writeSandboxKeepFiles(dir: string, e: SandboxEndpoints): SandboxKeepFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string, text: string): string => {
    const p = path.join(dir, name);
    // Never rewrite what is there: an older file keeps its mode while being written, a symlink
    // would carry the secrets elsewhere. A new file is created with 0600 from the start.
    rmSync(p, { force: true });
    writeFileSync(p, text, { mode: 0o600, flag: "wx" });
    return p;
  };
  const caFile = file("ca.pem", e.caPem + "\n" + e.gatewayCaBundlePem);
  const outputsFile = file("outputs.json", JSON.stringify({ ...e.stackOutputs, vaultUrl: e.localVaultUrl }, null, 2));
  const envFile = file(
    "env.sh",
    [`export DSM_ENDPOINT='${e.dsmUrl}'`, `export DSM_API_KEY='${e.dsmApiKey}'`, `export DSM_CA_BUNDLE='${caFile}'`, ""].join("\n"),
  );
  return { caFile, outputsFile, envFile };
}

/** Removes what {@link writeSandboxKeepFiles} wrote: once the servers are gone, the files point at nothing. */
export function removeSandboxKeepFiles(files: SandboxKeepFiles): void {
  for (const f of [files.envFile, files.outputsFile, files.caFile]) rmSync(f, { force: true });
  // The folder too, when nothing else was put in it.
  const dir = path.dirname(files.envFile);
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // Already gone, or not ours to remove.
  }
}
