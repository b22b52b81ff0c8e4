// How the tests start scripts/*.ts as processes: as `npm run <script>` does, through ts-node, or
// from the transpile cache of test/transpiled-ts.cjs, which gives the same JavaScript under the same
// file names without loading TypeScript in every process (several seconds each on a loaded
// machine). Each script keeps at least one test through ts-node.
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");

export type ScriptLauncher = "ts-node" | "transpiled";

/** The command and arguments that run `script` (relative to the repository, or absolute) with `args`. */
export function scriptCommand(script: string, args: readonly string[], launcher: ScriptLauncher = "transpiled"): { command: string; args: string[] } {
  if (launcher === "ts-node") return { command: path.join(ROOT, "node_modules", ".bin", "ts-node"), args: [script, ...args] };
  return { command: process.execPath, args: ["-r", path.join(ROOT, "test", "transpiled-ts.cjs"), script, ...args] };
}
