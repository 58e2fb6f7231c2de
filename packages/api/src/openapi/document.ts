import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { appRouter } from '../router';

type Json = Record<string, unknown>;
type Schema = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];
type Operation = { summary?: string; security?: unknown[]; parameters?: Json[]; responses?: Record<string, Json> };

const DESCRIPTION = [
  'The Strongroom API as it travels: tRPC over HTTP at `/trpc`, no transformer.',
  'Queries are `GET /trpc/<procedure>?input=<JSON>`; mutations are `POST /trpc/<procedure>` with the input',
  'as the JSON body. Answers come as `{ "result": { "data": … } }` and errors as `{ "error": { message, code, data } }`,',
  'where `data.code` is the error code and `data.field` names the input field at fault.',
  'Authorize with a user token (`Bearer …`); worker-only `internal.*` procedures are not listed here.',
].join(' ');

/** The tRPC error envelope, as the server's error formatter shapes it. */
const ERROR_SCHEMA: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'code', 'data'],
      properties: {
        message: { type: 'string' },
        code: { type: 'integer', description: 'JSON-RPC error number' },
        data: {
          type: 'object',
          required: ['code', 'httpStatus'],
          properties: {
            code: { type: 'string', examples: ['BAD_REQUEST', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT'] },
            httpStatus: { type: 'integer' },
            path: { type: 'string' },
            requestId: { type: 'string' },
            reason: { type: 'string' },
            field: { type: 'string' },
            fieldErrors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
            details: { type: 'object' },
          },
        },
      },
    },
  },
};

/** trpc-to-openapi lists a query's input fields as separate query parameters; tRPC takes one `input` parameter holding JSON. */
function asInputParameter(parameters: Json[]): Json[] {
  if (parameters.length === 0) return [];
  const properties = Object.fromEntries(parameters.map((p) => [p.name as string, p.schema]));
  const required = parameters.filter((p) => p.required).map((p) => p.name as string);
  return [
    {
      in: 'query',
      name: 'input',
      required: required.length > 0,
      description: 'The procedure input as JSON',
      content: {
        'application/json': {
          schema: { type: 'object', properties, required, additionalProperties: false },
          // "Try it out" would otherwise prefill every optional filter with placeholder strings.
          ...(required.length === 0 && { example: {} }),
        },
      },
    },
  ];
}

/** tRPC wraps every answer in `{ result: { data } }` and every error in its own envelope. */
function asTrpcResponses(responses: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [status, response] of Object.entries(responses)) {
    if (status === '200') {
      const content = response.content as { 'application/json': { schema: Json } };
      const data = content['application/json'].schema;
      const schema = {
        type: 'object',
        required: ['result'],
        properties: { result: { type: 'object', required: ['data'], properties: { data } } },
      };
      out[status] = { ...response, content: { 'application/json': { schema } } };
    } else {
      out[status] = {
        description: response.description,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
  }
  return out;
}

/**
 * A union of one schema (a discriminated union with a single member so far) written as that
 * schema, everywhere in `value`: Redocly's recommended rules refuse a one-schema `oneOf`/`anyOf`.
 */
function collapseSingleUnions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(collapseSingleUnions);
  if (typeof value !== 'object' || value === null) return value;
  const { oneOf, anyOf, ...rest } = value as Json;
  const union = (oneOf ?? anyOf) as unknown[] | undefined;
  const out: Json = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, collapseSingleUnions(v)]));
  if (union?.length === 1) return { ...out, ...(collapseSingleUnions(union[0]) as Json) };
  if (oneOf !== undefined) out.oneOf = collapseSingleUnions(oneOf);
  if (anyOf !== undefined) out.anyOf = collapseSingleUnions(anyOf);
  return out;
}

/**
 * The OpenAPI 3.1 document of every procedure that carries `openapi` meta, rewritten to describe
 * the tRPC wire itself. (trpc-to-openapi's own REST adapter is not used: it turns on zod coercion
 * in the shared input schemas at its first request, which would loosen validation on `/trpc` too.)
 * @example app.get('/openapi.json', () => buildOpenApiDocument());
 */
export function buildOpenApiDocument(): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: 'Strongroom API',
    description: DESCRIPTION,
    version: '0.1.0',
    baseUrl: '/trpc',
    filter: ({ metadata }) => !metadata.openapi.path.startsWith('/internal.'),
  });
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const operation of Object.values(item as Record<string, Operation>)) {
      // Every operation has a summary (Redocly's recommended rules ask for one): the tRPC path,
      // which is what a client calls, unless the procedure's meta gives one.
      operation.summary ??= path.slice(1);
      // A public procedure says so (`security: []`) instead of leaving its security unstated.
      operation.security ??= [];
      if (operation.parameters) operation.parameters = asInputParameter(operation.parameters);
      if (operation.responses) operation.responses = asTrpcResponses(operation.responses);
    }
  }
  // UNLICENSED, as every package.json says; SPDX names a license off its list `LicenseRef-…`.
  doc.info.license = { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' };
  // The library's own error schemas describe its REST adapter's shape, which is not used here.
  const schemas = Object.fromEntries(
    Object.entries(doc.components?.schemas ?? {}).filter(([name]) => !name.startsWith('error.')),
  );
  doc.components = { ...doc.components, schemas: { ...schemas, Error: ERROR_SCHEMA } };
  return collapseSingleUnions(doc) as OpenAPIObject;
}
