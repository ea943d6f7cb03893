import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '../common/auth/principal';

/** An API key: only its SHA-256 is stored; `prefix` (12 hex) finds the row. */
@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  /** The user the key acts as; null: the key acts as itself (its id stands in for a user id). */
  @Column('text', { name: 'user_id', nullable: true }) userId: string | null;
  @Column('text') name: string;
  @Column('text') prefix: string;
  @Column('text', { name: 'key_hash' }) keyHash: string;
  @Column('text') role: Role;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt: Date | null;
  @Column('integer', { name: 'rate_limit_per_minute', nullable: true }) rateLimitPerMinute: number | null;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  @Column('text', { name: 'created_by_id', nullable: true }) createdById: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
