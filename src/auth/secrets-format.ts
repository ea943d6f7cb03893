import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Formats of the bearer credentials Engram issues. Both carry 256 random bits, so a fast hash
 * (SHA-256) is enough to store them: there is nothing to brute-force the way there is with
 * passwords, and a slow hash would cost every request.
 *
 * - API keys: `sk-engram-<lookup>_<secret>`; the 12-hex `lookup` finds the row, the SHA-256 of
 *   the whole key must match its `key_hash`.
 * - Client-side access tokens: `ck-engram-<secret>`, found by the SHA-256 of the whole token.
 */
export const API_KEY_PREFIX = 'sk-engram-';
export const ACCESS_TOKEN_PREFIX = 'ck-engram-';

const API_KEY = /^sk-engram-([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
const ACCESS_TOKEN = /^ck-engram-[A-Za-z0-9_-]{43}$/;

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Compares two hex digests in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Compares two secrets in constant time (through their digests, so lengths may differ). */
export function sameSecret(a: string, b: string): boolean {
  return sameDigest(sha256(a), sha256(b));
}

export function newApiKey(): { key: string; lookup: string; hash: string } {
  const lookup = randomBytes(6).toString('hex');
  const key = `${API_KEY_PREFIX}${lookup}_${randomBytes(32).toString('base64url')}`;
  return { key, lookup, hash: sha256(key) };
}

/** The lookup part of a well-formed API key, or null. */
export function apiKeyLookup(key: string): string | null {
  return API_KEY.exec(key)?.[1] ?? null;
}

/** What a key's owners see of it in lists: enough to recognise it, useless to call with. */
export function apiKeyDisplayPrefix(lookup: string): string {
  return `${API_KEY_PREFIX}${lookup}`;
}

export function newAccessToken(): { token: string; hash: string } {
  const token = `${ACCESS_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256(token) };
}

export function isAccessToken(token: string): boolean {
  return ACCESS_TOKEN.test(token);
}

/** A compact JWS (header.payload.signature, base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
