// The local main job: the whole topology on this machine (see run.ts).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SANDBOX_BREAKS, type SandboxBreak, type SandboxEndpoints, type SandboxResult } from "./run";

export * from "./run";
export {
  OciVaultClient,
  OciVaultCallError,
  type OciVaultView,
  type SandboxNetwork,
  type EkmCiphertext,
  type EkmVaultMetadata,
  type EkmKeyMetadata,
  type EkmKeyVersionMetadata,
} from "./oci-vault";

/** Command-line options of `npm run sandbox`. */
export interface SandboxArgs {
  keep: boolean;
  break?: SandboxBreak;
  gatewayTokenValidation?: "remoteJwks" | "staticKeys";
  gatewayRoute?: "all" | "ekmOnly";
}

/**
 * Parses `--keep`, `--break <kind>`, `--gateway-token-validation <source>` and `--gateway-route
 * <all|ekmOnly>`; an unknown argument is an error naming it.
 */
export function parseSandboxArgs(argv: string[]): SandboxArgs | { error: string } {
  const args: SandboxArgs = { keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--keep") args.keep = true;
    else if (a === "--break" || a.startsWith("--break=")) {
      const value = a === "--break" ? argv[++i] : a.slice("--break=".length);
      if (!SANDBOX_BREAKS.includes(value as SandboxBreak)) {
        return { error: `--break: "${value ?? ""}" is not one of ${SANDBOX_BREAKS.join(", ")}` };
      }
      args.break = value as SandboxBreak;
    } else if (a === "--gateway-token-validation" || a.startsWith("--gateway-token-validation=")) {
      const value = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (value !== "remoteJwks" && value !== "staticKeys") {
        return { error: `--gateway-token-validation: "${value ?? ""}" is not one of remoteJwks, staticKeys` };
      }
      args.gatewayTokenValidation = value;
    } else if (a === "--gateway-route" || a.startsWith("--gateway-route=")) {
      const value = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (value !== "all" && value !== "ekmOnly") return { error: `--gateway-route: "${value ?? ""}" is not one of all, ekmOnly` };
      args.gatewayRoute = value;
    } else return { error: `unknown argument "${a}"` };
  }
  return args;
}

/** The closing summary: what was planned, created and served, and what verify found. */
export function renderSandboxSummary(result: SandboxResult): string {
  const s = result.summary;
  const lines = [
    `Summary: ${result.ok ? "every step passed" : `FAILED at "${result.failedStep?.name}"`}`,
    `  resources planned      ${s.resourcesPlanned}`,
    `  DSM objects created    ${s.dsmObjectsCreated} (by Pulumi's dynamic-provider host, ${s.dsmHost.processes} process${s.dsmHost.processes === 1 ? "" : "es"}${s.dsmHost.sdkVersion ? `, @pulumi/pulumi ${s.dsmHost.sdkVersion}` : ""})`,
    `  requests served        Identity Domain ${s.requestsServed.identityDomain}, gateway ${s.requestsServed.gateway}, DSM ${s.requestsServed.dsm}`,
    `  verify checks passed   ${s.checksPassed} of ${s.checksRun}`,
  ];
  if (result.failedStep) lines.push(`  failure                ${result.failedStep.detail}`);
  for (const check of result.verification?.checks ?? []) {
    if (check.status !== "failed") continue;
    lines.push(`  ✗ ${check.name}${check.subject ? ` (${check.subject})` : ""}: expected ${check.expected}, found ${check.found}`);
    if (check.fix) lines.push(`      fix: ${check.fix}`);
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
