// Reads a `Pulumi.<stack>.yaml` for the offline plan, as the Pulumi CLI would pass it to the program.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { PLAN_SECRET } from "./engine";

export interface PlanStackConfig {
  /** Config by full key (`oci-ekm:compartmentId`); structured values as JSON text, like the CLI passes them. */
  config: Record<string, string>;
  /** Keys holding an encrypted (`secure:`) value. */
  secretKeys: string[];
  /** Encrypted keys the plan cannot decrypt: their value is the placeholder `[secret]`. */
  undecryptedKeys: string[];
}

function isSecure(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** Replaces encrypted leaves with the placeholder; reports whether there were any. */
function redactSecure(value: unknown): { value: unknown; secure: boolean } {
  if (isSecure(value)) return { value: PLAN_SECRET, secure: true };
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

/**
 * Reads the `config:` block of a stack settings file. Keys without a namespace get `project:`.
 * Encrypted values cannot be decrypted offline: they become `[secret]` and are listed.
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
  if (block === undefined || block === null) return { config, secretKeys, undecryptedKeys: [] };
  if (typeof block !== "object" || Array.isArray(block)) throw new Error(`${file}: "config" must be a map of keys to values`);
  for (const [rawKey, rawValue] of Object.entries(block)) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    const { value, secure } = redactSecure(rawValue);
    if (secure) secretKeys.push(key);
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { config, secretKeys, undecryptedKeys: [...secretKeys] };
}
