// The DSM providers' life cycle as the Pulumi engine drives it: a fresh dynamic-provider host per CLI
// command (preview, up, refresh, destroy), started in the program's directory with no DSM_*
// variables, configured with the stack config, and the serialized providers the program registered.
// Shared by every way the library is loaded (dsm-host.test.ts, package.test.ts).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dsmUnpackProvider } from "../components/dsm/provider-module";
import { DSM_TYPE_TOKENS } from "../components/dsm/schemas";
import { DsmEmulator, type DsmEmulatorRequest } from "../components/emulators/dsm";
import { createTestCertificateAuthority, issueServerCertificate } from "../components/emulators/tls";
import {
  type CapturedDynamicResource,
  DynamicProviderHost,
  destroyResource,
  EngineStepError,
  HOST_UNKNOWN,
  type HostedResourceState,
  previewResource,
  refreshResource,
  upResource,
} from "../components/testing";
import { dsmRequestProblems, dsmResponseProblems } from "./dsm-openapi";

export const DOMAIN = "https://idcs-0123456789abcdef.identity.oraclecloud.com";
export const COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaahostscenario";
// The Identity Domain issuer in both forms the public sources give (with and without the slash).
const ISSUERS = ["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"];

const T = { group: DSM_TYPE_TOKENS.group, app: DSM_TYPE_TOKENS.jwtApp, key: DSM_TYPE_TOKENS.securityObject };

/** One way of loading the library: where the program lives and how it registers its resources. */
export interface HostMode {
  /** The program's directory: the host runs there, with that project's @pulumi/pulumi. */
  programDir: string;
  /**
   * Runs the program under mocks with this DSM and returns its dynamic resources. The program
   * names the DSM group `groupName` and one key `keyName`.
   */
  capture(dsm: { url: string; accountId: string }): Promise<CapturedDynamicResource[]>;
  groupName: string;
  keyName: string;
}

type Json = Record<string, unknown>;

/**
 * Registers the host-driven life cycle for one mode. `prepare` builds the mode (scratch project,
 * install) and may take long; it runs in `beforeAll`.
 */
export function describeDsmThroughHost(title: string, prepare: () => Promise<HostMode> | HostMode, setupTimeoutMs = 120_000): void {
  // Each step starts one or two host processes (about a second each on an idle machine).
  describe(title, { timeout: 90_000 }, () => {
    const ca = createTestCertificateAuthority("host-scenario CA");
    const tls = issueServerCertificate(ca, { commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"], dnsNames: ["localhost"] });
    const dsm = new DsmEmulator({ tls: { cert: tls.certPem, key: tls.keyPem } });
    let mode: HostMode;
    let apiKey = "";
    let captured: CapturedDynamicResource[] = [];
    const hosts: DynamicProviderHost[] = [];
    const reportedVersions: string[] = [];
    const states: Record<"group" | "app" | "key", HostedResourceState | undefined> = { group: undefined, app: undefined, key: undefined };

    const of = (type: string): CapturedDynamicResource => {
      const found = captured.filter((r) => r.type === type);
      expect(found.map((r) => r.name), type).toHaveLength(1);
      return found[0];
    };
    /** A new host, as a new CLI command starts one, configured with the stack's DSM settings. */
    const command = async (): Promise<DynamicProviderHost> => {
      const host = await DynamicProviderHost.start({ programDir: mode.programDir });
      hosts.push(host);
      // The engine asks every plugin it loads for its version before configuring it.
      reportedVersions.push(await host.pluginInfo());
      await host.configure({ "dsm:endpoint": dsm.url, "dsm:apiKey": apiKey, "dsm:caBundle": ca.certPem }, ["dsm:apiKey"]);
      return host;
    };
    /** Runs one command in a fresh host and returns how many DSM sessions it opened. */
    const sessionsDuring = async (body: (host: DynamicProviderHost) => Promise<void>): Promise<number> => {
      const before = dsm.counters.sessionAuthentications;
      const host = await command();
      try {
        await body(host);
      } finally {
        await host.stop();
      }
      return dsm.counters.sessionAuthentications - before;
    };
    // Every request the hosted providers send, for the check against Fortanix's document.
    const sent: DsmEmulatorRequest[] = [];
    const clearRequests = (): void => {
      sent.push(...dsm.requests);
      dsm.clearRequests();
    };
    afterEach(clearRequests);
    const withGroup = (r: CapturedDynamicResource, groupId: string, extra: Json = {}): Json => ({ ...r.inputs, groupId, ...extra });

    beforeAll(async () => {
      await dsm.start();
      apiKey = dsm.createApiKey({ role: "admin", name: "pulumi-automation" });
      mode = await prepare();
      captured = await mode.capture({ url: dsm.url, accountId: dsm.accountId });
    }, setupTimeoutMs);

    afterAll(async () => {
      await Promise.allSettled(hosts.map((h) => h.stop()));
      await dsm.stop();
    });

    it("the program registers a group, a JWT app and a key, each with its serialized provider and no credential", () => {
      expect(captured.map((r) => r.type)).toEqual([T.group, T.app, T.key]);
      for (const r of captured) {
        expect(typeof r.inputs.__provider, r.urn).toBe("string");
        expect(dsmUnpackProvider(String(r.inputs.__provider))).toMatch(/^exports\.handler = __f0;$/m);
        // Below what the host can return in a failed Create's trailer (64 KiB), with room for the rest.
        expect(String(r.inputs.__provider).length, r.urn).toBeLessThan(32 * 1024);
      }
      expect(of(T.group).inputs).toMatchObject({ name: mode.groupName, endpoint: dsm.url });
      expect(of(T.key).inputs).toMatchObject({ name: mode.keyName, endpoint: dsm.url });
      expect(of(T.app).inputs).toMatchObject({ jwksUrl: `${DOMAIN}/admin/v1/SigningCert/jwk`, validIssuers: ISSUERS, endpoint: dsm.url });
    });

    it("pulumi preview: Check applies the defaults and lets unknown inputs through, without calling DSM", async () => {
      const before = dsm.requests.length;
      const sessions = await sessionsDuring(async (host) => {
        const group = await previewResource(host, of(T.group).urn, { ...of(T.group).inputs, endpoint: HOST_UNKNOWN });
        expect(group.inputs).toEqual({ __provider: of(T.group).inputs.__provider, name: mode.groupName, endpoint: HOST_UNKNOWN, adopt: false });
        const app = await previewResource(host, of(T.app).urn, { ...of(T.app).inputs, name: HOST_UNKNOWN, groupId: HOST_UNKNOWN });
        expect(app.inputs).toEqual({
          __provider: of(T.app).inputs.__provider,
          name: HOST_UNKNOWN,
          groupId: HOST_UNKNOWN,
          validIssuers: ISSUERS,
          jwksUrl: `${DOMAIN}/admin/v1/SigningCert/jwk`,
          jwksCacheSeconds: 3600,
          permissions: ["ENCRYPT", "DECRYPT"],
          endpoint: dsm.url,
          adopt: false,
        });
        const key = await previewResource(host, of(T.key).urn, { ...of(T.key).inputs, groupId: HOST_UNKNOWN });
        expect(key.inputs).toMatchObject({ name: mode.keyName, groupId: HOST_UNKNOWN, keySize: 256, keyOps: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"], enabled: true, allowDestroy: false, adopt: false });
        await expect(previewResource(host, of(T.key).urn, { ...of(T.key).inputs, groupId: "not-a-uuid" })).rejects.toThrow(
          'groupId must be the DSM group id (a UUID), got "not-a-uuid"',
        );
      });
      expect(sessions).toBe(0);
      expect(dsm.requests.slice(before)).toEqual([]);
    });

    it("pulumi up: Check then Create make the group, the JWT app and the AES-256 key, with one DSM session", async () => {
      clearRequests();
      const sessions = await sessionsDuring(async (host) => {
        states.group = (await upResource(host, of(T.group).urn, of(T.group).inputs)).state;
        const groupId = states.group.id;
        states.app = (await upResource(host, of(T.app).urn, withGroup(of(T.app), groupId))).state;
        states.key = (await upResource(host, of(T.key).urn, withGroup(of(T.key), groupId))).state;
      });
      expect(sessions).toBe(1);
      const group = dsm.group(mode.groupName)!;
      const app = dsm.app(String(of(T.app).inputs.name))!;
      const key = dsm.sobject(mode.keyName)!;
      expect(states.group!.id).toBe(group.group_id);
      expect(states.group!.outputs).toEqual({
        __provider: of(T.group).inputs.__provider,
        name: mode.groupName, endpoint: dsm.url, adopt: false, groupId: group.group_id, acctId: dsm.accountId, createdAt: group.created_at,
      });
      expect(states.app!.id).toBe(app.app_id);
      expect(states.app!.outputs).toEqual({
        __provider: of(T.app).inputs.__provider,
        name: of(T.app).inputs.name, groupId: group.group_id, validIssuers: ISSUERS,
        jwksUrl: `${DOMAIN}/admin/v1/SigningCert/jwk`, jwksCacheSeconds: 3600, permissions: ["ENCRYPT", "DECRYPT"], endpoint: dsm.url,
        adopt: false, appId: app.app_id, acctId: dsm.accountId, authType: "SignedJwt", enabled: true,
      });
      expect(states.key!.id).toBe(mode.keyName);
      expect(states.key!.outputs).toMatchObject({
        name: mode.keyName, groupId: group.group_id, keySize: 256, keyOps: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"], enabled: true,
        kid: key.kid, state: "Active", objType: "AES", acctId: dsm.accountId, rotatedKids: [], endpoint: dsm.url, allowDestroy: false,
      });
      // Create first: one request per object after the session, no look-up of a free name.
      expect(dsm.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        "POST /sys/v1/session/auth 200", "POST /sys/v1/groups 201", "POST /sys/v1/apps 201", "POST /crypto/v1/keys 201",
      ]);
      // Groups and keys carry the create's own id (a random UUID), for a retried create to know its own object.
      const createIds = [group.custom_metadata?.["create-request-id"], key.custom_metadata?.["create-request-id"]];
      for (const id of createIds) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(createIds[0]).not.toBe(createIds[1]);
      const posts = dsm.requests.filter((r) => r.method === "POST" && ["/sys/v1/groups", "/sys/v1/apps", "/crypto/v1/keys"].includes(r.path));
      expect(posts.map((r) => [r.path, r.body])).toEqual([
        ["/sys/v1/groups", { name: mode.groupName, custom_metadata: { "managed-by": "oci-ekm-fortanix", "create-request-id": createIds[0] } }],
        [
          "/sys/v1/apps",
          {
            name: of(T.app).inputs.name, app_type: "default", default_group: group.group_id, add_groups: { [group.group_id]: ["ENCRYPT", "DECRYPT"] },
            credential: { signedjwt: { valid_issuers: ISSUERS, signing_keys: { kind: "fetched", url: `${DOMAIN}/admin/v1/SigningCert/jwk`, cache_duration: 3600 } } },
          },
        ],
        [
          "/crypto/v1/keys",
          {
            name: mode.keyName, group_id: group.group_id, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"],
            enabled: true, custom_metadata: { "managed-by": "oci-ekm-fortanix", "create-request-id": createIds[1] }, ...(of(T.key).inputs.rotationPolicyDays !== undefined ? { rotation_policy: { interval_days: of(T.key).inputs.rotationPolicyDays } } : {}),
            ...(of(T.key).inputs.description !== undefined ? { description: of(T.key).inputs.description } : {}),
          },
        ],
      ]);
    });

    it("pulumi up of an app and a key whose create answers were lost: each is recognised as this create's own, no duplicate, no refusal", async () => {
      const appName = `${String(of(T.app).inputs.name)}-lost`;
      const keyName = `${mode.keyName}-lost`;
      const groupId = states.group!.id;
      clearRequests();
      // DSM carries the create out and the connection drops before the answer: the client retries.
      dsm.injectFault({ method: "POST", path: "/sys/v1/apps", kind: "commit-then-drop" });
      dsm.injectFault({ method: "POST", path: "/crypto/v1/keys", kind: "commit-then-drop" });
      let app: HostedResourceState | undefined;
      let key: HostedResourceState | undefined;
      await sessionsDuring(async (host) => {
        app = (await upResource(host, of(T.app).urn.replace(/::[^:]+$/, "::lost-app"), withGroup(of(T.app), groupId, { name: appName }))).state;
        key = (await upResource(host, of(T.key).urn.replace(/::[^:]+$/, "::lost-key"), withGroup(of(T.key), groupId, { name: keyName, allowDestroy: true }))).state;
      });
      expect(dsm.apps().filter((a) => a.name === appName).map((a) => a.app_id)).toEqual([app!.id]);
      expect(dsm.sobjects().filter((s) => s.name === keyName).map((s) => s.kid)).toEqual([key!.outputs.kid]);
      expect(app!.outputs).toMatchObject({ name: appName, appId: app!.id, groupId, adopt: false });
      expect(key!.outputs).toMatchObject({ name: keyName, kid: dsm.sobject(keyName)!.kid, groupId, adopt: false, allowDestroy: true });
      const appId = app!.id;
      expect(dsm.requests.filter((r) => r.path !== "/sys/v1/session/auth").map((r) => `${r.method} ${r.path} ${r.fault ?? r.status}`)).toEqual([
        "POST /sys/v1/apps commit-then-drop",
        "POST /sys/v1/apps 409",
        "GET /sys/v1/apps 200",
        `GET /sys/v1/apps/${appId} 200`,
        "POST /crypto/v1/keys commit-then-drop",
        "POST /crypto/v1/keys 409",
        "POST /crypto/v1/keys/info 200",
      ]);
      await sessionsDuring(async (host) => {
        await destroyResource(host, key!);
        await destroyResource(host, app!);
      });
      expect(dsm.sobject(keyName)).toBeUndefined();
      expect(dsm.app(appName)).toBeUndefined();
    });

    it("pulumi refresh of unchanged objects reads back the same state, and the next preview shows no change", async () => {
      const sessions = await sessionsDuring(async (host) => {
        for (const kind of ["group", "app", "key"] as const) {
          const before = states[kind]!;
          const after = (await refreshResource(host, before))!;
          expect(after.outputs, kind).toEqual(before.outputs);
          const inputs = kind === "group" ? of(T.group).inputs : withGroup(kind === "app" ? of(T.app) : of(T.key), states.group!.id);
          expect((await previewResource(host, before.urn, inputs, after)).diff, kind).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: false });
        }
      });
      expect(sessions).toBe(1);
    });

    it("pulumi refresh sees a key disabled in DSM, and the next up enables it again", async () => {
      dsm.modifySobject(mode.keyName, { enabled: false });
      await sessionsDuring(async (host) => {
        const refreshed = (await refreshResource(host, states.key!))!;
        expect(refreshed.outputs.enabled).toBe(false);
        const up = await upResource(host, refreshed.urn, withGroup(of(T.key), states.group!.id), refreshed);
        expect(up.operation).toBe("update");
        states.key = up.state;
      });
      expect(dsm.sobject(mode.keyName)!.enabled).toBe(true);
      expect(states.key!.outputs.enabled).toBe(true);
    });

    it("a changed `rotate` rekeys: a new kid under the same name, the old kid recorded and kept", async () => {
      const oldKid = String(states.key!.outputs.kid);
      await sessionsDuring(async (host) => {
        const up = await upResource(host, states.key!.urn, withGroup(of(T.key), states.group!.id, { rotate: "2026-12" }), states.key);
        expect(up.operation).toBe("update");
        states.key = up.state;
      });
      const current = dsm.sobject(mode.keyName)!;
      expect(current.kid).not.toBe(oldKid);
      expect(states.key!.outputs).toMatchObject({ kid: current.kid, rotatedKids: [oldKid], rotate: "2026-12", __provider: of(T.key).inputs.__provider });
      expect(dsm.sobject(oldKid)!.name).toMatch(new RegExp(`^${mode.keyName} \\(rotated at \\d{8}T\\d{6}Z\\)$`));
    });

    it("a rename of the key is refused with the provider's message, as the engine shows it, and DSM is untouched", async () => {
      const before = dsm.requests.length;
      await sessionsDuring(async (host) => {
        await expect(upResource(host, states.key!.urn, withGroup(of(T.key), states.group!.id, { name: `${mode.keyName}-2`, rotate: "2026-12" }), states.key)).rejects.toThrow(
          `DSM security object "${mode.keyName}" cannot be renamed to "${mode.keyName}-2": OCI key references find the key by its name (the external key ID)`,
        );
      });
      expect(dsm.requests.slice(before).filter((r) => r.method !== "POST" || r.path !== "/sys/v1/session/auth")).toEqual([]);
    });

    it("DSM's own errors reach the user with their message: an existing group is not taken over without adopt", async () => {
      const urn = of(T.group).urn.replace(/::[^:]+$/, "::second-group");
      await sessionsDuring(async (host) => {
        const err = await upResource(host, urn, of(T.group).inputs).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(EngineStepError);
        expect((err as EngineStepError).message).toBe(
          `DSM group "${mode.groupName}" already exists at ${dsm.url} (id ${states.group!.id}) and this resource did not create it. ` +
            "To manage the existing group with Pulumi, set `adopt: true` on the resource: its properties are then reconciled to the inputs. Otherwise choose another name.",
        );
        expect((err as EngineStepError).state).toBeUndefined();
        dsm.injectFault({ method: "POST", path: "/sys/v1/groups", kind: "status", status: 403 });
        await expect(upResource(host, urn, { ...of(T.group).inputs, name: "another-group" })).rejects.toThrow(
          /^DSM create group "another-group" failed: HTTP 403 ".+" \(POST \/sys\/v1\/groups\)$/,
        );
      });
    });

    it("a PATCH failing right after a rekey keeps the rotation in the state, with its provider, so refresh and destroy still work", async () => {
      const before = String(states.key!.outputs.kid);
      const earlier = states.key!.outputs.rotatedKids as string[];
      dsm.injectFault({ method: "PATCH", path: /^\/crypto\/v1\/keys\//, kind: "status", status: 500 });
      let failure: EngineStepError | undefined;
      await sessionsDuring(async (host) => {
        failure = await upResource(host, states.key!.urn, withGroup(of(T.key), states.group!.id, { rotate: "2027-01", description: "after rotation" }), states.key).then(
          () => undefined,
          (e: unknown) => e as EngineStepError,
        );
      });
      expect(failure).toBeInstanceOf(EngineStepError);
      expect(failure!.message).toMatch(/^DSM update security object [0-9a-f-]{36} failed: HTTP 500/);
      const kept = failure!.state!;
      const current = dsm.sobject(mode.keyName)!;
      expect(kept.initErrors).toEqual([failure!.message]);
      expect(kept.outputs).toMatchObject({ __provider: of(T.key).inputs.__provider, kid: current.kid, rotatedKids: [...earlier, before] });
      states.key = kept;
      await sessionsDuring(async (host) => {
        const refreshed = (await refreshResource(host, states.key!))!;
        expect(refreshed.outputs).toMatchObject({ kid: current.kid, __provider: of(T.key).inputs.__provider });
        states.key = refreshed;
      });
    });

    it("pulumi refresh drops an app deleted outside Pulumi, and the next up creates it again", async () => {
      dsm.deleteApp(states.app!.id);
      await sessionsDuring(async (host) => {
        expect(await refreshResource(host, states.app!)).toBeUndefined();
        states.app = (await upResource(host, of(T.app).urn, withGroup(of(T.app), states.group!.id))).state;
      });
      expect(dsm.app(String(of(T.app).inputs.name))!.app_id).toBe(states.app!.id);
    });

    it("pulumi destroy: the key is disabled and kept, the app deleted, the group kept; the engine receives both warnings", async () => {
      let warnings: string[] = [];
      const sessions = await sessionsDuring(async (host) => {
        await destroyResource(host, states.key!);
        await destroyResource(host, states.app!);
        await destroyResource(host, states.group!);
        // An object already gone is no error.
        await destroyResource(host, states.app!);
        warnings = host.logs.filter((l) => l.severity === "warning").map((l) => l.message);
      });
      expect(sessions).toBe(1);
      const key = dsm.sobject(mode.keyName)!;
      expect(key.enabled).toBe(false);
      expect(dsm.app(String(of(T.app).inputs.name))).toBeUndefined();
      expect(dsm.group(mode.groupName)).toBeDefined();
      expect(warnings).toEqual([
        `DSM security object "${mode.keyName}" (kid ${key.kid}) was disabled and kept in DSM at ${dsm.url}, with its key material (allowDestroy is false), ` +
          "so data encrypted under it stays recoverable. To use it again, re-enable it or declare it with `adopt: true`; to destroy it, set `allowDestroy: true`, run `pulumi up`, then remove it.",
        expect.stringMatching(new RegExp(`^DSM group "${mode.groupName}" \\(${states.group!.id}\\) was left in DSM at ${dsm.url.replace(/[.]/g, "\\.")}: it still holds 3 security objects`)),
      ]);
    });

    it("pulumi preview of a change whose endpoint is not known yet shows a change, not nothing", async () => {
      await sessionsDuring(async (host) => {
        const preview = await previewResource(host, states.group!.urn, { ...of(T.group).inputs, endpoint: HOST_UNKNOWN }, states.group);
        expect(preview.diff).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
      });
    });

    it("a resource without an endpoint input uses dsm:endpoint from the stack config; a group deleted outside Pulumi is dropped on refresh", async () => {
      const urn = of(T.group).urn.replace(/::[^:]+$/, "::extra-group");
      const { endpoint: _endpoint, ...withoutEndpoint } = of(T.group).inputs;
      let extra: HostedResourceState | undefined;
      await sessionsDuring(async (host) => {
        extra = (await upResource(host, urn, { ...withoutEndpoint, name: `${mode.groupName}-extra` })).state;
      });
      expect(extra!.outputs).toMatchObject({ name: `${mode.groupName}-extra`, endpoint: dsm.url, groupId: dsm.group(`${mode.groupName}-extra`)!.group_id });
      dsm.deleteGroup(extra!.id);
      await sessionsDuring(async (host) => {
        expect(await refreshResource(host, extra!)).toBeUndefined();
      });
    });

    it("a Create that fails after DSM changed something keeps the object with its provider, and destroy works straight from that state", async () => {
      const names = { groupName: `${mode.groupName}-adopt`, keyName: `${mode.keyName}-adopt` };
      let group: HostedResourceState | undefined;
      await sessionsDuring(async (host) => {
        group = (await upResource(host, of(T.group).urn.replace(/::[^:]+$/, "::adopt-group"), { ...of(T.group).inputs, name: names.groupName })).state;
      });
      dsm.seedSobject({ name: names.keyName, group_id: group!.id, obj_type: "AES", key_size: 256, key_ops: ["ENCRYPT", "DECRYPT", "APPMANAGEABLE"], description: "made by hand" });
      dsm.injectFault({ method: "PATCH", path: /^\/crypto\/v1\/keys\//, kind: "status", status: 500 });
      const urn = of(T.key).urn.replace(/::[^:]+$/, "::adopted-key");
      let failure: EngineStepError | undefined;
      await sessionsDuring(async (host) => {
        failure = await upResource(host, urn, withGroup(of(T.key), group!.id, { name: names.keyName, adopt: true, description: "managed now" })).then(
          () => undefined,
          (e: unknown) => e as EngineStepError,
        );
      });
      expect(failure).toBeInstanceOf(EngineStepError);
      const kept = failure!.state!;
      expect(kept.id).toBe(names.keyName);
      expect(kept.outputs).toMatchObject({ __provider: of(T.key).inputs.__provider, kid: dsm.sobject(names.keyName)!.kid, name: names.keyName });
      await sessionsDuring(async (host) => {
        await destroyResource(host, kept);
      });
      expect(dsm.sobject(names.keyName)!.enabled).toBe(false);
    });

    it("every host reports, as GetPluginInfo, the version of the @pulumi/pulumi the program's directory resolves", () => {
      const sdk = JSON.parse(readFileSync(createRequire(path.join(mode.programDir, "package.json")).resolve("@pulumi/pulumi/package.json"), "utf8")) as { version: string };
      expect(reportedVersions.length).toBeGreaterThan(5);
      expect([...new Set(reportedVersions)]).toEqual([sdk.version]);
    });

    it("every request the hosted providers sent, and every answer, is what Fortanix's API document describes", () => {
      expect(sent.length).toBeGreaterThan(30);
      const problems = sent.flatMap((r) => [
        ...dsmRequestProblems(r.method, r.path, r.body, r.query),
        ...(r.status !== undefined ? dsmResponseProblems(r.method, r.path, r.status, r.response) : []),
      ]);
      expect(problems).toEqual([]);
    });

    it("no DSM credential appears in any serialized provider, input, output, or anything a host printed or logged", () => {
      const secret = Buffer.from(apiKey, "base64").toString("utf8").split(":")[1];
      const providers = captured.map((r) => dsmUnpackProvider(String(r.inputs.__provider))).join("\n");
      const everything = providers + JSON.stringify({ captured, states }) + hosts.map((h) => h.stdout + h.stderr + JSON.stringify(h.logs)).join("\n");
      expect(secret.length).toBeGreaterThan(8);
      expect(everything).not.toContain(apiKey);
      expect(everything).not.toContain(secret);
    });
  });
}
