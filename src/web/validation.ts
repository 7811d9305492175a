import AjvModule, { type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv is CommonJS: under NodeNext its class is the default export's default.
const Ajv = AjvModule.default;
const common: Options = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false };

// Bodies are JSON: a wrong type is an error, never silently coerced; unknown fields are rejected by schema.
const strict = new Ajv({ ...common, coerceTypes: false });
// Query strings and path params arrive as text: numbers and booleans are coerced from it.
const coercing = new Ajv({ ...common, coerceTypes: 'array' });
addFormats.default(strict);
addFormats.default(coercing);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};
