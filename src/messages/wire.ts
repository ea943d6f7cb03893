import { AgentMessage, isMemgptStyle, LettaMessageOptions } from '@engram/agent-runtime';
import type { AgentEntity } from '../agents/agent.entity';
import { newId } from '../common/ids';

/** How a request asks messages to be rendered (LettaRequest's assistant-message options). */
export interface WireRequest {
  useAssistantMessage?: boolean;
  assistantMessageToolName?: string;
  assistantMessageToolKwarg?: string;
}

/** Chunks every stream carries whatever include_return_message_types says. */
const ALWAYS = new Set(['stop_reason', 'usage_statistics', 'ping', 'error_message']);

export function typeFilter(types?: string[] | null) {
  if (!types?.length) return () => true;
  const allowed = new Set(types);
  return (chunk: unknown) => {
    const t = (chunk as { message_type?: string }).message_type ?? '';
    return ALWAYS.has(t) || allowed.has(t);
  };
}

export function wireOptions(agentType: string, req: WireRequest): LettaMessageOptions {
  return {
    useAssistantMessage: req.useAssistantMessage ?? true,
    assistantMessageToolName: req.assistantMessageToolName ?? 'send_message',
    assistantMessageToolKwarg: req.assistantMessageToolKwarg ?? 'message',
    textIsAssistantMessage: !isMemgptStyle(agentType),
  };
}

export function modelHandle(agent: Pick<AgentEntity, 'model' | 'llmConfig'>): string {
  return (
    agent.model ?? (agent.llmConfig.handle as string | undefined) ?? `openai/${String(agent.llmConfig.model)}`
  );
}

/** The first message of every agent: its system prompt (recompiled with memory at each step). */
export function systemMessage(agent: Pick<AgentEntity, 'system'>): AgentMessage {
  return {
    id: newId('message'),
    role: 'system',
    content: [{ type: 'text', text: agent.system }],
    createdAt: new Date(),
  };
}
