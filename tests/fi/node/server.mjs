// node-oidc-provider, unmodified, as an upstream identity provider (FI) for the federation
// tests; configured only through its options and its documented interaction API.
// Usage: node server.mjs PORT CONFIG_JSON
//   CONFIG_JSON = {"clients": [client metadata...], "accounts": {"<login>": {pivot claims}}}
// The login page (GET /interaction/<uid>) is a plain form: login and acr (eidas1|eidas2),
// posted to /interaction/<uid>/login. Consent is implied (FranceConnect's FIs ask none).
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const [port, configJson] = process.argv.slice(2);
const config = JSON.parse(configJson);
const issuer = `http://127.0.0.1:${port}`;
const PIVOT = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry',
  'email'];

function signingKey(type, options, alg, kid) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), alg, kid, use: 'sig' };
}

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: {
    keys: [
      signingKey('rsa', { modulusLength: 2048 }, 'RS256', 'fi-rs256'),
      signingKey('ec', { namedCurve: 'P-256' }, 'ES256', 'fi-es256'),
    ],
  },
  // FranceConnect's scopes: one per pivot claim.
  claims: Object.fromEntries([['openid', ['sub']], ['acr', null], ['amr', null],
    ['auth_time', null], ['sid', null], ...PIVOT.map((c) => [c, [c]])]),
  acrValues: ['eidas1', 'eidas2'],
  cookies: { keys: ['federation-tests-cookie-key'] },
  async findAccount(ctx, id) {
    const account = config.accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  // Consent implied: the grant covers the scopes and claims asked (a documented option).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
});

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

const callback = provider.callback();
http.createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return res.end(`<form method="post" action="/interaction/${details.uid}/login">
        <input name="login"><select name="acr"><option>eidas1</option><option>eidas2</option>
        </select><button>Connexion</button></form>`);
    }
    const form = await readForm(req);
    const login = form.get('login');
    if (!config.accounts[login]) {
      res.statusCode = 400;
      return res.end('unknown account');
    }
    return provider.interactionFinished(req, res, {
      login: { accountId: login, acr: form.get('acr') || 'eidas1', amr: ['pwd'] },
    }, { mergeWithLastSubmission: false });
  } catch (err) {
    res.statusCode = 400;
    return res.end(String(err));
  }
}).listen(Number(port), '127.0.0.1', () => console.log(`FI listening on ${issuer}`));
