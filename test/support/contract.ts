import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { publicRoute } from '../../src/common/url-aliases';

/**
 * The API contract, checked on every response the e2e and compat suites produce: each JSON
 * response whose route and status the committed openapi.json documents with a schema is
 * validated against it (ajv), and so is each chunk of a Server-Sent Events response (every
 * `data:` line but `[DONE]`) against the route's `text/event-stream` schema, and each line of a
 * newline-delimited JSON response against its `application/x-ndjson` schema. A mismatch fails
 * the suite that produced it (at app close). Validators are compiled once per worker and per
 * operation, so the check costs microseconds per response or chunk.
 */
type Doc = { paths: Record<string, Record<string, { responses?: Record<string, { content?: unknown }> }>> };
type Schema = { discriminator?: { propertyName: string; mapping?: Record<string, string> } };
const JSON_TYPE = 'application/json';
const SSE_TYPE = 'text/event-stream';
const NDJSON_TYPE = 'application/x-ndjson';

let ajv: Ajv | undefined;
let doc: Doc | undefined;
const validators = new Map<string, ValidateFunction | null>();
const members = new Map<string, ValidateFunction>();

function load(): { ajv: Ajv; doc: Doc } {
  if (!ajv || !doc) {
    doc = JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8')) as Doc;
    ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
    ajv.addSchema(doc as object, 'openapi');
  }
  return { ajv, doc };
}

const pointer = (...parts: string[]): string =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/**
 * The validator of one documented response (`media` = its content type: JSON, or the schema of
 * each chunk of an SSE stream), or null when the document gives it no schema.
 */
export function responseValidator(
  route: string,
  method: string,
  status: number,
  media: string = JSON_TYPE,
): ValidateFunction | null {
  const path = publicRoute(route).replace(/:([A-Za-z_]+)/g, '{$1}');
  const key = `${method} ${path} ${status} ${media}`;
  if (validators.has(key)) return validators.get(key)!;
  const { ajv, doc } = load();
  const op = doc.paths[path]?.[method.toLowerCase()];
  const response = op?.responses?.[String(status)] as
    { content?: Record<string, { schema?: unknown }> } | undefined;
  let v: ValidateFunction | null = null;
  if (response?.content?.[media]?.schema) {
    v = ajv.compile({
      $ref: `openapi#/${pointer('paths', path, method.toLowerCase(), 'responses', String(status), 'content', media, 'schema')}`,
    });
  }
  validators.set(key, v);
  return v;
}

/** The validator of each `data:` chunk of a route's event stream (null: not a documented stream). */
export function streamChunkValidator(route: string, method: string): ValidateFunction | null {
  return responseValidator(route, method, 200, SSE_TYPE);
}

/** The validator of each line of a route's newline-delimited JSON (null: not documented). */
export function ndjsonLineValidator(route: string, method: string): ValidateFunction | null {
  return responseValidator(route, method, 200, NDJSON_TYPE);
}

/**
 * Why `data` broke `v`. A union discriminated by `message_type` is explained by the member that
 * its `message_type` names (ajv's oneOf errors list every member), else by ajv's own errors.
 */
function explain(v: ValidateFunction, data: unknown): string {
  const schema = (v.schema as { $ref?: string }).$ref;
  const { ajv, doc } = load();
  let target: Schema | undefined;
  if (schema?.startsWith('openapi#/')) {
    target = schema
      .slice('openapi#/'.length)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc) as
      Schema | undefined;
  }
  const d = target?.discriminator;
  const tag =
    d && data && typeof data === 'object' ? (data as Record<string, unknown>)[d.propertyName] : undefined;
  const member = typeof tag === 'string' ? d?.mapping?.[tag] : undefined;
  if (d && !member) return `${d.propertyName} '${String(tag)}' is not one of the union's members`;
  if (member) {
    let mv = members.get(member);
    if (!mv) members.set(member, (mv = ajv.compile({ $ref: `openapi${member}` })));
    if (!mv(data)) return `${String(tag)}: ${ajv.errorsText(mv.errors, { separator: '; ' })}`;
  }
  return ajv.errorsText(v.errors, { separator: '; ' });
}

export interface ContractViolation {
  request: string;
  status: number;
  errors: string;
  /** The route, for grouping: one drift shows once however many responses or chunks it broke. */
  route?: string;
  /** The start of the offending chunk. */
  sample?: string;
}

/** Records and checks the JSON responses and SSE chunks of one Fastify instance. */
export class ContractRecorder {
  readonly violations: ContractViolation[] = [];
  /** JSON responses validated. */
  checked = 0;
  /** SSE chunks validated. */
  chunksChecked = 0;

  install(fastify: FastifyInstance): void {
    this.installStreamCheck(fastify);
    fastify.addHook('onSend', (request, reply, payload, done) => {
      try {
        const route = request.routeOptions.url;
        const type = String(reply.getHeader('content-type') ?? '');
        if (route && typeof payload === 'string' && type.startsWith('application/json')) {
          const v = responseValidator(route, request.method, reply.statusCode);
          if (v) {
            this.checked++;
            if (!v(JSON.parse(payload))) {
              this.violations.push({
                request: `${request.method} ${request.url} (${route})`,
                route: `${request.method} ${route}`,
                status: reply.statusCode,
                errors: explain(v, JSON.parse(payload)),
              });
            }
          }
        }
      } catch {
        // A payload that is not JSON is not ours to judge here.
      }
      done(null, payload);
    });
  }

  /**
   * SSE and NDJSON responses are written by writeStream straight to the raw socket (the reply is
   * hijacked), so onSend never sees them: on routes that document such a stream, the raw
   * response's writeHead is watched, and once it answers `text/event-stream` (or
   * `application/x-ndjson`) every write is split into events (lines) whose data is validated one
   * chunk at a time.
   */
  private installStreamCheck(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, reply, done) => {
      const route = request.routeOptions.url;
      const sse = route ? streamChunkValidator(route, request.method) : null;
      const ndjson = route ? ndjsonLineValidator(route, request.method) : null;
      if (!sse && !ndjson) return done();
      const raw = reply.raw;
      const label = `${request.method} ${request.url} (${route})`;
      const routeLabel = `${request.method} ${route}`;
      let pending = '';
      let split: { separator: string; check: (event: string) => void } | undefined;
      const feed = (chunk: unknown) => {
        if (!split || chunk === undefined || chunk === null || typeof chunk === 'function') return;
        pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
        let end: number;
        while ((end = pending.indexOf(split.separator)) >= 0) {
          const event = pending.slice(0, end);
          pending = pending.slice(end + split.separator.length);
          split.check(event);
        }
      };
      const writeHead = raw.writeHead.bind(raw) as (...args: unknown[]) => typeof raw;
      raw.writeHead = ((status: number, ...rest: unknown[]) => {
        const headers = rest.find((r) => r && typeof r === 'object' && !Array.isArray(r)) as
          Record<string, unknown> | undefined;
        const type = String(headers?.['content-type'] ?? raw.getHeader('content-type') ?? '');
        if (status === 200 && sse && type.startsWith(SSE_TYPE))
          split = { separator: '\n\n', check: (e) => this.checkEvent(sse, label, routeLabel, e) };
        else if (status === 200 && ndjson && type.startsWith(NDJSON_TYPE))
          split = { separator: '\n', check: (line) => this.checkLine(ndjson, label, routeLabel, line) };
        if (split) {
          const write = raw.write.bind(raw) as (...args: unknown[]) => boolean;
          const endRaw = raw.end.bind(raw) as (...args: unknown[]) => typeof raw;
          raw.write = ((chunk: unknown, ...args: unknown[]) => {
            feed(chunk);
            return write(chunk, ...args);
          }) as typeof raw.write;
          raw.end = ((chunk?: unknown, ...args: unknown[]) => {
            feed(chunk);
            if (split?.separator === '\n' && pending) {
              // The last line of newline-delimited JSON needs no newline after it.
              split.check(pending);
              pending = '';
            }
            return endRaw(chunk, ...args);
          }) as typeof raw.end;
        }
        return writeHead(status, ...rest);
      }) as typeof raw.writeHead;
      done();
    });
  }

  private checkLine(v: ValidateFunction, request: string, route: string, line: string): void {
    if (!line.trim()) return;
    this.chunksChecked++;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch {
      this.violations.push({
        request,
        route,
        status: 200,
        errors: 'an NDJSON line is not JSON',
        sample: line.slice(0, 200),
      });
      return;
    }
    if (!v(data))
      this.violations.push({
        request: `${request} [NDJSON line]`,
        route: `${route} [NDJSON line]`,
        status: 200,
        errors: explain(v, data),
        sample: line.slice(0, 300),
      });
  }

  private checkEvent(v: ValidateFunction, request: string, route: string, event: string): void {
    const data = event
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (!data || data === '[DONE]') return;
    this.chunksChecked++;
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      this.violations.push({
        request,
        route,
        status: 200,
        errors: 'an SSE chunk is not JSON',
        sample: data.slice(0, 200),
      });
      return;
    }
    if (!v(chunk))
      this.violations.push({
        request: `${request} [SSE chunk]`,
        route: `${route} [SSE chunk]`,
        status: 200,
        errors: explain(v, chunk),
        sample: data.slice(0, 300),
      });
  }

  /** Throws when any response broke its documented shape (called when the test app closes). */
  assert(): void {
    if (this.violations.length === 0) return;
    const groups = new Map<string, { first: ContractViolation; count: number }>();
    for (const v of this.violations) {
      const key = `${v.route ?? v.request} ${v.status} ${v.errors}`;
      const g = groups.get(key);
      if (g) g.count++;
      else groups.set(key, { first: v, count: 1 });
    }
    const lines = [...groups.values()]
      .slice(0, 10)
      .map(
        ({ first: v, count }) =>
          `- ${v.request} → ${v.status}: ${v.errors}` +
          (v.sample ? `\n    in ${v.sample}` : '') +
          (count > 1 ? `\n    (${count} times)` : ''),
      );
    throw new Error(
      `${this.violations.length} response(s) or chunk(s) do not match openapi.json:\n${lines.join('\n')}` +
        (groups.size > 10 ? `\n... and ${groups.size - 10} more kinds` : ''),
    );
  }
}
