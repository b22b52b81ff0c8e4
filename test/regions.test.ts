// Where OCI's regions and DSM SaaS's regions are: a DSM on another continent than the stack's OCI
// region is a warning of the stack configuration, naming the extra time and the closest DSM region.
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it } from "vitest";
import { closestDsmSaasRegion, dsmRegionWarning, dsmSaasRegionOf, ociRegionContinent } from "../components/regions";
import { checkEkmConfig, ekmConfigFromObject, ekmConfigFromPulumi } from "../infra/config";
import { ekmRegionWarnings } from "../infra/config-regions";

const BUDGET = "OCI gives the key manager 500 ms to connect and 1000 ms to answer each call";
const FAR = "(cross-continent: typically 100-250 ms per round trip; a new connection to DSM costs extra round trips for TCP and TLS)";

describe("ociRegionContinent", () => {
  it("maps OCI region identifiers to their continent, Australia's ap- regions to Oceania", () => {
    const regions = [
      "us-ashburn-1", "us-phoenix-1", "ca-toronto-1", "mx-queretaro-1", "us-gov-ashburn-1",
      "sa-saopaulo-1", "sa-santiago-1",
      "eu-frankfurt-1", "eu-amsterdam-1", "uk-london-1", "uk-gov-cardiff-1",
      "me-jeddah-1", "me-dubai-1", "il-jerusalem-1",
      "af-johannesburg-1",
      "ap-tokyo-1", "ap-mumbai-1", "ap-singapore-1", "ap-seoul-1",
      "ap-sydney-1", "ap-melbourne-1", "ap-dcc-canberra-1",
    ];
    expect(Object.fromEntries(regions.map((r) => [r, ociRegionContinent(r)]))).toEqual({
      "us-ashburn-1": "North America", "us-phoenix-1": "North America", "ca-toronto-1": "North America", "mx-queretaro-1": "North America", "us-gov-ashburn-1": "North America",
      "sa-saopaulo-1": "South America", "sa-santiago-1": "South America",
      "eu-frankfurt-1": "Europe", "eu-amsterdam-1": "Europe", "uk-london-1": "Europe", "uk-gov-cardiff-1": "Europe",
      "me-jeddah-1": "Middle East", "me-dubai-1": "Middle East", "il-jerusalem-1": "Middle East",
      "af-johannesburg-1": "Africa",
      "ap-tokyo-1": "Asia", "ap-mumbai-1": "Asia", "ap-singapore-1": "Asia", "ap-seoul-1": "Asia",
      "ap-sydney-1": "Oceania", "ap-melbourne-1": "Oceania", "ap-dcc-canberra-1": "Oceania",
    });
  });

  it("knows nothing of what is no OCI region identifier", () => {
    expect(["", "frankfurt", "EU (Frankfurt)", "xx-nowhere-1", "eu-frankfurt"].map(ociRegionContinent)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(ociRegionContinent(" EU-Frankfurt-1 ")).toBe("Europe");
  });
});

describe("DSM SaaS regions", () => {
  it("reads the region from the DSM URL's host; any other host (a private DSM, the emulator) is none", () => {
    expect(["https://amer.smartkey.io", "https://EU.smartkey.io/", "https://uk.smartkey.io:443", "https://apac.smartkey.io", "https://au.smartkey.io"].map((u) => dsmSaasRegionOf(u)?.continent)).toEqual([
      "North America", "Europe", "Europe", "Asia", "Oceania",
    ]);
    expect(["https://dsm.example.com", "https://127.0.0.1:4443", "https://smartkey.io", "not a url"].map(dsmSaasRegionOf)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("names the DSM region closest to an OCI region", () => {
    const hosts = ["us-ashburn-1", "sa-saopaulo-1", "eu-frankfurt-1", "uk-london-1", "me-jeddah-1", "af-johannesburg-1", "ap-tokyo-1", "ap-sydney-1", "xx-nowhere-1"].map(
      (r) => closestDsmSaasRegion(r)?.host,
    );
    expect(hosts).toEqual(["amer.smartkey.io", "amer.smartkey.io", "eu.smartkey.io", "uk.smartkey.io", "eu.smartkey.io", "eu.smartkey.io", "apac.smartkey.io", "au.smartkey.io", undefined]);
  });
});

describe("dsmRegionWarning", () => {
  it("warns when the OCI region and DSM are on different continents, naming the latency class and the closest DSM region", () => {
    expect(dsmRegionWarning(["ap-tokyo-1"], "https://eu.smartkey.io")).toBe(
      `OCI region ap-tokyo-1 (Asia) and DSM eu.smartkey.io (Europe) are on different continents ${FAR}, while ${BUDGET}; the DSM SaaS region closest to ap-tokyo-1 is apac.smartkey.io`,
    );
    expect(dsmRegionWarning(["eu-frankfurt-1"], "https://amer.smartkey.io")).toBe(
      `OCI region eu-frankfurt-1 (Europe) and DSM amer.smartkey.io (North America) are on different continents ${FAR}, while ${BUDGET}; the DSM SaaS region closest to eu-frankfurt-1 is eu.smartkey.io`,
    );
  });

  it("says so when no DSM region is closer", () => {
    expect(dsmRegionWarning(["sa-saopaulo-1"], "https://amer.smartkey.io")).toBe(
      `OCI region sa-saopaulo-1 (South America) and DSM amer.smartkey.io (North America) are on different continents ${FAR}, while ${BUDGET}; no DSM SaaS region is closer to sa-saopaulo-1: amer.smartkey.io is already the closest`,
    );
  });

  it("names each far region of several (a replica's too) with its closest DSM region", () => {
    expect(dsmRegionWarning(["us-ashburn-1", "ap-sydney-1", "me-jeddah-1"], "https://amer.smartkey.io")).toBe(
      `OCI regions ap-sydney-1 (Oceania), me-jeddah-1 (Middle East) and DSM amer.smartkey.io (North America) are on different continents ${FAR}, while ${BUDGET}; ` +
        "the DSM SaaS region closest to ap-sydney-1 is au.smartkey.io, to me-jeddah-1 eu.smartkey.io",
    );
    expect(dsmRegionWarning(["sa-saopaulo-1", "ap-tokyo-1"], "https://amer.smartkey.io")).toBe(
      `OCI regions sa-saopaulo-1 (South America), ap-tokyo-1 (Asia) and DSM amer.smartkey.io (North America) are on different continents ${FAR}, while ${BUDGET}; ` +
        "the DSM SaaS region closest to sa-saopaulo-1 is amer.smartkey.io (this one), to ap-tokyo-1 apac.smartkey.io",
    );
  });

  it("is quiet on one continent, and for a DSM or a region it does not know", () => {
    expect(dsmRegionWarning(["uk-london-1", "eu-frankfurt-1"], "https://eu.smartkey.io")).toBeUndefined();
    expect(dsmRegionWarning(["eu-frankfurt-1"], "https://uk.smartkey.io")).toBeUndefined();
    expect(dsmRegionWarning(["mx-queretaro-1", "ca-toronto-1", "us-ashburn-1"], "https://amer.smartkey.io")).toBeUndefined();
    expect(dsmRegionWarning(["ap-tokyo-1"], "https://dsm.internal.example.com")).toBeUndefined();
    expect(dsmRegionWarning(["ap-tokyo-1"], "https://127.0.0.1:40139")).toBeUndefined();
    expect(dsmRegionWarning(["xx-nowhere-1"], "https://eu.smartkey.io")).toBeUndefined();
    expect(dsmRegionWarning([], "https://eu.smartkey.io")).toBeUndefined();
  });
});

/** A valid stack config whose DSM is in Europe. */
const EU_DSM_STACK = {
  compartmentId: "ocid1.compartment.oc1..aaaaaaaaexample",
  gatewayHostname: "ekm-gateway.example.com",
  dsmAccountId: "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
  identityDomainUrl: "https://idcs-0123456789abcdef0123456789abcdef.identity.oraclecloud.com",
  dsmUrl: "https://eu.smartkey.io",
};

describe("the stack configuration's warning", () => {
  afterEach(() => pulumi.runtime.setAllConfig({}));

  it("reads oci:region and oci-ekm:dsmUrl (default https://amer.smartkey.io)", () => {
    expect(ekmRegionWarnings(undefined, ["il-jerusalem-1"])).toEqual([
      `oci-ekm:dsmUrl: OCI region il-jerusalem-1 (Middle East) and DSM amer.smartkey.io (North America) are on different continents ${FAR}, while ${BUDGET}; ` +
        "the DSM SaaS region closest to il-jerusalem-1 is eu.smartkey.io",
    ]);
    expect(ekmRegionWarnings("https://eu.smartkey.io", ["il-jerusalem-1"])).toHaveLength(1);
    expect(ekmRegionWarnings("https://eu.smartkey.io", ["eu-frankfurt-1"])).toEqual([]);
    expect(ekmRegionWarnings("https://amer.smartkey.io", [undefined])).toEqual([]);
  });

  it("is among checkEkmConfig's warnings, from the stack's oci:region", () => {
    const values = EU_DSM_STACK;
    expect(checkEkmConfig(ekmConfigFromObject(values)).warnings).toEqual([]);
    // As the program reads it under the CLI: the runtime's config.
    pulumi.runtime.setAllConfig({ ...Object.fromEntries(Object.entries(values).map(([k, v]) => [`oci-ekm:${k}`, v])), "oci:region": "ap-tokyo-1" });
    expect(checkEkmConfig(ekmConfigFromPulumi()).warnings).toHaveLength(1);
    expect(checkEkmConfig(ekmConfigFromObject({ ...values, "oci:region": "ap-tokyo-1" })).warnings).toEqual([
      `oci-ekm:dsmUrl: OCI region ap-tokyo-1 (Asia) and DSM eu.smartkey.io (Europe) are on different continents ${FAR}, while ${BUDGET}; the DSM SaaS region closest to ap-tokyo-1 is apac.smartkey.io`,
    ]);
  });

  it("counts the replica's region too: a replica in Tokyo of a Frankfurt vault on DSM eu is warned about", () => {
    const values = { ...EU_DSM_STACK, "oci:region": "eu-frankfurt-1" };
    expect(checkEkmConfig(ekmConfigFromObject(values)).warnings).toEqual([]);
    expect(checkEkmConfig(ekmConfigFromObject({ ...values, replicaRegion: "ap-tokyo-1" })).warnings).toEqual([
      `oci-ekm:dsmUrl: OCI region ap-tokyo-1 (Asia) and DSM eu.smartkey.io (Europe) are on different continents ${FAR}, while ${BUDGET}; the DSM SaaS region closest to ap-tokyo-1 is apac.smartkey.io`,
    ]);
  });
});
