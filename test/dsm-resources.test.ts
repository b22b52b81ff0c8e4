// The DSM resources under Pulumi mocks: type tokens, inputs, and the serialized provider (`__provider`)
// free of credentials even after `configure` saw them and the environment holds them.
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as dsm from "../components/dsm";
import { DsmEmulator } from "../components/emulators/dsm";

const API_KEY = Buffer.from("0b3a9e4c-1111-4222-8333-944445555666:env-api-key-secret-value").toString("base64");
const CONFIG_PASSWORD = "config-password-do-not-leak";
const ENV_PASSWORD = "env-password-do-not-leak";
const SECRETS = [API_KEY, CONFIG_PASSWORD, ENV_PASSWORD, "env-api-key-secret-value"];
const GROUP_ID = "6f1c0e52-4a39-4e7e-9d0c-3b2a1f0e9d8c";

const registered: pulumi.runtime.MockResourceArgs[] = [];
const emulator = new DsmEmulator();
let emulatorKey = "";
const saved = { ...process.env };

function settled<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

beforeAll(async () => {
  await emulator.start();
  emulatorKey = emulator.createApiKey();
  Object.assign(process.env, {
    DSM_ENDPOINT: "https://amer.smartkey.io",
    DSM_API_KEY: API_KEY,
    DSM_USERNAME: "admin@example.com",
    DSM_PASSWORD: ENV_PASSWORD,
    DSM_ACCT_ID: "a1b2c3d4-0000-4000-8000-000000000001",
  });
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push(args);
        const outputs: Record<string, unknown> =
          args.type === dsm.DSM_TYPE_TOKENS.group
            ? { groupId: GROUP_ID, acctId: "acct" }
            : args.type === dsm.DSM_TYPE_TOKENS.jwtApp
              ? { appId: "app-1", authType: "SignedJwt" }
              : { kid: "kid-1", state: "Active", rotatedKids: [] };
        return { id: `${args.name}_id`, state: { ...args.inputs, ...outputs } };
      },
      call: (args) => args.inputs,
    },
    "oci-ekm",
    "test",
    false,
  );
});

afterAll(async () => {
  await emulator.stop();
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe("DSM resources under mocks", () => {
  it("keep the type tokens of every earlier version: each is in the URN of every DSM resource in existing states", () => {
    // The one place these are written out: everything else uses DSM_TYPE_TOKENS.
    expect(dsm.DSM_TYPE_TOKENS).toEqual({
      group: "pulumi-nodejs:dynamic/dsm:Group",
      jwtApp: "pulumi-nodejs:dynamic/dsm:JwtApp",
      securityObject: "pulumi-nodejs:dynamic/dsm:SecurityObject",
    });
  });

  it("register the three kinds with their type tokens, inputs and a credential-free serialized provider", async () => {
    // The shared providers saw credentials through configure and opened a DSM session (as when the
    // sandbox runs them in this process) before any resource is serialized.
    const config: Record<string, string> = {
      "dsm:endpoint": emulator.url, "dsm:apiKey": emulatorKey, "dsm:password": CONFIG_PASSWORD, "dsm:username": "u@example.com",
    };
    for (const provider of [dsm.dsmGroupProvider(), dsm.dsmJwtAppProvider(), dsm.dsmSecurityObjectProvider()]) {
      await provider.configure({ config: { get: (k: string) => config[k], require: (k: string) => config[k] } });
    }
    await dsm.dsmGroupProvider().create({ name: "opened-a-session" });
    const state = (globalThis as unknown as Record<symbol, { sessions: Map<string, { token?: string }> }>)[Symbol.for("oci-ekm-fortanix.dsm.process-state")];
    const tokens = [...state.sessions.values()].map((s) => s.token).filter((t): t is string => typeof t === "string");
    expect(tokens).toHaveLength(1);
    const emulatorSecret = Buffer.from(emulatorKey, "base64").toString().split(":")[1];

    const group = new dsm.DsmGroup("oci-ekm-group", { name: "oci-ekm", description: "OCI EKM keys" });
    const app = new dsm.DsmJwtApp("oci-ekm-app", {
      name: "0123456789abcdef0123456789abcdef",
      groupId: group.groupId,
      jwksUrl: "https://idcs-abc.identity.oraclecloud.com/admin/v1/SigningCert/jwk",
    });
    const key = new dsm.DsmSecurityObject("oci-ekm-key", { name: "oci-ekm-key", groupId: group.groupId, rotationPolicyDays: 90 });
    expect(await settled(group.groupId)).toBe(GROUP_ID);
    expect(await settled(app.appId)).toBe("app-1");
    expect(await settled(key.kid)).toBe("kid-1");
    expect(await settled(key.rotatedKids)).toEqual([]);

    const byType = Object.fromEntries(registered.map((r) => [r.type, r]));
    expect(Object.keys(byType).sort()).toEqual([dsm.DSM_TYPE_TOKENS.group, dsm.DSM_TYPE_TOKENS.jwtApp, dsm.DSM_TYPE_TOKENS.securityObject]);
    const { __provider: groupProvider, ...groupInputs } = byType[dsm.DSM_TYPE_TOKENS.group].inputs;
    expect(groupInputs).toEqual({ name: "oci-ekm", description: "OCI EKM keys" });
    const { __provider: appProvider, ...appInputs } = byType[dsm.DSM_TYPE_TOKENS.jwtApp].inputs;
    expect(appInputs).toEqual({
      name: "0123456789abcdef0123456789abcdef",
      groupId: GROUP_ID,
      jwksUrl: "https://idcs-abc.identity.oraclecloud.com/admin/v1/SigningCert/jwk",
    });
    const { __provider: keyProvider, ...keyInputs } = byType[dsm.DSM_TYPE_TOKENS.securityObject].inputs;
    expect(keyInputs).toEqual({ name: "oci-ekm-key", groupId: GROUP_ID, rotationPolicyDays: 90 });

    const providers = [groupProvider, appProvider, keyProvider].map((text) => {
      expect(typeof text).toBe("string");
      return dsm.dsmUnpackProvider(text as string);
    });
    for (const text of providers) {
      expect(text).toContain("exports.handler");
      expect(text).toContain('require("axios');
    }
    const everything = JSON.stringify(registered) + providers.join("\n");
    for (const secret of [...SECRETS, emulatorKey, emulatorSecret, ...tokens]) expect(everything).not.toContain(secret);
    // Every declared output exists as an Output, inputs or not.
    for (const output of [key.enabled, key.keySize, key.keyOps, key.state, key.endpoint, app.validIssuers, app.permissions, app.endpoint, group.endpoint]) {
      expect(pulumi.Output.isInstance(output)).toBe(true);
    }
  });

  it("the serialized provider re-creates a working provider (check validates inputs)", async () => {
    const text = registered.find((r) => r.type === dsm.DSM_TYPE_TOKENS.securityObject)?.inputs.__provider as string;
    const mod: { exports: { handler?: () => { check(o: object, n: object): Promise<{ failures?: unknown[] }> } } } = { exports: {} };
    new Function("module", "exports", "require", text)(mod, mod.exports, require);
    const provider = mod.exports.handler!();
    const result = await provider.check({}, { name: "k", groupId: GROUP_ID, keySize: 128 });
    expect(result.failures).toEqual([
      { property: "keySize", reason: "keySize must be 256 (OCI External Key Management uses AES-256 keys), got 128" },
    ]);
  });
});
