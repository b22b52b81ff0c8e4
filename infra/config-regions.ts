// The stack configuration's warning about distance: the stack's OCI region (`oci:region`, read as the
// OCI provider reads it) and the DSM SaaS region of `oci-ekm:dsmUrl` on different continents. The
// rule itself is components/regions.ts; this module only reads the config for it.
import * as pulumi from "@pulumi/pulumi";
import { dsmRegionWarning } from "../components/regions";
import { DEFAULT_DSM_URL } from "../components/urls";

/**
 * `[warning]` when one of `ociRegions` (default: the stack's `oci:region`; with a replica, its region
 * too) and the DSM URL (default {@link DEFAULT_DSM_URL}) are on different continents; `[]` otherwise,
 * and when no region is set.
 */
export function ekmRegionWarnings(dsmUrl: string | undefined, ociRegions: readonly (string | undefined)[] = [new pulumi.Config("oci").get("region")]): string[] {
  const regions = ociRegions.filter((r): r is string => r !== undefined && r !== "");
  if (regions.length === 0) return [];
  const warning = dsmRegionWarning(regions, dsmUrl ?? DEFAULT_DSM_URL);
  return warning ? [`oci-ekm:dsmUrl: ${warning}`] : [];
}
