import { SpanKind } from '@opentelemetry/api';
import type { LlmInstrumentation } from '@engram/llm';
import { MetricsService } from './metrics.service';
import { failSpan, tracer, tracingActive } from './tracing';

/**
 * What the LLM registry reports every request to: latency by provider and tokens by model on
 * the metrics, and a client span (OpenTelemetry GenAI attribute names) when tracing is on.
 */
export function llmInstrumentation(metrics: MetricsService): LlmInstrumentation {
  return {
    start({ provider, model, stream }) {
      const started = performance.now();
      const span = tracingActive()
        ? tracer().startSpan(`chat ${model}`, {
            kind: SpanKind.CLIENT,
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.provider.name': provider,
              'gen_ai.request.model': model,
              'engram.llm.stream': stream,
            },
          })
        : undefined;
      return (result) => {
        const seconds = (performance.now() - started) / 1000;
        metrics.llmRequest(
          provider,
          model,
          seconds,
          result.outcome,
          result.outcome === 'ok' ? result.usage : undefined,
        );
        if (!span) return;
        if (result.outcome === 'ok') {
          span.setAttributes({
            'gen_ai.usage.input_tokens': result.usage.promptTokens,
            'gen_ai.usage.output_tokens': result.usage.completionTokens,
            'gen_ai.response.finish_reasons': [result.finishReason],
          });
        } else if (result.outcome === 'error') {
          failSpan(span, result.error);
        } else {
          span.setAttribute('engram.llm.cancelled', true);
        }
        span.end();
      };
    },
  };
}
