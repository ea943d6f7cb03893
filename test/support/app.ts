import Letta from '@letta-ai/letta-client';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/config';
import { ContractRecorder } from './contract';
import { FakeOpenAiOptions, FakeOpenAiServer } from './fake-openai';

export interface TestApp {
  app: NestFastifyApplication;
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  /** The responses checked against openapi.json so far, and any that did not match. */
  contract: ContractRecorder;
  close(): Promise<void>;
}

/**
 * Starts the real application on a loopback port, configured from the environment the
 * global setup prepared (real Postgres or embedded), plus `env` overrides.
 */
export async function startTestApp(env: Record<string, string | undefined> = {}): Promise<TestApp> {
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // A test app is a whole deployment on its own: it takes the queued jobs a worker would.
    ENGRAM_PROCESS_JOBS: process.env.ENGRAM_PROCESS_JOBS ?? 'true',
    ...env,
    PORT: '0',
  });
  const app = await createApp(config);
  // Every JSON response is checked against openapi.json; a drift fails the suite at close.
  const contract = new ContractRecorder();
  contract.install(app.getHttpAdapter().getInstance());
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    contract,
    close: async () => {
      await app.close();
      contract.assert();
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A tiny HTTP client bound to one tenant (the `user_id` header, as Letta uses it). */
export class Api {
  constructor(
    readonly baseUrl: string,
    readonly headers: Record<string, string> = {},
  ) {}

  as(userId: string): Api {
    return new Api(this.baseUrl, { ...this.headers, user_id: userId });
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...this.headers,
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers } satisfies ApiResponse<T>;
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>('PATCH', path, body ?? {});
  }
  put<T = any>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, body ?? {});
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

/** A fresh organization with one user; returns an Api acting as that user. */
export async function newTenant(api: Api, name = 'tenant'): Promise<TenantApi> {
  const org = await api.post('/v1/admin/orgs', { name: `${name}-org` });
  if (org.status !== 201 && org.status !== 200)
    throw new Error(`creating org failed: ${JSON.stringify(org.body)}`);
  const user = await api.post('/v1/admin/users', { name: `${name}-user`, organization_id: org.body.id });
  if (user.status !== 201 && user.status !== 200)
    throw new Error(`creating user failed: ${JSON.stringify(user.body)}`);
  return Object.assign(api.as(user.body.id), {
    orgId: org.body.id as string,
    userId: user.body.id as string,
  });
}

export type TenantApi = Api & { orgId: string; userId: string };

/** What `useLlmApp` starts for a test file; its fields are set once the file's `beforeAll` ran. */
export interface LlmApp {
  fake: FakeOpenAiServer;
  t: TestApp;
  /** A fresh tenant on `t`. */
  api: TenantApi;
  /** The official client acting as `api`'s user. */
  client(): Letta;
}

/**
 * The usual frame of a test file: the fake OpenAI server, the app wired to it and one tenant,
 * started before the file's tests and closed after them.
 */
export function useLlmApp(
  tenantName: string,
  options: { fake?: FakeOpenAiOptions; env?: Record<string, string> } = {},
): LlmApp {
  const ctx = {
    client: () =>
      new Letta({
        baseURL: ctx.t.baseUrl,
        apiKey: 'x',
        maxRetries: 0,
        defaultHeaders: { user_id: ctx.api.userId },
      }),
  } as LlmApp;
  beforeAll(async () => {
    ctx.fake = await FakeOpenAiServer.start(options.fake);
    ctx.t = await startTestApp({
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: ctx.fake.baseUrl,
      ...options.env,
    });
    ctx.api = await newTenant(new Api(ctx.t.baseUrl), tenantName);
  });
  afterAll(async () => {
    await ctx.t?.close();
    await ctx.fake?.close();
  });
  return ctx;
}
