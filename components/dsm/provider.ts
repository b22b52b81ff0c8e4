// Pulumi dynamic providers of the DSM resources: group, JWT app, AES-256 security object.
//
// These classes are what Pulumi serializes into `__provider`. Each method calls one function of
// group-provider.ts, app-provider.ts or key-provider.ts: where this library is an installed package
// the serializer then captures those modules with `require(...)`, and the stored provider stays a
// few kilobytes; otherwise it copies what the methods reach, the provider's own kind only.
import * as pulumi from "@pulumi/pulumi";
import { dsmJwtAppCheck, dsmJwtAppCreate, dsmJwtAppDelete, dsmJwtAppDiff, dsmJwtAppRead, dsmJwtAppUpdate, type DsmJwtAppOutputs } from "./app-provider";
import { dsmGroupCheck, dsmGroupCreate, dsmGroupDelete, dsmGroupDiff, dsmGroupRead, dsmGroupUpdate, type DsmGroupOutputs } from "./group-provider";
import {
  dsmSecurityObjectCheck,
  dsmSecurityObjectCreate,
  dsmSecurityObjectDelete,
  dsmSecurityObjectDiff,
  dsmSecurityObjectRead,
  dsmSecurityObjectUpdate,
  type DsmSecurityObjectOutputs,
} from "./key-provider";
import { dsmConfigure, type DsmProviderOptions, type Props } from "./provider-common";

export type { DsmGroupOutputs } from "./group-provider";
export type { DsmJwtAppOutputs } from "./app-provider";
export { type DsmSecurityObjectOutputs, dsmSecurityObjectCreateBody, dsmSecurityObjectRefusal } from "./key-provider";
export type { DsmProviderOptions } from "./provider-common";

/**
 * Provider of {@link DsmGroup} (type `DSM_TYPE_TOKENS.group`). A group that still holds security
 * objects (kept on delete, or rotated-away versions) is left in DSM on delete, with a warning.
 */
export class DsmGroupProvider implements pulumi.dynamic.ResourceProvider {
  constructor(readonly options: DsmProviderOptions = {}) {}

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    dsmConfigure(this, req);
  }

  check(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    return dsmGroupCheck(olds, news);
  }

  diff(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    return dsmGroupDiff(this, id, olds, news);
  }

  create(raw: Props): Promise<pulumi.dynamic.CreateResult<DsmGroupOutputs>> {
    return dsmGroupCreate(this, raw);
  }

  read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult<DsmGroupOutputs>> {
    return dsmGroupRead(this, id, props);
  }

  update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult<DsmGroupOutputs>> {
    return dsmGroupUpdate(this, id, olds, news);
  }

  delete(id: string, props: Props): Promise<void> {
    return dsmGroupDelete(this, id, props);
  }
}

/** Provider of {@link DsmJwtApp} (type `DSM_TYPE_TOKENS.jwtApp`): a signed-JWT app with fetched signing keys. */
export class DsmJwtAppProvider implements pulumi.dynamic.ResourceProvider {
  constructor(readonly options: DsmProviderOptions = {}) {}

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    dsmConfigure(this, req);
  }

  check(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    return dsmJwtAppCheck(olds, news);
  }

  diff(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    return dsmJwtAppDiff(this, id, olds, news);
  }

  create(raw: Props): Promise<pulumi.dynamic.CreateResult<DsmJwtAppOutputs>> {
    return dsmJwtAppCreate(this, raw);
  }

  read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult<DsmJwtAppOutputs>> {
    return dsmJwtAppRead(this, id, props);
  }

  update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult<DsmJwtAppOutputs>> {
    return dsmJwtAppUpdate(this, id, olds, news);
  }

  delete(id: string, props: Props): Promise<void> {
    return dsmJwtAppDelete(this, id, props);
  }
}

/**
 * Provider of {@link DsmSecurityObject} (type `DSM_TYPE_TOKENS.securityObject`): an AES-256 key.
 * Refuses renames and replacements; a changed `rotate` rekeys; delete disables the key and keeps its
 * material unless `allowDestroy` is true.
 */
export class DsmSecurityObjectProvider implements pulumi.dynamic.ResourceProvider {
  constructor(readonly options: DsmProviderOptions = {}) {}

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    dsmConfigure(this, req);
  }

  check(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    return dsmSecurityObjectCheck(olds, news);
  }

  diff(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    return dsmSecurityObjectDiff(this, id, olds, news);
  }

  create(raw: Props): Promise<pulumi.dynamic.CreateResult<DsmSecurityObjectOutputs>> {
    return dsmSecurityObjectCreate(this, raw);
  }

  read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult<DsmSecurityObjectOutputs>> {
    return dsmSecurityObjectRead(this, id, props);
  }

  update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult<DsmSecurityObjectOutputs>> {
    return dsmSecurityObjectUpdate(this, id, olds, news);
  }

  delete(_id: string, props: Props): Promise<void> {
    return dsmSecurityObjectDelete(this, _id, props);
  }
}
