// `npm run sandbox -- --stack NAME`: the user's Pulumi.<stack>.yaml against the emulators, with the
// emulators' URLs and credentials in place of the real services', each replacement printed; what
// the sandbox cannot stand in for is refused before any server starts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SANDBOX_SCOPE_REFUSAL_STEP, readSandboxStack, renderSandboxOverlays, sandboxStackConfig, type SandboxStack } from "../components/sandbox";
import { usageError } from "./cli-helpers";
import { recycledRsaKeys } from "../components/emulators/tls";
import { userGatewayCertificate } from "./oci-helpers";
import { SANDBOX_STEPS, sandboxCommandOutput } from "./sandbox-helpers";

const root = path.resolve(__dirname, "..");
const dir = mkdtempSync(path.join(tmpdir(), "sandbox-stack-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A team's stack: two keys, token validation at the gateway, the EKM-only route, an existing
// subnet, the region, and the credentials encrypted as `pulumi config set --secret` leaves them.
writeFileSync(
  path.join(dir, "Pulumi.team.yaml"),
  `config:
  oci-ekm:compartmentId: ocid1.compartment.oc1..aaaaaaaateamcompartment
  oci-ekm:gatewayHostname: ekm.team.example.com
  oci-ekm:dsmAccountId: 3f2504e0-4f89-41d3-9a0c-0305e82c3301
  oci-ekm:identityDomainUrl: https://idcs-0123456789abcdef0123456789abcdef.identity.oraclecloud.com
  oci-ekm:existingSubnetId: ocid1.subnet.oc1.iad.aaaaaaaateamsubnet
  oci-ekm:gatewayTokenValidation: remoteJwks
  oci-ekm:gatewayRoute: ekmOnly
  oci-ekm:keys:
    - name: payments
      rotationPolicyDays: 30
    - name: ledger
  dsm:apiKey:
    secure: v1:abcdefgh:ijklmnopqrstuvwx
  oci:region: eu-frankfurt-1
  oci:privateKey:
    secure: v1:qrstuvwx:yzabcdefghij
`,
);

function stackFile(name: string, lines: string[]): void {
  writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), ["config:", ...lines.map((l) => `  ${l}`), ""].join("\n"));
}

const emulators = {
  identityDomainUrl: "https://127.0.0.1:1001",
  dsmUrl: "https://127.0.0.1:1002",
  staticKeys: [{ kid: "SIGNING_KEY", kty: "RSA", n: "nnn", e: "AQAB" }],
};

describe("readSandboxStack", () => {
  it("names a missing stack file and the stacks there", () => {
    expect(usageError(() => readSandboxStack(root, "nosuch"))).toBe(`--stack nosuch: there is no Pulumi.nosuch.yaml in ${root} (stacks there: dev)`);
  });

  it("refuses an encrypted private key and an existing gateway, naming each key and what to do", () => {
    stackFile("ownkey", [
      "oci-ekm:certificatePem: |",
      "    -----BEGIN CERTIFICATE-----",
      "    MIIB",
      "    -----END CERTIFICATE-----",
      "oci-ekm:privateKeyPem:",
      "    secure: v1:aaaaaaaa:bbbbbbbbbbbb",
      "oci-ekm:existingGatewayId: ocid1.apigateway.oc1.iad.aaaaaaaagw",
    ]);
    expect(usageError(() => readSandboxStack(dir, "ownkey"))).toBe(
      [
        "Pulumi.ownkey.yaml cannot run in the sandbox (2 problems); no server was started:",
        "  oci-ekm:privateKeyPem is encrypted (secure:) and cannot be decrypted offline, so it cannot be used here: the emulated gateway serves certificatePem with this key. Run the sandbox on a stack file of its own that sets a test certificate and its key in plain text (the sandbox hands the key to the program as a secret, as pulumi config set --secret would), or none of certificatePem, certChainPem, privateKeyPem (a generated certificate)",
        "  oci-ekm:existingGatewayId is ocid1.apigateway.oc1.iad.aaaaaaaagw; the sandbox cannot stand in for an existing API gateway (the config does not hold its certificate's private key). Run it on a stack file without existingGatewayId",
      ].join("\n"),
    );
  });

  it("refuses any other encrypted value it has no emulator value for", () => {
    stackFile("secretname", ["oci-ekm:dsmGroupName:", "    secure: v1:aaaaaaaa:bbbbbbbbbbbb"]);
    expect(usageError(() => readSandboxStack(dir, "secretname"))).toBe(
      "Pulumi.secretname.yaml cannot run in the sandbox (1 problem); no server was started:\n" +
        "  oci-ekm:dsmGroupName is encrypted (secure:) and cannot be decrypted offline, so it cannot be used here: the sandbox has no emulator value to put in its place. Run it on a stack file of its own with a plaintext test value",
    );
  });
});

describe("sandboxStackConfig", () => {
  it("puts the emulators where the stack points at real services and says so, secrets masked", () => {
    const stack: SandboxStack = {
      name: "x",
      file: "/p/Pulumi.x.yaml",
      project: "oci-ekm",
      config: {
        "oci-ekm:compartmentId": "ocid1.compartment.oc1..aaaa",
        "oci-ekm:identityDomainUrl": "https://idcs-abc.identity.oraclecloud.com",
        "oci-ekm:dsmUrl": "https://eu.smartkey.io",
        "oci-ekm:dsmManageObjects": "false",
        "oci-ekm:gatewayStaticKeys": '[{"kid":"real-1"},{"kid":"real-2"}]',
        "oci-ekm:gatewayTokenValidation": "staticKeys",
        "dsm:endpoint": "https://eu.smartkey.io",
        "dsm:apiKey": "plaintext-api-key-of-the-user",
        "dsm:caBundle": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "oci:region": "eu-frankfurt-1",
        "oci:privateKey": "[secret]",
      },
      secretKeys: ["oci:privateKey"],
    };
    const out = sandboxStackConfig(stack, emulators, { gatewayRoute: "ekmOnly" });
    expect(out.config).toEqual({
      "oci-ekm:compartmentId": "ocid1.compartment.oc1..aaaa",
      "oci-ekm:identityDomainUrl": "https://127.0.0.1:1001",
      "oci-ekm:dsmUrl": "https://127.0.0.1:1002",
      "oci-ekm:dsmManageObjects": "true",
      "oci-ekm:gatewayStaticKeys": JSON.stringify(emulators.staticKeys),
      "oci-ekm:gatewayTokenValidation": "staticKeys",
      "oci-ekm:gatewayRoute": "ekmOnly",
      "oci:region": "eu-frankfurt-1",
    });
    expect(out.secretKeys).toEqual([]);
    expect(renderSandboxOverlays(out.overlaid).split("\n")).toEqual([
      "overlaid: oci-ekm:identityDomainUrl https://idcs-abc.identity.oraclecloud.com → https://127.0.0.1:1001",
      "overlaid: oci-ekm:dsmManageObjects false → true (the emulated DSM starts empty, so the sandbox makes the objects)",
      "overlaid: dsm:endpoint https://eu.smartkey.io → https://127.0.0.1:1002",
      "overlaid: dsm:apiKey [secret] → the emulated DSM's API key",
      "overlaid: dsm:caBundle (PEM) → the sandbox CA",
      "overlaid: oci:privateKey [secret] → not used (OCI is emulated)",
      "overlaid: oci-ekm:dsmUrl https://eu.smartkey.io → https://127.0.0.1:1002",
      "overlaid: oci-ekm:gatewayRoute (not set) → ekmOnly (--gateway-route)",
      "overlaid: oci-ekm:gatewayStaticKeys 2 keys (kid real-1, real-2) → the emulated Identity Domain's signing 1 key (kid SIGNING_KEY)",
    ]);
    expect(JSON.stringify(out)).not.toContain("plaintext-api-key-of-the-user");
  });

  it("leaves a required key the stack does not set unset, for validation to report, and fills in DSM's default URL", () => {
    const stack: SandboxStack = { name: "y", file: "/p/Pulumi.y.yaml", project: "oci-ekm", config: { "oci-ekm:gatewayHostname": "ekm.example.com" }, secretKeys: [] };
    const out = sandboxStackConfig(stack, emulators, { gatewayTokenValidation: "staticKeys" });
    expect(out.config).toEqual({
      "oci-ekm:gatewayHostname": "ekm.example.com",
      "oci-ekm:dsmUrl": "https://127.0.0.1:1002",
      "oci-ekm:gatewayTokenValidation": "staticKeys",
      "oci-ekm:gatewayStaticKeys": JSON.stringify(emulators.staticKeys),
    });
    expect(renderSandboxOverlays(out.overlaid).split("\n")).toEqual([
      "overlaid: oci-ekm:dsmUrl (default https://amer.smartkey.io) → https://127.0.0.1:1002",
      "overlaid: oci-ekm:gatewayTokenValidation (not set) → staticKeys (--gateway-token-validation)",
      "overlaid: oci-ekm:gatewayStaticKeys (not set) → the emulated Identity Domain's signing 1 key (kid SIGNING_KEY)",
    ]);
  });
});

// Each run's keys differ from one another; the runs reuse one set (about two seconds of CPU each).
const rsaKeys = recycledRsaKeys();

describe("sandboxCommand --stack", () => {
  const command = (argv: string[], projectDir = dir) => sandboxCommandOutput(argv, projectDir, rsaKeys);

  it("runs the team's stack: both keys, the gateway's own token check and the EKM-only route, on the existing subnet", async () => {
    const { code, lines } = await command(["--stack", "team"]);
    const started = lines[lines.findIndex((l) => l.endsWith("start the emulated Identity Domain, DSM and OCI Key Management")) + 1];
    const [, identityUrl, dsmUrl] = /Identity Domain (\S+), DSM (\S+) \(account 3f2504e0-4f89-41d3-9a0c-0305e82c3301\), OCI Key Management \S+$/.exec(started) ?? [];
    expect(lines.filter((l) => l.startsWith("overlaid: "))).toEqual([
      `overlaid: oci-ekm:identityDomainUrl https://idcs-0123456789abcdef0123456789abcdef.identity.oraclecloud.com → ${identityUrl}`,
      "overlaid: dsm:apiKey [secret] → the emulated DSM's API key",
      "overlaid: oci:privateKey [secret] → not used (OCI is emulated)",
      `overlaid: oci-ekm:dsmUrl (default https://amer.smartkey.io) → ${dsmUrl}`,
    ]);
    expect(lines.filter((l) => /^[✓✗-] /.test(l)).map((l) => l.replace(/^[✓✗-] +[\d.]*s? +/, ""))).toEqual([
      // The built-in stack's steps (sandbox-helpers.ts), with the gateway's scope check after the
      // token and each of the two keys' metadata in place of the one key's.
      ...SANDBOX_STEPS.slice(0, 5),
      SANDBOX_SCOPE_REFUSAL_STEP,
      SANDBOX_STEPS[5],
      'OCI Vault: GetKeyMetadata of "payments"',
      'OCI Vault: GetKeyVersionMetadata of the current version of "payments"',
      'OCI Vault: GetKeyMetadata of "ledger"',
      'OCI Vault: GetKeyVersionMetadata of the current version of "ledger"',
      ...SANDBOX_STEPS.slice(8),
    ]);
    expect(lines.filter((l) => l.startsWith("✓ "))).toHaveLength(18);
    const detail = (step: string) => lines[lines.findIndex((l) => l.endsWith(step)) + 1].trim();
    // The team's stack is run again with its first key's rotate set: "payments" is rekeyed, "ledger" is not.
    expect(detail("rotate the key: pulumi up again with keys[0].rotate set; DSM rekeys it (Check, Diff, Update through the host)")).toMatch(/^"payments": new kid \S+, rotated kids \[\S+\]$/);
    expect(detail("the gateway route: a DSM management call from the VCN (GET /sys/v1/groups)")).toBe(
      "refused at the gateway (HTTP 404: no route matches GET /sys/v1/groups): only the EKM API is forwarded",
    );
    expect(detail(SANDBOX_SCOPE_REFUSAL_STEP)).toBe(
      "GetVaultMetadata with a token whose scope is urn:opc:idm:__myscopes__: HTTP 403 at the gateway (token scopes [urn:opc:idm:__myscopes__] include none of [oci_ekms]); DSM never saw it",
    );
    // The existing subnet: no VCN, no subnet, no NAT; two keys: four DSM objects.
    expect(lines.filter((l) => /^ {2}(resources planned|DSM objects created|steps|verify checks) /.test(l))).toEqual([
      "  resources planned      26",
      "  DSM objects created    4 (by Pulumi's dynamic-provider host, 2 processes, @pulumi/pulumi " + (require("@pulumi/pulumi/package.json") as { version: string }).version + ")",
      "  steps                  18 passed, 0 failed, 0 skipped (18 steps)",
      "  verify checks          40 passed, 0 failed, 0 skipped (40 checks)",
    ]);
    expect(code).toBe(0);
  }, 180_000);

  it("runs the shipped Pulumi.dev.yaml with the emulated Identity Domain and DSM in place of the real ones", async () => {
    const { code, lines, text } = await command(["--stack", "dev"], root);
    const [, identityUrl, dsmUrl] = /Identity Domain (\S+), DSM (\S+) \(account 00000000-0000-4000-8000-000000000000\), OCI Key Management \S+$/m.exec(text) ?? [];
    expect(lines.filter((l) => l.startsWith("overlaid: "))).toEqual([
      `overlaid: oci-ekm:identityDomainUrl https://idcs-00000000000000000000000000000000.identity.oraclecloud.com → ${identityUrl}`,
      `overlaid: oci-ekm:dsmUrl https://amer.smartkey.io → ${dsmUrl}`,
    ]);
    expect(lines).toContain("  steps                  15 passed, 0 failed, 0 skipped (15 steps)");
    expect(code).toBe(0);
  }, 180_000);

  it("runs a stack with the team's own gateway certificate, its test key handed to the program as a secret", async () => {
    const own = userGatewayCertificate("ekm-gateway.team.example.com");
    const pem = (key: string, text: string) => [`${key}: |`, ...text.trimEnd().split("\n").map((l) => `    ${l}`)];
    stackFile("owncert", [
      "oci-ekm:compartmentId: ocid1.compartment.oc1..aaaaaaaateam",
      "oci-ekm:gatewayHostname: ekm-gateway.team.example.com",
      "oci-ekm:dsmAccountId: 3f2504e0-4f89-41d3-9a0c-0305e82c3301",
      "oci-ekm:identityDomainUrl: https://idcs-0123456789abcdef0123456789abcdef.identity.oraclecloud.com",
      ...pem("oci-ekm:certificatePem", own.certPem),
      ...pem("oci-ekm:certChainPem", own.chainPem),
      ...pem("oci-ekm:privateKeyPem", own.keyPem),
    ]);
    const { code, lines } = await command(["--stack", "owncert"]);
    expect(lines.filter((l) => l.startsWith("overlaid: oci-ekm:privateKeyPem"))).toEqual([
      "overlaid: oci-ekm:privateKeyPem [secret] (in plain text) → the same key, passed to the program as a secret, as pulumi config set --secret stores it",
    ]);
    expect(lines.join("\n")).not.toContain(own.keyPem.split("\n")[1]);
    expect(lines).toContain("  steps                  15 passed, 0 failed, 0 skipped (15 steps)");
    expect(code).toBe(0);
  }, 180_000);

  it("exits 1 when a step fails", async () => {
    const { code, lines } = await command(["--stack", "team", "--break", "scope"]);
    expect(lines).toContain(`Summary: FAILED at "pulumi up (in-process, mocks answered by the emulators, DSM through Pulumi's dynamic-provider host)"`);
    expect(code).toBe(1);
  }, 180_000);
});
