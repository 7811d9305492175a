import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DomainError, invalid } from '../../domain/errors.ts';
import { WechatSigner } from '../../domain/wechat/jssdk.ts';
import { typed, type WebDeps } from '../context.ts';

const Query = Type.Object({ url: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });

/** `GET /api/v1/wechat/jssdk?url=`: the JS-SDK config for one of our pages, when WeChat credentials are set. */
export function wechatRoutes(app: FastifyInstance, { config }: WebDeps): void {
  const signer = config.wechat ? new WechatSigner(config.wechat) : undefined;
  typed(app).get('/wechat/jssdk', { schema: { querystring: Query } }, async (req, reply) => {
    if (!signer) throw new DomainError('not_found', 'not_configured', 'WeChat JS-SDK is not configured (INKSTONE_WECHAT_APPID, INKSTONE_WECHAT_SECRET)');
    let url: URL;
    try {
      url = new URL(req.query.url);
    } catch {
      throw invalid('url must be an absolute URL', 'url');
    }
    // Only our own pages are signed: a signature is a capability for that URL.
    if (url.origin !== new URL(config.siteUrl).origin) throw invalid('url must be a page of this site', 'url', 'foreign_url');
    reply.header('cache-control', 'no-store');
    return signer.sign(url.href);
  });
}
