// The stack configuration's rules for a replica that span keys: its own region in the source's
// realm, its network (the replica component's own rules, reported on the `replica*` keys), a
// subnet apart from the source's, and its own certificate when the source's is yours.
import { ociRealmOf } from "../components/regions";
import { ekmReplicaRegionProblems, replicaNetworkLayout, replicaSubnetOverlap } from "../components/replica";

/** The config values the replica's rules read. */
export interface ReplicaConfigInput {
  compartmentId?: string;
  subnetCidr?: string;
  existingSubnetId?: string;
  certificatePem?: string;
  existingGatewayId?: string;
  replicaRegion?: string;
  replicaVcnCidr?: string;
  replicaSubnetCidr?: string;
  replicaExistingVcnId?: string;
  replicaExistingSubnetId?: string;
  replicaCertificatePem?: string;
  replicaCertChainPem?: string;
  replicaPrivateKeyPem?: string;
}

const NETWORK_KEYS: Readonly<Record<string, string>> = {
  "network.vcnCidr": "replicaVcnCidr",
  "network.subnetCidr": "replicaSubnetCidr",
  "network.existingVcnId": "replicaExistingVcnId",
  "network.existingSubnetId": "replicaExistingSubnetId",
};

/** The replica network's rules, as EkmReplicaRegion runs them, with the config's key names. */
function replicaNetworkProblems(c: ReplicaConfigInput): [string, string][] {
  const network = { vcnCidr: c.replicaVcnCidr, subnetCidr: c.replicaSubnetCidr, existingVcnId: c.replicaExistingVcnId, existingSubnetId: c.replicaExistingSubnetId };
  const layout = replicaNetworkLayout(network);
  const out: [string, string][] = [];
  for (const p of ekmReplicaRegionProblems({ region: c.replicaRegion ?? "", compartmentId: c.compartmentId ?? "", network })) {
    const key = NETWORK_KEYS[p.path];
    if (key === undefined) continue;
    const expected = p.expected.replace(/\bvcnCidr\b/g, "replicaVcnCidr").replace(/\bsubnetCidr\b/g, "replicaSubnetCidr");
    const defaulted = key === "replicaSubnetCidr" && c.replicaSubnetCidr === undefined && layout.subnetCidr !== undefined ? ` (not set, it is ${layout.subnetCidr})` : "";
    out.push([key, expected + defaulted]);
  }
  // A subnetCidr refused on its own key is not compared (it is undefined here).
  const overlap = c.subnetCidr === undefined ? undefined : replicaSubnetOverlap({ subnetCidr: c.subnetCidr, existingSubnetId: c.existingSubnetId }, network);
  if (overlap !== undefined) {
    out.push(["replicaSubnetCidr", `a range apart from subnetCidr ${overlap.source}${c.replicaSubnetCidr === undefined ? ` (not set, it is ${overlap.replica})` : ""}: the two gateways would get the same private IP, the audience of two resource apps in one domain`]);
  }
  return out;
}

/** Every replica rule that spans keys, as [key, expected]; none without `replicaRegion`. */
export function replicaConfigProblems(c: ReplicaConfigInput, ociRegion: string | undefined): [string, string][] {
  if (c.replicaRegion === undefined) return [];
  const out: [string, string][] = [];
  if (ociRegion !== undefined && c.replicaRegion === ociRegion) {
    out.push(["replicaRegion", `another region than oci:region (${ociRegion}), where the vault itself is`]);
  } else if (ociRegion !== undefined && ociRealmOf(c.replicaRegion) !== ociRealmOf(ociRegion)) {
    out.push(["replicaRegion", `a region of oci:region's realm (${ociRegion} is in ${ociRealmOf(ociRegion)}, ${c.replicaRegion} in ${ociRealmOf(c.replicaRegion)}): a vault replicates only within its realm`]);
  }
  out.push(...replicaNetworkProblems(c));
  if ((c.certificatePem !== undefined || c.existingGatewayId !== undefined) && c.replicaCertificatePem === undefined) {
    out.push(["replicaCertificatePem", "the replica gateway's certificate (PEM) with replicaCertChainPem and replicaPrivateKeyPem: the source's certificate is yours, so there is no generated CA to issue one"]);
  }
  if (c.replicaCertificatePem !== undefined && c.replicaPrivateKeyPem === undefined) {
    out.push(["replicaPrivateKeyPem", "the private key of replicaCertificatePem: pulumi config set --secret replicaPrivateKeyPem < replica-key.pem"]);
  }
  if (c.replicaCertificatePem !== undefined && c.replicaCertChainPem === undefined) {
    out.push(["replicaCertChainPem", "the chain of replicaCertificatePem (the CA the replica's private endpoint trusts)"]);
  }
  return out;
}
