import path from 'node:path';
import { rm } from 'node:fs/promises';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, invalid } from '../../domain/errors.ts';
import { UploadCheck, type ImportJobs, type UploadedFile } from '../../domain/imports/jobs.ts';
import type { ImportRunOptions } from '../../domain/imports/runs.ts';
import { MediaFolder, spool, tooLarge } from '../../domain/media/files.ts';
import { AUTH_REQUIRED } from '../auth.ts';
import { typed, type WebDeps } from '../context.ts';
import { importRunOut } from '../presenters/imports.ts';
import { multipartError } from './media.ts';
import { IdParams } from './schemas.ts';

/** Room for the multipart framing around the file: boundaries, part headers, the option fields. */
const MULTIPART_SLACK = 64 * 1024;
const OPTION_FIELDS = { dryRun: 'dryRun', update: 'update', createAuthors: 'createAuthors' } as const;

/**
 * The newsroom's imports (admins): POST /imports takes a WXR, RSS, Atom, JSON Feed or JSON lines file as multipart
 * (field "file", options as fields "dryRun", "update", "createAuthors": true/false) and starts it in the background
 * (202 and the run); GET
 * /imports/:id is its progress, then its report; GET /imports the history. In its own plugin scope, so the multipart
 * parser and the larger body limit (INKSTONE_IMPORT_MAX_BYTES) exist for this route only. Who may import and whether
 * another import runs are decided before a byte of the file is read; the file streams to a temporary file in the data
 * folder (media/tmp/<pid>, cleared at the next start if the process dies) and is never held in memory whole. On its
 * way it goes through the importer's parser (UploadCheck): a file that is not a format we import or not well-formed
 * XML is answered 400 `import_refused` with its line and column, and no run is made.
 */
export async function importRoutes(app: FastifyInstance, { config }: WebDeps, jobs: ImportJobs): Promise<void> {
  const maxBytes = config.importMaxBytes;
  const folder = new MediaFolder(path.join(config.dataDir, 'media'));
  await folder.prepare();
  await app.register(multipart, {
    limits: { fileSize: maxBytes, files: 1, fields: 5, parts: 6, fieldSize: 100, headerPairs: 20 },
    throwFileSizeLimit: true,
  });
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  const api = typed(app);

  app.post('/imports', { config: AUTH_REQUIRED, bodyLimit: maxBytes + MULTIPART_SLACK }, async (req, reply) => {
    await jobs.admit(req.actor);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes + MULTIPART_SLACK) throw tooLarge(maxBytes);
    if (!req.isMultipart()) {
      throw new DomainError('unsupported', 'unsupported_media_type', 'Send the file as multipart/form-data in the field "file"');
    }
    const { file, options } = await receive(req, folder, maxBytes);
    return reply.code(202).send(importRunOut(await jobs.start(req.actor, file, options)));
  });

  api.get('/imports', { config: AUTH_REQUIRED }, async (req) => ({
    items: (await jobs.list(req.actor)).map(importRunOut),
    limits: { maxBytes },
  }));

  api.get('/imports/:id', { config: AUTH_REQUIRED, schema: { params: IdParams } }, async (req) => importRunOut(await jobs.get(req.actor, req.params.id)));
}

function flag(name: string, value: unknown): boolean {
  if (value === 'true' || value === '1' || value === 'on') return true;
  if (value === 'false' || value === '0' || value === '') return false;
  throw invalid(`${name} must be true or false`, name, 'invalid_input');
}

/** Reads every part: the options, and the one file spooled to a temporary file; anything else is a 4xx. */
async function receive(req: FastifyRequest, folder: MediaFolder, maxBytes: number): Promise<{ file: UploadedFile; options: ImportRunOptions }> {
  let file: UploadedFile | undefined;
  const options: ImportRunOptions = { dryRun: false, update: false, createAuthors: false };
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        if (!Object.hasOwn(OPTION_FIELDS, part.fieldname)) throw invalid(`Unknown field "${part.fieldname.slice(0, 40)}"`, undefined, 'unknown_field');
        options[part.fieldname as keyof ImportRunOptions] = flag(part.fieldname, part.value);
        continue;
      }
      if (part.fieldname !== 'file') {
        part.file.resume();
        continue;
      }
      const abort = new AbortController();
      part.file.once('limit', () => abort.abort(tooLarge(maxBytes)));
      // Checked as it streams: a file the import would refuse is refused here, with no run made.
      const check = new UploadCheck();
      const spooled = await spool(part.file, folder, maxBytes, abort.signal, check);
      file = { path: spooled.path, bytes: spooled.bytes, name: part.filename, format: check.format };
      if (part.file.truncated) throw tooLarge(maxBytes);
    }
  } catch (err) {
    if (file) await rm(file.path, { force: true });
    throw multipartError(err, maxBytes);
  }
  if (!file) throw invalid('Send the archive file in the multipart field "file"', 'file', 'file_required');
  return { file, options };
}
