import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('tools')
export class ToolEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('text', { name: 'tool_type', default: 'custom' }) toolType: string;
  @Column('text', { name: 'source_type', nullable: true }) sourceType: string | null;
  @Column('text', { name: 'source_code', nullable: true }) sourceCode: string | null;
  @Column('jsonb', { name: 'json_schema', nullable: true }) jsonSchema: Record<string, unknown> | null;
  @Column('jsonb', { name: 'args_json_schema', nullable: true }) argsJsonSchema: Record<
    string,
    unknown
  > | null;
  @Column('text', { array: true, default: () => `'{}'` }) tags: string[];
  @Column('integer', { name: 'return_char_limit', default: 50000 }) returnCharLimit: number;
  @Column('jsonb', { name: 'pip_requirements', nullable: true }) pipRequirements: unknown[] | null;
  @Column('jsonb', { name: 'npm_requirements', nullable: true }) npmRequirements: unknown[] | null;
  @Column('boolean', { name: 'default_requires_approval', nullable: true }) defaultRequiresApproval:
    boolean | null;
  @Column('boolean', { name: 'enable_parallel_execution', nullable: true }) enableParallelExecution:
    boolean | null;
  @Column('jsonb', { nullable: true }) metadata: Record<string, unknown> | null;
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @Column('text', { name: 'last_updated_by_id', nullable: true }) lastUpdatedById: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('tools_agents')
export class ToolAgentEntity {
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @PrimaryColumn('text', { name: 'agent_id' }) agentId: string;
  @PrimaryColumn('text', { name: 'tool_id' }) toolId: string;
  @Column({ type: 'integer', insert: false, update: false }) position: number;
}

export function toToolDto(t: ToolEntity) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    tool_type: t.toolType,
    source_type: t.sourceType,
    source_code: t.sourceCode,
    json_schema: t.jsonSchema,
    args_json_schema: t.argsJsonSchema,
    tags: t.tags,
    return_char_limit: t.returnCharLimit,
    pip_requirements: t.pipRequirements,
    npm_requirements: t.npmRequirements,
    default_requires_approval: t.defaultRequiresApproval,
    enable_parallel_execution: t.enableParallelExecution,
    metadata_: t.metadata ?? {},
    project_id: null,
    created_by_id: t.createdById,
    last_updated_by_id: t.lastUpdatedById,
  };
}
