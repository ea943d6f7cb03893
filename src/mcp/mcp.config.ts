import { z } from 'zod';
import type { AppConfig } from '../config/config';
import { ConfigError } from '../config/config';

const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const schema = z.object({
  /** Connecting (transport start + MCP initialize). */
  ENGRAM_MCP_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  /** One tools/list or tools/call request. */
  ENGRAM_MCP_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /** A cached connection unused this long is closed (stdio children exit). */
  ENGRAM_MCP_IDLE_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(300_000),
  /** stdio servers run a command on this host: turn them off for untrusted tenants. */
  ENGRAM_MCP_ALLOW_STDIO: boolish.default(true),
});

export interface McpConfig {
  connectTimeoutMs: number;
  callTimeoutMs: number;
  idleMs: number;
  allowStdio: boolean;
}

export const MCP_CONFIG = Symbol('MCP_CONFIG');

/** The MCP settings, validated at boot from the same environment as the app config. */
export function loadMcpConfig(config: AppConfig): McpConfig {
  const cleaned = Object.fromEntries(
    Object.entries(config.rawEnv).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    connectTimeoutMs: e.ENGRAM_MCP_CONNECT_TIMEOUT_MS,
    callTimeoutMs: e.ENGRAM_MCP_CALL_TIMEOUT_MS,
    idleMs: e.ENGRAM_MCP_IDLE_MS,
    allowStdio: e.ENGRAM_MCP_ALLOW_STDIO,
  };
}
