import { countMessages, countTokens, countTools } from './tokens';

describe('token counting (o200k_base)', () => {
  it('counts known strings exactly', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('The quick brown fox jumps over the lazy dog.')).toBe(10);
  });

  it('counts messages with framing, tool calls and tools', () => {
    const base = countMessages([{ role: 'user', content: 'hello world' }]);
    // 3 priming + 3 framing + 1 role + 2 content
    expect(base).toBe(9);
    const withCall = countMessages([
      { role: 'user', content: 'hello world' },
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: 'c1', name: 'send_message', arguments: '{"message":"hi"}' }],
      },
      { role: 'tool', toolCallId: 'c1', name: 'send_message', content: 'ok' },
    ]);
    expect(withCall).toBeGreaterThan(base + 10);
    const tools = [{ name: 'send_message', description: 'Send a message', parameters: { type: 'object' } }];
    expect(countMessages([{ role: 'user', content: 'hello world' }], tools)).toBe(base + countTools(tools));
  });

  it('is fast once the encoder is loaded', () => {
    const text = 'lorem ipsum dolor sit amet '.repeat(2000);
    countTokens('warm up');
    const started = Date.now();
    expect(countTokens(text)).toBeGreaterThan(5000);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
