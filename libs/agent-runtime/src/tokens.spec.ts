import type { LlmToolDefinition } from '@engram/llm/types';
import type { AgentMessage } from './messages';
import { toLlmMessages } from './message-input';
import { textOf } from './messages';
import { estimateContextTokens, estimateRequestTokens, storedMessageTokens } from './tokens';
import { BASE_TOOL_SPECS, toDefinition, withHeartbeat } from './tools/definitions';

const at = new Date('2025-01-01T00:00:00Z');
const text = (t: string) => [{ type: 'text' as const, text: t }];
const conversation = (): AgentMessage[] => [
  {
    id: 'm0',
    role: 'system',
    content: text('the stored system prompt, longer than the new one'),
    createdAt: at,
  },
  { id: 'm1', role: 'user', content: text('hello there, how are you today?'), name: 'sam', createdAt: at },
  {
    id: 'm2',
    role: 'assistant',
    content: [
      { type: 'reasoning', reasoning: 'the user greets me', isNative: true },
      { type: 'text', text: 'let me look' },
    ],
    toolCalls: [{ id: 'c1', name: 'conversation_search', arguments: '{"query":"greeting"}' }],
    createdAt: at,
  },
  {
    id: 'm3',
    role: 'tool',
    name: 'conversation_search',
    content: [],
    toolCallId: 'c1',
    toolReturns: [
      { toolCallId: 'c1', status: 'success', funcResponse: '[]' },
      { toolCallId: 'c1', status: 'success', funcResponse: 'nothing found for that query' },
    ],
    createdAt: at,
  },
  { id: 'm4', role: 'approval', content: [], approvals: [], createdAt: at },
  { id: 'm5', role: 'system', content: text('a later system note'), createdAt: at },
  { id: 'm6', role: 'summary', content: text('earlier: the user likes tea'), createdAt: at },
];
const tools: LlmToolDefinition[] = [
  toDefinition(BASE_TOOL_SPECS.send_message),
  withHeartbeat(BASE_TOOL_SPECS.conversation_search),
];

describe('estimateContextTokens', () => {
  it.each([
    ['a new system prompt in the stored one’s place', conversation(), 'You are Engram. Be brief.'],
    ['a system prompt before a context without one', conversation().slice(1), 'You are Engram.'],
    ['no system prompt', conversation(), undefined],
    ['an empty context', [], 'You are Engram.'],
  ])('counts what the request would hold: %s', async (_case, messages, systemPrompt) => {
    const expected = await estimateRequestTokens(toLlmMessages(messages, systemPrompt), tools);
    expect(await estimateContextTokens(messages, systemPrompt, tools)).toBe(expected);
    // Counted again from the kept counts: the same figure.
    expect(await estimateContextTokens(messages, systemPrompt, tools)).toBe(expected);
  });

  it('counts an edited message anew: counts are kept per object, never per id', () => {
    const m = conversation()[1];
    const edited = { ...m, content: text(`${'much longer text '.repeat(50)}`) };
    expect(storedMessageTokens(edited)).toBeGreaterThan(storedMessageTokens(m) + 50);
    expect(storedMessageTokens(m)).toBe(storedMessageTokens({ ...m }));
  });

  it('gives a spec the same definition objects each time, plain and with the heartbeat', () => {
    const spec = BASE_TOOL_SPECS.conversation_search;
    expect(toDefinition(spec)).toBe(toDefinition(spec));
    expect(withHeartbeat(spec)).toBe(withHeartbeat(spec));
    expect(withHeartbeat(spec)).not.toBe(toDefinition(spec));
    expect(JSON.stringify(withHeartbeat(spec).parameters)).toContain('request_heartbeat');
    expect(JSON.stringify(toDefinition(spec).parameters)).not.toContain('request_heartbeat');
  });
});

describe('toLlmMessages', () => {
  it('converts each stored message once: the same objects on the next call, new ones for an edit', () => {
    const messages = conversation();
    const first = toLlmMessages(messages, 'the compiled prompt');
    const again = toLlmMessages(messages, 'another prompt');
    expect(first[0]).toEqual({ role: 'system', content: 'the compiled prompt' });
    expect(again[0]).toEqual({ role: 'system', content: 'another prompt' });
    expect(again.slice(1)).toEqual(first.slice(1));
    again.slice(1).forEach((m, i) => expect(m).toBe(first[i + 1]));
    const edited = { ...messages[1], content: text('an edited greeting') };
    const third = toLlmMessages([messages[0], edited, ...messages.slice(2)], 'the compiled prompt');
    expect(third[1]).toEqual({ role: 'user', content: 'an edited greeting', name: 'sam' });
    expect(third[2]).toBe(first[2]);
    // Without a prompt to put in its place, the stored system message is sent as it is.
    expect(toLlmMessages(messages)[0]).toEqual({ role: 'system', content: textOf(messages[0]) });
  });
});
