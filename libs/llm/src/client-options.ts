/** Construction options shared by every provider client. */
export interface LlmClientOptions {
  /** Provider name as it appears in model handles (`openai`, `ollama`, `groq`, ...). */
  provider: string;
  baseURL?: string;
  apiKey?: string;
  /** Per-attempt timeout. A dead provider should fail in seconds, not hang a run. */
  timeoutMs?: number;
  /** SDK retries on connection errors, 408/409/429 and 5xx. Keep it small. */
  maxRetries?: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RETRIES = 1;
