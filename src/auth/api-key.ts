import { createHash, randomBytes, randomInt } from 'node:crypto';

/** Every Doc Inbox key starts so: easy to spot in a leaked log, easy to tell from other tokens. */
export const API_KEY_PREFIX = 'dik_';
const PREFIX_LENGTH = 8;
const PREFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** dik_ + 8 letters or digits + _ + 43 base64url characters (32 random bytes). */
const KEY_SHAPE = /^dik_([A-Za-z0-9]{8})_[A-Za-z0-9_-]{43}$/;

export interface NewApiKey {
  /** The key itself: shown once, never stored. */
  key: string;
  /** The 8 characters after 'dik_': stored, listed, and enough to name the key for a revoke. */
  prefix: string;
  /** sha256 of the key, hex: all that is stored to recognise it. */
  hash: string;
}

/** A new random key: `dik_<8-character prefix>_<43 base64url characters>`. */
export function generateApiKey(): NewApiKey {
  let prefix = '';
  for (let i = 0; i < PREFIX_LENGTH; i++) prefix += PREFIX_ALPHABET[randomInt(PREFIX_ALPHABET.length)];
  const key = `${API_KEY_PREFIX}${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Whether a presented credential has the shape of a Doc Inbox key (checked before any lookup). */
export function isApiKeyShaped(key: string): boolean {
  return KEY_SHAPE.test(key);
}

/**
 * What `keys revoke` and `DELETE /keys/{id}` accept besides an id: the prefix, `dik_<prefix>`,
 * or the whole key; answers the prefix, or the text unchanged when it is none of those.
 */
export function keyReference(reference: string): string {
  const whole = KEY_SHAPE.exec(reference);
  if (whole) return whole[1];
  const shown = /^dik_([A-Za-z0-9]{8})_?$/.exec(reference);
  return shown ? shown[1] : reference;
}
