// The app registry of the emulated Identity Domain (identity-domain.ts): apps registered with the
// fields the identity component gives oci.identity.DomainsApp, normalised as the domain holds them,
// and the scope lookup the token endpoint resolves requested scopes with.
import { randomBytes } from "node:crypto";

/** A scope a resource app defines (`DomainsApp.scopes[]`). */
export interface IdentityDomainAppScope {
  value: string;
  requiresConsent?: boolean;
  description?: string;
}

/**
 * The fields of `oci.identity.DomainsApp` the emulator interprets; any other field the component
 * passes (`idcsEndpoint`, `schemas`, `basedOnTemplate`, `trustScope` …) is accepted and ignored.
 */
export interface IdentityDomainAppInput {
  /** Display name. */
  displayName: string;
  /** The OAuth client ID (`DomainsApp.name`, an output of the real domain). Default: 32 random hex digits. */
  name?: string;
  /** The client secret (an output of the real domain). Default: a random secret. */
  clientSecret?: string;
  /** Whether the app is activated. Default: true (the component sets `active: true`). */
  active?: boolean;
  /** A resource app: defines an audience and scopes. Default: false. */
  isOauthResource?: boolean;
  /** Primary audience of a resource app, e.g. `https://10.0.1.10/`. */
  audience?: string;
  /** Secondary audiences of a resource app, e.g. [`https://amer.smartkey.io`]. Default: none. */
  secondaryAudiences?: string[];
  /** Scopes a resource app defines, e.g. [{ value: "oci_ekms" }]. Default: none. */
  scopes?: IdentityDomainAppScope[];
  /** An OAuth client (has credentials). Default: false. */
  isOauthClient?: boolean;
  /** `confidential` for both EKM apps. Default: `confidential`. */
  clientType?: string;
  /** Grants the client may use, e.g. [`client_credentials`]. Default: none. */
  allowedGrants?: string[];
  /** Fully qualified scopes the client may request: the resource app's audience followed by the scope value. Default: none. */
  allowedScopes?: { fqs: string }[];
  /** Other DomainsApp fields: accepted, ignored. */
  readonly [otherField: string]: unknown;
}

/** The credentials of a registered app, as the domain's OAuth configuration tab shows them. */
export interface IdentityDomainAppCredentials {
  clientId: string;
  clientSecret: string;
}

/** A registered app as the emulator holds it (without its secret). */
export interface IdentityDomainAppView {
  clientId: string;
  displayName: string;
  active: boolean;
  isOauthResource: boolean;
  audience?: string;
  secondaryAudiences: string[];
  scopes: string[];
  isOauthClient: boolean;
  clientType: string;
  allowedGrants: string[];
  allowedScopes: string[];
}

/** A registered app as the emulator holds it: its view and its secret. */
export interface IdentityDomainStoredApp extends IdentityDomainAppView {
  clientSecret: string;
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw new Error(`registerApp: ${field} must be a list of strings`);
  return value as string[];
}

/** The apps of one emulated domain, by client ID. */
export class IdentityDomainAppRegistry {
  private readonly apps = new Map<string, IdentityDomainStoredApp>();

  /**
   * Registers an app with the fields given to `oci.identity.DomainsApp` and returns its client ID
   * (`name`) and secret. Refuses a client ID already taken and a resource app without an audience.
   */
  registerApp(app: IdentityDomainAppInput): IdentityDomainAppCredentials {
    if (typeof app.displayName !== "string" || app.displayName === "") throw new Error("registerApp: displayName is required");
    const clientId = app.name ?? randomBytes(16).toString("hex");
    if (this.apps.has(clientId)) throw new Error(`registerApp: an app with client ID ${clientId} already exists`);
    const stored = this.normalise(clientId, app.clientSecret ?? randomBytes(24).toString("base64url"), app);
    this.apps.set(clientId, stored);
    return { clientId, clientSecret: stored.clientSecret };
  }

  /** Changes fields of a registered app, as an update of the DomainsApp would (e.g. `{ active: false }`). */
  updateApp(clientId: string, changes: Partial<IdentityDomainAppInput>): void {
    const current = this.apps.get(clientId);
    if (!current) throw new Error(`updateApp: no app with client ID ${clientId}`);
    const merged: IdentityDomainAppInput = {
      displayName: current.displayName,
      active: current.active,
      isOauthResource: current.isOauthResource,
      audience: current.audience,
      secondaryAudiences: current.secondaryAudiences,
      scopes: current.scopes.map((value) => ({ value })),
      isOauthClient: current.isOauthClient,
      clientType: current.clientType,
      allowedGrants: current.allowedGrants,
      allowedScopes: current.allowedScopes.map((fqs) => ({ fqs })),
      ...changes,
    };
    this.apps.set(clientId, this.normalise(clientId, changes.clientSecret ?? current.clientSecret, merged));
  }

  /** Deletes an app. */
  removeApp(clientId: string): void {
    if (!this.apps.delete(clientId)) throw new Error(`removeApp: no app with client ID ${clientId}`);
  }

  /** A registered app (without its secret), or undefined. */
  getApp(clientId: string): IdentityDomainAppView | undefined {
    const app = this.apps.get(clientId);
    if (!app) return undefined;
    const { clientSecret: _secret, ...view } = app;
    return view;
  }

  /** Every registered app (without secrets). */
  listApps(): IdentityDomainAppView[] {
    return [...this.apps.keys()].map((id) => this.getApp(id) as IdentityDomainAppView);
  }

  /** A registered app with its secret, or undefined. */
  stored(clientId: string): IdentityDomainStoredApp | undefined {
    return this.apps.get(clientId);
  }

  /** The active resource app whose audience and scope value make up `fqs`, with that scope value. */
  resolveScope(fqs: string): { app: IdentityDomainStoredApp; value: string } | undefined {
    for (const app of this.apps.values()) {
      if (!app.isOauthResource || !app.active || !app.audience) continue;
      if (!fqs.startsWith(app.audience)) continue;
      const value = fqs.slice(app.audience.length);
      if (app.scopes.includes(value)) return { app, value };
    }
    return undefined;
  }

  private normalise(clientId: string, clientSecret: string, app: IdentityDomainAppInput): IdentityDomainStoredApp {
    const isOauthResource = app.isOauthResource === true;
    if (isOauthResource && (typeof app.audience !== "string" || app.audience === "")) {
      throw new Error("registerApp: a resource app (isOauthResource) needs an audience");
    }
    const scopes = (app.scopes ?? []).map((s, i) => {
      if (typeof s?.value !== "string" || s.value === "") throw new Error(`registerApp: scopes[${i}].value is required`);
      return s.value;
    });
    const allowedScopes = (app.allowedScopes ?? []).map((s, i) => {
      if (typeof s?.fqs !== "string" || s.fqs === "") throw new Error(`registerApp: allowedScopes[${i}].fqs is required`);
      return s.fqs;
    });
    return {
      clientId,
      clientSecret,
      displayName: app.displayName,
      active: app.active ?? true,
      isOauthResource,
      ...(typeof app.audience === "string" ? { audience: app.audience } : {}),
      secondaryAudiences: stringList(app.secondaryAudiences, "secondaryAudiences"),
      scopes,
      isOauthClient: app.isOauthClient === true,
      clientType: app.clientType ?? "confidential",
      allowedGrants: stringList(app.allowedGrants, "allowedGrants"),
      allowedScopes,
    };
  }
}
