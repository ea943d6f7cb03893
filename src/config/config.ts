import { z } from 'zod';

/**
 * Every environment variable Engram reads, validated once at boot. A wrong value stops the
 * process with a message naming the variable (see `loadConfig`).
 */
const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL');

const envSchema = z.object({
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
  ENGRAM_BODY_LIMIT_MB: z.coerce.number().positive().max(1024).default(50),
  ENGRAM_TOOL_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  ENGRAM_TOOL_MEMORY_MB: z.coerce.number().int().min(16).max(8192).default(256),
  ENGRAM_SECRETS_KEY: z
    .string()
    .min(16, 'must be at least 16 characters (64 hex chars recommended)')
    .optional(),
  ENGRAM_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(25_000),
  ENGRAM_METRICS_ENABLED: boolish.default(true),
  ENGRAM_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ENGRAM_METRICS_HOST: z.string().min(1).optional(),
  ENGRAM_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_SDK_DISABLED: boolish.optional(),
});

export type Env = z.input<typeof envSchema>;

export interface AppConfig {
  env: 'development' | 'production' | 'test';
  http: { host: string; port: number; bodyLimitBytes: number };
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
  /** Limits of one sandboxed tool call. */
  tools: { timeoutMs: number; memoryMb: number };
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
  /** The raw, validated environment for libraries that take an env object (LLM providers...). */
  rawEnv: Record<string, string | undefined>;
}

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
  return {
    env: e.NODE_ENV,
    http: { host: e.HOST, port: e.PORT, bodyLimitBytes: Math.round(e.ENGRAM_BODY_LIMIT_MB * 1024 * 1024) },
    logLevel: e.LOG_LEVEL,
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DB_POOL_SIZE,
      migrateOnStart: e.ENGRAM_MIGRATE_ON_START ?? !e.DATABASE_URL,
    },
    dataDir: e.ENGRAM_DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.ENGRAM_REDIS_PREFIX,
    tools: { timeoutMs: e.ENGRAM_TOOL_TIMEOUT_MS, memoryMb: e.ENGRAM_TOOL_MEMORY_MB },
    secretsKey: e.ENGRAM_SECRETS_KEY,
    shutdownGraceMs: e.ENGRAM_SHUTDOWN_GRACE_MS,
    metrics: {
      enabled: e.ENGRAM_METRICS_ENABLED,
      port: e.ENGRAM_METRICS_PORT,
      host: e.ENGRAM_METRICS_HOST ?? e.HOST,
      token: e.ENGRAM_METRICS_TOKEN,
    },
    tracing: { endpoint: tracesEndpoint(e), serviceName: e.OTEL_SERVICE_NAME },
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
