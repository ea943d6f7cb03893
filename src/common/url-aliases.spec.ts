import { aliasUrl, publicRoute } from './url-aliases';

describe('aliasUrl', () => {
  it('serves /api/... as /v1/...', () => {
    expect(aliasUrl('GET', '/api/agents')).toBe('/v1/agents');
    expect(aliasUrl('GET', '/api/agents/?limit=2')).toBe('/v1/agents/?limit=2');
    expect(aliasUrl('PATCH', '/api/jobs/job-1/cancel')).toBe('/v1/jobs/job-1/cancel');
    expect(aliasUrl('GET', '/api')).toBe('/v1');
    expect(aliasUrl('GET', '/api?x=1')).toBe('/v1?x=1');
  });

  it('leaves other paths alone', () => {
    for (const url of ['/apis/agents', '/v1/api/agents', '/metrics', '/docs', '/v1/agents/a/archival-memory'])
      expect(aliasUrl('GET', url)).toBe(url);
  });

  it('serves /v1/agents/:id/archival as archival-memory, for the methods Letta had', () => {
    expect(aliasUrl('GET', '/v1/agents/agent-1/archival')).toBe('/v1/agents/agent-1/archival-memory');
    expect(aliasUrl('GET', '/v1/agents/agent-1/archival?limit=3')).toBe(
      '/v1/agents/agent-1/archival-memory?limit=3',
    );
    expect(aliasUrl('POST', '/api/agents/agent-1/archival/')).toBe('/v1/agents/agent-1/archival-memory/');
    expect(aliasUrl('DELETE', '/v1/agents/agent-1/archival/passage-9')).toBe(
      '/v1/agents/agent-1/archival-memory/passage-9',
    );
    // Not aliased: other methods, deeper paths.
    expect(aliasUrl('DELETE', '/v1/agents/agent-1/archival')).toBe('/v1/agents/agent-1/archival');
    expect(aliasUrl('GET', '/v1/agents/agent-1/archival/passage-9')).toBe(
      '/v1/agents/agent-1/archival/passage-9',
    );
    expect(aliasUrl('DELETE', '/v1/agents/agent-1/archival/a/b')).toBe('/v1/agents/agent-1/archival/a/b');
  });

  it('serves unversioned /agents/... as the tutorial dialect, and names its routes as clients call them', () => {
    expect(aliasUrl('GET', '/agents')).toBe('/v1/tutorial/agents');
    expect(aliasUrl('GET', '/agents?limit=2')).toBe('/v1/tutorial/agents?limit=2');
    expect(aliasUrl('POST', '/agents/sam/messages')).toBe('/v1/tutorial/agents/sam/messages');
    for (const url of ['/agentsx', '/v1/agents', '/api/agents/sam'])
      expect(aliasUrl('GET', url)).not.toMatch(/tutorial/);
    expect(publicRoute('/v1/tutorial/agents/:agent_id/messages')).toBe('/agents/:agent_id/messages');
    expect(publicRoute('/v1/tutorial/agents')).toBe('/agents');
    expect(publicRoute('/v1/agents/:agent_id')).toBe('/v1/agents/:agent_id');
  });
});
