import type { AppConfig } from '../config/config';
import { ConfigError, mcpEnvSchema } from '../config/config';

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
  const parsed = mcpEnvSchema.safeParse(cleaned);
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
