import type { AgentMessage } from '@engram/agent-runtime';
import { asStored, ContextCache, jsonb } from './context-cache';

const msg = (id: string): AgentMessage => ({
  id,
  role: 'user',
  content: [{ type: 'text', text: id }],
  createdAt: new Date(0),
});
const entry = (version: string, n: number) => {
  const messages = Array.from({ length: n }, (_, i) => msg(`${version}-${i}`));
  return { version, ids: messages.map((m) => m.id), messages };
};

describe('ContextCache', () => {
  it('keeps at most maxMessages across agents, dropping the least recently used first', () => {
    const c = new ContextCache(10);
    c.set('o', 'a', entry('1', 4));
    c.set('o', 'b', entry('2', 4));
    expect(c.get('o', 'a')?.version).toBe('1'); // a is now the most recently used
    c.set('o', 'c', entry('3', 4));
    expect(c.get('o', 'b')).toBeUndefined();
    expect(c.get('o', 'a')?.version).toBe('1');
    expect(c.get('o', 'c')?.version).toBe('3');
    expect(c.size).toBe(8);
  });

  it('replaces an agent entry, keys agents by organization, and holds nothing bigger than its bound', () => {
    const c = new ContextCache(5);
    c.set('o', 'a', entry('1', 3));
    c.set('o', 'a', entry('2', 2));
    expect(c.get('o', 'a')?.version).toBe('2');
    expect(c.get('other', 'a')).toBeUndefined();
    expect(c.size).toBe(2);
    c.set('o', 'a', entry('3', 6));
    expect(c.get('o', 'a')).toBeUndefined();
    expect(c.size).toBe(0);
    const off = new ContextCache(0);
    off.set('o', 'a', entry('1', 1));
    expect(off.get('o', 'a')).toBeUndefined();
  });
});

describe('asStored / jsonb', () => {
  it('orders keys as jsonb does (shortest first, then bytewise) and drops undefined members', () => {
    const out = jsonb({ type: 'text', text: 'x', id: undefined, a: [1, undefined, { zz: 1, b: 2 }] });
    expect(JSON.stringify(out)).toBe('{"a":[1,null,{"b":2,"zz":1}],"text":"x","type":"text"}');
  });

  it('gives a message the shape a read returns: absent fields null, JSON through jsonb', () => {
    const m = asStored({
      id: 'm1',
      role: 'assistant',
      content: [{ type: 'text', text: 'hi' }],
      toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }],
      createdAt: new Date(5),
    });
    expect(m).toEqual({
      id: 'm1',
      role: 'assistant',
      content: [{ text: 'hi', type: 'text' }],
      toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }],
      toolCallId: null,
      name: null,
      toolReturns: null,
      approvals: null,
      approvalRequestId: null,
      runId: null,
      stepId: null,
      createdAt: new Date(5),
      otid: null,
      senderId: null,
      isErr: null,
      model: null,
    });
    expect(Object.keys(m.toolCalls![0])).toEqual(['id', 'name', 'arguments']);
  });
});
