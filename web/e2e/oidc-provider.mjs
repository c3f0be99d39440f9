// A real OpenID provider for the sign-in journey (e2e/oidc.mjs): panva's
// certified oidc-provider on 127.0.0.1 with a random port, one confidential
// client that must use PKCE (S256) and authenticate at the token endpoint
// with client_secret_post, as orsa-deployer does, and a few test accounts.
//
// Its pages are oidc-provider's development interactions: a login form
// ("Enter any login", the password is not checked: the account is the login
// typed, and findAccount knows only the accounts below) and a consent form
// ("Continue"). The journey fills them in Chromium.
//
// The server listens before the provider exists: the client's redirect URI
// names orsa-deployer's port, known only once the deployer (which needs the
// issuer) is up. `configure()` then creates the provider. `rotateKeys()`
// replaces it with one that signs with a new key and publishes only that key
// in its JWKS, as a provider restarted after a key rotation does (grants and
// sessions live in oidc-provider's in-memory store, shared by both).
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

/** The provider's accounts: the login typed on its sign-in page is the id (and `sub`). */
export const ACCOUNTS = {
  ada: { preferred_username: 'ada', name: 'Ada Lovelace', email: 'ada@idp.example' },
  grace: { preferred_username: 'grace-h', name: 'Grace Hopper', email: 'grace@idp.example' },
  mallory: { preferred_username: 'mallory', name: 'Mallory', email: 'mallory@idp.example' },
};

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

/** The kid in a compact JWS's header. */
export function kidOf(jws) {
  return JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString()).kid;
}

/**
 * Starts the server. Returns the issuer, `configure({ redirectUri })`,
 * `rotateKeys()`, `kid()` (the key signing now), the protocol requests seen
 * (`requests`: authorization, token and JWKS requests, in order) and `close()`.
 */
export async function startOidcProvider({ clientId, clientSecret }) {
  const server = http.createServer((req, res) => {
    if (!handler) {
      res.writeHead(503).end('not configured yet');
      return;
    }
    handler(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const cookieKeys = [randomBytes(32).toString('base64url')];
  const requests = [];
  let handler = null;
  let redirectUri = null;
  let key = null;

  function create() {
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: [redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      jwks: { keys: [key] },
      pkce: { required: () => true },
      // Profile and e-mail claims in the ID token itself: orsa-deployer reads
      // the ID token and does not call the userinfo endpoint.
      conformIdTokenClaims: false,
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', 'preferred_username'],
      },
      findAccount: (_ctx, id) =>
        Object.hasOwn(ACCOUNTS, id)
          ? {
              accountId: id,
              claims: () => ({ sub: id, ...ACCOUNTS[id], email_verified: true }),
            }
          : undefined,
      cookies: { keys: cookieKeys },
      features: { devInteractions: { enabled: true } },
      // Quiet the development warnings of fields left at their defaults.
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        IdToken: 600,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
    });
    provider.use(async (ctx, next) => {
      await next();
      const route = ctx.oidc?.route;
      if (route === 'authorization' || route === 'resume') {
        const params = ctx.oidc.params ?? {};
        if (route === 'authorization')
          requests.push({
            route,
            status: ctx.status,
            clientId: params.client_id,
            redirectUri: params.redirect_uri,
            codeChallengeMethod: params.code_challenge_method,
            hasCodeChallenge: Boolean(params.code_challenge),
            nonce: Boolean(params.nonce),
          });
      } else if (route === 'token') {
        const body = ctx.oidc.body ?? {};
        const idToken = ctx.status === 200 ? ctx.body?.id_token : undefined;
        requests.push({
          route,
          status: ctx.status,
          grantType: body.grant_type,
          hasCodeVerifier: Boolean(body.code_verifier),
          clientAuth: body.client_secret ? 'client_secret_post' : 'other',
          kid: idToken ? kidOf(idToken) : undefined,
        });
      } else if (route === 'jwks') {
        requests.push({
          route,
          status: ctx.status,
          at: Date.now(),
          kids: (ctx.body?.keys ?? []).map((k) => k.kid),
        });
      }
    });
    handler = provider.callback();
  }

  return {
    issuer,
    requests,
    /** Creates the provider once the client's redirect URI is known. */
    configure(options) {
      redirectUri = options.redirectUri;
      key = signingKey();
      create();
    },
    /** A new signing key; the old one leaves the JWKS. Returns both kids. */
    rotateKeys() {
      const old = key.kid;
      key = signingKey();
      create();
      return { old, now: key.kid };
    },
    kid: () => key?.kid,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
