import type { FastifyRequest } from 'fastify';
import '@fastify/multipart';
import { DomainError, InvalidInputError } from './errors';

export interface Upload {
  file: Buffer;
  filename: string;
  fields: Record<string, string>;
}

/**
 * Reads a multipart/form-data request (@fastify/multipart, registered in app.factory with the
 * body limit as its file size limit): the one file in `fileField` and the text fields. A file
 * under another name, a second file or a field given twice is refused by name.
 */
export async function readUpload(request: FastifyRequest, fileField = 'file'): Promise<Upload> {
  if (!request.isMultipart())
    throw new DomainError(
      415,
      'unsupported_media_type',
      `Expected a multipart/form-data upload with the file in the '${fileField}' field`,
    );
  let upload: { file: Buffer; filename: string } | undefined;
  const fields: Record<string, string> = {};
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (part.fieldname !== fileField || upload) {
        part.file.resume();
        throw new InvalidInputError(
          part.fieldname !== fileField
            ? `${part.fieldname}: unexpected file (the upload goes in '${fileField}')`
            : `${fileField}: only one file may be uploaded`,
        );
      }
      upload = {
        file: await part.toBuffer().catch((e: unknown) => tooLarge(request, fileField, e)),
        filename: part.filename,
      };
    } else {
      if (part.fieldname in fields) throw new InvalidInputError(`${part.fieldname}: given twice`);
      fields[part.fieldname] = String(part.value);
    }
  }
  if (!upload) throw new InvalidInputError(`${fileField}: the upload has no file`);
  return { ...upload, fields };
}

/** The file-size limit is the body limit (app.factory): a larger file is a 413 that says so. */
function tooLarge(request: FastifyRequest, field: string, e: unknown): never {
  if ((e as { code?: string }).code !== 'FST_REQ_FILE_TOO_LARGE') throw e;
  const limit = request.routeOptions?.bodyLimit ?? request.server.initialConfig.bodyLimit ?? 0;
  const mb = Number((limit / (1024 * 1024)).toFixed(2));
  throw new DomainError(
    413,
    'payload_too_large',
    `${field}: larger than the limit of ${mb} MB (ENGRAM_BODY_LIMIT_MB)`,
  );
}

/** A streamed upload: the file part's name, declared type and byte stream, read as it arrives. */
export interface StreamedUpload {
  filename: string;
  mimetype: string | undefined;
  stream: import('node:stream').Readable;
  /** True once the stream was cut at `maxBytes` (the caller answers 413). */
  truncated(): boolean;
}

/**
 * The one file of a multipart/form-data request (in `fileField`), as a stream bounded by
 * `maxBytes`, for uploads too large to hold in memory. Fields before the file are ignored.
 */
export async function readUploadStream(
  request: FastifyRequest,
  maxBytes: number,
  fileField = 'file',
): Promise<StreamedUpload> {
  if (!request.isMultipart())
    throw new DomainError(
      415,
      'unsupported_media_type',
      `Expected a multipart/form-data upload with the file in the '${fileField}' field`,
    );
  const part = await request.file({ limits: { fileSize: maxBytes }, throwFileSizeLimit: false });
  if (!part) throw new InvalidInputError(`${fileField}: the upload has no file`);
  if (part.fieldname !== fileField) {
    part.file.resume();
    throw new InvalidInputError(`${part.fieldname}: unexpected file (the upload goes in '${fileField}')`);
  }
  return {
    filename: part.filename,
    mimetype: part.mimetype,
    stream: part.file,
    truncated: () => part.file.truncated,
  };
}
