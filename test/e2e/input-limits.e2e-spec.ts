import { request as httpRequest } from 'node:http';
import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant, startTestApp, TestApp } from '../support/app';

/**
 * Malformed and oversized input is a 4xx that names what is wrong, never a 500, and nothing
 * is stored: NUL characters (Postgres cannot store them), unpaired surrogates, deep nesting,
 * bodies past ENGRAM_BODY_LIMIT_MB, and the per-field limits.
 */
describe('input limits (e2e)', () => {
  let t: TestApp;
  let api: Api & { orgId: string; userId: string };
  let fake: FakeOpenAiServer;
  let agentId: string;

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start();
    t = await startTestApp({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseUrl, ENGRAM_BODY_LIMIT_MB: '2' });
    api = await newTenant(new Api(t.baseUrl), 'limits');
    agentId = (await api.post('/v1/agents', { model: 'openai/gpt-4o-mini' })).body.id;
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  const blockCount = async () => (await api.get('/v1/blocks?limit=1000')).body.length as number;

  describe('NUL characters and unpaired surrogates', () => {
    it.each([
      ['a NUL in a value', '{"label":"l","value":"a\\u0000b"}', 'value: must not contain NUL'],
      [
        'a NUL in a nested value',
        '{"label":"l","value":"v","tags":["ok","x\\u0000"]}',
        'tags[1]: must not contain NUL',
      ],
      [
        'a NUL in a key',
        '{"label":"l","value":"v","metadata":{"k\\u0000":1}}',
        'field name must not contain NUL',
      ],
      [
        'a lone high surrogate',
        '{"label":"l","value":"a\\ud800b"}',
        'value: contains an unpaired UTF-16 surrogate',
      ],
      [
        'a lone low surrogate',
        '{"label":"l","value":"\\udc00"}',
        'value: contains an unpaired UTF-16 surrogate',
      ],
    ])('refuses %s with a 422 naming the field, storing nothing', async (_case, body, detail) => {
      const before = await blockCount();
      const res = await api.request('POST', '/v1/blocks', body);
      expect(res.status).toBe(422);
      expect(res.body.detail).toContain(detail);
      expect(res.body.trace_id).toEqual(expect.any(String));
      expect(await blockCount()).toBe(before);
    });

    it('keeps valid surrogate pairs (emoji) intact', async () => {
      const res = await api.post('/v1/blocks', { label: 'emoji', value: 'memory 🧠 ok' });
      expect(res.status).toBe(200);
      expect(res.body.value).toBe('memory 🧠 ok');
    });

    it('refuses a NUL in a message to an agent, sync and async, before any run starts', async () => {
      const runsBefore = (await api.get(`/v1/runs?agent_ids=${agentId}`)).body.length;
      for (const path of ['messages', 'messages/async', 'messages/stream']) {
        const res = await api.request('POST', `/v1/agents/${agentId}/${path}`, '{"input":"hi\\u0000"}');
        expect(res.status).toBe(422);
        expect(res.body.detail).toContain('input: must not contain NUL');
      }
      expect((await api.get(`/v1/runs?agent_ids=${agentId}`)).body.length).toBe(runsBefore);
      expect(fake.requests.filter((r) => r.path.includes('chat'))).toHaveLength(0);
    });

    it('refuses NUL in query strings and path parameters with a 422', async () => {
      const query = await api.get('/v1/blocks?label=%00');
      expect(query.status).toBe(422);
      expect(query.body.detail).toContain('query parameter label');
      const param = await api.get(`/v1/agents/${agentId}/core-memory/blocks/a%00b`);
      expect(param.status).toBe(422);
      expect(param.body.detail).toContain('path parameter');
    });

    it('refuses a NUL in a text/plain body', async () => {
      const res = await api.request('POST', '/v1/blocks', 'a\u0000b', { 'content-type': 'text/plain' });
      expect(res.status).toBe(422);
    });
  });

  describe('nesting', () => {
    const nested = (levels: number, inner = '1') => {
      let s = inner;
      for (let i = 0; i < levels; i++) s = i % 2 ? `[${s}]` : `{"a":${s}}`;
      return s;
    };

    it('refuses a body nested 5,000 levels with a 400 before anything walks it', async () => {
      const res = await api.request('POST', '/v1/blocks', nested(5_000));
      expect(res.status).toBe(400);
      expect(res.body.detail).toContain('nested deeper than 64 levels');
    });

    it('refuses deep nesting inside a field too, and accepts moderate nesting', async () => {
      const deep = await api.request(
        'POST',
        '/v1/blocks',
        `{"label":"l","value":"v","metadata":${nested(100)}}`,
      );
      expect(deep.status).toBe(400);
      const ok = await api.request(
        'POST',
        '/v1/blocks',
        `{"label":"l","value":"v","metadata":${nested(21)}}`,
      );
      expect(ok.status).toBe(200);
    });

    it('does not count brackets inside strings', async () => {
      const res = await api.post('/v1/blocks', {
        label: 'brackets',
        value: '['.repeat(500) + '{'.repeat(500),
      });
      expect(res.status).toBe(200);
    });
  });

  describe('sizes', () => {
    it('answers a body past the limit with a 413 naming it, even to a client that sends everything first', async () => {
      const size = 6 * 1024 * 1024;
      const { port } = new URL(t.baseUrl);
      const result = await new Promise<{ status?: number; body: string; error?: string }>((resolve) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: Number(port),
            path: '/v1/blocks',
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': size, user_id: api.userId },
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode, body, error: writeError }));
          },
        );
        let writeError: string | undefined;
        req.on('error', (e: NodeJS.ErrnoException) => {
          writeError = e.code;
          resolve({ body: '', error: e.code });
        });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        const pump = () => {
          while (sent < size) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
      expect(result.error).toBeUndefined();
      expect(result.status).toBe(413);
      expect(JSON.parse(result.body).detail).toBe(
        'Request body is larger than the limit of 2 MB (ENGRAM_BODY_LIMIT_MB)',
      );
    });

    it('caps a block created without a limit at the largest limit, naming it', async () => {
      const big = await api.post('/v1/blocks', { label: 'big', value: 'x'.repeat(1_000_001) });
      expect(big.status).toBe(422);
      expect(big.body.detail).toContain('limit of 1000000 characters');
      const raised = await api.post('/v1/blocks', { label: 'raised', value: 'y'.repeat(30_000) });
      expect(raised.status).toBe(200);
      expect(raised.body.limit).toBe(30_000);
      const tooHigh = await api.post('/v1/blocks', { label: 'l', value: 'v', limit: 1_000_001 });
      expect(tooHigh.status).toBe(422);
      expect(tooHigh.body.detail).toContain('limit');
    });
  });

  describe('routes that refused nothing', () => {
    it('validates paging on GET /v1/mcp-servers like the other lists', async () => {
      for (const q of ['limit=-1', 'limit=1000000', 'limit=abc', 'order=sideways']) {
        const res = await api.get(`/v1/mcp-servers?${q}`);
        expect(res.status).toBe(422);
        expect(res.body.detail).toMatch(/limit|order/);
      }
      const ok = await api.get('/v1/mcp-servers?limit=5');
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual([]);
    });

    it('validates the body of POST .../summarize', async () => {
      const junk = await api.post(`/v1/agents/${agentId}/summarize`, { junk: 1 });
      expect(junk.status).toBe(422);
      expect(junk.body.detail).toContain('junk');
      const settings = await api.post(`/v1/agents/${agentId}/summarize`, {
        compaction_settings: { mode: 'all' },
      });
      expect(settings.status).toBe(422);
      expect(settings.body.detail).toContain('compaction_settings');
      const ok = await api.post(`/v1/agents/${agentId}/summarize`, {});
      expect(ok.status).toBe(200);
      const other = await newTenant(new Api(t.baseUrl), 'limits-other');
      expect((await other.post(`/v1/agents/${agentId}/summarize`, {})).status).toBe(404);
    });
  });
});
