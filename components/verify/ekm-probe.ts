// The last link: call the external vault URL the way OCI Vault does (GetKeyMetadata with the
// Identity Domain token), through the private endpoint / gateway when this machine can reach it.
import { randomUUID } from "node:crypto";
import { ekmCheckFailed, ekmCheckPassed, ekmCheckSkipped, type EkmCheckResult } from "./checks";
import { EkmNetworkError, ekmHttpRequest, ekmTlsFix, ekmTlsProblem, type EkmHttpOptions } from "./http";

/** A GetKeyMetadata call. */
export interface EkmKeyMetadataProbe extends EkmHttpOptions {
  /** The external vault URL, e.g. `https://10.0.1.20/oci/ekm/v1/vaults/<dsm account id>`. */
  vaultUrl: string;
  /** The DSM security object name (the key reference's external key ID). */
  keyName: string;
  /** The access token; sent only in the Authorization header. */
  token: string;
}

/** Network errors that mean "not reachable from here" rather than "broken". */
const UNREACHABLE = new Set(["ECONNREFUSED", "ECONNABORTED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET"]);

/** The metadata URL of a key under a vault URL. */
export function ekmKeyMetadataUrl(vaultUrl: string, keyName: string): string {
  return `${vaultUrl.replace(/\/+$/, "")}/keys/${encodeURIComponent(keyName)}/metadata`;
}

/** Oracle's error body `{"code": "<status>", "message"}` as text; a `code` that only repeats the status is left out. */
function oracleError(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    const code = parsed.code === undefined || parsed.code === null || String(parsed.code) === String(status) ? undefined : String(parsed.code);
    const parts = [code, parsed.message].filter((p) => p !== undefined && p !== null).map(String);
    if (parts.length > 0) return parts.join(": ");
  } catch {
    // not JSON: show the text
  }
  return body.length > 200 ? body.slice(0, 200) + "…" : body;
}

/**
 * `GET <vault URL>/keys/<key name>/metadata` with `Authorization: Bearer <token>` and an
 * `opc-request-id`. Passes on 200 naming the key; an unreachable URL (typical outside the VCN) is
 * skipped, a TLS failure or an error status fails with what DSM or the gateway answered.
 */
export async function probeEkmKeyMetadata(probe: EkmKeyMetadataProbe): Promise<EkmCheckResult> {
  const name = "ekm-key-metadata";
  const url = ekmKeyMetadataUrl(probe.vaultUrl, probe.keyName);
  const expected = `GET ${url} answers 200 with the key's metadata`;
  let res;
  try {
    res = await ekmHttpRequest("vault URL", "GET", url, {
      caBundle: probe.caBundle,
      tlsServerName: probe.tlsServerName,
      timeoutMs: probe.timeoutMs ?? 5_000,
      headers: { authorization: `Bearer ${probe.token}`, "opc-request-id": randomUUID(), accept: "application/json" },
    });
  } catch (err) {
    if (!(err instanceof EkmNetworkError)) throw err;
    if (UNREACHABLE.has(err.code)) {
      return ekmCheckSkipped(
        name,
        expected,
        `the vault URL is not reachable from this machine (${err.code}); run verify from a host in the VCN to probe it`,
        probe.keyName,
      );
    }
    const tls = ekmTlsProblem(err);
    const found = err.message.includes(err.code) ? err.message : `${err.message} (${err.code})`;
    let fix: string;
    if (tls?.kind === "untrusted") {
      fix = `the certificate of ${tls.url} is not trusted (${tls.code}): pass the gateway certificate (stack output certificatePem) with --ca-bundle <file>`;
    } else if (tls?.kind === "name" && probe.tlsServerName !== undefined) {
      fix =
        `the server at ${tls.url} presents a certificate that does not name ${probe.tlsServerName} (${tls.code}${tls.certificateNames ? `; it names ${tls.certificateNames}` : ""}): ` +
        "check that the vault URL reaches the gateway and that the gateway uses the certificate of stack output certificatePem";
    } else if (tls) {
      fix = ekmTlsFix(tls, "pass --tls-server-name with the gateway hostname in the certificate (stack output gatewayHostname)");
    } else {
      fix = `the vault URL did not answer (${err.code}): check that it reaches the gateway's private endpoint`;
    }
    return ekmCheckFailed(name, expected, found, fix, probe.keyName);
  }
  const detail = oracleError(res.status, res.body);
  if (res.status === 200) {
    let meta: { keyId?: unknown; state?: unknown; keyShape?: { algorithm?: unknown; length?: unknown }; keyOps?: unknown };
    try {
      meta = JSON.parse(res.body) as typeof meta;
    } catch {
      return ekmCheckFailed(name, expected, `200 but not JSON: ${detail}`, "the vault URL must point at DSM's EKM API (…/oci/ekm/v1/vaults/<DSM account ID>)", probe.keyName);
    }
    const found = `200 keyId ${String(meta.keyId)}, state ${String(meta.state)}, ${String(meta.keyShape?.algorithm)} ${String(meta.keyShape?.length)}`;
    // OCI Vault uses a key only in state ACTIVE (BLOCKED: DSM holds it but it is not Active), of shape
    // AES-256 (length in bits; 32 would be bytes), for ENCRYPT and DECRYPT.
    const ops = Array.isArray(meta.keyOps) ? meta.keyOps.map(String) : [];
    const missingOps = ["ENCRYPT", "DECRYPT"].filter((op) => !ops.includes(op));
    const shapeOk = meta.keyShape?.algorithm === "AES" && (meta.keyShape.length === 256 || meta.keyShape.length === 32);
    if (meta.state !== "ACTIVE" || !shapeOk || missingOps.length > 0) {
      return ekmCheckFailed(
        name,
        `${expected}, state ACTIVE, AES 256, keyOps ENCRYPT and DECRYPT`,
        missingOps.length > 0 ? `${found}, keyOps [${ops.join(", ")}]` : found,
        `DSM serves the key but OCI cannot use it: the security object "${probe.keyName}" must be enabled, Active and AES-256, with key_ops ENCRYPT and DECRYPT (see the dsm-key checks)`,
        probe.keyName,
      );
    }
    return ekmCheckPassed(name, expected, found, probe.keyName);
  }
  const fixes: Record<number, string> = {
    401: "DSM (or the gateway) refused the token: fix the failed token and DSM app checks above",
    403: "DSM refused the operation: the JWT app needs ENCRYPT and DECRYPT on the key's group, the key must be enabled and Active, and the vault (DSM account) must not be blocked",
    404: `no key named "${probe.keyName}" under this vault URL: check the DSM account ID in the vault URL and the key's name in DSM`,
  };
  return ekmCheckFailed(
    name,
    expected,
    `${res.status} ${detail}`,
    fixes[res.status] ?? "the gateway or DSM failed: check the gateway deployment's route /{path*} to https://<DSM host>/${request.path[path]}",
    probe.keyName,
  );
}
