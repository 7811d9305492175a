import path from 'node:path';
import { rm } from 'node:fs/promises';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, invalid } from '../../domain/errors.ts';
import { MediaFolder, spool, tooLarge, type Spooled } from '../../domain/media/files.ts';
import type { Media } from '../../domain/media/media.ts';
import { importUpload } from '../../domain/media/service.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import type { WebDeps } from '../context.ts';
import { mediaOut } from '../presenters/media.ts';

/** Room for the multipart framing around the file: boundaries, part headers, a few short fields. */
const MULTIPART_SLACK = 64 * 1024;

/**
 * POST /media in its own plugin scope, so the multipart parser exists for this route only. The file streams to a
 * temporary file; crossing the size limit answers 413 at once, and the rest of the body is read and dropped (up to a
 * bound, web/linger.ts) so that the client hears the 413 instead of a reset connection.
 */
export async function mediaRoutes(app: FastifyInstance, { ctx, config }: WebDeps): Promise<void> {
  const maxBytes = config.mediaMaxBytes;
  const folder = new MediaFolder(path.join(config.dataDir, 'media'));
  await folder.prepare();
  await app.register(multipart, {
    limits: { fileSize: maxBytes, files: 1, fields: 5, parts: 6, fieldSize: 1024, headerPairs: 20 },
    throwFileSizeLimit: true,
  });
  // Any other body type reaches the handler unread, which refuses it with a message about this route.
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  app.post('/media', { config: AUTH_REQUIRED, bodyLimit: maxBytes + MULTIPART_SLACK }, async (req, reply) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes + MULTIPART_SLACK) throw tooLarge(maxBytes);
    if (!req.isMultipart()) {
      throw new DomainError('unsupported', 'unsupported_media_type', 'Send the image as multipart/form-data in the field "file"');
    }
    const upload = await receive(req, folder, maxBytes);
    let media: Media;
    try {
      media = await importUpload(ctx, req.actor, folder, upload);
    } finally {
      // Gone before the answer leaves, whatever the answer is.
      await rm(upload.path, { force: true });
    }
    return reply.code(201).send(mediaOut(media));
  });
}

/** Reads every part, spooling the one file in field "file"; anything else is refused with a 4xx. */
async function receive(req: FastifyRequest, folder: MediaFolder, maxBytes: number): Promise<Spooled & { name: string }> {
  let upload: (Spooled & { name: string }) | undefined;
  try {
    for await (const part of req.parts()) {
      if (part.type !== 'file') continue;
      if (part.fieldname !== 'file') {
        part.file.resume();
        continue;
      }
      const abort = new AbortController();
      // busboy stops passing bytes at the limit but would only end the stream with the whole part read.
      part.file.once('limit', () => abort.abort(tooLarge(maxBytes)));
      upload = { ...(await spool(part.file, folder, maxBytes, abort.signal)), name: part.filename };
      if (part.file.truncated) throw tooLarge(maxBytes);
    }
  } catch (err) {
    if (upload) await rm(upload.path, { force: true });
    throw multipartError(err, maxBytes);
  }
  if (!upload) throw invalid('Send the image in the multipart field "file"', 'file', 'file_required');
  return upload;
}

/** The client may still be sending megabytes we will not read: answer and hang up. */
export function multipartError(err: unknown, maxBytes: number): unknown {
  if (err instanceof DomainError) return err;
  switch ((err as { code?: string }).code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(maxBytes);
    case 'FST_FILES_LIMIT':
      return invalid('Send one file per request', 'file', 'too_many_files');
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return invalid('Too many form fields', undefined, 'too_many_fields');
  }
  const message = err instanceof Error ? err.message : String(err);
  // busboy's own parse errors (a missing boundary, a truncated body) are the client's malformed request.
  if (/multipart|boundary|unexpected end|part terminated/i.test(message) || (err as { statusCode?: number }).statusCode === 400) {
    return invalid(`The multipart body is malformed (${message.slice(0, 120)})`, undefined, 'invalid_multipart');
  }
  return err;
}
