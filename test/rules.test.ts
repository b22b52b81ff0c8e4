// One rule, one place: a value refused by the component that owns the rule gets the same words when
// it comes in through the topology or the stack config; only the path in front of it differs.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { checkedIdentityDomainUrl } from "../components/identity-domain-url";
import { EkmVault, type EkmVaultArgs } from "../components/ekm";
import { EkmIdentity } from "../components/identity";
import { EkmNetwork } from "../components/network";
import { EkmTopology, type EkmTopologyArgs } from "../components/topology";
import { EkmConfigError, ekmConfigFromObject, loadEkmConfig } from "../infra/config";
import { ACCOUNT_ID, COMPARTMENT, DOMAIN_URL, VAULT_ARGS } from "./oci-helpers";

const LOOK_ALIKE = "https://idcs-abc.identity.oraclecloud.com.evil.com";

const VAULT: EkmVaultArgs = VAULT_ARGS;
const TOPOLOGY: EkmTopologyArgs = {
  compartmentId: COMPARTMENT,
  gatewayHostname: "ekm-gateway.example.com",
  identityDomainUrl: DOMAIN_URL,
  dsm: { accountId: ACCOUNT_ID },
};
const CONFIG = { compartmentId: COMPARTMENT, gatewayHostname: "ekm-gateway.example.com", dsmAccountId: ACCOUNT_ID, identityDomainUrl: DOMAIN_URL };

function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof EkmConfigError ? e.message : (e as Error).message;
  }
  throw new Error("accepted");
}

/** The `<path> is <given>; expected <expected>` statement about `path`, without the path. */
function said(message: string, path: string): string {
  const at = message.indexOf(path + " is ");
  expect(at, `${path} in: ${message}`).toBeGreaterThanOrEqual(0);
  const rest = message.slice(at + path.length);
  const end = rest.search(/; (?=[\w.[\]:-]+ is )|\n|$/);
  return rest.slice(0, end === -1 ? undefined : end);
}

describe("each rule's message is the same whichever door the value came in by", () => {
  it("a key name used twice", () => {
    const vault = said(thrown(() => new EkmVault("v", { ...VAULT, keys: [{ name: "a", externalKeyId: "a" }, { name: "a", externalKeyId: "a" }] })), "keys[1].name");
    const topology = said(thrown(() => new EkmTopology("t", { ...TOPOLOGY, dsm: { accountId: ACCOUNT_ID, keys: [{ name: "a" }, { name: "a" }] } })), "dsm.keys[1].name");
    const config = said(thrown(() => loadEkmConfig(ekmConfigFromObject({ ...CONFIG, keys: [{ name: "a" }, { name: "a" }] }))), "oci-ekm:keys[1].name");
    expect(vault).toBe(` is "a", also the name of keys[0]; expected a name of its own (a name is the key reference's external key id)`);
    expect(topology).toBe(vault.replace("keys[0]", "dsm.keys[0]"));
    expect(config).toBe(vault);
  });

  it("a subnet outside its VCN, and an existing VCN without its CIDR: the network, the topology and the config alike", () => {
    const NET = { compartmentId: COMPARTMENT };
    const outside = { vcnCidr: "10.0.0.0/16", subnetCidr: "192.168.1.0/24" };
    const network = said(thrown(() => new EkmNetwork("n", { ...NET, ...outside })), "subnetCidr");
    const topology = said(thrown(() => new EkmTopology("t", { ...TOPOLOGY, network: outside })), "network.subnetCidr");
    const config = said(thrown(() => loadEkmConfig(ekmConfigFromObject({ ...CONFIG, ...outside }))), "oci-ekm:subnetCidr");
    expect(network).toBe(' is "192.168.1.0/24"; expected a CIDR inside vcnCidr 10.0.0.0/16');
    expect(topology).toBe(network);
    expect(config).toBe(network);

    const existing = { existingVcnId: "ocid1.vcn.oc1..aaaaaaaateamvcn" };
    const expected = " is not set; expected the CIDR of the VCN existingVcnId names, required with it: the new subnet (subnetCidr) must lie inside it, and the security list admits HTTPS from it";
    expect(said(thrown(() => new EkmNetwork("n", { ...NET, ...existing })), "vcnCidr")).toBe(expected);
    expect(said(thrown(() => new EkmTopology("t", { ...TOPOLOGY, network: existing })), "network.vcnCidr")).toBe(expected);
    expect(said(thrown(() => loadEkmConfig(ekmConfigFromObject({ ...CONFIG, ...existing }))), "oci-ekm:vcnCidr")).toBe(expected);
  });

  it("a vault URL host that is neither the private endpoint nor the gateway", () => {
    const vault = said(thrown(() => new EkmVault("v", { ...VAULT, vaultUrlHost: "ip" })), "vaultUrlHost");
    const topology = said(thrown(() => new EkmTopology("t", { ...TOPOLOGY, vaultUrlHost: "ip" })), "vaultUrlHost");
    const config = said(thrown(() => loadEkmConfig(ekmConfigFromObject({ ...CONFIG, vaultUrlHost: "ip" }))), "oci-ekm:vaultUrlHost");
    expect(vault).toBe(' is "ip"; expected one of "privateEndpoint", "gateway"');
    expect(topology).toBe(vault);
    expect(config).toBe(vault);
  });

  it("an Identity Domain URL that only looks like one: the vault, the identity, the topology and the config refuse it alike", () => {
    const vault = said(thrown(() => new EkmVault("v", { ...VAULT, identityDomainUrl: LOOK_ALIKE })), "identityDomainUrl");
    const identity = said(thrown(() => new EkmIdentity("i", { identityDomainUrl: LOOK_ALIKE, gatewayPrivateIp: "10.0.1.10" })), "identityDomainUrl");
    const topology = said(thrown(() => new EkmTopology("t", { ...TOPOLOGY, identityDomainUrl: LOOK_ALIKE })), "identityDomainUrl");
    const config = said(thrown(() => loadEkmConfig(ekmConfigFromObject({ ...CONFIG, identityDomainUrl: LOOK_ALIKE }))), "oci-ekm:identityDomainUrl");
    expect(vault).toMatch(/^ is "https:\/\/idcs-abc\.identity\.oraclecloud\.com\.evil\.com"; expected an Identity Domain URL https:\/\/idcs-<id>\.identity\.<realm domain> .*: the host idcs-abc\.identity\.oraclecloud\.com\.evil\.com is not in an OCI realm domain$/);
    expect([identity, topology, config]).toEqual([vault, vault, vault]);
  });
});

describe("an Identity Domain URL that arrives as an Output", () => {
  // An Output is awaited through its promise (the SDK's own, not public): a rejected input fails the
  // resource's registration, and with it `pulumi up`, before the resource is created.
  const settle = (o: pulumi.Output<string>): Promise<string> => {
    // Its other promises (known, secret) carry the same rejection: observed, so none goes unhandled.
    for (const v of Object.values(o as object)) if (v instanceof Promise) v.catch(() => undefined);
    return (o as unknown as { promise(): Promise<string> }).promise();
  };

  it("is held to the same rule once known, with the vault's own message; a real domain passes", async () => {
    await expect(settle(checkedIdentityDomainUrl("EkmVault v", pulumi.output(LOOK_ALIKE)))).rejects.toThrow(
      `EkmVault v: identityDomainUrl is "${LOOK_ALIKE}"; expected an Identity Domain URL`,
    );
    await expect(settle(checkedIdentityDomainUrl("EkmVault v", pulumi.output(DOMAIN_URL)))).resolves.toBe(DOMAIN_URL);
  });
});
