// The whole walk of the Fortanix EKM guide, section 11, in chain order: the Identity Domain (discovery, signing
// keys, token), DSM's token checks, DSM's app and keys, then the vault URL as OCI Vault calls it.
import { describeFailure, networkFix } from "./failures";
import { replicaChecks, type EkmReplicaVerificationOptions } from "./replica";
import { decodeJwt, type JSONWebKeySet } from "jose";
import { ekmCheckFailed, ekmCheckPassed, ekmCheckSkipped, type EkmCheckResult } from "./checks";
import { runDsmChecks, type EkmDsmReader } from "./dsm-checks";
import { probeEkmKeyMetadata } from "./ekm-probe";
import { runOciChecks, type EkmOciReader } from "./oci-checks";
import { isDsmApiError } from "../dsm/client";
import { ekmTlsFix, ekmTlsKind, parseEkmVerifyUrl, type EkmHttpOptions } from "./http";
import {
  EkmHttpStatusError,
  OAuthTokenError,
  fetchOidcJwks,
  fetchOidcDiscovery,
  requestClientCredentialsToken,
  type OidcDiscovery,
} from "./oidc";
import { identityIssuerForms } from "../urls";
import { renderEkmCallTimes, timedEkmCall, type EkmCallTime } from "./timing";
import { EKM_SCOPE, EKM_TOKEN_CHECK_NAMES, IDENTITY_DOMAIN_ISSUER, verifyEkmToken } from "./token";

/** What to verify: the values a deployed stack outputs (see {@link ekmVerificationOptionsFromOutputs}). */
export interface EkmVerificationOptions {
  /** Identity Domain URL (`https://idcs-<id>.identity.oraclecloud.com`), or any OIDC issuer base URL. */
  domainUrl: string;
  /** The client app's client ID (= the DSM app's name). */
  clientId: string;
  /** The client app's secret. Never printed. */
  clientSecret: string;
  /** The fully qualified scope the client requests, e.g. `https://10.0.1.10/oci_ekms`. */
  scope: string;
  /** Issuers DSM's JWT app should accept. Default: [`https://identity.oraclecloud.com/`]. */
  issuers?: string[];
  /** The DSM URL, which must be a token audience. */
  dsmUrl: string;
  /** The gateway base URL `https://<private IP>/`, which must be a token audience. Default: not checked. */
  gatewayBaseUrl?: string;
  /** The external vault URL, probed with GetKeyMetadata when reachable. Default: not probed. */
  vaultUrl?: string;
  /** DSM security object names. Default: none (no key checks). */
  keyNames?: string[];
  /** DSM kids of the keys (stack output `dsmKeyIds`), to recognise a renamed key. Default: none. */
  keyIds?: string[];
  /** Scope value the token must carry. Default: `oci_ekms`. */
  requiredScope?: string;
  /** Extra CA certificates (PEM) trusted for every call (e.g. the gateway certificate). Default: system roots. */
  caBundle?: string;
  /** Name the vault URL's certificate must carry when the URL uses an IP (stack output `gatewayHostname`). Default: the URL host. */
  tlsServerName?: string;
  /** Read access to DSM; without it the DSM checks are skipped. Default: none. */
  dsm?: EkmDsmReader;
  /** Why there is no DSM access, shown on the skipped DSM checks. Default: "no DSM credentials". */
  dsmUnavailableReason?: string;
  /** Read access to OCI's Key Management API; without it the OCI checks are skipped. Default: none. */
  oci?: EkmOciReader;
  /** Why there is no OCI access, shown on the skipped OCI checks. Default: "no OCI credentials". */
  ociUnavailableReason?: string;
  /** The external vault's OCID (stack output `vaultId`), for the OCI checks. Default: not checked. */
  vaultId?: string;
  /** The EKM private endpoint's OCID (stack output `privateEndpointId`). Default: not checked. */
  privateEndpointId?: string;
  /** The vault's management endpoint (stack output `managementEndpoint`). Default: key references not checked in OCI. */
  managementEndpoint?: string;
  /** OCIDs of the key references, in the order of `keyNames` (stack output `keyReferenceIds`). Default: none. */
  keyReferenceIds?: string[];
  /** Clock skew allowed on `exp`/`nbf`, seconds. Default: 60. */
  clockSkewSeconds?: number;
  /** The time the token's `exp` and `nbf` are checked against. Default: the clock when the token is checked. */
  now?: Date;
  /** Per-request timeout, milliseconds. Default: 10000 (5000 for the vault probe). */
  timeoutMs?: number;
  /** Values never to show in the report besides the client secret and the token (e.g. DSM credentials). */
  secrets?: string[];
  /** A replica region's chain, checked as OCI Vault there uses it (`replica-…` checks). Default: none. */
  replica?: EkmReplicaVerificationOptions;
}

/** Why the OCI checks are skipped when no OCI credentials were found. */
export const EKM_NO_OCI_CREDENTIALS = "no OCI credentials (an OCI config file: ~/.oci/config, or the file OCI_CONFIG_FILE names)";

/** The verification report. */
export interface EkmVerificationReport {
  /** True when no check failed. */
  ok: boolean;
  passed: number;
  failed: number;
  skipped: number;
  /** Passed checks that ask for a follow-up: keys rotated since the outputs were written (`pulumi refresh`). */
  rotated?: number;
  /** Why checks were skipped, one entry per reason in the order first met. */
  skippedReasons?: EkmSkippedReason[];
  /** Checks in chain order. */
  checks: EkmCheckResult[];
  /**
   * How long each call on OCI's chain took from here (the Identity Domain, the vault URL), with
   * `slow` set on those over half of OCI's read timeout for the key manager.
   */
  times?: EkmCallTime[];
}

/** One reason checks were skipped, and the checks it covers (`name` or `name [subject]`). */
export interface EkmSkippedReason {
  why: string;
  checks: string[];
}

function label(c: EkmCheckResult): string {
  return c.subject ? `${c.name} [${c.subject}]` : c.name;
}

/** Groups the skipped checks by their reason, in the order the reasons first appear. */
export function ekmSkippedReasons(checks: readonly EkmCheckResult[]): EkmSkippedReason[] {
  const reasons: EkmSkippedReason[] = [];
  for (const c of checks) {
    if (c.status !== "skipped") continue;
    const why = c.why ?? "no reason given";
    const entry = reasons.find((r) => r.why === why);
    if (entry) entry.checks.push(label(c));
    else reasons.push({ why, checks: [label(c)] });
  }
  return reasons;
}

/**
 * The closing line: `OK: 13 passed, 0 failed, 11 skipped: 10 because no token; 1 because …`, with
 * `(1 key rotated: run pulumi refresh && pulumi up)` after the passed count when the outputs predate a rotation.
 */
export function ekmVerificationSummary(report: EkmVerificationReport): string {
  const rotated = report.rotated ?? report.checks.filter((c) => c.rotation !== undefined).length;
  const reasons = report.skippedReasons ?? ekmSkippedReasons(report.checks);
  const passed = `${report.passed} passed${rotated > 0 ? ` (${rotated} key${rotated === 1 ? "" : "s"} rotated: run pulumi refresh && pulumi up)` : ""}`;
  const skipped = `${report.skipped} skipped${reasons.length > 0 ? `: ${reasons.map((r) => `${r.checks.length} because ${r.why}`).join("; ")}` : ""}`;
  return `${report.ok ? "OK" : "FAILED"}: ${passed}, ${report.failed} failed, ${skipped}`;
}

/** Bad verification input, one line per field; raised before any request is made. */
export class EkmVerificationInputError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid verify options:\n  ${problems.join("\n  ")}`);
    this.name = "EkmVerificationInputError";
  }
}

/** Validates options (required fields, URL rules) and throws {@link EkmVerificationInputError} listing every problem. */
export function validateEkmVerificationOptions(options: EkmVerificationOptions): void {
  const problems: string[] = [];
  const required: [string, string | undefined][] = [
    ["domainUrl (--domain-url)", options.domainUrl],
    ["clientId (--client-id)", options.clientId],
    ["clientSecret (--client-secret)", options.clientSecret],
    ["scope (--scope)", options.scope],
    ["dsmUrl (--dsm-url)", options.dsmUrl],
  ];
  for (const [field, value] of required) if (typeof value !== "string" || value === "") problems.push(`${field}: required`);
  const urls: [string, string | undefined][] = [
    ["domainUrl (--domain-url)", options.domainUrl],
    ["dsmUrl (--dsm-url)", options.dsmUrl],
    ["gatewayBaseUrl (--gateway-url)", options.gatewayBaseUrl],
    ["vaultUrl (--vault-url)", options.vaultUrl],
  ];
  for (const [field, value] of urls) {
    if (typeof value !== "string" || value === "") continue;
    try {
      parseEkmVerifyUrl(field, value);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  for (const issuer of options.issuers ?? []) if (issuer === "") problems.push("issuers (--issuer): empty issuer");
  for (const name of options.keyNames ?? []) if (name === "") problems.push("keyNames (--key-name): empty key name");
  if (options.keyIds && options.keyNames && options.keyIds.length > 0 && options.keyIds.length !== options.keyNames.length) {
    problems.push(`keyIds: ${options.keyIds.length} IDs for ${options.keyNames.length} key names (they pair up in order)`);
  }
  if (problems.length > 0) throw new EkmVerificationInputError(problems);
}

/** The fix when DSM did not answer the DSM checks. */
function dsmAccessFix(err: unknown): string {
  const tls = isDsmApiError(err) && err.kind === "tls" ? /TLS verification of (\S+) failed \(([A-Z0-9_]+)/.exec(err.message) : null;
  if (tls) {
    const kind = ekmTlsKind(tls[2]);
    if (kind === "untrusted") {
      return `the certificate of ${tls[1]} is not trusted (${tls[2]}): pass the CA certificate that signed it (PEM) with --ca-bundle <file>, or in DSM_CA_BUNDLE`;
    }
    if (kind) return ekmTlsFix({ kind, url: tls[1], code: tls[2] }, "set DSM_ENDPOINT to the DSM URL with the host name its certificate carries");
  }
  return "check DSM_ENDPOINT and the DSM credentials (an administrative app's API key is recommended)";
}

/** Replaces every occurrence of a secret in the report's text by `[redacted]`. */
function redact(checks: EkmCheckResult[], secrets: string[]): EkmCheckResult[] {
  const hide = secrets.filter((s) => s.length >= 4);
  const clean = (text: string): string => hide.reduce((t, s) => t.split(s).join("[redacted]"), text);
  return checks.map((c) => {
    const out: EkmCheckResult = { ...c, expected: clean(c.expected), found: clean(c.found) };
    if (c.fix !== undefined) out.fix = clean(c.fix);
    if (c.why !== undefined) out.why = clean(c.why);
    if (c.subject !== undefined) out.subject = clean(c.subject);
    return out;
  });
}

function tokenRequestFix(err: OAuthTokenError, options: EkmVerificationOptions): string {
  switch (err.error) {
    case "invalid_client":
      return `the identity domain refused the client ID/secret: use the client app's Client ID and Client Secret from its OAuth configuration (stack outputs clientId and clientSecret), and activate the client app`;
    case "invalid_scope":
      return `the client app must be allowed the fully qualified scope ${options.scope} (the resource app's primary audience followed by ${options.requiredScope ?? EKM_SCOPE}), and the resource app must be active and define the scope ${options.requiredScope ?? EKM_SCOPE}`;
    case "unauthorized_client":
    case "unsupported_grant_type":
      return "enable the Client credentials grant type on the client app (allowedGrants client_credentials)";
    default:
      return "check the domain URL and the client app's OAuth configuration";
  }
}

/**
 * Walks the chain and returns every check in order; a check whose input is missing (an earlier link
 * failed, no DSM credentials, vault unreachable) is skipped with the reason. Throws
 * {@link EkmVerificationInputError} on bad options, before any request. Secrets and the token never
 * appear in the report.
 */
export async function runEkmVerification(options: EkmVerificationOptions): Promise<EkmVerificationReport> {
  validateEkmVerificationOptions(options);
  const http: EkmHttpOptions = { caBundle: options.caBundle, timeoutMs: options.timeoutMs };
  const given = options.issuers && options.issuers.length > 0 ? options.issuers : undefined;
  // A token's iss may carry the issuer with or without the trailing slash (the sources disagree).
  const issuers = given ?? identityIssuerForms(IDENTITY_DOMAIN_ISSUER);
  const keyNames = options.keyNames ?? [];
  const checks: EkmCheckResult[] = [];
  const times: EkmCallTime[] = [];
  const secrets = [options.clientSecret, ...(options.secrets ?? [])];

  // 1. Discovery document.
  let discovery: OidcDiscovery | undefined;
  try {
    discovery = await timedEkmCall(times, "discovery", () => fetchOidcDiscovery(options.domainUrl, http));
    checks.push(
      ekmCheckPassed(
        "discovery",
        "the domain's discovery document with issuer, token_endpoint and jwks_uri",
        `issuer ${discovery.issuer}, token_endpoint ${discovery.tokenEndpoint}, jwks_uri ${discovery.jwksUri}`,
      ),
    );
  } catch (err) {
    checks.push(
      ekmCheckFailed(
        "discovery",
        `GET ${options.domainUrl.replace(/\/+$/, "")}/.well-known/openid-configuration answers the discovery document`,
        describeFailure(err),
        networkFix(err, "check the domain URL (stack output identityDomainUrl): the identity domain's URL, https://idcs-<id>.identity.oraclecloud.com"),
      ),
    );
  }

  // 2. Signing keys, as DSM fetches them: without credentials.
  let jwks: JSONWebKeySet | undefined;
  if (!discovery) {
    checks.push(ekmCheckSkipped("jwks", "the domain's signing keys readable without credentials", "no discovery document"));
  } else {
    try {
      const uri = discovery.jwksUri;
      jwks = await timedEkmCall(times, "jwks", () => fetchOidcJwks(uri, http));
      checks.push(
        ekmCheckPassed(
          "jwks",
          `${discovery.jwksUri} readable without credentials`,
          `${jwks.keys.length} key(s): ${jwks.keys.map((k) => k.kid ?? "(no kid)").join(", ")}`,
        ),
      );
    } catch (err) {
      const denied = err instanceof EkmHttpStatusError && (err.status === 401 || err.status === 403);
      checks.push(
        ekmCheckFailed(
          "jwks",
          `${discovery.jwksUri} readable without credentials (DSM fetches it)`,
          describeFailure(err),
          denied
            ? "enable 'Configure client access' under Access signing certificate in the domain settings (the identity component's DomainsSetting signingCertPublicAccess)"
            : networkFix(err, "the JWKS URI of the discovery document must answer the signing keys: check the domain URL"),
        ),
      );
    }
  }

  // 3. Token, as OCI Vault obtains it.
  let token: string | undefined;
  if (!discovery) {
    checks.push(ekmCheckSkipped("token", "a client-credentials token", "no discovery document (token endpoint unknown)"));
  } else {
    try {
      const tokenEndpoint = discovery.tokenEndpoint;
      const issued = await timedEkmCall(times, "token", () =>
        requestClientCredentialsToken({ tokenEndpoint, clientId: options.clientId, clientSecret: options.clientSecret, scope: options.scope }, http),
      );
      token = issued.accessToken;
      secrets.push(token);
      checks.push(
        ekmCheckPassed("token", `a token for client ${options.clientId} and scope ${options.scope}`, `${issued.tokenType} token, expires in ${issued.expiresIn ?? "?"} s`),
      );
    } catch (err) {
      checks.push(
        ekmCheckFailed(
          "token",
          `a token for client ${options.clientId} and scope ${options.scope}`,
          describeFailure(err),
          err instanceof OAuthTokenError ? tokenRequestFix(err, options) : networkFix(err, "check the domain URL and that this machine can reach it"),
        ),
      );
    }
  }

  // 4. The token, as DSM checks it.
  if (token === undefined) {
    for (const name of EKM_TOKEN_CHECK_NAMES) checks.push(ekmCheckSkipped(name, "", "no token"));
  } else {
    checks.push(
      ...(await verifyEkmToken(token, {
        jwks,
        jwksUri: discovery?.jwksUri,
        issuers,
        dsmUrl: options.dsmUrl,
        gatewayBaseUrl: options.gatewayBaseUrl,
        requiredScope: options.requiredScope,
        clockSkewSeconds: options.clockSkewSeconds,
        now: options.now,
      })),
    );
  }

  // 5. DSM's app and keys.
  if (!options.dsm) {
    const why = options.dsmUnavailableReason ?? "no DSM credentials (set DSM_ENDPOINT and DSM_API_KEY, or DSM_USERNAME, DSM_PASSWORD and DSM_ACCT_ID)";
    checks.push(ekmCheckSkipped("dsm-app", "the DSM app and keys", why));
  } else {
    let tokenIssuer: string | undefined;
    if (token !== undefined) {
      try {
        const iss = decodeJwt(token).iss;
        tokenIssuer = typeof iss === "string" ? iss : undefined;
      } catch {
        tokenIssuer = undefined;
      }
    }
    try {
      checks.push(
        ...(await runDsmChecks(options.dsm, {
          clientId: options.clientId,
          issuers: tokenIssuer ? [tokenIssuer] : (given ?? [IDENTITY_DOMAIN_ISSUER]),
          ...(tokenIssuer ? { tokenIssuer } : {}),
          jwksUri: discovery?.jwksUri,
          keyNames,
          keyIds: options.keyIds,
        })),
      );
    } catch (err) {
      checks.push(
        ekmCheckFailed(
          "dsm-access",
          "DSM answers with the given credentials",
          describeFailure(err),
          dsmAccessFix(err),
        ),
      );
    }
  }

  // 6. The vault URL, as OCI Vault calls it.
  for (const keyName of keyNames) {
    if (!options.vaultUrl) {
      checks.push(ekmCheckSkipped("ekm-key-metadata", "GetKeyMetadata answers 200", "no vault URL given (--vault-url)", keyName));
    } else if (token === undefined) {
      checks.push(ekmCheckSkipped("ekm-key-metadata", "GetKeyMetadata answers 200", "no token", keyName));
    } else {
      // The probe turns every network failure into a skipped or failed check itself. The time of a
      // vault URL this machine cannot reach says nothing about OCI's path: it is left out.
      const probeTime: EkmCallTime[] = [];
      const { vaultUrl, caBundle, tlsServerName } = options;
      const timeoutMs = options.timeoutMs === undefined ? undefined : Math.min(options.timeoutMs, 5_000);
      const probed = await timedEkmCall(probeTime, "ekm-key-metadata", () => probeEkmKeyMetadata({ vaultUrl, keyName, token, caBundle, tlsServerName, timeoutMs }), keyName);
      checks.push(probed);
      if (probed.status !== "skipped") times.push(...probeTime);
    }
  }

  // 7. OCI's own view: the vault, the private endpoint, each key reference and its versions against
  // DSM's; when there is something to check (the stack outputs name the OCIDs) or a way to read OCI.
  const ociKnown = options.oci !== undefined || options.vaultId !== undefined || options.privateEndpointId !== undefined || options.keyReferenceIds !== undefined;
  if (ociKnown) checks.push(...(await ociChecks(options, keyNames)));

  // 8. The replica region's chain, when there is one.
  if (options.replica) {
    checks.push(
      ...(await replicaChecks(options.replica, {
        tokenEndpoint: discovery?.tokenEndpoint,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        dsmUrl: options.dsmUrl,
        keyNames,
        http,
        tlsServerName: options.tlsServerName,
        secrets,
      })),
    );
  }

  const clean = redact(checks, secrets);
  const count = (s: EkmCheckResult["status"]): number => clean.filter((c) => c.status === s).length;
  return {
    ok: count("failed") === 0,
    passed: count("passed"),
    failed: count("failed"),
    skipped: count("skipped"),
    rotated: clean.filter((c) => c.rotation !== undefined).length,
    skippedReasons: ekmSkippedReasons(clean),
    checks: clean,
    times,
  };
}

function ociChecks(options: EkmVerificationOptions, keyNames: string[]): Promise<EkmCheckResult[]> {
  return runOciChecks(
    options.oci,
    {
      vaultId: options.vaultId,
      privateEndpointId: options.privateEndpointId,
      managementEndpoint: options.managementEndpoint,
      keys: keyNames.map((name, i) => ({ name, keyReferenceId: options.keyReferenceIds?.[i] })),
    },
    {
      ociUnavailableReason: options.ociUnavailableReason ?? EKM_NO_OCI_CREDENTIALS,
      dsm: options.dsm,
      dsmUnavailableReason: options.dsmUnavailableReason ?? "no DSM credentials",
    },
  );
}

/**
 * One line per check (✓ passed, ↻ passed but rotated since the outputs were written, ✗ failed with
 * expected/found, - skipped with why), a fix under each that has one, the time of each call on OCI's
 * chain with a warning per slow one, then {@link ekmVerificationSummary}.
 */
export function renderEkmVerificationReport(report: EkmVerificationReport): string {
  const lines: string[] = [];
  for (const c of report.checks) {
    if (c.status === "passed") lines.push(`${c.rotation ? "↻" : "✓"} ${label(c)}: ${c.found}`);
    else if (c.status === "skipped") lines.push(`- ${label(c)}: skipped, ${c.why ?? ""}`);
    else lines.push(`✗ ${label(c)}: expected ${c.expected}; found ${c.found}`);
    if (c.fix && c.status !== "skipped") lines.push(`    fix: ${c.fix}`);
  }
  lines.push("");
  const times = renderEkmCallTimes(report.times ?? []);
  if (times.length > 0) lines.push(...times, "");
  lines.push(ekmVerificationSummary(report));
  return lines.join("\n");
}
