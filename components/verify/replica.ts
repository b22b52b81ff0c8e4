// The replica region's chain, as OCI Vault there uses it (Oracle's "Replicating External Vaults"):
// a token from the same client app for the replica's scope (the second resource app's audience, the
// replica gateway's base URL), then GetKeyMetadata through the replica's vault URL. Its checks are
// named `replica-…` and carry the region as their subject, so a report says which region broke.
import { decodeJwt } from "jose";
import { fullyQualifiedScope } from "../urls";
import { ekmCheckFailed, ekmCheckPassed, ekmCheckSkipped, type EkmCheckResult } from "./checks";
import { probeEkmKeyMetadata } from "./ekm-probe";
import { describeFailure, networkFix } from "./failures";
import type { EkmHttpOptions } from "./http";
import { OAuthTokenError, requestClientCredentialsToken } from "./oidc";

/** What verify needs of a replica region (stack outputs `replicaRegion`, `replicaAudience`, `replicaScope`). */
export interface EkmReplicaVerificationOptions {
  /** The replica region, shown as each check's subject. */
  region: string;
  /** The replica gateway's base URL `https://<replica gateway IP>/`: the replica resource app's audience. */
  gatewayBaseUrl: string;
  /** The scope OCI in the replica region requests. Default: `gatewayBaseUrl` + `oci_ekms`. */
  scope?: string;
  /** The vault URL as the replica region calls it, probed with GetKeyMetadata. Default: not probed. */
  vaultUrl?: string;
}

/** What the replica checks share with the source region's: the client, the domain's token endpoint, DSM's URL, the keys. */
export interface EkmReplicaCheckContext {
  tokenEndpoint?: string;
  clientId: string;
  clientSecret: string;
  dsmUrl: string;
  keyNames: string[];
  http: EkmHttpOptions;
  tlsServerName?: string;
  /** Tokens issued here are added to it, to be redacted. */
  secrets: string[];
}

const audiences = (token: string): string[] => {
  const aud = decodeJwt(token).aud;
  return Array.isArray(aud) ? aud : typeof aud === "string" ? [aud] : [];
};

/** The replica region's token, its audiences, and each key through the replica's vault URL. */
export async function replicaChecks(replica: EkmReplicaVerificationOptions, c: EkmReplicaCheckContext): Promise<EkmCheckResult[]> {
  const scope = replica.scope ?? fullyQualifiedScope(replica.gatewayBaseUrl);
  const region = replica.region;
  const expected = `a token for client ${c.clientId} and the replica's scope ${scope}`;
  if (c.tokenEndpoint === undefined) return [ekmCheckSkipped("replica-token", expected, "no discovery document (token endpoint unknown)", region)];
  let token: string;
  try {
    token = (await requestClientCredentialsToken({ tokenEndpoint: c.tokenEndpoint, clientId: c.clientId, clientSecret: c.clientSecret, scope }, c.http)).accessToken;
    c.secrets.push(token);
  } catch (err) {
    const found = describeFailure(err);
    const fix =
      err instanceof OAuthTokenError
        ? `the replica region needs a second resource app whose primary audience is ${replica.gatewayBaseUrl} (the replica gateway's IP, not the source's) with scope oci_ekms, and that scope granted to the same client app (Oracle, "Replicating External Vaults"; the topology's replica does both)`
        : networkFix(err, "check that this machine reaches the Identity Domain");
    return [
      ekmCheckFailed("replica-token", expected, found, fix, region),
      ekmCheckSkipped("replica-token-audience", "aud holds the replica gateway's base URL and the DSM URL", "no token for the replica's scope", region),
      ...c.keyNames.map((k) => ekmCheckSkipped("replica-ekm-key-metadata", "GetKeyMetadata answers 200 in the replica region", "no token for the replica's scope", `${region}: ${k}`)),
    ];
  }
  const checks = [ekmCheckPassed("replica-token", expected, "token issued", region)];
  const aud = audiences(token);
  const wanted = [replica.gatewayBaseUrl, c.dsmUrl.replace(/\/+$/, "")];
  const missing = wanted.filter((w) => !aud.some((a) => a.replace(/\/+$/, "") === w.replace(/\/+$/, "")));
  checks.push(
    missing.length === 0
      ? ekmCheckPassed("replica-token-audience", `aud holds ${wanted.join(" and ")}`, `aud ${aud.join(", ")}`, region)
      : ekmCheckFailed("replica-token-audience", `aud holds ${wanted.join(" and ")}`, `aud ${aud.join(", ")}`, `the replica resource app's primary audience is ${replica.gatewayBaseUrl}, its secondary audience the DSM URL`, region),
  );
  for (const keyName of c.keyNames) {
    if (replica.vaultUrl === undefined) {
      checks.push(ekmCheckSkipped("replica-ekm-key-metadata", "GetKeyMetadata answers 200 in the replica region", "no replica vault URL given", `${region}: ${keyName}`));
      continue;
    }
    const probed = await probeEkmKeyMetadata({ vaultUrl: replica.vaultUrl, keyName, token, caBundle: c.http.caBundle, tlsServerName: c.tlsServerName, timeoutMs: 5_000 });
    checks.push({ ...probed, name: "replica-ekm-key-metadata", subject: `${region}: ${keyName}` });
  }
  return checks;
}
