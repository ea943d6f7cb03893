/**
 * Older paths that Letta's own references teach, served by the current routes. Rewritten at the
 * edge (Fastify's `rewriteUrl`), before routing: auth, rate limits, the route table, metrics and
 * traces all see the real route, and no handler carries logic for the old path.
 *
 * - `/api/...` is `/v1/...` (Letta's API reference uses it: `GET /api/agents`).
 * - `/openai/v1/chat/completions` is `/v1/chat/completions` (the base URL OpenAI SDKs are given).
 * - `/v1/agents/:id/archival` (GET, POST) and `/v1/agents/:id/archival/:passage_id` (DELETE)
 *   are archival-memory.
 */
const API_PREFIX = /^\/api(?=\/|\?|$)/;
const OPENAI_PREFIX = /^\/openai(?=\/v1\/chat\/completions\/?(\?|$))/;
const ARCHIVAL = /^(\/v1\/agents\/[^/?]+)\/archival(?=(\/[^/?]+)?\/?(\?|$))/;

export function aliasUrl(method: string | undefined, url: string): string {
  let out = url.replace(API_PREFIX, '/v1').replace(OPENAI_PREFIX, '');
  const archival = ARCHIVAL.exec(out);
  if (archival) {
    const sub = archival[2];
    const aliased = sub ? method === 'DELETE' : method === 'GET' || method === 'POST';
    if (aliased) out = `${archival[1]}/archival-memory${out.slice(archival[0].length)}`;
  }
  return out;
}
