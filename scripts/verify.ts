// `npm run verify -- [options]`: check a deployed EKM topology link by link. Thin: the command lives
// in the verify library (components/verify/command.ts); this file connects it to the process.
import { readFileSync, writeFileSync } from "node:fs";
import { runCli } from "../components/cli";
import { EKM_VERIFY_USAGE, readEkmVerifyStdin, runEkmVerifyCommand } from "../components/verify";

const secrets: string[] = [];
runCli(
  "verify",
  EKM_VERIFY_USAGE,
  () =>
    runEkmVerifyCommand(
      process.argv.slice(2),
      {
        readFile: (file) => readFileSync(file, "utf8"),
        readStdin: readEkmVerifyStdin,
        writeFile: (file, text) => writeFileSync(file, text),
        print: (text) => console.log(text),
        env: process.env,
      },
      secrets,
    ),
  () => secrets,
);
