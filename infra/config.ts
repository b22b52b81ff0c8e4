// The stack configuration: every `oci-ekm:<key>` the program reads, validated with zod before any
// resource is registered. A bad configuration fails with one line per bad key, naming the key, the
// value given (secrets masked) and what is expected.
import * as ociProviderConfig from "@pulumi/oci/config";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { OFFLINE_UNDECRYPTED_SECRET } from "../components/offline-secret";
import { gatewayCertificateFindings } from "../components/pem";
import { type GatewayJsonWebKeyArgs } from "../components/gateway";
import { shape } from "./config-schema";
import { closestName, crossKeyProblems, DSM_CONFIG_KEYS, ignoredKeys, keyListProblems } from "./config-rules";

export { ipv4CidrRange } from "./config-rules";
export { EKM_CONFIG_KEYS, type EkmConfigKeySpec } from "./config-keys";
import { EKM_CONFIG_KEYS, type EkmConfigKeySpec } from "./config-keys";
import { ekmRegionWarnings } from "./config-regions";
import { replicaConfigProblems } from "./config-replica";

/** The Pulumi project name, hence the config namespace. */
export const EKM_PROJECT = "oci-ekm";


/** One DSM key of the stack: a security object in DSM and a key reference in the vault. */
export interface EkmStackKey {
  name: string;
  description?: string;
  rotationPolicyDays?: number;
  /** Any string; changing it rotates the key in DSM, then in OCI (a new key reference version). */
  rotate?: string;
}

/** A public key for `gatewayTokenValidation: staticKeys`: the gateway component's JWK, as config gives it. */
export type EkmStackStaticKey = GatewayJsonWebKeyArgs;

/** The validated configuration with defaults applied. */
export interface EkmStackConfig {
  compartmentId: string;
  vcnCidr: string;
  subnetCidr: string;
  existingVcnId?: string;
  existingSubnetId?: string;
  existingRouteTableId?: string;
  dsmEgressCidr: string;
  gatewayHostname: string;
  certificateValidityDays: number;
  certificateRenewBeforeDays: number;
  caValidityDays: number;
  certificatePem?: string;
  certChainPem?: string;
  caBundlePem?: string;
  /** Secret: never a plain string once loaded. */
  privateKeyPem?: pulumi.Output<string>;
  existingCertificateId?: string;
  existingGatewayId?: string;
  gatewayTokenValidation: "off" | "remoteJwks" | "staticKeys";
  gatewayStaticKeys?: EkmStackStaticKey[];
  gatewayJwksCacheHours: number;
  gatewayRoute: "all" | "ekmOnly";
  dsmUrl: string;
  dsmAccountId: string;
  dsmGroupName: string;
  dsmManageObjects: boolean;
  dsmAdopt: boolean;
  keys: EkmStackKey[];
  identityDomainUrl: string;
  vaultUrlHost: "privateEndpoint" | "gateway";
  protect: boolean;
  namePrefix: string;
  iamPolicies: boolean;
  iamOperatorsGroup?: string;
  iamIdentityDomainCompartmentId?: string;
  replicaRegion?: string;
  replicaVcnCidr?: string;
  replicaSubnetCidr?: string;
  replicaExistingVcnId?: string;
  replicaExistingSubnetId?: string;
  replicaIdentityDomainUrl?: string;
  replicaIdentityDomainId?: string;
  replicaCertificatePem?: string;
  replicaCertChainPem?: string;
  /** Secret: never a plain string once loaded. */
  replicaPrivateKeyPem?: pulumi.Output<string>;
}

/**
 * Where config values come from: `pulumi.Config` fits. `keys` lists every project key set (without
 * namespace) and `allKeys` every key of the stack with its namespace (`dsm:apiKey`), to catch typos.
 */
export interface EkmConfigSource {
  get(key: string): string | undefined;
  keys?(): string[];
  allKeys?(): string[];
  /** The value of another namespace's key, by full name (`oci:region`). Default: unknown, not checked. */
  foreign?(key: string): string | undefined;
  /** Whether the stack holds `key` (`oci-ekm:` key without its namespace, or a full `dsm:`/`oci:` key) encrypted. Unknown when absent: not checked. */
  isSecret?(key: string): boolean;
}

/** One bad key. */
export interface EkmConfigProblem {
  /** `oci-ekm:<key>`, `oci-ekm:keys[2].name` for one element of a list, or `dsm:<key>`. */
  key: string;
  /** The value given, as text; `[secret]` for secret keys; undefined when not set. */
  given?: string;
  expected: string;
}

/** Thrown by `loadEkmConfig`; the message has one line per bad key. */
export class EkmConfigError extends Error {
  readonly problems: EkmConfigProblem[];
  constructor(problems: EkmConfigProblem[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was created:\n` +
        problems.map((p) => "  " + formatProblem(p)).join("\n"),
    );
    this.name = "EkmConfigError";
    this.problems = problems;
  }
}

function formatProblem(p: EkmConfigProblem): string {
  return p.given === undefined ? `${p.key} is not set; expected ${p.expected}` : `${p.key} is ${p.given}; expected ${p.expected}`;
}

type ParsedConfig = z.output<z.ZodObject<typeof shape>>;

const SECRET_KEYS = new Set(EKM_CONFIG_KEYS.filter((k) => k.secret).map((k) => k.key));

function show(key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (SECRET_KEYS.has(key) || value === OFFLINE_UNDECRYPTED_SECRET) return "[secret]";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? text.slice(0, 117) + "…" : text;
}

function parseRaw(spec: EkmConfigKeySpec, raw: string): unknown {
  switch (spec.kind) {
    case "string":
      return raw;
    case "integer":
      return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    case "boolean":
      return raw === "true" ? true : raw === "false" ? false : raw;
    case "list":
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
  }
}

function pathText(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function secretFix(key: string): string {
  return key.endsWith("Pem") ? `pulumi config set --secret ${key} < ${key === "privateKeyPem" ? "key" : key.replace(/Pem$/, "")}.pem` : `pulumi config set --secret ${key} <value>`;
}

/** The `oci:` stack config the OCI provider reads (its config module's getters). */
export const OCI_CONFIG_KEYS: readonly string[] = Object.keys(ociProviderConfig).map((k) => `oci:${k}`);

/**
 * Other namespaces' keys that hold credentials: set in plain text, the CLI would store them readable
 * in the stack file (and the offline plan would show them).
 */
export const FOREIGN_SECRET_KEYS: readonly string[] = ["dsm:apiKey", "dsm:password", "oci:privateKey", "oci:privateKeyPassword", "oci:tokenExchangeClientSecret"];

type AddProblem = (key: string, shown: string | undefined, expected: string) => void;

/**
 * Keys nothing reads (a typo, most often: a near name is suggested), and credentials of the DSM
 * and OCI providers set in plain text. Values are not shown: an unknown key may be a misspelt secret.
 */
function unknownKeyProblems(source: EkmConfigSource, add: AddProblem): void {
  const known = new Set(EKM_CONFIG_KEYS.map((k) => k.key));
  for (const key of source.keys?.() ?? []) {
    if (known.has(key)) continue;
    const closest = closestName(key, known);
    add(key, "set (value not shown)", closest ? `a known key; did you mean ${EKM_PROJECT}:${closest}?` : "a known key (the README's Stack configuration table lists them)");
  }
  const all = source.allKeys?.() ?? [];
  for (const [namespace, reads, who] of [["dsm:", DSM_CONFIG_KEYS, "the DSM providers"], ["oci:", OCI_CONFIG_KEYS, "the OCI provider"]] as const) {
    for (const key of all.filter((k) => k.startsWith(namespace) && !reads.includes(k))) {
      const closest = closestName(key, reads);
      add(key, "set (value not shown)", closest ? `a key ${who} read${who.endsWith("s") ? "" : "s"}; did you mean ${closest}?` : `a key ${who} read${who.endsWith("s") ? "" : "s"}: ${reads.join(", ")}`);
    }
  }
  for (const key of FOREIGN_SECRET_KEYS.filter((k) => all.includes(k))) {
    if (source.isSecret !== undefined && !source.isSecret(key)) {
      add(key, "set in plain text", `an encrypted value, so that neither the stack file nor the state holds it readable: pulumi config set --secret ${key} <value>`);
    }
  }
}

/** A config source over a plain object (tests, the offline plan): non-strings become JSON, as Pulumi stores them. */
export function ekmConfigFromObject(values: Record<string, unknown>, namespace: string = EKM_PROJECT): EkmConfigSource {
  const strip = (k: string) => (k.startsWith(namespace + ":") ? k.slice(namespace.length + 1) : k);
  const map = new Map<string, string>();
  const foreign = new Map<string, string>();
  const all: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    all.push(k.includes(":") ? k : `${namespace}:${k}`);
    const text = typeof v === "string" ? v : JSON.stringify(v);
    if (k.includes(":") && !k.startsWith(namespace + ":")) foreign.set(k, text);
    else map.set(strip(k), text);
  }
  return { get: (key) => map.get(key), keys: () => [...map.keys()], allKeys: () => all, foreign: (key) => foreign.get(key) };
}

/** `pulumi.runtime.isConfigSecret`: marked internal in the SDK, so looked up rather than assumed. */
function runtimeIsConfigSecret(): ((key: string) => boolean) | undefined {
  const fn = (pulumi.runtime as { isConfigSecret?: unknown }).isConfigSecret;
  return typeof fn === "function" ? (key: string) => Boolean((fn as (k: string) => unknown)(key)) : undefined;
}

/** The stack's own config, with the list of keys set (to report unknown `oci-ekm:` and `dsm:` keys). */
export function ekmConfigFromPulumi(): EkmConfigSource {
  const cfg = new pulumi.Config(EKM_PROJECT);
  const isSecret = runtimeIsConfigSecret();
  return {
    get: (key) => cfg.get(key),
    keys: () =>
      Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith(EKM_PROJECT + ":"))
        .map((k) => k.slice(EKM_PROJECT.length + 1)),
    allKeys: () => Object.keys(pulumi.runtime.allConfig()),
    foreign: (key) => pulumi.runtime.allConfig()[key],
    ...(isSecret === undefined ? {} : { isSecret: (key: string) => isSecret(key.includes(":") ? key : `${EKM_PROJECT}:${key}`) }),
  };
}

/** A valid configuration and what was set but will not be used (one sentence each). */
export interface EkmConfigCheck {
  config: EkmStackConfig;
  warnings: string[];
}

/**
 * Reads and validates the stack configuration without side effects. Throws `EkmConfigError`
 * listing every bad key (one line each); returns the configuration and the warnings about keys
 * that are set but ignored, for a caller (the offline plan) to show.
 */
export function checkEkmConfig(source: EkmConfigSource = ekmConfigFromPulumi()): EkmConfigCheck {
  const raw: Record<string, unknown> = {};
  const problems = new Map<string, { given?: string; expected: string[] }>();
  const add = (key: string, shown: string | undefined, expected: string) => {
    const full = key.includes(":") ? key : `${EKM_PROJECT}:${key}`;
    const p = problems.get(full) ?? { given: shown, expected: [] };
    if (!p.expected.includes(expected)) p.expected.push(expected);
    problems.set(full, p);
  };

  // Secrets the offline plan could not decrypt: present, of unknown content. Only keys the
  // project declares secret are taken so (the components get them as secret Outputs and never
  // read them); any other key's content is checked here and read by the components.
  const unreadable = new Set<string>();
  const invalid = new Set<string>();
  for (const spec of EKM_CONFIG_KEYS) {
    const value = source.get(spec.key);
    if (value === undefined || value === "") continue;
    if (value === OFFLINE_UNDECRYPTED_SECRET) {
      if (spec.secret && spec.kind === "string") {
        unreadable.add(spec.key);
        raw[spec.key] = value;
      } else {
        invalid.add(spec.key);
        add(
          spec.key,
          "[secret] (encrypted, not readable offline)",
          `a value the offline plan can read: ${spec.key} is not a secret key (only ${[...SECRET_KEYS].join(" and ")} are), so its content is checked before anything is created (set it in plain text with pulumi config set ${spec.key} …, or check it with pulumi preview)`,
        );
      }
      continue;
    }
    // The CLI would refuse this for a key the project declares secret; optional keys cannot be
    // declared (see config-keys.ts), so the program refuses it in the CLI's stead.
    if (spec.secret && source.isSecret !== undefined && !source.isSecret(spec.key)) {
      invalid.add(spec.key);
      add(spec.key, "set in plain text", `an encrypted value, so that neither the stack file nor the state holds it readable: ${secretFix(spec.key)}`);
      continue;
    }
    raw[spec.key] = parseRaw(spec, value);
  }

  unknownKeyProblems(source, add);

  // Reported per element, with the index: the schema would call a string element "a non-empty list".
  const listProblems = keyListProblems(raw.keys);
  const stringElements = new Set(listProblems.filter((p) => !p.path.endsWith(".name")).map((p) => p.path));
  for (const p of listProblems) add(p.path, p.given, p.expected);

  const parsed: Record<string, unknown> = {};
  if (listProblems.length > 0) invalid.add("keys");
  for (const [key, keySchema] of Object.entries(shape) as [string, z.ZodType][]) {
    if (unreadable.has(key)) {
      parsed[key] = raw[key];
      continue;
    }
    if (invalid.has(key) && raw[key] === undefined) continue;
    const result = keySchema.safeParse(raw[key]);
    if (result.success) {
      if (result.data !== undefined) parsed[key] = result.data;
      continue;
    }
    invalid.add(key);
    for (const issue of result.error.issues) {
      if (issue.path.length === 0) {
        add(key, show(key, raw[key]), issue.message);
      } else if (!(key === "keys" && stringElements.has(`keys[${String(issue.path[0])}]`))) {
        add(key, show(key, raw[key]), `${key}${pathText(issue.path)} (given ${show(key, valueAt(raw[key], issue.path)) ?? "nothing"}) to be ${issue.message}`);
      }
    }
  }
  const valid = Object.fromEntries(Object.entries(parsed).filter(([k]) => !invalid.has(k))) as Partial<ParsedConfig>;
  for (const [key, expected] of crossKeyProblems({ ...valid, vcnCidrSet: raw.vcnCidr !== undefined })) {
    if (!invalid.has(key)) add(key, show(key, raw[key]), expected);
  }
  for (const [key, expected] of replicaConfigProblems(valid, source.foreign?.("oci:region"))) {
    if (!invalid.has(key)) add(key, show(key, raw[key]), expected);
  }
  if (valid.certificatePem !== undefined && !invalid.has("certChainPem") && !invalid.has("caBundlePem")) {
    for (const f of gatewayCertificateFindings({
      certificatePem: valid.certificatePem,
      ...(valid.privateKeyPem !== undefined && !unreadable.has("privateKeyPem") ? { privateKeyPem: valid.privateKeyPem } : {}),
      ...(valid.certChainPem !== undefined ? { certChainPem: valid.certChainPem } : {}),
      ...(valid.caBundlePem !== undefined ? { caBundlePem: valid.caBundlePem } : {}),
      ...(valid.gatewayHostname !== undefined ? { gatewayHostname: valid.gatewayHostname } : {}),
    })) {
      // Missing chain and CA bundle are reported above, as a key not set.
      if (f.field === "certChainPem" && valid.certChainPem === undefined) continue;
      add(f.field, SECRET_KEYS.has(f.field) ? "[secret]" : (f.given ?? show(f.field, raw[f.field])), f.expected);
    }
  }

  if (problems.size > 0) {
    throw new EkmConfigError([...problems.entries()].map(([key, p]) => ({ key, given: p.given, expected: p.expected.join("; ") })));
  }
  const c = parsed as ParsedConfig;
  const warnings = ignoredKeys({
    set: new Set(Object.keys(raw)),
    existingSubnetId: c.existingSubnetId,
    existingGatewayId: c.existingGatewayId,
    certificatePem: c.certificatePem,
    gatewayTokenValidation: c.gatewayTokenValidation,
    dsmManageObjects: c.dsmManageObjects,
    iamPolicies: c.iamPolicies,
    keysWithSettings: c.keys.some((k) => k.description !== undefined || k.rotationPolicyDays !== undefined || k.rotate !== undefined),
    replicaRegion: c.replicaRegion,
    replicaExistingSubnetId: c.replicaExistingSubnetId,
  }).map((w) => `${EKM_PROJECT}:${w.key} is set but ignored: ${w.because}`);
  warnings.push(...ekmRegionWarnings(c.dsmUrl, [source.foreign ? source.foreign("oci:region") : new pulumi.Config("oci").get("region"), c.replicaRegion]));
  return {
    config: {
      ...c,
      privateKeyPem: c.privateKeyPem === undefined ? undefined : pulumi.secret(c.privateKeyPem),
      replicaPrivateKeyPem: c.replicaPrivateKeyPem === undefined ? undefined : pulumi.secret(c.replicaPrivateKeyPem),
    },
    warnings,
  };
}

/**
 * Reads and validates the stack configuration. Throws `EkmConfigError` listing every bad key
 * (one line each) before the caller registers anything; warns (pulumi.log.warn) about keys that
 * are set but ignored.
 */
export function loadEkmConfig(source: EkmConfigSource = ekmConfigFromPulumi()): EkmStackConfig {
  const { config, warnings } = checkEkmConfig(source);
  for (const w of warnings) void pulumi.log.warn(w);
  return config;
}
