// What OCI Vault does with an external vault (seed 000 section 11): get a token from the Identity
// Domain with the vault's client credentials, then call the external vault URL through the private
// endpoint, trusting only the private endpoint's CA bundle.
import { randomUUID } from "node:crypto";
import https from "node:https";
import { checkServerIdentity } from "node:tls";
import { ekmHttpRequest, resolveOidcUrl, type EkmHttpResponse } from "../verify/http";
import { requestClientCredentialsToken } from "../verify/oidc";

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
    super(`${what} answered HTTP ${status}: ${OciVaultCallError.describe(body)}`);
    this.name = "OciVaultCallError";
  }

  private static describe(body: string): string {
    try {
      const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
      if (parsed.message !== undefined) return `${String(parsed.code ?? "")} ${String(parsed.message)}`.trim();
    } catch {
      // not JSON
    }
    return body.slice(0, 300);
  }
}

export interface EkmCiphertext {
  keyVersionId: string;
  ciphertext: string;
  iv: string;
  tag: string;
}

/** The OCI Vault side of the sandbox. */
export class OciVaultClient {
  private token?: string;
  // OCI Vault trusts the private endpoint's CA bundle and nothing else (no system roots), checks the
  // gateway's name, and keeps its connections to the key manager open between calls.
  private readonly agent: https.Agent;

  constructor(
    private readonly view: OciVaultView,
    private readonly network: SandboxNetwork,
    private readonly identityCa: string,
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

  private async call(what: string, method: "GET" | "POST", path: string, body?: unknown): Promise<Record<string, unknown>> {
    if (!this.token) throw new Error("no token: obtainToken() first");
    const url = this.localVaultUrl() + path;
    let res: EkmHttpResponse;
    try {
      res = await ekmHttpRequest("vault URL", method, url, {
        httpsAgent: this.agent,
        headers: {
          authorization: `Bearer ${this.token}`,
          "opc-request-id": randomUUID(),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // OCI gives the key manager 1 s to answer; the sandbox allows more for slow CI machines.
        timeoutMs: 10_000,
      });
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`);
    }
    if (res.status !== 200) throw new OciVaultCallError(res.status, res.body, what);
    try {
      return JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      throw new Error(`${what} answered 200 with a body that is not JSON`);
    }
  }

  vaultMetadata(): Promise<Record<string, unknown>> {
    return this.call("GetVaultMetadata", "GET", "/metadata");
  }

  keyMetadata(keyId: string): Promise<Record<string, unknown>> {
    return this.call("GetKeyMetadata", "GET", `/keys/${encodeURIComponent(keyId)}/metadata`);
  }

  async encrypt(keyId: string, plaintext: Buffer): Promise<EkmCiphertext> {
    const out = await this.call("Encrypt", "POST", `/keys/${encodeURIComponent(keyId)}/encrypt`, { plaintext: plaintext.toString("base64") });
    return { keyVersionId: String(out.keyVersionId), ciphertext: String(out.ciphertext), iv: String(out.iv), tag: String(out.tag) };
  }

  async decrypt(keyId: string, c: EkmCiphertext): Promise<Buffer> {
    const out = await this.call("Decrypt", "POST", `/keys/${encodeURIComponent(keyId)}/decrypt`, { ...c });
    return Buffer.from(String(out.plaintext), "base64");
  }
}
