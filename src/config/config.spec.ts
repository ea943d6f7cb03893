import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('applies defaults: port 8283, embedded database that migrates itself, no Redis', () => {
    const c = loadConfig({});
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 8283 });
    expect(c.database).toMatchObject({ url: undefined, migrateOnStart: true, poolSize: 10 });
    expect(c.redisUrl).toBeUndefined();
  });

  it('with DATABASE_URL, migrations run by command unless asked for at start-up', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://x@h/db' }).database.migrateOnStart).toBe(false);
    expect(
      loadConfig({ DATABASE_URL: 'postgres://x@h/db', ENGRAM_MIGRATE_ON_START: 'true' }).database
        .migrateOnStart,
    ).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL: must be a postgres:\/\/ URL/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ ENGRAM_REDIS_PREFIX: 'has space' }, /ENGRAM_REDIS_PREFIX/],
    [{ ENGRAM_MIGRATE_ON_START: 'maybe' }, /ENGRAM_MIGRATE_ON_START/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).database.url).toBeUndefined();
  });

  describe('auth', () => {
    it('is off without ENGRAM_ADMIN_KEY, with no rate limit', () => {
      expect(loadConfig({}).auth).toMatchObject({
        mode: 'off',
        rateLimitPerMinute: 0,
        wsMaxConnectionsPerKey: 10,
      });
      expect(loadConfig({}).corsOrigins).toBe('*');
    });

    it('is required with ENGRAM_ADMIN_KEY, with a default rate limit', () => {
      expect(loadConfig({ ENGRAM_ADMIN_KEY: 'k'.repeat(16) }).auth).toMatchObject({
        mode: 'required',
        adminKey: 'k'.repeat(16),
        rateLimitPerMinute: 600,
      });
      expect(
        loadConfig({ ENGRAM_ADMIN_KEY: 'k'.repeat(16), ENGRAM_RATE_LIMIT_PER_MINUTE: '0' }).auth
          .rateLimitPerMinute,
      ).toBe(0);
    });

    it('ENGRAM_AUTH=required needs a credential source, and names them', () => {
      expect(() => loadConfig({ ENGRAM_AUTH: 'required' })).toThrow(
        /ENGRAM_ADMIN_KEY.*ENGRAM_JWT_SECRET, ENGRAM_JWT_PUBLIC_KEY, ENGRAM_JWT_JWKS_URL/,
      );
      expect(loadConfig({ ENGRAM_AUTH: 'required', ENGRAM_JWT_SECRET: 's'.repeat(32) }).auth).toMatchObject({
        mode: 'required',
        jwt: { algorithm: 'HS256' },
      });
    });

    it('reads a PEM given on one line with \\n escapes', () => {
      const pem = '-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----';
      const jwt = loadConfig({ ENGRAM_JWT_PUBLIC_KEY: pem }).auth.jwt;
      expect(jwt).toMatchObject({
        algorithm: 'RS256/ES256',
        publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
      });
    });

    it.each([
      [{ ENGRAM_AUTH: 'maybe' }, /ENGRAM_AUTH/],
      [{ ENGRAM_ADMIN_KEY: 'short' }, /ENGRAM_ADMIN_KEY: must be at least 16/],
      [{ ENGRAM_JWT_SECRET: 'short' }, /ENGRAM_JWT_SECRET/],
      [{ ENGRAM_JWT_PUBLIC_KEY: 'not a pem' }, /ENGRAM_JWT_PUBLIC_KEY: must be a PEM/],
      [{ ENGRAM_JWT_JWKS_URL: 'ftp://x' }, /ENGRAM_JWT_JWKS_URL/],
      [
        { ENGRAM_JWT_SECRET: 's'.repeat(32), ENGRAM_JWT_JWKS_URL: 'https://x/jwks' },
        /only one of ENGRAM_JWT_SECRET, ENGRAM_JWT_JWKS_URL/,
      ],
      [{ ENGRAM_JWT_ISSUER: 'https://idp' }, /ENGRAM_JWT_ISSUER/],
      [{ ENGRAM_RATE_LIMIT_PER_MINUTE: '-1' }, /ENGRAM_RATE_LIMIT_PER_MINUTE/],
      [{ ENGRAM_WS_MAX_CONNECTIONS_PER_KEY: '0' }, /ENGRAM_WS_MAX_CONNECTIONS_PER_KEY/],
      [{ ENGRAM_CORS_ORIGINS: 'https://a.test/path' }, /ENGRAM_CORS_ORIGINS/],
    ])('refuses %j naming the variable', (env, message) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    });

    it('reads CORS origins as a list', () => {
      expect(
        loadConfig({ ENGRAM_CORS_ORIGINS: 'https://a.test, http://localhost:3000' }).corsOrigins,
      ).toEqual(['https://a.test', 'http://localhost:3000']);
    });
  });
});
