// vitest global setup: fills the transpile cache of scripts/transpile-cache.cjs once per run, so that the
// processes the tests start from scripts/*.ts do not load TypeScript. It runs in a process of its
// own beside the tests: a process started before it is done transpiles what it misses itself.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const HOOK = fileURLToPath(new URL("../scripts/transpile-cache.cjs", import.meta.url));
const DIRS = ["components", "infra", "scripts", "test/fixtures"];

export default function setup(): () => Promise<void> {
  const child: ChildProcess = spawn(process.execPath, ["-e", `require(${JSON.stringify(HOOK)}).transpileAll(${JSON.stringify(DIRS)})`], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  return () => exited;
}
