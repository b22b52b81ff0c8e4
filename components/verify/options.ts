// Where verify's input comes from: the stack outputs (`pulumi stack output --json --show-secrets`)
// and the command line of `npm run verify`. The script only prints; parsing lives here to be tested.
import { readFileSync } from "node:fs";
import { CliUsageError, parseCliArgs, type CliOption } from "../cli";
import { parseEkmVerifyUrl } from "./http";
import type { EkmVerificationOptions } from "./run";

/** The stack outputs verify reads (names fixed by the team contract). */
export interface EkmStackOutputs {
  identityDomainUrl?: string;
  clientId?: string;
  clientSecret?: string;
  scope?: string;
  issuer?: string;
  dsmUrl?: string;
  gatewayBaseUrl?: string;
  gatewayHostname?: string;
  vaultUrl?: string;
  keyNames?: string[];
  dsmKeyIds?: string[];
  certificatePem?: string;
  vaultId?: string;
  privateEndpointId?: string;
  managementEndpoint?: string;
  keyReferenceIds?: string[];
  /** With a replica: its region, its resource app's audience and scope. */
  replicaRegion?: string;
  replicaAudience?: string;
  replicaScope?: string;
  /** The vault URL as the replica region calls it (a kept sandbox writes it; a stack has none). */
  replicaVaultUrl?: string;
}

const SECRET_PLACEHOLDER = "[secret]";

function str(outputs: Record<string, unknown>, key: keyof EkmStackOutputs, problems: string[]): string | undefined {
  const value = outputs[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    // The client secret's value is never echoed, whatever its shape.
    problems.push(`${key}: expected a string, got ${key === "clientSecret" ? typeof value : JSON.stringify(value)}`);
    return undefined;
  }
  if (value === SECRET_PLACEHOLDER) {
    problems.push(`${key}: the outputs hold "[secret]": run pulumi stack output --json --show-secrets`);
    return undefined;
  }
  return value;
}

function strList(outputs: Record<string, unknown>, key: keyof EkmStackOutputs, problems: string[]): string[] | undefined {
  const value = outputs[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    problems.push(`${key}: expected a list of strings, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return value as string[];
}

/**
 * Maps the JSON of `pulumi stack output --json --show-secrets` to verification options. Throws an
 * error with one line per unusable output; missing outputs are left for the command line to supply.
 */
export function ekmVerificationOptionsFromOutputs(json: unknown): Partial<EkmVerificationOptions> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error("stack outputs: expected the JSON object printed by `pulumi stack output --json --show-secrets`");
  }
  const o = json as Record<string, unknown>;
  const problems: string[] = [];
  const issuer = str(o, "issuer", problems);
  const options: Partial<EkmVerificationOptions> = {
    domainUrl: str(o, "identityDomainUrl", problems),
    clientId: str(o, "clientId", problems),
    clientSecret: str(o, "clientSecret", problems),
    scope: str(o, "scope", problems),
    issuers: issuer ? [issuer] : undefined,
    dsmUrl: str(o, "dsmUrl", problems),
    gatewayBaseUrl: str(o, "gatewayBaseUrl", problems),
    vaultUrl: str(o, "vaultUrl", problems),
    keyNames: strList(o, "keyNames", problems),
    keyIds: strList(o, "dsmKeyIds", problems),
    // The gateway's certificate is self-signed: trusting it is what lets the vault URL be probed.
    caBundle: str(o, "certificatePem", problems),
    tlsServerName: str(o, "gatewayHostname", problems),
    vaultId: str(o, "vaultId", problems),
    privateEndpointId: str(o, "privateEndpointId", problems),
    managementEndpoint: str(o, "managementEndpoint", problems),
    keyReferenceIds: strList(o, "keyReferenceIds", problems),
  };
  // A stack with a replica also names the replica region's chain (the topology's replica* outputs).
  const replicaRegion = str(o, "replicaRegion", problems);
  const replicaAudience = str(o, "replicaAudience", problems);
  if (replicaRegion !== undefined && replicaAudience !== undefined) {
    const scope = str(o, "replicaScope", problems);
    const vaultUrl = str(o, "replicaVaultUrl", problems);
    options.replica = { region: replicaRegion, gatewayBaseUrl: replicaAudience, ...(scope ? { scope } : {}), ...(vaultUrl ? { vaultUrl } : {}) };
  }
  if (problems.length > 0) throw new Error(`stack outputs:\n  ${problems.join("\n  ")}`);
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<EkmVerificationOptions>;
}

/** What `npm run verify -- …` asked for. */
export interface EkmVerifyCommand {
  /** Print the usage and exit. */
  help: boolean;
  /** Print the report as JSON on standard output instead of the text (`--json -`). */
  json: boolean;
  /** Also write the report as JSON to this file (`--json FILE`). Default: none. */
  jsonFile?: string;
  /** Options so far (DSM access is added by the caller from the DSM_* environment). */
  options: Partial<EkmVerificationOptions>;
  /** The OCI config file and profile asked for (`--oci-config`, `--oci-profile`). Default: where Oracle's SDK looks. */
  oci: { configFile?: string; profile?: string; kmsEndpoint?: string };
}

/** Usage text of `npm run verify`. */
export const EKM_VERIFY_USAGE = `Usage: npm run verify -- [options]

Walks the chain OCI Vault uses (Identity Domain token → DSM token checks → DSM app and keys →
vault URL) and prints one line per check. Exit status 0 when every check that ran passed, 1 when a
check failed, 2 for a mistake in the command line (reported before any request).

  --outputs FILE          JSON of \`pulumi stack output --json --show-secrets\` (flags below override it);
                          - reads it from standard input:
                          pulumi stack output --json --show-secrets | npm run verify -- --outputs -
  --domain-url URL        Identity Domain URL (or any OIDC issuer base URL)
  --client-id ID          client app's client ID (= DSM app name)
  --client-secret SECRET  client app's secret (or set EKM_CLIENT_SECRET)
  --scope FQS             fully qualified scope, e.g. https://10.0.1.10/oci_ekms
  --issuer ISS            issuer DSM accepts (repeatable; default https://identity.oraclecloud.com/)
  --dsm-url URL           DSM URL that must be a token audience, e.g. https://amer.smartkey.io
  --gateway-url URL       gateway base URL that must be a token audience, e.g. https://10.0.1.10/
  --replica-vault-url URL
                          the vault URL as the replica region calls it, probed with GetKeyMetadata
                          (with a replica's outputs, from which the replica-… checks run)
  --vault-url URL         external vault URL, probed with GetKeyMetadata when reachable
  --key-name NAME         DSM security object name (repeatable)
  --key-id KID            DSM kid of the key of the same position (repeatable; recognises a renamed
                          or rotated key)
  --ca-bundle FILE        PEM certificates to trust in addition to the system roots, for every call
                          (DSM too, unless DSM_CA_BUNDLE is set)
  --tls-server-name NAME  name the vault URL's certificate must carry (the gateway hostname)
  --oci-config FILE       OCI config file for the OCI checks (default: where Oracle's SDK looks,
                          ~/.oci/config, then OCI_CONFIG_FILE)
  --oci-profile NAME      its profile (default DEFAULT)
  --oci-kms-endpoint URL  OCI's KMS API for GetVault and the private endpoint (default: the config
                          region's, https://kms.<region>.oraclecloud.com; a kept sandbox's otherwise)
  --json FILE             also write the report as JSON to FILE; - prints JSON instead of the text
  --help, -h              this text

DSM checks run when DSM credentials are set: DSM_ENDPOINT (default: the DSM URL) and DSM_API_KEY,
or DSM_USERNAME, DSM_PASSWORD and DSM_ACCT_ID. OCI checks (vault, private endpoint, key references,
each key's current version against DSM's) run when an OCI config file is found and the outputs name
the vault (vaultId, privateEndpointId, managementEndpoint, keyReferenceIds). Every URL must be
https:// (http:// only on loopback).
Secrets and tokens are never printed.`;

const VALUE: CliOption = { value: true };
const LIST: CliOption = { value: true, repeatable: true };

/** The options of `npm run verify`, as {@link parseCliArgs} reads them. */
export const EKM_VERIFY_OPTIONS: Readonly<Record<string, CliOption>> = {
  outputs: VALUE,
  "domain-url": VALUE,
  "client-id": VALUE,
  "client-secret": VALUE,
  scope: VALUE,
  issuer: LIST,
  "dsm-url": VALUE,
  "gateway-url": VALUE,
  "replica-vault-url": VALUE,
  "vault-url": VALUE,
  "key-name": LIST,
  "key-id": LIST,
  "ca-bundle": VALUE,
  "tls-server-name": VALUE,
  "oci-config": VALUE,
  "oci-profile": VALUE,
  "oci-kms-endpoint": VALUE,
  json: VALUE,
};

const PIPE_HINT = "pulumi stack output --json --show-secrets | npm run verify -- --outputs -";

function readOutputs(source: string, readFile: (path: string) => string, readStdin: () => string): unknown {
  const stdin = source === "-";
  let text: string;
  try {
    text = stdin ? readStdin() : readFile(source);
  } catch (err) {
    if (err instanceof CliUsageError) throw err;
    throw new CliUsageError(`--outputs ${source}: ${stdin ? "cannot read standard input: " : ""}${(err as Error).message}`);
  }
  if (stdin && text.trim() === "") throw new CliUsageError(`--outputs -: standard input is empty; pipe the stack outputs in: ${PIPE_HINT}`);
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON.parse's message: V8 quotes the text around the error, which may be the client secret.
    throw new CliUsageError(
      stdin
        ? `--outputs -: standard input is not valid JSON; pipe the stack outputs in: ${PIPE_HINT}`
        : `--outputs ${source}: not valid JSON (save the output of pulumi stack output --json --show-secrets)`,
    );
  }
}

/**
 * Reads standard input whole, refusing a terminal: \`--outputs -\` typed without a pipe would
 * otherwise wait silently for input.
 */
export function readEkmVerifyStdin(): string {
  if (process.stdin.isTTY) throw new CliUsageError(`--outputs -: standard input is a terminal; pipe the stack outputs in: ${PIPE_HINT}`);
  return readFileSync(0, "utf8");
}

/**
 * Parses \`npm run verify\` arguments with the shared command-line habits (\`--flag value\` or
 * \`--flag=value\`, \`--help\`). \`readFile\` reads \`--outputs\` and \`--ca-bundle\` files, \`readStdin\`
 * \`--outputs -\`; \`env\` supplies EKM_CLIENT_SECRET. Command-line values override the outputs; a
 * repeated flag replaces the outputs' list. Every mistake is a {@link CliUsageError} naming the option.
 */
export function parseEkmVerifyArgs(
  argv: string[],
  readFile: (path: string) => string,
  env: Record<string, string | undefined> = {},
  readStdin: () => string = readEkmVerifyStdin,
): EkmVerifyCommand {
  const args = parseCliArgs(argv, EKM_VERIFY_OPTIONS);
  if (args.help) return { help: true, json: false, options: {}, oci: {} };
  const one = (name: string): string | undefined => {
    const v = args.values[name];
    return typeof v === "string" ? v : undefined;
  };
  const many = (name: string): string[] | undefined => args.lists[name];

  let options: Partial<EkmVerificationOptions> = {};
  // A kept sandbox's outputs name its emulated KMS control plane (`ociKmsEndpoint`); a stack's never do.
  let outputsKmsEndpoint: string | undefined;
  const outputs = one("outputs");
  if (outputs !== undefined) {
    try {
      const json = readOutputs(outputs, readFile, readStdin);
      options = ekmVerificationOptionsFromOutputs(json);
      const named = (json as Record<string, unknown>).ociKmsEndpoint;
      if (typeof named === "string") outputsKmsEndpoint = named;
    } catch (err) {
      if (err instanceof CliUsageError) throw err;
      throw new CliUsageError(`--outputs ${outputs}: ${(err as Error).message}`);
    }
  }
  const caFile = one("ca-bundle");
  const set: Partial<EkmVerificationOptions> = {
    domainUrl: one("domain-url"),
    clientId: one("client-id"),
    clientSecret: one("client-secret") ?? (options.clientSecret === undefined ? env.EKM_CLIENT_SECRET : undefined),
    scope: one("scope"),
    issuers: many("issuer"),
    dsmUrl: one("dsm-url"),
    gatewayBaseUrl: one("gateway-url"),
    vaultUrl: one("vault-url"),
    keyNames: many("key-name"),
    keyIds: many("key-id"),
    tlsServerName: one("tls-server-name"),
  };
  if (caFile !== undefined) {
    try {
      set.caBundle = readFile(caFile);
    } catch (err) {
      throw new CliUsageError(`--ca-bundle ${caFile}: ${(err as Error).message}`);
    }
    if (!set.caBundle.includes("-----BEGIN CERTIFICATE-----")) throw new CliUsageError(`--ca-bundle ${caFile}: no PEM certificate in the file`);
  }
  for (const [k, v] of Object.entries(set)) if (v !== undefined) (options as Record<string, unknown>)[k] = v;
  const replicaVaultUrl = one("replica-vault-url");
  if (replicaVaultUrl !== undefined) {
    if (!options.replica) throw new CliUsageError("--replica-vault-url needs a replica's stack outputs (--outputs with replicaRegion and replicaAudience)");
    options.replica = { ...options.replica, vaultUrl: replicaVaultUrl };
  }
  const json = one("json");
  const kmsEndpoint = one("oci-kms-endpoint") ?? outputsKmsEndpoint;
  if (kmsEndpoint !== undefined) {
    try {
      parseEkmVerifyUrl("--oci-kms-endpoint", kmsEndpoint);
    } catch (err) {
      throw new CliUsageError((err as Error).message);
    }
  }
  const oci = {
    ...(one("oci-config") !== undefined ? { configFile: one("oci-config") } : {}),
    ...(one("oci-profile") !== undefined ? { profile: one("oci-profile") } : {}),
    ...(kmsEndpoint !== undefined ? { kmsEndpoint } : {}),
  };
  return { help: false, json: json === "-", ...(json !== undefined && json !== "-" ? { jsonFile: json } : {}), options, oci };
}
