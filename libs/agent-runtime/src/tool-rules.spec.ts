import { runAgent } from './agent-loop';
import { agentConfig, harness, reply, systemMessage, userInput } from './testing/in-memory';
import { ToolRuleError, ToolRulesSolver } from './tool-rules';

const ALL = ['a', 'b', 'c', 'send_message'];

describe('ToolRulesSolver', () => {
  it('run_first: only the init tools before any call, with prefilled args', () => {
    const s = new ToolRulesSolver([{ type: 'run_first', tool_name: 'a', args: { x: 1 } }]);
    expect(s.allowedTools(ALL)).toEqual(['a']);
    expect(s.mustCallTool()).toBe(true);
    expect(s.prefilledArgs('a')).toEqual({ x: 1 });
    s.register('a');
    expect(s.allowedTools(ALL)).toEqual(ALL);
  });

  it('constrain_child_tools: after the parent only the children', () => {
    const s = new ToolRulesSolver([
      {
        type: 'constrain_child_tools',
        tool_name: 'a',
        children: ['b'],
        child_arg_nodes: [{ name: 'b', args: { y: 2 } }],
      },
    ]);
    expect(s.allowedTools(ALL)).toEqual(ALL);
    s.register('a');
    expect(s.allowedTools(ALL)).toEqual(['b']);
    expect(s.hasChildren('a')).toBe(true);
    expect(s.mustCallTool()).toBe(true);
    expect(s.prefilledArgs('b')).toEqual({ y: 2 });
  });

  it('parent_last_tool: children only right after the parent', () => {
    const s = new ToolRulesSolver([{ type: 'parent_last_tool', tool_name: 'a', children: ['b', 'c'] }]);
    expect(s.allowedTools(ALL)).toEqual(['a', 'send_message']);
    s.register('a');
    expect(s.allowedTools(ALL)).toEqual(['b', 'c']);
  });

  it('conditional: next tool by output, default child otherwise, strict mode empties', () => {
    const s = new ToolRulesSolver([
      {
        type: 'conditional',
        tool_name: 'a',
        child_output_mapping: { yes: 'b', '42': 'c', true: 'send_message' },
        default_child: 'send_message',
      },
    ]);
    s.register('a', 'yes');
    expect(s.allowedTools(ALL)).toEqual(['b']);
    s.register('a', '42');
    expect(s.allowedTools(ALL)).toEqual(['c']);
    s.register('a', 'something else');
    expect(s.allowedTools(ALL)).toEqual(['send_message']);
    const strict = new ToolRulesSolver([
      {
        type: 'conditional',
        tool_name: 'a',
        child_output_mapping: { yes: 'b' },
        require_output_mapping: true,
      },
    ]);
    strict.register('a', 'no');
    expect(() => strict.allowedTools(ALL)).toThrow(ToolRuleError);
  });

  it('max_count_per_step removes a tool after its limit', () => {
    const s = new ToolRulesSolver([{ type: 'max_count_per_step', tool_name: 'a', max_count_limit: 2 }]);
    s.register('a');
    expect(s.allowedTools(ALL)).toContain('a');
    s.register('a');
    expect(s.allowedTools(ALL)).not.toContain('a');
  });

  it('exit_loop, continue_loop, required_before_exit, requires_approval flags', () => {
    const s = new ToolRulesSolver([
      { type: 'exit_loop', tool_name: 'a' },
      { type: 'continue_loop', tool_name: 'b' },
      { type: 'required_before_exit', tool_name: 'c' },
      { type: 'requires_approval', tool_name: 'send_message' },
    ]);
    expect([
      s.isTerminal('a'),
      s.isTerminal('b'),
      s.isContinue('b'),
      s.requiresApproval('send_message'),
    ]).toEqual([true, false, true, true]);
    expect(s.uncalledRequired(ALL)).toEqual(['c']);
    s.register('c');
    expect(s.uncalledRequired(ALL)).toEqual([]);
    expect(s.describe()).toContain('Calling a ends your turn.');
  });
});

describe('tool rules in the loop', () => {
  const sys = systemMessage();
  const tools = ['a', 'b'].map((name) => ({
    name,
    description: name,
    parameters: { type: 'object', properties: {} },
  }));
  const executor = {
    execute: async (r: { name: string }) => ({ status: 'success' as const, funcReturn: `${r.name} ok` }),
  };

  it('exit_loop ends the run with stop_reason tool_rule', async () => {
    const h = harness([reply(null, [{ name: 'a' }])], { tools: executor });
    const agent = agentConfig('letta_v1_agent', {
      tools,
      toolRules: [{ type: 'exit_loop', tool_name: 'a' }],
    });
    const res = await runAgent({ agent, inContextMessages: [sys], input: userInput('x') }, h.ports);
    expect(res.stopReason).toBe('tool_rule');
    expect(h.llm.requests).toHaveLength(1);
  });

  it('run_first restricts the first request and forces a tool call', async () => {
    const h = harness([reply(null, [{ name: 'a' }]), reply('done')], { tools: executor });
    const agent = agentConfig('letta_v1_agent', {
      tools,
      toolRules: [{ type: 'run_first', tool_name: 'a' }],
    });
    await runAgent({ agent, inContextMessages: [sys], input: userInput('x') }, h.ports);
    expect(h.llm.requests[0].tools!.map((t) => t.name)).toEqual(['a']);
    expect(h.llm.requests[0].toolChoice).toBe('required');
    expect(h.llm.requests[1].tools!.map((t) => t.name)).toEqual(['a', 'b']);
  });

  it('a call that breaks the rules gets an error return and the loop continues', async () => {
    const h = harness([reply(null, [{ name: 'b' }]), reply(null, [{ name: 'a' }]), reply('done')], {
      tools: executor,
    });
    const agent = agentConfig('letta_v1_agent', {
      tools,
      toolRules: [{ type: 'run_first', tool_name: 'a' }],
    });
    const res = await runAgent({ agent, inContextMessages: [sys], input: userInput('x') }, h.ports);
    const firstReturn = JSON.parse(res.messages.find((m) => m.role === 'tool')!.toolReturns![0].funcResponse);
    expect(firstReturn).toMatchObject({ status: 'Failed' });
    expect(firstReturn.message).toMatch(/breaks the tool rules/);
    expect(res.stopReason).toBe('end_turn');
    expect(h.llm.requests).toHaveLength(3);
  });

  it('required_before_exit keeps the loop going until the tool ran', async () => {
    const h = harness([reply('bye'), reply(null, [{ name: 'b' }]), reply('bye now')], { tools: executor });
    const agent = agentConfig('letta_v1_agent', {
      tools,
      toolRules: [{ type: 'required_before_exit', tool_name: 'b' }],
    });
    const res = await runAgent({ agent, inContextMessages: [sys], input: userInput('x') }, h.ports);
    expect(res.stopReason).toBe('end_turn');
    expect(h.llm.requests).toHaveLength(3);
    expect(h.llm.requests[1].messages.at(-1)!.content).toMatch(/call b at least once/);
  });

  it('continue_loop on a memgpt agent continues without request_heartbeat', async () => {
    const h = harness(
      [
        reply(null, [{ name: 'a', args: { request_heartbeat: false } }]),
        reply(null, [{ name: 'send_message', args: { message: 'ok' } }]),
      ],
      { tools: executor },
    );
    const agent = agentConfig('memgpt_agent', {
      tools: [...tools, ...agentConfig('memgpt_agent').tools],
      toolRules: [{ type: 'continue_loop', tool_name: 'a' }],
    });
    const res = await runAgent({ agent, inContextMessages: [sys], input: userInput('x') }, h.ports);
    expect(res.stopReason).toBe('end_turn');
    expect(h.llm.requests).toHaveLength(2);
  });

  it('max_count_per_step drops the tool from later requests in the run', async () => {
    const h = harness([reply(null, [{ name: 'a' }]), reply('done')], { tools: executor });
    const agent = agentConfig('letta_v1_agent', {
      tools,
      toolRules: [{ type: 'max_count_per_step', tool_name: 'a', max_count_limit: 1 }],
    });
    await runAgent({ agent, inContextMessages: [sys], input: userInput('x') }, h.ports);
    expect(h.llm.requests[1].tools!.map((t) => t.name)).toEqual(['b']);
  });

  it('conditional rule picks the next tool from the output', async () => {
    const h = harness([reply(null, [{ name: 'a' }]), reply('done')], { tools: executor });
    const agent = agentConfig('letta_v1_agent', {
      tools,
      toolRules: [{ type: 'conditional', tool_name: 'a', child_output_mapping: { 'a ok': 'b' } }],
    });
    await runAgent({ agent, inContextMessages: [sys], input: userInput('x') }, h.ports);
    expect(h.llm.requests[1].tools!.map((t) => t.name)).toEqual(['b']);
    expect(h.llm.requests[1].toolChoice).toBe('required');
  });
});
