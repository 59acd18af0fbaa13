// The smallest correct relying party of the hub, with openid-client (Node.js >= 20).
//
// Code flow with PKCE S256, state and nonce (checked by openid-client), the ID token
// validated against the hub's keys, the name read from **userinfo** (in the code flow the ID
// token carries no profile or e-mail claim: OIDC Core §5.4), RP-initiated logout.
//
//   HUB_ISSUER=http://127.0.0.1:8000 CLIENT_ID=... CLIENT_SECRET=... \
//   APP_URL=http://127.0.0.1:5001 node app.mjs
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import * as oidc from 'openid-client'

const { HUB_ISSUER, CLIENT_ID, CLIENT_SECRET, APP_URL } = process.env
const config = await oidc.discovery(
  new URL(HUB_ISSUER), CLIENT_ID, undefined, oidc.ClientSecretBasic(CLIENT_SECRET),
  // Plain http only for a hub on this machine (tests, demo); production is https.
  HUB_ISSUER.startsWith('http://127.0.0.1') ? { execute: [oidc.allowInsecureRequests] } : {})

// Sessions in memory, for the example; a real application keeps them in a store with expiry.
const sessions = new Map() // session id (cookie) -> { name, idToken, flow }

function sessionOf (request, response) {
  const id = /(?:^|;\s*)sid=([\w-]+)/.exec(request.headers.cookie ?? '')?.[1]
  if (id && sessions.has(id)) return sessions.get(id)
  const fresh = randomBytes(32).toString('base64url')
  sessions.set(fresh, {})
  response.setHeader('Set-Cookie', `sid=${fresh}; HttpOnly; SameSite=Lax; Path=/`)
  return sessions.get(fresh)
}

function send (response, status, headers, body = '') {
  response.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', ...headers })
  response.end(body)
}

const escape = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

async function handle (request, response) {
  const url = new URL(request.url, APP_URL)
  const session = sessionOf(request, response)
  if (url.pathname === '/') {
    if (!session.name) return send(response, 200, {}, '<p><a href="/login">Se connecter</a></p>')
    return send(response, 200, {}, `<p>Bonjour ${escape(session.name)}</p>` +
      '<p><a href="/logout">Se déconnecter</a></p>')
  }
  if (url.pathname === '/login') {
    const flow = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(),
      nonce: oidc.randomNonce() }
    session.flow = flow
    const target = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${APP_URL}/callback`, scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256', state: flow.state, nonce: flow.nonce })
    return send(response, 303, { Location: target.href })
  }
  if (url.pathname === '/callback') {
    const flow = session.flow
    delete session.flow // single use
    if (!flow) return send(response, 400, {}, 'Aucune connexion en cours.')
    // Checks state and the RFC 9207 iss, redeems the code with the verifier, validates the
    // ID token (signature, iss, aud, exp, nonce). Its claims hold no name: ask userinfo.
    let tokens
    try {
      tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce,
        idTokenExpected: true })
    } catch (refused) { // access_denied, a forged callback, a refused code...
      return send(response, 400, {}, `<p>La connexion a échoué (${escape(String(
        refused.error ?? refused.code))}).</p><p><a href="/login">Réessayer</a></p>`)
    }
    const { sub } = tokens.claims()
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub) // same sub
    // A citizen's account may have no name yet (registered with an e-mail address only).
    const name = userinfo.name ?? userinfo.email ?? sub
    Object.assign(session, { name, idToken: tokens.id_token })
    return send(response, 303, { Location: '/' })
  }
  if (url.pathname === '/logout') {
    const idToken = session.idToken
    for (const key of Object.keys(session)) delete session[key]
    if (!idToken) return send(response, 303, { Location: '/' })
    const target = oidc.buildEndSessionUrl(config, {
      id_token_hint: idToken, post_logout_redirect_uri: `${APP_URL}/` })
    return send(response, 303, { Location: target.href })
  }
  return send(response, 404, {}, 'Page introuvable.')
}

const { hostname, port } = new URL(APP_URL)
createServer((request, response) => {
  handle(request, response).catch((error) => {
    console.error(error)
    send(response, 502, {}, 'La connexion a échoué.')
  })
}).listen(Number(port), hostname, () => console.log(`listening on ${APP_URL}`))
