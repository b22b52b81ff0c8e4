// verify's access to OCI: Oracle's own TypeScript SDK (oci-keymanagement over oci-common), the client
// OCI users already have, signed with the API key of their OCI config file. Loaded only when a config
// file is there, so `npm run verify` without OCI credentials (and any stack) never loads the SDK.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { createSecureContext, rootCertificates } from "node:tls";
import type { ClientConfiguration } from "oci-common";
import type { EkmOciKeyVersion, EkmOciReader } from "./oci-checks";

/** Where the OCI config file is, as Oracle's SDK looks for it: `~/.oci/config`, then `OCI_CONFIG_FILE`, then `~/.oraclebmc/config`. */
export function ekmOciConfigPath(env: Record<string, string | undefined>, explicit?: string, home: string = homedir(), exists: (p: string) => boolean = existsSync): string | undefined {
  if (explicit !== undefined) return explicit;
  const candidates = [path.join(home, ".oci", "config"), env.OCI_CONFIG_FILE, path.join(home, ".oraclebmc", "config")];
  return candidates.find((p): p is string => p !== undefined && p !== "" && exists(p));
}

/** How verify reaches OCI. */
export interface EkmOciAccessOptions {
  /** The OCI config file. Default: where Oracle's SDK looks ({@link ekmOciConfigPath}). */
  configFile?: string;
  /** Its profile. Default: `DEFAULT`. */
  profile?: string;
  /** Base URL of the KMS control plane (GetVault, GetEkmsPrivateEndpoint). Default: the config's region's (`https://kms.<region>.oraclecloud.com`). */
  kmsEndpoint?: string;
  /** SDK client settings (e.g. to trust a test CA). Default: the SDK's. */
  clientConfiguration?: ClientConfiguration;
}

/** An OCI reader and how to release it. */
export interface EkmOciAccess {
  reader: EkmOciReader;
  /** The config file it signs with. */
  configFile: string;
  close(): void;
}

const date = (d: Date | string | undefined): string | undefined => (d === undefined ? undefined : d instanceof Date ? d.toISOString() : String(d));

/**
 * A reader on Oracle's SDK, signing with the config file's API key. Throws when the config file
 * cannot be read (the SDK's message, which names the file, never the key).
 */
export async function ekmOciReaderFromConfigFile(options: EkmOciAccessOptions & { configFile: string }): Promise<EkmOciAccess> {
  const common = await import("oci-common");
  const km = await import("oci-keymanagement");
  const authenticationDetailsProvider = new common.ConfigFileAuthenticationDetailsProvider(options.configFile, options.profile ?? "DEFAULT");
  const params = { authenticationDetailsProvider };
  const vaults = new km.KmsVaultClient(params, options.clientConfiguration);
  const ekm = new km.EkmClient(params, options.clientConfiguration);
  if (options.kmsEndpoint !== undefined) {
    vaults.endpoint = options.kmsEndpoint;
    ekm.endpoint = options.kmsEndpoint;
  }
  // One management client per vault endpoint: the endpoint is the client's, not the request's.
  const management = new Map<string, InstanceType<typeof km.KmsManagementClient>>();
  const managementFor = (endpoint: string) => {
    let client = management.get(endpoint);
    if (client === undefined) {
      client = new km.KmsManagementClient(params, options.clientConfiguration);
      client.endpoint = endpoint;
      management.set(endpoint, client);
    }
    return client;
  };
  const reader: EkmOciReader = {
    async getVault(vaultId) {
      const { vault } = await vaults.getVault({ vaultId });
      return { lifecycleState: String(vault.lifecycleState), vaultType: vault.vaultType === undefined ? undefined : String(vault.vaultType) };
    },
    async getPrivateEndpoint(ekmsPrivateEndpointId) {
      const { ekmsPrivateEndpoint } = await ekm.getEkmsPrivateEndpoint({ ekmsPrivateEndpointId });
      return { lifecycleState: String(ekmsPrivateEndpoint.lifecycleState) };
    },
    async getKey(endpoint, keyId) {
      const { key } = await managementFor(endpoint).getKey({ keyId });
      return {
        lifecycleState: String(key.lifecycleState),
        currentKeyVersion: key.currentKeyVersion,
        protectionMode: key.protectionMode === undefined ? undefined : String(key.protectionMode),
        externalKeyId: key.externalKeyReferenceDetails?.externalKeyId,
      };
    },
    async listKeyVersions(endpoint, keyId) {
      const out: EkmOciKeyVersion[] = [];
      for await (const v of managementFor(endpoint).listKeyVersionsRecordIterator({ keyId })) {
        out.push({
          id: v.id,
          lifecycleState: String(v.lifecycleState),
          externalKeyVersionId: v.externalKeyReferenceDetails?.externalKeyVersionId,
          timeCreated: date(v.timeCreated),
          timeOfDeletion: date(v.timeOfDeletion),
        });
      }
      return out;
    },
  };
  return {
    reader,
    configFile: options.configFile,
    close: () => {
      for (const c of [vaults, ekm, ...management.values()]) c.close();
    },
  };
}

/** verify's OCI access as the command line and the environment give it: a reader, or why there is none. */
export interface EkmOciAccessChoice {
  access?: EkmOciAccess;
  unavailableReason?: string;
}

/**
 * The OCI reader for `npm run verify`: from `--oci-config`/`--oci-profile`, else the config file where
 * Oracle's SDK finds it. No config file is no error: the OCI checks are skipped with the reason. A
 * config file that cannot be used (missing profile, unreadable key file) is an error naming it.
 */
export async function ekmOciAccessFor(
  env: Record<string, string | undefined>,
  given: { configFile?: string; profile?: string; kmsEndpoint?: string; caBundle?: string },
  home?: string,
): Promise<EkmOciAccessChoice> {
  const configFile = ekmOciConfigPath(env, given.configFile, home);
  if (configFile === undefined) return { unavailableReason: "no OCI credentials (no OCI config file at ~/.oci/config, OCI_CONFIG_FILE or --oci-config)" };
  if (!existsSync(configFile)) throw new Error(`--oci-config ${configFile}: no such file`);
  try {
    // `--ca-bundle` is trusted for every call, OCI's too, on top of the public roots.
    const trust = given.caBundle === undefined ? undefined : ociSdkTrusting([...rootCertificates, given.caBundle]);
    const access = await ekmOciReaderFromConfigFile({ configFile, profile: given.profile, kmsEndpoint: given.kmsEndpoint, clientConfiguration: trust?.clientConfiguration });
    return { access: { ...access, close: () => { access.close(); void trust?.close(); } } };
  } catch (err) {
    throw new Error(`OCI config file ${configFile}${given.profile ? ` (profile ${given.profile})` : ""}: ${(err as Error).message.trim()}`);
  }
}

// How Oracle's TypeScript SDK (oci-keymanagement over oci-common) is made to trust a CA of our choosing
// (the sandbox's, or a corporate one for real OCI), found in the SDK's code and checked against the emulator:
//   - oci-common sends with the global `fetch` (isomorphic-fetch installs node-fetch only where there is
//     none; Node 18+ has its own, undici's), so an `https.Agent` in `httpOptions.agent` (what the
//     SDK itself does for OKE workload identity) is ignored on Node 20: the CA is not trusted;
//   - `NODE_EXTRA_CA_CERTS` is read once at process start, too early for a CA made at run time;
//   - `httpOptions` is passed to `fetch(request, httpOptions)` as is, and Node's fetch takes an undici
//     `dispatcher` there: an undici Agent whose `connect.ca` is the CA is trusted, for that client only;
//   - but with a circuit breaker (on by default) and `httpOptions` both set, oci-common's
//     FetchHttpClient hands the breaker's wrapped result (`{ response }`) on unwrapped, and every call
//     fails with an empty error: the client's circuit breaker is turned off
//     (`disableClientCircuitBreaker`, an option of the SDK's CircuitBreaker).

/** A client configuration for Oracle's SDK that trusts given CAs, and how to release its connections. */
export interface OciSdkTrust {
  /** Give to a client: `new KmsCryptoClient({ authenticationDetailsProvider }, trust.clientConfiguration)`. */
  clientConfiguration: ClientConfiguration;
  /** Closes the kept-alive connections (after the clients' own `close()`). */
  close(): Promise<void>;
}

/**
 * A `ClientConfiguration` under which the SDK's clients trust exactly `caPems` (pass
 * `tls.rootCertificates` among them to keep the public roots), without touching the process's other
 * HTTPS clients. Loads undici and oci-common: call it only when the SDK is used.
 */
export function ociSdkTrusting(caPems: readonly string[]): OciSdkTrust {
  // Loaded here, not at the top: the verify entry must not load the SDK for a run without OCI.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Agent } = require("undici") as typeof import("undici");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CircuitBreaker } = require("oci-common") as typeof import("oci-common");
  // One secure context for every connection: given `ca`, each would parse the public roots again.
  const dispatcher = new Agent({ connect: { secureContext: createSecureContext({ ca: [...caPems] }) } });
  return {
    clientConfiguration: {
      httpOptions: { dispatcher },
      circuitBreaker: new CircuitBreaker({ disableClientCircuitBreaker: true }),
    },
    close: () => dispatcher.close(),
  };
}
