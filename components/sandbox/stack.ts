// The sandbox on the user's own stack: `Pulumi.<stack>.yaml` read as the offline plan reads it, with
// the emulators standing in wherever the config points at a real service. Everything the sandbox
// cannot stand in for is refused here, before a server starts.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { CliUsageError } from "../cli";
import { readPlanStackConfig } from "../plan/stack-config";
import { DEFAULT_DSM_URL } from "../urls";

/** A stack settings file, read for the sandbox. */
export interface SandboxStack {
  /** Stack name (`dev`). */
  name: string;
  /** The settings file (`<project dir>/Pulumi.dev.yaml`). */
  file: string;
  /** Project name, the config namespace (`oci-ekm`). */
  project: string;
  /** Config by full key, structured values as JSON text; encrypted values hold the plan's placeholder. */
  config: Record<string, string>;
  /** Keys holding an encrypted (`secure:`) value. */
  secretKeys: string[];
}

/** What the emulators put in place of the values that point at real services. */
export interface SandboxEmulatorValues {
  identityDomainUrl: string;
  dsmUrl: string;
  /** The emulated Identity Domain's signing keys as API Gateway static keys. */
  staticKeys: readonly { kid: string }[];
}

/** One value the sandbox replaced, as shown to the user (never a secret). */
export interface SandboxOverlay {
  key: string;
  /** The stack's value, `(not set)`, `(default …)` or `[secret]`. */
  from: string;
  /** What the sandbox uses instead. */
  to: string;
}

/** Command-line choices that win over the stack's settings. */
export interface SandboxStackChoices {
  gatewayTokenValidation?: "remoteJwks" | "staticKeys";
  gatewayRoute?: "all" | "ekmOnly";
  /** `--replica`: the replica region, for a stack that has none. */
  replicaRegion?: string;
}

/**
 * Reads `<projectDir>/Pulumi.<stack>.yaml`. A missing file, and a setting the emulators cannot stand
 * in for (an encrypted value they issue no replacement for, an existing gateway or certificate whose
 * private key the config does not hold), is a {@link CliUsageError} naming the file and the keys.
 */
export function readSandboxStack(projectDir: string, stack: string, project = "oci-ekm"): SandboxStack {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) {
    const stacks = readdirSync(projectDir)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined)
      .sort();
    throw new CliUsageError(
      `--stack ${stack}: there is no Pulumi.${stack}.yaml in ${projectDir} (stacks there: ${stacks.length > 0 ? stacks.join(", ") : "none"})`,
    );
  }
  let settings: ReturnType<typeof readPlanStackConfig>;
  try {
    settings = readPlanStackConfig(file, project);
  } catch (err) {
    throw new CliUsageError(`--stack ${stack}: ${(err as Error).message}`);
  }
  const result: SandboxStack = { name: stack, file, project, config: settings.config, secretKeys: settings.secretKeys };
  const problems = sandboxStackProblems(result, settings.undecryptedKeys);
  if (problems.length > 0) {
    throw new CliUsageError(
      `Pulumi.${stack}.yaml cannot run in the sandbox (${problems.length} problem${problems.length === 1 ? "" : "s"}); no server was started:\n` +
        problems.map((p) => `  ${p}`).join("\n"),
    );
  }
  return result;
}

/** Keys whose value the sandbox replaces whatever it is, so an encrypted one is no obstacle. */
function overlaidKey(stack: SandboxStack, key: string): boolean {
  const p = stack.project;
  return key.startsWith("dsm:") || key.startsWith("oci:") || key === `${p}:identityDomainUrl` || key === `${p}:dsmUrl` || key === `${p}:gatewayStaticKeys`;
}

function sandboxStackProblems(stack: SandboxStack, undecryptedKeys: readonly string[]): string[] {
  const p = stack.project;
  const problems: string[] = [];
  for (const key of undecryptedKeys) {
    if (overlaidKey(stack, key)) continue;
    const why =
      key === `${p}:privateKeyPem`
        ? "the emulated gateway serves certificatePem with this key. Run the sandbox on a stack file of its own that sets a test certificate and its key in plain text (the sandbox hands the key to the program as a secret, as pulumi config set --secret would), or none of certificatePem, certChainPem, privateKeyPem (a generated certificate)"
        : "the sandbox has no emulator value to put in its place. Run it on a stack file of its own with a plaintext test value";
    problems.push(`${key} is encrypted (secure:) and cannot be decrypted offline, so it cannot be used here: ${why}`);
  }
  for (const k of ["existingGatewayId", "existingCertificateId"]) {
    const value = stack.config[`${p}:${k}`];
    if (value === undefined || value === "") continue;
    problems.push(
      `${p}:${k} is ${value}; the sandbox cannot stand in for an existing ${k === "existingGatewayId" ? "API gateway" : "certificate"} (the config does not hold its certificate's private key). Run it on a stack file without ${k}`,
    );
  }
  return problems;
}

const describeKeys = (json: string): string => {
  try {
    const keys = JSON.parse(json) as unknown;
    if (Array.isArray(keys)) {
      const kids = keys.map((k) => (k !== null && typeof k === "object" && typeof (k as { kid?: unknown }).kid === "string" ? (k as { kid: string }).kid : "?"));
      return `${keys.length} key${keys.length === 1 ? "" : "s"} (kid ${kids.join(", ")})`;
    }
  } catch {
    // shown as given below
  }
  return json;
};

/**
 * The stack's config with the emulators in place of the real services, and what was replaced. Only
 * keys the stack sets are replaced, except the DSM URL (its default is Fortanix's SaaS) and the
 * static keys the gateway needs to check the emulated domain's tokens; a required key left unset
 * stays unset so that validation reports it as `pulumi up` would.
 */
export function sandboxStackConfig(
  stack: SandboxStack,
  emulators: SandboxEmulatorValues,
  choices: SandboxStackChoices = {},
): { config: Record<string, string>; secretKeys: string[]; overlaid: SandboxOverlay[] } {
  const p = stack.project;
  const config: Record<string, string> = {};
  const overlaid: SandboxOverlay[] = [];
  const secret = new Set(stack.secretKeys);
  // A credential typed in plaintext is still a credential: it is masked like an encrypted one.
  const masked = new Set([...stack.secretKeys, "dsm:apiKey", "dsm:password", "oci:privateKey", "oci:privateKeyPassword", `${p}:privateKeyPem`]);
  const shown = (key: string): string => {
    if (masked.has(key)) return "[secret]";
    const value = stack.config[key];
    return value.includes("-----BEGIN") ? "(PEM)" : value;
  };
  for (const [key, value] of Object.entries(stack.config)) {
    if (key.startsWith("dsm:")) {
      // The dynamic-provider host is configured with the sandbox's own DSM and API key instead.
      const to = key === "dsm:endpoint" ? emulators.dsmUrl : key === "dsm:apiKey" ? "the emulated DSM's API key" : key === "dsm:caBundle" ? "the sandbox CA" : "not used (the sandbox signs in to its DSM with an API key)";
      overlaid.push({ key, from: shown(key), to });
    } else if (key.startsWith("oci:") && secret.has(key)) {
      overlaid.push({ key, from: "[secret]", to: "not used (OCI is emulated)" });
    } else if (key === `${p}:identityDomainUrl`) {
      config[key] = emulators.identityDomainUrl;
      overlaid.push({ key, from: shown(key), to: emulators.identityDomainUrl });
    } else if (key === `${p}:dsmUrl` || key === `${p}:gatewayStaticKeys`) {
      // Set below.
    } else if (key === `${p}:privateKeyPem` && !secret.has(key)) {
      // The program refuses a plaintext key, as it would in a real stack; a test key in a stack file
      // of the sandbox's own is handed over as the CLI hands over an encrypted one.
      config[key] = value;
      secret.add(key);
      overlaid.push({ key, from: "[secret] (in plain text)", to: "the same key, passed to the program as a secret, as pulumi config set --secret stores it" });
    } else if (key === `${p}:dsmManageObjects` && value === "false") {
      config[key] = "true";
      overlaid.push({ key, from: value, to: "true (the emulated DSM starts empty, so the sandbox makes the objects)" });
    } else {
      config[key] = value;
    }
  }
  const dsmUrlKey = `${p}:dsmUrl`;
  config[dsmUrlKey] = emulators.dsmUrl;
  overlaid.push({ key: dsmUrlKey, from: stack.config[dsmUrlKey] === undefined ? `(default ${DEFAULT_DSM_URL})` : shown(dsmUrlKey), to: emulators.dsmUrl });

  for (const [option, name] of [
    ["gatewayTokenValidation", "--gateway-token-validation"],
    ["gatewayRoute", "--gateway-route"],
  ] as const) {
    const chosen = choices[option];
    const key = `${p}:${option}`;
    if (chosen === undefined || chosen === config[key]) continue;
    overlaid.push({ key, from: config[key] ?? "(not set)", to: `${chosen} (${name})` });
    config[key] = chosen;
  }
  const replicaKey = `${p}:replicaRegion`;
  if (choices.replicaRegion !== undefined && config[replicaKey] === undefined) {
    config[replicaKey] = choices.replicaRegion;
    overlaid.push({ key: replicaKey, from: "(not set)", to: `${choices.replicaRegion} (--replica)` });
  }
  const keysKey = `${p}:gatewayStaticKeys`;
  if (config[`${p}:gatewayTokenValidation`] === "staticKeys" || stack.config[keysKey] !== undefined) {
    config[keysKey] = JSON.stringify(emulators.staticKeys);
    const from = stack.config[keysKey] === undefined ? "(not set)" : secret.has(keysKey) ? "[secret]" : describeKeys(stack.config[keysKey]);
    overlaid.push({ key: keysKey, from, to: `the emulated Identity Domain's signing ${describeKeys(JSON.stringify(emulators.staticKeys))}` });
  }
  return { config, secretKeys: [...secret].filter((k) => k in config), overlaid };
}

/** `overlaid: <key> <from> → <to>`, one line per replaced value. */
export function renderSandboxOverlays(overlaid: readonly SandboxOverlay[]): string {
  return overlaid.map((o) => `overlaid: ${o.key} ${o.from} → ${o.to}`).join("\n");
}
