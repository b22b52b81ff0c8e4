// What an OCI Identity Domain URL looks like. A URL that is merely an https origin (another host,
// the token issuer, a look-alike under someone else's domain) passes a generic URL check and then
// fails mid-`pulumi up`, or worse, hands OCI Vault's client secret to that host: so the form is
// checked before anything is created.

/**
 * The realm domains whose Identity Domains are `https://idcs-<id>.identity.<realm domain>`.
 *
 * - `oraclecloud.com` (OC1, commercial) and `oraclegovcloud.com` (OC2 Government Cloud, OC3 Federal
 *   Government Cloud): OCI's "Resource Identifiers" page,
 *   https://docs.oracle.com/iaas/Content/General/Concepts/identifiers.htm ("The regions in the
 *   commercial realm (OC1) belong to the domain oraclecloud.com. The regions in the Government Cloud
 *   (OC2) belong to the domain oraclegovcloud.com").
 * - `oraclegovcloud.uk` (OC4, UK Government) and `oraclecloud8.com` (OC8): the realm tables of
 *   Oracle's SDKs (oci-go-sdk `common/regions.go`, summarised at
 *   https://deepwiki.com/oracle/oci-go-sdk/3.2-region-and-realm-management; Oracle's NoSQL SDK lists
 *   the same four as its "known second level domains").
 *
 * Left out, because no OCI page found says their Identity Domains live under `identity.<domain>`:
 * the dedicated and sovereign realms (`oraclecloud9.com` … `oraclecloud35.com`, `oraclecloud.eu`,
 * `nricloud.jp`, `psn-pco.it`, `sovereigncloud.nz`). Add one here once its form is confirmed.
 */
import * as pulumi from "@pulumi/pulumi";
import { ekmArgProblemText, type EkmArgProblem } from "./problems";
export const OCI_REALM_DOMAINS: readonly string[] = ["oraclecloud.com", "oraclegovcloud.com", "oraclegovcloud.uk", "oraclecloud8.com"];

/** The form, as messages state it. */
export const IDENTITY_DOMAIN_URL_FORM = `https://idcs-<id>.identity.<realm domain> (realm domain ${OCI_REALM_DOMAINS.slice(0, -1).join(", ")} or ${OCI_REALM_DOMAINS[OCI_REALM_DOMAINS.length - 1]}; the "Domain URL" of the domain's Details page)`;

/** The `iss` of every Identity Domain's tokens: the most likely wrong value, so it gets its own message. */
const ISSUER_HOSTS = new Set(OCI_REALM_DOMAINS.map((d) => `identity.${d}`));

const IDCS_HOST = new RegExp(`^idcs-[a-z0-9]+\\.identity\\.(${OCI_REALM_DOMAINS.map((d) => d.replace(/\./g, "\\.")).join("|")})$`);

/** Where the emulators listen. A real OCI Vault cannot reach a loopback address, so accepting it never lets a real stack through. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * What is wrong with `value` as an Identity Domain URL, phrased as what is expected; undefined when
 * it is one. `https://idcs-<id>.identity.<realm domain>`, with an optional trailing `/` and `:443`
 * (the console shows both). A loopback host with any port is accepted: that is where the sandbox's
 * Identity Domain emulator listens.
 */
export function identityDomainUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `an Identity Domain URL ${IDENTITY_DOMAIN_URL_FORM}`;
  }
  if (url.protocol !== "https:" || !/^https:\/\//i.test(value)) {
    return `an https:// URL (Identity Domains are served over HTTPS only): ${IDENTITY_DOMAIN_URL_FORM}`;
  }
  if (url.username || url.password) return `an Identity Domain URL without user or password: ${IDENTITY_DOMAIN_URL_FORM}`;
  // On the text, not the parsed URL: `new URL` drops an empty `?` or `#`.
  if (!/^https:\/\/[^/?#]+\/?$/i.test(value)) {
    return `the domain's origin https://${url.host} with nothing after it but an optional trailing / (no path, query or fragment)`;
  }
  if (isLoopbackHost(url.hostname)) return undefined;
  if (url.port !== "") {
    return `no port (or :443): Identity Domains listen on 443, and a port is accepted only on a loopback address (the emulators)`;
  }
  const host = url.hostname;
  if (ISSUER_HOSTS.has(host)) {
    return `the Identity Domain URL ${IDENTITY_DOMAIN_URL_FORM}, not https://${host}/, which is the token issuer (the iss of every domain's tokens)`;
  }
  if (IDCS_HOST.test(host)) return undefined;
  const realm = OCI_REALM_DOMAINS.find((d) => host.endsWith("." + d));
  if (realm === undefined) {
    return `an Identity Domain URL ${IDENTITY_DOMAIN_URL_FORM}: the host ${host} is not in an OCI realm domain`;
  }
  return `an Identity Domain URL ${IDENTITY_DOMAIN_URL_FORM}: the host ${host} is in ${realm} but is not idcs-<id>.identity.${realm}`;
}

/**
 * The Identity Domain URL rule as a component states it: none for a value that is fine, or one that
 * is not plain text yet (an Output: OCI checks it).
 */
export function identityDomainUrlProblems(path: string, value: unknown): EkmArgProblem[] {
  if (typeof value !== "string") return [];
  const expected = identityDomainUrlProblem(value);
  return expected === undefined ? [] : [{ path, given: JSON.stringify(value), expected }];
}

/**
 * The Identity Domain URL as a resource input, held to the same rule once its value is known: an
 * Output (a stack reference, a secret config value) cannot be checked before anything is declared,
 * but it is checked before any resource that takes it (the vault with its client secret, the apps)
 * is created, and a look-alike fails the deployment there.
 */
export function checkedIdentityDomainUrl(owner: string, value: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.output(value).apply((url) => {
    const problems = identityDomainUrlProblems("identityDomainUrl", url);
    if (problems.length > 0) throw new Error(`${owner}: ${problems.map(ekmArgProblemText).join("; ")}`);
    return url;
  });
}
