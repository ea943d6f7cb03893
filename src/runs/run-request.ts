import type { ClientTool, MessageInput } from '@engram/agent-runtime';

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
  /** A model handle used for this run instead of the agent's (Letta's `override_model`). */
  overrideModel?: string;
  /** Sent to the LLM instead of the compiled system prompt (Letta's `override_system`). */
  overrideSystem?: string;
  clientTools?: ClientTool[];
  /** POSTed the run's result when it ends (from the `run-callbacks` queue, with retries). */
  callbackUrl?: string;
  logprobs?: { topLogprobs?: number };
  includeCompactionMessages?: boolean;
}
