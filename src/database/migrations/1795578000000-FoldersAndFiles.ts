import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Folders (Letta's sources) and their files, each file's stored bytes and parsed text, which
 * agents have which folders, each agent's view of each file (open or closed, its visible
 * window, when it was last read), and jobs (background work such as ingesting a file).
 *
 * A file's bytes are stored in slices (`file_blobs`, one row per slice of at most 1 MB) so an
 * upload streams into the database without being held whole in memory. File passages are the
 * ordinary `passages` rows with `file_id`/`source_id` set; they go with their file or folder.
 */
export class FoldersAndFiles1795578000000 implements MigrationInterface {
  name = 'FoldersAndFiles1795578000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sources (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        instructions text,
        metadata jsonb,
        embedding_config jsonb NOT NULL,
        created_by_id text,
        last_updated_by_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT sources_name_unique UNIQUE (organization_id, name)
      )`);
    await q.query(`CREATE INDEX sources_org_created_idx ON sources (organization_id, created_at, id)`);
    await q.query(`
      CREATE TABLE files (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        source_id text NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        file_name text NOT NULL,
        original_file_name text NOT NULL,
        file_path text,
        file_type text,
        file_size bigint,
        processing_status text NOT NULL DEFAULT 'pending',
        error_message text,
        total_chunks integer,
        chunks_embedded integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT files_name_unique UNIQUE (source_id, file_name)
      )`);
    await q.query(`CREATE INDEX files_source_created_idx ON files (source_id, created_at, id)`);
    await q.query(`CREATE INDEX files_source_original_idx ON files (source_id, original_file_name)`);
    await q.query(`
      CREATE TABLE file_blobs (
        file_id text NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (file_id, seq)
      )`);
    await q.query(`
      CREATE TABLE file_contents (
        file_id text PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
        organization_id text NOT NULL,
        text text NOT NULL
      )`);
    await q.query(`
      CREATE TABLE sources_agents (
        organization_id text NOT NULL,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        source_id text NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agent_id, source_id)
      )`);
    await q.query(`CREATE INDEX sources_agents_source_idx ON sources_agents (source_id)`);
    await q.query(`
      CREATE TABLE files_agents (
        id text PRIMARY KEY,
        organization_id text NOT NULL,
        agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        file_id text NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        source_id text NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        file_name text NOT NULL,
        is_open boolean NOT NULL DEFAULT false,
        visible_content text,
        start_line integer,
        end_line integer,
        last_accessed_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT files_agents_unique UNIQUE (agent_id, file_id)
      )`);
    await q.query(`CREATE INDEX files_agents_agent_created_idx ON files_agents (agent_id, created_at, id)`);
    await q.query(`CREATE INDEX files_agents_file_idx ON files_agents (file_id)`);
    await q.query(`
      CREATE TABLE jobs (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        user_id text,
        status text NOT NULL DEFAULT 'created',
        job_type text NOT NULL DEFAULT 'job',
        metadata jsonb,
        progress jsonb,
        attempts integer NOT NULL DEFAULT 0,
        stop_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    await q.query(`CREATE INDEX jobs_org_created_idx ON jobs (organization_id, created_at, id)`);
    await q.query(`CREATE INDEX passages_file_idx ON passages (file_id) WHERE file_id IS NOT NULL`);
    await q.query(
      `ALTER TABLE passages ADD CONSTRAINT passages_file_fk FOREIGN KEY (file_id) REFERENCES files(id) ON DELETE CASCADE`,
    );
    await q.query(
      `ALTER TABLE passages ADD CONSTRAINT passages_source_fk FOREIGN KEY (source_id) REFERENCES sources(id) ON DELETE CASCADE`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE passages DROP CONSTRAINT IF EXISTS passages_source_fk`);
    await q.query(`ALTER TABLE passages DROP CONSTRAINT IF EXISTS passages_file_fk`);
    await q.query(`DROP INDEX IF EXISTS passages_file_idx`);
    for (const t of [
      'jobs',
      'files_agents',
      'sources_agents',
      'file_contents',
      'file_blobs',
      'files',
      'sources',
    ])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
