// Cryptography with a security object's material: AES-GCM, used by the EKM endpoints and by the
// document's Encrypt (POST /crypto/v1/encrypt, EncryptRequest → EncryptResponse) and Decrypt
// (POST /crypto/v1/decrypt, DecryptRequest → DecryptResponse). The project never calls these two;
// they are here to show that an administrative app cannot do cryptography and a crypto app needs the
// group permission. alg AES with mode GCM only.
import { type CipherGCMTypes, createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { asObject, invalidType, missingField, optString, optUuid } from "./dsm-request";
import { DsmError, type DsmEmulatorReply, type DsmState, type Principal, type RouteContext, type SobjectRecord } from "./dsm-state";

/** AES-GCM under `key` with a fresh 12-byte IV unless one is given. */
export function aesGcmEncrypt(key: Buffer, plain: Buffer, aad?: Buffer, givenIv?: Buffer): { cipher: Buffer; iv: Buffer; tag: Buffer } {
  const iv = givenIv ?? randomBytes(12);
  const c = createCipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, iv);
  if (aad) c.setAAD(aad);
  const cipher = Buffer.concat([c.update(plain), c.final()]);
  return { cipher, iv, tag: c.getAuthTag() };
}

/** Throws when the tag does not verify. */
export function aesGcmDecrypt(key: Buffer, cipher: Buffer, iv: Buffer, tag: Buffer, aad?: Buffer): Buffer {
  const d = createDecipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, iv);
  d.setAuthTag(tag);
  if (aad) d.setAAD(aad);
  return Buffer.concat([d.update(cipher), d.final()]);
}

/** A `format: byte` field. */
function base64Field(o: Record<string, unknown>, field: string, required: boolean): Buffer | undefined {
  const v = optString(o, field);
  if (v === undefined) {
    if (required) throw missingField("", field);
    return undefined;
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw invalidType(field, v, "base64");
  return Buffer.from(v, "base64");
}

function cryptoTarget(state: DsmState, body: Record<string, unknown>, principal: Principal, op: "ENCRYPT" | "DECRYPT"): SobjectRecord {
  const app = state.appOf(principal);
  if (app?.role === "admin") throw new DsmError(403, "insufficient permissions: an administrative app cannot perform cryptographic operations");
  if (body.key === undefined) throw missingField("", "key");
  const key = asObject(body.key, "key");
  const kid = optUuid(key, "kid", "key");
  const name = optString(key, "name", "key");
  if ((kid === undefined) === (name === undefined)) throw new DsmError(400, "key: invalid value: expected exactly one of kid, name");
  const r = kid !== undefined ? state.sobjects.get(kid) : state.findSobjectByName(name as string);
  if (!r || !state.canSeeSobject(r, principal)) throw new DsmError(404, "sobject does not exist");
  if (app && !(app.groups[r.sobject.group_id] ?? []).includes(op)) {
    throw new DsmError(403, `insufficient permissions: the app lacks ${op} permission on group ${r.sobject.group_id}`);
  }
  if (!r.sobject.enabled) throw new DsmError(400, "sobject is disabled");
  if (r.sobject.state !== "Active") throw new DsmError(400, `sobject is not Active (state ${r.sobject.state})`);
  if (!r.sobject.key_ops.includes(op)) throw new DsmError(400, `sobject does not allow the ${op} operation (key_ops)`);
  if (body.alg === undefined) throw missingField("", "alg");
  const alg = optString(body, "alg");
  const mode = optString(body, "mode");
  if (alg !== "AES" || mode !== "GCM") throw new DsmError(400, `the emulator supports alg "AES" with mode "GCM" only, got alg ${JSON.stringify(alg)} mode ${JSON.stringify(mode ?? null)}`);
  return r;
}

export const cryptoRoutes = {
  Encrypt(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    const body = asObject(ctx.body);
    const r = cryptoTarget(state, body, ctx.principal, "ENCRYPT");
    const plain = base64Field(body, "plain", true) as Buffer;
    const { cipher, iv, tag } = aesGcmEncrypt(r.material, plain, base64Field(body, "ad", false));
    return { status: 200, json: { kid: r.sobject.kid, cipher: cipher.toString("base64"), iv: iv.toString("base64"), tag: tag.toString("base64") } };
  },
  Decrypt(state: DsmState, ctx: RouteContext): DsmEmulatorReply {
    const body = asObject(ctx.body);
    const r = cryptoTarget(state, body, ctx.principal, "DECRYPT");
    const cipher = base64Field(body, "cipher", true) as Buffer;
    const iv = base64Field(body, "iv", true) as Buffer;
    const tag = base64Field(body, "tag", true) as Buffer;
    const ad = base64Field(body, "ad", false);
    try {
      const plain = aesGcmDecrypt(r.material, cipher, iv, tag, ad);
      return { status: 200, json: { kid: r.sobject.kid, plain: plain.toString("base64") } };
    } catch {
      throw new DsmError(400, "decryption failed: authentication tag mismatch");
    }
  },
};
