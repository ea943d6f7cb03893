import { EmbeddingRegistry } from '@engram/embeddings';
import { z } from 'zod';

/**
 * Every environment variable Engram reads, validated once at boot. A wrong value stops the
 * process with a message naming the variable (see `loadConfig`).
 */
const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

/** Base URLs of LLM and embedding providers: http(s) only, checked at boot. */
const providerUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional();
const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

/** MCP client settings (read by src/mcp/mcp.config.ts, validated here with everything else). */
export const mcpEnvSchema = z.object({
  /** Connecting (transport start + MCP initialize). */
  ENGRAM_MCP_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  /** One tools/list or tools/call request. */
  ENGRAM_MCP_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /** A cached connection unused this long is closed (stdio children exit). */
  ENGRAM_MCP_IDLE_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(300_000),
  /** stdio servers run a command on this host: turn them off for untrusted tenants. */
  ENGRAM_MCP_ALLOW_STDIO: boolish.default(true),
});

/** Variables that libraries read from `rawEnv` (LLM providers, embeddings): only checked here. */
const providerEnvSchema = z.object({
  OPENAI_BASE_URL: providerUrl,
  OPENAI_API_BASE: providerUrl,
  ANTHROPIC_BASE_URL: providerUrl,
  OLLAMA_BASE_URL: providerUrl,
  GROQ_BASE_URL: providerUrl,
  TOGETHER_BASE_URL: providerUrl,
  VLLM_API_BASE: providerUrl,
  VLLM_BASE_URL: providerUrl,
  LMSTUDIO_BASE_URL: providerUrl,
  OPENAI_COMPATIBLE_BASE_URL: providerUrl,
  OPENAI_COMPATIBLE_PROVIDER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits or _.-')
    .optional(),
  VLLM_HANDLE_BASE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits or _.-')
    .optional(),
  LLM_TIMEOUT_MS: positiveInt(3_600_000).optional(),
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(20).optional(),
  ENGRAM_DEFAULT_EMBEDDING: z
    .string()
    .regex(/^[^/\s]+\/\S+$/, 'must be a handle like provider/model')
    .optional(),
  ENGRAM_EMBEDDING_BATCH_SIZE: positiveInt(2048).optional(),
});
const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL');

const envSchema = z.object({
  ...mcpEnvSchema.shape,
  ...providerEnvSchema.shape,
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8283),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  ENGRAM_DATA_DIR: z.string().min(1).default('./.engram'),
  ENGRAM_MIGRATE_ON_START: boolish.optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  ENGRAM_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 letters, digits or _.:-')
    .default('engram'),
  ENGRAM_BODY_LIMIT_MB: z.coerce.number().positive().max(1024).default(10),
  ENGRAM_FILE_UPLOAD_LIMIT_MB: z.coerce.number().positive().max(10_240).default(100),
  ENGRAM_TOOL_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  ENGRAM_TOOL_MEMORY_MB: z.coerce.number().int().min(16).max(8192).default(256),
  ENGRAM_PYTHON: z.string().min(1).default('python3'),
  ENGRAM_PYTHON_SANDBOX: z.enum(['confined', 'unconfined']).default('confined'),
  ENGRAM_SECRETS_KEY: z
    .string()
    .min(16, 'must be at least 16 characters (64 hex chars recommended)')
    .optional(),
  ENGRAM_PROCESS_JOBS: boolish.optional(),
  ENGRAM_RUN_EVENTS_TTL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(30 * 86_400_000)
    .default(3_600_000),
  ENGRAM_RUN_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(8),
  ENGRAM_RUN_LEASE_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  ENGRAM_INGEST_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  ENGRAM_RUN_SWEEP_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  ENGRAM_RUN_CALLBACK_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  ENGRAM_RUN_CALLBACK_BACKOFF_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  ENGRAM_PROVIDER_TRACE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(64 * 1024 * 1024)
    .default(256 * 1024),
  ENGRAM_CONTEXT_CACHE_MESSAGES: z.coerce.number().int().min(0).max(10_000_000).default(50_000),
  ENGRAM_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  ENGRAM_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(25_000),
  ENGRAM_METRICS_ENABLED: boolish.default(true),
  ENGRAM_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ENGRAM_METRICS_HOST: z.string().min(1).optional(),
  ENGRAM_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_SDK_DISABLED: boolish.optional(),
  ENGRAM_AUTH: z.enum(['auto', 'required']).default('auto'),
  ENGRAM_ADMIN_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  ENGRAM_JWT_SECRET: z.string().min(32, 'must be at least 32 characters (HS256)').optional(),
  ENGRAM_JWT_PUBLIC_KEY: z
    .string()
    .transform((v) => v.replace(/\\n/g, '\n'))
    .refine((v) => /-----BEGIN (RSA |EC )?PUBLIC KEY-----/.test(v), 'must be a PEM public key')
    .optional(),
  ENGRAM_JWT_JWKS_URL: z
    .string()
    .regex(/^https?:\/\//, 'must be an http(s):// URL')
    .optional(),
  ENGRAM_JWT_ISSUER: z.string().min(1).optional(),
  ENGRAM_JWT_AUDIENCE: z.string().min(1).optional(),
  ENGRAM_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000_000).optional(),
  ENGRAM_WS_MAX_CONNECTIONS_PER_KEY: z.coerce.number().int().min(1).max(100_000).default(10),
  ENGRAM_WS_HEARTBEAT_MS: z.coerce.number().int().min(50).max(600_000).default(30_000),
  ENGRAM_WS_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(1024 * 1024 * 1024)
    .default(1024 * 1024),
  ENGRAM_CORS_ORIGINS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .refine(
      (list) => list.every((o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o)),
      "must be '*' or a comma-separated list of origins like https://app.example.com (no path)",
    )
    .optional(),
});

export type Env = z.input<typeof envSchema>;

export interface AppConfig {
  env: 'development' | 'production' | 'test';
  http: { host: string; port: number; bodyLimitBytes: number; fileUploadLimitBytes: number };
  logLevel: string;
  database: {
    /** Absent: the embedded Postgres (PGlite) under `dataDir` is started. */
    url?: string;
    poolSize: number;
    migrateOnStart: boolean;
  };
  dataDir: string;
  redisUrl?: string;
  /** Every Redis key (locks, queues, event streams) starts with `${redisPrefix}:`. */
  redisPrefix: string;
  /** Limits of one sandboxed tool call, and how Python tools run (see libs/sandbox). */
  tools: { timeoutMs: number; memoryMb: number; python: string; pythonSandbox: 'confined' | 'unconfined' };
  jobs: {
    /**
     * ENGRAM_PROCESS_JOBS: whether this process takes queued jobs. Unset: the worker does, the
     * api does only without REDIS_URL (see src/queue/queues.ts `takesJobs`).
     */
    process?: boolean;
    /**
     * How long a file ingestion stays locked to a worker that stops renewing it (a process that
     * died) before a live worker takes it back (Bull's lock; renewed every third of this).
     */
    ingestLockMs: number;
  };
  runs: {
    /** A run's lease: renewed by its process every third of this; lapsed, the run is orphaned. */
    leaseMs: number;
    /** How often each process looks for orphaned runs (expired leases) and fails them. */
    sweepMs: number;
    /** How long a run's events stay replayable (`starting_after`) after its last event. */
    eventsTtlMs: number;
    /** Queued runs one process executes at once. */
    concurrency: number;
    /** `callback_url` POSTs: tries in all, and the first wait between them (doubling after each). */
    callbackAttempts: number;
    callbackBackoffMs: number;
    /**
     * Bound of a step's stored provider trace (LLM request + response JSON, in bytes); 0 stores
     * none. A larger trace is shortened (see runs/provider-trace.ts).
     */
    providerTraceMaxBytes: number;
    /** In-context messages kept in process between steps, across agents (0: none). */
    contextCacheMessages: number;
  };
  /** How long boot waits for Postgres and Redis before giving up, naming the variable. */
  connectTimeoutMs: number;
  /** Key material for secrets at rest (see common/secrets.ts); absent: a key file in dataDir. */
  secretsKey?: string;
  /** How long the api drains in-flight requests after SIGTERM before it cuts what is left. */
  shutdownGraceMs: number;
  metrics: {
    enabled: boolean;
    /** A separate listener for `/metrics`; unset: the api serves it on its own port, the worker on 9464. */
    port?: number;
    host: string;
    /** When set, `/metrics` wants `Authorization: Bearer <token>`. */
    token?: string;
  };
  /** OpenTelemetry traces; `endpoint` is the OTLP/HTTP traces URL, absent when tracing is off. */
  tracing: { endpoint?: string; serviceName?: string };
  auth: AuthConfig;
  /** Origins browsers may call from (`ENGRAM_CORS_ORIGINS`); '*' reflects any origin. */
  corsOrigins: string[] | '*';
  /** The `/ws` gateway (the connection cap per credential is `auth.wsMaxConnectionsPerKey`). */
  ws: {
    /** A ping this often; a peer that has not answered the previous one is dropped. */
    heartbeatMs: number;
    /** Bytes a socket may have waiting to be sent before its client is dropped as too slow. */
    maxBufferedBytes: number;
  };
  /** The raw, validated environment for libraries that take an env object (LLM providers...). */
  rawEnv: Record<string, string | undefined>;
}

export type JwtConfig =
  | { algorithm: 'HS256'; secret: string; issuer?: string; audience?: string }
  | { algorithm: 'RS256/ES256'; publicKey: string; issuer?: string; audience?: string }
  | { algorithm: 'RS256/ES256'; jwksUrl: string; issuer?: string; audience?: string };

export interface AuthConfig {
  /** `off`: no credentials, requests act as the default user (or the `user_id` header). */
  mode: 'off' | 'required';
  /** The bootstrap key: role admin over every organization. */
  adminKey?: string;
  jwt?: JwtConfig;
  /**
   * Requests per minute per credential (0: unlimited). Unset with auth required: 600. With auth
   * off there is no credential, so only an explicit value applies (per client address).
   */
  rateLimitPerMinute: number;
  /** Open WebSocket connections per credential, across replicas when Redis is configured. */
  wsMaxConnectionsPerKey: number;
}

/** Requests per minute per credential when auth is required and ENGRAM_RATE_LIMIT_PER_MINUTE is unset. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  // Empty strings mean "unset", as in most dotenv tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  try {
    // The default embedding handle must name a configured provider (its error names the variable).
    EmbeddingRegistry.fromEnv(cleaned);
  } catch (err) {
    throw new ConfigError(`Invalid environment: ${(err as Error).message}`);
  }
  const auth = authConfig(e);
  return {
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      bodyLimitBytes: Math.round(e.ENGRAM_BODY_LIMIT_MB * 1024 * 1024),
      fileUploadLimitBytes: Math.round(e.ENGRAM_FILE_UPLOAD_LIMIT_MB * 1024 * 1024),
    },
    logLevel: e.LOG_LEVEL,
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DB_POOL_SIZE,
      migrateOnStart: e.ENGRAM_MIGRATE_ON_START ?? !e.DATABASE_URL,
    },
    dataDir: e.ENGRAM_DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.ENGRAM_REDIS_PREFIX,
    tools: {
      timeoutMs: e.ENGRAM_TOOL_TIMEOUT_MS,
      memoryMb: e.ENGRAM_TOOL_MEMORY_MB,
      python: e.ENGRAM_PYTHON,
      pythonSandbox: e.ENGRAM_PYTHON_SANDBOX,
    },
    jobs: { process: e.ENGRAM_PROCESS_JOBS, ingestLockMs: e.ENGRAM_INGEST_LOCK_MS },
    runs: {
      leaseMs: e.ENGRAM_RUN_LEASE_MS,
      sweepMs: e.ENGRAM_RUN_SWEEP_MS,
      eventsTtlMs: e.ENGRAM_RUN_EVENTS_TTL_MS,
      concurrency: e.ENGRAM_RUN_CONCURRENCY,
      callbackAttempts: e.ENGRAM_RUN_CALLBACK_ATTEMPTS,
      callbackBackoffMs: e.ENGRAM_RUN_CALLBACK_BACKOFF_MS,
      providerTraceMaxBytes: e.ENGRAM_PROVIDER_TRACE_MAX_BYTES,
      contextCacheMessages: e.ENGRAM_CONTEXT_CACHE_MESSAGES,
    },
    connectTimeoutMs: e.ENGRAM_CONNECT_TIMEOUT_MS,
    secretsKey: e.ENGRAM_SECRETS_KEY,
    shutdownGraceMs: e.ENGRAM_SHUTDOWN_GRACE_MS,
    metrics: {
      enabled: e.ENGRAM_METRICS_ENABLED,
      port: e.ENGRAM_METRICS_PORT,
      host: e.ENGRAM_METRICS_HOST ?? e.HOST,
      token: e.ENGRAM_METRICS_TOKEN,
    },
    tracing: { endpoint: tracesEndpoint(e), serviceName: e.OTEL_SERVICE_NAME },
    auth,
    corsOrigins: !e.ENGRAM_CORS_ORIGINS || e.ENGRAM_CORS_ORIGINS.includes('*') ? '*' : e.ENGRAM_CORS_ORIGINS,
    ws: { heartbeatMs: e.ENGRAM_WS_HEARTBEAT_MS, maxBufferedBytes: e.ENGRAM_WS_MAX_BUFFERED_BYTES },
    rawEnv: env,
  };
}

/**
 * The OTLP/HTTP traces URL, as the OpenTelemetry spec reads the standard variables: the
 * signal-specific one is used as given, the general one gets `/v1/traces` appended.
 */
function tracesEndpoint(e: z.output<typeof envSchema>): string | undefined {
  if (e.OTEL_SDK_DISABLED) return undefined;
  if (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (e.OTEL_EXPORTER_OTLP_ENDPOINT) return `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

function authConfig(e: z.output<typeof envSchema>): AuthConfig {
  const jwtSources = (['ENGRAM_JWT_SECRET', 'ENGRAM_JWT_PUBLIC_KEY', 'ENGRAM_JWT_JWKS_URL'] as const).filter(
    (k) => e[k],
  );
  if (jwtSources.length > 1)
    throw new ConfigError(
      `Invalid environment: set only one of ${jwtSources.join(', ')} (the JWT key source)`,
    );
  const claims = { issuer: e.ENGRAM_JWT_ISSUER, audience: e.ENGRAM_JWT_AUDIENCE };
  if (!jwtSources.length && (claims.issuer || claims.audience))
    throw new ConfigError(
      'Invalid environment: ENGRAM_JWT_ISSUER/ENGRAM_JWT_AUDIENCE need a key source (ENGRAM_JWT_SECRET, ENGRAM_JWT_PUBLIC_KEY or ENGRAM_JWT_JWKS_URL)',
    );
  const jwt: JwtConfig | undefined = e.ENGRAM_JWT_SECRET
    ? { algorithm: 'HS256', secret: e.ENGRAM_JWT_SECRET, ...claims }
    : e.ENGRAM_JWT_PUBLIC_KEY
      ? { algorithm: 'RS256/ES256', publicKey: e.ENGRAM_JWT_PUBLIC_KEY, ...claims }
      : e.ENGRAM_JWT_JWKS_URL
        ? { algorithm: 'RS256/ES256', jwksUrl: e.ENGRAM_JWT_JWKS_URL, ...claims }
        : undefined;
  const required = e.ENGRAM_AUTH === 'required' || Boolean(e.ENGRAM_ADMIN_KEY);
  if (required && !e.ENGRAM_ADMIN_KEY && !jwt)
    throw new ConfigError(
      'Invalid environment: ENGRAM_AUTH=required needs a credential source: set ENGRAM_ADMIN_KEY, or one of ENGRAM_JWT_SECRET, ENGRAM_JWT_PUBLIC_KEY, ENGRAM_JWT_JWKS_URL',
    );
  return {
    mode: required ? 'required' : 'off',
    adminKey: e.ENGRAM_ADMIN_KEY,
    jwt,
    rateLimitPerMinute: e.ENGRAM_RATE_LIMIT_PER_MINUTE ?? (required ? DEFAULT_RATE_LIMIT_PER_MINUTE : 0),
    wsMaxConnectionsPerKey: e.ENGRAM_WS_MAX_CONNECTIONS_PER_KEY,
  };
}
