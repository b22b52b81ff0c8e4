// npm run sandbox -- [--stack NAME] [--keep] [--break …] [--gateway-token-validation …] [--gateway-route …]
// The whole topology on this machine against emulated services: see components/sandbox.
import path from "node:path";
import { runCli } from "../components/cli";
import { SANDBOX_USAGE, sandboxCommand } from "../components/sandbox";
import { runEkmStack } from "../infra/stack";

// Both signals end the sandbox the same way (see the usage text); a second one, of either kind, gets
// Node's default and ends the process at once.
const stopRequested = new Promise<"SIGINT" | "SIGTERM">((resolve) => {
  const onInt = (): void => stop("SIGINT");
  const onTerm = (): void => stop("SIGTERM");
  const stop = (signal: "SIGINT" | "SIGTERM"): void => {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    resolve(signal);
  };
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
});
const secrets: string[] = [];
const root = path.resolve(__dirname, "..");

runCli(
  "sandbox",
  SANDBOX_USAGE,
  () =>
    sandboxCommand(process.argv.slice(2), {
      projectDir: root,
      programDir: root,
      program: () => runEkmStack(),
      write: (text) => void process.stdout.write(text),
      tty: process.stdout.isTTY === true,
      pid: process.pid,
      stopRequested,
      secrets,
    }),
  () => secrets,
);
