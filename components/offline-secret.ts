// The one value the offline plan and the stack's config loader agree on, kept free of imports so
// that the stack program can read it without loading the plan engine.

/**
 * What the offline plan passes for an encrypted (`secure:`) stack config value it cannot decrypt.
 * `pulumi preview` decrypts such values; offline they are present secrets of unknown content, so
 * the config loader accepts this value for a secret key and skips the checks that need the content.
 */
export const OFFLINE_UNDECRYPTED_SECRET = "[secret: encrypted, not readable offline]";
