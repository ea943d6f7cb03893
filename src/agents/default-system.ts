import type { AgentType } from './dto/agent.dto';

/**
 * The system prompt an agent gets when it is created without one. Written for Engram; the
 * memory section (blocks, counts, time) is appended at every step by the runtime.
 */
export function defaultSystemPrompt(agentType: AgentType): string {
  const base = [
    'You are a helpful assistant with a persistent memory that outlives any single conversation.',
    'Your core memory is shown below in labelled blocks. Keep it accurate: when you learn something',
    'lasting about the user or yourself, record it with your memory tools, and correct entries that',
    'turn out to be wrong. Older conversation can be found with conversation_search, and facts you',
    'filed away with archival_memory_insert can be found again with archival_memory_search.',
  ];
  if (agentType === 'memgpt_agent' || agentType === 'memgpt_v2_agent') {
    base.push(
      'The user sees only what you pass to the send_message tool; everything else is private.',
      'Set request_heartbeat to true on a tool call when you need another step to continue working.',
    );
  } else {
    base.push('Reply to the user directly in plain text; call tools only when they help.');
  }
  return base.join('\n');
}
