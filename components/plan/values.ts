// Serialized property values (protobuf Struct as JS, as the mock monitor receives them) as plain
// JSON for the plan, with secrets replaced by `[secret]` and unknowns by `[unknown]`.
import { SDK_OUTPUT_SIG, SDK_RESOURCE_SIG, SDK_SECRET_SIG, SDK_SIG_KEY, SDK_UNKNOWN_VALUE } from "./sdk-shims";

/** Stands for a secret value in every plan output. */
export const PLAN_SECRET = "[secret]";
/** Stands for a value unknown at plan time. */
export const PLAN_UNKNOWN = "[unknown]";

/** Unwraps Pulumi's secret markers (as mocks receive them) into plain values. */
export function planRevealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(planRevealSecrets);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SDK_SIG_KEY] === SDK_SECRET_SIG) return planRevealSecrets(obj.value);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, planRevealSecrets(v)]));
  }
  return value;
}

/** `value` marked secret, as Pulumi's mocks mark secrets. */
export function planSecretWrap(value: unknown): unknown {
  return { [SDK_SIG_KEY]: SDK_SECRET_SIG, value };
}

/** Turns a serialized property value (protobuf Struct as JS) into plain JSON. */
export function planJsonValue(value: unknown, revealSecrets = false): unknown {
  if (value === SDK_UNKNOWN_VALUE) return PLAN_UNKNOWN;
  if (Array.isArray(value)) return value.map((v) => planJsonValue(v, revealSecrets));
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    switch (obj[SDK_SIG_KEY]) {
      case SDK_SECRET_SIG:
        return revealSecrets ? planJsonValue(obj.value, true) : PLAN_SECRET;
      case SDK_RESOURCE_SIG:
        return obj.urn;
      case SDK_OUTPUT_SIG:
        if (obj.secret === true && !revealSecrets) return PLAN_SECRET;
        return "value" in obj ? planJsonValue(obj.value, revealSecrets) : PLAN_UNKNOWN;
      case undefined:
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, planJsonValue(v, revealSecrets)]));
      default:
        return "[asset]";
    }
  }
  return value;
}

/** True when `value` holds a secret anywhere (a secret marker, or a secret output value). */
export function planHasSecret(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(planHasSecret);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SDK_SIG_KEY] === SDK_SECRET_SIG || (obj[SDK_SIG_KEY] === SDK_OUTPUT_SIG && obj.secret === true)) return true;
    return Object.values(obj).some(planHasSecret);
  }
  return false;
}
