// An emulated OCI Key Management service (Vault) for external vaults, on loopback over HTTPS, for Oracle's
// own TypeScript SDK (oci-keymanagement) to call: the subset applications and a verifier use.
//
// One listener serves three kinds of endpoint, told apart by the first path segment (at OCI they are
// different host names, which loopback cannot give without name resolution of its own):
//   - `<url>`: the KMS control plane (`https://kms.<region>.oraclecloud.com`): GetVault,
//     GetEkmsPrivateEndpoint;
//   - `<url>/<label>-management`: a vault's `managementEndpoint`: GetKey, ListKeyVersions,
//     GetKeyVersion, CreateKeyVersion;
//   - `<url>/<label>-crypto`: a vault's `cryptoEndpoint`: Encrypt, Decrypt.
// The SDK composes `endpoint + /20180608/…`, so a path prefix in an endpoint is carried as is.
//
// Every request must carry a valid OCI request signature of a registered API key (oci-kms-signature.ts);
// every answer carries `opc-request-id`; errors are OCI's `{"code", "message"}`.
import { createHash, randomBytes } from "node:crypto";
import type * as http from "node:http";
import { EmulatorHttpError, EmulatorHttpServer, parseEmulatorJsonBody, readEmulatorRequestBody, sendEmulatorJson } from "./http";
import {
  OciKmsError,
  bodyObject,
  notFound,
  type ExternalKeyManager,
  type OciCreateEkmsPrivateEndpointDetails,
  type OciCreateKeyDetails,
  type OciCreateVaultDetails,
  type OciEkmsPrivateEndpointJson,
  type OciExternalKeyVersionReference,
  type OciKeyJson,
  type OciKeyVersionJson,
  type OciKeyVersionSummaryJson,
  type OciVaultJson,
} from "./oci-kms-models";
import { OciKmsService, type ListKeyVersionsQuery, type OciKmsVault, type OciVaultReplicaDetails } from "./oci-kms-service";
import { OCI_NOT_AUTHENTICATED_MESSAGE, OCI_SIGNATURE_MAX_SKEW_MS, OciApiKeyRegistry, OciSignatureError, verifyOciRequestSignature } from "./oci-kms-signature";
import { createTestCertificateAuthority, freshRsaKey, issueServerCertificate, type PemKeyPair, type RsaKeyMaker } from "./tls";

/** The API version prefix of every Key Management path. */
const API = "20180608";

/** Options of {@link OciKmsEmulator}. */
export interface OciKmsEmulatorOptions {
  /** Region identifier used in OCIDs. Default: eu-frankfurt-1. */
  region?: string;
  /** The CA that issues the listener's certificate (for 127.0.0.1 and localhost). Default: a new test CA. */
  ca?: PemKeyPair;
  /** The server's clock (ms since the epoch), against which signed dates are checked. Default: Date.now. */
  now?: () => number;
  /** How far a signed date may be from the clock. Default: 5 minutes, as at OCI. */
  maxClockSkewMs?: number;
  /** Where the keys of its listener's certificate (and of its CA, when `ca` is not given) come from. Default: new keys. */
  rsaKeys?: RsaKeyMaker;
}

/** One request the emulator answered. */
export interface OciKmsRequestRecord {
  method: string;
  /** Path and query as received. */
  path: string;
  status: number;
  /** OCI's error code, for an error answer. */
  code?: string;
  /** The signature keyId of an authenticated request. */
  keyId?: string;
  /** Why the signature was refused (the client is only told NotAuthenticated). */
  refused?: string;
  opcRequestId: string;
}

interface RouteAnswer {
  body: unknown;
  headers?: Record<string, string>;
}

/** An entity tag for an answer, as OCI sends with single resources. */
function etagOf(body: unknown): Record<string, string> {
  return { etag: createHash("sha256").update(JSON.stringify(body)).digest("hex").slice(0, 32) };
}

/** OCI echoes the client's `opc-request-id` and appends its own parts. */
function responseRequestId(clientId: string | string[] | undefined): string {
  const own = `${randomBytes(16).toString("hex").toUpperCase()}/${randomBytes(16).toString("hex").toUpperCase()}`;
  const given = Array.isArray(clientId) ? clientId[0] : clientId;
  return given ? `${given}/${own}` : own;
}

/** The emulated OCI Key Management service. `start()` before creating vaults (their endpoints name the port). */
export class OciKmsEmulator {
  /** The CA that issued the listener's certificate: what a client must trust. */
  readonly ca: PemKeyPair;
  /** API public keys whose signatures are accepted. */
  readonly apiKeys = new OciApiKeyRegistry();
  /** The state and operations, without HTTP. */
  readonly service: OciKmsService;
  /** Every request answered, in order. */
  readonly requests: OciKmsRequestRecord[] = [];
  private readonly server: EmulatorHttpServer;
  private readonly now: () => number;

  constructor(private readonly options: OciKmsEmulatorOptions = {}) {
    const keys = options.rsaKeys ?? freshRsaKey;
    this.ca = options.ca ?? createTestCertificateAuthority("oci-ekm emulated OCI KMS CA", keys);
    this.now = options.now ?? Date.now;
    const tls = issueServerCertificate(this.ca, { commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"], dnsNames: ["localhost"] }, keys);
    this.server = new EmulatorHttpServer((req, res) => this.handle(req, res), { tls: { cert: tls.certPem, key: tls.keyPem } });
    this.service = new OciKmsService({ region: options.region ?? "eu-frankfurt-1", baseUrl: () => this.server.url, now: this.now });
  }

  /** Starts listening on 127.0.0.1 (random port); resolves with {@link url}. */
  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** The control plane's endpoint (for `KmsVaultClient` and `EkmClient`): `https://127.0.0.1:<port>`. */
  get url(): string {
    return this.server.url;
  }

  /** The PEM a client must trust: the CA of the listener's certificate. */
  get caCertPem(): string {
    return this.ca.certPem;
  }

  /** Registers a user's API public key; returns the keyId (`<tenancy>/<user>/<fingerprint>`) its signatures carry. */
  registerApiKey(tenancy: string, user: string, publicKeyPem: string): string {
    return this.apiKeys.register(tenancy, user, publicKeyPem);
  }

  /** What `oci.kms.EkmsPrivateEndpoint` creates (ACTIVE at once). */
  createEkmsPrivateEndpoint(details: OciCreateEkmsPrivateEndpointDetails, privateEndpointIp?: string): OciEkmsPrivateEndpointJson {
    return this.service.createEkmsPrivateEndpoint(details, privateEndpointIp);
  }

  /** What `oci.kms.Vault` with `vaultType: "EXTERNAL"` creates; `keyManager` is what its URL reaches. */
  createVault(details: OciCreateVaultDetails, keyManager: ExternalKeyManager): Promise<OciVaultJson> {
    return this.service.createVault(details, keyManager);
  }

  /** What `oci.kms.Key` (a key reference) creates on the vault's `managementEndpoint`. */
  createKey(managementEndpoint: string, details: OciCreateKeyDetails): Promise<OciKeyJson> {
    return this.service.createKey(managementEndpoint, details);
  }

  /** What `oci.kms.KeyVersion` creates: CreateKeyVersion with `{ externalKeyVersionId? }`. */
  createKeyVersion(managementEndpoint: string, keyId: string, details: OciExternalKeyVersionReference = {}): Promise<OciKeyVersionJson> {
    return this.service.createKeyVersion(this.service.vaultOfManagementEndpoint(managementEndpoint), keyId, details);
  }

  /** What `oci.kms.VaultVerification` (the vault's replication) creates; `keyManager` is what the replica region reaches. */
  replicateVault(vaultId: string, details: OciVaultReplicaDetails, keyManager: ExternalKeyManager): Promise<OciVaultJson> {
    return this.service.replicateVault(vaultId, details, keyManager);
  }

  getVault(vaultId: string): OciVaultJson {
    return this.service.getVault(vaultId);
  }

  getKey(managementEndpoint: string, keyId: string): OciKeyJson {
    return this.service.getKey(this.service.vaultOfManagementEndpoint(managementEndpoint), keyId);
  }

  /** The key's versions in the order they were created (ListKeyVersions itself lists newest first). */
  listKeyVersions(managementEndpoint: string, keyId: string): OciKeyVersionSummaryJson[] {
    return this.service.listKeyVersions(this.service.vaultOfManagementEndpoint(managementEndpoint), keyId, { sortOrder: "ASC" }).items;
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP
  // ---------------------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const target = req.url ?? "/";
    const record: OciKmsRequestRecord = { method, path: target, status: 0, opcRequestId: responseRequestId(req.headers["opc-request-id"]) };
    this.requests.push(record);
    let status = 200;
    let answer: RouteAnswer;
    try {
      const raw = await readEmulatorRequestBody(req);
      record.keyId = this.authenticate(method, target, req.headers, raw, record);
      answer = await this.route(method, new URL(target, "https://emulator.invalid"), raw, req.headers);
    } catch (err) {
      const e = toOciError(err);
      status = e.status;
      record.code = e.code;
      answer = { body: { code: e.code, message: e.message } };
    }
    record.status = status;
    sendEmulatorJson(res, status, answer.body, { ...answer.headers, "opc-request-id": record.opcRequestId });
  }

  private authenticate(method: string, target: string, headers: http.IncomingHttpHeaders, body: Buffer, record: OciKmsRequestRecord): string {
    try {
      return verifyOciRequestSignature(
        { method, target, headers, body },
        {
          keys: this.apiKeys,
          now: this.now(),
          maxSkewMs: this.options.maxClockSkewMs ?? OCI_SIGNATURE_MAX_SKEW_MS,
          hosts: [`127.0.0.1:${this.server.port}`, `localhost:${this.server.port}`],
        },
      );
    } catch (err) {
      if (!(err instanceof OciSignatureError)) throw err;
      record.refused = err.message;
      throw new OciKmsError(401, "NotAuthenticated", OCI_NOT_AUTHENTICATED_MESSAGE);
    }
  }

  private async route(method: string, url: URL, raw: Buffer, headers: http.IncomingHttpHeaders): Promise<RouteAnswer> {
    let segments: string[];
    try {
      segments = url.pathname.split("/").slice(1).map(decodeURIComponent);
    } catch {
      throw new OciKmsError(400, "InvalidParameter", `The path ${url.pathname} is not valid`);
    }
    const noRoute = new OciKmsError(404, "NotFound", `There is no operation ${method} ${url.pathname}`);
    if (segments[0] === API) return this.controlPlane(method, segments.slice(1), noRoute);
    const endpoint = /^(.+)-(management|crypto)$/.exec(segments[0] ?? "");
    if (!endpoint || segments[1] !== API) throw noRoute;
    const vault = this.service.vaultLabelled(endpoint[1]);
    if (!vault) throw notFound("vault endpoint", `/${segments[0]}`);
    const rest = segments.slice(2);
    if (endpoint[2] === "crypto") return this.crypto(vault, method, rest, raw, noRoute);
    return this.management(vault, method, rest, url.searchParams, raw, headers, noRoute);
  }

  private controlPlane(method: string, rest: string[], noRoute: OciKmsError): RouteAnswer {
    if (method !== "GET" || rest.length !== 2) throw noRoute;
    if (rest[0] === "vaults") return single(this.service.getVault(rest[1]));
    if (rest[0] === "ekmsPrivateEndpoints") return single(this.service.getEkmsPrivateEndpoint(rest[1]));
    throw noRoute;
  }

  private async management(
    vault: OciKmsVault,
    method: string,
    rest: string[],
    query: URLSearchParams,
    raw: Buffer,
    headers: http.IncomingHttpHeaders,
    noRoute: OciKmsError,
  ): Promise<RouteAnswer> {
    if (rest[0] !== "keys" || rest.length < 2) throw noRoute;
    const keyId = rest[1];
    if (rest.length === 2 && method === "GET") return single(this.service.getKey(vault, keyId));
    if (rest[2] !== "keyVersions") throw noRoute;
    if (rest.length === 4 && method === "GET") return single(this.service.getKeyVersion(vault, keyId, rest[3]));
    if (rest.length !== 3) throw noRoute;
    if (method === "GET") {
      const list = this.service.listKeyVersions(vault, keyId, listQuery(query));
      return { body: list.items, headers: list.nextPage === undefined ? {} : { "opc-next-page": list.nextPage } };
    }
    if (method === "POST") {
      const retryToken = headers["opc-retry-token"];
      const details = bodyObject(parseEmulatorJsonBody(raw)) as OciExternalKeyVersionReference;
      return single(await this.service.createKeyVersion(vault, keyId, details, typeof retryToken === "string" ? retryToken : undefined));
    }
    throw noRoute;
  }

  private async crypto(vault: OciKmsVault, method: string, rest: string[], raw: Buffer, noRoute: OciKmsError): Promise<RouteAnswer> {
    if (method !== "POST" || rest.length !== 1) throw noRoute;
    if (rest[0] === "encrypt") return { body: await this.service.encrypt(vault, bodyObject(parseEmulatorJsonBody(raw))) };
    if (rest[0] === "decrypt") return { body: await this.service.decrypt(vault, bodyObject(parseEmulatorJsonBody(raw))) };
    throw noRoute;
  }
}

function single(body: unknown): RouteAnswer {
  return { body, headers: etagOf(body) };
}

function listQuery(query: URLSearchParams): ListKeyVersionsQuery {
  const limit = query.get("limit");
  return {
    ...(limit === null ? {} : { limit: Number(limit) }),
    ...(query.get("page") === null ? {} : { page: query.get("page")! }),
    ...(query.get("sortBy") === null ? {} : { sortBy: query.get("sortBy")! }),
    ...(query.get("sortOrder") === null ? {} : { sortOrder: query.get("sortOrder")! }),
  };
}

/** Any failure as OCI's answer: the service's own errors as they are, the HTTP helpers' as OCI names them. */
function toOciError(err: unknown): OciKmsError {
  if (err instanceof OciKmsError) return err;
  if (err instanceof EmulatorHttpError) {
    const code = err.status === 413 ? "RequestEntityTooLarge" : err.status === 400 ? "InvalidParameter" : "InternalServerError";
    return new OciKmsError(err.status, code, err.message);
  }
  return new OciKmsError(500, "InternalServerError", `emulator error: ${err instanceof Error ? err.message : String(err)}`);
}
