// Reads a project's `Pulumi.yaml` and a `Pulumi.<stack>.yaml` for the offline plan, and hands the
// program the config `pulumi preview` would: keys namespaced as the CLI does, encrypted values as
// present secrets, and the CLI's own refusals (a plaintext value for a key declared secret, a key
// that is not `<namespace>:<name>`) before anything runs.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { OFFLINE_UNDECRYPTED_SECRET } from "../offline-secret";
import { closestName } from "../problems";

export interface PlanStackConfig {
  /** Config by full key (`oci-ekm:compartmentId`); structured values as JSON text, like the CLI passes them. */
  config: Record<string, string>;
  /** Keys holding an encrypted (`secure:`) value, wholly or in part. */
  secretKeys: string[];
  /** Encrypted keys the plan cannot decrypt: each encrypted part is `OFFLINE_UNDECRYPTED_SECRET`. */
  undecryptedKeys: string[];
  /** Keys written without a namespace, as the file wrote them, each read in the project's namespace. */
  unnamespacedKeys: string[];
}

/** A stack or project file the Pulumi CLI would refuse; one line per problem, naming the file. */
export class PlanConfigError extends Error {
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(problems.map((p) => `${path.basename(file)}: ${p}`).join("\n"));
    this.name = "PlanConfigError";
    this.problems = problems;
  }
}

function isSecure(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** Replaces encrypted leaves with the placeholder; reports whether there were any. */
function redactSecure(value: unknown): { value: unknown; secure: boolean } {
  if (isSecure(value)) return { value: OFFLINE_UNDECRYPTED_SECRET, secure: true };
  if (Array.isArray(value)) {
    const items = value.map(redactSecure);
    return { value: items.map((i) => i.value), secure: items.some((i) => i.secure) };
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => [k, redactSecure(v)] as const);
    return { value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])), secure: entries.some(([, v]) => v.secure) };
  }
  return { value, secure: false };
}

const KEY_FORM = "(configuration keys should be of the form `<namespace>:<name>`)";

/**
 * The full key the CLI reads a stack file's key as, or an error in its words. A key without a
 * namespace is the project's (pulumi/pulumi sdk/go/common/workspace/loaders.go,
 * stackConfigNamespacedWithProject); otherwise `<namespace>:<name>` or the old
 * `<namespace>:config:<name>` (sdk/go/common/resource/config/key.go, ParseKey).
 */
export function planConfigKey(rawKey: string, project: string): { key: string } | { error: string } {
  const parts = rawKey.split(":");
  if (parts.length === 1) return { key: `${project}:${rawKey}` };
  if (parts.length === 2) return { key: rawKey };
  if (parts.length === 3 && parts[1] === "config" && parts[0] !== "" && parts[2] !== "") return { key: `${parts[0]}:${parts[2]}` };
  return { error: `could not parse ${rawKey} as a configuration key ${KEY_FORM}; write it as <namespace>:<name>, such as ${project}:${parts[parts.length - 1] || "name"}` };
}

/**
 * Reads the `config:` block of a stack settings file. Encrypted values cannot be decrypted offline:
 * they become `OFFLINE_UNDECRYPTED_SECRET` (the value the config loader expects) and are listed.
 * Throws `PlanConfigError` for keys the CLI cannot parse and for one key given twice (with and
 * without namespace), where the CLI would keep either value.
 */
export function readPlanStackConfig(file: string, project = "oci-ekm"): PlanStackConfig {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read stack settings ${file}: ${(e as Error).message}`);
  }
  const block = doc !== null && typeof doc === "object" ? (doc as { config?: unknown }).config : undefined;
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const unnamespacedKeys: string[] = [];
  if (block === undefined || block === null) return { config, secretKeys, undecryptedKeys: [], unnamespacedKeys };
  if (typeof block !== "object" || Array.isArray(block)) throw new PlanConfigError(file, [`"config" must be a map of keys to values`]);
  const problems: string[] = [];
  const writtenAs = new Map<string, string>();
  for (const [rawKey, rawValue] of Object.entries(block)) {
    const parsed = planConfigKey(rawKey, project);
    if ("error" in parsed) {
      problems.push(parsed.error);
      continue;
    }
    const { key } = parsed;
    const earlier = writtenAs.get(key);
    if (earlier !== undefined) {
      problems.push(`${earlier} and ${rawKey} are the same key ${key}; keep one of them`);
      continue;
    }
    writtenAs.set(key, rawKey);
    if (!rawKey.includes(":")) unnamespacedKeys.push(rawKey);
    const { value, secure } = redactSecure(rawValue);
    if (secure) secretKeys.push(key);
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  if (problems.length > 0) throw new PlanConfigError(file, problems);
  return { config, secretKeys, undecryptedKeys: [...secretKeys], unnamespacedKeys };
}

/** What the plan reads of `Pulumi.yaml`. */
export interface PlanProject {
  /** The project name: the namespace of keys written without one. */
  name: string;
  /** Keys the project declares `secret: true`, as declared (`privateKeyPem`) and as full keys. */
  secretKeys: { declared: string; key: string }[];
  /** Keys of the project's own namespace declared without `default` or `value`: the CLI requires them. */
  requiredKeys: { declared: string; key: string }[];
}

/** Reads the project name and the keys it declares secret. */
export function readPlanProject(file: string): PlanProject {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read project file ${file}: ${(e as Error).message}`);
  }
  const project = doc !== null && typeof doc === "object" ? (doc as { name?: unknown; config?: unknown }) : {};
  if (typeof project.name !== "string" || project.name === "") throw new PlanConfigError(file, ["project is missing a 'name' attribute"]);
  const name = project.name;
  const block = project.config;
  const secretKeys: PlanProject["secretKeys"] = [];
  const requiredKeys: PlanProject["requiredKeys"] = [];
  if (block !== null && typeof block === "object" && !Array.isArray(block)) {
    for (const [declared, spec] of Object.entries(block)) {
      const parsed = planConfigKey(declared, name);
      if (!("key" in parsed)) continue;
      // A short declaration (`key: value`) is a value; an object may carry `default` or `value`.
      const decl = spec !== null && typeof spec === "object" ? (spec as { secret?: unknown; default?: unknown; value?: unknown }) : undefined;
      if (decl?.secret === true) secretKeys.push({ declared, key: parsed.key });
      const valued = decl === undefined ? spec !== null : decl.default !== undefined || decl.value !== undefined;
      if (!valued && parsed.key.startsWith(`${name}:`)) requiredKeys.push({ declared, key: parsed.key });
    }
  }
  return { name, secretKeys, requiredKeys };
}

/** How to set a secret value so that the stack file holds it encrypted. */
export function planSecretFix(declared: string): string {
  return /Pem$/.test(declared) ? `pulumi config set --secret ${declared} < ${pemFileName(declared)}` : `pulumi config set --secret ${declared} <value>`;
}

function pemFileName(declared: string): string {
  return declared === "privateKeyPem" ? "key.pem" : `${declared.replace(/Pem$/, "")}.pem`;
}

/**
 * Refuses, as `pulumi preview` does, a plaintext value for a key the project declares secret
 * (pulumi/pulumi pkg/workspace/config.go, validateStackConfigValue: "must be encrypted as it's
 * secret"), with the command that stores it encrypted. The value itself is never shown.
 */
export function checkPlanSecretDeclarations(file: string, stack: string, project: PlanProject, settings: PlanStackConfig): void {
  const problems = project.secretKeys
    .filter(({ key }) => key in settings.config && !settings.secretKeys.includes(key))
    .map(({ declared }) => `Stack '${stack}' with configuration key '${declared}' must be encrypted as it's secret; fix: ${planSecretFix(declared)}`);
  if (problems.length > 0) throw new PlanConfigError(file, problems);
}

/**
 * Refuses, as `pulumi preview` does, a stack that lacks a key the project declares without a
 * default (pulumi/pulumi pkg/workspace/config.go, mergeConfig: "Stack '<stack>' is missing
 * configuration value '<key>'"), with the command that sets it.
 */
export function checkPlanRequiredKeys(file: string, stack: string, project: PlanProject, settings: PlanStackConfig): void {
  const missing = project.requiredKeys.filter(({ key }) => !(key in settings.config)).map(({ declared }) => declared).sort();
  if (missing.length === 0) return;
  const quoted = missing.map((k) => `'${k}'`);
  // The CLI's formatMissingKeys: "'a', 'b' and 'c'".
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
  // A required key "missing" is most often there, misspelt: say which key of the stack it may be.
  const present = Object.keys(settings.config).filter((k) => !project.requiredKeys.some(({ key }) => key === k));
  const typos = missing.flatMap((k) => {
    const near = present.find((p) => closestName(p, [project.requiredKeys.find(({ declared }) => declared === k)!.key]) !== undefined);
    return near === undefined ? [] : [`'${near}' is set: did you mean '${k}'?`];
  });
  throw new PlanConfigError(file, [
    `Stack '${stack}' is missing configuration value${missing.length === 1 ? "" : "s"} ${list}; fix: ${missing.map((k) => `pulumi config set ${k} <value>`).join(", ")}`,
    ...typos,
  ]);
}

/** The region the mocked endpoints name, and where it came from. */
export interface PlanRegion {
  region: string;
  /** `oci:region`, or why the default was used. */
  source: string;
}

/** OCI region identifiers: `us-ashburn-1`, `eu-frankfurt-1`, `me-dcc-muscat-1`. */
const REGION_ID = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** `oci:region` of the config, checked, or `fallback` when it is not set. */
export function planRegion(settings: PlanStackConfig, file: string, fallback: string): PlanRegion {
  const value = settings.config["oci:region"];
  if (value === undefined || value === "") return { region: fallback, source: "oci:region not set" };
  if (settings.secretKeys.includes("oci:region")) return { region: fallback, source: "oci:region is a secure: value, not readable offline" };
  if (!REGION_ID.test(value)) {
    throw new PlanConfigError(file, [`oci:region is ${JSON.stringify(value)}; expected an OCI region identifier such as us-ashburn-1 or eu-frankfurt-1`]);
  }
  return { region: value, source: "oci:region" };
}

/** What the plan says about the config besides the plan itself: notes, not failures. */
export function planConfigNotes(settings: PlanStackConfig, project: string): string[] {
  const notes: string[] = [];
  const secure = settings.undecryptedKeys;
  if (secure.length === 1) notes.push(`note: ${secure[0]} is a secure: value; its format is checked by pulumi preview, not offline`);
  if (secure.length > 1) notes.push(`note: ${listText(secure)} are secure: values; their format is checked by pulumi preview, not offline`);
  for (const key of settings.unnamespacedKeys) notes.push(`note: ${key} has no namespace; it is read as ${project}:${key}, as pulumi reads it`);
  return notes;
}

function listText(items: string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** A stack as the plan runs it. */
export interface PlanStack {
  project: string;
  stack: string;
  settings: PlanStackConfig;
  region: PlanRegion;
  notes: string[];
}

/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` in `projectDir` and applies every check the CLI
 * makes before the program runs. Throws `PlanConfigError` (one line per problem).
 */
export function loadPlanStack(projectDir: string, stack: string, defaultRegion: string): PlanStack {
  const project = readPlanProject(path.join(projectDir, "Pulumi.yaml"));
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  const settings = readPlanStackConfig(file, project.name);
  checkPlanRequiredKeys(file, stack, project, settings);
  checkPlanSecretDeclarations(file, stack, project, settings);
  return { project: project.name, stack, settings, region: planRegion(settings, file, defaultRegion), notes: planConfigNotes(settings, project.name) };
}
