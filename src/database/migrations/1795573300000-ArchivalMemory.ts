import { MigrationInterface, QueryRunner } from 'typeorm';

/** Vector sizes that get their own HNSW index (local embedder, OpenAI small/ada, OpenAI large). */
export const HNSW_DIMENSIONS = [384, 1536, 3072] as const;

/**
 * Archival memory (archives, their agents, passages) and embeddings on messages for recall.
 *
 * `embedding` is an unsized `vector` so archives with different models coexist; `embedding_dim`
 * says which size a row has. Per-archive and per-agent search sort exactly over the owner's rows
 * (btree on archive_id / agent_id): an HNSW scan with a selective filter loses recall. The HNSW
 * indexes are partial expression indexes per common dimension, for large shared archives; a
 * query uses one only when it orders by `embedding::vector(N)` under `embedding_dim = N`.
 * pgvector's HNSW is limited to 2000 dimensions, so 3072 uses halfvec.
 */
export class ArchivalMemory1795573300000 implements MigrationInterface {
  name = 'ArchivalMemory1795573300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS vector`);
    await q.query(`
      CREATE TABLE archives (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        embedding_config jsonb,
        vector_db_provider text NOT NULL DEFAULT 'native',
        metadata jsonb,
        created_by_id text,
        last_updated_by_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX archives_org_created_idx ON archives (organization_id, created_at, id)`);
    await q.query(`CREATE INDEX archives_org_name_idx ON archives (organization_id, name)`);
    await q.query(`
      CREATE TABLE archives_agents (
        organization_id text NOT NULL,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        archive_id text NOT NULL REFERENCES archives(id) ON DELETE CASCADE,
        is_owner boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agent_id, archive_id)
      )`);
    await q.query(`CREATE INDEX archives_agents_archive_idx ON archives_agents (archive_id)`);
    await q.query(`
      CREATE TABLE passages (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        archive_id text REFERENCES archives(id) ON DELETE CASCADE,
        file_id text,
        file_name text,
        source_id text,
        text text NOT NULL,
        tags text[] NOT NULL DEFAULT '{}',
        metadata jsonb,
        embedding vector,
        embedding_dim integer,
        embedding_config jsonb,
        fts tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        created_by_id text,
        last_updated_by_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX passages_archive_created_idx ON passages (archive_id, created_at, id)`);
    await q.query(`CREATE INDEX passages_org_created_idx ON passages (organization_id, created_at, id)`);
    await q.query(`CREATE INDEX passages_source_idx ON passages (source_id) WHERE source_id IS NOT NULL`);
    await q.query(`CREATE INDEX passages_fts_idx ON passages USING gin (fts)`);
    await q.query(`CREATE INDEX passages_tags_idx ON passages USING gin (tags)`);
    for (const dim of HNSW_DIMENSIONS) {
      const [type, ops] = dim > 2000 ? ['halfvec', 'halfvec_cosine_ops'] : ['vector', 'vector_cosine_ops'];
      await q.query(
        `CREATE INDEX passages_embedding_${dim}_hnsw ON passages USING hnsw ((embedding::${type}(${dim})) ${ops}) WHERE embedding_dim = ${dim}`,
      );
    }

    // Recall: messages get an embedding, filled lazily by search (or by the loop after persisting).
    await q.query(`ALTER TABLE messages ADD COLUMN embedding vector, ADD COLUMN embedding_dim integer`);
    await q.query(
      `CREATE INDEX messages_unembedded_idx ON messages (agent_id, sequence_id) WHERE embedding IS NULL AND text_content <> ''`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS messages_unembedded_idx`);
    await q.query(
      `ALTER TABLE messages DROP COLUMN IF EXISTS embedding, DROP COLUMN IF EXISTS embedding_dim`,
    );
    for (const t of ['passages', 'archives_agents', 'archives']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
