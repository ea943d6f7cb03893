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
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional();
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
  OPENAI_BASE_URL: httpUrl,
  OPENAI_API_BASE: httpUrl,
  ANTHROPIC_BASE_URL: httpUrl,
  OLLAMA_BASE_URL: httpUrl,
  GROQ_BASE_URL: httpUrl,
  TOGETHER_BASE_URL: httpUrl,
  VLLM_API_BASE: httpUrl,
  VLLM_BASE_URL: httpUrl,
  LMSTUDIO_BASE_URL: httpUrl,
  OPENAI_COMPATIBLE_BASE_URL: httpUrl,
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
  ENGRAM_TOOL_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  ENGRAM_TOOL_MEMORY_MB: z.coerce.number().int().min(16).max(8192).default(256),
  ENGRAM_PYTHON: z.string().min(1).default('python3'),
  ENGRAM_PYTHON_SANDBOX: z.enum(['confined', 'unconfined']).default('confined'),
  ENGRAM_SECRETS_KEY: z
    .string()
    .min(16, 'must be at least 16 characters (64 hex chars recommended)')
    .optional(),
  ENGRAM_RUN_LEASE_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  ENGRAM_RUN_SWEEP_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  ENGRAM_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
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
  /** Limits of one sandboxed tool call, and how Python tools run (see libs/sandbox). */
  tools: { timeoutMs: number; memoryMb: number; python: string; pythonSandbox: 'confined' | 'unconfined' };
  runs: {
    /** A run's lease: renewed by its process every third of this; lapsed, the run is orphaned. */
    leaseMs: number;
    /** How often each process looks for orphaned runs (expired leases) and fails them. */
    sweepMs: number;
  };
  /** How long boot waits for Postgres and Redis before giving up, naming the variable. */
  connectTimeoutMs: number;
  /** Key material for secrets at rest (see common/secrets.ts); absent: a key file in dataDir. */
  secretsKey?: string;
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
  try {
    // The default embedding handle must name a configured provider (its error names the variable).
    EmbeddingRegistry.fromEnv(cleaned);
  } catch (err) {
    throw new ConfigError(`Invalid environment: ${(err as Error).message}`);
  }
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
    tools: {
      timeoutMs: e.ENGRAM_TOOL_TIMEOUT_MS,
      memoryMb: e.ENGRAM_TOOL_MEMORY_MB,
      python: e.ENGRAM_PYTHON,
      pythonSandbox: e.ENGRAM_PYTHON_SANDBOX,
    },
    runs: { leaseMs: e.ENGRAM_RUN_LEASE_MS, sweepMs: e.ENGRAM_RUN_SWEEP_MS },
    connectTimeoutMs: e.ENGRAM_CONNECT_TIMEOUT_MS,
    secretsKey: e.ENGRAM_SECRETS_KEY,
    rawEnv: env,
  };
}
