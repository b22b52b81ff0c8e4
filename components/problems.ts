// How every component states a problem with its arguments, and the patterns more than one door
// checks. A rule lives in the component that owns it (its exported `…Problems`); the topology and the
// stack config call that same function and only rename the path, so a value gets the same message
// whichever way it came in.

/** One problem with an argument: where it is, what was given, what is expected. */
export interface EkmArgProblem {
  /** Path of the argument, e.g. `keys[1].name`. */
  path: string;
  /** What was given, as the message shows it (a JSON value, or a description such as "missing"). */
  given: string;
  /** What is expected instead. */
  expected: string;
}

/** `<path> is <given>; expected <expected>`: the one form every door uses. */
export function ekmArgProblemText(p: EkmArgProblem): string {
  return `${p.path} is ${p.given}; expected ${p.expected}`;
}

/** The same problems under another path prefix (`keys[0].name` → `dsm.keys[0].name`). */
export function ekmArgProblemsAt(prefix: string, problems: readonly EkmArgProblem[]): EkmArgProblem[] {
  return problems.map((p) => ({ ...p, path: prefix + p.path }));
}

/** A lower-case UUID as DSM writes account, group and key ids (any case accepted). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An OCI OCID of a resource type: `ocid1.<type>.<realm>.[region].<unique>`. */
export function ocidPattern(type: string): RegExp {
  return new RegExp(`^ocid1\\.${type}\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+$`);
}
