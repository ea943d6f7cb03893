import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/**
 * The API contract, checked on every response the e2e and compat suites produce: each JSON
 * response whose route and status the committed openapi.json documents with a schema is
 * validated against it (ajv), and a mismatch fails the suite that produced it (at app close).
 * Validators are compiled once per worker and per operation, so the check costs microseconds
 * per response.
 */
type Doc = { paths: Record<string, Record<string, { responses?: Record<string, { content?: unknown }> }>> };

let ajv: Ajv | undefined;
let doc: Doc | undefined;
const validators = new Map<string, ValidateFunction | null>();

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

/** The validator of one documented response, or null when the document gives it no schema. */
export function responseValidator(route: string, method: string, status: number): ValidateFunction | null {
  const path = route.replace(/:([A-Za-z_]+)/g, '{$1}');
  const key = `${method} ${path} ${status}`;
  if (validators.has(key)) return validators.get(key)!;
  const { ajv, doc } = load();
  const op = doc.paths[path]?.[method.toLowerCase()];
  const response = op?.responses?.[String(status)] as
    { content?: Record<string, { schema?: unknown }> } | undefined;
  let v: ValidateFunction | null = null;
  if (response?.content?.['application/json']?.schema) {
    v = ajv.compile({
      $ref: `openapi#/${pointer('paths', path, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`,
    });
  }
  validators.set(key, v);
  return v;
}

export interface ContractViolation {
  request: string;
  status: number;
  errors: string;
}

/** Records and checks the JSON responses of one Fastify instance. */
export class ContractRecorder {
  readonly violations: ContractViolation[] = [];
  checked = 0;

  install(fastify: FastifyInstance): void {
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
                status: reply.statusCode,
                errors: ajv!.errorsText(v.errors, { separator: '; ' }),
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

  /** Throws when any response broke its documented shape (called when the test app closes). */
  assert(): void {
    if (this.violations.length === 0) return;
    const lines = this.violations.slice(0, 10).map((v) => `- ${v.request} → ${v.status}: ${v.errors}`);
    throw new Error(
      `${this.violations.length} response(s) do not match openapi.json:\n${lines.join('\n')}` +
        (this.violations.length > 10 ? `\n... and ${this.violations.length - 10} more` : ''),
    );
  }
}
