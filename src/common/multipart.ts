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
      upload = { file: await part.toBuffer(), filename: part.filename };
    } else {
      if (part.fieldname in fields) throw new InvalidInputError(`${part.fieldname}: given twice`);
      fields[part.fieldname] = String(part.value);
    }
  }
  if (!upload) throw new InvalidInputError(`${fileField}: the upload has no file`);
  return { ...upload, fields };
}
