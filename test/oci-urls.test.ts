import { describe, expect, it } from "vitest";
import {
  DEFAULT_DSM_URL,
  DEFAULT_IDENTITY_ISSUER,
  GATEWAY_PATH_PREFIX,
  GATEWAY_ROUTE_PATH,
  OCI_EKMS_SCOPE,
  dsmHost,
  externalVaultUrl,
  fullyQualifiedScope,
  gatewayBackendUrl,
  gatewayBaseUrl,
  identityDiscoveryUrl,
  identityIssuerForms,
  identityJwksUri,
  identityTokenUrl,
  normalizeDsmUrl,
  normalizeIdentityDomainUrl,
} from "../components/urls";
import { ekmDnsLabel } from "../components/network";
import { gatewayRoute } from "../components/gateway";

describe("gateway backend URL", () => {
  it("is https://<DSM host>/ followed by the literal context variable", () => {
    expect(gatewayBackendUrl("https://amer.smartkey.io")).toBe("https://amer.smartkey.io/" + "$" + "{request.path[path]}");
    expect(gatewayBackendUrl(DEFAULT_DSM_URL)).toBe("https://amer.smartkey.io/${request.path[path]}");
  });

  it("ignores a trailing slash and keeps a non-default port", () => {
    expect(gatewayBackendUrl("https://eu.smartkey.io/")).toBe("https://eu.smartkey.io/${request.path[path]}");
    expect(gatewayBackendUrl("https://dsm.corp.example:8443")).toBe("https://dsm.corp.example:8443/${request.path[path]}");
    expect(gatewayBackendUrl("https://dsm.corp.example:443")).toBe("https://dsm.corp.example/${request.path[path]}");
  });

  it("refuses http, paths, queries and credentials", () => {
    expect(() => gatewayBackendUrl("http://amer.smartkey.io")).toThrow(/DSM URL: "http:\/\/amer.smartkey.io" must use https/);
    expect(() => gatewayBackendUrl("https://amer.smartkey.io/sys/v1")).toThrow(/bare origin/);
    expect(() => gatewayBackendUrl("https://amer.smartkey.io/?x=1")).toThrow(/bare origin/);
    expect(() => gatewayBackendUrl("https://u:p@amer.smartkey.io")).toThrow(/credentials/);
    expect(() => gatewayBackendUrl("amer.smartkey.io")).toThrow(/not a URL/);
  });

  it("route constants are the seed's", () => {
    expect(GATEWAY_PATH_PREFIX).toBe("/");
    expect(GATEWAY_ROUTE_PATH).toBe("/{path*}");
  });
});

describe("gateway route", () => {
  it("all: the Fortanix guide's catch-all, any method, to the same path on DSM", () => {
    expect(gatewayRoute("all", "https://amer.smartkey.io")).toEqual({
      path: "/{path*}",
      methods: ["ANY"],
      backendUrl: "https://amer.smartkey.io/${request.path[path]}",
    });
  });

  it("ekmOnly: only Oracle's EKM API, GET and POST, to /oci/ekm/v1/ on DSM", () => {
    expect(gatewayRoute("ekmOnly", "https://dsm.corp.example:8443/")).toEqual({
      path: "/oci/ekm/v1/{path*}",
      methods: ["GET", "POST"],
      backendUrl: "https://dsm.corp.example:8443/oci/ekm/v1/${request.path[path]}",
    });
  });
});

describe("identity issuer forms", () => {
  it("gives both forms, the one given first", () => {
    expect(identityIssuerForms("https://identity.oraclecloud.com/")).toEqual(["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"]);
    expect(identityIssuerForms("https://idcs-0123.identity.oraclecloud.com")).toEqual(["https://idcs-0123.identity.oraclecloud.com", "https://idcs-0123.identity.oraclecloud.com/"]);
  });
});

describe("DSM URL", () => {
  it("normalizes to the origin used as secondary audience", () => {
    expect(normalizeDsmUrl("https://amer.smartkey.io/")).toBe("https://amer.smartkey.io");
    expect(normalizeDsmUrl("https://AMER.smartkey.io")).toBe("https://amer.smartkey.io");
    expect(dsmHost("https://amer.smartkey.io")).toBe("amer.smartkey.io");
  });
});

describe("gateway base URL, audience and scope", () => {
  it("builds https://<ip>/ and the fully qualified scope without separator", () => {
    expect(gatewayBaseUrl("10.0.1.10")).toBe("https://10.0.1.10/");
    expect(gatewayBaseUrl("fd00::10")).toBe("https://[fd00::10]/");
    expect(fullyQualifiedScope("https://10.0.1.10/")).toBe("https://10.0.1.10/oci_ekms");
    expect(fullyQualifiedScope("https://10.0.1.10/", "other")).toBe("https://10.0.1.10/other");
    expect(OCI_EKMS_SCOPE).toBe("oci_ekms");
    expect(() => gatewayBaseUrl("")).toThrow(/empty/);
  });
});

describe("external vault URL", () => {
  it("is https://<host>/oci/ekm/v1/vaults/<account>", () => {
    expect(externalVaultUrl("10.0.1.20", "5f2b7e0c-1234-4c8e-9a6d-0123456789ab")).toBe(
      "https://10.0.1.20/oci/ekm/v1/vaults/5f2b7e0c-1234-4c8e-9a6d-0123456789ab",
    );
    expect(() => externalVaultUrl("10.0.1.20", "")).toThrow(/account id is empty/);
  });
});

describe("Identity Domain URLs", () => {
  const forms = [
    "https://idcs-abc123.identity.oraclecloud.com",
    "https://idcs-abc123.identity.oraclecloud.com/",
    "https://idcs-abc123.identity.oraclecloud.com:443",
    "https://idcs-abc123.identity.oraclecloud.com:443/",
  ];

  it.each(forms)("derives the same endpoints from %s", (url) => {
    expect(normalizeIdentityDomainUrl(url)).toBe("https://idcs-abc123.identity.oraclecloud.com");
    expect(identityJwksUri(url)).toBe("https://idcs-abc123.identity.oraclecloud.com/admin/v1/SigningCert/jwk");
    expect(identityTokenUrl(url)).toBe("https://idcs-abc123.identity.oraclecloud.com/oauth2/v1/token");
    expect(identityDiscoveryUrl(url)).toBe("https://idcs-abc123.identity.oraclecloud.com/.well-known/openid-configuration");
  });

  it("keeps a non-default port (emulators) and refuses a path", () => {
    expect(identityJwksUri("https://127.0.0.1:8443/")).toBe("https://127.0.0.1:8443/admin/v1/SigningCert/jwk");
    expect(() => identityJwksUri("https://idcs-abc123.identity.oraclecloud.com/ui/v1")).toThrow(/Identity Domain URL/);
  });

  it("has the domain issuer", () => {
    expect(DEFAULT_IDENTITY_ISSUER).toBe("https://identity.oraclecloud.com/");
  });
});

describe("DNS labels", () => {
  it("keeps letters and digits, starts with a letter, at most 15 characters", () => {
    expect(ekmDnsLabel("oci-ekm")).toBe("ociekm");
    expect(ekmDnsLabel("9-prod-ekm-environment-x")).toBe("prodekmenvironm");
    expect(ekmDnsLabel("---")).toBe("ekm");
  });
});
