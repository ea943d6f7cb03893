import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Secrets at rest (agent tool secrets, MCP server credentials): AES-256-GCM with a random
 * 96-bit IV per value. Stored as `v1:<iv>:<tag>:<ciphertext>` (base64). `aad` binds a value to
 * its row (e.g. `agentId/key`), so a ciphertext copied onto another row does not decrypt.
 */
const VERSION = 'v1';

export function encryptSecret(plaintext: string, key: Buffer, aad = ''): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(
    ':',
  );
}

export function decryptSecret(encoded: string, key: Buffer, aad = ''): string {
  const [version, iv, tag, ct] = encoded.split(':');
  if (version !== VERSION || !iv || !tag || ct === undefined) throw new Error('Not an encrypted secret');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
}

/**
 * The 32-byte key: `ENGRAM_SECRETS_KEY` (64 hex chars or base64 of 32 bytes; any other text is
 * hashed with SHA-256), else a random key kept in `<dataDir>/secrets.key` (mode 0600), created
 * on first use, so a single-machine install works with no setup. Several replicas must share
 * ENGRAM_SECRETS_KEY. An in-memory data dir gets a key for this process only.
 */
export function loadSecretsKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return parseKey(configured);
  if (dataDir.startsWith('memory://')) return (processKey ??= randomBytes(32));
  const file = join(dataDir, 'secrets.key');
  try {
    return parseKey(readFileSync(file, 'utf8').trim());
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dataDir, { recursive: true });
  // Written whole under a temp name, then linked into place: a concurrent reader never sees a
  // half-written key, and if another process linked first we use theirs.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, randomBytes(32).toString('hex'), { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  return parseKey(readFileSync(file, 'utf8').trim());
}

let processKey: Buffer | undefined;

function parseKey(text: string): Buffer {
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  const b64 = Buffer.from(text, 'base64');
  if (b64.length === 32 && /^[A-Za-z0-9+/]{43}=?$/.test(text)) return b64;
  return createHash('sha256').update(text, 'utf8').digest();
}
