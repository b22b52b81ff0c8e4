import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import tls from "node:tls";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import type { EkmHopClock } from "./hop-clock";
import { emulatorHttpGet, EmulatorHttpServer, readEmulatorRequestBody, sendEmulatorJson } from "./http";

/** The route fields of an `oci.apigateway.Deployment` that the emulated gateway interprets. */
export interface GatewayRouteSpec {
  path: string;
  methods?: string[];
  backend: { type: string; url?: string };
  requestPolicies?: { authorization?: { type?: string; allowedScopes?: string[] } };
}

/** A static JWK as the deployment's `STATIC_KEYS` validation policy lists it. */
export interface GatewayStaticKey {
  format: string;
  kid?: string;
  kty?: string;
  n?: string;
  e?: string;
  alg?: string;
  use?: string;
}

/** The deployment-wide token authentication policy (`TOKEN_AUTHENTICATION`). */
export interface GatewayAuthenticationSpec {
  type: string;
  tokenHeader?: string;
  tokenAuthScheme?: string;
  maxClockSkewInSeconds?: number;
  validationPolicy?: {
    type: string;
    uri?: string;
    keys?: GatewayStaticKey[];
    maxCacheDurationInHours?: number;
    additionalValidationPolicy?: { issuers?: string[]; audiences?: string[] };
  };
}

/** What the stack program registered for the deployment: `pathPrefix` and `specification`. */
export interface GatewayDeploymentSpec {
  pathPrefix: string;
  specification: {
    routes: GatewayRouteSpec[];
    requestPolicies?: { authentication?: GatewayAuthenticationSpec };
  };
}

/** Where a host name of a backend URL really is: the emulator's stand-in for DNS. */
export interface GatewayHostMapping {
  host: string;
  port: number;
}

export interface ApiGatewayEmulatorOptions {
  /** The deployment to serve, exactly as the program registered it. */
  deployment: GatewayDeploymentSpec;
  /** The gateway's certificate and private key (PEM). */
  tls: { certPem: string; keyPem: string };
  /** Backend host resolution, keyed by the URL's `host` (`name` or `name:port`). Default: none (connect as written). */
  resolve?: Record<string, GatewayHostMapping>;
  /** CA bundle trusted for HTTPS backends and for a remote JWKS. Default: Node's roots. */
  trustedCa?: string;
  /** Notes when each request (by its `opc-request-id`) arrived and was answered. Default: not noted. */
  hopClock?: EkmHopClock;
}

/** One request the gateway handled. */
export interface GatewayRequestRecord {
  method: string;
  path: string;
  status: number;
  /** The route path that matched, if any. */
  route?: string;
  /** The backend URL the route template produced, if the request was forwarded. */
  backendUrl?: string;
  /** Why the gateway itself answered (no route, token rejected, backend unreachable). */
  rejected?: string;
}

type RouteMatcher = (path: string) => Record<string, string> | undefined;

const PARAM = /^\{([A-Za-z0-9_]+)(\*)?\}$/;

const HOP_BY_HOP_HEADERS = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"];

/**
 * Compiles an API Gateway route path under a path prefix into a matcher returning the path
 * parameters. `{name}` matches one segment; `{name*}` (last segment only) matches the rest, slashes
 * included, as OCI does for `/{path*}`.
 */
export function compileGatewayRoute(pathPrefix: string, routePath: string): RouteMatcher {
  const prefix = pathPrefix.replace(/\/+$/, "");
  const segments = routePath.split("/").filter((s) => s.length > 0);
  const names: string[] = [];
  let pattern = "";
  segments.forEach((segment, i) => {
    const param = PARAM.exec(segment);
    if (!param) {
      if (segment.includes("{") || segment.includes("}")) {
        throw new Error(`route path "${routePath}": "${segment}" is not a valid path parameter`);
      }
      pattern += "/" + segment.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
      return;
    }
    if (param[2] && i !== segments.length - 1) {
      throw new Error(`route path "${routePath}": the wildcard parameter {${param[1]}*} must be the last segment`);
    }
    names.push(param[1]);
    pattern += param[2] ? "/(.*)" : "/([^/]+)";
  });
  const re = new RegExp("^" + prefix.replace(/[.*+?^$()|[\]\\]/g, "\\$&") + (pattern || "/") + "$");
  return (path) => {
    const m = re.exec(path);
    if (!m) return undefined;
    const params: Record<string, string> = {};
    names.forEach((n, i) => (params[n] = m[i + 1] ?? ""));
    return params;
  };
}

/** Request context the backend URL template may refer to. */
export interface GatewayRequestContext {
  path: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
}

/**
 * Renders an HTTP backend URL template: `${request.path[name]}`, `${request.query[name]}` and
 * `${request.headers[name]}` are API Gateway context variables, substituted per request.
 */
export function renderGatewayBackendUrl(template: string, ctx: GatewayRequestContext): string {
  return template.replace(/\$\{request\.(path|query|headers)\[([^\]]+)\]\}/g, (_all, table: keyof GatewayRequestContext, key: string) => {
    const value = table === "headers" ? ctx.headers[key.toLowerCase()] : ctx[table][key];
    if (value === undefined) throw new Error(`backend url: the request has no ${table} value "${key}"`);
    return value;
  });
}

function scopesOf(payload: JWTPayload): string[] {
  const scope = payload.scope ?? payload.scp;
  if (typeof scope === "string") return scope.split(" ").filter((s) => s.length > 0);
  if (Array.isArray(scope)) return scope.map(String);
  return [];
}

/**
 * An OCI API Gateway deployment on loopback: HTTPS with the deployment's certificate, routing by
 * interpreting the registered route paths and backend URL templates, and, when the deployment
 * asks for it, validating bearer tokens before forwarding (the Azure AD and static-keys API Gateway articles).
 */
export class ApiGatewayEmulator {
  readonly requests: GatewayRequestRecord[] = [];
  private readonly server: EmulatorHttpServer;
  private readonly routes: { spec: GatewayRouteSpec; match: RouteMatcher }[];
  private jwksCache?: { jwks: JSONWebKeySet; until: number };

  constructor(private readonly options: ApiGatewayEmulatorOptions) {
    const { pathPrefix, specification } = options.deployment;
    this.routes = specification.routes.map((spec) => ({ spec, match: compileGatewayRoute(pathPrefix, spec.path) }));
    this.server = new EmulatorHttpServer((req, res) => this.handle(req, res), {
      tls: { cert: options.tls.certPem, key: options.tls.keyPem },
    });
  }

  /** Port the gateway listens on (after `start`). */
  get port(): number {
    return this.server.port;
  }

  /** Starts listening on 127.0.0.1; resolves with the base URL. */
  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private reply(req: http.IncomingMessage, res: http.ServerResponse, status: number, rejected: string, route?: string): void {
    this.requests.push({ method: req.method ?? "GET", path: req.url ?? "/", status, route, rejected });
    if (res.headersSent) return void res.destroy();
    // The gateway's own errors carry OCI's generic body; the reason stays in the request record.
    const message = status === 401 ? "Unauthorized" : status === 403 ? "Forbidden" : status === 404 ? "Not Found" : "Bad Gateway";
    sendEmulatorJson(res, status, { code: status, message });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.options.hopClock?.track("gateway", req.headers, res);
    const url = new URL(req.url ?? "/", "https://gateway.invalid");
    const method = (req.method ?? "GET").toUpperCase();
    let found: { spec: GatewayRouteSpec; params: Record<string, string> } | undefined;
    for (const route of this.routes) {
      const params = route.match(decodeURIComponent(url.pathname));
      const methods = route.spec.methods ?? ["ANY"];
      if (params && (methods.includes("ANY") || methods.includes(method))) {
        found = { spec: route.spec, params };
        break;
      }
    }
    if (!found) return this.reply(req, res, 404, `no route matches ${method} ${url.pathname}`);

    const auth = this.options.deployment.specification.requestPolicies?.authentication;
    if (auth) {
      const verdict = await this.authenticate(req, auth, found.spec);
      if (verdict) return this.reply(req, res, verdict.status, verdict.reason, found.spec.path);
    }
    if (found.spec.backend.type !== "HTTP_BACKEND" || !found.spec.backend.url) {
      return this.reply(req, res, 502, `route ${found.spec.path} has no HTTP backend`, found.spec.path);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    const query = Object.fromEntries(url.searchParams.entries());
    let backendUrl: string;
    try {
      backendUrl = renderGatewayBackendUrl(found.spec.backend.url, { path: found.params, query, headers });
    } catch (err) {
      return this.reply(req, res, 502, (err as Error).message, found.spec.path);
    }
    const body = await readEmulatorRequestBody(req);
    await this.forward(req, res, method, backendUrl, url.search, headers, body, found.spec.path);
  }

  private async authenticate(
    req: http.IncomingMessage,
    auth: GatewayAuthenticationSpec,
    route: GatewayRouteSpec,
  ): Promise<{ status: number; reason: string } | undefined> {
    if (auth.type !== "TOKEN_AUTHENTICATION") return { status: 401, reason: `authentication type ${auth.type} is not emulated` };
    const header = req.headers[(auth.tokenHeader ?? "Authorization").toLowerCase()];
    const scheme = (auth.tokenAuthScheme ?? "Bearer") + " ";
    if (typeof header !== "string" || !header.startsWith(scheme)) return { status: 401, reason: "no bearer token" };
    const policy = auth.validationPolicy;
    if (!policy) return { status: 401, reason: "no validation policy" };
    let jwks: JSONWebKeySet;
    if (policy.type === "STATIC_KEYS") {
      jwks = { keys: (policy.keys ?? []).map(({ format: _format, ...jwk }) => jwk) };
    } else if (policy.type === "REMOTE_JWKS" && policy.uri) {
      jwks = await this.remoteJwks(policy.uri, policy.maxCacheDurationInHours ?? 1);
    } else {
      return { status: 401, reason: `validation policy ${policy.type} is not emulated` };
    }
    let payload: JWTPayload;
    try {
      const extra = policy.additionalValidationPolicy;
      ({ payload } = await jwtVerify(header.slice(scheme.length), createLocalJWKSet(jwks), {
        algorithms: ["RS256"],
        issuer: extra?.issuers,
        audience: extra?.audiences,
        clockTolerance: auth.maxClockSkewInSeconds ?? 0,
      }));
    } catch (err) {
      return { status: 401, reason: `token rejected at the gateway: ${(err as Error).message}` };
    }
    const authorization = route.requestPolicies?.authorization;
    if (authorization?.type === "ANY_OF") {
      const scopes = scopesOf(payload);
      const allowed = authorization.allowedScopes ?? [];
      if (!allowed.some((s) => scopes.includes(s))) {
        return { status: 403, reason: `token scopes [${scopes.join(", ")}] include none of [${allowed.join(", ")}]` };
      }
    }
    return undefined;
  }

  private async remoteJwks(uri: string, cacheHours: number): Promise<JSONWebKeySet> {
    if (this.jwksCache && this.jwksCache.until > Date.now()) return this.jwksCache.jwks;
    const { status, body } = await emulatorHttpGet(uri, { ca: this.options.trustedCa });
    if (status !== 200) throw new Error(`remote JWKS ${uri} answered ${status}`);
    const jwks = JSON.parse(body) as JSONWebKeySet;
    this.jwksCache = { jwks, until: Date.now() + cacheHours * 3_600_000 };
    return jwks;
  }

  private forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
    backendUrl: string,
    search: string,
    headers: Record<string, string>,
    body: Buffer,
    route: string,
  ): Promise<void> {
    const target = new URL(backendUrl);
    if (!target.search && search) target.search = search;
    const mapped = this.options.resolve?.[target.host];
    const client = target.protocol === "https:" ? https : http;
    const outHeaders: Record<string, string> = { ...headers, host: target.host, "content-length": String(body.length) };
    // Hop-by-hop headers describe the client's connection, not the backend's: a forwarded
    // `transfer-encoding: chunked` beside the content-length above is a request the backend must refuse.
    for (const name of HOP_BY_HOP_HEADERS) delete outHeaders[name];
    return new Promise((resolve) => {
      const out = client.request(
        {
          method,
          host: mapped?.host ?? target.hostname,
          port: mapped?.port ?? (target.port || (target.protocol === "https:" ? 443 : 80)),
          path: target.pathname + target.search,
          headers: outHeaders,
          // The backend certificate is checked against the name in the route's URL, not the loopback address.
          servername: isIP(target.hostname) === 0 ? target.hostname : undefined,
          checkServerIdentity: (_host, cert) => tls.checkServerIdentity(target.hostname, cert),
          ca: this.options.trustedCa,
          timeout: 10_000,
        },
        (backendRes) => {
          this.requests.push({ method, path: req.url ?? "/", status: backendRes.statusCode ?? 0, route, backendUrl: target.toString() });
          res.writeHead(backendRes.statusCode ?? 502, backendRes.headers);
          backendRes.pipe(res);
          backendRes.on("end", () => resolve());
        },
      );
      out.on("timeout", () => out.destroy(new Error("backend timed out")));
      out.on("error", (err) => {
        this.reply(req, res, 502, `backend ${target.toString()} unreachable: ${err.message}`, route);
        resolve();
      });
      out.end(body);
    });
  }
}
