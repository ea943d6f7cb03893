import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { AgentExtensions } from '../agents/agent-extensions';
import { AgentEntity } from '../agents/agent.entity';
import type { CreateAgentDto, UpdateAgentDto } from '../agents/dto/agent.dto';
import { Principal } from '../common/auth/principal';
import { InvalidInputError } from '../common/errors';
import { newId } from '../common/ids';
import { decryptSecret, encryptSecret, loadSecretsKey } from '../common/secrets';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AgentSecretEntity } from './agent-secret.entity';
import { AgentSecretsRepository } from './agent-secrets.repository';

/** Environment variable names a tool may be given (POSIX-ish: no '=', no NUL, not empty). */
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_VALUE = 64 * 1024;
const MAX_SECRETS = 100;

/**
 * An agent's tool secrets (`secrets`, or the deprecated `tool_exec_environment_variables`, on
 * agent create/update): encrypted at rest, surfaced in AgentState as Letta's
 * AgentEnvironmentVariable list, and handed decrypted to the sandbox as the tool's only env.
 *
 * AgentState carries the plaintext `value`, as Letta's does (its ADE and clients read it back);
 * `value_enc` is always null: ciphertext never leaves the server. Anyone who can read the agent
 * can also run a tool that prints its env, so hiding the value would protect nothing.
 */
@Injectable()
export class AgentSecretsService implements OnModuleInit {
  private readonly key: Buffer;

  constructor(
    private readonly secrets: AgentSecretsRepository,
    private readonly extensions: AgentExtensions,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.key = loadSecretsKey(config.secretsKey, config.dataDir);
  }

  onModuleInit(): void {
    this.extensions.register({
      name: 'secrets',
      prepareCreate: async (_p, dto) => this.validate(dto),
      createRows: (p, agent, _dto, prepared) => ({
        rows: [
          { entity: AgentSecretEntity, rows: this.seal(p, agent.id, prepared as Record<string, string>) },
        ],
      }),
      afterUpdate: (p, agent, dto) => this.afterUpdate(p, agent, dto),
      statePart: {
        relation: 'secrets',
        sql: AgentSecretsRepository.AGENT_SECRETS_JSON,
        toState: (value) => this.toState(this.secrets.fromJson(value)),
      },
    });
  }

  /** The decrypted secrets of one agent, as the environment of its tools. */
  async envFor(p: Principal, agentId: string): Promise<Record<string, string>> {
    const rows = (await this.secrets.forAgents(p.organizationId, [agentId])).get(agentId) ?? [];
    return Object.fromEntries(rows.map((r) => [r.key, this.open(r)]));
  }

  /** PATCH: a given map replaces the agent's secrets (keys left out are removed), as in Letta. */
  private async afterUpdate(p: Principal, agent: AgentEntity, dto: UpdateAgentDto): Promise<void> {
    if (dto.secrets == null && dto.tool_exec_environment_variables == null) return;
    await this.secrets.replace(p.organizationId, agent.id, this.seal(p, agent.id, this.validate(dto)));
  }

  private toState(rows: AgentSecretEntity[]): Record<string, unknown> {
    const vars = rows.map((r) => ({
      id: r.id,
      agent_id: r.agentId,
      key: r.key,
      value: this.open(r),
      value_enc: null,
      description: r.description,
      created_by_id: r.createdById,
      last_updated_by_id: r.lastUpdatedById,
      created_at: r.createdAt.toISOString(),
      updated_at: r.updatedAt.toISOString(),
    }));
    return { secrets: vars, tool_exec_environment_variables: vars };
  }

  /** `secrets` wins over the deprecated field; keys and values are checked before anything is written. */
  private validate(dto: CreateAgentDto | UpdateAgentDto): Record<string, string> {
    const field = dto.secrets != null ? 'secrets' : 'tool_exec_environment_variables';
    const given = dto.secrets ?? dto.tool_exec_environment_variables ?? {};
    const entries = Object.entries(given);
    if (entries.length > MAX_SECRETS)
      throw new InvalidInputError(`${field}: at most ${MAX_SECRETS} secrets per agent`);
    for (const [key, value] of entries) {
      if (!ENV_KEY.test(key)) {
        throw new InvalidInputError(
          `${field}: '${key}' is not a valid environment variable name (letters, digits, _)`,
        );
      }
      if (typeof value !== 'string') throw new InvalidInputError(`${field}.${key} must be a string`);
      if (value.length > MAX_VALUE || value.includes('\0')) {
        throw new InvalidInputError(
          `${field}.${key} must be a string of at most ${MAX_VALUE} characters without NUL`,
        );
      }
    }
    return given;
  }

  private seal(p: Principal, agentId: string, secrets: Record<string, string>): AgentSecretEntity[] {
    return Object.entries(secrets).map(
      ([key, value]) =>
        ({
          id: newId('agent-env'),
          organizationId: p.organizationId,
          agentId,
          key,
          valueEnc: encryptSecret(value, this.key, `${agentId}/${key}`),
          description: null,
          createdById: p.userId,
          lastUpdatedById: p.userId,
        }) as AgentSecretEntity,
    );
  }

  private open(r: AgentSecretEntity): string {
    return decryptSecret(r.valueEnc, this.key, `${r.agentId}/${r.key}`);
  }
}
