// npm run bench [-- --out FILE] [--verbose] [--child-timeout SECONDS]
// Measures the offline plan (1, 10, 100 keys), DSM requests per up/refresh/destroy and sandbox
// round trips on this machine; prints the tables and writes the JSON results (see components/bench).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { checkOutputFile, runCli } from "../components/cli";
import { BENCH_USAGE, parseBenchArgs, renderBenchReport, runBench } from "../components/bench";
import { EKM_PROJECT } from "../infra/config";

async function main(): Promise<number> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.help) {
    console.log(BENCH_USAGE);
    return 0;
  }
  // Minutes of measuring must not end in an unwritable file.
  checkOutputFile("--out", args.out);
  const root = path.resolve(__dirname, "..");
  const results = await runBench({
    program: { module: path.join(root, "infra", "stack"), export: "runEkmStack" },
    stackConfigFile: path.join(root, "Pulumi.dev.yaml"),
    project: EKM_PROJECT,
    verbose: args.verbose,
    ...(args.childTimeoutSeconds !== undefined ? { childTimeoutMs: args.childTimeoutSeconds * 1000 } : {}),
    onProgress: (line) => console.log(`  ${line}`),
  });
  console.log("\n" + renderBenchReport(results));
  writeFileSync(args.out, JSON.stringify(results, null, 2) + "\n");
  console.log(`JSON results written to ${args.out}`);
  return 0;
}

runCli("bench", BENCH_USAGE, main);
