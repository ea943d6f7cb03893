/** Agent types the loop supports and the base tools each gets by default (as Letta assigns them). */
import type { ToolRule } from '../tool-rules';

export type AgentType = 'letta_v1_agent' | 'memgpt_v2_agent' | 'memgpt_agent';

export const AGENT_TYPES: AgentType[] = ['letta_v1_agent', 'memgpt_v2_agent', 'memgpt_agent'];

/** Agents that reply through `send_message` and chain steps with `request_heartbeat`. */
export function isMemgptStyle(agentType: string): boolean {
  return agentType === 'memgpt_agent' || agentType === 'memgpt_v2_agent';
}

const SEARCH_TOOLS = ['conversation_search', 'archival_memory_insert', 'archival_memory_search'];

export function baseToolsFor(agentType: string): string[] {
  switch (agentType) {
    case 'memgpt_agent':
      return ['send_message', ...SEARCH_TOOLS, 'core_memory_append', 'core_memory_replace'];
    case 'memgpt_v2_agent':
      return ['send_message', ...SEARCH_TOOLS, 'memory_replace', 'memory_insert'];
    default:
      return [...SEARCH_TOOLS, 'memory_replace', 'memory_insert'];
  }
}

/** Rules Letta adds at agent creation: memgpt agents end their turn on `send_message`. */
export function baseToolRulesFor(agentType: string): ToolRule[] {
  return isMemgptStyle(agentType) ? [{ type: 'exit_loop', tool_name: 'send_message' }] : [];
}
