import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { AgentGrant } from '../common/auth/principal';

/**
 * A client-side access token (Letta's `client.accessTokens`): found by the SHA-256 of the token;
 * the token itself is kept encrypted (common/secrets.ts) because Letta's list returns it.
 */
@Entity('client_access_tokens')
export class AccessTokenEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'organization_id' }) organizationId: string;
  /** The user who created it; requests made with the token act as this user. */
  @Column('text', { name: 'user_id' }) userId: string;
  @Column('text', { name: 'token_hash' }) tokenHash: string;
  @Column('text', { name: 'token_enc' }) tokenEnc: string;
  @Column('text') hostname: string;
  @Column('jsonb') policy: AgentGrant[];
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
