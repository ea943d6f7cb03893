import { toLettaMessages, DEFAULT_LETTA_MESSAGE_OPTIONS as OPTS } from './letta-messages';
import { fromLettaInput, toLlmMessages } from './message-input';
import { otidFor, type AgentMessage } from './messages';
import { fixedClock, sequentialIds } from './testing/in-memory';

const ID = 'message-6f1c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e00';
const at = new Date('2025-02-03T04:05:06.000Z');
const base = { id: ID, createdAt: at, runId: 'run-1', stepId: 'step-1' };
const common = {
  id: ID,
  date: '2025-02-03T04:05:06.000Z',
  run_id: 'run-1',
  step_id: 'step-1',
  name: null,
  sender_id: null,
  is_err: null,
};

describe('toLettaMessages', () => {
  it('assistant: reasoning + text (letta_v1) + tool call share the id with per-part otids', () => {
    const msg: AgentMessage = {
      ...base,
      role: 'assistant',
      content: [
        { type: 'reasoning', reasoning: 'think', isNative: true },
        { type: 'text', text: 'Hi' },
      ],
      toolCalls: [{ id: 'call_1', name: 'memory_insert', arguments: '{"label":"human"}' }],
    };
    expect(toLettaMessages(msg, { ...OPTS, textIsAssistantMessage: true })).toEqual([
      {
        ...common,
        otid: otidFor(ID, 0),
        message_type: 'reasoning_message',
        reasoning: 'think',
        source: 'reasoner_model',
        signature: null,
      },
      { ...common, otid: otidFor(ID, 1), message_type: 'assistant_message', content: 'Hi' },
      {
        ...common,
        otid: otidFor(ID, 2),
        message_type: 'tool_call_message',
        tool_call: { name: 'memory_insert', arguments: '{"label":"human"}', tool_call_id: 'call_1' },
        tool_calls: [{ name: 'memory_insert', arguments: '{"label":"human"}', tool_call_id: 'call_1' }],
      },
    ]);
    expect(otidFor(ID, 2)).toBe('6f1c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e02');
  });

  it('memgpt: text is inner thoughts, send_message is assistant_message, its return hidden', () => {
    const msg: AgentMessage = {
      ...base,
      role: 'assistant',
      content: [{ type: 'text', text: 'thinking' }],
      toolCalls: [
        { id: 'c1', name: 'send_message', arguments: '{"message":"Hello!","request_heartbeat":false}' },
      ],
    };
    const out = toLettaMessages(msg, OPTS);
    expect(out.map((m) => m.message_type)).toEqual(['reasoning_message', 'assistant_message']);
    expect(out[1]).toMatchObject({ content: 'Hello!', id: ID });
    const asToolCall = toLettaMessages(msg, { ...OPTS, useAssistantMessage: false });
    expect(asToolCall[1]).toMatchObject({
      message_type: 'tool_call_message',
      tool_call: { name: 'send_message' },
    });
    const ret: AgentMessage = {
      ...base,
      role: 'tool',
      name: 'send_message',
      toolCallId: 'c1',
      content: [],
      toolReturns: [
        { toolCallId: 'c1', status: 'success', funcResponse: '{"status":"OK","message":"Sent","time":"t"}' },
      ],
    };
    expect(toLettaMessages(ret, OPTS)).toEqual([]);
    expect(toLettaMessages(ret, { ...OPTS, useAssistantMessage: false })).toHaveLength(1);
  });

  it('tool return: unpacked message, status, ids, stdout/stderr and tool_returns', () => {
    const msg: AgentMessage = {
      ...base,
      role: 'tool',
      name: 'flaky',
      toolCallId: 'call_9',
      content: [],
      toolReturns: [
        {
          toolCallId: 'call_9',
          status: 'error',
          funcResponse: '{"status":"Failed","message":"Error: boom","time":"t"}',
          stdout: ['out'],
          stderr: ['err'],
        },
      ],
    };
    expect(toLettaMessages(msg, OPTS)).toEqual([
      {
        ...common,
        name: 'flaky',
        otid: otidFor(ID, 0),
        message_type: 'tool_return_message',
        tool_return: 'Error: boom',
        status: 'error',
        tool_call_id: 'call_9',
        stdout: ['out'],
        stderr: ['err'],
        tool_returns: [
          {
            type: 'tool',
            tool_call_id: 'call_9',
            status: 'error',
            tool_return: 'Error: boom',
            stdout: ['out'],
            stderr: ['err'],
          },
        ],
      },
    ]);
  });

  it('user, system, summary, approval request/response', () => {
    const user: AgentMessage = {
      ...base,
      role: 'user',
      content: [{ type: 'text', text: 'hi' }],
      otid: 'o1',
      name: 'ada',
      senderId: 'identity-1',
    };
    expect(toLettaMessages(user, OPTS)).toEqual([
      {
        ...common,
        otid: 'o1',
        name: 'ada',
        sender_id: 'identity-1',
        message_type: 'user_message',
        content: 'hi',
      },
    ]);
    const sys: AgentMessage = { ...base, role: 'system', content: [{ type: 'text', text: 'rules' }] };
    expect(toLettaMessages(sys, OPTS)[0]).toMatchObject({
      message_type: 'system_message',
      content: 'rules',
      id: ID,
    });
    const summary: AgentMessage = {
      ...base,
      role: 'summary',
      content: [{ type: 'text', text: '{"type":"system_alert","message":"S","time":"t"}' }],
    };
    expect(toLettaMessages(summary, OPTS)[0]).toMatchObject({ message_type: 'user_message', content: 'S' });
    expect(toLettaMessages(summary, { ...OPTS, summaryAsSummaryMessage: true })[0]).toMatchObject({
      message_type: 'summary_message',
      summary: 'S',
    });
    const request: AgentMessage = {
      ...base,
      role: 'approval',
      content: [],
      toolCalls: [{ id: 'c', name: 'deploy', arguments: '{}' }],
    };
    expect(toLettaMessages(request, OPTS)[0]).toMatchObject({
      message_type: 'approval_request_message',
      tool_call: { name: 'deploy', arguments: '{}', tool_call_id: 'c' },
      tool_calls: [{ name: 'deploy', arguments: '{}', tool_call_id: 'c' }],
    });
    const response: AgentMessage = {
      ...base,
      role: 'approval',
      content: [],
      approvals: [{ type: 'approval', toolCallId: 'c', approve: false, reason: 'no' }],
      approvalRequestId: 'message-request',
    };
    expect(toLettaMessages(response, OPTS)[0]).toMatchObject({
      message_type: 'approval_response_message',
      approvals: [{ type: 'approval', tool_call_id: 'c', approve: false, reason: 'no' }],
      approve: false,
      approval_request_id: 'message-request',
      reason: 'no',
    });
  });
});

describe('input and LLM conversion', () => {
  it('MessageCreate (string and parts) and ApprovalCreate become stored messages', () => {
    const out = fromLettaInput(
      [
        { role: 'user', content: 'hello', otid: 'o-1' },
        { role: 'system', content: [{ type: 'text', text: 'note' }] },
        { type: 'approval', approvals: [{ type: 'approval', tool_call_id: 'c', approve: true }] },
      ],
      { ids: sequentialIds(), clock: fixedClock, runId: 'run-1' },
    );
    expect(out[0]).toMatchObject({
      role: 'user',
      content: [{ type: 'text', text: 'hello' }],
      otid: 'o-1',
      runId: 'run-1',
      createdAt: fixedClock.now(),
    });
    expect(out[0].id).toMatch(/^message-/);
    expect(out[1]).toMatchObject({ role: 'system', content: [{ type: 'text', text: 'note' }] });
    expect(out[2]).toMatchObject({
      role: 'approval',
      approvals: [{ type: 'approval', toolCallId: 'c', approve: true, reason: null }],
    });
  });

  it('stored messages → LlmMessage[] with the compiled system prompt and packed tool returns', () => {
    const msgs: AgentMessage[] = [
      { id: 'message-s', role: 'system', content: [{ type: 'text', text: 'old' }], createdAt: at },
      { id: 'message-u', role: 'user', content: [{ type: 'text', text: 'hi' }], createdAt: at },
      {
        id: 'message-a',
        role: 'assistant',
        content: [{ type: 'text', text: 'ok' }],
        toolCalls: [{ id: 'c', name: 't', arguments: '{}' }],
        createdAt: at,
      },
      {
        id: 'message-t',
        role: 'tool',
        name: 't',
        toolCallId: 'c',
        content: [],
        toolReturns: [{ toolCallId: 'c', status: 'success', funcResponse: '{"status":"OK"}' }],
        createdAt: at,
      },
    ];
    expect(toLlmMessages(msgs, 'NEW SYSTEM')).toEqual([
      { role: 'system', content: 'NEW SYSTEM' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'ok', toolCalls: [{ id: 'c', name: 't', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'c', name: 't', content: '{"status":"OK"}' },
    ]);
  });
});
