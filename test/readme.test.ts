// The README ships in the npm tarball: it must stay true for the people who install the package.
// These tests hold it to the project's own declarations (Pulumi.yaml, the scripts' options) and keep
// out what only makes sense inside this repository.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BENCH_OPTIONS, BENCH_USAGE } from "../components/bench";
import type { CliOption } from "../components/cli";
import { PLAN_OPTIONS, PLAN_USAGE } from "../components/plan";
import { SANDBOX_OPTIONS, SANDBOX_USAGE } from "../components/sandbox";
import { EKM_VERIFY_OPTIONS, EKM_VERIFY_USAGE } from "../components/verify";
import { EKM_CONFIG_KEYS } from "../infra/config";

const root = path.resolve(__dirname, "..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");

const SCRIPTS: Record<string, { usage: string; options: Readonly<Record<string, CliOption>> }> = {
  plan: { usage: PLAN_USAGE, options: PLAN_OPTIONS },
  sandbox: { usage: SANDBOX_USAGE, options: SANDBOX_OPTIONS },
  verify: { usage: EKM_VERIFY_USAGE, options: EKM_VERIFY_OPTIONS },
  bench: { usage: BENCH_USAGE, options: BENCH_OPTIONS },
};

/** The rows of the markdown table whose header line is `header`. */
function tableAfter(header: string): string[][] {
  const lines = readme.split("\n");
  const at = lines.findIndex((l) => l.trim() === header);
  if (at < 0) throw new Error(`README.md has no table with the header ${header}`);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.slice(1, -1).split(" | ").map((c) => c.trim()));
  }
  return rows;
}

describe("README.md", () => {
  it("documents every key the program reads, in its order, with its type, secrecy and description", () => {
    const expected = EKM_CONFIG_KEYS.map((k) => [`\`oci-ekm:${k.key}\``, `${k.kind}${k.secret ? ", secret" : ""}${k.required ? ", required" : ""}`, k.description]);
    expect(tableAfter("| key | type | |")).toEqual(expected);
  });

  for (const [name, { usage, options }] of Object.entries(SCRIPTS)) {
    it(`shows npm run ${name} -- --help as the script prints it, and its usage names every option the script takes`, () => {
      expect(readme).toContain(`<!-- usage:${name} -->\n\`\`\`text\n${usage}\n\`\`\``);
      // The option lines: two spaces, then the option (other --flags in the text are examples).
      const documented = [...usage.matchAll(/^ {2}(?:-\w, )?--([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((o) => o !== "help").sort();
      expect(documented).toEqual(Object.keys(options).sort());
    });
  }

  it("uses in its examples only options the scripts take", () => {
    const examples = [...readme.matchAll(/npm run (plan|sandbox|verify|bench) -- ([^\n`]*)/g)];
    expect(examples.length).toBeGreaterThan(5);
    for (const [, name, args] of examples) {
      for (const [, option] of args.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)) {
        if (option === "help") continue;
        expect(Object.keys(SCRIPTS[name].options), `npm run ${name} -- ${args}`).toContain(option);
      }
    }
  });

  it("refers to nothing outside the package and to no document by an internal name", () => {
    expect(readme).not.toMatch(/\.\.\/shared|\/work\/|seeds?\s+0\d\d|seed\s+\d/i);
    expect(readme).not.toMatch(/npm install \.\.\//);
    // Every example address the sandbox and its emulators print is HTTPS.
    expect(readme).not.toMatch(/http:\/\/(127\.0\.0\.1|localhost)/);
  });

  it("starts a new checkout with npm install then npm test, and runs the main job with npm run sandbox", () => {
    expect(readme).toContain("```sh\nnpm install\nnpm test\nnpm run sandbox\n```");
  });

  it("names OCI's scheduled deletion of vaults and keys, and what protect does", () => {
    expect(readme).toContain("pending deletion* for a waiting period of 7 to 30 days (30 by default)");
    expect(readme).toContain("**The vault and key references are protected** (`protect`, default `true`)");
  });
});
