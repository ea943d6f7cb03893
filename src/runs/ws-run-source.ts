import { Injectable, OnModuleInit } from '@nestjs/common';
import type { MessageInput } from '@engram/agent-runtime';
import { AgentsService } from '../agents/agents.service';
import type { AuthPrincipal } from '../common/auth/principal';
import { RunChunk, RunSource, RunSources, StartedRun } from '../streaming/run-source';
import { RunsRepository } from './runs.repository';
import { RunsService } from './runs.service';
import { SendService } from './send.service';

/** The runs module's side of the WebSocket gateway: sends and follows, as the REST routes do. */
@Injectable()
export class WsRunSource extends RunSource implements OnModuleInit {
  constructor(
    private readonly sources: RunSources,
    private readonly sends: SendService,
    private readonly runs: RunsService,
    private readonly repository: RunsRepository,
    private readonly agents: AgentsService,
  ) {
    super();
  }

  onModuleInit(): void {
    this.sources.bind(this);
  }

  async send(p: AuthPrincipal, agentId: string, text: string): Promise<StartedRun> {
    const input = [{ role: 'user', content: text }] as unknown as MessageInput[];
    const stream = await this.sends.stream(p, agentId, { input });
    return { runId: stream.runId, chunks: stream.chunks, abandon: () => stream.abandon() };
  }

  async follow(
    p: AuthPrincipal,
    runId: string,
    startingAfter: number,
    authorize?: (agentId: string) => void,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<RunChunk>> {
    if (authorize) authorize((await this.runs.get(p, runId)).agentId);
    return this.runs.stream(p, runId, startingAfter, signal);
  }

  async activeRuns(p: AuthPrincipal, agentId: string): Promise<string[]> {
    await this.agents.assertExists(p, agentId);
    const active = await this.repository.activeForAgent(p.organizationId, agentId);
    return active.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map((r) => r.id);
  }
}
