/**
 * Neutral chat messages → Anthropic Messages API input. Anthropic differs from the OpenAI
 * shape in ways that matter: the system prompt is a separate field, tool calls are
 * `tool_use` blocks in assistant turns, tool results are `tool_result` blocks in *user* turns,
 * and roles must alternate (so consecutive same-role turns are merged into one).
 */
import type {
  ContentBlockParam,
  MessageParam,
  Tool,
  ToolChoice,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages/messages';
import { LlmMessage, LlmRequest, LlmToolDefinition } from './types';

export interface AnthropicInput {
  system?: string;
  messages: MessageParam[];
}

/** Placeholder turn when a conversation would otherwise start with the assistant. */
const CONTINUE_PLACEHOLDER = '(continue)';

export function toAnthropicInput(messages: LlmMessage[]): AnthropicInput {
  const system: string[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; content: ContentBlockParam[] }> = [];

  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: [...blocks] });
  };

  for (const message of messages) {
    switch (message.role) {
      case 'system':
        if (message.content) system.push(message.content);
        break;
      case 'user':
        push('user', textBlocks(message.content));
        break;
      case 'assistant': {
        const blocks: ContentBlockParam[] = textBlocks(message.content ?? '');
        for (const call of message.toolCalls ?? []) {
          blocks.push({
            type: 'tool_use',
            id: call.id,
            name: call.name,
            input: parseArguments(call.arguments),
          });
        }
        push('assistant', blocks);
        break;
      }
      case 'tool':
        push('user', [
          { type: 'tool_result', tool_use_id: message.toolCallId, content: message.content || ' ' },
        ]);
        break;
    }
  }

  for (const turn of turns) {
    // In a user turn that answers tool calls, Anthropic wants every tool_result before any text.
    if (turn.role === 'user') turn.content = toolResultsFirst(turn.content);
  }
  if (turns.length === 0 || turns[0].role !== 'user') {
    turns.unshift({ role: 'user', content: [{ type: 'text', text: CONTINUE_PLACEHOLDER }] });
  }

  return {
    system: system.length > 0 ? system.join('\n\n') : undefined,
    messages: turns.map((t) => ({ role: t.role, content: t.content })),
  };
}

export function toAnthropicTools(tools: LlmToolDefinition[]): Tool[] {
  return tools.map((t) => ({
    name: t.name,
    description: t.description,
    // Anthropic requires an object schema at the top level.
    input_schema: { type: 'object', ...t.parameters } as Tool['input_schema'],
  }));
}

export function toAnthropicToolChoice(request: LlmRequest): ToolChoice | undefined {
  const choice = request.toolChoice;
  const noParallel = request.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (!choice) return request.parallelToolCalls === false ? { type: 'auto', ...noParallel } : undefined;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...noParallel };
  if (choice === 'required') return { type: 'any', ...noParallel };
  return { type: 'tool', name: choice.name, ...noParallel };
}

function textBlocks(text: string): ContentBlockParam[] {
  // Anthropic rejects empty text blocks.
  return text.trim().length > 0 ? [{ type: 'text', text }] : [];
}

/** Model-written arguments may be invalid JSON; Anthropic needs an object, so keep the raw text. */
function parseArguments(raw: string): Record<string, unknown> {
  if (!raw) return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  return { raw_arguments: raw };
}

function toolResultsFirst(blocks: ContentBlockParam[]): ContentBlockParam[] {
  const results = blocks.filter((b): b is ToolResultBlockParam => b.type === 'tool_result');
  if (results.length === 0 || results.length === blocks.length) return blocks;
  return [...results, ...blocks.filter((b) => b.type !== 'tool_result')];
}
