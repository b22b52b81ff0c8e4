// npm run sandbox -- [--keep] [--break …] [--gateway-token-validation …] [--gateway-route …]
// The whole topology of seed 000 on this machine: see components/sandbox.
import path from "node:path";
import { parseSandboxArgs, renderSandboxSummary, runSandbox, writeSandboxKeepFiles, type SandboxEvent } from "../components/sandbox";
import { runEkmStack } from "../infra/stack";

const USAGE =
  "Usage: npm run sandbox -- [--keep] [--break audience|scope|issuer|signing-cert|key-name] [--gateway-token-validation remoteJwks|staticKeys] [--gateway-route all|ekmOnly]";

function progress(): (event: SandboxEvent) => void {
  const tty = process.stdout.isTTY === true;
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let timer: NodeJS.Timeout | undefined;
  return (event) => {
    if (event.kind === "start") {
      if (!tty) return;
      let i = 0;
      const started = Date.now();
      timer = setInterval(() => {
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        process.stdout.write(`\r${frames[i++ % frames.length]} ${event.step} (${secs}s)\x1b[K`);
      }, 80);
      return;
    }
    if (timer) clearInterval(timer);
    timer = undefined;
    const { step } = event;
    const mark = step.status === "passed" ? "✓" : step.status === "failed" ? "✗" : "-";
    const time = step.status === "skipped" ? "" : ` ${(step.ms / 1000).toFixed(2)}s`;
    process.stdout.write(`${tty ? "\r\x1b[K" : ""}${mark}${time.padStart(7)}  ${step.name}\n           ${step.detail}\n`);
  };
}

async function main(): Promise<number> {
  const parsed = parseSandboxArgs(process.argv.slice(2));
  if ("error" in parsed) {
    process.stderr.write(`${parsed.error}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.break) process.stdout.write(`Injecting one misconfiguration: --break ${parsed.break}\n`);
  const result = await runSandbox({
    program: () => runEkmStack(),
    break: parsed.break,
    keep: parsed.keep,
    gatewayTokenValidation: parsed.gatewayTokenValidation,
    gatewayRoute: parsed.gatewayRoute,
    onEvent: progress(),
  });
  process.stdout.write("\n" + renderSandboxSummary(result) + "\n");
  if (parsed.keep && result.endpoints) {
    // The sandbox's throw-away credentials go to files (mode 600), not to the terminal.
    const e = result.endpoints;
    const { caFile: ca, outputsFile: outputs, envFile: env } = writeSandboxKeepFiles(path.resolve(".sandbox"), e);
    process.stdout.write(
      [
        "",
        "The sandbox keeps running (Ctrl-C to stop):",
        `  Identity Domain   ${e.identityDomainUrl}`,
        `  DSM               ${e.dsmUrl}`,
        `  API gateway       ${e.gatewayUrl}  (certificate for ${e.gatewayHostname})`,
        `  external vault    ${e.localVaultUrl}  (through the private endpoint)`,
        "",
        "Point the DSM provider and verify at it:",
        `  source ${path.relative(process.cwd(), env)}`,
        `  npm run verify -- --outputs ${path.relative(process.cwd(), outputs)} --ca-bundle ${path.relative(process.cwd(), ca)}`,
        "",
      ].join("\n"),
    );
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
    await result.stop();
  }
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`sandbox: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
