import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Principal } from '../common/auth/principal';
import { InvalidInputError } from '../common/errors';
import { RunRequest } from '../runs/run-request';
import { SendService } from '../runs/send.service';
import { ChatCompletionRequestDto } from './chat-completion.dto';

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p: { type?: string; text?: string }) =>
        p?.type === 'text' && typeof p.text === 'string' ? p.text : '',
      )
      .join('');
  return '';
}

/**
 * OpenAI-compatible chat completions over agents: the newest user message goes to the agent
 * named by `model` (its memory persists between calls; earlier messages in the request are
 * the client's copy of history, which the agent already holds). Only what the agent says to
 * the user comes back: its reasoning and tool steps stay inside.
 */
@Injectable()
export class OpenAiService {
  constructor(private readonly sends: SendService) {}

  private request(p: Principal, dto: ChatCompletionRequestDto, stream: boolean): RunRequest {
    // Letta reads `user` as the id of the user to act as; here the acting user comes from the
    // credentials (or the user_id header), so only that same id is accepted.
    if (dto.user !== undefined && dto.user !== p.userId)
      throw new InvalidInputError(
        `user: '${dto.user}' is not the acting user; act as another user with the user_id header or its credentials`,
        'unsupported_field',
      );
    const last = [...dto.messages].reverse().find((m) => m.role === 'user');
    const content = last ? text(last.content) : '';
    if (!content) throw new InvalidInputError('messages: needs a user message with text content');
    return {
      input: [{ role: 'user', content } as unknown as RunRequest['input'][number]],
      streamTokens: stream,
      includeReturnMessageTypes: ['assistant_message'],
    };
  }

  async complete(p: Principal, dto: ChatCompletionRequestDto) {
    const res = await this.sends.send(p, dto.model, this.request(p, dto, false));
    const content = res.messages
      .filter((m) => (m as { message_type?: string }).message_type === 'assistant_message')
      .map((m) => text((m as { content?: unknown }).content))
      .join('\n');
    return {
      id: `chatcmpl-${res.usage.run_ids[0]}`,
      object: 'chat.completion' as const,
      created: Math.floor(Date.now() / 1000),
      model: dto.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant' as const, content, refusal: null },
          finish_reason: finishReason(res.stop_reason.stop_reason),
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: res.usage.prompt_tokens,
        completion_tokens: res.usage.completion_tokens,
        total_tokens: res.usage.total_tokens,
      },
    };
  }

  /** ChatCompletionChunks: a role chunk, content deltas, a finish chunk (and usage when asked). */
  async stream(p: Principal, dto: ChatCompletionRequestDto) {
    const run = await this.sends.stream(p, dto.model, this.request(p, dto, true));
    const id = `chatcmpl-${run.runId}`;
    const created = Math.floor(Date.now() / 1000);
    const includeUsage = Boolean(dto.stream_options?.include_usage);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: dto.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
    async function* chunks() {
      yield chunk({ role: 'assistant', content: '' });
      let stop = 'end_turn';
      let usage: Record<string, number> | undefined;
      let lastOtid: string | undefined;
      for await (const c of run.chunks) {
        if (c.message_type === 'assistant_message') {
          // A new assistant message after an earlier one reads as a new line.
          const otid = c.otid as string | undefined;
          const sep = lastOtid !== undefined && otid !== lastOtid ? '\n' : '';
          lastOtid = otid;
          const piece = text(c.content);
          if (piece || sep) yield chunk({ content: sep + piece });
        } else if (c.message_type === 'stop_reason') stop = c.stop_reason as string;
        else if (c.message_type === 'usage_statistics') usage = c as unknown as Record<string, number>;
      }
      yield chunk({}, finishReason(stop));
      if (includeUsage && usage)
        yield {
          ...chunk({}),
          choices: [],
          usage: {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            total_tokens: usage.total_tokens,
          },
        };
    }
    return { chunks: chunks(), abandon: run.abandon, requestId: randomUUID() };
  }
}

function finishReason(stopReason: string): 'stop' | 'length' {
  return stopReason === 'max_steps' || stopReason === 'context_window_overflow_in_system_prompt'
    ? 'length'
    : 'stop';
}
