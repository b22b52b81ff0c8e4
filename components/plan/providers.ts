// Which provider each planned resource is registered with, and that provider's region, as
// `pulumi preview --json` names each step's provider: an explicit provider by its reference
// (`<URN>::<id>`), a default one by the URN the engine gives it (`default_<version>`).
import type { PlanResource } from "./monitor";

/** A resource's provider and, for OCI, the region its API calls go to. */
export interface PlanProviderOf {
  /** `<provider URN>::<id>` of an explicit provider; the default provider's URN otherwise. */
  provider: string;
  /** The region of an OCI provider: its `region` input, or `oci:region` for the default one; null where regions do not apply. */
  region: string | null;
}

const PROVIDER_TYPE_PREFIX = "pulumi:providers:";

/**
 * The default provider's name, as the engine makes it from the package's version (pulumi/pulumi
 * pkg/resource/deploy/providers, the default provider's name: `default`, or `default_<version>`
 * with every `.`, `-` and `+` as `_`).
 */
export function defaultProviderName(version: string | undefined): string {
  return version ? `default_${version.replace(/[.+-]/g, "_")}` : "default";
}

/** The resource's provider and region; undefined for components, the stack and providers themselves. */
export function planProviderOf(r: PlanResource, resources: readonly PlanResource[], ociRegion: string | undefined): PlanProviderOf | undefined {
  if (!r.custom || r.type.startsWith(PROVIDER_TYPE_PREFIX)) return undefined;
  const pkg = r.type.split(":")[0];
  const regional = pkg === "oci";
  if (r.provider !== undefined) {
    const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
    const explicit = resources.find((x) => x.urn === urn);
    const region = explicit?.inputs.region;
    return { provider: r.provider, region: regional ? (typeof region === "string" ? region : (ociRegion ?? null)) : null };
  }
  const stack = resources.find((x) => x.type === "pulumi:pulumi:Stack")?.urn ?? r.urn;
  const [, stackName, project] = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(stack) ?? [];
  const prefix = stackName === undefined ? "urn:pulumi:" : `urn:pulumi:${stackName}::${project}`;
  // Dynamic providers are one provider of the Node.js SDK, always `default`.
  const name = pkg === "pulumi-nodejs" ? "default" : defaultProviderName(r.packageVersion);
  return { provider: `${prefix}::${PROVIDER_TYPE_PREFIX}${pkg}::${name}`, region: regional ? (ociRegion ?? null) : null };
}
