import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Stored values that start with this are `enc:v1:` + base64(12-byte IV | 16-byte tag | ciphertext). */
const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretDecryptionError extends Error {}

/**
 * AES-256-GCM for secrets kept at rest (SECRETS_KEY). Writes use the newest key; reads try every
 * listed key, so keys rotate by putting the new one first. Without keys, values stay as they are.
 */
export class SecretBox {
  constructor(private readonly keys: readonly Buffer[]) {}

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  seal(plain: string): string {
    if (!this.enabled) return plain;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0], iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** A value written before SECRETS_KEY was set is plaintext and is returned as is. */
  open(stored: string): string {
    return this.openWith(stored).plain;
  }

  /** Whether the value should be written again: plaintext, or sealed by a key other than the newest. */
  isStale(stored: string): boolean {
    return this.enabled && this.openWith(stored).keyIndex !== 0;
  }

  private openWith(stored: string): { plain: string; keyIndex: number } {
    if (!stored.startsWith(PREFIX)) return { plain: stored, keyIndex: -1 };
    if (!this.enabled)
      throw new SecretDecryptionError('the secret is encrypted but SECRETS_KEY is not set');
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
    const iv = raw.subarray(0, IV_BYTES);
    const tag = raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const body = raw.subarray(IV_BYTES + TAG_BYTES);
    for (const [keyIndex, key] of this.keys.entries()) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAuthTag(tag);
        const plain = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
        return { plain, keyIndex };
      } catch {
        // Not this key (the tag does not verify): try the next one.
      }
    }
    throw new SecretDecryptionError(
      'the secret was encrypted with a key that is not in SECRETS_KEY',
    );
  }
}
