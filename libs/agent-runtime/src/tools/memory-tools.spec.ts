import { executeBaseTool } from './base-executor';
import { applyMemoryEdit } from './memory-tools';
import { MemoryEditError, type MemoryBlock } from '../ports';
import { InMemoryArchival, InMemoryMemory } from '../testing/in-memory';
import { runAgent } from '../agent-loop';
import { agentConfig, harness, reply, systemMessage, userInput } from '../testing/in-memory';

const block = (value: string, extra: Partial<MemoryBlock> = {}): MemoryBlock => ({
  label: 'human',
  value,
  limit: 50,
  ...extra,
});

describe('memory edit tools (pure)', () => {
  it('core_memory_append adds on a new line', () => {
    expect(applyMemoryEdit('core_memory_append', block('a'), { label: 'human', content: 'b' })).toBe('a\nb');
  });

  it('core_memory_replace replaces every occurrence and needs the old text', () => {
    expect(
      applyMemoryEdit('core_memory_replace', block('x y x'), {
        label: 'human',
        old_content: 'x',
        new_content: 'z',
      }),
    ).toBe('z y z');
    expect(() =>
      applyMemoryEdit('core_memory_replace', block('abc'), {
        label: 'human',
        old_content: 'q',
        new_content: 'z',
      }),
    ).toThrow(/not found/);
  });

  it('memory_replace needs exactly one occurrence and names the lines of duplicates', () => {
    expect(
      applyMemoryEdit('memory_replace', block('likes tea\nhates rain'), {
        label: 'human',
        old_string: 'tea',
        new_string: 'coffee',
      }),
    ).toBe('likes coffee\nhates rain');
    expect(() =>
      applyMemoryEdit('memory_replace', block('a'), { label: 'human', old_string: 'b', new_string: 'c' }),
    ).toThrow(/does not appear verbatim/);
    expect(() =>
      applyMemoryEdit('memory_replace', block('tea\nx\ntea'), {
        label: 'human',
        old_string: 'tea',
        new_string: 'c',
      }),
    ).toThrow(/2 times \(lines 1, 3\)/);
    // accepts the short argument names too
    expect(
      applyMemoryEdit('memory_replace', block('a b'), { label: 'human', old_str: 'b', new_str: 'c' }),
    ).toBe('a c');
    expect(() =>
      applyMemoryEdit('memory_replace', block('a'), { label: 'human', old_string: '1: a', new_string: 'b' }),
    ).toThrow(/line number/);
  });

  it('memory_insert inserts after a line, at the top with 0 and at the end by default', () => {
    const b = block('one\ntwo');
    expect(applyMemoryEdit('memory_insert', b, { label: 'human', new_string: 'new' })).toBe('one\ntwo\nnew');
    expect(applyMemoryEdit('memory_insert', b, { label: 'human', new_string: 'new', insert_line: 0 })).toBe(
      'new\none\ntwo',
    );
    expect(applyMemoryEdit('memory_insert', b, { label: 'human', new_string: 'new', insert_line: 1 })).toBe(
      'one\nnew\ntwo',
    );
    expect(() =>
      applyMemoryEdit('memory_insert', b, { label: 'human', new_string: 'x', insert_line: 5 }),
    ).toThrow(/out of range: use 0..2/);
  });

  it('memory_rethink replaces the whole value', () => {
    expect(applyMemoryEdit('memory_rethink', block('old'), { label: 'human', new_memory: 'fresh' })).toBe(
      'fresh',
    );
  });

  it('refuses read-only blocks and results over the limit (naming the limit)', () => {
    const ro = () =>
      applyMemoryEdit('memory_rethink', block('x', { readOnly: true }), { label: 'human', new_memory: 'y' });
    expect(ro).toThrow(MemoryEditError);
    expect(ro).toThrow(/read-only/);
    const over = () =>
      applyMemoryEdit('core_memory_append', block('x'.repeat(45)), {
        label: 'human',
        content: 'y'.repeat(10),
      });
    expect(over).toThrow(/56 characters, over its limit of 50/);
  });

  it('unknown label is an error, except memory_rethink which creates', () => {
    expect(() => applyMemoryEdit('memory_insert', undefined, { label: 'nope', new_string: 'x' })).toThrow(
      /No memory block with label 'nope'/,
    );
    expect(applyMemoryEdit('memory_rethink', undefined, { label: 'nope', new_memory: 'x' })).toBe('x');
  });
});

describe('base tool execution through ports', () => {
  it('persists memory edits through the MemoryPort and leaves the block alone on refusal', async () => {
    const memory = new InMemoryMemory([block('Name: Ada')]);
    const r = await executeBaseTool(
      'memory_replace',
      { label: 'human', old_string: 'Ada', new_string: 'Ada L.' },
      { memory },
    );
    expect(r.status).toBe('success');
    expect(memory.blocks[0].value).toBe('Name: Ada L.');
    await expect(
      executeBaseTool('memory_rethink', { label: 'human', new_memory: 'z'.repeat(51) }, { memory }),
    ).rejects.toThrow(/limit of 50/);
    expect(memory.blocks[0].value).toBe('Name: Ada L.');
  });

  it('archival insert/search go to the ArchivalPort', async () => {
    const memory = new InMemoryMemory([]);
    const archival = new InMemoryArchival();
    await executeBaseTool(
      'archival_memory_insert',
      { content: 'The sky is blue', tags: ['facts'] },
      { memory, archival },
    );
    expect(archival.passages).toMatchObject([{ text: 'The sky is blue', tags: ['facts'] }]);
    const r = await executeBaseTool(
      'archival_memory_search',
      { query: 'sky' },
      { memory, archival, timezone: 'UTC' },
    );
    expect(r.funcReturn).toEqual([
      {
        id: 'passage-1',
        timestamp: '2025-01-01 12:00:00 AM UTC',
        content: 'The sky is blue',
        tags: ['facts'],
      },
    ]);
  });

  it('conversation_search passes filters to the RecallPort', async () => {
    const seen: unknown[] = [];
    const recall = {
      count: async () => 0,
      search: async (q: string | undefined, o: unknown) => {
        seen.push([q, o]);
        return [
          {
            id: 'message-x',
            role: 'user' as const,
            content: [{ type: 'text' as const, text: 'tea please' }],
            createdAt: new Date('2025-01-02T10:00:00Z'),
          },
        ];
      },
    };
    const r = await executeBaseTool(
      'conversation_search',
      { query: 'tea', roles: ['user'], start_date: '2025-01-01', end_date: '2025-01-02' },
      { memory: new InMemoryMemory([]), recall },
    );
    expect(seen[0]).toEqual([
      'tea',
      {
        roles: ['user'],
        limit: 5,
        startDate: new Date('2025-01-01T00:00:00.000Z'),
        endDate: new Date('2025-01-02T23:59:59.999Z'),
      },
    ]);
    expect(r.funcReturn).toEqual({
      message: 'Found 1 matching message(s).',
      results: [{ timestamp: '2025-01-02 10:00:00 AM UTC', role: 'user', content: 'tea please' }],
    });
  });

  it('in the loop, an over-limit edit reaches the model as a failed tool return', async () => {
    const h = harness([
      reply(null, [{ name: 'memory_insert', args: { label: 'human', new_string: 'x'.repeat(200) } }]),
      reply('too long, sorry'),
    ]);
    const res = await runAgent(
      { agent: agentConfig('letta_v1_agent'), inContextMessages: [systemMessage()], input: userInput('x') },
      h.ports,
    );
    const ret = JSON.parse(res.messages.find((m) => m.role === 'tool')!.toolReturns![0].funcResponse);
    expect(ret.status).toBe('Failed');
    expect(ret.message).toMatch(/limit of 100/);
    expect(h.memory.blocks[0].value).toBe('Name: Ada');
  });
});
