import fc from 'fast-check';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/config';
import { FakeOpenAiServer } from '../support/fake-openai';
import { Api, newTenant } from '../support/app';

/**
 * Property: no route answers 5xx, whatever the body, query string or path parameters. Routes
 * come from the running app's route table (Fastify's onRoute, as Nest registers them); field
 * and query names come from its OpenAPI document, so generated requests reach validation and
 * the handlers, not only the router. Path parameters are often real ids of this tenant's
 * fixtures. Seeded: set FUZZ_SEED to replay a run (the seed is printed), FUZZ_RUNS for more.
 */
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const BATCHES = Number(process.env.FUZZ_RUNS ?? 320);
const CONCURRENCY = 8;
/** Stop early on a very slow machine; at least MIN_REQUESTS must have been sent. */
const TIME_LIMIT_MS = 40_000;
const MIN_REQUESTS = 1_000;

interface Route {
  method: string;
  url: string;
}

interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  body?: string;
  contentType?: string;
}

/** Strings that have broken servers: NUL, lone surrogates, special tokens, numbers as text... */
const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83e',
  '🧠',
  '<|endoftext|>',
  '__proto__',
  'constructor',
  '-1',
  '0',
  '1e309',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
  '%00',
  '../../etc/passwd',
  "' OR 1=1 --",
  'x'.repeat(5_000),
  'agent-00000000-0000-4000-8000-000000000000',
  'block-not-a-uuid',
];

/** Generated strings never name a URL scheme: the server must not be made to connect anywhere. */
const noUrls = (s: string) => s.replace(/:\/\//g, ':/');

const text = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.constantFrom(...NASTY) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 300 }) },
  )
  .map(noUrls);

const scalar = fc.oneof(
  text,
  fc.integer(),
  fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, 0.5),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
}));

function nested(levels: number): string {
  return '['.repeat(levels) + ']'.repeat(levels);
}

/** Percent-encodes anything, lone surrogates included (as the bytes a broken client would send). */
function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return Array.from(s, (ch) => {
      try {
        return encodeURIComponent(ch);
      } catch {
        return '%ED%A0%80';
      }
    }).join('');
  }
}

function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z_]+)/g, '{$1}');
}

describe('fuzzing every route (e2e)', () => {
  let app: NestFastifyApplication;
  let fake: FakeOpenAiServer;
  let api: Api & { orgId: string; userId: string };
  let baseUrl: string;
  const routes: Route[] = [];
  const fixtures: Record<string, string[]> = {};
  let openapi: {
    paths: Record<
      string,
      Record<string, { parameters?: Array<{ name: string; in: string }>; requestBody?: unknown }>
    >;
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
  };

  beforeAll(async () => {
    fake = await FakeOpenAiServer.start();
    fake.defaultReply = { content: 'ok' };
    fake.record = false;
    const config = loadConfig({
      ...process.env,
      LOG_LEVEL: process.env.FUZZ_LOG_LEVEL ?? 'fatal',
      PORT: '0',
      OPENAI_API_KEY: 'k',
      OPENAI_BASE_URL: fake.baseUrl,
      // Generated configs must not run commands on this host.
      ENGRAM_MCP_ALLOW_STDIO: 'false',
      ENGRAM_MCP_CONNECT_TIMEOUT_MS: '500',
      ENGRAM_TOOL_TIMEOUT_MS: '3000',
    });
    app = await createApp(config);
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (r) => {
        for (const method of [r.method].flat()) routes.push({ method, url: r.url });
      });
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    api = await newTenant(new Api(baseUrl), 'fuzz');
    openapi = (await api.get('/openapi.json')).body;

    // Real ids of this tenant, so generated requests get past the 404s into the handlers.
    const agent = (await api.post('/v1/agents', { model: 'openai/gpt-4o-mini', name: 'fuzz-agent' })).body;
    const block = (await api.post('/v1/blocks', { label: 'fuzz', value: 'v' })).body;
    const tool = (
      await api.post('/v1/tools', {
        source_code: 'def fuzz_tool(x: int) -> int:\n    """Adds one."""\n    return x + 1\n',
      })
    ).body;
    await api.patch(`/v1/agents/${agent.id}/tools/attach/${tool.id}`);
    const archive = (await api.post('/v1/archives', { name: 'fuzz-archive' })).body;
    const passage = (await api.post(`/v1/archives/${archive.id}/passages`, { text: 'a passage' })).body;
    const identity = (
      await api.post('/v1/identities', {
        identifier_key: 'fuzz-user',
        name: 'Fuzz',
        identity_type: 'user',
        agent_ids: [agent.id],
      })
    ).body;
    const sent = (await api.post(`/v1/agents/${agent.id}/messages`, { input: 'hello' })).body;
    const runId = sent.usage?.run_ids?.[0];
    const steps = runId ? (await api.get(`/v1/runs/${runId}/steps`)).body : [];
    Object.assign(fixtures, {
      agent_id: [agent.id],
      block_id: [block.id],
      block_label: ['human', 'persona', 'fuzz'],
      tool_id: [tool.id],
      tool_name: [tool.name, 'send_message'],
      archive_id: [archive.id],
      passage_id: [passage?.id ?? passage?.[0]?.id].filter(Boolean),
      run_id: [runId].filter(Boolean),
      step_id: steps.map((s: { id: string }) => s.id).slice(0, 1),
      message_id: sent.messages.map((m: { id: string }) => m.id).slice(0, 1),
      identity_id: [identity.id],
    });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  function paramArb(name: string): fc.Arbitrary<string> {
    const real = fixtures[name] ?? [];
    const garbage = fc.oneof(
      text.map(encode),
      fc.constantFrom('%00', '%ff', '%ED%A0%80', '%2e%2e', 'a'.repeat(600)),
    );
    return real.length
      ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: garbage })
      : garbage;
  }

  function fieldsOf(route: Route): { body: string[]; query: string[] } {
    const op = openapi.paths[toOpenApiPath(route.url)]?.[route.method.toLowerCase()];
    const query = (op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    const ref = JSON.stringify(op?.requestBody ?? {}).match(/#\/components\/schemas\/([A-Za-z0-9_]+)/)?.[1];
    const body = Object.keys((ref && openapi.components.schemas[ref]?.properties) ?? {});
    return { body, query };
  }

  function requestArb(route: Route): fc.Arbitrary<FuzzRequest> {
    const { body: fields, query: queryNames } = fieldsOf(route);
    const params = [...route.url.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]);
    const pathArb = fc
      .tuple(...params.map(paramArb), fc.constant(0))
      .map((values) => params.reduce((url, p, i) => url.replace(`:${p}`, String(values[i])), route.url));
    const key = fc.oneof(
      { weight: 4, arbitrary: fields.length ? fc.constantFrom(...fields) : text },
      { weight: 1, arbitrary: text },
    );
    const dtoBody = fc.dictionary(key, value, { maxKeys: 5 }).map((o) => JSON.stringify(o));
    const bodyArb = fc.oneof(
      { weight: 6, arbitrary: dtoBody },
      { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '',
          '{',
          'null',
          '[]',
          '"x"',
          '{"__proto__":{"admin":true}}',
          '{"constructor":{"prototype":{"x":1}}}',
          '{"a":"\\u0000"}',
          '{"value":"\\ud800"}',
          nested(5_000),
          `{"messages":${nested(200)}}`,
        ),
      },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map(noUrls) },
    );
    const qName = fc.oneof(
      {
        weight: 3,
        arbitrary: queryNames.length
          ? fc.constantFrom(...queryNames)
          : fc.constantFrom('limit', 'after', 'before', 'order'),
      },
      { weight: 1, arbitrary: fc.constantFrom('limit', 'after', 'before', 'order', 'order_by') },
      { weight: 1, arbitrary: text },
    );
    const queryArb = fc
      .array(fc.tuple(qName, fc.oneof(text, scalar.map(String))), { maxLength: 4 })
      .map((pairs) => pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&'));
    const contentType = fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=latin1',
          'application/octet-stream',
        ),
      },
    );
    const hasBody = !['GET', 'DELETE'].includes(route.method);
    return fc.record({
      method: fc.constant(route.method),
      path: pathArb,
      query: queryArb,
      body: hasBody ? fc.option(bodyArb, { freq: 8, nil: undefined }) : fc.constant(undefined),
      contentType: hasBody ? contentType : fc.constant(undefined),
    });
  }

  it('answers every generated request with less than 500, and stays healthy', async () => {
    const targets = routes.filter((r) => r.url.startsWith('/v1/') && !['HEAD', 'OPTIONS'].includes(r.method));
    expect(targets.length).toBeGreaterThan(80);
    console.log(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} to replay): ${targets.length} routes`);
    const anyRequest = fc.oneof(...targets.map(requestArb));
    const failures: string[] = [];
    const stats = new Map<number, number>();
    let sent = 0;
    const started = Date.now();

    await fc.assert(
      fc.asyncProperty(
        fc.array(anyRequest, { minLength: CONCURRENCY, maxLength: CONCURRENCY }),
        async (batch) => {
          await Promise.all(
            batch.map(async (r) => {
              const url = `${baseUrl}${r.path}${r.query ? `?${r.query}` : ''}`;
              sent++;
              try {
                const res = await fetch(url, {
                  method: r.method,
                  headers: {
                    user_id: api.userId,
                    ...(r.body !== undefined ? { 'content-type': r.contentType! } : {}),
                  },
                  body: r.body,
                  signal: AbortSignal.timeout(30_000),
                });
                const answer = await res.text();
                stats.set(res.status, (stats.get(res.status) ?? 0) + 1);
                if (res.status >= 500)
                  failures.push(
                    `${r.method} ${url.slice(0, 300)} body=${String(r.body).slice(0, 300)} -> ${res.status} ${answer.slice(0, 300)}`,
                  );
              } catch (err) {
                failures.push(
                  `${r.method} ${url.slice(0, 300)} body=${String(r.body).slice(0, 300)} -> ${(err as Error).message}`,
                );
              }
            }),
          );
        },
      ),
      {
        seed: SEED,
        numRuns: BATCHES,
        interruptAfterTimeLimit: TIME_LIMIT_MS,
        markInterruptAsFailure: false,
        endOnFailure: true,
      },
    );

    console.log(
      `fuzz: ${sent} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, ${failures.length} failures; ` +
        `answers ${[...stats.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([status, n]) => `${status}: ${n}`)
          .join(', ')}`,
    );
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(MIN_REQUESTS);

    // Healthy after: liveness, readiness, and a normal round trip through the agent loop.
    expect((await api.get('/v1/health')).status).toBe(200);
    expect((await api.get('/v1/health/ready')).status).toBe(200);
    const agent = await api.post('/v1/agents', { model: 'openai/gpt-4o-mini' });
    expect(agent.status).toBe(200);
    const reply = await api.post(`/v1/agents/${agent.body.id}/messages`, { input: 'still there?' });
    expect(reply.status).toBe(200);
    expect(reply.body.stop_reason.stop_reason).toBe('end_turn');
  });
});
