// npm run plan [-- --stack NAME] [--json FILE] [--mermaid FILE]
// What `pulumi preview` would create for a stack, computed offline under mocks.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { formatPlanReport, planToJson, planToMermaid, readPlanStackConfig, runStackInProcess } from "../components/plan";
import { EKM_PROJECT } from "../infra/config";
import { runEkmStack } from "../infra/stack";

function parseArgs(argv: string[]): { stack: string; json?: string; mermaid?: string } {
  const out: { stack: string; json?: string; mermaid?: string } = { stack: "dev" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag !== "--stack" && flag !== "--json" && flag !== "--mermaid") {
      throw new Error(`unknown argument ${flag}; usage: npm run plan -- [--stack NAME] [--json FILE] [--mermaid FILE]`);
    }
    if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value`);
    out[flag.slice(2) as "stack" | "json" | "mermaid"] = value;
    i++;
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = path.resolve(__dirname, "..");
  const settings = readPlanStackConfig(path.join(root, `Pulumi.${args.stack}.yaml`), EKM_PROJECT);
  for (const key of settings.undecryptedKeys) {
    console.warn(`warning: ${key} is encrypted; the offline plan uses the placeholder "[secret]" for it`);
  }
  const result = await runStackInProcess({
    project: EKM_PROJECT,
    stack: args.stack,
    config: settings.config,
    secretKeys: settings.secretKeys,
    program: () => runEkmStack(),
  });
  console.log(formatPlanReport(result));
  if (args.json) {
    writeFileSync(args.json, JSON.stringify(planToJson(result), null, 2) + "\n");
    console.log(`JSON plan written to ${args.json}`);
  }
  if (args.mermaid) {
    writeFileSync(args.mermaid, planToMermaid(result.resources));
    console.log(`Mermaid graph written to ${args.mermaid}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
