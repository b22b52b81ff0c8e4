// The command-line habits every script shares: `--help`, `--flag value` and `--flag=value`, a usage
// error (exit 2) before any work, a failed check (exit 1), and an output file checked up front.
import { closestName } from "./problems";
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

/** A mistake in how the command was called: reported with the usage, exit code 2, before any work. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliUsageError";
  }
}

/** One option of a command: a switch (`--keep`) or an option with a value (`--stack dev`). */
export interface CliOption {
  /** Takes a value. Default false (a switch). */
  value?: boolean;
  /** The allowed values, checked as given. Default: any. */
  choices?: readonly string[];
  /** May be given more than once (the values are collected). Default false: twice is a usage error. */
  repeatable?: boolean;
}

/** What {@link parseCliArgs} read: `help`, or each option given, by name without the dashes. */
export type CliArgs = { help: true } | { help: false; values: Record<string, string | true>; lists: Record<string, string[]> };

/**
 * Reads `argv` against `options` (names without dashes). `--help` and `-h` win over everything
 * else; an unknown option, a missing or refused value, or an option given twice throws
 * {@link CliUsageError} naming it.
 */
export function parseCliArgs(argv: readonly string[], options: Readonly<Record<string, CliOption>>): CliArgs {
  if (argv.some((a) => a === "--help" || a === "-h")) return { help: true };
  const values: Record<string, string | true> = {};
  const lists: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new CliUsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = options[name];
    if (spec === undefined) {
      const near = nearest(name, Object.keys(options));
      throw new CliUsageError(`unknown option --${name}${near ? ` (did you mean --${near}?)` : ""}`);
    }
    let value: string | true = true;
    if (spec.value) {
      const given = eq === -1 ? argv[i + 1] : arg.slice(eq + 1);
      if (eq === -1) i++;
      if (given === undefined || given === "" || (eq === -1 && given.startsWith("--"))) throw new CliUsageError(`--${name} needs a value`);
      if (spec.choices && !spec.choices.includes(given)) {
        throw new CliUsageError(`--${name}: "${given}" is not one of ${spec.choices.join(", ")}`);
      }
      value = given;
    } else if (eq !== -1) {
      throw new CliUsageError(`--${name} takes no value`);
    }
    if (name in values && !spec.repeatable) throw new CliUsageError(`--${name} is given more than once`);
    values[name] = value;
    if (typeof value === "string") (lists[name] ??= []).push(value);
  }
  return { help: false, values, lists };
}

function nearest(name: string, known: readonly string[]): string | undefined {
  return closestName(name, known, 2);
}

/**
 * Refuses, as a usage error naming `option`, an output file that could not be written: its folder
 * is missing or not writable, or the path is a folder. Run before the work, not after it.
 */
export function checkOutputFile(option: string, file: string): void {
  const target = path.resolve(file);
  let existing: ReturnType<typeof statSync> | undefined;
  try {
    existing = statSync(target);
  } catch {
    existing = undefined;
  }
  if (existing?.isDirectory()) throw new CliUsageError(`${option} ${file}: is a folder, expected a file name`);
  const dir = path.dirname(target);
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a folder");
    accessSync(existing ? target : dir, constants.W_OK);
  } catch {
    throw new CliUsageError(`${option} ${file}: cannot write there (${existing ? "the file is not writable" : `folder ${dir} does not exist or is not writable`})`);
  }
}

/**
 * Runs a command's `main` and exits: its code (0 done, 1 what it checked failed), 2 with the usage
 * on a {@link CliUsageError}, 1 on any other error. Messages go to stderr prefixed with the name,
 * with every `secrets` value replaced by `[redacted]`.
 */
export function runCli(name: string, usage: string, main: () => Promise<number>, secrets: () => readonly (string | undefined)[] = () => []): void {
  const redact = (text: string): string => {
    let out = text;
    for (const s of secrets()) if (s && s.length >= 4) out = out.split(s).join("[redacted]");
    return out;
  };
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      const message = redact(err instanceof Error ? err.message : String(err));
      if (err instanceof CliUsageError) {
        process.stderr.write(`${name}: ${message}\n${usage}\n`);
        process.exit(2);
      }
      process.stderr.write(`${name}: ${message}\n`);
      process.exit(1);
    },
  );
}
