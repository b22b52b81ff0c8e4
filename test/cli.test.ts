// The command-line habits shared by plan, verify, sandbox and bench.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkOutputFile, parseCliArgs } from "../components/cli";
import { usageError } from "./cli-helpers";

const OPTIONS = { stack: { value: true }, json: { value: true }, keep: {}, break: { value: true, choices: ["audience", "scope"] }, key: { value: true, repeatable: true } };

describe("parseCliArgs", () => {
  it("reads switches and values in both spellings", () => {
    expect(parseCliArgs(["--stack", "dev", "--keep", "--json=out.json"], OPTIONS)).toEqual({
      help: false,
      values: { stack: "dev", keep: true, json: "out.json" },
      lists: { stack: ["dev"], json: ["out.json"] },
    });
    expect(parseCliArgs(["--key", "a", "--key=b"], OPTIONS)).toMatchObject({ lists: { key: ["a", "b"] } });
  });

  it("--help and -h win over anything else, a mistake included", () => {
    expect(parseCliArgs(["--bogus", "--help"], OPTIONS)).toEqual({ help: true });
    expect(parseCliArgs(["-h"], OPTIONS)).toEqual({ help: true });
  });

  it("names the mistake: unknown option (with a suggestion), missing value, refused value, twice, stray word", () => {
    expect(usageError(() => parseCliArgs(["--stak", "dev"], OPTIONS))).toBe("unknown option --stak (did you mean --stack?)");
    expect(usageError(() => parseCliArgs(["--frobnicate"], OPTIONS))).toBe("unknown option --frobnicate");
    expect(usageError(() => parseCliArgs(["--break"], OPTIONS))).toBe("--break needs a value");
    expect(usageError(() => parseCliArgs(["--break", "--keep"], OPTIONS))).toBe("--break needs a value");
    expect(usageError(() => parseCliArgs(["--break="], OPTIONS))).toBe("--break needs a value");
    expect(usageError(() => parseCliArgs(["--break", "route"], OPTIONS))).toBe('--break: "route" is not one of audience, scope');
    expect(usageError(() => parseCliArgs(["--break", "scope", "--break", "audience"], OPTIONS))).toBe("--break is given more than once");
    expect(usageError(() => parseCliArgs(["--keep=yes"], OPTIONS))).toBe("--keep takes no value");
    expect(usageError(() => parseCliArgs(["dev"], OPTIONS))).toBe('unexpected argument "dev"');
  });
});

describe("checkOutputFile", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "cli-out-"));

  it("accepts a new file in a writable folder and an existing writable file", () => {
    expect(() => checkOutputFile("--json", path.join(dir, "plan.json"))).not.toThrow();
  });

  it("refuses a missing folder and a folder, naming the option", () => {
    expect(usageError(() => checkOutputFile("--json", "/nonexistent/x.json"))).toBe(
      "--json /nonexistent/x.json: cannot write there (folder /nonexistent does not exist or is not writable)",
    );
    expect(usageError(() => checkOutputFile("--json", dir))).toBe(`--json ${dir}: is a folder, expected a file name`);
  });
});
