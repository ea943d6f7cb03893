import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import { DataSource } from 'typeorm';

/**
 * Where uploaded files' bytes live. The default keeps them in Postgres; an S3-compatible store
 * can implement the same three methods and be bound to this token instead.
 */
export abstract class FileStorage {
  /** Stores the stream under the file's id and answers the number of bytes written. */
  abstract write(organizationId: string, fileId: string, data: Readable): Promise<number>;
  /** The file's bytes, slice by slice. */
  abstract read(organizationId: string, fileId: string): AsyncIterable<Buffer>;
  abstract delete(organizationId: string, fileId: string): Promise<void>;
}

/** Bytes per stored slice: an upload is never held whole in memory. */
export const SLICE_BYTES = 1024 * 1024;

/**
 * FileStorage in the `file_blobs` table: one row per slice, written as the upload arrives. The
 * rows go with their file (ON DELETE CASCADE); the file row is the tenant check.
 */
@Injectable()
export class PostgresFileStorage extends FileStorage {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async write(_organizationId: string, fileId: string, data: Readable): Promise<number> {
    let seq = 0;
    let total = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const slice = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.ds.query(`INSERT INTO file_blobs (file_id, seq, data) VALUES ($1, $2, $3)`, [
        fileId,
        seq++,
        slice,
      ]);
    };
    for await (const chunk of data) {
      const buf = chunk as Buffer;
      total += buf.length;
      pending.push(buf);
      pendingBytes += buf.length;
      if (pendingBytes >= SLICE_BYTES) await flush();
    }
    await flush();
    return total;
  }

  async *read(_organizationId: string, fileId: string): AsyncIterable<Buffer> {
    const [{ n }] = (await this.ds.query(`SELECT count(*)::int AS n FROM file_blobs WHERE file_id = $1`, [
      fileId,
    ])) as Array<{ n: number }>;
    for (let seq = 0; seq < n; seq++) {
      const rows = (await this.ds.query(`SELECT data FROM file_blobs WHERE file_id = $1 AND seq = $2`, [
        fileId,
        seq,
      ])) as Array<{ data: Buffer }>;
      if (rows[0]) yield rows[0].data;
    }
  }

  async delete(_organizationId: string, fileId: string): Promise<void> {
    await this.ds.query(`DELETE FROM file_blobs WHERE file_id = $1`, [fileId]);
  }
}
