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
    [{ ENGRAM_BODY_LIMIT_MB: '0' }, /ENGRAM_BODY_LIMIT_MB/],
    [{ ENGRAM_TOOL_TIMEOUT_MS: 'soon' }, /ENGRAM_TOOL_TIMEOUT_MS/],
    [{ ENGRAM_RUN_LEASE_MS: '10' }, /ENGRAM_RUN_LEASE_MS/],
    [{ ENGRAM_RUN_SWEEP_MS: '-1' }, /ENGRAM_RUN_SWEEP_MS/],
    [{ ENGRAM_CONNECT_TIMEOUT_MS: 'x' }, /ENGRAM_CONNECT_TIMEOUT_MS/],
    [{ OPENAI_BASE_URL: 'api.openai.com' }, /OPENAI_BASE_URL: must be an http/],
    [{ OLLAMA_BASE_URL: 'ftp://h' }, /OLLAMA_BASE_URL/],
    [{ VLLM_API_BASE: 'nope' }, /VLLM_API_BASE/],
    [{ LLM_TIMEOUT_MS: '0' }, /LLM_TIMEOUT_MS/],
    [{ LLM_MAX_RETRIES: 'many' }, /LLM_MAX_RETRIES/],
    [{ ENGRAM_EMBEDDING_BATCH_SIZE: '5000' }, /ENGRAM_EMBEDDING_BATCH_SIZE/],
    [{ ENGRAM_DEFAULT_EMBEDDING: 'openai/text-embedding-3-small' }, /ENGRAM_DEFAULT_EMBEDDING/],
    [{ ENGRAM_MCP_CALL_TIMEOUT_MS: '1' }, /ENGRAM_MCP_CALL_TIMEOUT_MS/],
    [{ ENGRAM_MCP_ALLOW_STDIO: 'perhaps' }, /ENGRAM_MCP_ALLOW_STDIO/],
    [{ ENGRAM_SECRETS_KEY: 'short' }, /ENGRAM_SECRETS_KEY/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).database.url).toBeUndefined();
  });

  it('names every bad variable in one message', () => {
    expect(() => loadConfig({ PORT: 'x', REDIS_URL: 'nope' })).toThrow(/PORT: .*; REDIS_URL: /);
  });

  it('reads the run lease and sweep interval', () => {
    expect(loadConfig({}).runs).toEqual({ leaseMs: 30_000, sweepMs: 5_000 });
    expect(loadConfig({ ENGRAM_RUN_LEASE_MS: '4000', ENGRAM_RUN_SWEEP_MS: '500' }).runs).toEqual({
      leaseMs: 4_000,
      sweepMs: 500,
    });
  });
});
