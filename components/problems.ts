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

/** Case-insensitive edit distance, so that `dsm:apikey` is one step from `dsm:apiKey`'s spelling. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known name nearest to `name`, within `maxDistance` edits (case aside): what a typo meant. */
export function closestName(name: string, known: Iterable<string>, maxDistance = 3): string | undefined {
  let best: [string, number] | undefined;
  for (const k of known) {
    const dist = editDistance(name, k);
    if (best === undefined || dist < best[1]) best = [k, dist];
  }
  return best && best[1] <= maxDistance ? best[0] : undefined;
}

/** An OCI region identifier: `eu-frankfurt-1`, `us-gov-ashburn-1`, `eu-dcc-milan-1`. */
export const OCI_REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;

/** A region identifier at `path` (the replica's region, `oci:region`); an unknown (Output) value is left to OCI. */
export function ociRegionProblems(path: string, region: unknown): EkmArgProblem[] {
  if (typeof region === "string" && OCI_REGION_PATTERN.test(region)) return [];
  if (region !== undefined && typeof region !== "string") return [];
  return [{ path, given: region === undefined || region === "" ? "missing" : JSON.stringify(region), expected: "an OCI region identifier such as \"eu-amsterdam-1\"" }];
}
