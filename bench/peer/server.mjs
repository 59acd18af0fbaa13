// node-oidc-provider with in-memory storage: client_credentials and introspection enabled,
// one confidential client. Usage: node server.mjs PORT CLIENT_ID CLIENT_SECRET [jwt]
// With "jwt", client_credentials access tokens are ES256-signed JWTs (RFC 9068) for a
// default resource, as the hub's are; otherwise opaque (node-oidc-provider's default).
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, format] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const jwt = format === 'jwt';
const key = (type, options, alg) => ({
  ...generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' }), alg, use: 'sig',
});
const resource = 'urn:bench:api';
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'api',
  }],
  scopes: ['api'],
  ttl: { ClientCredentials: 600 },
  ...(jwt ? {
    jwks: { keys: [key('rsa', { modulusLength: 2048 }, 'RS256'),
                   key('ec', { namedCurve: 'P-256' }, 'ES256')] },
  } : {}),
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    devInteractions: { enabled: false },
    ...(jwt ? {
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: 'api', audience: resource, accessTokenTTL: 600,
          accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } },
        }),
      },
    } : {}),
  },
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`peer listening on ${issuer}`));
