// Shared by the verify tests that run against the emulated Identity Domain.
import type { IdentityDomainAppCredentials, IdentityDomainEmulator } from "../components/emulators/identity-domain";

/**
 * The EKM topology's two apps in `idp`: the resource app (audience the gateway, secondary audience
 * DSM, scope oci_ekms) and the client app allowed `<gateway>oci_ekms`. The client app's credentials.
 */
export function registerEkmApps(idp: IdentityDomainEmulator, gatewayBaseUrl: string, dsmUrl: string): IdentityDomainAppCredentials {
  idp.registerApp({
    displayName: "oci-ekm-resource",
    isOauthResource: true,
    audience: gatewayBaseUrl,
    secondaryAudiences: [dsmUrl],
    scopes: [{ value: "oci_ekms" }],
    isOauthClient: true,
    allowedGrants: ["client_credentials"],
  });
  return idp.registerApp({ displayName: "oci-ekm-client", isOauthClient: true, allowedGrants: ["client_credentials"], allowedScopes: [{ fqs: gatewayBaseUrl + "oci_ekms" }] });
}
