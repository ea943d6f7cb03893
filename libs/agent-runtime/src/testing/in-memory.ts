/** In-memory ports and a scripted LLM for the unit tests of this library (not exported by index). */
import type { LlmClient, LlmRequest, LlmResponse, LlmStreamEvent, LlmToolCall } from '@engram/llm/types';
import type { AgentMessage } from '../messages';
import type {
  ArchivalPort,
  EventSink,
  IdGenerator,
  LettaStreamChunk,
  MemoryBlock,
  MemoryPort,
  MessageStorePort,
  Passage,
  PersistStepInput,
  RecallPort,
  ToolExecutorPort,
} from '../ports';
import { MemoryEditError } from '../ports';
import type { AgentConfig, AgentPorts } from '../runtime-types';
import { BASE_TOOL_SPECS } from '../tools/definitions';
import { baseToolsFor } from '../tools/agent-types';

export type Script = LlmResponse | Error | ((req: LlmRequest) => LlmResponse | Error);

export function reply(
  content: string | null,
  toolCalls: Array<Partial<LlmToolCall> & { name: string; args?: unknown }> = [],
  extra: Partial<LlmResponse> = {},
): LlmResponse {
  return {
    model: 'test-model',
    content,
    toolCalls: toolCalls.map((c, i) => ({
      id: c.id ?? `call_${i}_${Math.random().toString(36).slice(2, 8)}`,
      name: c.name,
      arguments: c.arguments ?? JSON.stringify(c.args ?? {}),
    })),
    finishReason: toolCalls.length ? 'tool_calls' : 'stop',
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    ...extra,
  };
}

export class ScriptedLlm implements LlmClient {
  readonly provider = 'scripted';
  readonly requests: LlmRequest[] = [];
  constructor(private readonly script: Script[]) {}

  private nextResponse(req: LlmRequest): LlmResponse {
    this.requests.push(req);
    const item = this.script.shift();
    if (!item) throw new Error('ScriptedLlm: script exhausted');
    const r = typeof item === 'function' ? item(req) : item;
    if (r instanceof Error) throw r;
    return r;
  }

  async complete(req: LlmRequest): Promise<LlmResponse> {
    return this.nextResponse(req);
  }

  async *stream(req: LlmRequest): AsyncIterable<LlmStreamEvent> {
    const r = this.nextResponse(req);
    if (r.reasoning) yield { type: 'reasoning_delta', delta: r.reasoning };
    for (const chunk of (r.content ?? '').match(/.{1,4}/gs) ?? [])
      yield { type: 'content_delta', delta: chunk };
    for (const [index, c] of r.toolCalls.entries())
      yield { type: 'tool_call_delta', index, id: c.id, name: c.name, argumentsDelta: c.arguments };
    yield { type: 'done', response: r };
  }
}

export class InMemoryMemory implements MemoryPort {
  constructor(public blocks: MemoryBlock[]) {}
  async getBlocks(): Promise<MemoryBlock[]> {
    return this.blocks.map((b) => ({ ...b }));
  }
  async updateBlockValue(label: string, value: string): Promise<MemoryBlock> {
    const b = this.blocks.find((x) => x.label === label);
    if (!b) throw new MemoryEditError(`No block '${label}'`, 'not_found');
    b.value = value;
    b.updatedAt = new Date();
    return { ...b };
  }
}

export class InMemoryArchival implements ArchivalPort {
  passages: Passage[] = [];
  async insert(text: string, tags?: string[]): Promise<Passage> {
    const p = {
      id: `passage-${this.passages.length + 1}`,
      text,
      tags: tags ?? [],
      createdAt: new Date('2025-01-01T00:00:00Z'),
    };
    this.passages.push(p);
    return p;
  }
  async search(query: string): Promise<Passage[]> {
    return this.passages.filter((p) => p.text.toLowerCase().includes(query.toLowerCase()));
  }
  async count(): Promise<number> {
    return this.passages.length;
  }
  async listTags(): Promise<string[]> {
    return [...new Set(this.passages.flatMap((p) => p.tags ?? []))];
  }
}

export class InMemoryStore implements MessageStorePort {
  readonly steps: PersistStepInput[] = [];
  readonly messages: AgentMessage[] = [];
  async persistStep(input: PersistStepInput): Promise<void> {
    this.steps.push(input);
    this.messages.push(...input.messages);
  }
}

export class RecordingSink implements EventSink {
  readonly events: LettaStreamChunk[] = [];
  emit(e: LettaStreamChunk): void {
    this.events.push(e);
  }
  types(): string[] {
    return this.events.map((e) => e.message_type ?? '?');
  }
}

export function sequentialIds(): IdGenerator {
  let n = 0;
  return {
    next: (prefix) => {
      n += 1;
      const hex = n.toString(16).padStart(12, '0');
      return `${prefix === 'tool_call' ? 'call' : prefix}-00000000-0000-4000-8000-${hex}`;
    },
  };
}

export const fixedClock = { now: () => new Date('2025-03-04T12:00:00Z') };

export function systemMessage(text = 'You are a helpful agent.'): AgentMessage {
  return {
    id: 'message-00000000-0000-4000-8000-aaaaaaaaaaaa',
    role: 'system',
    content: [{ type: 'text', text }],
    createdAt: new Date('2025-01-01T00:00:00Z'),
  };
}

export function agentConfig(agentType: string, extra: Partial<AgentConfig> = {}): AgentConfig {
  return {
    id: 'agent-1',
    agentType,
    system: 'You are a test agent.',
    model: 'test-model',
    contextWindow: 100_000,
    timezone: 'UTC',
    tools: baseToolsFor(agentType).map((n) => BASE_TOOL_SPECS[n]),
    ...extra,
  };
}

export interface Harness {
  llm: ScriptedLlm;
  memory: InMemoryMemory;
  archival: InMemoryArchival;
  store: InMemoryStore;
  sink: RecordingSink;
  ports: AgentPorts;
}

export function harness(
  script: Script[],
  opts: { blocks?: MemoryBlock[]; tools?: ToolExecutorPort; recall?: RecallPort } = {},
): Harness {
  const llm = new ScriptedLlm(script);
  const memory = new InMemoryMemory(
    opts.blocks ?? [{ label: 'human', value: 'Name: Ada', limit: 100, description: 'About the user' }],
  );
  const archival = new InMemoryArchival();
  const store = new InMemoryStore();
  const sink = new RecordingSink();
  return {
    llm,
    memory,
    archival,
    store,
    sink,
    ports: {
      llm,
      memory,
      archival,
      store,
      events: sink,
      clock: fixedClock,
      ids: sequentialIds(),
      tools: opts.tools,
      recall: opts.recall,
    },
  };
}

export const userInput = (text: string) => [{ role: 'user' as const, content: text }];
