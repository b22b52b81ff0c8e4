// The stack configuration: every `oci-ekm:<key>` the program reads, validated with zod before any
// resource is registered. A bad configuration fails with one line per bad key, naming the key, the
// value given (secrets masked) and what is expected.
import * as ociProviderConfig from "@pulumi/oci/config";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DEFAULT_CA_VALIDITY_DAYS, DEFAULT_CERTIFICATE_RENEW_BEFORE_DAYS, DEFAULT_CERTIFICATE_VALIDITY_DAYS } from "../components/certificate";
import { DEFAULT_VAULT_URL_HOST, VAULT_URL_HOSTS } from "../components/ekm";
import { UUID_PATTERN, ocidPattern } from "../components/problems";
import { DEFAULT_JWKS_CACHE_HOURS, type GatewayJsonWebKeyArgs } from "../components/gateway";
import { DEFAULT_DSM_EGRESS_CIDR, DEFAULT_SUBNET_CIDR, DEFAULT_VCN_CIDR } from "../components/network";
import { DEFAULT_DSM_GROUP_NAME, DEFAULT_DSM_KEY_NAME } from "../components/topology";
import { identityDomainUrlProblem } from "../components/identity-domain-url";
import { OFFLINE_UNDECRYPTED_SECRET } from "../components/offline-secret";
import { gatewayCertificateFindings } from "../components/pem";
import { DEFAULT_DSM_URL } from "../components/urls";
import { closestName, crossKeyProblems, DSM_CONFIG_KEYS, ignoredKeys, ipv4CidrRange, keyListProblems, ociCidrBlockProblem } from "./config-rules";

export { ipv4CidrRange } from "./config-rules";
export { EKM_CONFIG_KEYS, type EkmConfigKeySpec } from "./config-keys";
import { EKM_CONFIG_KEYS, type EkmConfigKeySpec } from "./config-keys";
import { ekmRegionWarnings } from "./config-regions";

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
}

/**
 * Where config values come from: `pulumi.Config` fits. `keys` lists every project key set (without
 * namespace) and `allKeys` every key of the stack with its namespace (`dsm:apiKey`), to catch typos.
 */
export interface EkmConfigSource {
  get(key: string): string | undefined;
  keys?(): string[];
  allKeys?(): string[];
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

const EXPECT = {
  compartmentId: "a compartment (or tenancy) OCID such as ocid1.compartment.oc1..aaaaaaaa…",
  cidr: "an IPv4 CIDR block such as 10.0.1.0/24",
  vcnId: "a VCN OCID (ocid1.vcn.…)",
  subnetId: "a subnet OCID (ocid1.subnet.…)",
  routeTableId: "a route table OCID (ocid1.routetable.…)",
  certificateId: "a certificate OCID (ocid1.certificate.…)",
  gatewayId: "an API Gateway OCID (ocid1.apigateway.…)",
  hostname: "a fully qualified domain name such as ekm-gateway.example.com",
  validityDays: "a whole number of days from 1 to 3650",
  renewBeforeDays: "a whole number of days from 0 to 3649, less than certificateValidityDays",
  caValidityDays: "a whole number of days from 1 to 36500, at least certificateValidityDays",
  gatewayRoute: 'one of "all", "ekmOnly"',
  iamPolicies: "true or false",
  iamOperatorsGroup: "a group name as IAM policies write it, such as ekm-operators or 'Default'/'ekm-operators'",
  certificatePem: "a PEM certificate (-----BEGIN CERTIFICATE----- …)",
  privateKeyPem: "a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)",
  tokenValidation: 'one of "off", "remoteJwks", "staticKeys"',
  staticKeys: "a list of JWKs, each {kid, kty, n, e, alg?, use?}",
  jwksCacheHours: "a whole number of hours from 1 to 24",
  dsmUrl: "an https URL without path, such as https://amer.smartkey.io",
  dsmAccountId: "the DSM account id, a UUID such as 5f2b7e0c-1234-4c8e-9a6d-0123456789ab",
  dsmGroupName: "a group name of 1 to 128 characters",
  keys: "a non-empty list of {name, description?, rotationPolicyDays?, rotate?}",
  keyName: "a security object name of 1 to 128 letters, digits, '.', '_' or '-' starting with a letter or digit",
  keyDescription: "a description of at most 1024 characters",
  rotation: "a whole number of days from 1 to 3650",
  rotate: "any non-empty string of at most 256 characters, such as a date (changing it rotates the key)",
  identityDomainUrl: "the Identity Domain URL, such as https://idcs-0123456789abcdef.identity.oraclecloud.com",
  vaultUrlHost: `one of ${VAULT_URL_HOSTS.map((h) => JSON.stringify(h)).join(", ")}`,
  protect: "true or false",
  dsmManageObjects: "true or false",
  dsmAdopt: "true or false",
  namePrefix: "1 to 30 lowercase letters, digits or '-', starting with a letter",
};

function ocid(type: string, expected: string) {
  return z.string({ error: expected }).regex(ocidPattern(type), expected);
}

const cidr = z.string({ error: EXPECT.cidr }).refine((v) => ipv4CidrRange(v) !== undefined, EXPECT.cidr);

function ociCidr(of: "VCN" | "subnet") {
  return z.string({ error: EXPECT.cidr }).superRefine((v, ctx) => {
    const problem = ociCidrBlockProblem(v, of);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });
}

function httpsOrigin(expected: string) {
  return z.string({ error: expected }).refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === "https:" && !u.username && !u.password && (u.pathname === "/" || u.pathname === "") && !u.search && !u.hash && v.startsWith("https://");
    } catch {
      return false;
    }
  }, expected);
}

const FQDN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const CERT_PEM = /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/;
const KEY_PEM = /^-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----\s*$/;

const KEY_FIELDS = ["name", "description", "rotationPolicyDays", "rotate"] as const;
const JWK_FIELDS = ["kid", "kty", "n", "e", "alg", "use"] as const;

/** An unknown field, with the known one it is most likely a typo of. */
function withNearest(field: string, known: readonly string[]): string {
  const near = closestName(field, known, 2);
  return near === undefined ? field : `${field}, did you mean ${near}?`;
}

const keySchema = z.strictObject(
  {
    name: z.string({ error: EXPECT.keyName }).regex(KEY_NAME, EXPECT.keyName),
    description: z.string({ error: EXPECT.keyDescription }).max(1024, EXPECT.keyDescription).optional(),
    rotationPolicyDays: z.number({ error: EXPECT.rotation }).int(EXPECT.rotation).min(1, EXPECT.rotation).max(3650, EXPECT.rotation).optional(),
    // `pulumi config set --path 'keys[0].rotate' 20261207` stores a number: taken as its text.
    rotate: z
      .union([z.string(), z.number().transform(String)], { error: EXPECT.rotate })
      .pipe(z.string().min(1, EXPECT.rotate).max(256, EXPECT.rotate))
      .optional(),
  },
  {
    error: (iss) =>
      iss.code === "unrecognized_keys" ? `only the fields ${KEY_FIELDS.join(", ")} (unknown: ${iss.keys.map((k) => withNearest(k, KEY_FIELDS)).join(", ")})` : EXPECT.keys,
  },
);

const staticKeySchema = z.strictObject(
  {
    kid: z.string({ error: "kid, the key id" }).min(1, "kid, the key id"),
    kty: z.literal("RSA", { error: 'kty "RSA" (API Gateway static JWKs are RSA keys)' }),
    n: z.string({ error: "n, the base64url modulus" }).regex(/^[A-Za-z0-9_-]+$/, "n, the base64url modulus"),
    e: z.string({ error: "e, the base64url exponent" }).regex(/^[A-Za-z0-9_-]+$/, "e, the base64url exponent"),
    alg: z.string({ error: "alg, a JWS algorithm such as RS256" }).optional(),
    use: z.string({ error: 'use, such as "sig"' }).optional(),
  },
  {
    error: (iss) =>
      iss.code === "unrecognized_keys" ? `only the fields ${JWK_FIELDS.join(", ")} (unknown: ${iss.keys.map((k) => withNearest(k, JWK_FIELDS)).join(", ")})` : EXPECT.staticKeys,
  },
);

/** One schema per key, so every bad key is reported at once. */
const shape = {
  compartmentId: z
    .string({ error: EXPECT.compartmentId })
    .regex(/^ocid1\.(compartment|tenancy)\.[a-z0-9-]+\.[a-z0-9-]*\.[a-z0-9]+$/, EXPECT.compartmentId),
  vcnCidr: ociCidr("VCN").default(DEFAULT_VCN_CIDR),
  subnetCidr: ociCidr("subnet").default(DEFAULT_SUBNET_CIDR),
  existingVcnId: ocid("vcn", EXPECT.vcnId).optional(),
  existingSubnetId: ocid("subnet", EXPECT.subnetId).optional(),
  existingRouteTableId: ocid("routetable", EXPECT.routeTableId).optional(),
  dsmEgressCidr: cidr.default(DEFAULT_DSM_EGRESS_CIDR),
  gatewayHostname: z.string({ error: EXPECT.hostname }).regex(FQDN, EXPECT.hostname),
  certificateValidityDays: z.number({ error: EXPECT.validityDays }).int(EXPECT.validityDays).min(1, EXPECT.validityDays).max(3650, EXPECT.validityDays).default(DEFAULT_CERTIFICATE_VALIDITY_DAYS),
  certificateRenewBeforeDays: z.number({ error: EXPECT.renewBeforeDays }).int(EXPECT.renewBeforeDays).min(0, EXPECT.renewBeforeDays).max(3649, EXPECT.renewBeforeDays).default(DEFAULT_CERTIFICATE_RENEW_BEFORE_DAYS),
  caValidityDays: z.number({ error: EXPECT.caValidityDays }).int(EXPECT.caValidityDays).min(1, EXPECT.caValidityDays).max(36500, EXPECT.caValidityDays).default(DEFAULT_CA_VALIDITY_DAYS),
  certificatePem: z.string({ error: EXPECT.certificatePem }).regex(CERT_PEM, EXPECT.certificatePem).optional(),
  certChainPem: z.string({ error: EXPECT.certificatePem }).regex(CERT_PEM, EXPECT.certificatePem).optional(),
  caBundlePem: z.string({ error: EXPECT.certificatePem }).regex(CERT_PEM, EXPECT.certificatePem).optional(),
  privateKeyPem: z.string({ error: EXPECT.privateKeyPem }).regex(KEY_PEM, EXPECT.privateKeyPem).optional(),
  existingCertificateId: ocid("certificate", EXPECT.certificateId).optional(),
  existingGatewayId: ocid("apigateway", EXPECT.gatewayId).optional(),
  gatewayTokenValidation: z.enum(["off", "remoteJwks", "staticKeys"], { error: EXPECT.tokenValidation }).default("off"),
  gatewayStaticKeys: z.array(staticKeySchema, { error: EXPECT.staticKeys }).min(1, EXPECT.staticKeys).optional(),
  gatewayJwksCacheHours: z.number({ error: EXPECT.jwksCacheHours }).int(EXPECT.jwksCacheHours).min(1, EXPECT.jwksCacheHours).max(24, EXPECT.jwksCacheHours).default(DEFAULT_JWKS_CACHE_HOURS),
  gatewayRoute: z.enum(["all", "ekmOnly"], { error: EXPECT.gatewayRoute }).default("all"),
  dsmUrl: httpsOrigin(EXPECT.dsmUrl).default(DEFAULT_DSM_URL),
  dsmAccountId: z.string({ error: EXPECT.dsmAccountId }).regex(UUID_PATTERN, EXPECT.dsmAccountId),
  dsmGroupName: z.string({ error: EXPECT.dsmGroupName }).min(1, EXPECT.dsmGroupName).max(128, EXPECT.dsmGroupName).default(DEFAULT_DSM_GROUP_NAME),
  keys: z
    .array(keySchema, { error: EXPECT.keys })
    .min(1, EXPECT.keys)
    .default([{ name: DEFAULT_DSM_KEY_NAME }]),
  identityDomainUrl: z.string({ error: EXPECT.identityDomainUrl }).superRefine((v, ctx) => {
    const problem = identityDomainUrlProblem(v);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  }),
  vaultUrlHost: z.enum(VAULT_URL_HOSTS, { error: EXPECT.vaultUrlHost }).default(DEFAULT_VAULT_URL_HOST),
  protect: z.boolean({ error: EXPECT.protect }).default(true),
  dsmManageObjects: z.boolean({ error: EXPECT.dsmManageObjects }).default(true),
  dsmAdopt: z.boolean({ error: EXPECT.dsmAdopt }).default(false),
  namePrefix: z.string({ error: EXPECT.namePrefix }).regex(/^[a-z][a-z0-9-]{0,29}$/, EXPECT.namePrefix).default("oci-ekm"),
  iamPolicies: z.boolean({ error: EXPECT.iamPolicies }).default(false),
  iamOperatorsGroup: z.string({ error: EXPECT.iamOperatorsGroup }).regex(/^('[^']+'\/)?'?[A-Za-z0-9_.@-]+'?$/, EXPECT.iamOperatorsGroup).optional(),
  iamIdentityDomainCompartmentId: z
    .string({ error: EXPECT.compartmentId })
    .regex(/^ocid1\.(compartment|tenancy)\.[a-z0-9-]+\.[a-z0-9-]*\.[a-z0-9]+$/, EXPECT.compartmentId)
    .optional(),
};

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
  const all: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    all.push(k.includes(":") ? k : `${namespace}:${k}`);
    if (k.includes(":") && !k.startsWith(namespace + ":")) continue;
    map.set(strip(k), typeof v === "string" ? v : JSON.stringify(v));
  }
  return { get: (key) => map.get(key), keys: () => [...map.keys()], allKeys: () => all };
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
          `a value the offline plan can read: ${spec.key} is not a secret key (only privateKeyPem is), so its content is checked before anything is created (set it in plain text with pulumi config set ${spec.key} …, or check it with pulumi preview)`,
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
  }).map((w) => `${EKM_PROJECT}:${w.key} is set but ignored: ${w.because}`);
  warnings.push(...ekmRegionWarnings(c.dsmUrl));
  return {
    config: { ...c, privateKeyPem: c.privateKeyPem === undefined ? undefined : pulumi.secret(c.privateKeyPem) },
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
