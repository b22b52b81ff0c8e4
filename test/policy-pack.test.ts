// The pack as the Pulumi CLI runs it: `run-policy-pack` from @pulumi/pulumi in infra/policy/
// (ts-node with type checking, the version read from the pack's package.json), then the analyzer
// gRPC calls the engine makes during `pulumi preview --policy-pack infra/policy`.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as GrpcJs from "@grpc/grpc-js";
import type * as AnalyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type * as AnalyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as EmptyPb from "google-protobuf/google/protobuf/empty_pb";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DSM_TYPE_TOKENS } from "../components/dsm/schemas";

const repoRoot = path.resolve(__dirname, "..");
const packDir = path.join(repoRoot, "infra", "policy");

// Load the gRPC stubs and protobuf runtime the way @pulumi/pulumi itself resolves them, so that
// the message classes are the instances its generated code checks against.
const requireFromProto = createRequire(require.resolve("@pulumi/pulumi/proto/analyzer_pb"));
const grpc = requireFromProto("@grpc/grpc-js") as typeof GrpcJs;
const analyzerPb = requireFromProto("./analyzer_pb") as typeof AnalyzerPb;
const analyzerGrpc = requireFromProto("./analyzer_grpc_pb") as typeof AnalyzerGrpc;
const structPb = requireFromProto("google-protobuf/google/protobuf/struct_pb") as typeof StructPb;
const emptyPb = requireFromProto("google-protobuf/google/protobuf/empty_pb") as typeof EmptyPb;

const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

let pack: ChildProcess | undefined;
let client: AnalyzerGrpc.AnalyzerClient;
let packStderr = "";

/** Starts the pack like the nodejs language host does and resolves with the port it prints. */
function startPack(): Promise<number> {
  const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
  const child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], { cwd: packDir, stdio: "pipe" });
  pack = child;
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^(\d+)\s*$/m.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      packStderr += chunk.toString();
    });
    child.on("exit", (code) => reject(new Error(`policy pack exited with ${code} before serving:\n${packStderr}`)));
  });
}

type Callback<Res> = (err: GrpcJs.ServiceError | null, res: Res) => void;

/** Promisifies one unary call; `send` picks the overload (the stubs' generics do not infer). */
function unary<Res>(send: (cb: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    send((err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function analyze(type: string, props: Record<string, unknown>): Promise<AnalyzerPb.AnalyzeDiagnostic[]> {
  const request = new analyzerPb.AnalyzeRequest()
    .setType(type)
    .setName("under-test")
    .setUrn(`urn:pulumi:dev::oci-ekm::${type}::under-test`)
    .setProperties(structPb.Struct.fromJavaScript(props as Record<string, StructPb.JavaScriptValue>))
    .setOptions(new analyzerPb.AnalyzerResourceOptions());
  const response = await unary<AnalyzerPb.AnalyzeResponse>((cb) => client.analyze(request, cb));
  return response.getDiagnosticsList();
}

async function configure(config: Record<string, Record<string, StructPb.JavaScriptValue>>): Promise<void> {
  const request = new analyzerPb.ConfigureAnalyzerRequest();
  for (const [policy, props] of Object.entries(config)) {
    const policyConfig = new analyzerPb.PolicyConfig()
      .setEnforcementlevel(analyzerPb.EnforcementLevel.MANDATORY)
      .setProperties(structPb.Struct.fromJavaScript(props));
    request.getPolicyconfigMap().set(policy, policyConfig);
  }
  await unary<EmptyPb.Empty>((cb) => client.configure(request, cb));
}

beforeAll(async () => {
  const port = await startPack();
  client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 90_000);

afterAll(() => {
  client?.close();
  pack?.removeAllListeners("exit");
  pack?.kill();
});

describe("policy pack served by run-policy-pack", () => {
  it("describes itself as oci-ekm 0.1.0 with nine mandatory policies", async () => {
    const info = await unary<AnalyzerPb.AnalyzerInfo>((cb) => client.getAnalyzerInfo(new emptyPb.Empty(), cb));
    expect(info.getName()).toBe("oci-ekm");
    expect(info.getVersion()).toBe("0.1.0");
    const policies = info.getPoliciesList();
    expect(policies.map((p) => p.getName())).toHaveLength(9);
    expect(new Set(policies.map((p) => p.getEnforcementlevel()))).toEqual(new Set([analyzerPb.EnforcementLevel.MANDATORY]));
    const noDestroy = policies.find((p) => p.getName() === "dsm-key-no-destroy");
    expect(noDestroy?.getConfigschema()?.getProperties()?.toJavaScript()).toEqual({
      allowKeyDestroy: {
        type: "boolean",
        default: false,
        description: "Allow allowDestroy: true on DSM security objects, for a deliberate teardown.",
      },
    });
  });

  it("reports a public gateway as a mandatory violation of gateway-private-endpoint", async () => {
    const diagnostics = await analyze("oci:ApiGateway/gateway:Gateway", { endpointType: "PUBLIC", subnetId: "s" });
    expect(diagnostics.map((d) => [d.getPolicyname(), d.getEnforcementlevel()])).toEqual([
      ["gateway-private-endpoint", analyzerPb.EnforcementLevel.MANDATORY],
    ]);
    // The server puts the policy's description above the message: the reviewer's headline.
    expect(diagnostics[0].getMessage()).toBe(
      "The API gateway in front of DSM must be PRIVATE.\n" +
        'API gateway endpointType is "PUBLIC"; it must be "PRIVATE". OCI Vault reaches the key manager only through ' +
        "the EKM private endpoint inside the VCN; a public gateway would put the proxy to DSM (tokens and key " +
        'operations) on the internet. Fix: set endpointType: "PRIVATE" and place the gateway in the private ' +
        "subnet (the gateway is replaced).",
    );
  });

  it("stays silent on a value unknown during preview instead of reporting that it cannot run", async () => {
    expect(await analyze("oci:ApiGateway/gateway:Gateway", { endpointType: UNKNOWN_STRING })).toEqual([]);
    const vault = await analyze("oci:Kms/vault:Vault", {
      vaultType: "EXTERNAL",
      externalKeyManagerMetadata: { externalVaultEndpointUrl: UNKNOWN_STRING, privateEndpointId: UNKNOWN_STRING },
    });
    expect(vault).toEqual([]);
  });

  it("checks DSM security objects by their dynamic type and honours allowKeyDestroy", async () => {
    const type = DSM_TYPE_TOKENS.securityObject;
    const key = { __provider: "exports.handler = __f0;", name: "k", keySize: 256, allowDestroy: true, keyOps: ["EXPORT"] };
    const before = await analyze(type, key);
    expect(before.map((d) => d.getPolicyname()).sort()).toEqual(["dsm-key-aes-256-no-export", "dsm-key-no-destroy"]);

    await configure({ "dsm-key-no-destroy": { allowKeyDestroy: true } });
    const after = await analyze(type, key);
    expect(after.map((d) => d.getPolicyname())).toEqual(["dsm-key-aes-256-no-export"]);
  });
});
