// The answers of one `pulumi up` of the stack program, given by the emulated services: TLS material
// generated, Identity Domain apps registered, DSM objects made through Pulumi's dynamic-provider host,
// OCI's Key Management resources created in the emulated OCI (mock-oci.ts). A later run starts from
// the earlier run's registrations, as `pulumi up` starts from the state file: an unchanged resource
// keeps its answer, a DSM object goes through Check and Diff (and Update) again.
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import type { IdentityDomainEmulator } from "../emulators/identity-domain";
import {
  certificateRequestPem,
  generateRsaKeyPem,
  selfSignedCertificatePem,
  signCertificateRequestPem,
  type RsaKeyMaker,
} from "../emulators/tls";
import { planRevealSecrets, type PlanMockResult } from "../plan/engine";
import { upResource, type UpResult } from "../testing/engine-steps";
import type { DynamicProviderHost } from "../testing/provider-host";
import type { SandboxContext } from "./context";
import { ociAnswer } from "./mock-oci";
import { DSM_TYPES, RegisteredResources, T, obj, str, type Props, type Registered, type SandboxOperation } from "./resources";

/** A rekey the run made: the security object's new kid, and the kids before it. */
export interface SandboxRekey {
  name: string;
  kid: string;
  rotatedKids: string[];
}

/** Where a rotation's steps look into the run while it goes on. */
export interface ProgramRunHooks {
  /** The security object was rekeyed (Update through the host). */
  onRekey?(rekey: SandboxRekey): void;
  /** Before OCI's CreateKeyVersion of a new `KeyVersion`: the run waits until this resolves. */
  beforeKeyVersion?(): Promise<void>;
}

interface Answered {
  result?: PlanMockResult;
  operation: SandboxOperation;
}

/** The mocks of one program run. */
export class SandboxMocks {
  readonly registered = new RegisteredResources();
  /** Why the run fails, reported once the program has run: a throwing mock would leave its dependents waiting. */
  readonly problems: string[] = [];
  /** What OCI refused to create, and why: `pulumi up` fails with these, after creating everything else. */
  readonly ociRefusals: string[] = [];
  /** Stack outputs that name what OCI refused to create: `pulumi up` would leave them unset. */
  readonly refusedOutputs = new Set<string>();
  private host?: Promise<DynamicProviderHost>;

  constructor(
    readonly ctx: SandboxContext,
    private readonly prior?: RegisteredResources,
    readonly hooks: ProgramRunHooks = {},
  ) {}

  /** The mock for `runStackInProcess`'s `onNewResource`. */
  readonly answer = async (args: MockResourceArgs, defaults: PlanMockResult): Promise<PlanMockResult | undefined> => {
    const inputs = planRevealSecrets(args.inputs) as Props;
    const prior = this.prior?.byName(args.type, args.name);
    let out: Answered;
    if (DSM_TYPES.includes(args.type)) out = await this.dsmAnswer(args, inputs);
    else if (prior) out = sameOrUpdated(prior, inputs);
    else out = { result: await this.created(args, inputs, defaults), operation: "create" };
    const answered = out.result ?? defaults;
    const state = planRevealSecrets(answered.state) as Props;
    this.registered.add({ type: args.type, name: args.name, id: answered.id ?? "", inputs, state, answer: answered, operation: out.operation, custom: args.custom !== false });
    return out.result;
  };

  /** The run is over: its host goes, as the engine ends its plugins. */
  async stopHost(): Promise<void> {
    await (await this.host?.catch(() => undefined))?.stop();
  }

  private async created(args: MockResourceArgs, inputs: Props, defaults: PlanMockResult): Promise<PlanMockResult | undefined> {
    switch (args.type) {
      case T.privateKey:
      case T.selfSignedCert:
      case T.certRequest:
      case T.locallySignedCert:
        return tlsAnswer(args.type, inputs, defaults, this.ctx.rsaKeys);
      case T.domainsSetting:
        this.inDomain(args.name, inputs);
        this.ctx.identity.setSigningCertPublicAccess(inputs.signingCertPublicAccess === true);
        return undefined;
      case T.domainsApp: {
        this.inDomain(args.name, inputs);
        const creds = this.ctx.identity.registerApp(inputs as Parameters<IdentityDomainEmulator["registerApp"]>[0] & Props);
        return { id: defaults.id, state: { ...defaults.state, name: creds.clientId, clientSecret: creds.clientSecret } };
      }
      default:
        return ociAnswer(this, args, inputs, defaults);
    }
  }

  /** Identity resources land in the domain their idcsEndpoint names; here there is only one. */
  private inDomain(name: string, inputs: Props): void {
    const url = this.ctx.identity.url;
    if (str(inputs.idcsEndpoint).replace(/\/+$/, "") !== url) {
      this.problems.push(`${name}: idcsEndpoint ${str(inputs.idcsEndpoint)} is not the Identity Domain ${url}`);
    }
  }

  /** A DSM object through the host: Create when new, else Check, Diff and (on a change) Update from its state. */
  private async dsmAnswer(args: MockResourceArgs, inputs: Props): Promise<Answered> {
    const { ctx } = this;
    const prior = ctx.dsmStates.get(args.name);
    // Once the sandbox is stopping, the remaining DSM objects get the plan's defaults.
    if (ctx.aborted) return { operation: prior ? "same" : "create" };
    let up: UpResult;
    try {
      const host = await (this.host ??= ctx.startHost());
      up = await upResource(host, prior?.urn ?? `urn:pulumi:sandbox::oci-ekm::${args.type}::${args.name}`, inputs, prior);
    } catch (err) {
      if (ctx.aborted) return { operation: prior ? "same" : "create" };
      throw err;
    }
    ctx.dsmStates.set(args.name, up.state);
    if (up.operation === "create") ctx.dsmObjectsCreated++;
    const { __provider: _serialized, ...outputs } = up.state.outputs;
    if (up.operation === "update" && args.type === T.dsmSecurityObject) {
      this.hooks.onRekey?.({ name: str(outputs.name), kid: str(outputs.kid), rotatedKids: (outputs.rotatedKids as string[] | undefined) ?? [] });
    }
    return { result: { id: up.state.id, state: outputs }, operation: up.operation };
  }
}

/** A resource the earlier run made: kept as it is when its inputs did not change. */
function sameOrUpdated(prior: Registered, inputs: Props): Answered {
  if (JSON.stringify(prior.inputs) === JSON.stringify(inputs)) return { result: prior.answer, operation: "same" };
  return { result: { id: prior.answer.id, state: { ...prior.answer.state, ...inputs } }, operation: "update" };
}

/** The TLS provider's resources, with real keys and certificates (the gateway serves them). */
function tlsAnswer(type: string, inputs: Props, defaults: PlanMockResult, rsaKeys: RsaKeyMaker): PlanMockResult | undefined {
  const subjectOf = (): { commonName: string; dnsNames?: string[]; ipAddresses?: string[] } => ({
    commonName: str(obj(inputs.subject).commonName) || str((inputs.dnsNames as string[] | undefined)?.[0]),
    dnsNames: inputs.dnsNames as string[] | undefined,
    ipAddresses: inputs.ipAddresses as string[] | undefined,
  });
  const hours = Number(inputs.validityPeriodHours ?? 24);
  switch (type) {
    case T.privateKey: {
      const bits = Number(inputs.rsaBits ?? 2048);
      const key = bits === 2048 ? rsaKeys() : generateRsaKeyPem(bits);
      return { id: defaults.id, state: { ...defaults.state, privateKeyPem: key.privateKeyPem, publicKeyPem: key.publicKeyPem } };
    }
    case T.selfSignedCert: {
      const certPem = selfSignedCertificatePem(str(inputs.privateKeyPem), { ...subjectOf(), validityHours: hours }, inputs.isCaCertificate === true);
      return { id: defaults.id, state: { ...defaults.state, certPem } };
    }
    case T.certRequest:
      return { id: defaults.id, state: { ...defaults.state, certRequestPem: certificateRequestPem(str(inputs.privateKeyPem), subjectOf()) } };
    case T.locallySignedCert: {
      const ca = { certPem: str(inputs.caCertPem), keyPem: str(inputs.caPrivateKeyPem) };
      return { id: defaults.id, state: { ...defaults.state, certPem: signCertificateRequestPem(str(inputs.certRequestPem), ca, hours) } };
    }
    default:
      return undefined;
  }
}
