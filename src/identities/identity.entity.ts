import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const IDENTITY_TYPES = ['org', 'user', 'other'] as const;
export type IdentityType = (typeof IDENTITY_TYPES)[number];

export const PROPERTY_TYPES = ['string', 'number', 'boolean', 'json'] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];

/** Letta's IdentityProperty: a typed key/value pair. */
export interface IdentityProperty {
  key: string;
  value: string | number | boolean | Record<string, unknown>;
  type: PropertyType;
}

@Entity('identities')
export class IdentityEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @Column('text', { name: 'identifier_key' }) identifierKey: string;
  @Column('text') name: string;
  @Column('text', { name: 'identity_type' }) identityType: IdentityType;
  @Column('text', { name: 'project_id', nullable: true }) projectId: string | null;
  @Column('jsonb', { default: () => `'[]'` }) properties: IdentityProperty[];
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @Column('text', { name: 'last_updated_by_id', nullable: true }) lastUpdatedById: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('identities_agents')
export class IdentityAgentEntity {
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @PrimaryColumn('text', { name: 'identity_id' }) identityId: string;
  @PrimaryColumn('text', { name: 'agent_id' }) agentId: string;
}

@Entity('identities_blocks')
export class IdentityBlockEntity {
  @Column('text', { name: 'organization_id' }) organizationId: string;
  @PrimaryColumn('text', { name: 'identity_id' }) identityId: string;
  @PrimaryColumn('text', { name: 'block_id' }) blockId: string;
}

/** An identity with the ids of the agents and blocks linked to it, as Letta's Identity shows them. */
export interface IdentityWithLinks {
  identity: IdentityEntity;
  agentIds: string[];
  blockIds: string[];
}

export function toIdentityDto({ identity: i, agentIds, blockIds }: IdentityWithLinks) {
  return {
    id: i.id,
    identifier_key: i.identifierKey,
    name: i.name,
    identity_type: i.identityType,
    project_id: i.projectId,
    agent_ids: agentIds,
    block_ids: blockIds,
    organization_id: i.organizationId,
    properties: i.properties ?? [],
  };
}
