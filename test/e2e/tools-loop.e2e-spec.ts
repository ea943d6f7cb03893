import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

const MODEL = 'openai/gpt-4o-mini';

const ROLL =
  'import os\ndef roll(n: int) -> str:\n    """Rolls n dice."""\n    return f"rolled {n} for {os.environ.get(\'PLAYER\', \'nobody\')}"\n';
const ECHO = 'export function echo_it(text: string): string { return `echo: ${text}`; }';
const DEPLOY = 'def deploy(env: str) -> str:\n    """Deploys."""\n    return f"deployed to {env}"\n';

type Msg = Record<string, any>;

/** Custom tools, tool rules and approvals through the agent loop, the LLM being the fake server. */
describe('tools in the agent loop (e2e)', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };
  const toolIds: Record<string, string> = {};

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start({ defaultReply: { content: 'default reply' } });
    t = await startTestApp({ OPENAI_API_KEY: 'test', OPENAI_BASE_URL: fake.baseUrl });
    api = await newTenant(new Api(t.baseUrl), 'tools-loop');
    for (const [source_code, source_type, extra] of [
      [ROLL, 'python', {}],
      [ECHO, 'typescript', {}],
      [DEPLOY, 'python', { default_requires_approval: true }],
    ] as const) {
      const r = await api.post('/v1/tools', { source_code, source_type, ...extra });
      expect(r.status).toBe(200);
      toolIds[r.body.name] = r.body.id;
    }
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  async function agent(body: Record<string, unknown> = {}) {
    const r = await api.post('/v1/agents', {
      model: MODEL,
      tool_ids: [toolIds.roll, toolIds.echo_it],
      ...body,
    });
    expect(r.status).toBe(200);
    return r.body;
  }
  const send = (agentId: string, messages: unknown[]) =>
    api.post(`/v1/agents/${agentId}/messages`, { messages });
  const offered = (i: number): string[] =>
    (fake.chatRequests[i].body.tools ?? [])
      .map((x: { function: { name: string } }) => x.function.name)
      .sort();
  const returns = (messages: Msg[]) => messages.filter((m) => m.message_type === 'tool_return_message');

  it('runs a custom tool the agent calls, in the sandbox, with the agent secret', async () => {
    const a = await agent({ secrets: { PLAYER: 'ada' } });
    fake.enqueue({ toolCalls: [{ name: 'roll', arguments: { n: 3 } }] }, { content: 'done' });
    const r = await send(a.id, [{ role: 'user', content: 'roll three' }]);
    expect(r.status).toBe(200);
    expect(returns(r.body.messages)).toEqual([
      expect.objectContaining({ status: 'success', tool_return: 'rolled 3 for ada', name: 'roll' }),
    ]);
    expect(r.body.stop_reason.stop_reason).toBe('end_turn');
    expect(offered(0)).toEqual(expect.arrayContaining(['echo_it', 'roll']));
    // The model saw the tool's return in the next request.
    expect(JSON.stringify(fake.chatRequests[1].body.messages)).toContain('rolled 3 for ada');
  });

  it('a terminal rule ends the run after the tool, with stop reason tool_rule', async () => {
    const a = await agent({ tool_rules: [{ type: 'exit_loop', tool_name: 'roll' }] });
    fake.enqueue({ toolCalls: [{ name: 'roll', arguments: { n: 1 } }] });
    const r = await send(a.id, [{ role: 'user', content: 'roll once' }]);
    expect(r.body.stop_reason.stop_reason).toBe('tool_rule');
    expect(returns(r.body.messages)).toHaveLength(1);
    expect(fake.chatRequests).toHaveLength(1);
  });

  it('an init rule offers only that tool first; a child rule restricts the next tools', async () => {
    const a = await agent({
      tool_rules: [
        { type: 'run_first', tool_name: 'roll' },
        { type: 'constrain_child_tools', tool_name: 'roll', children: ['echo_it'] },
      ],
    });
    fake.enqueue(
      { toolCalls: [{ name: 'roll', arguments: { n: 2 } }] },
      { toolCalls: [{ name: 'echo_it', arguments: { text: 'hi' } }] },
      { content: 'all done' },
    );
    const r = await send(a.id, [{ role: 'user', content: 'go' }]);
    expect(r.status).toBe(200);
    expect(offered(0)).toEqual(['roll']);
    expect(offered(1)).toEqual(['echo_it']);
    expect(returns(r.body.messages).map((m) => m.tool_return)).toEqual(['rolled 2 for nobody', 'echo: hi']);
    expect(r.body.stop_reason.stop_reason).toBe('end_turn');
  });

  describe('approvals', () => {
    async function pending() {
      const a = await agent();
      const attached = await api.patch(`/v1/agents/${a.id}/tools/attach/${toolIds.deploy}`);
      expect(attached.body.tool_rules).toContainEqual({ type: 'requires_approval', tool_name: 'deploy' });
      fake.enqueue({ toolCalls: [{ id: 'call_deploy_1', name: 'deploy', arguments: { env: 'prod' } }] });
      const r = await send(a.id, [{ role: 'user', content: 'deploy it' }]);
      expect(r.status).toBe(200);
      expect(r.body.stop_reason.stop_reason).toBe('requires_approval');
      const request = r.body.messages.find((m: Msg) => m.message_type === 'approval_request_message');
      expect(request).toBeDefined();
      expect(returns(r.body.messages)).toEqual([]);
      return a;
    }

    it('stops for approval; approving runs the tool and the loop goes on', async () => {
      const a = await pending();
      fake.enqueue({ content: 'Deployed.' });
      const r = await send(a.id, [
        { type: 'approval', approvals: [{ type: 'approval', tool_call_id: 'call_deploy_1', approve: true }] },
      ]);
      expect(r.status).toBe(200);
      expect(returns(r.body.messages)).toEqual([
        expect.objectContaining({ status: 'success', tool_return: 'deployed to prod' }),
      ]);
      expect(
        r.body.messages.filter((m: Msg) => m.message_type === 'assistant_message').map((m: Msg) => m.content),
      ).toEqual(['Deployed.']);
      expect(r.body.stop_reason.stop_reason).toBe('end_turn');
    });

    it('denying returns a failed tool result with the reason, without running the tool', async () => {
      const a = await pending();
      fake.enqueue({ content: 'Understood, not deploying.' });
      const r = await send(a.id, [
        {
          type: 'approval',
          approvals: [
            { type: 'approval', tool_call_id: 'call_deploy_1', approve: false, reason: 'not on Friday' },
          ],
        },
      ]);
      expect(r.status).toBe(200);
      const [ret] = returns(r.body.messages);
      expect(ret.status).toBe('error');
      expect(ret.tool_return).toContain('not on Friday');
      expect(ret.tool_return).not.toContain('deployed to prod');
    });

    it('turning approval off through the route lets the tool run straight away', async () => {
      const a = await agent();
      await api.patch(`/v1/agents/${a.id}/tools/attach/${toolIds.deploy}`);
      await api.patch(`/v1/agents/${a.id}/tools/approval/deploy`, { requires_approval: false });
      fake.enqueue({ toolCalls: [{ name: 'deploy', arguments: { env: 'dev' } }] }, { content: 'ok' });
      const r = await send(a.id, [{ role: 'user', content: 'deploy to dev' }]);
      expect(r.body.stop_reason.stop_reason).toBe('end_turn');
      expect(returns(r.body.messages).map((m) => m.tool_return)).toEqual(['deployed to dev']);
    });
  });
});
