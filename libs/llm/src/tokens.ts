/**
 * Token counting with tiktoken's o200k_base encoding (GPT-4o and later). For other providers
 * the figure is an estimate, which is all context-window budgeting needs; the provider's own
 * usage report stays the source of truth for billing.
 *
 * The encoding tables ship inside js-tiktoken (no download) and take a few MB, so the encoder
 * is built on first use and shared.
 */
import { Tiktoken, TiktokenBPE } from 'js-tiktoken/lite';
import { LlmMessage, LlmToolDefinition } from './types';

let encoder: Tiktoken | undefined;

function getEncoder(): Tiktoken {
  if (!encoder) {
    // Loaded lazily and by subpath so only this one table is read (the package index loads all).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ranks = require('js-tiktoken/ranks/o200k_base') as TiktokenBPE & { default?: TiktokenBPE };
    encoder = new Tiktoken(ranks.default ?? ranks);
  }
  return encoder;
}

/** Tokens in a piece of text. */
export function countTokens(text: string): number {
  if (!text) return 0;
  return getEncoder().encode(text).length;
}

/** Per-message framing overhead in the chat format (role markers and separators). */
const TOKENS_PER_MESSAGE = 3;
/** Every reply is primed with `<|start|>assistant<|message|>`. */
const REPLY_PRIMING = 3;

/**
 * Tokens a chat request will take: message contents, tool calls and tool results, plus the
 * framing the chat format adds, plus the tool definitions (counted as their JSON).
 */
export function countMessages(messages: LlmMessage[], tools?: LlmToolDefinition[]): number {
  let total = REPLY_PRIMING;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + countTokens(message.role);
    switch (message.role) {
      case 'system':
        total += countTokens(message.content);
        break;
      case 'user':
        total += countTokens(message.content);
        if (message.name) total += countTokens(message.name) + 1;
        break;
      case 'assistant':
        total += countTokens(message.content ?? '');
        for (const call of message.toolCalls ?? []) {
          total += TOKENS_PER_MESSAGE + countTokens(call.name) + countTokens(call.arguments);
        }
        break;
      case 'tool':
        total += countTokens(message.content) + countTokens(message.name);
        break;
    }
  }
  if (tools && tools.length > 0) total += countTools(tools);
  return total;
}

/** Tokens the tool definitions add to a request. */
export function countTools(tools: LlmToolDefinition[]): number {
  let total = 0;
  for (const tool of tools) {
    total += TOKENS_PER_MESSAGE + countTokens(tool.name) + countTokens(tool.description);
    total += countTokens(JSON.stringify(tool.parameters));
  }
  return total;
}
