import { trace } from '@opentelemetry/api';
import { OtlpReceiver } from '../../test/support/otlp-receiver';
import { loadConfig } from '../config/config';
import { startTracing, traceLogFields, tracingActive, withSpan } from './tracing';

describe('tracing helpers', () => {
  it('off (no endpoint): starts nothing, and withSpan only calls its function', async () => {
    expect(startTracing(loadConfig({}), 'engram-test')).toBeUndefined();
    expect(tracingActive()).toBe(false);
    const seen: unknown[] = [];
    await expect(
      withSpan('agent.run', { 'engram.run_id': 'run-1' }, (span) => {
        seen.push(span);
        return 42;
      }),
    ).resolves.toBe(42);
    expect(seen).toEqual([undefined]);
    await expect(withSpan('agent.step', {}, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(traceLogFields()).toEqual({});
  });

  it('on: withSpan makes its span the active one (log lines carry its ids), ends and exports it', async () => {
    const receiver = await OtlpReceiver.start();
    const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    const tracing = startTracing(config, 'engram-test')!;
    try {
      expect(tracingActive()).toBe(true);
      expect(() => startTracing(config, 'x')).toThrow(/already started/);
      const fields = await withSpan('agent.run', { 'engram.run_id': 'run-1' }, async (span) => {
        await new Promise((r) => setTimeout(r, 1));
        expect(trace.getActiveSpan()).toBe(span);
        return traceLogFields();
      });
      expect(fields).toEqual({
        trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
      await expect(withSpan('agent.step', {}, () => Promise.reject(new Error('boom')))).rejects.toThrow(
        'boom',
      );
    } finally {
      await tracing.shutdown();
      await receiver.close();
    }
    expect(tracingActive()).toBe(false);
    expect(trace.getActiveSpan()).toBeUndefined();
    expect(receiver.spans.map((s) => [s.name, s.service, s.status?.code ?? 0])).toEqual([
      ['agent.run', 'engram-test', 0],
      ['agent.step', 'engram-test', 2],
    ]);
    expect(receiver.spans[0].attributes).toEqual({ 'engram.run_id': 'run-1' });
    expect(receiver.spans[1].attributes).toMatchObject({ 'error.type': 'Error' });
  });
});
