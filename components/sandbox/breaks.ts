// The misconfiguration of each `--break`: most are a stack transformation, so that they reach the
// resources exactly as a wrong value in a component would; two are acts outside the program (the
// DSM console, DSM's rotation policy) that the sandbox performs after `pulumi up`.
import * as pulumi from "@pulumi/pulumi";
import type { SandboxContext } from "./context";
import { T, str, type Props } from "./resources";
import type { SandboxBreak } from "./types";

export function breakTransformation(kind: SandboxBreak): pulumi.ResourceTransformation | undefined {
  const edit = (type: string, change: (props: Props) => Props | undefined): pulumi.ResourceTransformation => (args) => {
    if (args.type !== type) return undefined;
    const props = change(args.props as Props);
    return props ? { props, opts: args.opts } : undefined;
  };
  switch (kind) {
    case "audience":
      // The DSM URL missing from the resource app's audiences.
      return edit(T.domainsApp, (p) => (p.isOauthResource ? { ...p, secondaryAudiences: ["https://eu.smartkey.io"] } : undefined));
    case "scope":
      // A scope value one letter off, consistently on both apps: a token is issued, without oci_ekms.
      return edit(T.domainsApp, (p) => {
        if (p.isOauthResource) return { ...p, scopes: [{ value: "oci_ekm", requiresConsent: false }] };
        if (p.allowedScopes === undefined) return undefined;
        const scopes = pulumi
          .output(p.allowedScopes as pulumi.Input<{ fqs: string }[]>)
          .apply((list) => list.map((s) => ({ ...s, fqs: s.fqs.replace(/oci_ekms$/, "oci_ekm") })));
        return { ...p, allowedScopes: scopes };
      });
    case "issuer":
      return edit(T.dsmJwtApp, (p) => ({ ...p, validIssuers: ["https://idcs-wrong.identity.oraclecloud.com/"] }));
    case "signing-cert":
      return edit(T.domainsSetting, (p) => ({ ...p, signingCertPublicAccess: false }));
    case "replica-audience": {
      // The replica's resource app copied from the source's with its audience left as it was: OCI in
      // the replica region then asks for a scope no resource app has.
      let sourceAudience: unknown;
      return edit(T.domainsApp, (p) => {
        if (!p.isOauthResource) return undefined;
        if (sourceAudience === undefined) {
          sourceAudience = p.audience;
          return undefined;
        }
        return { ...p, audience: sourceAudience };
      });
    }
    case "key-name":
    // Applied after `up`: someone renames the key in the DSM console (the Fortanix EKM guide, 10.2 warning).
    case "rotation-not-followed":
      // Applied after `up`: DSM rotates the key by itself (its rotation policy) and no `pulumi up` follows.
      return undefined;
  }
}

/** `--break key-name`: after `up`, someone renames the key in the DSM console; the key reference still says the old name. */
export async function renameKeyInDsmStep(ctx: SandboxContext): Promise<void> {
  await ctx.runner.run("rename the DSM key in the DSM console (injected break)", async () => {
    const name = str(ctx.registered.byType(T.dsmSecurityObject)[0]?.state.name);
    ctx.requireDsm().modifySobject(name, { name: `${name}-renamed` });
    return { value: undefined, detail: `"${name}" is now "${name}-renamed" in DSM; the key reference still says "${name}"` };
  });
}
