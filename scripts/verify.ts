// `npm run verify -- [options]`: check a deployed EKM topology link by link. Thin: the arguments are
// parsed and the chain is walked by the verify library; this file reads files and prints.
import { readFileSync } from "node:fs";
import {
  EKM_VERIFY_USAGE,
  ekmDsmAccessFromEnv,
  parseEkmVerifyArgs,
  renderEkmVerificationReport,
  runEkmVerification,
  type EkmVerificationOptions,
} from "../components/verify";

async function main(): Promise<number> {
  const secrets = [process.env.DSM_API_KEY, process.env.DSM_PASSWORD, process.env.EKM_CLIENT_SECRET];
  try {
    const command = parseEkmVerifyArgs(process.argv.slice(2), (path) => readFileSync(path, "utf8"), process.env);
    if (command.help) {
      console.log(EKM_VERIFY_USAGE);
      return 0;
    }
    secrets.push(command.options.clientSecret);
    const dsm = ekmDsmAccessFromEnv(process.env, command.options.dsmUrl);
    const options = {
      ...command.options,
      dsm: dsm.reader,
      dsmUnavailableReason: dsm.unavailableReason,
      secrets: dsm.secrets,
    } as EkmVerificationOptions;
    const report = await runEkmVerification(options);
    console.log(command.json ? JSON.stringify(report, null, 2) : renderEkmVerificationReport(report));
    return report.ok ? 0 : 1;
  } catch (err) {
    // Input errors name the field. Belt and braces: no secret may reach the terminal, even in an error.
    let message = err instanceof Error ? err.message : String(err);
    for (const s of secrets) if (s && s.length >= 4) message = message.split(s).join("[redacted]");
    console.error(`verify: ${message}`);
    return 2;
  }
}

void main().then((code) => {
  process.exit(code);
});
