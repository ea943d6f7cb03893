import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** One agent tool secret; the value is only ever stored encrypted (common/secrets.ts). */
@Entity('agent_secrets')
export class AgentSecretEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'agent_id' }) agentId: string;
  @Column('text') key: string;
  @Column('text', { name: 'value_enc' }) valueEnc: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @Column('text', { name: 'last_updated_by_id', nullable: true }) lastUpdatedById: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
