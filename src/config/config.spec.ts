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
    [{ ENGRAM_SHUTDOWN_GRACE_MS: '-1' }, /ENGRAM_SHUTDOWN_GRACE_MS/],
    [{ ENGRAM_METRICS_PORT: '99999' }, /ENGRAM_METRICS_PORT/],
    [{ ENGRAM_METRICS_TOKEN: 'short' }, /ENGRAM_METRICS_TOKEN: must be at least 16 characters/],
    [{ ENGRAM_METRICS_ENABLED: 'perhaps' }, /ENGRAM_METRICS_ENABLED/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads metrics, tracing and shutdown settings', () => {
    const defaults = loadConfig({});
    expect(defaults.shutdownGraceMs).toBe(25_000);
    expect(defaults.metrics).toEqual({ enabled: true, port: undefined, host: '127.0.0.1', token: undefined });
    expect(defaults.tracing).toEqual({ endpoint: undefined, serviceName: undefined });

    const c = loadConfig({
      HOST: '0.0.0.0',
      ENGRAM_METRICS_ENABLED: 'false',
      ENGRAM_METRICS_PORT: '9464',
      ENGRAM_METRICS_TOKEN: 'a-long-enough-token',
      ENGRAM_SHUTDOWN_GRACE_MS: '5000',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_SERVICE_NAME: 'engram-eu',
    });
    expect(c.metrics).toEqual({ enabled: false, port: 9464, host: '0.0.0.0', token: 'a-long-enough-token' });
    expect(c.shutdownGraceMs).toBe(5_000);
    // The general endpoint gets the signal path; the traces-only one is used as given; the SDK switch wins.
    expect(c.tracing).toEqual({ endpoint: 'http://collector:4318/v1/traces', serviceName: 'engram-eu' });
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/api/spans',
      }).tracing.endpoint,
    ).toBe('https://traces.example/api/spans');
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing
        .endpoint,
    ).toBeUndefined();
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

  it('names every bad variable in one message', () => {
    expect(() => loadConfig({ PORT: 'x', REDIS_URL: 'nope' })).toThrow(/PORT: .*; REDIS_URL: /);
  });

  it('reads the run lease, sweep interval, event retention, concurrency, callback retries, trace bound and context cache', () => {
    expect(loadConfig({}).runs).toEqual({
      leaseMs: 30_000,
      sweepMs: 5_000,
      eventsTtlMs: 3_600_000,
      concurrency: 8,
      callbackAttempts: 5,
      callbackBackoffMs: 1_000,
      providerTraceMaxBytes: 262_144,
      contextCacheMessages: 50_000,
    });
    expect(
      loadConfig({
        ENGRAM_RUN_LEASE_MS: '4000',
        ENGRAM_RUN_SWEEP_MS: '500',
        ENGRAM_RUN_EVENTS_TTL_MS: '60000',
        ENGRAM_RUN_CONCURRENCY: '2',
        ENGRAM_RUN_CALLBACK_ATTEMPTS: '3',
        ENGRAM_RUN_CALLBACK_BACKOFF_MS: '250',
        ENGRAM_PROVIDER_TRACE_MAX_BYTES: '0',
        ENGRAM_CONTEXT_CACHE_MESSAGES: '0',
      }).runs,
    ).toEqual({
      leaseMs: 4_000,
      sweepMs: 500,
      eventsTtlMs: 60_000,
      concurrency: 2,
      callbackAttempts: 3,
      callbackBackoffMs: 250,
      providerTraceMaxBytes: 0,
      contextCacheMessages: 0,
    });
    expect(() => loadConfig({ ENGRAM_RUN_CONCURRENCY: '0' })).toThrow(/ENGRAM_RUN_CONCURRENCY/);
    expect(() => loadConfig({ ENGRAM_RUN_CALLBACK_ATTEMPTS: '0' })).toThrow(/ENGRAM_RUN_CALLBACK_ATTEMPTS/);
    expect(() => loadConfig({ ENGRAM_CONTEXT_CACHE_MESSAGES: '-1' })).toThrow(
      /ENGRAM_CONTEXT_CACHE_MESSAGES/,
    );
  });
});
