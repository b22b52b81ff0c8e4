// The whole stack under mocks with DSM credentials present (environment and secret stack config):
// the DSM group, JWT app and security object are wired to the OCI resources as
// reference/oci-wiring.md draws them, and no credential reaches any registered resource (issue 3).
import { dsmUnpackProvider } from "../components/dsm/provider-module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PlanMockResult, type PlanResource, type PlanResult, planClientId, planDsmUuid, planRevealSecrets, runStackInProcess } from "../components/plan";
import { runEkmStack } from "../infra/stack";
import { ACCOUNT_ID, DOMAIN_URL, T, ofType, resource, stackConfig } from "./oci-helpers";

const DSM_URL = "https://eu.smartkey.io";
// A DSM API key is base64("<app id>:<secret>").
const API_KEY_APP = "3c9d1f7e-5b2a-4e8f-9c1d-7a6b5e4d3c2b";
const API_KEY_SECRET = "wiring-test-api-secret-Zq84f1c9e7b2";
const API_KEY = Buffer.from(`${API_KEY_APP}:${API_KEY_SECRET}`).toString("base64");
const USERNAME = "automation@wiring-test.example";
const PASSWORD = "wiring-test-password-Xk39!pL";

const base64 = (s: string) => Buffer.from(s).toString("base64");
const base64url = (s: string) => Buffer.from(s).toString("base64url");
/** Every form a credential could take in state: as given, its parts, and base64 encodings (Basic auth included). */
const FORBIDDEN = [
  API_KEY,
  API_KEY_SECRET,
  base64(API_KEY),
  base64url(API_KEY),
  base64(API_KEY_SECRET),
  base64url(API_KEY_SECRET),
  PASSWORD,
  base64(PASSWORD),
  base64url(PASSWORD),
  base64(`${USERNAME}:${PASSWORD}`),
  base64url(`${USERNAME}:${PASSWORD}`),
  USERNAME,
];

const ENV = {
  DSM_ENDPOINT: DSM_URL,
  DSM_API_KEY: API_KEY,
  DSM_USERNAME: USERNAME,
  DSM_PASSWORD: PASSWORD,
  DSM_ACCT_ID: ACCOUNT_ID,
};
const savedEnv: Record<string, string | undefined> = {};

let plan: PlanResult;
/** What the mocks received (secrets revealed) and answered, per resource. */
const seen: { type: string; name: string; inputs: unknown; answer: PlanMockResult }[] = [];

beforeAll(async () => {
  for (const [k, v] of Object.entries(ENV)) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
  plan = await runStackInProcess({
    config: {
      ...stackConfig({ dsmUrl: DSM_URL + "/" }),
      "dsm:endpoint": DSM_URL,
      "dsm:apiKey": API_KEY,
      "dsm:username": USERNAME,
      "dsm:password": PASSWORD,
      "dsm:acctId": ACCOUNT_ID,
    },
    secretKeys: ["dsm:apiKey", "dsm:password"],
    program: () => runEkmStack(),
    onNewResource: async (args, defaults) => {
      seen.push({ type: args.type, name: args.name, inputs: planRevealSecrets(args.inputs), answer: defaults });
      return undefined;
    },
  });
});

afterAll(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** Inputs without the serialized provider (checked on its own below). */
function inputsOf(r: PlanResource): Record<string, unknown> {
  const { __provider: _provider, ...rest } = r.inputs;
  return rest;
}

describe("the DSM resources of the stack", () => {
  it("are one group, one JWT app and one security object, children of the topology", () => {
    const topology = resource(plan, "oci-ekm");
    const dsm = plan.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
    expect(dsm.map((r) => [r.type, r.name, r.parent, r.custom])).toEqual([
      [T.dsmGroup, "oci-ekm-dsm-group", topology.urn, true],
      [T.dsmJwtApp, "oci-ekm-dsm-app", topology.urn, true],
      [T.dsmSecurityObject, "oci-ekm-dsm-key-oci-ekm-key", topology.urn, true],
    ]);
  });

  it("creates the group under the configured name at the DSM URL, waiting for nothing", () => {
    const group = resource(plan, "oci-ekm-dsm-group");
    expect(inputsOf(group)).toEqual({ name: "oci-ekm", endpoint: DSM_URL, adopt: false });
    expect(group.dependencies).toEqual([]);
    expect(group.outputs.groupId).toBe(planDsmUuid(T.dsmGroup, "oci-ekm-dsm-group"));
  });

  it("names the JWT app after the client app's client ID, in the group, with the domain's JWKS and issuer", () => {
    const clientApp = resource(plan, "oci-ekm-identity-client-app");
    const group = resource(plan, "oci-ekm-dsm-group");
    const app = resource(plan, "oci-ekm-dsm-app");
    expect(clientApp.outputs.name).toBe(planClientId("oci-ekm-identity-client-app"));
    expect(inputsOf(app)).toEqual({
      name: clientApp.outputs.name,
      groupId: group.outputs.groupId,
      jwksUrl: `${DOMAIN_URL}/admin/v1/SigningCert/jwk`,
      validIssuers: ["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"],
      endpoint: DSM_URL,
      adopt: false,
    });
    // client app ─► DSM JWT app; DSM group ─► DSM JWT app (and not the domain setting: DSM fetches the JWKS only to check a token).
    expect([...app.dependencies].sort()).toEqual([clientApp.urn, group.urn].sort());
  });

  it("creates the security object in the group and points the key reference at its name", () => {
    const group = resource(plan, "oci-ekm-dsm-group");
    const key = resource(plan, "oci-ekm-dsm-key-oci-ekm-key");
    expect(inputsOf(key)).toEqual({ name: "oci-ekm-key", groupId: group.outputs.groupId, endpoint: DSM_URL, adopt: false });
    expect(key.dependencies).toEqual([group.urn]);
    expect(key.id).toBe("oci-ekm-key");

    const [reference] = ofType(plan, T.key);
    expect(ofType(plan, T.key)).toHaveLength(1);
    expect(reference.inputs.externalKeyReference).toEqual({ externalKeyId: key.outputs.name });
    expect(key.outputs.name).toBe("oci-ekm-key");
    // DSM security object ─► key reference (externalKeyId = object name); vault ─► key reference.
    expect([...reference.dependencies].sort()).toEqual([resource(plan, "oci-ekm-ekm-vault").urn, key.urn].sort());
  });

  it("gives the DSM ids as stack outputs", () => {
    expect(plan.outputs.dsmUrl).toBe(DSM_URL);
    expect(plan.outputs.dsmGroupId).toBe(resource(plan, "oci-ekm-dsm-group").outputs.groupId);
    expect(plan.outputs.dsmAppId).toBe(resource(plan, "oci-ekm-dsm-app").outputs.appId);
    expect(plan.outputs.dsmKeyIds).toEqual([resource(plan, "oci-ekm-dsm-key-oci-ekm-key").outputs.kid]);
    expect(plan.outputs.keyNames).toEqual(["oci-ekm-key"]);
  });
});

describe("DSM credentials", () => {
  it("were present to leak: in the environment and as secret stack config", () => {
    expect(process.env.DSM_API_KEY).toBe(API_KEY);
    expect(process.env.DSM_PASSWORD).toBe(PASSWORD);
    expect(Buffer.from(API_KEY, "base64").toString()).toBe(`${API_KEY_APP}:${API_KEY_SECRET}`);
  });

  it("appear nowhere in the registered resources' inputs and outputs, the serialized providers included", () => {
    // Stored compressed when large: read the text the serializer wrote.
    const providers = plan.resources.map((r) => r.inputs.__provider).filter((p): p is string => typeof p === "string").map(dsmUnpackProvider);
    // The provider code itself is there (one per DSM resource), and reads credentials when it runs.
    expect(providers).toHaveLength(3);
    for (const p of providers) {
      expect(p).toMatch(/^exports\.handler = /);
      expect(p).toContain("process.env");
    }
    expect(seen.map((s) => s.name).sort()).toEqual(plan.resources.map((r) => r.name).sort()); // every resource went through the mocks
    const everything = [
      ...providers,
      ...plan.resources.map((r) => JSON.stringify({ inputs: r.inputs, outputs: r.outputs })),
      ...seen.map((s) => JSON.stringify({ inputs: s.inputs, answer: s.answer })),
      JSON.stringify(plan.outputValues),
    ];
    for (const text of everything) {
      for (const credential of FORBIDDEN) expect(text.includes(credential), credential).toBe(false);
    }
  });
});
