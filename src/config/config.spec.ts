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
});
