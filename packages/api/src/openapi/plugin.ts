import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { buildOpenApiDocument } from './document';

/**
 * The browsable API: the OpenAPI document at `/openapi.json` and Swagger UI at `/docs`, both
 * served from installed packages (the UI's scripts and styles come from this server, so helmet's
 * `script-src 'self'` holds and no CDN is needed).
 * @example await app.register(openApiDocs);
 */
export async function openApiDocs(app: FastifyInstance): Promise<void> {
  const document = buildOpenApiDocument();
  // The same OpenAPI 3.1 document, typed by another library (openapi3-ts vs openapi-types).
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Keep the operations folded and never ask an outside validator about the document.
    uiConfig: { docExpansion: 'list', persistAuthorization: false, tryItOutEnabled: false },
    validatorUrl: false,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => document);
}
