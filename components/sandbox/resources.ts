// What the stack program registered, as the sandbox's mocks answered it: the resource types it
// knows, each registration with its inputs (secrets revealed) and its answer, and lookups into them.
import { DSM_TYPE_TOKENS } from "../dsm/schemas";
import type { PlanMockResult } from "../plan/engine";

export const T = {
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  certRequest: "tls:index/certRequest:CertRequest",
  locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
  domainsSetting: "oci:Identity/domainsSetting:DomainsSetting",
  domainsApp: "oci:Identity/domainsApp:DomainsApp",
  gateway: "oci:ApiGateway/gateway:Gateway",
  deployment: "oci:ApiGateway/deployment:Deployment",
  certificate: "oci:CertificatesManagement/certificate:Certificate",
  privateEndpoint: "oci:Kms/ekmsPrivateEndpoint:EkmsPrivateEndpoint",
  vault: "oci:Kms/vault:Vault",
  keyReference: "oci:Kms/key:Key",
  keyVersion: "oci:Kms/keyVersion:KeyVersion",
  vaultReplication: "oci:Kms/vaultVerification:VaultVerification",
  dsmGroup: DSM_TYPE_TOKENS.group,
  dsmJwtApp: DSM_TYPE_TOKENS.jwtApp,
  dsmSecurityObject: DSM_TYPE_TOKENS.securityObject,
} as const;

export const DSM_TYPES: readonly string[] = [T.dsmGroup, T.dsmJwtApp, T.dsmSecurityObject];

export type Props = Record<string, unknown>;

export const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v));
export const obj = (v: unknown): Props => (typeof v === "object" && v !== null ? (v as Props) : {});

/** What `pulumi up` did to a resource, as the engine would report it. */
export type SandboxOperation = "create" | "update" | "same";

/** A resource as the sandbox's mocks saw it in one run of the program. */
export interface Registered {
  type: string;
  name: string;
  id: string;
  /** Inputs with secrets revealed. */
  inputs: Props;
  /** The state it was answered with, secrets revealed. */
  state: Props;
  /** The answer exactly as given to the engine: what the next run starts from (the state file). */
  answer: PlanMockResult;
  operation: SandboxOperation;
  /** False for a component (no provider, nothing created). */
  custom: boolean;
}

/** The registrations of one program run. */
export class RegisteredResources {
  readonly list: Registered[] = [];

  add(r: Registered): void {
    this.list.push(r);
  }

  byType(type: string): Registered[] {
    return this.list.filter((r) => r.type === type);
  }

  byId(type: string, id: unknown): Registered | undefined {
    return this.list.find((r) => r.type === type && r.id === id);
  }

  byName(type: string, name: string): Registered | undefined {
    return this.list.find((r) => r.type === type && r.name === name);
  }

  /** How many resources (not components) each operation touched, e.g. `{ create: 1, update: 1, same: 20 }`. */
  operations(): Record<SandboxOperation, number> {
    const counts: Record<SandboxOperation, number> = { create: 0, update: 0, same: 0 };
    for (const r of this.list) if (r.custom) counts[r.operation]++;
    return counts;
  }
}
