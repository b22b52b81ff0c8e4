// npm run plan [-- --stack NAME] [--json FILE] [--mermaid FILE] [--cwd DIR] [--help]
// What `pulumi preview` would create for a stack, computed offline under mocks. Thin: the command
// lives in components/plan/command.ts, where tests call it.
import path from "node:path";
import { runCli } from "../components/cli";
import { PLAN_USAGE, runPlanCommand } from "../components/plan";
import { runEkmStack } from "../infra/stack";

runCli("plan", PLAN_USAGE, () =>
  runPlanCommand(process.argv.slice(2), {
    projectDir: path.resolve(__dirname, ".."),
    program: () => runEkmStack(),
    print: (text) => console.log(text),
  }),
);
