import { AgentStateConflictError, runAgent } from './agent-loop';
import type { AgentMessage } from './messages';
import { agentConfig, harness, reply, systemMessage, userInput } from './testing/in-memory';

const sys = systemMessage();
const tools = [
  {
    name: 'deploy',
    description: 'Deploy',
    parameters: { type: 'object', properties: { env: { type: 'string' } } },
  },
];
const agent = agentConfig('letta_v1_agent', {
  tools,
  toolRules: [{ type: 'requires_approval', tool_name: 'deploy' }],
});

async function requestApproval() {
  const calls: unknown[] = [];
  const executor = {
    execute: async (r: { args: unknown }) => (
      calls.push(r.args),
      { status: 'success' as const, funcReturn: 'deployed' }
    ),
  };
  const h = harness([reply('I will deploy.', [{ id: 'call_dep', name: 'deploy', args: { env: 'prod' } }])], {
    tools: executor,
  });
  const res = await runAgent({ agent, inContextMessages: [sys], input: userInput('ship it') }, h.ports);
  return { h, res, calls, executor };
}

describe('approvals', () => {
  it('stops with requires_approval and persists the approval request without running the tool', async () => {
    const { h, res, calls } = await requestApproval();
    expect(res.stopReason).toBe('requires_approval');
    expect(calls).toEqual([]);
    const request = res.messages[1];
    expect(request).toMatchObject({ role: 'approval', toolCalls: [{ id: 'call_dep', name: 'deploy' }] });
    expect(h.store.steps).toHaveLength(1);
    expect(h.store.steps[0].stopReason).toBe('requires_approval');
    const req = h.sink.events.find((e) => e.message_type === 'approval_request_message') as {
      tool_call: unknown;
      tool_calls: unknown[];
      id: string;
    };
    expect(req.id).toBe(request.id);
    expect(req.tool_call).toEqual({ name: 'deploy', arguments: '{"env":"prod"}', tool_call_id: 'call_dep' });
    expect(req.tool_calls).toHaveLength(1);
  });

  async function resume(context: AgentMessage[], approval: unknown, script = [reply('Deployed!')]) {
    const calls: unknown[] = [];
    const executor = {
      execute: async (r: { args: unknown }) => (
        calls.push(r.args),
        { status: 'success' as const, funcReturn: 'deployed' }
      ),
    };
    const h = harness(script, { tools: executor });
    const res = await runAgent({ agent, inContextMessages: context, input: [approval as never] }, h.ports);
    return { h, res, calls };
  }

  it('approve: runs the tool, then continues the loop', async () => {
    const first = await requestApproval();
    const context = [sys, ...first.res.messages];
    const { h, res, calls } = await resume(context, {
      type: 'approval',
      approvals: [{ type: 'approval', tool_call_id: 'call_dep', approve: true }],
    });
    expect(calls).toEqual([{ env: 'prod' }]);
    expect(res.stopReason).toBe('end_turn');
    expect(res.messages.map((m) => m.role)).toEqual(['approval', 'tool', 'assistant']);
    expect(res.messages[1].toolReturns![0]).toMatchObject({ toolCallId: 'call_dep', status: 'success' });
    expect(h.store.steps).toHaveLength(2);
    expect(h.store.steps[0].messages.map((m) => m.role)).toEqual(['approval', 'tool']);
    expect(h.store.steps[0].inContextMessageIds).toEqual([
      ...context.map((m) => m.id),
      res.messages[0].id,
      res.messages[1].id,
    ]);
    // the LLM sees assistant tool call → tool return, and nothing for the approval response
    const roles = h.llm.requests[0].messages.map((m) => m.role);
    expect(roles).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(h.sink.types().slice(0, 2)).toEqual(['tool_return_message', 'assistant_message']);
  });

  it('deny: a failed tool return carrying the reason, and the model continues', async () => {
    const first = await requestApproval();
    const { h, res, calls } = await resume(
      [sys, ...first.res.messages],
      {
        type: 'approval',
        approvals: [{ type: 'approval', tool_call_id: 'call_dep', approve: false, reason: 'not on Friday' }],
      },
      [reply('Okay, I will not deploy.')],
    );
    expect(calls).toEqual([]);
    const ret = res.messages.find((m) => m.role === 'tool')!.toolReturns![0];
    expect(ret.status).toBe('error');
    expect(JSON.parse(ret.funcResponse).message).toMatch(/denied.*not on Friday/);
    expect(res.stopReason).toBe('end_turn');
    expect(h.llm.requests).toHaveLength(1);
  });

  it('refuses a new user message while an approval is pending, and an approval with nothing pending', async () => {
    const first = await requestApproval();
    const h = harness([]);
    await expect(
      runAgent(
        { agent, inContextMessages: [sys, ...first.res.messages], input: userInput('hello?') },
        h.ports,
      ),
    ).rejects.toBeInstanceOf(AgentStateConflictError);
    await expect(
      runAgent(
        {
          agent,
          inContextMessages: [sys],
          input: [{ type: 'approval', approvals: [{ tool_call_id: 'x', approve: true }] }],
        },
        h.ports,
      ),
    ).rejects.toMatchObject({ code: 'no_pending_approval' });
  });
});
