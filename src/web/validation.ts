import AjvModule, { type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv is CommonJS: under NodeNext its class is the default export's default.
const Ajv = AjvModule.default;
// `validateSchema: false`: ajv checks each schema against the JSON Schema meta-schema before compiling it, and the first
// check compiles that meta-schema (~100 ms of CPU per ajv instance, paid by a start's first page). Our schemas are
// code, not input: test/integration/route-schemas.test.ts checks every route's against the meta-schema instead.
const common: Options = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false, validateSchema: false };

// Bodies are JSON: a wrong type is an error, never silently coerced; unknown fields are rejected by schema.
const strict = new Ajv({ ...common, coerceTypes: false });
// Query strings and path params arrive as text: numbers and booleans are coerced from it.
const coercing = new Ajv({ ...common, coerceTypes: 'array' });
addFormats.default(strict);
addFormats.default(coercing);

/**
 * Each route's validator is compiled by its first request, not when the app starts: compiling every schema of every
 * route took ~180 ms of each start (bench/startup.ts), for routes most processes never see.
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing;
  let compiled: ValidateFunction | undefined;
  // Fastify reads `errors` off the validator after a failed call, as from an ajv function.
  const validate = Object.assign(
    (data: unknown) => {
      compiled ??= ajv.compile(schema as object);
      const ok = compiled(data);
      validate.errors = compiled.errors;
      return ok;
    },
    { errors: null as ValidateFunction['errors'] },
  );
  return validate as unknown as ReturnType<FastifySchemaCompiler<unknown>>;
};

/** U+0000, or half of a surrogate pair (in `u` mode a whole pair is one code point and does not match). */
const BAD_TEXT = /[\u0000\p{Cs}]/u;

/**
 * Where a request's parsed input holds text no store keeps as sent (`body`, `tags.1`…), if anywhere: U+0000, which
 * PostgreSQL's text cannot store or compare (every query it reached failed with a 500), or half of a surrogate pair
 * (a client cutting a string inside an emoji), stored as U+FFFD — one on PostgreSQL, three on SQLite.
 */
export function badTextField(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return BAD_TEXT.test(value) ? path : undefined;
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = badTextField(key, path) ?? badTextField(item, path === '' ? key : `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
