// What the three DSM providers share: the stack config handed to `configure`, the DSM client built
// from it when a method runs, the warning channel to the engine, and the shapes of a partial failure.
//
// Serialization rules: a provider instance is serialized into the state as `__provider`. It holds
// no credential: methods read DSM credentials when they run, from the stack config given to
// `configure` (kept in a process-global registry, outside the instance) or from the environment.
// Where this library is an installed package, the serializer captures these modules with
// `require("oci-ekm-fortanix/dist/dsm/…")`; otherwise it copies the functions by value, so nothing
// here may rely on `instanceof`, module-level `export const`, or state outside `globalThis`.
import { randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { DsmApiPrincipal } from "./api";
import { DsmClient, type DsmClientOptions } from "./client";
import { type DsmCredentialSettings, normalizeDsmEndpoint, resolveDsmCredentials } from "./credentials";
import { isDsmStatus } from "./errors";
import {
  containsDsmUnknown,
  dsmKindLabel,
  type DsmResourceKind,
} from "./schemas";

export interface DsmProviderOptions {
  /** Timeouts and retry budget of the DSM client. Default: the client's defaults. */
  client?: DsmClientOptions;
}

/** State of a {@link DsmGroup}. */
/** Properties as the host passes them (`__provider` among them). */
export type Props = Record<string, unknown>;

/** A provider object: its identity keys its `configure` settings; it carries the client options. */
export interface DsmProviderHandle {
  readonly options: DsmProviderOptions;
}

// ---- credentials: configure() registry and client construction ------------------------------------

export function dsmConfigRegistry(): WeakMap<object, DsmCredentialSettings> {
  const key = Symbol.for("oci-ekm-fortanix.dsm.provider-config");
  const holder = globalThis as unknown as Record<symbol, WeakMap<object, DsmCredentialSettings> | undefined>;
  let registry = holder[key];
  if (!registry) {
    registry = new WeakMap();
    holder[key] = registry;
  }
  return registry;
}

/** Reads the `dsm:*` stack config handed to `configure` (values stay in this process, never in the provider object). */
export function dsmConfigure(provider: object, req: pulumi.dynamic.ConfigureRequest): void {
  const get = (key: string): string | undefined => {
    const v = req.config.get(key);
    return v === undefined || v === "" ? undefined : v;
  };
  const settings: DsmCredentialSettings = {};
  const assign = (field: keyof DsmCredentialSettings, key: string): void => {
    const v = get(key);
    if (v !== undefined) settings[field] = v;
  };
  assign("endpoint", "dsm:endpoint");
  assign("apiKey", "dsm:apiKey");
  assign("username", "dsm:username");
  assign("password", "dsm:password");
  assign("acctId", "dsm:acctId");
  assign("caBundle", "dsm:caBundle");
  dsmConfigRegistry().set(provider, settings);
}

export function dsmClientFor(provider: object, endpoint: string | undefined, options: DsmProviderOptions): DsmClient {
  const settings = dsmConfigRegistry().get(provider) ?? {};
  const credentials = resolveDsmCredentials({ ...settings, ...(endpoint !== undefined ? { endpoint } : {}) });
  return new DsmClient(credentials, options.client ?? {});
}

/** The endpoint a resource without `endpoint` would use, if one is configured (for diffs only). */
export function dsmDefaultEndpoint(provider: object): string | undefined {
  const v = dsmConfigRegistry().get(provider)?.endpoint ?? process.env.DSM_ENDPOINT;
  return v !== undefined && v.trim() !== "" ? normalizeDsmEndpoint(v) : undefined;
}

// ---- shared helpers -------------------------------------------------------------------------------

/** Drops undefined values (the state protocol has no undefined) and the `__provider` key. */
export function dsmClean<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined && k !== "__provider") out[k] = v;
  return out as T;
}

export function dsmKnown(v: unknown): boolean {
  return v !== undefined && !containsDsmUnknown(v);
}

/**
 * True when a preview's inputs hold a value not known yet: a diff cannot tell that nothing will
 * change, so it reports a change (`pulumi preview` then shows an update rather than nothing).
 */
export function dsmAnyUnknown(news: Props): boolean {
  return Object.entries(news).some(([k, v]) => k !== "__provider" && containsDsmUnknown(v));
}

export function dsmSameSet(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The error for a create that finds an object of the same name, saying how to adopt it. */
export function dsmAlreadyExists(kind: DsmResourceKind, name: string, id: string, endpoint: string): Error {
  const what = dsmKindLabel(kind);
  return new Error(
    `DSM ${what} "${name}" already exists at ${endpoint} (id ${id}) and this resource did not create it. ` +
      `To manage the existing ${what} with Pulumi, set \`adopt: true\` on the resource: its properties are then reconciled to the inputs. ` +
      `Otherwise choose another name.`,
  );
}

// ---- create or adopt -------------------------------------------------------------------------------

/** One kind of DSM object as {@link dsmCreateOrAdopt} creates it and looks its name up. */
export interface DsmCreateOrAdoptSpec<T> {
  kind: DsmResourceKind;
  name: string;
  /**
   * Statuses with which DSM may refuse a create because the name is taken: 409 (confirmed for keys,
   * emulated for all three), and 400 too for groups and apps, where DSM's status is not confirmed.
   */
  takenStatuses: readonly number[];
  /**
   * Sends the create. `recover` must be the request's `recover` (`DsmCreateOptions`): the client
   * calls it before retrying an attempt that may have been carried out, and it sends the retry.
   */
  create(recover: () => Promise<undefined>): Promise<T>;
  /** The object of this name, or undefined. */
  find(): Promise<T | undefined>;
  /** Its id, for the refusal. */
  idOf(found: T): string;
  /**
   * Whether `found` is what this very create made: an attempt that DSM carried out but whose answer
   * was lost, so that the client's retry met the name taken. `mayHaveCreated`: an attempt failed in
   * a way that may have been carried out (network error, timeout, 502/503/504).
   */
  isOwn(found: T, mayHaveCreated: boolean): boolean | Promise<boolean>;
}

/** What {@link dsmCreateOrAdopt} ended with: the object, and whether this create made it. */
export interface DsmCreateOrAdoptResult<T> {
  object: T;
  /** False when an existing object of the name was adopted: the caller reconciles it to the inputs. */
  created: boolean;
}

/**
 * Creates first, and looks the name up only when DSM answers that it is taken, so that a free name
 * costs one request. The object then found is this create's own when `spec.isOwn` says so (its
 * answer was lost and the client's retry met it): it is taken as created, no duplicate, no refusal.
 * Anyone else's is refused with {@link dsmAlreadyExists} unless `adopt`, then returned to be
 * reconciled. A 409 for a name that nothing holds any more (an object deleted a moment ago: a key
 * stays visible for about a second) is answered by creating again for up to a few seconds.
 */
export async function dsmCreateOrAdopt<T>(spec: DsmCreateOrAdoptSpec<T>, adopt: boolean, endpoint: string): Promise<DsmCreateOrAdoptResult<T>> {
  // Inside the function: a copied function cannot reach a module's other bindings reliably.
  const freedWaitMs = 5_000;
  const pollMs = 250;
  let mayHaveCreated = false;
  const recover = async (): Promise<undefined> => {
    mayHaveCreated = true;
    return undefined;
  };
  const started = Date.now();
  for (;;) {
    let taken: unknown;
    try {
      return { object: await spec.create(recover), created: true };
    } catch (err) {
      if (!isDsmStatus(err, ...spec.takenStatuses)) throw err;
      taken = err;
    }
    const found = await spec.find();
    if (found !== undefined) {
      if (await spec.isOwn(found, mayHaveCreated)) return { object: found, created: true };
      if (!adopt) throw dsmAlreadyExists(spec.kind, spec.name, spec.idOf(found), endpoint);
      return { object: found, created: false };
    }
    // Taken, yet nothing holds the name: DSM is letting go of a deleted object's name. A 400 without
    // such an object was about something else in the request.
    if (!isDsmStatus(taken, 409) || Date.now() - started > freedWaitMs) throw taken;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** A new id for one create, sent in the object's `custom_metadata` where its kind has one. */
export function dsmNewCreateId(): string {
  return randomUUID();
}

/** True when `creator` (an object's `creator`) is the app or user `entityId` (the session's `entity_id`). */
export function dsmCreatedBy(creator: DsmApiPrincipal | undefined, entityId: string | undefined): boolean {
  if (entityId === undefined || creator === undefined || typeof creator !== "object") return false;
  return creator.app === entityId || creator.user === entityId;
}

/**
 * An error after the object exists or changed: the engine records the object (id and these
 * properties, as its outputs) instead of forgetting the change. The properties keep the serialized
 * provider (`raw.__provider`, as the host passed it in): the host adds it to a successful result but
 * not to an error's, and without it the next `pulumi refresh` or `pulumi destroy` cannot load the
 * provider of this resource.
 */
export function dsmPartialCreate(err: unknown, id: string, outs: object, raw: Props): Error {
  const message = dsmErrorMessage(err);
  const properties: Props = { ...dsmClean(outs) };
  if (raw.__provider !== undefined) properties.__provider = raw.__provider;
  return Object.assign(new Error(message), { id, properties, reasons: [message] });
}

/** The message of anything thrown (no `instanceof`: copied code has other classes than the thrower). */
export function dsmErrorMessage(err: unknown): string {
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return typeof message === "string" ? message : String(err);
}

/**
 * The engine's address when this runs inside Pulumi's dynamic-provider host: the engine starts
 * `pulumi-resource-pulumi-nodejs` with its own gRPC address as the last argument, and the host
 * (`@pulumi/pulumi/cmd/dynamic-provider`) never connects the SDK's logger to it.
 */
export function dsmHostEngineAddress(argv: readonly string[] = process.argv): string | undefined {
  if (!/[\\/]cmd[\\/]dynamic-provider([\\/]index\.js)?$/.test(argv[1] ?? "")) return undefined;
  const last = argv[argv.length - 1] ?? "";
  return argv.length > 2 && /^(\[[0-9a-fA-F:.]+\]|[\w.-]+):\d+$/.test(last) ? last : undefined;
}

/** One warning to the engine over its `Log` call, with the SDK's own gRPC stubs (the host's copy). */
export function dsmEngineWarn(address: string, message: string): Promise<void> {
  // Required when called, not imported: only the host process needs them, and the serializer then
  // leaves the calls as they are, resolved from the project the host runs in.
  const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as typeof import("@pulumi/pulumi/proto/engine_grpc_pb");
  const engineProto = require("@pulumi/pulumi/proto/engine_pb") as typeof import("@pulumi/pulumi/proto/engine_pb");
  const sdkDir = require("node:path").dirname(require.resolve("@pulumi/pulumi/package.json")) as string;
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] })) as typeof import("@grpc/grpc-js");
  const client = new engineRpc.EngineClient(address, grpc.credentials.createInsecure());
  const req = new engineProto.LogRequest();
  req.setSeverity(engineProto.LogSeverity.WARNING);
  req.setMessage(message);
  req.setUrn("");
  return new Promise<void>((resolve, reject) => {
    client.log(req, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err) => {
      client.close();
      if (err) reject(err);
      else resolve();
    });
  });
}

/**
 * Tells the user something during a deployment, as a warning of `pulumi up` / `destroy`. Inside the
 * dynamic-provider host it goes to the engine's `Log`; should that fail, and anywhere else, it goes
 * to `pulumi.log.warn`, which without an engine connection writes a stderr line (the CLI shows a
 * dynamic provider's stderr as output since 3.146).
 */
export async function dsmNotice(message: string): Promise<void> {
  const engine = dsmHostEngineAddress();
  if (engine !== undefined) {
    try {
      await dsmEngineWarn(engine, message);
      return;
    } catch {
      // fall back to stderr below
    }
  }
  try {
    await pulumi.log.warn(message);
  } catch {
    process.stderr.write(`warning: ${message}\n`);
  }
}
