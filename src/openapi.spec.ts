import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { generateOpenApiDocument } from './openapi';

describe('openapi.json', () => {
  let generated: OpenAPIObject;
  beforeAll(async () => {
    generated = await generateOpenApiDocument();
  }, 60_000);

  it('is current: regenerate it with `npm run openapi` after changing a route or DTO', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8')) as unknown;
    expect(JSON.parse(JSON.stringify(generated))).toEqual(committed);
  });

  // A new route comes with its response DTO (@ApiOk, ApiOkMessages, ApiSse, or ApiNoContent for a
  // 204), and the contract check in test/support/contract.ts then validates every response and
  // stream chunk the e2e and compat suites see against it.
  it('documents a response schema for every route (a 204 documents that it has no body)', () => {
    const missing: string[] = [];
    for (const [path, item] of Object.entries(generated.paths)) {
      for (const [method, op] of Object.entries(item as Record<string, { responses?: object }>)) {
        const key = `${method.toUpperCase()} ${path}`;
        const documented = Object.entries(op.responses ?? {}).some(
          ([status, r]) =>
            status === '204' ||
            (status.startsWith('2') &&
              Object.values((r as { content?: Record<string, { schema?: object }> }).content ?? {}).some(
                (media) => media.schema !== undefined,
              )),
        );
        if (!documented) missing.push(key);
      }
    }
    expect(missing).toEqual([]);
  });
});
