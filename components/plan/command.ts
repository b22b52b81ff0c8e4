// `npm run plan`: the command as a function, so that tests call it with argv in-process and the
// script only wires it to `runCli` and the stack program.
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CliUsageError, checkOutputFile, parseCliArgs, type CliOption } from "../cli";
import { PLAN_MOCK_DEFAULTS, runStackInProcess, type PlanRunOptions } from "./engine";
import { formatPlanReport, planToJson, planToMermaid } from "./report";
import { loadPlanStack } from "./stack-config";

export const PLAN_USAGE = `Usage: npm run plan -- [--stack NAME] [--json FILE] [--mermaid FILE] [--cwd DIR]

Shows what \`pulumi preview\` would create for a stack, computed offline under mocks: no Pulumi CLI,
no cloud, no credentials. Reads Pulumi.yaml and Pulumi.<NAME>.yaml as the CLI reads them; secure:
values stand in as present secrets whose content is not checked.

  --stack NAME      the stack to plan (default dev)
  --json FILE       also write every resource (URN, inputs, outputs, dependencies) as JSON
  --mermaid FILE    also write the dependency graph as a Mermaid flowchart
  --cwd DIR         the folder of Pulumi.yaml and the stack files (default: this package's folder);
                    the program planned is always this package's stack program (infra/)
  --help            this text

Exit status 0 when the plan ran, 1 when the configuration or the program failed, 2 on a usage error.`;

export const PLAN_OPTIONS: Readonly<Record<string, CliOption>> = {
  stack: { value: true },
  json: { value: true },
  mermaid: { value: true },
  cwd: { value: true },
};

export interface PlanCommandContext {
  /** The folder of `Pulumi.yaml` and the stack files when `--cwd` is not given. Required. */
  projectDir: string;
  /** The stack program. Required. */
  program: PlanRunOptions["program"];
  /** Where the report goes, one call per block of text. Required. */
  print: (text: string) => void;
}

/** Pulumi's rule for stack names (pulumi/pulumi sdk/go/common/tokens/stack_name.go, ParseStackName). */
export function checkPlanStackName(stack: string): void {
  if (stack.length > 100) throw new CliUsageError(`--stack: a stack name cannot exceed 100 characters`);
  const bad = /[^A-Za-z0-9_.-]/.exec(stack);
  if (bad) {
    throw new CliUsageError(`--stack ${stack}: a stack name may only contain alphanumeric, hyphens, underscores, or periods (invalid character "${bad[0]}" at position ${bad.index})`);
  }
}

function stacksIn(dir: string): string[] {
  return readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/**
 * Runs `npm run plan` with `argv`: returns 0 once the report is printed (and the files written).
 * Usage errors throw `CliUsageError` before any file is read; a config the CLI would refuse throws
 * `PlanConfigError`, and an invalid one the program's error, before anything is registered.
 */
export async function runPlanCommand(argv: readonly string[], ctx: PlanCommandContext): Promise<number> {
  const args = parseCliArgs(argv, PLAN_OPTIONS);
  if (args.help) {
    ctx.print(PLAN_USAGE);
    return 0;
  }
  const option = (name: string): string | undefined => {
    const v = args.values[name];
    return typeof v === "string" ? v : undefined;
  };
  const stack = option("stack") ?? "dev";
  checkPlanStackName(stack);
  const dir = path.resolve(option("cwd") ?? ctx.projectDir);
  if (!existsSync(path.join(dir, "Pulumi.yaml"))) throw new CliUsageError(`--cwd ${dir}: no Pulumi.yaml there`);
  const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
  if (!existsSync(stackFile)) {
    const known = stacksIn(dir);
    throw new CliUsageError(`--stack ${stack}: cannot read stack settings ${stackFile} (no such file; stacks there: ${known.length > 0 ? known.join(", ") : "none"})`);
  }
  const json = option("json");
  const mermaid = option("mermaid");
  if (json !== undefined) checkOutputFile("--json", json);
  if (mermaid !== undefined) checkOutputFile("--mermaid", mermaid);

  const planned = loadPlanStack(dir, stack, PLAN_MOCK_DEFAULTS.region);
  const result = await runStackInProcess({
    project: planned.project,
    stack,
    config: planned.settings.config,
    secretKeys: planned.settings.secretKeys,
    mockDefaults: { region: planned.region.region },
    program: ctx.program,
  });
  ctx.print(formatPlanReport(result, planned));
  if (json !== undefined) {
    writeFileSync(json, JSON.stringify(planToJson(result, planned.region.region), null, 2) + "\n");
    ctx.print(`JSON plan written to ${json}`);
  }
  if (mermaid !== undefined) {
    writeFileSync(mermaid, planToMermaid(result.resources));
    ctx.print(`Mermaid graph written to ${mermaid}`);
  }
  return 0;
}
