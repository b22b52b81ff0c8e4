// What an application needs to call OCI with an API key, as the OCI CLI and Oracle's SDKs read it: a
// config file with a [DEFAULT] profile naming the tenancy, the user, the key's fingerprint, the key
// file and the region. Here the key is a throw-away one that the emulated Key Management service
// registers, so the SDK's signatures verify against exactly that key.
import { createHash, createPublicKey } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateRsaKeyPem } from "./tls";

/** One profile of an OCI config file (the fields of Oracle's "SDK and CLI Configuration File"). */
export interface OciConfigProfile {
  /** Profile name. Default: DEFAULT, the one the SDK reads when it is given none. */
  profile?: string;
  /** `user`: the user's OCID. */
  user: string;
  /** `fingerprint`: the API key's fingerprint, `aa:bb:…` (see {@link ociApiKeyFingerprint}). */
  fingerprint: string;
  /** `tenancy`: the tenancy's OCID. */
  tenancy: string;
  /** `region`, e.g. eu-frankfurt-1. */
  region: string;
  /** `key_file`: path of the PEM private key. */
  keyFile: string;
  /** `pass_phrase`, only for an encrypted key file. */
  passPhrase?: string;
}

/** A generated API signing key. */
export interface OciApiKey {
  /** PKCS#8 PEM, what `key_file` points at. */
  privateKeyPem: string;
  /** SPKI PEM, what is uploaded to the user (and registered with the emulator). */
  publicKeyPem: string;
  /** OCI's fingerprint of the public key. */
  fingerprint: string;
}

/**
 * OCI's fingerprint of an API public key: the MD5 of its DER SubjectPublicKeyInfo as colon-separated
 * lower-case hex (Oracle: `openssl rsa -pubout -outform DER -in key.pem | openssl md5 -c`).
 */
export function ociApiKeyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  return createHash("md5").update(der).digest("hex").match(/../g)!.join(":");
}

/** A new RSA API key (OCI takes 2048-bit RSA keys in PEM) with its fingerprint. */
export function generateOciApiKey(bits = 2048): OciApiKey {
  return ociApiKeyOf(generateRsaKeyPem(bits));
}

/** An API key made of an RSA key pair already at hand (PKCS#8 and SPKI PEM), with its fingerprint. */
export function ociApiKeyOf(key: { privateKeyPem: string; publicKeyPem: string }): OciApiKey {
  return { privateKeyPem: key.privateKeyPem, publicKeyPem: key.publicKeyPem, fingerprint: ociApiKeyFingerprint(key.publicKeyPem) };
}

/** The `keyId` of OCI's request signatures for this profile: `<tenancy>/<user>/<fingerprint>`. */
export function ociSignatureKeyId(profile: Pick<OciConfigProfile, "tenancy" | "user" | "fingerprint">): string {
  return `${profile.tenancy}/${profile.user}/${profile.fingerprint}`;
}

/**
 * The text of an OCI config file with one profile. The SDK's reader splits lines on `\n` and each
 * line at its first `=`, trimming both sides, and has no quoting: a value with a line break or
 * surrounding blanks cannot be written, so it is refused rather than silently changed.
 */
export function ociConfigFileText(profile: OciConfigProfile): string {
  const name = profile.profile ?? "DEFAULT";
  const entries: [string, string | undefined][] = [
    ["user", profile.user],
    ["fingerprint", profile.fingerprint],
    ["tenancy", profile.tenancy],
    ["region", profile.region],
    ["key_file", profile.keyFile],
    ["pass_phrase", profile.passPhrase],
  ];
  for (const [key, value] of [["profile", name] as [string, string], ...entries]) {
    if (value === undefined) continue;
    if (value === "" || /[\r\n]/.test(value) || value.trim() !== value) {
      throw new Error(`OCI config ${key}: ${JSON.stringify(value)} cannot be written (empty, a line break, or leading/trailing blanks)`);
    }
  }
  if (/[[\]]/.test(name)) throw new Error(`OCI config profile name ${JSON.stringify(name)} cannot contain [ or ]`);
  const lines = entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  return `[${name}]\n${lines.join("\n")}\n`;
}

/** Where {@link writeOciApiKeyConfig} put things, and the key it wrote. */
export interface OciApiKeyConfigFiles {
  configFile: string;
  keyFile: string;
  /** The signature keyId the SDK will send: `<tenancy>/<user>/<fingerprint>`. */
  keyId: string;
  key: OciApiKey;
}

/**
 * Writes an API key (a new one unless `key` is given) and a config file naming it into `dir`
 * (`oci_api_key.pem` and `config`, both readable by the owner only, as the CLI's setup leaves them).
 */
export function writeOciApiKeyConfig(
  dir: string,
  identity: { tenancy: string; user: string; region: string; profile?: string },
  key: OciApiKey = generateOciApiKey(),
): OciApiKeyConfigFiles {
  mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, "oci_api_key.pem");
  const configFile = path.join(dir, "config");
  writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  const profile: OciConfigProfile = { ...identity, fingerprint: key.fingerprint, keyFile };
  writeFileSync(configFile, ociConfigFileText(profile), { mode: 0o600 });
  return { configFile, keyFile, keyId: ociSignatureKeyId(profile), key };
}
