// How `npm run plan|sandbox|verify|bench` load their .ts modules (scripts/transpile-cache.cjs): a
// copy of the hook in a scratch project of its own, so that its cache can be broken without
// touching this repository's.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const scratches: string[] = [];
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

/** A project with the hook, TypeScript (linked), a tsconfig and one module; `cache` says what node_modules/.cache is. */
function project(cache: "folder" | "file", tsconfig = { compilerOptions: { target: "ES2022", strict: true } }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "oci-ekm-transpile-"));
  scratches.push(dir);
  mkdirSync(path.join(dir, "scripts"));
  copyFileSync(path.join(root, "scripts/transpile-cache.cjs"), path.join(dir, "scripts/transpile-cache.cjs"));
  mkdirSync(path.join(dir, "node_modules"));
  symlinkSync(path.join(root, "node_modules/typescript"), path.join(dir, "node_modules/typescript"));
  if (cache === "file") writeFileSync(path.join(dir, "node_modules/.cache"), "not a folder");
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
  writeFileSync(path.join(dir, "main.ts"), 'const answer: number | undefined = 42;\nconsole.log(`answer ${answer ?? 0}`);\n');
  return dir;
}

function run(dir: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["-r", "./scripts/transpile-cache.cjs", "main.ts"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cached = (dir: string): string[] => readdirSync(path.join(dir, "node_modules/.cache/oci-ekm-transpiled")).sort();

describe("scripts/transpile-cache.cjs", () => {
  it("runs a .ts module and keeps its JavaScript by the hash of its text, tsconfig.json and TypeScript's version", () => {
    const dir = project("folder");
    expect(run(dir)).toEqual({ status: 0, stdout: "answer 42\n", stderr: "" });
    const first = cached(dir);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(/^main\.ts\.[0-9a-f]{16}\.js$/);
    expect(run(dir).stdout).toBe("answer 42\n");
    expect(cached(dir)).toEqual(first);
    // Other compiler settings write other JavaScript: a new entry, not the old one.
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "ES2017", strict: true } }));
    expect(run(dir).stdout).toBe("answer 42\n");
    expect(cached(dir)).toHaveLength(2);
  });

  it("still runs when its cache cannot be written (node_modules/.cache is a file), and leaves nothing behind", () => {
    const dir = project("file");
    expect(run(dir)).toEqual({ status: 0, stdout: "answer 42\n", stderr: "" });
    expect(readdirSync(path.join(dir, "node_modules")).sort()).toEqual([".cache", "typescript"]);
  });
});
