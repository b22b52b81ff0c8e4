// The README ships in the npm tarball: it must stay true for the people who install the package.
// These tests hold it to the project's own declarations (Pulumi.yaml, the scripts' options) and keep
// out what only makes sense inside this repository.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");

interface ProjectConfigKey {
  type?: string;
  secret?: boolean;
  description: string;
}

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
  it("documents every key Pulumi.yaml declares, in its order, with its type, secrecy and description", () => {
    const project = parseYaml(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { config: Record<string, ProjectConfigKey> };
    const expected = Object.entries(project.config).map(([key, v]) => [`\`oci-ekm:${key}\``, `${v.type ?? "list"}${v.secret ? ", secret" : ""}`, v.description]);
    expect(tableAfter("| key | type | |")).toEqual(expected);
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
