// Pulumi's dynamic-provider host, driven the way the engine drives it. `pulumi up` does not call a
// dynamic provider's methods: the engine starts `pulumi-resource-pulumi-nodejs <engine address>` (a
// script in @pulumi/pulumi that runs `cmd/dynamic-provider`) in the program's directory, reads the
// gRPC port it prints, and calls its ResourceProvider service; the host evaluates the `__provider`
// string the program serialized and calls the methods inside. This module plays the engine: it
// serves the host a minimal `Engine` service (Log, GetRootResource, SetRootResource) and speaks the
// provider protocol with the gRPC stubs of the program's own @pulumi/pulumi.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

type Grpc = typeof import("@grpc/grpc-js");
type ProviderRpc = typeof import("@pulumi/pulumi/proto/provider_grpc_pb");
type ProviderProto = typeof import("@pulumi/pulumi/proto/provider_pb");
type EngineRpc = typeof import("@pulumi/pulumi/proto/engine_grpc_pb");
type EngineProto = typeof import("@pulumi/pulumi/proto/engine_pb");
type PluginProto = typeof import("@pulumi/pulumi/proto/plugin_pb");
type StatusProto = typeof import("@pulumi/pulumi/proto/status_pb");
type StructProto = typeof import("google-protobuf/google/protobuf/struct_pb");
type EmptyProto = typeof import("google-protobuf/google/protobuf/empty_pb");
type Struct = InstanceType<StructProto["Struct"]>;
type ProviderClient = InstanceType<ProviderRpc["ResourceProviderClient"]>;
type GrpcServer = InstanceType<Grpc["Server"]>;
type JsonMap = Record<string, unknown>;

/** The value the engine sends for an input that is not known yet (during preview). */
export const HOST_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The gRPC stubs of one project's @pulumi/pulumi (and the gRPC library that SDK uses). */
interface Stubs {
  sdkDir: string;
  sdkVersion: string;
  grpc: Grpc;
  providerRpc: ProviderRpc;
  provider: ProviderProto;
  engineRpc: EngineRpc;
  engine: EngineProto;
  plugin: PluginProto;
  status: StatusProto;
  struct: StructProto;
  empty: EmptyProto;
}

function loadStubs(programDir: string): Stubs {
  const fromProgram = createRequire(path.join(programDir, "package.json"));
  let sdkPackage: string;
  try {
    sdkPackage = fromProgram.resolve("@pulumi/pulumi/package.json");
  } catch {
    throw new Error(`no @pulumi/pulumi is installed for the program in ${programDir}: the engine would find no dynamic-provider host there`);
  }
  const sdkDir = path.dirname(sdkPackage);
  const fromSdk = createRequire(sdkPackage);
  const load = <T>(id: string): T => fromSdk(fromSdk.resolve(id)) as T;
  return {
    sdkDir,
    sdkVersion: (fromSdk(sdkPackage) as { version: string }).version,
    grpc: load<Grpc>("@grpc/grpc-js"),
    providerRpc: load<ProviderRpc>("./proto/provider_grpc_pb"),
    provider: load<ProviderProto>("./proto/provider_pb"),
    engineRpc: load<EngineRpc>("./proto/engine_grpc_pb"),
    engine: load<EngineProto>("./proto/engine_pb"),
    plugin: load<PluginProto>("./proto/plugin_pb"),
    status: load<StatusProto>("./proto/status_pb"),
    struct: load<StructProto>("google-protobuf/google/protobuf/struct_pb"),
    empty: load<EmptyProto>("google-protobuf/google/protobuf/empty_pb"),
  };
}

/** One message the host (or a provider inside it) sent the engine's `Log`. */
export interface HostLogEntry {
  severity: "debug" | "info" | "warning" | "error";
  message: string;
  urn: string;
}

/** What a failed `Create` or `Update` reports with `ErrorResourceInitFailed`: the object exists, in this state. */
export interface HostInitFailure {
  id: string;
  properties: JsonMap;
  reasons: string[];
}

/** A call the host answered with an error, as the engine shows it (`message`). */
export class HostCallError extends Error {
  constructor(
    readonly method: string,
    message: string,
    /** gRPC status code. */
    readonly code: number,
    /** Set when a Create or Update failed after the object was made or changed. */
    readonly initFailure?: HostInitFailure,
  ) {
    super(message);
    this.name = "HostCallError";
  }
}

export interface CheckResult {
  inputs: JsonMap;
  failures: { property: string; reason: string }[];
}

export interface DiffResult {
  changes: "none" | "some" | "unknown";
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export interface ReadResult {
  /** Empty when the provider found the object gone (the engine then drops it from the state). */
  id: string;
  properties: JsonMap;
  /** The inputs to diff against from now on, when the provider returned them. */
  inputs?: JsonMap;
}

export interface DynamicProviderHostOptions {
  /** The Pulumi program's directory: the host runs there and resolves @pulumi/pulumi and `require`s from it. Required. */
  programDir: string;
  /** Project name (`PULUMI_NODEJS_PROJECT`, `PULUMI_PROJECT`). Default `oci-ekm`. */
  project?: string;
  /** Extra environment of the host process. Default: none; the host gets only PATH, HOME and what the engine sets. */
  env?: Record<string, string>;
  /** How long to wait for the host to print its port, milliseconds. Default 30 000. */
  startTimeoutMs?: number;
}

/** Pulumi's dynamic-provider host, started as the engine starts it, with an `Engine` service for it to call. */
export class DynamicProviderHost {
  /** Version of the @pulumi/pulumi that runs the host. */
  readonly sdkVersion: string;

  private constructor(
    private readonly stubs: Stubs,
    private readonly child: ChildProcess,
    private readonly engine: GrpcServer,
    private readonly client: ProviderClient,
    private readonly exited: Promise<number | null>,
    /** What the host and its providers sent the engine's `Log`. */
    readonly logs: readonly HostLogEntry[],
    private readonly output: { stdout: string; stderr: string },
  ) {
    this.sdkVersion = stubs.sdkVersion;
  }

  /** The host's standard output after the port line (the CLI shows it as output). */
  get stdout(): string {
    return this.output.stdout;
  }

  /** The host's standard error (the CLI shows it as output, since 3.146). */
  get stderr(): string {
    return this.output.stderr;
  }

  /** Starts the host of the program in `options.programDir`. */
  static async start(options: DynamicProviderHostOptions): Promise<DynamicProviderHost> {
    const stubs = loadStubs(options.programDir);
    const { grpc } = stubs;
    const logs: HostLogEntry[] = [];
    const severities: Record<number, HostLogEntry["severity"]> = {
      [stubs.engine.LogSeverity.DEBUG]: "debug",
      [stubs.engine.LogSeverity.INFO]: "info",
      [stubs.engine.LogSeverity.WARNING]: "warning",
      [stubs.engine.LogSeverity.ERROR]: "error",
    };
    const engine = new grpc.Server();
    engine.addService(stubs.engineRpc.EngineService, {
      log: (call: { request: InstanceType<EngineProto["LogRequest"]> }, done: (e: null, r: unknown) => void) => {
        logs.push({ severity: severities[call.request.getSeverity()] ?? "info", message: call.request.getMessage(), urn: call.request.getUrn() });
        done(null, new stubs.empty.Empty());
      },
      getRootResource: (_call: unknown, done: (e: null, r: unknown) => void) => done(null, new stubs.engine.GetRootResourceResponse()),
      setRootResource: (_call: unknown, done: (e: null, r: unknown) => void) => done(null, new stubs.engine.SetRootResourceResponse()),
    });
    const enginePort = await new Promise<number>((resolve, reject) =>
      engine.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    const project = options.project ?? "oci-ekm";
    const env: Record<string, string> = {
      // The script runs `node` from PATH, as the engine's plugin does: this Node first.
      PATH: [path.dirname(process.execPath), process.env.PATH ?? "/usr/bin:/bin"].join(path.delimiter),
      ...(process.env.HOME !== undefined ? { HOME: process.env.HOME } : {}),
      // What the engine adds for the Node.js dynamic provider (sdk/go/common/resource/plugin/provider_plugin.go).
      PULUMI_NODEJS_PROJECT: project,
      PULUMI_PROJECT: project,
      PULUMI_CONFIG: "{}",
      ...options.env,
    };
    // The plugin the engine runs: `pulumi-resource-pulumi-nodejs`, a shell script that resolves the
    // host from the program's directory and runs it with node. In a process group of its own, so
    // that stopping the host ends the shell and the node under it together.
    const child = spawn(path.join(stubs.sdkDir, "pulumi-resource-pulumi-nodejs"), [`127.0.0.1:${enginePort}`], {
      cwd: options.programDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    liveHosts.add(child);
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code) => {
        liveHosts.delete(child);
        resolve(code);
      }),
    );
    const output = { stdout: "", stderr: "" };
    let started = false;
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (output.stderr += d));
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the dynamic-provider host printed no port within ${timeoutMs} ms: ${output.stderr}`)), timeoutMs);
      let first = "";
      child.stdout!.setEncoding("utf8").on("data", (d: string) => {
        if (started) {
          output.stdout += d;
          return;
        }
        first += d;
        const m = /^(\d+)\r?\n/.exec(first);
        if (m) {
          started = true;
          clearTimeout(timer);
          output.stdout += first.slice(m[0].length);
          resolve(m[1]);
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the dynamic-provider host exited (${String(code)}) before printing its port: ${output.stderr}`));
      });
    }).catch((e: unknown) => {
      killHost(child);
      engine.forceShutdown();
      throw e;
    });
    // The engine's gRPC client (grpc-go) accepts 16 MiB of headers and messages; grpc-js defaults to
    // 8 KiB of metadata, too little for a failed Create's ErrorResourceInitFailed, which travels in a
    // trailer and carries the serialized provider.
    const client = new stubs.providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_metadata_size": 16 * 1024 * 1024,
      "grpc.max_receive_message_length": 16 * 1024 * 1024,
    });
    return new DynamicProviderHost(stubs, child, engine, client, exited, logs, output);
  }

  // ---- the provider protocol -------------------------------------------------------------------

  /** `GetPluginInfo`: the SDK version the host reports. */
  async pluginInfo(): Promise<string> {
    const info = await this.unary<InstanceType<PluginProto["PluginInfo"]>>("getPluginInfo", new this.stubs.empty.Empty());
    return info.getVersion();
  }

  /**
   * `Configure` as the engine sends it to a dynamic provider: every stack config key with its
   * namespace (`dsm:endpoint`), secret values wrapped as secrets in `args`, plain in `variables`.
   */
  async configure(config: Record<string, string>, secretKeys: readonly string[] = []): Promise<void> {
    const req = new this.stubs.provider.ConfigureRequest();
    const args: JsonMap = {};
    for (const [k, v] of Object.entries(config)) {
      args[k] = secretKeys.includes(k) ? { [SECRET_SIG_KEY]: SECRET_SIG, value: v } : v;
      req.getVariablesMap().set(`pulumi-nodejs:config:${k}`, v);
    }
    req.setArgs(this.toStruct(args));
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    await this.unary("configure", req);
  }

  async check(urn: string, olds: JsonMap, news: JsonMap): Promise<CheckResult> {
    const req = new this.stubs.provider.CheckRequest();
    req.setUrn(urn);
    req.setName(urnName(urn));
    req.setType(urnType(urn));
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    const res = await this.unary<InstanceType<ProviderProto["CheckResponse"]>>("check", req);
    return {
      inputs: (res.getInputs()?.toJavaScript() ?? {}) as JsonMap,
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  /** `Diff` with the old outputs (`olds`), the new checked inputs and, as the engine sends them, the old inputs. */
  async diff(urn: string, id: string, olds: JsonMap, news: JsonMap, oldInputs?: JsonMap): Promise<DiffResult> {
    const req = new this.stubs.provider.DiffRequest();
    req.setUrn(urn);
    req.setName(urnName(urn));
    req.setType(urnType(urn));
    req.setId(id);
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    if (oldInputs) req.setOldInputs(this.toStruct(oldInputs));
    const res = await this.unary<InstanceType<ProviderProto["DiffResponse"]>>("diff", req);
    const c = this.stubs.provider.DiffResponse.DiffChanges;
    const changes = res.getChanges() === c.DIFF_NONE ? "none" : res.getChanges() === c.DIFF_SOME ? "some" : "unknown";
    return { changes, replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
  }

  async create(urn: string, properties: JsonMap, preview = false): Promise<{ id: string; properties: JsonMap }> {
    const req = new this.stubs.provider.CreateRequest();
    req.setUrn(urn);
    req.setName(urnName(urn));
    req.setType(urnType(urn));
    req.setProperties(this.toStruct(properties));
    req.setPreview(preview);
    const res = await this.unary<InstanceType<ProviderProto["CreateResponse"]>>("create", req);
    return { id: res.getId(), properties: (res.getProperties()?.toJavaScript() ?? {}) as JsonMap };
  }

  /** `Read` as `pulumi refresh` sends it: the old outputs as `properties`, the old inputs as `inputs`. */
  async read(urn: string, id: string, properties: JsonMap, inputs?: JsonMap): Promise<ReadResult> {
    const req = new this.stubs.provider.ReadRequest();
    req.setUrn(urn);
    req.setName(urnName(urn));
    req.setType(urnType(urn));
    req.setId(id);
    req.setProperties(this.toStruct(properties));
    if (inputs) req.setInputs(this.toStruct(inputs));
    const res = await this.unary<InstanceType<ProviderProto["ReadResponse"]>>("read", req);
    const read = res.getInputs()?.toJavaScript() as JsonMap | undefined;
    return { id: res.getId(), properties: (res.getProperties()?.toJavaScript() ?? {}) as JsonMap, ...(read ? { inputs: read } : {}) };
  }

  async update(urn: string, id: string, olds: JsonMap, news: JsonMap, oldInputs?: JsonMap): Promise<{ properties: JsonMap }> {
    const req = new this.stubs.provider.UpdateRequest();
    req.setUrn(urn);
    req.setName(urnName(urn));
    req.setType(urnType(urn));
    req.setId(id);
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    if (oldInputs) req.setOldInputs(this.toStruct(oldInputs));
    const res = await this.unary<InstanceType<ProviderProto["UpdateResponse"]>>("update", req);
    return { properties: (res.getProperties()?.toJavaScript() ?? {}) as JsonMap };
  }

  async delete(urn: string, id: string, properties: JsonMap, oldInputs?: JsonMap): Promise<void> {
    const req = new this.stubs.provider.DeleteRequest();
    req.setUrn(urn);
    req.setName(urnName(urn));
    req.setType(urnType(urn));
    req.setId(id);
    req.setProperties(this.toStruct(properties));
    if (oldInputs) req.setOldInputs(this.toStruct(oldInputs));
    await this.unary("delete", req);
  }

  /** Ends the host as the engine does at the end of a command, and the `Engine` service. */
  async stop(): Promise<void> {
    this.client.close();
    killHost(this.child);
    await this.exited;
    await new Promise<void>((resolve) => this.engine.tryShutdown(() => resolve()));
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private toStruct(value: JsonMap): Struct {
    return this.stubs.struct.Struct.fromJavaScript(withoutUndefined(value) as Parameters<StructProto["Struct"]["fromJavaScript"]>[0]);
  }

  private unary<R>(method: string, req: unknown): Promise<R> {
    const fn = (this.client as unknown as Record<string, (req: unknown, cb: (err: GrpcError | null, res: R) => void) => void>)[method];
    return new Promise<R>((resolve, reject) =>
      fn.call(this.client, req, (err, res) => {
        if (!err) return resolve(res);
        try {
          reject(this.callError(method, err));
        } catch (e) {
          reject(e);
        }
      }),
    );
  }

  private callError(method: string, err: GrpcError): HostCallError {
    let initFailure: HostInitFailure | undefined;
    const details = err.metadata?.get("grpc-status-details-bin")[0];
    if (details !== undefined) {
      const status = this.stubs.status.Status.deserializeBinary(typeof details === "string" ? Buffer.from(details, "base64") : details);
      for (const any of status.getDetailsList()) {
        if (!any.getTypeUrl().endsWith("pulumirpc.ErrorResourceInitFailed")) continue;
        const f = this.stubs.provider.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
        initFailure = { id: f.getId(), properties: (f.getProperties()?.toJavaScript() ?? {}) as JsonMap, reasons: f.getReasonsList() };
      }
    }
    return new HostCallError(method, err.details ?? err.message, err.code ?? 2, initFailure);
  }
}

function killHost(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // The group is gone already.
  }
}

// Hosts still running when this process exits (a test that failed before stop(), an uncaught
// error) are ended with it rather than left behind.
const liveHosts = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of liveHosts) killHost(child);
});

interface GrpcError {
  code?: number;
  details?: string;
  message: string;
  metadata?: { get(key: string): (string | Buffer)[] };
}

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, withoutUndefined(v)]));
  }
  return value;
}

/** `name` of a URN (`urn:pulumi:<stack>::<project>::<type chain>::<name>`). */
export function urnName(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

/** The resource's own type of a URN (the last element of the type chain). */
export function urnType(urn: string): string {
  return (urn.split("::")[2] ?? "").split("$").pop() ?? "";
}
