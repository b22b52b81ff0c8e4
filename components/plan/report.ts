// Views of a plan: the longest dependency chain, a tree like `pulumi preview`, a Mermaid graph and
// the JSON document `npm run plan -- --json` writes.
import { planProviderOf } from "./providers";
import { DSM_TYPE_TOKENS } from "../dsm/schemas";
import type { PlanResource, PlanResult } from "./engine";
import type { PlanStack } from "./stack-config";

/** The longest chain of custom resources that must be created one after another. */
export interface PlanChain {
  /** Number of resources in the chain. */
  depth: number;
  /** The chain, first created first. */
  chain: PlanResource[];
}

/**
 * Dependencies between custom resources (what the engine must order): a dependency on a
 * component stands for its custom descendants, and a custom parent is a dependency too.
 */
export function planCustomDependencies(resources: PlanResource[]): Map<string, string[]> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, PlanResource[]>();
  for (const r of resources) {
    if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  }
  const customsUnder = (urn: string, seen = new Set<string>()): string[] => {
    if (seen.has(urn)) return [];
    seen.add(urn);
    const r = byUrn.get(urn);
    if (!r) return [];
    if (r.custom) return [urn];
    return (children.get(urn) ?? []).flatMap((c) => customsUnder(c.urn, seen));
  };
  const deps = new Map<string, string[]>();
  for (const r of resources) {
    if (!r.custom) continue;
    const direct = [...r.dependencies];
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    if (parent?.custom) direct.push(parent.urn);
    deps.set(r.urn, [...new Set(direct.flatMap((d) => customsUnder(d)))].filter((d) => d !== r.urn));
  }
  return deps;
}

export function planLongestChain(resources: PlanResource[]): PlanChain {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const deps = planCustomDependencies(resources);
  const memo = new Map<string, string[]>();
  const visiting = new Set<string>();
  const chainTo = (urn: string): string[] => {
    const known = memo.get(urn);
    if (known) return known;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    let best: string[] = [];
    for (const d of deps.get(urn) ?? []) {
      const c = chainTo(d);
      if (c.length > best.length) best = c;
    }
    visiting.delete(urn);
    const chain = [...best, urn];
    memo.set(urn, chain);
    return chain;
  };
  let longest: string[] = [];
  for (const urn of deps.keys()) {
    const c = chainTo(urn);
    if (c.length > longest.length) longest = c;
  }
  return { depth: longest.length, chain: longest.map((u) => byUrn.get(u)!) };
}

/** The inputs worth showing per resource type in the tree (dotted paths); other types show their scalar inputs. */
const KEY_INPUTS: Record<string, string[]> = {
  "oci:Core/vcn:Vcn": ["cidrBlocks", "dnsLabel"],
  "oci:Core/natGateway:NatGateway": ["displayName"],
  "oci:Core/routeTable:RouteTable": ["routeRules.0.destination"],
  "oci:Core/securityList:SecurityList": ["ingressSecurityRules.0.source", "egressSecurityRules.1.destination"],
  "oci:Core/subnet:Subnet": ["cidrBlock", "prohibitPublicIpOnVnic"],
  "tls:index/privateKey:PrivateKey": ["algorithm", "rsaBits"],
  "tls:index/selfSignedCert:SelfSignedCert": ["subject.commonName", "isCaCertificate", "dnsNames", "validityPeriodHours"],
  "tls:index/certRequest:CertRequest": ["subject.commonName", "dnsNames"],
  "tls:index/locallySignedCert:LocallySignedCert": ["validityPeriodHours", "earlyRenewalHours", "allowedUses"],
  "oci:CertificatesManagement/certificate:Certificate": ["name", "certificateConfig.configType", "certificateConfig.privateKeyPem"],
  "oci:ApiGateway/gateway:Gateway": ["endpointType", "certificateId"],
  "oci:ApiGateway/deployment:Deployment": [
    "pathPrefix",
    "specification.routes.0.path",
    "specification.routes.0.backend.url",
    "specification.requestPolicies.authentication.validationPolicy.type",
    "specification.routes.0.requestPolicies.authorization.allowedScopes",
  ],
  "oci:Identity/domainsSetting:DomainsSetting": ["signingCertPublicAccess", "csrAccess"],
  "oci:Identity/domainsApp:DomainsApp": ["displayName", "audience", "secondaryAudiences", "scopes.0.value", "allowedScopes.0.fqs", "allowedScopes.1.fqs", "allowedGrants"],
  "oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint": ["externalKeyManagerIp"],
  "oci:Kms/vault:Vault": [
    "vaultType",
    "externalKeyManagerMetadata.externalVaultEndpointUrl",
    "externalKeyManagerMetadata.oauthMetadata.clientAppId",
    "externalKeyManagerMetadata.oauthMetadata.clientAppSecret",
  ],
  "oci:Kms/key:Key": ["displayName", "keyShape", "protectionMode", "externalKeyReference.externalKeyId"],
  "oci:Kms/vaultVerification:VaultVerification": [
    "replicaRegion",
    "replicaVaultMetadata.privateEndpointId",
    "replicaVaultMetadata.idcsAccountNameUrl",
  ],
  "oci:Identity/domainReplicationToRegion:DomainReplicationToRegion": ["domainId", "replicaRegion"],
  [DSM_TYPE_TOKENS.group]: ["name", "endpoint"],
  [DSM_TYPE_TOKENS.jwtApp]: ["name", "groupId", "jwksUrl", "validIssuers", "endpoint"],
  [DSM_TYPE_TOKENS.securityObject]: ["name", "groupId", "description", "rotationPolicyDays", "endpoint"],
};

function at(value: unknown, path: string): unknown {
  let v: unknown = value;
  for (const part of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function short(value: unknown, max = 100): string {
  const text = typeof value === "string" ? value.replace(/\n/g, "\\n") : JSON.stringify(value);
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

function keyInputs(r: PlanResource): string[] {
  const paths = KEY_INPUTS[r.type];
  if (paths) {
    return paths.flatMap((p) => {
      const v = at(r.inputs, p);
      return v === undefined ? [] : [`${p}=${short(v)}`];
    });
  }
  return Object.entries(r.inputs)
    .filter(([k, v]) => k !== "__provider" && (typeof v !== "object" || v === null))
    .map(([k, v]) => `${k}=${short(v)}`);
}

/** The plan as an indented tree: `+ <type> <name>` and the inputs that matter. */
export function renderPlanTree(resources: PlanResource[], ociRegion?: string): string {
  const children = new Map<string | undefined, PlanResource[]>();
  for (const r of resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const urns = new Set(resources.map((r) => r.urn));
  const roots = resources.filter((r) => !r.parent || !urns.has(r.parent));
  const lines: string[] = [];
  const walk = (r: PlanResource, depth: number) => {
    const pad = "    ".repeat(depth);
    // A resource in another region than the stack's says so (a replica's chain).
    const region = r.provider !== undefined ? planProviderOf(r, resources, ociRegion)?.region : null;
    const where = region && region !== ociRegion ? `  [${region}]` : "";
    lines.push(`${pad}+ ${r.type}  ${r.name}${where}${r.protect ? "  [protected]" : ""}`);
    for (const line of keyInputs(r)) lines.push(`${pad}      ${line}`);
    for (const c of children.get(r.urn) ?? []) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return lines.join("\n");
}

/** The dependency graph as a Mermaid flowchart, components as nested subgraphs. */
export function planToMermaid(resources: PlanResource[]): string {
  const ids = new Map(resources.map((r, i) => [r.urn, `r${i}`]));
  const children = new Map<string | undefined, PlanResource[]>();
  for (const r of resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const label = (r: PlanResource) => `${r.type.split(":").pop()}<br/>${r.name}`.replace(/"/g, "'");
  const lines = ["flowchart LR"];
  const emit = (r: PlanResource, depth: number) => {
    const pad = "  ".repeat(depth + 1);
    if (r.custom) {
      lines.push(`${pad}${ids.get(r.urn)}["${label(r)}"]`);
      return;
    }
    const kids = children.get(r.urn) ?? [];
    if (kids.length === 0) return;
    lines.push(`${pad}subgraph ${ids.get(r.urn)}["${label(r)}"]`);
    for (const c of kids) emit(c, depth + 1);
    lines.push(`${pad}end`);
  };
  const urns = new Set(resources.map((r) => r.urn));
  for (const r of resources.filter((x) => !x.parent || !urns.has(x.parent))) {
    if (r.type === "pulumi:pulumi:Stack") for (const c of children.get(r.urn) ?? []) emit(c, 0);
    else emit(r, 0);
  }
  for (const [urn, deps] of planCustomDependencies(resources)) {
    for (const d of deps) lines.push(`  ${ids.get(d)} --> ${ids.get(urn)}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * The JSON document of `--json`: every resource with the provider it is registered with and that
 * provider's region (`ociRegion`: the stack's `oci:region`), the stack outputs, the longest chain.
 */
export function planToJson(result: PlanResult, ociRegion?: string): object {
  const chain = planLongestChain(result.resources);
  return {
    resources: result.resources.map((r) => ({ r, provider: planProviderOf(r, result.resources, ociRegion) })).map(({ r, provider }) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      parent: r.parent ?? null,
      custom: r.custom,
      id: r.id ?? null,
      protect: r.protect,
      provider: provider?.provider ?? null,
      providerRegion: provider?.region ?? null,
      inputs: elideProvider(r.inputs),
      outputs: r.outputs,
      additionalSecretOutputs: r.additionalSecretOutputs,
      dependencies: r.dependencies,
    })),
    outputs: result.outputs,
    longestDependencyChain: { depth: chain.depth, urns: chain.chain.map((r) => r.urn) },
  };
}

/** A dynamic provider's serialized code is large and says nothing about the plan. */
function elideProvider(inputs: Record<string, unknown>): Record<string, unknown> {
  const p = inputs.__provider;
  return typeof p === "string" ? { ...inputs, __provider: `[serialized provider, ${p.length} characters]` } : inputs;
}

/**
 * The report `npm run plan` prints. With `stack`, it starts with the stack, the region the mocked
 * endpoints name and where it came from, and the notes on the config.
 */
export function formatPlanReport(result: PlanResult, stack?: Pick<PlanStack, "project" | "stack" | "region" | "notes">): string {
  const chain = planLongestChain(result.resources);
  const custom = result.resources.filter((r) => r.custom).length;
  const outputs = Object.entries(result.outputs).map(([k, v]) => `    ${k}: ${short(v, 140)}`);
  const header = stack ? [`Stack ${stack.stack} (project ${stack.project}), region: ${stack.region.region} (${stack.region.source})`, ...stack.notes, ""] : [];
  return [
    ...header,
    renderPlanTree(result.resources, stack?.region.region),
    "",
    "Outputs:",
    ...outputs,
    "",
    `Resources: ${result.resources.length} registered (${custom} to create, ${result.resources.length - custom} components) in ${Math.round(result.durationMs)} ms`,
    `Longest dependency chain: ${chain.depth} resources: ${chain.chain.map((r) => r.name).join(" → ")}`,
  ].join("\n");
}
