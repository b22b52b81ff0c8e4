// `npm run verify` from arguments to exit code, with the shared habits of components/cli.ts: every
// mistake in the command line (options, files, DSM_* variables, URLs) is a usage error raised before
// the first request; 0 when every check that ran passed, 1 when one failed.
import { CliUsageError, checkOutputFile } from "../cli";
import { ekmDsmAccessFromEnv, type EkmDsmAccess } from "./dsm-checks";
import { ekmOciAccessFor, type EkmOciAccessChoice } from "./oci-sdk";
import { EKM_VERIFY_USAGE, parseEkmVerifyArgs } from "./options";
import { renderEkmVerificationReport, runEkmVerification, validateEkmVerificationOptions, type EkmVerificationOptions } from "./run";

/** What the command reads and writes, so that it runs the same in a test as in a terminal. */
export interface EkmVerifyIo {
  readFile(path: string): string;
  /** Standard input, whole (`--outputs -`). */
  readStdin(): string;
  writeFile(path: string, text: string): void;
  /** One block of standard output (a newline is added). */
  print(text: string): void;
  env: Record<string, string | undefined>;
  /** Home directory, where `~/.oci/config` is looked for. Default: the user's. */
  home?: string;
}

/**
 * Runs `npm run verify` with `argv` and returns the exit code; throws {@link CliUsageError} for a
 * mistake in the command line. Each secret it learns (client secret, DSM credentials) is pushed to
 * `secrets`, for the caller to keep out of error messages.
 */
export async function runEkmVerifyCommand(argv: string[], io: EkmVerifyIo, secrets: string[] = []): Promise<number> {
  secrets.push(...[io.env.EKM_CLIENT_SECRET, io.env.DSM_API_KEY, io.env.DSM_PASSWORD].filter((s): s is string => s !== undefined && s !== ""));
  const command = parseEkmVerifyArgs(argv, (p) => io.readFile(p), io.env, () => io.readStdin());
  if (command.help) {
    io.print(EKM_VERIFY_USAGE);
    return 0;
  }
  if (command.options.clientSecret) secrets.push(command.options.clientSecret);
  if (command.jsonFile !== undefined) checkOutputFile("--json", command.jsonFile);
  let dsm: EkmDsmAccess;
  try {
    dsm = ekmDsmAccessFromEnv(io.env, command.options.dsmUrl, command.options.caBundle);
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  const options = { ...command.options, dsm: dsm.reader, dsmUnavailableReason: dsm.unavailableReason, secrets: dsm.secrets };
  try {
    validateEkmVerificationOptions(options as EkmVerificationOptions);
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  let oci: EkmOciAccessChoice;
  try {
    oci = await ekmOciAccessFor(io.env, { ...command.oci, caBundle: command.options.caBundle }, io.home);
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  let report;
  try {
    report = await runEkmVerification({ ...(options as EkmVerificationOptions), oci: oci.access?.reader, ociUnavailableReason: oci.unavailableReason });
  } finally {
    oci.access?.close();
  }
  io.print(command.json ? JSON.stringify(report, null, 2) : renderEkmVerificationReport(report));
  if (command.jsonFile !== undefined) {
    // The report holds no secret (runEkmVerification redacts them), so an ordinary file is right.
    io.writeFile(command.jsonFile, JSON.stringify(report, null, 2) + "\n");
    io.print(`JSON report written to ${command.jsonFile}`);
  }
  return report.ok ? 0 : 1;
}
