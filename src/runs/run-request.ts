import type { MessageInput } from '@engram/agent-runtime';

/** What a send asks for, after validation: the part of LettaRequest the runner uses. */
export interface RunRequest {
  input: MessageInput[];
  maxSteps?: number;
  useAssistantMessage?: boolean;
  assistantMessageToolName?: string;
  assistantMessageToolKwarg?: string;
  includeReturnMessageTypes?: string[] | null;
  streamTokens?: boolean;
  background?: boolean;
  /** The conversation to run in (its context instead of the agent's); checked by the caller. */
  conversationId?: string;
  /** The run's id, when the caller derives it (a scheduled firing, so a retry finds its run). */
  runId?: string;
}
