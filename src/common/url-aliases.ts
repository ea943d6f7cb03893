/**
 * Older paths that Letta's own references teach, served by the current routes. Rewritten at the
 * edge (Fastify's `rewriteUrl`), before routing: auth, rate limits, the route table, metrics and
 * traces all see the real route, and no handler carries logic for the old path.
 *
 * - `/api/...` is `/v1/...` (Letta's API reference uses it: `GET /api/agents`).
 * - `/openai/v1/chat/completions` is `/v1/chat/completions` (the base URL OpenAI SDKs are given).
 * - `/v1/agents/:id/archival` (GET, POST) and `/v1/agents/:id/archival/:passage_id` (DELETE)
 *   are archival-memory.
 * - Unversioned `/agents/...` is the tutorial dialect (src/tutorial), whose routes are mounted
 *   under `TUTORIAL_ROUTES` (their paths would clash with `/v1/agents/...` in Nest's global
 *   prefix exclusion, which matches paths, not controllers). The OpenAPI document and the metric
 *   and span labels show them as `/agents/...` (`publicRoute`).
 */
const API_PREFIX = /^\/api(?=\/|\?|$)/;
const TUTORIAL_PREFIX = /^\/agents(?=\/|\?|$)/;
/** Where the tutorial dialect's controller is mounted (under the global `/v1` prefix). */
export const TUTORIAL_CONTROLLER = 'tutorial/agents';
/** The mounted routes' prefix, as Fastify and the route table see it. */
export const TUTORIAL_ROUTES = '/v1/tutorial';
const OPENAI_PREFIX = /^\/openai(?=\/v1\/chat\/completions\/?(\?|$))/;
const ARCHIVAL = /^(\/v1\/agents\/[^/?]+)\/archival(?=(\/[^/?]+)?\/?(\?|$))/;

export function aliasUrl(method: string | undefined, url: string): string {
  if (TUTORIAL_PREFIX.test(url)) return TUTORIAL_ROUTES + url;
  let out = url.replace(API_PREFIX, '/v1').replace(OPENAI_PREFIX, '');
  const archival = ARCHIVAL.exec(out);
  if (archival) {
    const sub = archival[2];
    const aliased = sub ? method === 'DELETE' : method === 'GET' || method === 'POST';
    if (aliased) out = `${archival[1]}/archival-memory${out.slice(archival[0].length)}`;
  }
  return out;
}

/** A route template as clients call it: the tutorial dialect's without its mount prefix. */
export function publicRoute(route: string): string {
  return route.startsWith(`${TUTORIAL_ROUTES}/agents`) ? route.slice(TUTORIAL_ROUTES.length) : route;
}
