// What OCI Vault does with an external vault (the Fortanix EKM guide, section 11): get a token from the Identity
// Domain with the vault's client credentials, then call the external vault URL through the private
// endpoint, trusting only the private endpoint's CA bundle. The calls and their fields are Oracle's
// External KMS vendor API (GetVaultMetadata, GetKeyMetadata, GetKeyVersionMetadata, Encrypt, Decrypt)
// as Oracle's "External KMS Vendor API Reference" lists them, with the fields Thales's CipherTrust
// documentation of the same Oracle API gives.
import { randomUUID } from "node:crypto";
import https from "node:https";
import { checkServerIdentity } from "node:tls";
import type { EkmHopClock } from "../emulators/hop-clock";
import { OciEkmTimeoutError } from "../oci-ekm-budget";
import { ekmHttpRequest, resolveOidcUrl } from "../verify/http";
import { requestClientCredentialsToken } from "../verify/oidc";
import { callKeyManagerInBudget, type EkmCallTiming } from "./oci-ekm-call";

/** Where the emulated VCN's private IPs listen on this machine (`ip` → loopback port). */
export type SandboxNetwork = Record<string, number>;

/** What OCI Vault knows about one external vault: what the program registered for it. */
export interface OciVaultView {
  /** `externalKeyManagerMetadata.externalVaultEndpointUrl`. */
  vaultUrl: string;
  /** `oauthMetadata.idcsAccountNameUrl`. */
  idcsUrl: string;
  clientId: string;
  clientSecret: string;
  /** The fully qualified scope the client app is allowed. */
  scope: string;
  /** The private endpoint's `caBundle`: the only certificate OCI Vault trusts for the vault URL. */
  caBundle: string;
  /** The name the gateway certificate must carry (the gateway FQDN). */
  serverName: string;
}

/** An OCI External Key Manager error answer, with the step that made the call. */
export class OciVaultCallError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what} answered HTTP ${status}: ${OciVaultCallError.describe(status, body)}`);
    this.name = "OciVaultCallError";
  }

  /** Oracle's `{"code", "message"}`; a code that only repeats the status is left out. */
  private static describe(status: number, body: string): string {
    try {
      const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
      const code = parsed.code === undefined || String(parsed.code) === String(status) ? "" : String(parsed.code);
      if (parsed.message !== undefined) return `${code} ${String(parsed.message)}`.trim();
    } catch {
      // not JSON
    }
    return body.slice(0, 300);
  }
}

/** GetVaultMetadata's answer. */
export interface EkmVaultMetadata {
  /** ACTIVE, or BLOCKED when the key manager refuses the vault's key calls. */
  state: string;
  vendor: string;
}

/** GetKeyMetadata's answer: the latest version of a key. */
export interface EkmKeyMetadata {
  keyId: string;
  currentKeyVersionId: string;
  keyShape: { algorithm: string; length: number };
  /** ACTIVE or BLOCKED. */
  state: string;
  keyOps: string[];
}

/** GetKeyVersionMetadata's answer. */
export interface EkmKeyVersionMetadata {
  keyId: string;
  keyVersionId: string;
  state: string;
  keyVersionOps: string[];
}

/** Encrypt's answer, handed back whole to Decrypt (Oracle: "the JSON blob returned … can be passed to … decrypt"). */
export interface EkmCiphertext {
  keyVersionId: string;
  ciphertext: string;
  iv: string;
  tag: string;
  /** The cipher mode, e.g. GCM. */
  mode: string;
  /** The additional authenticated data, when some was given. */
  aad?: string;
}

/** The string fields an answer must carry, read or refused with the call's name. */
function fields<K extends string>(what: string, out: Record<string, unknown>, names: readonly K[]): Record<K, string> {
  const missing = names.filter((n) => typeof out[n] !== "string");
  if (missing.length > 0) throw new Error(`${what} answered without ${missing.join(", ")}: ${JSON.stringify(out).slice(0, 300)}`);
  return Object.fromEntries(names.map((n) => [n, out[n] as string])) as Record<K, string>;
}

function stringList(what: string, out: Record<string, unknown>, name: string): string[] {
  const v = out[name];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new Error(`${what} answered without the list ${name}: ${JSON.stringify(out).slice(0, 300)}`);
  return v as string[];
}

/** The OCI Vault side of the sandbox. */
export class OciVaultClient {
  /** Every call made to the key manager, with the time each attempt took and where it went. */
  readonly calls: EkmCallTiming[] = [];
  private token?: string;
  // OCI Vault trusts the private endpoint's CA bundle and nothing else (no system roots), checks the
  // gateway's name, and keeps its connections to the key manager open between calls.
  private readonly agent: https.Agent;

  constructor(
    private readonly view: OciVaultView,
    private readonly network: SandboxNetwork,
    private readonly identityCa: string,
    /** The hops' clock (the gateway's and DSM's), to tell where a call's time went. Default: none (all of it is the private endpoint's). */
    private readonly hopClock?: EkmHopClock,
  ) {
    this.agent = new https.Agent({
      ca: view.caBundle,
      keepAlive: true,
      checkServerIdentity: (_host, cert) => checkServerIdentity(view.serverName, cert),
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  /** The vault URL as this machine reaches it: the private IP replaced by its loopback port. */
  localVaultUrl(): string {
    const url = new URL(this.view.vaultUrl);
    const port = this.network[url.hostname];
    if (port === undefined) {
      throw new Error(
        `the external vault URL ${this.view.vaultUrl} names ${url.hostname}, where nothing in the VCN listens ` +
          `(known: ${Object.keys(this.network).join(", ")})`,
      );
    }
    if (url.port !== "" && url.port !== "443") throw new Error(`the external vault URL uses port ${url.port}; OCI Vault calls port 443`);
    return `https://127.0.0.1:${port}${url.pathname.replace(/\/+$/, "")}`;
  }

  /** Client-credentials token from the domain, as OCI Vault obtains it. */
  async obtainToken(): Promise<void> {
    const tokenEndpoint = resolveOidcUrl(this.view.idcsUrl, "/oauth2/v1/token");
    const token = await requestClientCredentialsToken(
      { tokenEndpoint, clientId: this.view.clientId, clientSecret: this.view.clientSecret, scope: this.view.scope },
      { caBundle: this.identityCa },
    );
    this.token = token.accessToken;
  }

  /** A vendor API call under OCI's budget (oci-ekm-call.ts): two attempts at most, each with OCI's timeouts. */
  private async call(what: string, method: "GET" | "POST", path: string, body?: unknown): Promise<Record<string, unknown>> {
    if (!this.token) throw new Error("no token: obtainToken() first");
    const request = {
      method,
      url: this.localVaultUrl() + path,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
    let res: { status: number; body: string };
    try {
      res = await callKeyManagerInBudget(what, request, this.agent, { clock: this.hopClock, calls: this.calls });
    } catch (err) {
      // OCI's own timeout keeps its type: the emulated OCI answers it with its timeout response.
      if (err instanceof OciEkmTimeoutError) throw err;
      throw new Error(`${what}: ${(err as Error).message}`);
    }
    if (res.status !== 200) throw new OciVaultCallError(res.status, res.body, what);
    try {
      return JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      throw new Error(`${what} answered 200 with a body that is not JSON`);
    }
  }

  /**
   * The HTTP status of GetVaultMetadata called with `token` instead of the vault's own: to show
   * what the gateway does with a token OCI Vault would never send.
   */
  async vaultMetadataStatusWithToken(token: string): Promise<number> {
    const res = await ekmHttpRequest("vault URL", "GET", this.localVaultUrl() + "/metadata", {
      httpsAgent: this.agent,
      headers: { authorization: `Bearer ${token}`, "opc-request-id": randomUUID() },
      timeoutMs: 10_000,
    });
    return res.status;
  }

  async vaultMetadata(): Promise<EkmVaultMetadata> {
    const what = "GetVaultMetadata";
    return fields(what, await this.call(what, "GET", "/metadata"), ["state", "vendor"] as const);
  }

  async keyMetadata(keyId: string): Promise<EkmKeyMetadata> {
    const what = "GetKeyMetadata";
    const out = await this.call(what, "GET", `/keys/${encodeURIComponent(keyId)}/metadata`);
    const shape = (out.keyShape ?? {}) as Record<string, unknown>;
    if (typeof shape.algorithm !== "string" || typeof shape.length !== "number") {
      throw new Error(`${what} answered without keyShape {algorithm, length}: ${JSON.stringify(out).slice(0, 300)}`);
    }
    return {
      ...fields(what, out, ["keyId", "currentKeyVersionId", "state"] as const),
      keyShape: { algorithm: shape.algorithm, length: shape.length },
      keyOps: stringList(what, out, "keyOps"),
    };
  }

  async keyVersionMetadata(keyId: string, keyVersionId: string): Promise<EkmKeyVersionMetadata> {
    const what = "GetKeyVersionMetadata";
    const out = await this.call(what, "GET", `/keys/${encodeURIComponent(keyId)}/keyVersions/${encodeURIComponent(keyVersionId)}/metadata`);
    return { ...fields(what, out, ["keyId", "keyVersionId", "state"] as const), keyVersionOps: stringList(what, out, "keyVersionOps") };
  }

  /**
   * Encrypt under the key's latest version, or under `keyVersionId` (the vendor API's optional field:
   * what OCI sends when the version is pinned on its side), with optional additional authenticated data.
   */
  async encrypt(keyId: string, plaintext: Buffer, options: { keyVersionId?: string; aad?: Buffer } = {}): Promise<EkmCiphertext> {
    const what = "Encrypt";
    const out = await this.call(what, "POST", `/keys/${encodeURIComponent(keyId)}/encrypt`, {
      plaintext: plaintext.toString("base64"),
      ...(options.keyVersionId === undefined ? {} : { keyVersionId: options.keyVersionId }),
      ...(options.aad === undefined ? {} : { aad: options.aad.toString("base64") }),
    });
    return { ...fields(what, out, ["keyVersionId", "ciphertext", "iv", "tag", "mode"] as const), ...(typeof out.aad === "string" ? { aad: out.aad } : {}) };
  }

  async decrypt(keyId: string, c: EkmCiphertext): Promise<Buffer> {
    const what = "Decrypt";
    const out = await this.call(what, "POST", `/keys/${encodeURIComponent(keyId)}/decrypt`, { ...c });
    return Buffer.from(fields(what, out, ["plaintext"] as const).plaintext, "base64");
  }
}
