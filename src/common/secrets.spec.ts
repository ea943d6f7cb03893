import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptSecret, encryptSecret, loadSecretsKey } from './secrets';

describe('secrets at rest', () => {
  const key = loadSecretsKey('a'.repeat(64), 'memory://');

  it('round-trips, with a fresh IV each time', () => {
    const a = encryptSecret('hunter2', key, 'agent-1/API');
    const b = encryptSecret('hunter2', key, 'agent-1/API');
    expect(a).not.toBe(b);
    expect(a).not.toContain('hunter2');
    expect(decryptSecret(a, key, 'agent-1/API')).toBe('hunter2');
  });

  it('refuses another row, another key or a tampered value', () => {
    const enc = encryptSecret('v', key, 'agent-1/API');
    expect(() => decryptSecret(enc, key, 'agent-2/API')).toThrow();
    expect(() =>
      decryptSecret(enc, loadSecretsKey('another passphrase!!', 'memory://'), 'agent-1/API'),
    ).toThrow();
    const [v, iv, tag, ct] = enc.split(':');
    const flipped = Buffer.from(ct, 'base64');
    flipped[0] ^= 1;
    expect(() =>
      decryptSecret([v, iv, tag, flipped.toString('base64')].join(':'), key, 'agent-1/API'),
    ).toThrow();
  });

  it('without a configured key, creates one key file (0600) and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-secrets-'));
    try {
      const k1 = loadSecretsKey(undefined, dir);
      const k2 = loadSecretsKey(undefined, dir);
      expect(k1.equals(k2)).toBe(true);
      expect(k1).toHaveLength(32);
      expect(readFileSync(join(dir, 'secrets.key'), 'utf8')).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(join(dir, 'secrets.key')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
