import { describe, expect, it } from "vitest";
import { ekmDsmAccessFromEnv, ekmVerificationOptionsFromOutputs, oidcDiscoveryUrl, parseEkmVerifyArgs, parseEkmVerifyUrl, resolveOidcUrl } from "../components/verify";
import { usageError } from "./cli-helpers";

// The shape of `pulumi stack output --json --show-secrets` for this stack (names from the team contract).
const OUTPUTS = {
  gatewayPrivateIp: "10.0.1.10",
  gatewayBaseUrl: "https://10.0.1.10/",
  gatewayHostname: "ekm-gw.example.com",
  clientId: "5b0e1f2a3c4d4e5f8a9b0c1d2e3f4a5b",
  clientSecret: "idcscs-5f1c7a9e-secret",
  identityDomainUrl: "https://idcs-0123456789abcdef.identity.oraclecloud.com",
  issuer: "https://identity.oraclecloud.com/",
  jwksUri: "https://idcs-0123456789abcdef.identity.oraclecloud.com/admin/v1/SigningCert/jwk",
  tokenUrl: "https://idcs-0123456789abcdef.identity.oraclecloud.com/oauth2/v1/token",
  scope: "https://10.0.1.10/oci_ekms",
  audience: "https://10.0.1.10/",
  dsmUrl: "https://amer.smartkey.io",
  dsmAccountId: "5f1c7a9e-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
  vaultId: "ocid1.vault.oc1..x",
  privateEndpointId: "ocid1.ekmsprivateendpoint.oc1..x",
  managementEndpoint: "https://x-management.kms.us-ashburn-1.oraclecloud.com",
  keyReferenceIds: ["ocid1.key.oc1..x"],
  vaultUrl: "https://10.0.1.20/oci/ekm/v1/vaults/5f1c7a9e-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
  keyNames: ["oci-ekm-key"],
  dsmKeyIds: ["9d0c5d0e-1111-4222-8333-444455556666"],
  certificatePem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
};

describe("ekmVerificationOptionsFromOutputs", () => {
  it("maps the stack outputs to verification options, trusting the gateway certificate", () => {
    expect(ekmVerificationOptionsFromOutputs(OUTPUTS)).toEqual({
      domainUrl: OUTPUTS.identityDomainUrl,
      clientId: OUTPUTS.clientId,
      clientSecret: OUTPUTS.clientSecret,
      scope: "https://10.0.1.10/oci_ekms",
      issuers: ["https://identity.oraclecloud.com/"],
      dsmUrl: "https://amer.smartkey.io",
      gatewayBaseUrl: "https://10.0.1.10/",
      vaultUrl: OUTPUTS.vaultUrl,
      keyNames: ["oci-ekm-key"],
      keyIds: OUTPUTS.dsmKeyIds,
      caBundle: OUTPUTS.certificatePem,
      tlsServerName: "ekm-gw.example.com",
      vaultId: "ocid1.vault.oc1..x",
      privateEndpointId: "ocid1.ekmsprivateendpoint.oc1..x",
      managementEndpoint: "https://x-management.kms.us-ashburn-1.oraclecloud.com",
      keyReferenceIds: ["ocid1.key.oc1..x"],
    });
  });

  it("with a replica's outputs, also walks the replica region's chain (its audience, its scope)", () => {
    const replica = { replicaRegion: "eu-amsterdam-1", replicaAudience: "https://10.1.1.10/", replicaScope: "https://10.1.1.10/oci_ekms" };
    expect(ekmVerificationOptionsFromOutputs({ ...OUTPUTS, ...replica }).replica).toEqual({ region: "eu-amsterdam-1", gatewayBaseUrl: "https://10.1.1.10/", scope: "https://10.1.1.10/oci_ekms" });
    expect(ekmVerificationOptionsFromOutputs(OUTPUTS).replica).toBeUndefined();
  });

  it("--replica-vault-url sets the replica's vault URL, and is refused without a replica's outputs", () => {
    const replica = { replicaRegion: "eu-amsterdam-1", replicaAudience: "https://10.1.1.10/" };
    const read = (): string => JSON.stringify({ ...OUTPUTS, ...replica });
    expect(parseEkmVerifyArgs(["--outputs", "o.json", "--replica-vault-url", "https://10.1.1.20/oci/ekm/v1/vaults/a"], read).options.replica).toEqual({
      region: "eu-amsterdam-1",
      gatewayBaseUrl: "https://10.1.1.10/",
      vaultUrl: "https://10.1.1.20/oci/ekm/v1/vaults/a",
    });
    expect(() => parseEkmVerifyArgs(["--outputs", "o.json", "--replica-vault-url", "https://x/"], () => JSON.stringify(OUTPUTS))).toThrow(
      "--replica-vault-url needs a replica's stack outputs (--outputs with replicaRegion and replicaAudience)",
    );
  });

  it("says to use --show-secrets when the secret is masked, and names wrongly typed outputs", () => {
    expect(() => ekmVerificationOptionsFromOutputs({ ...OUTPUTS, clientSecret: "[secret]", keyNames: "k" })).toThrow(
      'stack outputs:\n  clientSecret: the outputs hold "[secret]": run pulumi stack output --json --show-secrets\n  keyNames: expected a list of strings, got "k"',
    );
    expect(() => ekmVerificationOptionsFromOutputs([])).toThrow("stack outputs: expected the JSON object");
  });

  it("never echoes the client secret of a wrongly typed output", () => {
    const secret = { plaintext: "s3cr3t-client-value" };
    let message = "";
    try {
      ekmVerificationOptionsFromOutputs({ ...OUTPUTS, clientSecret: secret });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe("stack outputs:\n  clientSecret: expected a string, got object");
  });
});

describe("parseEkmVerifyArgs", () => {
  const files: Record<string, string> = {
    "outputs.json": JSON.stringify(OUTPUTS),
    "ca.pem": "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n",
    "bad.pem": "hello",
  };
  const read = (path: string): string => {
    if (!(path in files)) throw new Error(`ENOENT: no such file ${path}`);
    return files[path];
  };

  it("reads explicit flags, repeatable ones as lists, both --flag value and --flag=value", () => {
    const cmd = parseEkmVerifyArgs(
      [
        "--domain-url", "https://dev-1.okta.com/oauth2/default",
        "--client-id=abc",
        "--client-secret", "s3cr3t",
        "--scope", "api://ekm/oci_ekms",
        "--issuer", "https://dev-1.okta.com/oauth2/default",
        "--issuer", "https://identity.oraclecloud.com/",
        "--dsm-url", "https://eu.smartkey.io",
        "--gateway-url", "https://10.0.1.10/",
        "--vault-url", "https://10.0.1.20/oci/ekm/v1/vaults/a",
        "--key-name", "k1", "--key-name", "k2",
        "--ca-bundle", "ca.pem",
        "--tls-server-name", "gw.example",
        "--oci-config", "/home/me/.oci/config.ekm",
        "--oci-profile", "EKM",
        "--oci-kms-endpoint=https://kms.eu-frankfurt-1.oraclecloud.com",
        "--json", "-",
      ],
      read,
    );
    expect(cmd).toEqual({
      help: false,
      json: true,
      options: {
        domainUrl: "https://dev-1.okta.com/oauth2/default",
        clientId: "abc",
        clientSecret: "s3cr3t",
        scope: "api://ekm/oci_ekms",
        issuers: ["https://dev-1.okta.com/oauth2/default", "https://identity.oraclecloud.com/"],
        dsmUrl: "https://eu.smartkey.io",
        gatewayBaseUrl: "https://10.0.1.10/",
        vaultUrl: "https://10.0.1.20/oci/ekm/v1/vaults/a",
        keyNames: ["k1", "k2"],
        caBundle: files["ca.pem"],
        tlsServerName: "gw.example",
      },
      oci: { configFile: "/home/me/.oci/config.ekm", profile: "EKM", kmsEndpoint: "https://kms.eu-frankfurt-1.oraclecloud.com" },
    });
  });

  it("--json FILE asks for a JSON file besides the text; --json - for JSON instead of the text", () => {
    expect(parseEkmVerifyArgs(["--json=report.json"], read)).toEqual({ help: false, json: false, jsonFile: "report.json", options: {}, oci: {} });
    expect(parseEkmVerifyArgs(["--json", "-"], read)).toEqual({ help: false, json: true, options: {}, oci: {} });
    expect(parseEkmVerifyArgs([], read)).toEqual({ help: false, json: false, options: {}, oci: {} });
  });

  it("lets flags override the outputs file and replace its lists", () => {
    const cmd = parseEkmVerifyArgs(["--outputs", "outputs.json", "--key-name", "other", "--key-id", "kid-2", "--vault-url", "https://gw/"], read);
    expect(cmd.options).toMatchObject({ clientId: OUTPUTS.clientId, keyNames: ["other"], keyIds: ["kid-2"], vaultUrl: "https://gw/" });
  });

  it("takes OCI's KMS endpoint from a kept sandbox's outputs (ociKmsEndpoint), unless --oci-kms-endpoint is given", () => {
    const kept = (name: string): string => (name === "kept.json" ? JSON.stringify({ ...OUTPUTS, ociKmsEndpoint: "https://127.0.0.1:4443" }) : read(name));
    expect(parseEkmVerifyArgs(["--outputs", "kept.json"], kept).oci).toEqual({ kmsEndpoint: "https://127.0.0.1:4443" });
    expect(parseEkmVerifyArgs(["--outputs", "kept.json", "--oci-kms-endpoint", "https://kms.eu-frankfurt-1.oraclecloud.com"], kept).oci).toEqual({
      kmsEndpoint: "https://kms.eu-frankfurt-1.oraclecloud.com",
    });
    expect(parseEkmVerifyArgs(["--outputs", "outputs.json"], read).oci).toEqual({});
  });

  it("takes the client secret from EKM_CLIENT_SECRET when neither a flag nor the outputs give it", () => {
    expect(parseEkmVerifyArgs(["--client-id", "a"], read, { EKM_CLIENT_SECRET: "from-env" }).options.clientSecret).toBe("from-env");
    expect(parseEkmVerifyArgs(["--outputs", "outputs.json"], read, { EKM_CLIENT_SECRET: "from-env" }).options.clientSecret).toBe(OUTPUTS.clientSecret);
  });

  it("refuses unknown flags, missing values, repeated single flags and unreadable files as usage errors naming the flag", () => {
    expect(usageError(() => parseEkmVerifyArgs(["--domain"], read))).toBe("unknown option --domain");
    expect(usageError(() => parseEkmVerifyArgs(["--key-nam", "k"], read))).toBe("unknown option --key-nam (did you mean --key-name?)");
    expect(usageError(() => parseEkmVerifyArgs(["--scope"], read))).toBe("--scope needs a value");
    expect(usageError(() => parseEkmVerifyArgs(["--scope", "--json"], read))).toBe("--scope needs a value");
    expect(usageError(() => parseEkmVerifyArgs(["--json"], read))).toBe("--json needs a value");
    expect(usageError(() => parseEkmVerifyArgs(["--oci-kms-endpoint", "http://kms.example.com"], read))).toBe(
      `--oci-kms-endpoint: "http://kms.example.com" uses http://; only https:// is accepted (http:// only on loopback hosts such as 127.0.0.1)`,
    );
    expect(usageError(() => parseEkmVerifyArgs(["--dsm-url", "a", "--dsm-url", "b"], read))).toBe("--dsm-url is given more than once");
    expect(usageError(() => parseEkmVerifyArgs(["--outputs", "nope.json"], read))).toBe("--outputs nope.json: ENOENT: no such file nope.json");
    expect(usageError(() => parseEkmVerifyArgs(["--outputs", "outputs.json", "--outputs", "other.json"], read))).toBe("--outputs is given more than once");
    // V8's JSON.parse message quotes the text around the error: here, the secret.
    files["broken.json"] = '{"clientSecret": s3cr3t-client-value}';
    expect(usageError(() => parseEkmVerifyArgs(["--outputs", "broken.json"], read))).toBe(
      "--outputs broken.json: not valid JSON (save the output of pulumi stack output --json --show-secrets)",
    );
    files["masked.json"] = JSON.stringify({ ...OUTPUTS, clientSecret: "[secret]" });
    expect(usageError(() => parseEkmVerifyArgs(["--outputs", "masked.json"], read))).toBe(
      '--outputs masked.json: stack outputs:\n  clientSecret: the outputs hold "[secret]": run pulumi stack output --json --show-secrets',
    );
    expect(usageError(() => parseEkmVerifyArgs(["--ca-bundle", "bad.pem"], read))).toBe("--ca-bundle bad.pem: no PEM certificate in the file");
    expect(usageError(() => parseEkmVerifyArgs(["--ca-bundle", "none.pem"], read))).toBe("--ca-bundle none.pem: ENOENT: no such file none.pem");
  });

  it("--help and -h win over anything else", () => {
    expect(parseEkmVerifyArgs(["--bogus", "--help"], read)).toEqual({ help: true, json: false, options: {}, oci: {} });
    expect(parseEkmVerifyArgs(["-h"], read).help).toBe(true);
  });

  describe("--outputs - (standard input)", () => {
    const stdin = (text: string) => () => text;
    const PIPE = "pulumi stack output --json --show-secrets | npm run verify -- --outputs -";

    it("reads the outputs from standard input, and flags still override them", () => {
      const cmd = parseEkmVerifyArgs(["--outputs", "-", "--key-name", "other"], read, {}, stdin(JSON.stringify(OUTPUTS)));
      expect(cmd.options).toMatchObject({ clientId: OUTPUTS.clientId, clientSecret: OUTPUTS.clientSecret, keyNames: ["other"], keyIds: OUTPUTS.dsmKeyIds });
    });

    it("refuses invalid JSON without quoting it (it may hold the secret), and empty input, saying how to pipe", () => {
      const broken = usageError(() => parseEkmVerifyArgs(["--outputs", "-"], read, {}, stdin('{"clientSecret": s3cr3t-client-value')));
      expect(broken).toBe(`--outputs -: standard input is not valid JSON; pipe the stack outputs in: ${PIPE}`);
      expect(usageError(() => parseEkmVerifyArgs(["--outputs", "-"], read, {}, stdin(" \n")))).toBe(
        `--outputs -: standard input is empty; pipe the stack outputs in: ${PIPE}`,
      );
    });

    it("names standard input when it cannot be read", () => {
      const failing = (): string => {
        throw new Error("EAGAIN: resource temporarily unavailable, read");
      };
      expect(usageError(() => parseEkmVerifyArgs(["--outputs", "-"], read, {}, failing))).toBe(
        "--outputs -: cannot read standard input: EAGAIN: resource temporarily unavailable, read",
      );
    });
  });
});

describe("URL rules and discovery URLs", () => {
  it("accepts https everywhere and http only on loopback hosts", () => {
    expect(parseEkmVerifyUrl("x", "https://idcs-1.identity.oraclecloud.com").host).toBe("idcs-1.identity.oraclecloud.com");
    for (const ok of ["http://127.0.0.1:8080/", "http://127.4.5.6/", "http://localhost:1/", "http://[::1]:3/"]) {
      expect(parseEkmVerifyUrl("x", ok).protocol).toBe("http:");
    }
    expect(() => parseEkmVerifyUrl("dsmUrl", "http://10.0.0.1/")).toThrow('dsmUrl: "http://10.0.0.1/" uses http://; only https:// is accepted');
    expect(() => parseEkmVerifyUrl("dsmUrl", "http://127.example.com/")).toThrow("uses http://");
    expect(() => parseEkmVerifyUrl("dsmUrl", "amer.smartkey.io")).toThrow('dsmUrl: "amer.smartkey.io" is not a URL');
  });

  it("builds the discovery URL for Identity Domains, Okta authorization servers and Azure AD, or keeps a metadata URI", () => {
    expect(oidcDiscoveryUrl("https://idcs-1.identity.oraclecloud.com/")).toBe("https://idcs-1.identity.oraclecloud.com/.well-known/openid-configuration");
    expect(oidcDiscoveryUrl("https://dev-1.okta.com/oauth2/default")).toBe("https://dev-1.okta.com/oauth2/default/.well-known/openid-configuration");
    expect(oidcDiscoveryUrl("https://login.microsoftonline.com/tid/v2.0")).toBe("https://login.microsoftonline.com/tid/v2.0/.well-known/openid-configuration");
    expect(oidcDiscoveryUrl("https://dev-1.okta.com/oauth2/default/.well-known/oauth-authorization-server")).toBe(
      "https://dev-1.okta.com/oauth2/default/.well-known/oauth-authorization-server",
    );
  });

  it("resolves relative discovery URLs against the domain and keeps absolute ones", () => {
    expect(resolveOidcUrl("https://idcs-1.identity.oraclecloud.com", "/admin/v1/SigningCert/jwk")).toBe(
      "https://idcs-1.identity.oraclecloud.com/admin/v1/SigningCert/jwk",
    );
    expect(resolveOidcUrl("https://dev-1.okta.com/oauth2/default/", "https://dev-1.okta.com/oauth2/default/v1/keys")).toBe(
      "https://dev-1.okta.com/oauth2/default/v1/keys",
    );
  });
});

describe("ekmDsmAccessFromEnv", () => {
  it("skips DSM with the reason when no credential is set", () => {
    expect(ekmDsmAccessFromEnv({}, "https://amer.smartkey.io")).toEqual({
      unavailableReason: "no DSM credentials (set DSM_API_KEY, or DSM_USERNAME, DSM_PASSWORD and DSM_ACCT_ID; DSM_ENDPOINT defaults to the DSM URL)",
      secrets: [],
    });
  });

  it("builds a reader from an API key, listing it as a secret to keep out of the report", () => {
    const access = ekmDsmAccessFromEnv({ DSM_API_KEY: "YXBwOnNlY3JldA==" }, "https://amer.smartkey.io");
    expect(access.reader).toBeDefined();
    expect(access.secrets).toEqual(["YXBwOnNlY3JldA=="]);
  });

  it("names what is missing in an incomplete user login, without values", () => {
    expect(() => ekmDsmAccessFromEnv({ DSM_USERNAME: "me@example.com", DSM_PASSWORD: "pw-123456" }, "https://amer.smartkey.io")).toThrow(
      "DSM user login incomplete: missing DSM_ACCT_ID (dsm:acctId)",
    );
  });
});
