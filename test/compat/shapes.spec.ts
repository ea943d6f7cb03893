import Letta from '@letta-ai/letta-client';
import type { EmbeddingModel, ProviderType } from '@letta-ai/letta-client/resources/models/models';
import { EMBEDDING_ENDPOINT_TYPES, PROVIDER_TYPES } from '../../src/models/models.response';
import { useLlmApp } from '../support/app';

/**
 * Our enums must be the client's, value for value (a value outside them breaks typed clients):
 * checked by the compiler, both ways.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type EnumsMatch = Assert<
  | Same<(typeof PROVIDER_TYPES)[number], ProviderType>
  | Same<(typeof EMBEDDING_ENDPOINT_TYPES)[number], EmbeddingModel['embedding_endpoint_type']>
>;

const APPROVE_ME = 'export function launch(target: string): string { return `launched ${target}`; }';

/** Shapes the official client found wrong (issue 13), each read back through the client. */
describe('compat: response shapes', () => {
  const ctx = useLlmApp('compat-shapes', { fake: { defaultReply: { content: 'ok' } } });
  let client: Letta;
  beforeAll(() => {
    client = ctx.client();
  });

  it('summarize answers a CompactionResponse', async () => {
    const agent = await client.agents.create({ model: 'openai/gpt-4o-mini' });
    for (const text of ['one', 'two', 'three']) {
      ctx.fake.enqueue({ content: `reply ${text}` });
      await client.agents.messages.create(agent.id, { messages: [{ role: 'user', content: text }] });
    }
    ctx.fake.enqueue({ content: 'The user counted to three.' });
    const res = await client.agents.messages.compact(agent.id, {});
    expect(Object.keys(res).sort()).toEqual(['num_messages_after', 'num_messages_before', 'summary']);
    expect(res.summary).toBe('The user counted to three.');
    expect(res.num_messages_before).toBe(7);
    expect(res.num_messages_after).toBeLessThan(res.num_messages_before);
    const after = await client.agents.retrieve(agent.id);
    expect(after.message_ids).toHaveLength(res.num_messages_after);
  });

  it('embedding models and configs use the client’s enums and the real vector size', async () => {
    const models = await client.models.embeddings.list();
    expect(models.length).toBeGreaterThan(0);
    for (const m of models) {
      expect(PROVIDER_TYPES).toContain(m.provider_type);
      expect(EMBEDDING_ENDPOINT_TYPES).toContain(m.embedding_endpoint_type);
    }
    const local = models.find((m) => m.handle === 'local/hash-embedding-v1');
    expect(local).toMatchObject({ embedding_dim: 384, provider_type: 'hugging-face' });
    for (const m of await client.models.list()) expect(PROVIDER_TYPES).toContain(m.provider_type);

    const agent = await client.agents.create({
      model: 'openai/gpt-4o-mini',
      embedding: 'openai/text-embedding-3-large',
    });
    expect(agent.embedding_config).toMatchObject({
      embedding_endpoint_type: 'openai',
      embedding_model: 'text-embedding-3-large',
      embedding_dim: 3072,
    });
    const plain = await client.agents.create({ model: 'openai/gpt-4o-mini' });
    expect(plain.embedding_config).toMatchObject({
      embedding_endpoint_type: 'hugging-face',
      embedding_dim: 384,
    });
  });

  it('memory.prompt_template is the template of the memory section', async () => {
    const agent = await client.agents.create({
      model: 'openai/gpt-4o-mini',
      memory_blocks: [{ label: 'human', value: 'Sam' }],
    });
    expect(agent.memory.prompt_template).toContain('{% for block in blocks %}');
    expect(agent.memory.prompt_template).toContain('<memory_blocks>');
  });

  it('pending_approval is set while an approval waits, and the response names the request message', async () => {
    const tool = await client.tools.create({
      source_code: APPROVE_ME,
      source_type: 'typescript',
      default_requires_approval: true,
    });
    const agent = await client.agents.create({ model: 'openai/gpt-4o-mini' });
    await client.agents.tools.attach(tool.id, { agent_id: agent.id });
    expect((await client.agents.retrieve(agent.id)).pending_approval ?? null).toBeNull();

    ctx.fake.enqueue({ toolCalls: [{ id: 'call_launch', name: 'launch', arguments: { target: 'moon' } }] });
    const asked = await client.agents.messages.create(agent.id, {
      messages: [{ role: 'user', content: 'launch it' }],
    });
    expect(asked.stop_reason.stop_reason).toBe('requires_approval');
    const request = asked.messages.find((m) => m.message_type === 'approval_request_message');
    expect(request).toBeDefined();

    const waiting = await client.agents.retrieve(agent.id);
    expect(waiting.pending_approval).toMatchObject({
      id: request!.id,
      message_type: 'approval_request_message',
      tool_call: { name: 'launch', tool_call_id: 'call_launch' },
    });
    const listed = await client.agents.list({ name: agent.name });
    expect(listed.items[0]?.pending_approval?.id).toBe(request!.id);

    ctx.fake.enqueue({ content: 'Launched.' });
    const done = await client.agents.messages.create(agent.id, {
      messages: [
        { type: 'approval', approvals: [{ type: 'approval', tool_call_id: 'call_launch', approve: true }] },
      ],
    });
    expect(done.stop_reason.stop_reason).toBe('end_turn');
    const response = done.messages.find((m) => m.message_type === 'approval_response_message');
    expect(response && 'approval_request_id' in response ? response.approval_request_id : undefined).toBe(
      request!.id,
    );
    expect((await client.agents.retrieve(agent.id)).pending_approval ?? null).toBeNull();
  });

  it('step metrics report where the step’s time went', async () => {
    const tool = await client.tools.create({
      source_code:
        'export function wait_a_bit(ms: number): string { const end = Date.now() + ms; while (Date.now() < end) {} return "waited"; }',
      source_type: 'typescript',
    });
    const agent = await client.agents.create({ model: 'openai/gpt-4o-mini', tool_ids: [tool.id] });
    ctx.fake.enqueue({ toolCalls: [{ name: 'wait_a_bit', arguments: { ms: 30 } }] }, { content: 'done' });
    const res = await client.agents.messages.create(agent.id, {
      messages: [{ role: 'user', content: 'wait' }],
    });
    const runId = res.messages[0]?.run_id;
    expect(runId).toBeTruthy();
    const steps = await client.runs.steps.list(runId!, { order: 'asc' });
    expect(steps.items).toHaveLength(2);
    const [toolStep, replyStep] = await Promise.all(
      steps.items.map((s) => client.steps.metrics.retrieve(s.id)),
    );
    for (const m of [toolStep, replyStep]) {
      expect(m.step_ns).toBeGreaterThan(0);
      expect(m.llm_request_ns).toBeGreaterThan(0);
      expect(m.llm_request_ns!).toBeLessThanOrEqual(m.step_ns!);
    }
    expect(toolStep.tool_execution_ns).toBeGreaterThanOrEqual(30_000_000);
    expect(toolStep.tool_execution_ns! + toolStep.llm_request_ns!).toBeLessThanOrEqual(toolStep.step_ns!);
    expect(replyStep.tool_execution_ns).toBe(0);
  });
});
