import { LlmError } from '@engram/llm/types';
import { runAgent } from './agent-loop';
import { agentConfig, harness, reply, systemMessage, userInput } from './testing/in-memory';
import { textOf } from './messages';
import type { ToolExecutorPort } from './ports';

const sys = systemMessage();

describe('runAgent — letta_v1_agent', () => {
  it('replies with plain content and stops with end_turn after one step', async () => {
    const h = harness([reply('Hello Ada!')]);
    const res = await runAgent(
      {
        agent: agentConfig('letta_v1_agent'),
        inContextMessages: [sys],
        input: userInput('hi'),
        runId: 'run-1',
      },
      h.ports,
    );

    expect(res.stopReason).toBe('end_turn');
    expect(res.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(textOf(res.messages[1])).toBe('Hello Ada!');
    expect(res.usage).toMatchObject({
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      step_count: 1,
      run_ids: ['run-1'],
    });
    expect(h.store.steps).toHaveLength(1);
    expect(h.store.steps[0].inContextMessageIds).toEqual([sys.id, res.messages[0].id, res.messages[1].id]);
    expect(
      h.store.steps[0].messages.every((m) => m.stepId === h.store.steps[0].stepId && m.runId === 'run-1'),
    ).toBe(true);
    expect(h.sink.types()).toEqual(['assistant_message', 'stop_reason', 'usage_statistics']);
    // the request carried the compiled memory and no request_heartbeat in tool schemas
    const req = h.llm.requests[0];
    expect(req.messages[0].content).toContain('<human>');
    expect(req.messages[0].content).toContain('Name: Ada');
    expect(req.messages.at(-1)).toEqual({ role: 'user', content: 'hi' });
    expect(JSON.stringify(req.tools)).not.toContain('request_heartbeat');
    expect(req.tools?.map((t) => t.name)).not.toContain('send_message');
    expect(req.toolChoice).toBe('auto');
    // the stored system message is refreshed with the compiled prompt (same id)
    expect(h.store.steps[0].systemMessage).toMatchObject({ id: sys.id, role: 'system' });
    expect(textOf(h.store.steps[0].systemMessage!)).toBe(req.messages[0].content);
  });

  it('keeps stepping while the model calls tools, one persistStep per step with the growing context', async () => {
    const h = harness([
      reply(null, [{ name: 'memory_insert', args: { label: 'human', new_string: 'Likes tea' } }]),
      reply('Noted that you like tea.'),
    ]);
    const res = await runAgent(
      { agent: agentConfig('letta_v1_agent'), inContextMessages: [sys], input: userInput('I like tea') },
      h.ports,
    );
    expect(res.stopReason).toBe('end_turn');
    expect(h.memory.blocks[0].value).toBe('Name: Ada\nLikes tea');
    expect(h.store.steps).toHaveLength(2);
    const [s1, s2] = h.store.steps;
    expect(s1.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(s2.messages.map((m) => m.role)).toEqual(['assistant']);
    expect(s2.inContextMessageIds).toEqual([sys.id, ...s1.messages.map((m) => m.id), s2.messages[0].id]);
    expect(res.inContextMessageIds).toEqual(s2.inContextMessageIds);
    // second request sees the tool result and the updated memory
    const req2 = h.llm.requests[1];
    expect(req2.messages[0].content).toContain('Likes tea');
    const toolMsg = req2.messages.find((m) => m.role === 'tool');
    expect(JSON.parse(toolMsg!.content as string)).toMatchObject({ status: 'OK' });
    expect(h.sink.types()).toEqual([
      'tool_call_message',
      'tool_return_message',
      'assistant_message',
      'stop_reason',
      'usage_statistics',
    ]);
  });

  it('returns a tool error to the model and goes on', async () => {
    const tools: ToolExecutorPort = {
      execute: async () => {
        throw new Error('boom');
      },
    };
    const agent = agentConfig('letta_v1_agent', {
      tools: [{ name: 'flaky', description: 'x', parameters: { type: 'object', properties: {} } }],
    });
    const h = harness([reply(null, [{ name: 'flaky', args: {} }]), reply('Sorry, that failed.')], { tools });
    const res = await runAgent({ agent, inContextMessages: [sys], input: userInput('go') }, h.ports);
    expect(res.stopReason).toBe('end_turn');
    const tool = res.messages.find((m) => m.role === 'tool')!;
    expect(tool.toolReturns![0].status).toBe('error');
    expect(JSON.parse(tool.toolReturns![0].funcResponse)).toMatchObject({
      status: 'Failed',
      message: 'Error: boom',
    });
    expect(h.llm.requests).toHaveLength(2);
  });

  it('reports invalid JSON arguments and unknown tools as failed tool returns', async () => {
    const h = harness([
      reply(null, [{ name: 'memory_insert', arguments: '{"label": "human", ' }]),
      reply(null, [{ name: 'no_such_tool', args: {} }]),
      reply('done'),
    ]);
    const res = await runAgent(
      { agent: agentConfig('letta_v1_agent'), inContextMessages: [sys], input: userInput('x') },
      h.ports,
    );
    const returns = res.messages
      .filter((m) => m.role === 'tool')
      .map((m) => JSON.parse(m.toolReturns![0].funcResponse).message as string);
    expect(returns[0]).toMatch(/not valid JSON/);
    expect(returns[1]).toMatch(/no tool named 'no_such_tool'/);
    expect(res.stopReason).toBe('end_turn');
    expect(h.memory.blocks[0].value).toBe('Name: Ada');
  });

  it('stops with max_steps when the model keeps calling tools', async () => {
    const call = () => reply(null, [{ name: 'archival_memory_search', args: { query: 'x' } }]);
    const h = harness([call(), call(), call(), call()]);
    const res = await runAgent(
      { agent: agentConfig('letta_v1_agent'), inContextMessages: [sys], input: userInput('loop') },
      h.ports,
      { maxSteps: 3 },
    );
    expect(res.stopReason).toBe('max_steps');
    expect(res.usage.step_count).toBe(3);
    expect(h.store.steps).toHaveLength(3);
    expect(h.store.steps[2].stopReason).toBe('max_steps');
  });

  it('maps finish_reason length without a tool call to max_tokens_exceeded', async () => {
    const h = harness([reply('cut off', [], { finishReason: 'length' })]);
    const res = await runAgent(
      { agent: agentConfig('letta_v1_agent'), inContextMessages: [sys], input: userInput('x') },
      h.ports,
    );
    expect(res.stopReason).toBe('max_tokens_exceeded');
  });

  it('on an LLM error stops with llm_api_error, persists nothing of the step and emits an error', async () => {
    const h = harness([new LlmError('unavailable', 'provider down')]);
    const res = await runAgent(
      {
        agent: agentConfig('letta_v1_agent'),
        inContextMessages: [sys],
        input: userInput('x'),
        runId: 'run-9',
      },
      h.ports,
    );
    expect(res.stopReason).toBe('llm_api_error');
    expect(res.error).toEqual({ type: 'llm_unavailable', message: 'provider down' });
    expect(h.store.steps).toHaveLength(0);
    expect(res.messages).toEqual([]);
    expect(h.sink.events[0]).toEqual({
      message_type: 'error_message',
      error_type: 'llm_unavailable',
      message: 'provider down',
      run_id: 'run-9',
    });
    expect(h.sink.types()).toEqual(['error_message', 'stop_reason', 'usage_statistics']);
  });

  it('an LLM error in a later step keeps the earlier steps and stops with error for non-LLM failures', async () => {
    const h = harness([
      reply(null, [{ name: 'archival_memory_search', args: { query: 'q' } }]),
      new Error('bug'),
    ]);
    const res = await runAgent(
      { agent: agentConfig('letta_v1_agent'), inContextMessages: [sys], input: userInput('x') },
      h.ports,
    );
    expect(res.stopReason).toBe('error');
    expect(h.store.steps).toHaveLength(1);
    expect(res.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('checks cancellation between steps and passes the signal to the LLM', async () => {
    let cancelled = false;
    const ac = new AbortController();
    const h = harness([
      (req) => {
        expect(req.signal).toBe(ac.signal);
        cancelled = true;
        return reply(null, [{ name: 'archival_memory_search', args: { query: 'q' } }]);
      },
      reply('never'),
    ]);
    h.ports.isCancelled = () => cancelled;
    const res = await runAgent(
      { agent: agentConfig('letta_v1_agent'), inContextMessages: [sys], input: userInput('x') },
      h.ports,
      { signal: ac.signal },
    );
    expect(res.stopReason).toBe('cancelled');
    expect(h.llm.requests).toHaveLength(1);
    expect(h.store.steps).toHaveLength(1);
  });

  it('streams token deltas with the assistant message id and does not resend streamed parts', async () => {
    const h = harness([reply('Hello there', [], { reasoning: 'thinking' })]);
    const res = await runAgent(
      { agent: agentConfig('letta_v1_agent'), inContextMessages: [sys], input: userInput('hi') },
      h.ports,
      { streamTokens: true },
    );
    const assistantId = res.messages[1].id;
    const deltas = h.sink.events.filter((e) => e.message_type === 'assistant_message') as Array<{
      id: string;
      content: string;
    }>;
    expect(deltas.map((d) => d.content).join('')).toBe('Hello there');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.every((d) => d.id === assistantId)).toBe(true);
    expect(h.sink.types().filter((t) => t === 'reasoning_message')).toHaveLength(1);
    expect(h.sink.types().slice(-2)).toEqual(['stop_reason', 'usage_statistics']);
  });
});

describe('runAgent — memgpt agents', () => {
  it('send_message becomes an assistant_message, its tool return is hidden, and the turn ends', async () => {
    const h = harness([reply('User greeted me.', [{ name: 'send_message', args: { message: 'Hi Ada!' } }])]);
    const res = await runAgent(
      { agent: agentConfig('memgpt_v2_agent'), inContextMessages: [sys], input: userInput('hi') },
      h.ports,
    );
    expect(res.stopReason).toBe('end_turn');
    expect(res.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(h.sink.events.slice(0, 2)).toMatchObject([
      { message_type: 'reasoning_message', reasoning: 'User greeted me.' },
      { message_type: 'assistant_message', content: 'Hi Ada!' },
    ]);
    expect(h.sink.types()).not.toContain('tool_return_message');
    const req = h.llm.requests[0];
    expect(req.toolChoice).toBe('required');
    const insert = req.tools!.find((t) => t.name === 'memory_insert')!;
    expect((insert.parameters as { required: string[] }).required).toContain('request_heartbeat');
    const send = req.tools!.find((t) => t.name === 'send_message')!;
    expect(JSON.stringify(send.parameters)).not.toContain('request_heartbeat');
  });

  it('chains steps on request_heartbeat and adds a heartbeat message', async () => {
    const h = harness([
      reply(null, [
        { name: 'archival_memory_insert', args: { content: 'Ada likes tea', request_heartbeat: true } },
      ]),
      reply(null, [{ name: 'send_message', args: { message: 'Saved.' } }]),
    ]);
    const res = await runAgent(
      { agent: agentConfig('memgpt_agent'), inContextMessages: [sys], input: userInput('remember tea') },
      h.ports,
    );
    expect(res.stopReason).toBe('end_turn');
    expect(h.archival.passages.map((p) => p.text)).toEqual(['Ada likes tea']);
    expect(h.store.steps[0].messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'user']);
    const hb = JSON.parse(textOf(h.store.steps[0].messages[3]));
    expect(hb.type).toBe('heartbeat');
    expect(hb.reason).toMatch(/request_heartbeat=true/);
  });

  it('stops after a tool without heartbeat, but continues after a tool failure', async () => {
    const h1 = harness([
      reply(null, [{ name: 'archival_memory_insert', args: { content: 'x', request_heartbeat: false } }]),
    ]);
    const r1 = await runAgent(
      { agent: agentConfig('memgpt_agent'), inContextMessages: [sys], input: userInput('a') },
      h1.ports,
    );
    expect(r1.stopReason).toBe('end_turn');
    expect(h1.store.steps).toHaveLength(1);

    const h2 = harness([
      reply(null, [
        {
          name: 'core_memory_replace',
          args: { label: 'human', old_content: 'Bob', new_content: 'Al', request_heartbeat: false },
        },
      ]),
      reply(null, [{ name: 'send_message', args: { message: 'fixed' } }]),
    ]);
    const r2 = await runAgent(
      { agent: agentConfig('memgpt_agent'), inContextMessages: [sys], input: userInput('a') },
      h2.ports,
    );
    expect(r2.stopReason).toBe('end_turn');
    expect(h2.store.steps).toHaveLength(2);
    expect(JSON.parse(textOf(h2.store.steps[0].messages[3])).reason).toMatch(/failed/);
  });

  it('a step without a tool call stops with no_tool_call', async () => {
    const h = harness([reply('just text')]);
    const res = await runAgent(
      { agent: agentConfig('memgpt_v2_agent'), inContextMessages: [sys], input: userInput('a') },
      h.ports,
    );
    expect(res.stopReason).toBe('no_tool_call');
  });
});
