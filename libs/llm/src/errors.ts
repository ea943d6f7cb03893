/**
 * Translates what the provider SDKs throw into `LlmError` kinds the agent runtime acts on.
 * Both SDKs share one error design (Stainless), so one mapping serves both.
 */
import * as Anthropic from '@anthropic-ai/sdk';
import * as OpenAI from 'openai';
import { LlmError } from './types';

const CONTEXT_PATTERNS = [
  /context[_ ]length/i,
  /context window/i,
  /maximum context/i,
  /prompt is too long/i,
  /too many tokens/i,
  /input is too long/i,
  /reduce the length/i,
  /exceeds? the (model's )?(max|context)/i,
];

function isContextOverflow(message: string, code?: string | null): boolean {
  if (code === 'context_length_exceeded' || code === 'request_too_large') return true;
  return CONTEXT_PATTERNS.some((p) => p.test(message));
}

type SdkApiError = OpenAI.APIError | Anthropic.APIError;

function isSdkError(err: unknown): err is SdkApiError {
  return err instanceof OpenAI.APIError || err instanceof Anthropic.APIError;
}

function isAbort(err: unknown): boolean {
  if (err instanceof OpenAI.APIUserAbortError || err instanceof Anthropic.APIUserAbortError) return true;
  // Checked by name: under some runners the DOMException comes from another realm.
  return (err as { name?: unknown } | null)?.name === 'AbortError';
}

function isConnection(err: unknown): boolean {
  return err instanceof OpenAI.APIConnectionError || err instanceof Anthropic.APIConnectionError;
}

function errorCode(err: SdkApiError): string | undefined {
  const body = err.error as { code?: unknown; type?: unknown; error?: { type?: unknown } } | undefined;
  const code = body?.code ?? body?.error?.type ?? body?.type;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Maps any error thrown while talking to a provider. An `LlmError` passes through unchanged;
 * an aborted `signal` always wins (whatever the SDK made of it) and becomes `cancelled`.
 */
export function toLlmError(err: unknown, provider: string, signal?: AbortSignal): LlmError {
  if (err instanceof LlmError) return err;
  if (signal?.aborted || isAbort(err)) {
    return new LlmError('cancelled', `${provider}: request cancelled`, { provider, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  if (isConnection(err)) {
    const timedOut =
      err instanceof OpenAI.APIConnectionTimeoutError || err instanceof Anthropic.APIConnectionTimeoutError;
    const what = timedOut ? 'timed out' : 'could not be reached';
    return new LlmError('unavailable', `${provider} ${what}: ${message}`, { provider, cause: err });
  }
  if (isSdkError(err) && typeof err.status === 'number') {
    const status = err.status;
    const details = { provider, status, cause: err };
    const code = errorCode(err);
    if (status === 429) return new LlmError('rate_limited', `${provider} rate limit: ${message}`, details);
    if (status === 401 || status === 403) {
      return new LlmError('auth', `${provider} rejected the credentials: ${message}`, details);
    }
    if (status >= 500) return new LlmError('unavailable', `${provider} failed: ${message}`, details);
    if ((status === 400 || status === 413 || status === 422) && isContextOverflow(message, code)) {
      return new LlmError('context_window_exceeded', `${provider}: ${message}`, details);
    }
    return new LlmError('bad_request', `${provider} refused the request: ${message}`, details);
  }
  if (isSdkError(err) && isContextOverflow(message, errorCode(err))) {
    // Errors reported inside a stream carry no HTTP status.
    return new LlmError('context_window_exceeded', `${provider}: ${message}`, { provider, cause: err });
  }
  // Sockets closed mid-stream, malformed SSE, DNS failures: the provider is not usable now.
  return new LlmError('unavailable', `${provider} failed: ${message}`, { provider, cause: err });
}
