// A second region: the topology with `replica`, as Oracle's "Replicating External Vaults" describes
// the set-up with API Gateway connectivity. Each region's resources through that region's provider,
// the caller's options honoured in both, the replication after the replica's whole chain, the second
// scope on the same client app, and nothing of the source region changed by adding a replica.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Provider } from "@pulumi/oci/provider";
import { parse, stringify } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { type PlanResource, type PlanResult, runPlanCommand, runStackInProcess } from "../components/plan";
import { replicaAudienceOf } from "../components/identity";
import { EkmTopology, ekmTopologyProblems, type EkmTopologyArgs } from "../components/topology";
import { checkEkmConfig, ekmConfigFromObject, EkmConfigError } from "../infra/config";
import { runEkmStack } from "../infra/stack";
import { ACCOUNT_ID, COMPARTMENT, DOMAIN_URL, stackConfig, userGatewayCertificate } from "./oci-helpers";

const DOMAIN_ID = "ocid1.domain.oc1..aaaaaaaateamdomain";
const ARGS: EkmTopologyArgs = {
  compartmentId: COMPARTMENT,
  gatewayHostname: "ekm-gateway.example.com",
  identityDomainUrl: DOMAIN_URL,
  dsm: { accountId: ACCOUNT_ID, keys: [{ name: "key-a" }] },
  namePrefix: "oci-ekm",
};
const WITH_REPLICA: EkmTopologyArgs = { ...ARGS, replica: { region: "eu-amsterdam-1", identityDomainId: DOMAIN_ID } };

const custom = (p: PlanResult): PlanResource[] => p.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
const named = (p: PlanResult, name: string): PlanResource => {
  const found = p.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name} in ${p.resources.map((r) => r.name).join(", ")}`);
  return found;
};
/** Every resource below the component named `component` (its URN among the ancestors). */
const under = (p: PlanResult, component: string): PlanResource[] => {
  const root = named(p, component).urn;
  const byUrn = new Map(p.resources.map((r) => [r.urn, r]));
  const isUnder = (r: PlanResource): boolean => r.parent === root || (r.parent !== undefined && byUrn.has(r.parent) && isUnder(byUrn.get(r.parent)!));
  return p.resources.filter(isUnder);
};
const refOf = (provider: Provider): Promise<string> => new Promise((resolve) => pulumi.all([provider.urn, provider.id]).apply(([urn, id]) => resolve(`${urn}::${id}`)));

describe("a topology with a replica region", () => {
  it("creates the replica's network, gateway and private endpoint through the replica's provider, everything else through the source's", async () => {
    const refs: Promise<string>[] = [];
    const p = await runStackInProcess({
      program: () => {
        const frankfurt = new Provider("frankfurt", { region: "eu-frankfurt-1" });
        const amsterdam = new Provider("amsterdam", { region: "eu-amsterdam-1" });
        refs.push(refOf(frankfurt), refOf(amsterdam));
        new EkmTopology("t", { ...WITH_REPLICA, replica: { ...WITH_REPLICA.replica!, provider: amsterdam } }, { providers: { oci: frankfurt } });
      },
    });
    const [frankfurt, amsterdam] = await Promise.all(refs);
    const inReplica = new Set(under(p, "t-replica").filter((r) => r.custom).map((r) => r.name));
    const oci = custom(p).filter((r) => r.type.startsWith("oci:"));
    expect([...inReplica].filter((n) => oci.some((r) => r.name === n)).sort()).toEqual([
      "t-replica-certificate-oci", "t-replica-gateway-deployment", "t-replica-gateway-gateway", "t-replica-network-https", "t-replica-network-nat",
      "t-replica-network-routes", "t-replica-network-subnet", "t-replica-network-vcn", "t-replica-private-endpoint",
    ]);
    for (const r of oci) expect(r.provider, r.name).toBe(inReplica.has(r.name) ? amsterdam : frankfurt);
    // The certificate's keys and signatures are @pulumi/tls's, local to the machine: its default provider.
    for (const r of custom(p).filter((x) => x.type.startsWith("tls:"))) expect(r.provider, r.name).toBeUndefined();
    // The replication and the domain's replication are made through the source region.
    expect(named(p, "t-ekm-replication").provider).toBe(frankfurt);
    expect(named(p, "t-identity-domain-replication").provider).toBe(frankfurt);
  });

  it("makes a provider for the replica region from the stack's oci: config when none is given, the private key kept secret", async () => {
    const p = await runStackInProcess({
      config: { "oci:region": "eu-frankfurt-1", "oci:tenancyOcid": "ocid1.tenancy.oc1..t", "oci:userOcid": "ocid1.user.oc1..u", "oci:fingerprint": "aa:bb", "oci:privateKey": "PRIVATE KEY TEXT" },
      secretKeys: ["oci:privateKey"],
      program: () => void new EkmTopology("t", WITH_REPLICA),
    });
    const provider = named(p, "t-replica-oci");
    expect(provider.type).toBe("pulumi:providers:oci");
    expect(provider.inputs).toMatchObject({ region: "eu-amsterdam-1", tenancyOcid: "ocid1.tenancy.oc1..t", userOcid: "ocid1.user.oc1..u", fingerprint: "aa:bb" });
    expect(JSON.stringify(provider.inputs)).not.toContain("PRIVATE KEY TEXT");
    const replicaOci = custom(p).filter((r) => r.name.startsWith("t-replica-") && r.type.startsWith("oci:"));
    expect(replicaOci).toHaveLength(9);
    for (const r of replicaOci) expect(r.provider, r.name).toBe(`${provider.urn}::t-replica-oci_id`);
  });

  it("adds a second resource app for the replica gateway's audience and its scope to the same client app; the replication waits for the whole chain", async () => {
    const p = await runStackInProcess({ program: () => void new EkmTopology("t", WITH_REPLICA) });
    // A new VCN in the replica region has its own range: the two gateways never share an IP (an audience).
    expect(named(p, "t-replica-network-subnet").inputs.cidrBlock).toBe("10.1.1.0/24");
    expect(named(p, "t-identity-resource-app").inputs.audience).toBe("https://10.0.1.10/");
    expect(named(p, "t-identity-replica-resource-app").inputs).toMatchObject({ audience: "https://10.1.1.10/", displayName: "oci-ekm-replica-resource-app", isOauthResource: true });
    expect(named(p, "t-identity-client-app").inputs.allowedScopes).toEqual([{ fqs: "https://10.0.1.10/oci_ekms" }, { fqs: "https://10.1.1.10/oci_ekms" }]);
    expect(named(p, "t-identity-domain-replication").inputs).toEqual({ domainId: DOMAIN_ID, replicaRegion: "eu-amsterdam-1" });
    expect(named(p, "t-identity-domain-replication").retainOnDelete).toBe(true);
    expect(named(p, "t-replica-private-endpoint").inputs).toMatchObject({ externalKeyManagerIp: "10.1.1.10", subnetId: "t-replica-network-subnet_id" });

    const replication = named(p, "t-ekm-replication");
    expect(replication.type).toBe("oci:Kms/vaultVerification:VaultVerification");
    expect(replication.inputs).toEqual({
      vaultId: "t-ekm-vault_id",
      replicaRegion: "eu-amsterdam-1",
      replicaVaultMetadata: { vaultType: "EXTERNAL", privateEndpointId: "t-replica-private-endpoint_id", idcsAccountNameUrl: DOMAIN_URL },
    });
    expect(replication.protect).toBe(true);
    const urnOf = (name: string): string => named(p, name).urn;
    expect(replication.dependencies).toEqual(expect.arrayContaining(
      ["t-ekm-vault", "t-ekm-key-key-a", "t-replica-private-endpoint", "t-replica-gateway-deployment", "t-identity-replica-resource-app", "t-identity-client-app", "t-identity-domain-replication"].map(urnOf),
    ));
  });

  it("issues the replica gateway's certificate with the source's CA, which both private endpoints trust", async () => {
    const p = await runStackInProcess({ program: () => void new EkmTopology("t", WITH_REPLICA) });
    expect(p.resources.filter((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert").map((r) => r.name)).toEqual(["t-certificate-ca"]);
    const caPem = named(p, "t-certificate-ca").outputs.certPem;
    expect(named(p, "t-replica-certificate-issued").inputs.caCertPem).toBe(caPem);
    expect(named(p, "t-replica-private-endpoint").inputs.caBundle).toBe(named(p, "t-ekm-private-endpoint").inputs.caBundle);
    expect(named(p, "t-replica-certificate-oci").inputs).toMatchObject({ name: "oci-ekm-replica-gateway-cert" });
  });

  it("the caller's protect: false, aliases and transformations reach the replica's resources too", async () => {
    const unprotected = await runStackInProcess({ program: () => void new EkmTopology("t", WITH_REPLICA, { protect: false }) });
    expect(custom(unprotected).filter((r) => r.protect).map((r) => r.name)).toEqual([]);
    const everything = await runStackInProcess({ program: () => void new EkmTopology("t", WITH_REPLICA, { protect: true }) });
    expect(custom(everything).filter((r) => !r.protect).map((r) => r.name)).toEqual([]);
    expect(custom(everything).filter((r) => r.name.startsWith("t-replica-")).length).toBe(12);
    const tagged = await runStackInProcess({
      program: () =>
        void new EkmTopology("t", WITH_REPLICA, {
          transformations: [(a) => (a.type.startsWith("oci:Core/") ? { props: { ...a.props, freeformTags: { dr: "yes" } }, opts: a.opts } : undefined)],
        }),
    });
    expect(custom(tagged).filter((r) => r.type === "oci:Core/vcn:Vcn").map((r) => [r.name, r.inputs.freeformTags])).toEqual([
      ["t-network-vcn", { dr: "yes" }],
      ["t-replica-network-vcn", { dr: "yes" }],
    ]);
    const renamed = await runStackInProcess({ program: () => void new EkmTopology("payments", WITH_REPLICA, { aliases: [{ name: "t" }] }) });
    expect(named(renamed, "payments").aliases).toEqual([{ name: "t", parentUrn: "urn:pulumi:dev::oci-ekm::pulumi:pulumi:Stack::oci-ekm-dev" }]);
    expect(named(renamed, "payments-replica").parent).toBe(named(renamed, "payments").urn);
  });

  it("adding a replica to a topology changes nothing of the source region: every input the same, the client app only gains the second scope", async () => {
    const before = await runStackInProcess({ program: () => void new EkmTopology("t", ARGS) });
    const after = await runStackInProcess({ program: () => void new EkmTopology("t", WITH_REPLICA) });
    const later = new Map(after.resources.map((r) => [r.urn, r]));
    for (const r of before.resources) {
      const again = later.get(r.urn);
      expect(again, r.urn).toBeDefined();
      if (r.name === "t-identity-client-app") {
        expect(again!.inputs.allowedScopes).toEqual([...(r.inputs.allowedScopes as unknown[]), { fqs: "https://10.1.1.10/oci_ekms" }]);
        expect({ ...again!.inputs, allowedScopes: undefined }).toEqual({ ...r.inputs, allowedScopes: undefined });
      } else {
        expect(again!.inputs, r.name).toEqual(r.inputs);
        expect(again!.provider, r.name).toBe(r.provider);
      }
    }
  });
});

describe("the replica's arguments are checked before anything is created", () => {
  it("a region that is not an OCI region identifier, and a replica network outside its VCN, are named", () => {
    expect(ekmTopologyProblems({ ...ARGS, replica: { region: "Amsterdam" } })).toEqual(['replica.region is "Amsterdam"; expected an OCI region identifier such as "eu-amsterdam-1"']);
    expect(ekmTopologyProblems({ ...ARGS, replica: { region: "eu-amsterdam-1", network: { subnetCidr: "10.2.1.0/24" } } })).toEqual([
      'replica.network.subnetCidr is "10.2.1.0/24"; expected a CIDR inside vcnCidr 10.1.0.0/16',
    ]);
    expect(() => new EkmTopology("t", { ...ARGS, replica: { region: "" } })).toThrow('EkmTopology t: replica.region is missing; expected an OCI region identifier such as "eu-amsterdam-1"');
  });

  it("with your own certificate for the source's gateway, the replica's gateway needs its own too", () => {
    const cert = userGatewayCertificate();
    const args: EkmTopologyArgs = { ...ARGS, certificate: { certificatePem: cert.certPem, privateKeyPem: cert.keyPem, certChainPem: cert.chainPem }, replica: { region: "eu-amsterdam-1" } };
    expect(ekmTopologyProblems(args)).toEqual([
      "replica.certificate.certificatePem is missing; expected the replica gateway's certificate, with its key and chain (the source's certificate is yours, so there is no generated CA to issue one)",
    ]);
    expect(ekmTopologyProblems({ ...args, replica: { region: "eu-amsterdam-1", certificate: { certificatePem: cert.certPem, privateKeyPem: cert.keyPem, certChainPem: cert.chainPem } } })).toEqual([]);
  });
});

describe("the stack with oci-ekm:replicaRegion", () => {
  const stack = (config: Record<string, unknown>): Promise<PlanResult> => runStackInProcess({ config, program: () => runEkmStack() });

  it("run twice, without and then with a replica: every resource of the source region keeps its inputs, the client app only gains the scope", async () => {
    const first = await stack(stackConfig());
    const second = await stack({ ...stackConfig({ replicaRegion: "eu-amsterdam-1", replicaIdentityDomainId: DOMAIN_ID }), "oci:region": "eu-frankfurt-1" });
    const again = new Map(second.resources.map((r) => [r.urn, r]));
    const changed = first.resources.filter((r) => JSON.stringify(again.get(r.urn)?.inputs) !== JSON.stringify(r.inputs)).map((r) => r.name);
    expect(changed).toEqual(["oci-ekm-identity-client-app"]);
    const added = second.resources.filter((r) => !first.resources.some((f) => f.urn === r.urn)).map((r) => r.name);
    expect(added).toEqual([
      "oci-ekm-replica", "oci-ekm-replica-oci", "oci-ekm-replica-network", "oci-ekm-replica-network-vcn", "oci-ekm-replica-network-nat", "oci-ekm-replica-network-routes",
      "oci-ekm-replica-network-https", "oci-ekm-replica-network-subnet", "oci-ekm-replica-certificate", "oci-ekm-replica-certificate-key",
      "oci-ekm-replica-certificate-request", "oci-ekm-replica-certificate-issued", "oci-ekm-replica-certificate-oci", "oci-ekm-replica-gateway",
      "oci-ekm-replica-gateway-gateway", "oci-ekm-replica-gateway-deployment", "oci-ekm-replica-private-endpoint", "oci-ekm-identity-replica-resource-app",
      "oci-ekm-identity-domain-replication", "oci-ekm-ekm-replication",
    ]);
    // A third run with the same config registers the same inputs: nothing on day two.
    const third = await stack({ ...stackConfig({ replicaRegion: "eu-amsterdam-1", replicaIdentityDomainId: DOMAIN_ID }), "oci:region": "eu-frankfurt-1" });
    expect(third.resources.map((r) => [r.urn, r.inputs])).toEqual(second.resources.map((r) => [r.urn, r.inputs]));
  });

  it("refuses the vault's own region as the replica's, and a replica without a certificate when the source's is yours", () => {
    const cert = userGatewayCertificate();
    const check = (config: Record<string, unknown>): string[] => {
      try {
        checkEkmConfig(ekmConfigFromObject(config));
        return [];
      } catch (e) {
        return (e as EkmConfigError).problems.map((p) => `${p.key}: ${p.expected}`);
      }
    };
    expect(check({ ...stackConfig({ replicaRegion: "eu-frankfurt-1" }), "oci:region": "eu-frankfurt-1" })).toEqual([
      "oci-ekm:replicaRegion: another region than oci:region (eu-frankfurt-1), where the vault itself is",
    ]);
    expect(check(stackConfig({ replicaRegion: "Amsterdam" }))).toEqual(['oci-ekm:replicaRegion: an OCI region identifier such as "eu-amsterdam-1"']);
    expect(check(stackConfig({ replicaRegion: "eu-amsterdam-1", certificatePem: cert.certPem, certChainPem: cert.chainPem }))).toEqual([
      "oci-ekm:privateKeyPem: the private key of certificatePem, to import it (pulumi config set --secret privateKeyPem < key.pem)",
      "oci-ekm:replicaCertificatePem: the replica gateway's certificate (PEM) with replicaCertChainPem and replicaPrivateKeyPem: the source's certificate is yours, so there is no generated CA to issue one",
    ]);
  });

  it("warns that replica keys are ignored without replicaRegion", () => {
    const { warnings } = checkEkmConfig(ekmConfigFromObject(stackConfig({ replicaVcnCidr: "10.2.0.0/16", replicaIdentityDomainId: DOMAIN_ID })));
    expect(warnings).toEqual([
      "oci-ekm:replicaIdentityDomainId is set but ignored: replicaRegion is not set, so the vault has no replica",
      "oci-ekm:replicaVcnCidr is set but ignored: replicaRegion is not set, so the vault has no replica",
    ]);
  });
});

describe("npm run plan of a stack with replicaRegion", () => {
  const root = path.resolve(__dirname, "..");
  const ociVersion = (JSON.parse(readFileSync(path.join(root, "node_modules/@pulumi/oci/package.json"), "utf8")) as { version: string }).version;

  it("shows the replica's chain in its region, and --json records every resource's provider and that provider's region", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-replica-"));
    copyFileSync(path.join(root, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    writeFileSync(path.join(dir, "Pulumi.dr.yaml"), stringify({ config: { ...stackConfig({ replicaRegion: "eu-amsterdam-1" }), "oci:region": "eu-frankfurt-1" } }));
    const json = path.join(dir, "plan.json");
    const printed: string[] = [];
    const code = await runPlanCommand(["--stack", "dr", "--cwd", dir, "--json", json], { projectDir: root, program: () => runEkmStack(), print: (t) => printed.push(t) });
    expect(code).toBe(0);
    const text = printed.join("\n");
    expect(text.split("\n")[0]).toBe("Stack dr (project oci-ekm), region: eu-frankfurt-1 (oci:region)");
    expect(text).toContain("+ oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint  oci-ekm-replica-private-endpoint  [eu-amsterdam-1]\n");
    expect(text).toContain("+ oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint  oci-ekm-ekm-private-endpoint\n");
    expect(text).toContain("+ oci:Kms/vaultVerification:VaultVerification  oci-ekm-ekm-replication  [protected]\n");

    const plan = JSON.parse(readFileSync(json, "utf8")) as { resources: { name: string; type: string; custom: boolean; provider: string | null; providerRegion: string | null }[] };
    const custom = plan.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    const defaultOci = `urn:pulumi:dr::oci-ekm::pulumi:providers:oci::default_${ociVersion.replace(/[.+-]/g, "_")}`;
    const replicaProvider = "urn:pulumi:dr::oci-ekm::oci-ekm-fortanix:index:EkmTopology$oci-ekm-fortanix:index:EkmReplicaRegion$pulumi:providers:oci::oci-ekm-replica-oci::oci-ekm-replica-oci_id";
    const byRegion = (region: string | null): string[] => custom.filter((r) => r.providerRegion === region).map((r) => r.name).sort();
    expect(byRegion("eu-amsterdam-1")).toEqual([
      "oci-ekm-replica-certificate-oci", "oci-ekm-replica-gateway-deployment", "oci-ekm-replica-gateway-gateway", "oci-ekm-replica-network-https", "oci-ekm-replica-network-nat",
      "oci-ekm-replica-network-routes", "oci-ekm-replica-network-subnet", "oci-ekm-replica-network-vcn", "oci-ekm-replica-private-endpoint",
    ]);
    for (const r of custom) {
      if (r.providerRegion === "eu-amsterdam-1") expect(r.provider, r.name).toBe(replicaProvider);
      else if (r.type.startsWith("oci:")) expect([r.name, r.provider, r.providerRegion]).toEqual([r.name, defaultOci, "eu-frankfurt-1"]);
      else if (r.type.startsWith("pulumi-nodejs:")) expect([r.name, r.provider, r.providerRegion]).toEqual([r.name, "urn:pulumi:dr::oci-ekm::pulumi:providers:pulumi-nodejs::default", null]);
      else expect([r.name, r.provider, r.providerRegion]).toEqual([r.name, expect.stringMatching(/^urn:pulumi:dr::oci-ekm::pulumi:providers:tls::default_\d+_\d+_\d+$/), null]);
    }
    expect(plan.resources.find((r) => r.name === "oci-ekm-replica")).toMatchObject({ custom: false, provider: null, providerRegion: null });
  });
});

describe("the pull-request workflow", () => {
  it("previews every stack of the repository in a matrix, the list made by its own step", () => {
    const root = path.resolve(__dirname, "..");
    const workflow = parse(readFileSync(path.join(root, ".github/workflows/preview.yml"), "utf8")) as {
      jobs: Record<string, { needs?: string; outputs?: Record<string, string>; strategy?: { matrix: Record<string, string> }; steps: { id?: string; run?: string; env?: Record<string, string>; with?: Record<string, unknown> }[] }>;
    };
    const { test, preview } = workflow.jobs;
    expect(preview.needs).toBe("test");
    expect(preview.strategy?.matrix.stack).toBe("${{ fromJson(needs.test.outputs.stacks) }}");
    expect(test.outputs?.stacks).toBe("${{ steps.stacks.outputs.stacks }}");
    expect(preview.steps.find((s) => s.with?.command === "preview")?.with?.["stack-name"]).toBe("${{ matrix.stack }}");
    // The step's own script, run here: the repository's stacks.
    const step = test.steps.find((s) => s.id === "stacks")!;
    const listed = execFileSync(process.execPath, ["-e", step.env!.STACKS], { cwd: root, encoding: "utf8" });
    expect(JSON.parse(listed)).toEqual(readdirSync(root).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => f.slice(7, -5)).sort());
    expect(JSON.parse(listed)).toContain("dev");
  });
});

describe("two gateways never share a private IP: each is the audience of a resource app in the one domain", () => {
  it("a replica subnet overlapping the source's is refused before anything is created, in the component and in the stack config", () => {
    expect(ekmTopologyProblems({ ...ARGS, replica: { region: "eu-amsterdam-1", network: { vcnCidr: "10.0.0.0/16", subnetCidr: "10.0.1.0/24" } } })).toEqual([
      'replica.network.subnetCidr is "10.0.1.0/24", which overlaps network.subnetCidr 10.0.1.0/24; expected a range apart from the source\'s: the two gateways would get the same private IP, the audience of two resource apps in one domain',
    ]);
    const check = (config: Record<string, unknown>): string[] => {
      try {
        checkEkmConfig(ekmConfigFromObject(config));
        return [];
      } catch (e) {
        return (e as EkmConfigError).problems.map((p) => `${p.key} is ${p.given ?? "not set"}; ${p.expected}`);
      }
    };
    expect(check(stackConfig({ replicaRegion: "eu-amsterdam-1", replicaVcnCidr: "10.0.0.0/16" }))).toEqual([
      'oci-ekm:replicaSubnetCidr is not set; a CIDR inside replicaVcnCidr 10.0.0.0/16 (not set, it is 10.1.1.0/24)',
    ]);
    expect(check(stackConfig({ replicaRegion: "eu-amsterdam-1", replicaVcnCidr: "10.0.0.0/16", replicaSubnetCidr: "10.0.1.0/24" }))).toEqual([
      'oci-ekm:replicaSubnetCidr is "10.0.1.0/24"; a range apart from subnetCidr 10.0.1.0/24: the two gateways would get the same private IP, the audience of two resource apps in one domain',
    ]);
    expect(check(stackConfig({ replicaRegion: "eu-amsterdam-1", replicaVcnCidr: "10.0.0.0/16", replicaSubnetCidr: "10.0.2.0/24" }))).toEqual([]);
    // An existing VCN in the replica region without a subnet range: the new subnet takes the network's default, the source's too.
    const inExistingVcn = { region: "eu-amsterdam-1", network: { existingVcnId: "ocid1.vcn.oc1..dr", vcnCidr: "10.0.0.0/16" } };
    expect(ekmTopologyProblems({ ...ARGS, replica: inExistingVcn })).toEqual([
      'replica.network.subnetCidr is "10.0.1.0/24", which overlaps network.subnetCidr 10.0.1.0/24; expected a range apart from the source\'s: the two gateways would get the same private IP, the audience of two resource apps in one domain',
    ]);
    expect(check(stackConfig({ replicaRegion: "eu-amsterdam-1", replicaExistingVcnId: "ocid1.vcn.oc1..dr", replicaVcnCidr: "10.0.0.0/16" }))).toEqual([
      'oci-ekm:replicaSubnetCidr is not set; a range apart from subnetCidr 10.0.1.0/24 (not set, it is 10.0.1.0/24): the two gateways would get the same private IP, the audience of two resource apps in one domain',
    ]);
  });

  it("existing subnets whose gateways got the same IP: the replica's audience is refused once the IPs are known", async () => {
    const settle = (o: pulumi.Output<string>): Promise<string> => {
      for (const v of Object.values(o as object)) if (v instanceof Promise) v.catch(() => undefined);
      return (o as unknown as { promise(): Promise<string> }).promise();
    };
    await expect(settle(replicaAudienceOf("EkmIdentity t-identity", pulumi.output("10.0.1.10"), pulumi.output("10.0.1.10")))).rejects.toThrow(
      "EkmIdentity t-identity: the replica's gateway has the source gateway's private IP 10.0.1.10; each resource app's audience is its gateway's IP, so the two gateways need different ones (give the replica's subnet another range)",
    );
    await expect(settle(replicaAudienceOf("EkmIdentity t-identity", pulumi.output("10.0.2.10"), pulumi.output("10.0.1.10")))).resolves.toBe("https://10.0.2.10/");
    // Two existing subnets: the plan gives their gateways two addresses, as OCI would.
    const apart = await runStackInProcess({
      program: () => void new EkmTopology("t", { ...ARGS, network: { existingSubnetId: "ocid1.subnet.oc1..team" }, replica: { region: "eu-amsterdam-1", network: { existingSubnetId: "ocid1.subnet.oc1..dr" } } }),
    });
    expect(named(apart, "t-identity-replica-resource-app").inputs.audience).toBe("https://10.0.1.11/");
  });

  it("a replica region in another realm than oci:region is refused", () => {
    expect(() => checkEkmConfig(ekmConfigFromObject({ ...stackConfig({ replicaRegion: "us-gov-ashburn-1" }), "oci:region": "eu-frankfurt-1" }))).toThrow(
      "oci-ekm:replicaRegion is \"us-gov-ashburn-1\"; expected a region of oci:region's realm (eu-frankfurt-1 is in oc1, us-gov-ashburn-1 in oc3): a vault replicates only within its realm",
    );
  });
});
