// Day two under mocks: the program run twice, the second time after something that happens to a
// live stack (the gateway certificate renewed, a new validity period), and the inputs compared. In
// OCI a changed caBundle replaces the private endpoint, a changed private endpoint or client secret
// replaces the vault, and a new vault means new key references (new key OCIDs): none of those
// inputs may change. The Certificates entry takes the new certificate as a new version, in place.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { type PlanMockResult, type PlanResult, planRevealSecrets, runStackInProcess } from "../components/plan";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { runEkmStack } from "../infra/stack";
import { T, ofType, resource, stackConfig } from "./oci-helpers";

const ISSUED = "tls:index/locallySignedCert:LocallySignedCert";

/**
 * Runs the stack; the issued certificate's PEM depends on its inputs and on `issue` (a renewal is
 * the tls provider issuing again for the same inputs once `earlyRenewalHours` is reached).
 */
const hash = (v: unknown): string => createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 16);

/** The vault's inputs as OCI receives them, secrets in clear (the plan's own record masks them). */
const vaultSeen = new Map<PlanResult, Record<string, unknown>>();

function run(config: Record<string, unknown>, issue: number): Promise<PlanResult> {
  let vault: Record<string, unknown> = {};
  return runStackInProcess({
    config,
    program: () => runEkmStack(),
    onNewResource: async (args: MockResourceArgs, defaults: PlanMockResult) => {
      if (args.type === T.vault) vault = args.inputs as Record<string, unknown>;
      // OCI issues a new secret whenever the client app is created again: a secret that follows the
      // app's inputs makes any change to them visible in the vault's inputs.
      if (args.type === "oci:Identity/domainsApp:DomainsApp" && args.inputs.isOauthClient === true && args.inputs.isOauthResource !== true) {
        return { ...defaults, state: { ...defaults.state, clientSecret: `client-secret-${hash(args.inputs)}` } };
      }
      if (args.type !== ISSUED) return undefined;
      const tag = hash(JSON.stringify(args.inputs) + `#${issue}`);
      return { ...defaults, state: { ...defaults.state, certPem: `-----BEGIN CERTIFICATE-----\nMOCK-ISSUED-${tag}\n-----END CERTIFICATE-----\n` } };
    },
  }).then((result) => {
    vaultSeen.set(result, vault);
    return result;
  });
}

/** The client secret the vault was given, in clear. */
function vaultClientSecret(p: PlanResult): unknown {
  const meta = planRevealSecrets(vaultSeen.get(p)?.externalKeyManagerMetadata) as { oauthMetadata?: { clientAppSecret?: unknown } } | undefined;
  return planRevealSecrets(meta?.oauthMetadata?.clientAppSecret);
}

/** What must not change: a change to any of these replaces the vault or strands its keys. */
const UNCHANGED = [
  "oci-ekm-ekm-private-endpoint",
  "oci-ekm-ekm-vault",
  "oci-ekm-gateway-gateway",
  "oci-ekm-gateway-deployment",
  "oci-ekm-identity-resource-app",
  "oci-ekm-identity-client-app",
  "oci-ekm-certificate-ca",
  "oci-ekm-certificate-ca-key",
  "oci-ekm-certificate-key",
];

let first: PlanResult;
beforeAll(async () => {
  first = await run(stackConfig({ keys: [{ name: "key-a" }, { name: "key-b" }] }), 1);
});

function expectUntouched(second: PlanResult): void {
  for (const name of UNCHANGED) expect(resource(second, name).inputs, name).toEqual(resource(first, name).inputs);
  const keys = (p: PlanResult) => ofType(p, T.key).map((k) => [k.name, k.inputs]);
  expect(keys(second)).toEqual(keys(first));
  expect(keys(second)).toHaveLength(2);
  // The client app keeps its name (the client ID) and secret: same inputs, no update.
  expect(resource(second, "oci-ekm-identity-client-app").outputs.name).toBe(resource(first, "oci-ekm-identity-client-app").outputs.name);
  expect(vaultClientSecret(first)).toMatch(/^client-secret-[0-9a-f]{16}$/);
  expect(vaultClientSecret(second)).toBe(vaultClientSecret(first));
}

describe("the gateway certificate renewed (the tls provider issues a new one for the same inputs)", () => {
  let second: PlanResult;
  beforeAll(async () => {
    second = await run(stackConfig({ keys: [{ name: "key-a" }, { name: "key-b" }] }), 2);
  });

  it("changes the Certificates entry's certificate, in place: same name, same CA chain, a new PEM", () => {
    const before = resource(first, "oci-ekm-certificate-oci").inputs;
    const after = resource(second, "oci-ekm-certificate-oci").inputs;
    const config = (c: Record<string, unknown>) => c.certificateConfig as Record<string, unknown>;
    expect(config(after).certificatePem).not.toEqual(config(before).certificatePem);
    expect(config(after).certChainPem).toEqual(config(before).certChainPem);
    expect(after.name).toEqual(before.name);
    expect(resource(second, "oci-ekm-certificate-oci").id).toBe(resource(first, "oci-ekm-certificate-oci").id);
  });

  it("leaves the private endpoint (its caBundle is the CA), the vault, every key reference, the gateway and the apps as they were", () => {
    expectUntouched(second);
    expect(resource(second, "oci-ekm-ekm-private-endpoint").inputs.caBundle).toBe(resource(first, "oci-ekm-certificate-ca").outputs.certPem);
  });
});

describe("a new validity period of the gateway certificate (certificateValidityDays 200)", () => {
  let second: PlanResult;
  beforeAll(async () => {
    second = await run(stackConfig({ keys: [{ name: "key-a" }, { name: "key-b" }], certificateValidityDays: 200 }), 1);
  });

  it("issues a new certificate for 200 days and changes only the Certificates entry", () => {
    expect(resource(second, "oci-ekm-certificate-issued").inputs.validityPeriodHours).toBe(200 * 24);
    expect((resource(second, "oci-ekm-certificate-oci").inputs.certificateConfig as Record<string, unknown>).certificatePem).not.toEqual(
      (resource(first, "oci-ekm-certificate-oci").inputs.certificateConfig as Record<string, unknown>).certificatePem,
    );
    expectUntouched(second);
  });
});

describe("what would replace the vault is in one place: a new gateway changes the private endpoint's inputs", () => {
  it("a different gateway IP (a new gateway) changes the private endpoint's inputs (a new private endpoint, hence a new vault)", async () => {
    const other = await runStackInProcess({ config: stackConfig({ keys: [{ name: "key-a" }, { name: "key-b" }] }), program: () => runEkmStack(), mockDefaults: { gatewayPrivateIp: "10.0.1.77" } });
    expect(resource(other, "oci-ekm-ekm-private-endpoint").inputs.externalKeyManagerIp).toBe("10.0.1.77");
    expect(resource(other, "oci-ekm-ekm-private-endpoint").inputs).not.toEqual(resource(first, "oci-ekm-ekm-private-endpoint").inputs);
  });
});
