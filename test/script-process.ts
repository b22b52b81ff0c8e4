// How the tests start scripts/*.ts as processes: with the command `npm run <script>` runs (node with
// the transpile cache of scripts/transpile-cache.cjs), or through npm itself, which reads that
// command from package.json. Each script keeps at least one test through npm.
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");

export type ScriptLauncher = "npm" | "transpiled";

/** The command and arguments that run `script` (relative to the repository, or absolute) with `args`. */
export function scriptCommand(script: string, args: readonly string[], launcher: ScriptLauncher = "transpiled"): { command: string; args: string[] } {
  if (launcher === "npm") {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    return { command: npm, args: ["run", "--silent", path.basename(script, ".ts"), "--", ...args] };
  }
  return { command: process.execPath, args: ["-r", path.join(ROOT, "scripts", "transpile-cache.cjs"), script, ...args] };
}
