// `npm run sandbox`: the command behind scripts/sandbox.ts, here so that tests reach it. Arguments
// and the stack file are checked before any server starts; the exit code says how the run went.
import path from "node:path";
import { CliUsageError, parseCliArgs, type CliOption } from "../cli";
import { SANDBOX_MAX_DSM_LATENCY_MS, dsmLatencyProblem } from "./budget";
import { renderSandboxSummary, removeSandboxKeepFiles, sandboxKeepFileList, writeSandboxKeepFiles } from "./report";
import type { SandboxKeepFiles } from "./report";
import { runSandbox } from "./run";
import { SANDBOX_BREAKS, type SandboxBreak, type SandboxEndpoints, type SandboxEvent, type SandboxOptions } from "./types";
import { readSandboxStack, renderSandboxOverlays } from "./stack";

export const SANDBOX_USAGE = `Usage: npm run sandbox -- [--stack NAME] [--keep] [--replica]
                          [--break ${SANDBOX_BREAKS.join("|")}]
                          [--gateway-token-validation remoteJwks|staticKeys] [--gateway-route all|ekmOnly]
                          [--dsm-latency MS]

Stands the whole topology up on this machine against emulated services (Identity Domain, API
gateway, private endpoint, DSM, OCI Key Management), uses it as OCI Vault does, rotates a key as
Oracle describes (DSM, then a key reference version) and runs verify.

  --stack NAME                       run Pulumi.NAME.yaml instead of the built-in config; where it
                                     points at real services (Identity Domain, DSM, their credentials)
                                     the emulators' values are used, and each one is printed
  --keep                             keep the servers running after the last step, for npm run verify,
                                     the DSM provider and OCI's SDK: writes .sandbox/ca.pem,
                                     outputs.json, env.sh and oci/config (with a throw-away API key)
  --replica                          replicate the vault to a second region (eu-amsterdam-1; unless the
                                     stack sets replicaRegion; eu-paris-1 for a stack in Amsterdam,
                                     another region of its realm for a government or sovereign one):
                                     its own gateway and private endpoint, and OCI Vault there
                                     decrypts what the source region encrypted
  --break KIND                       inject one misconfiguration and show where it fails
                                     (replica-audience implies --replica)
  --gateway-token-validation SOURCE  have the gateway validate tokens too (over the stack's setting)
  --gateway-route ROUTE              what the gateway forwards (over the stack's setting)
  --dsm-latency MS                   DSM answers OCI's Encrypt and Decrypt MS milliseconds late (a
                                     whole number, 0 to ${SANDBOX_MAX_DSM_LATENCY_MS}); OCI gives the key manager 1000 ms to
                                     answer and retries once, so above 1000 Encrypt fails with OCI's
                                     timeout and the summary says where each attempt's time went
  -h, --help                         this text

Ctrl-C (SIGINT) or kill <pid> (SIGTERM) stops it cleanly: every server is closed and the .sandbox
files are removed. Exit code: 0 every step passed, 1 a step failed, 2 a usage error (nothing was
started); stopped by a signal before its last step, 130 (SIGINT) or 143 (SIGTERM); a --keep sandbox
stopped by either signal exits with its run's code, 0 or 1.`;

export const SANDBOX_OPTIONS: Readonly<Record<string, CliOption>> = {
  stack: { value: true },
  keep: {},
  replica: {},
  break: { value: true, choices: SANDBOX_BREAKS },
  "gateway-token-validation": { value: true, choices: ["remoteJwks", "staticKeys"] },
  "gateway-route": { value: true, choices: ["all", "ekmOnly"] },
  "dsm-latency": { value: true },
};

/** Command-line options of `npm run sandbox`. */
export interface SandboxArgs {
  keep: boolean;
  /** The stack whose `Pulumi.<stack>.yaml` runs. Default: the built-in config. */
  stack?: string;
  break?: SandboxBreak;
  /** A replica of the vault in a second region. */
  replica?: boolean;
  gatewayTokenValidation?: "remoteJwks" | "staticKeys";
  gatewayRoute?: "all" | "ekmOnly";
  /** `--dsm-latency`: DSM's delay on Encrypt and Decrypt, milliseconds. */
  dsmLatencyMs?: number;
}

/** `--dsm-latency MS`: digits only (no sign, fraction or unit), in range. */
function dsmLatencyArg(given: string): number {
  const ms = /^\d+$/.test(given) ? Number(given) : Number.NaN;
  if (Number.isNaN(ms) || dsmLatencyProblem(ms)) {
    throw new CliUsageError(`--dsm-latency: "${given}" is not a whole number of milliseconds from 0 to ${SANDBOX_MAX_DSM_LATENCY_MS}`);
  }
  return ms;
}

/** Reads the arguments; a mistake throws `CliUsageError` naming it (see components/cli.ts). */
export function parseSandboxArgs(argv: readonly string[]): { help: true } | ({ help: false } & SandboxArgs) {
  const parsed = parseCliArgs(argv, SANDBOX_OPTIONS);
  if (parsed.help) return { help: true };
  const v = parsed.values;
  const text = (name: string): string | undefined => (typeof v[name] === "string" ? (v[name] as string) : undefined);
  const args: { help: false } & SandboxArgs = { help: false, keep: v.keep === true };
  if (text("stack") !== undefined) args.stack = text("stack");
  if (text("break") !== undefined) args.break = text("break") as SandboxBreak;
  if (v.replica === true) args.replica = true;
  if (text("gateway-token-validation") !== undefined) args.gatewayTokenValidation = text("gateway-token-validation") as "remoteJwks" | "staticKeys";
  if (text("gateway-route") !== undefined) args.gatewayRoute = text("gateway-route") as "all" | "ekmOnly";
  if (text("dsm-latency") !== undefined) args.dsmLatencyMs = dsmLatencyArg(text("dsm-latency")!);
  return args;
}

/** What the command needs from its process. */
export interface SandboxCommandIo {
  /** The project folder: `Pulumi.<stack>.yaml` is read and `.sandbox/` written there. */
  projectDir: string;
  /** The stack program (`runEkmStack`). */
  program: SandboxOptions["program"];
  /** Where the program's @pulumi/pulumi is, for the dynamic-provider host. Default: the current directory. */
  programDir?: string;
  /** Standard output. */
  write: (text: string) => void;
  /** Standard output is a terminal: show a spinner while a step runs. */
  tty: boolean;
  /** This process's id, printed with --keep. */
  pid: number;
  /** Resolves with the signal that asked the sandbox to stop. */
  stopRequested: Promise<"SIGINT" | "SIGTERM">;
  /** Filled with the secrets the run makes (client secret, DSM API key), for the caller to redact from errors. */
  secrets: string[];
  /** Where the run's RSA keys come from. Default: new keys. */
  rsaKeys?: SandboxOptions["rsaKeys"];
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

function progress(io: SandboxCommandIo): (event: SandboxEvent) => void {
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let timer: NodeJS.Timeout | undefined;
  return (event) => {
    if (event.kind === "overlaid") {
      if (event.overlaid.length > 0) io.write(renderSandboxOverlays(event.overlaid) + "\n");
      return;
    }
    if (event.kind === "start") {
      if (!io.tty) return;
      let i = 0;
      const started = Date.now();
      timer = setInterval(() => {
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        io.write(`\r${frames[i++ % frames.length]} ${event.step} (${secs}s)\x1b[K`);
      }, 80);
      return;
    }
    if (timer) clearInterval(timer);
    timer = undefined;
    const { step } = event;
    const mark = step.status === "passed" ? "✓" : step.status === "failed" ? "✗" : "-";
    const time = step.status === "skipped" ? "" : ` ${(step.ms / 1000).toFixed(2)}s`;
    io.write(`${io.tty ? "\r\x1b[K" : ""}${mark}${time.padStart(7)}  ${step.name}\n           ${step.detail}\n`);
  };
}

/** What a kept sandbox prints: where everything runs, and how to point verify, the DSM provider and OCI's SDK at it. */
function keptMessage(e: SandboxEndpoints, files: SandboxKeepFiles, rel: (f: string) => string, pid: number): string {
  const vaultId = typeof e.stackOutputs.vaultId === "string" ? e.stackOutputs.vaultId : "";
  return [
    "",
    "The sandbox keeps running:",
    `  Identity Domain     ${e.identityDomainUrl}`,
    `  DSM                 ${e.dsmUrl}`,
    `  API gateway         ${e.gatewayUrl}  (certificate for ${e.gatewayHostname})`,
    `  external vault      ${e.localVaultUrl}  (through the private endpoint)`,
    `  OCI Key Management  ${e.ociKmsEndpoint}  (vault ${vaultId})`,
    "",
    "Point the DSM provider and verify at it:",
    `  source ${rel(files.envFile)}`,
    `  npm run verify -- --outputs ${rel(files.outputsFile)} --ca-bundle ${rel(files.caFile)} --oci-config ${rel(files.ociConfigFile)}`,
    "",
    "Call OCI's Key Management API with Oracle's SDK (KmsCryptoClient, KmsManagementClient), as an application does:",
    `  OCI config file      ${rel(files.ociConfigFile)}  (profile DEFAULT, a throw-away API key the sandbox accepts)`,
    `  endpoints            cryptoEndpoint, managementEndpoint and keyReferenceIds in ${rel(files.outputsFile)}`,
    `  trust the sandbox CA NODE_EXTRA_CA_CERTS=${rel(files.caFile)} (set when the process starts)`,
    "",
    `sandbox running as PID ${pid}; stop it with kill ${pid} or Ctrl-C`,
    "",
  ].join("\n");
}

/** Runs `npm run sandbox` with `argv`; resolves with the exit code. Usage errors throw `CliUsageError`. */
export async function sandboxCommand(argv: readonly string[], io: SandboxCommandIo): Promise<number> {
  const args = parseSandboxArgs(argv);
  if (args.help) {
    io.write(SANDBOX_USAGE + "\n");
    return 0;
  }
  const stack = args.stack === undefined ? undefined : readSandboxStack(io.projectDir, args.stack);

  let stoppedBy: "SIGINT" | "SIGTERM" | undefined;
  const controller = new AbortController();
  void io.stopRequested.then((signal) => {
    stoppedBy ??= signal;
    controller.abort();
  });
  const rel = (f: string): string => (path.relative(process.cwd(), f).startsWith("..") ? f : path.relative(process.cwd(), f));
  if (stack) io.write(`Running ${rel(stack.file)} against the emulators\n`);
  if (args.break) io.write(`Injecting one misconfiguration: --break ${args.break}\n`);
  if (args.dsmLatencyMs) io.write(`DSM answers Encrypt and Decrypt ${args.dsmLatencyMs} ms late: --dsm-latency ${args.dsmLatencyMs}\n`);
  const result = await runSandbox({
    program: io.program,
    programDir: io.programDir,
    stack,
    break: args.break,
    ...(args.replica ? { replica: true } : {}),
    keep: args.keep,
    gatewayTokenValidation: args.gatewayTokenValidation,
    gatewayRoute: args.gatewayRoute,
    dsmLatencyMs: args.dsmLatencyMs,
    onEvent: progress(io),
    signal: controller.signal,
    rsaKeys: io.rsaKeys,
  });
  if (result.endpoints) io.secrets.push(result.endpoints.dsmApiKey, String(result.endpoints.stackOutputs.clientSecret ?? ""), result.endpoints.ociApiKey.privateKeyPem);
  io.write("\n" + renderSandboxSummary(result) + "\n");
  const code = result.ok ? 0 : 1;
  if (stoppedBy) {
    await result.stop();
    io.write(`stopped by ${stoppedBy} before the last step: every server closed\n`);
    return SIGNAL_EXIT[stoppedBy];
  }
  if (!args.keep) return code;
  if (!result.endpoints) {
    await result.stop();
    io.write("\nNothing to keep running: the topology did not come up (see the failure above).\n");
    return code;
  }

  // The sandbox's throw-away credentials go to files (mode 600), not to the terminal. They are
  // written now, after the last step, so that they describe the stack as it is (the rotated key).
  const e = result.endpoints;
  const files = writeSandboxKeepFiles(path.join(io.projectDir, ".sandbox"), e);
  io.write(keptMessage(e, files, rel, io.pid));
  const signal = await io.stopRequested;
  try {
    await result.stop();
  } finally {
    removeSandboxKeepFiles(files);
  }
  io.write(`stopped by ${signal}: every server closed, ${sandboxKeepFileList(files).map(rel).join(", ")} removed\n`);
  return code;
}
