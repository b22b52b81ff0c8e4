// Where OCI's regions and Fortanix DSM SaaS's regions are, as far as the time of a call to the key
// manager goes: OCI gives it 1 s to answer and 500 ms to connect (components/oci-ekm-budget.ts),
// and a DSM on another continent spends a good part of that on the way. Pure: no Pulumi, no I/O.
import { OCI_EKM_CONNECT_TIMEOUT_MS, OCI_EKM_READ_TIMEOUT_MS } from "./oci-ekm-budget";

/**
 * A continent, as far as network distance goes. The Middle East is kept apart from Asia: its paths
 * to Europe are about as long as to East Asia, so calling it Asia would hide the distance to `apac`.
 */
export type EkmContinent = "North America" | "South America" | "Europe" | "Middle East" | "Africa" | "Asia" | "Oceania";

/** One region of Fortanix DSM SaaS: an account lives in one of them, under its own host. */
export interface DsmSaasRegion {
  host: string;
  /** The region as Fortanix names it. */
  name: string;
  continent: EkmContinent;
}

/** Fortanix DSM SaaS's regions, by host. */
export const DSM_SAAS_REGIONS: readonly DsmSaasRegion[] = [
  { host: "amer.smartkey.io", name: "Americas", continent: "North America" },
  { host: "eu.smartkey.io", name: "European Union", continent: "Europe" },
  { host: "uk.smartkey.io", name: "United Kingdom", continent: "Europe" },
  { host: "apac.smartkey.io", name: "Asia Pacific", continent: "Asia" },
  { host: "au.smartkey.io", name: "Australia", continent: "Oceania" },
];

/** The extra time a call spends between continents. */
export const CROSS_CONTINENT_LATENCY = "cross-continent: typically 100-250 ms per round trip";

/** OCI region identifiers name their area first (`eu-frankfurt-1`, `us-gov-ashburn-1`, `ap-dcc-canberra-1`). */
const AREA_CONTINENT: Readonly<Record<string, EkmContinent>> = {
  us: "North America",
  ca: "North America",
  mx: "North America",
  sa: "South America",
  eu: "Europe",
  uk: "Europe",
  me: "Middle East",
  il: "Middle East",
  af: "Africa",
  ap: "Asia",
};

/** `ap-` regions in Australia (Sydney, Melbourne, the Canberra government regions). */
const OCEANIA_CITIES = ["sydney", "melbourne", "canberra"];

const OCI_REGION = /^([a-z]{2})(-[a-z0-9]+)+-\d+$/;

/** The continent of an OCI region identifier, e.g. `ap-tokyo-1` → Asia; undefined when it is not one this module knows. */
export function ociRegionContinent(region: string): EkmContinent | undefined {
  const id = region.trim().toLowerCase();
  const area = OCI_REGION.exec(id)?.[1];
  if (area === undefined) return undefined;
  if (area === "ap" && OCEANIA_CITIES.some((city) => id.split("-").includes(city))) return "Oceania";
  return AREA_CONTINENT[area];
}

/** The DSM SaaS region of a DSM URL (`https://eu.smartkey.io`); undefined for any other host (a private DSM, an emulator). */
export function dsmSaasRegionOf(dsmUrl: string): DsmSaasRegion | undefined {
  let host: string;
  try {
    host = new URL(dsmUrl).hostname.toLowerCase().replace(/\.$/, "");
  } catch {
    return undefined;
  }
  return DSM_SAAS_REGIONS.find((r) => r.host === host);
}

/**
 * The DSM SaaS region nearest an OCI region: on its continent when there is one there (`uk` for the
 * United Kingdom), else the one the shortest paths lead to (`amer` from South America, `eu` from the
 * Middle East and Africa). Undefined for a region this module does not know.
 */
export function closestDsmSaasRegion(ociRegion: string): DsmSaasRegion | undefined {
  const continent = ociRegionContinent(ociRegion);
  if (continent === undefined) return undefined;
  const host =
    continent === "Europe" && ociRegion.trim().toLowerCase().startsWith("uk-")
      ? "uk.smartkey.io"
      : {
          "North America": "amer.smartkey.io",
          "South America": "amer.smartkey.io",
          Europe: "eu.smartkey.io",
          "Middle East": "eu.smartkey.io",
          Africa: "eu.smartkey.io",
          Asia: "apac.smartkey.io",
          Oceania: "au.smartkey.io",
        }[continent];
  return DSM_SAAS_REGIONS.find((r) => r.host === host);
}

/**
 * A warning when OCI regions (the stack's, a replica's) and the DSM SaaS region of `dsmUrl` are on
 * different continents: the extra time to expect, and the DSM region closest to each such OCI region.
 * Undefined when they share a continent, or when the DSM host or a region is not one this module
 * knows (a private DSM, the emulator, a region identifier of the future).
 */
export function dsmRegionWarning(ociRegions: readonly string[], dsmUrl: string): string | undefined {
  const dsm = dsmSaasRegionOf(dsmUrl);
  if (!dsm) return undefined;
  const far = ociRegions
    .map((region) => ({ region, continent: ociRegionContinent(region), closest: closestDsmSaasRegion(region) }))
    .filter((r) => r.continent !== undefined && r.continent !== dsm.continent);
  if (far.length === 0) return undefined;
  const regions = far.map((r) => `${r.region} (${r.continent})`).join(", ");
  const advice = far.every((r) => r.closest?.host === dsm.host)
    ? `no DSM SaaS region is closer to ${far.map((r) => r.region).join(", ")}: ${dsm.host} is already the closest`
    : `the DSM SaaS region closest to ${far.map((r, i) => `${r.region}${i === 0 ? " is" : ""} ${r.closest?.host ?? "unknown"}${r.closest?.host === dsm.host ? " (this one)" : ""}`).join(", to ")}`;
  return (
    `OCI region${far.length === 1 ? "" : "s"} ${regions} and DSM ${dsm.host} (${dsm.continent}) are on different continents (${CROSS_CONTINENT_LATENCY}; ` +
    `a new connection to DSM costs extra round trips for TCP and TLS), while OCI gives the key manager ${OCI_EKM_CONNECT_TIMEOUT_MS} ms to connect ` +
    `and ${OCI_EKM_READ_TIMEOUT_MS} ms to answer each call; ${advice}`
  );
}

/**
 * The realm of an OCI region, as Oracle's region list gives it: the commercial realm `oc1`, or one of
 * the government and sovereign realms whose regions are listed here. A vault replicates only within
 * its realm (Oracle, "Replicating External Vaults").
 */
const NON_COMMERCIAL_REALMS: Readonly<Record<string, string>> = {
  "us-langley-1": "oc2", "us-luke-1": "oc2",
  "us-gov-ashburn-1": "oc3", "us-gov-chicago-1": "oc3", "us-gov-phoenix-1": "oc3",
  "uk-gov-london-1": "oc4", "uk-gov-cardiff-1": "oc4",
  "ap-chiyoda-1": "oc8", "ap-ibaraki-1": "oc8",
  "eu-frankfurt-2": "oc19", "eu-madrid-2": "oc19",
};

export function ociRealmOf(region: string): string {
  return NON_COMMERCIAL_REALMS[region] ?? "oc1";
}

/** The listed regions of a realm other than the commercial one (empty for `oc1`, whose regions are many). */
export function ociRegionsOfRealm(realm: string): string[] {
  return Object.entries(NON_COMMERCIAL_REALMS).filter(([, r]) => r === realm).map(([region]) => region);
}
