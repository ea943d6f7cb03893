/**
 * A hook around every LLM request, so the host can measure calls (latency, tokens, traces)
 * without this library knowing about metrics or tracing: the registry wraps each client it
 * hands out when `RegistryOptions.instrumentation` is set.
 */
import { LlmClient, LlmError, LlmRequest, LlmResponse, LlmStreamEvent, LlmUsage } from './types';

export interface LlmCallInfo {
  /** Provider name (the handle prefix). */
  provider: string;
  /** Model name as the provider knows it. */
  model: string;
  stream: boolean;
}

export type LlmCallOutcome =
  | { outcome: 'ok'; usage: LlmUsage; finishReason: LlmResponse['finishReason'] }
  /** The caller aborted, or stopped reading the stream before its end. */
  | { outcome: 'cancelled' }
  | { outcome: 'error'; error: unknown };

export interface LlmInstrumentation {
  /** Called as a request starts; the returned function is called exactly once when it ends. */
  start(call: LlmCallInfo): (result: LlmCallOutcome) => void;
}

function failure(error: unknown): LlmCallOutcome {
  return error instanceof LlmError && error.kind === 'cancelled'
    ? { outcome: 'cancelled' }
    : { outcome: 'error', error };
}

/** `client` with every `complete` and `stream` reported to `hooks`. */
export function instrumentLlmClient(client: LlmClient, hooks: LlmInstrumentation): LlmClient {
  const info = (request: LlmRequest, stream: boolean): LlmCallInfo => ({
    provider: client.provider,
    model: request.model,
    stream,
  });
  return {
    provider: client.provider,
    async complete(request: LlmRequest): Promise<LlmResponse> {
      const end = hooks.start(info(request, false));
      try {
        const response = await client.complete(request);
        end({ outcome: 'ok', usage: response.usage, finishReason: response.finishReason });
        return response;
      } catch (error) {
        end(failure(error));
        throw error;
      }
    },
    async *stream(request: LlmRequest): AsyncIterable<LlmStreamEvent> {
      const end = hooks.start(info(request, true));
      let result: LlmCallOutcome = { outcome: 'cancelled' };
      try {
        for await (const event of client.stream(request)) {
          if (event.type === 'done') {
            result = {
              outcome: 'ok',
              usage: event.response.usage,
              finishReason: event.response.finishReason,
            };
          }
          yield event;
        }
      } catch (error) {
        result = failure(error);
        throw error;
      } finally {
        end(result);
      }
    },
  };
}
