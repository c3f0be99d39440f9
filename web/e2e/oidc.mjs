// Signing in with OpenID Connect, end to end: orsa-deployer, a real OpenID
// provider (oidc-provider, see e2e/oidc-provider.mjs) and Debian's Chromium.
//
//   node e2e/oidc.mjs [--deployer BIN]
//
// Starts the provider and orsa-deployer (no container runtime: nothing here
// builds or deploys) on 127.0.0.1, both on random ports, and checks what the
// user sees and what the API says:
//   1. a first sign-in through the login page's link creates the user (named
//      after preferred_username, with the default role) and signs them in;
//      the flow was the authorization code flow with PKCE S256;
//   2. a callback URL carried to another browser (login CSRF) is refused on
//      the login page and sets no session;
//   4. a password user links the provider on the Account page, then signs in
//      with it; unlinking works while a password remains, and a provider-only
//      user is told that their only sign-in method cannot go;
//   3. the provider rotates its signing key (the old key leaves the JWKS):
//      the next sign-in still works, orsa-deployer fetching the new JWKS.
// Scenario 3 runs last: orsa-deployer fetches a provider's JWKS again at most
// once a minute, so it must come a minute after the first sign-in's fetch.
//
// ORSA_SCREENSHOTS=1 saves docs/screenshots/oidc-login.png and
// oidc-account.png. Any console error or warning fails the run, except those
// the journey provokes on purpose. On failure a screenshot, the page's HTML,
// the console log and the deployer's log go to web/e2e/artifacts/.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, newPersonPage } from './chromium.mjs';
import { Journey } from './journey.mjs';
import { startOidcProvider } from './oidc-provider.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(here, '..');
const repoDir = path.resolve(webDir, '..');
const artifacts = path.join(here, 'artifacts');
const shots = path.join(repoDir, 'docs', 'screenshots');
const started = Date.now();

const PROVIDER_ID = 'acme';
const PROVIDER_NAME = 'Acme SSO';
const CLIENT_ID = 'orsa-e2e';
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const DEFAULT_ROLE = 'developer';
const ADMIN_PASSWORD = 'admin-password-for-oidc-e2e';
const PASSWORD = 'password-1234-e2e';
// orsa-deployer's KeySetCache: the JWKS is fetched again at most this often (s).
const JWKS_REFETCH_SECONDS = 60;
const ONLY_METHOD =
  'this is your only way to sign in: set a password or link another provider first';
const NOT_THIS_BROWSER = 'this sign-in was not started in this browser: start it again';

const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const log = (msg) => console.log(`[${elapsed()}] ${msg}`);

function arg(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function findDeployer() {
  const explicit = arg('--deployer') ?? process.env.ORSA_DEPLOYER_BIN;
  if (explicit) return explicit;
  for (const preset of ['release', 'debug']) {
    const p = path.join(repoDir, 'build', preset, 'apps', 'orsa-deployer', 'orsa-deployer');
    if (existsSync(p)) return p;
  }
  throw new Error('orsa-deployer not found: pass --deployer or set ORSA_DEPLOYER_BIN');
}

// ---- processes ---------------------------------------------------------------
let deployerProcess = null;

async function startDeployer(work, issuer) {
  const ready = path.join(work, 'ready');
  const logFile = path.join(work, 'deployer.log');
  const fd = openSync(logFile, 'a');
  deployerProcess = spawn(
    findDeployer(),
    [
      ...['--listen', '127.0.0.1:0', '--services-listen', '127.0.0.1:0'],
      ...['--data-dir', path.join(work, 'data'), '--ready-file', ready, '--no-runtime'],
      ...['--web-dir', path.join(webDir, 'dist'), '--log-level', 'info'],
      ...['--registration', 'open'],
      ...['--oidc-issuer', issuer, '--oidc-id', PROVIDER_ID, '--oidc-name', PROVIDER_NAME],
      ...['--oidc-client-id', CLIENT_ID, '--oidc-default-role', DEFAULT_ROLE],
    ],
    {
      env: {
        ...process.env,
        ORSA_ADMIN_PASSWORD: ADMIN_PASSWORD,
        ORSA_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      },
      stdio: ['ignore', fd, fd],
    },
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (existsSync(ready) && readFileSync(ready, 'utf8').trim())
      return { url: readFileSync(ready, 'utf8').trim(), logFile };
    if (deployerProcess.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`orsa-deployer did not start:\n${readFileSync(logFile, 'utf8')}`);
}

async function stopDeployer() {
  const child = deployerProcess;
  if (!child || child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
}

// ---- steps and checks ----------------------------------------------------------
const journey = new Journey(log);
const { consoleLines, pages } = journey;
const step = (name, fn) => journey.step(name, fn);

function check(ok, message) {
  if (!ok) throw new Error(message);
}

/** The page's console; what is logged on the provider's pages is marked `@idp`. */
function watchConsole(page, who, issuer) {
  journey.watchConsole(page, who, () => (page.url().startsWith(`${issuer}/`) ? `${who}@idp` : who));
}

// The refusals the journey provokes on purpose (Chrome logs every non-2xx
// fetch as a console error): unlinking a provider-only user's last identity.
// The provider's development pages are not ORSA's: they load a web font
// (not reachable offline) and have no favicon.
const expectedProblems = [
  /^\[[\w-]+@idp\] /,
  /^\[ada-unlink\] error: Failed to load resource: the server responded with a status of 409 .*\/api\/v1\/me\/identities\/[^/]+\)$/,
];

async function shot(page, name) {
  if (process.env.ORSA_SCREENSHOTS !== '1') return;
  mkdirSync(shots, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

/** An API call with the page's cookies (and its CSRF token): the status and parsed body. */
async function apiAs(page, base, method, route, { csrf = false } = {}) {
  const headers = {};
  if (csrf) {
    const cookies = await page.context().cookies(base);
    headers['X-CSRF-Token'] = cookies.find((c) => c.name === 'orsa_csrf')?.value ?? '';
  }
  const res = await page.request.fetch(`${base}${route}`, { method, headers });
  const text = await res.text();
  return { status: res.status(), body: text ? JSON.parse(text) : null };
}

async function sessionCookies(page, base) {
  const names = (await page.context().cookies(base)).map((c) => c.name);
  return names.filter((n) => n.startsWith('orsa_'));
}

/** On the provider's pages: signs in as `account` and consents. */
async function atProvider(page, issuer, account) {
  await page.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`));
  await page.getByPlaceholder('Enter any login').fill(account);
  await page.getByPlaceholder('and password').fill('not checked by the dev login page');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** From the login page: "Sign in with …", the provider's pages, back in ORSA. */
async function signInWithProvider(page, base, issuer, account, { screenshot } = {}) {
  await page.goto(`${base}/login`);
  const link = page.getByRole('link', { name: `Sign in with ${PROVIDER_NAME}` });
  await link.waitFor();
  const href = await link.getAttribute('href');
  check(
    href?.startsWith(`/api/v1/auth/oidc/${PROVIDER_ID}/start`),
    `the sign-in link goes to ${href}`,
  );
  if (screenshot) await shot(page, screenshot);
  await link.click();
  await atProvider(page, issuer, account);
}

/** Waits for the signed-in top bar of `username`; returns GET /api/v1/me. */
async function expectSignedIn(page, base, username, role) {
  await page.getByText(`${username} (${role})`).waitFor();
  const me = await apiAs(page, base, 'GET', '/api/v1/me');
  check(me.status === 200, `GET /api/v1/me answered ${me.status}`);
  check(me.body.username === username, `signed in as ${me.body.username}, not ${username}`);
  check(me.body.role === role, `${username}'s role is ${me.body.role}, not ${role}`);
  const cookies = await sessionCookies(page, base);
  check(
    cookies.includes('orsa_session') && !cookies.includes('orsa_oidc_state'),
    `cookies after sign-in: ${cookies.join(' ')}`,
  );
  return me.body;
}

async function identitiesOf(page, base) {
  const res = await apiAs(page, base, 'GET', '/api/v1/me/identities');
  check(res.status === 200, `GET /api/v1/me/identities answered ${res.status}`);
  return res.body.identities;
}

/** The Account page's "Linked identities" card, and its row of an identity. */
const linkedCard = (page) =>
  page.locator('.card').filter({ has: page.getByRole('heading', { name: 'Linked identities' }) });
const identityRow = (card, email) =>
  card
    .getByRole('table', { name: 'Linked identities' })
    .getByRole('row')
    .filter({ hasText: email });

// ---- the journey ---------------------------------------------------------------
async function main() {
  if (!existsSync(path.join(webDir, 'dist', 'index.html')))
    throw new Error('web/dist is missing: run `npm run build` first');
  rmSync(artifacts, { recursive: true, force: true });
  const work = mkdtempSync(path.join(os.tmpdir(), 'orsa-oidc-e2e-'));
  const idp = await startOidcProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  let deployer = null;
  let browser = null;
  let failed = null;
  try {
    deployer = await startDeployer(work, idp.issuer);
    const base = deployer.url;
    idp.configure({ redirectUri: `${base}/api/v1/auth/oidc/${PROVIDER_ID}/callback` });
    log(`orsa-deployer at ${base} (data in ${work}), OpenID provider at ${idp.issuer}`);
    browser = await launchChromium();
    // One browser context per person: each starts without provider session.
    const newPage = async (who) => {
      const page = await newPersonPage(browser);
      watchConsole(page, who, idp.issuer);
      return page;
    };
    const requests = (route) => idp.requests.filter((r) => r.route === route);

    await step('the provider requires PKCE', async () => {
      const res = await fetch(
        `${idp.issuer}/auth?client_id=${CLIENT_ID}&response_type=code&scope=openid` +
          `&redirect_uri=${encodeURIComponent(`${base}/api/v1/auth/oidc/${PROVIDER_ID}/callback`)}` +
          '&state=s&nonce=n',
        { redirect: 'manual' },
      );
      const location = new URL(res.headers.get('location') ?? '', idp.issuer);
      check(
        location.searchParams.get('error') === 'invalid_request' &&
          /PKCE/.test(location.searchParams.get('error_description') ?? ''),
        `an authorization request without PKCE got ${res.status} ${location}`,
      );
      idp.requests.length = 0;
      const providers = await (await fetch(`${base}/api/v1/auth/providers`)).json();
      check(
        providers.providers.length === 1 && providers.providers[0].name === PROVIDER_NAME,
        `providers: ${JSON.stringify(providers)}`,
      );
    });

    await step('1. first sign-in through the login page creates the user', async () => {
      const page = await newPage('ada');
      await signInWithProvider(page, base, idp.issuer, 'ada', { screenshot: 'oidc-login' });
      await page.waitForURL(`${base}/`);
      await page.getByRole('heading', { name: 'Projects' }).waitFor();
      const me = await expectSignedIn(page, base, 'ada', DEFAULT_ROLE);
      check(me.email === 'ada@idp.example', `ada's e-mail is ${me.email}`);
      const ids = await identitiesOf(page, base);
      check(
        ids.length === 1 && ids[0].provider === PROVIDER_ID && ids[0].subject === 'ada',
        `ada's identities: ${JSON.stringify(ids)}`,
      );
      // The protocol, as the provider saw it: code flow, PKCE S256, a nonce,
      // the code exchanged once with its verifier and the client's secret.
      const [auth] = requests('authorization');
      check(
        requests('authorization').length === 1 &&
          auth.clientId === CLIENT_ID &&
          auth.codeChallengeMethod === 'S256' &&
          auth.hasCodeChallenge &&
          auth.nonce,
        `authorization requests: ${JSON.stringify(requests('authorization'))}`,
      );
      const tokens = requests('token');
      check(
        tokens.length === 1 &&
          tokens[0].status === 200 &&
          tokens[0].grantType === 'authorization_code' &&
          tokens[0].hasCodeVerifier &&
          tokens[0].clientAuth === 'client_secret_post' &&
          tokens[0].kid === idp.kid(),
        `token requests: ${JSON.stringify(tokens)}`,
      );
      check(requests('jwks').length === 1, `JWKS fetched ${requests('jwks').length} times`);
      await page.context().close();
    });

    await step('2. a callback URL carried to another browser is refused', async () => {
      // mallory signs in at the provider but keeps the callback URL…
      const attacker = await newPage('mallory');
      // The callback is the last hop of the provider's redirects, which
      // page.route does not see: Chrome's own request interception does.
      const cdp = await attacker.context().newCDPSession(attacker);
      const kept = new Promise((resolve) => {
        cdp.on('Fetch.requestPaused', ({ requestId, request }) => {
          resolve(request.url);
          void cdp.send('Fetch.fulfillRequest', {
            requestId,
            responseCode: 200,
            responseHeaders: [{ name: 'Content-Type', value: 'text/html' }],
            body: Buffer.from('<p>kept</p>').toString('base64'),
          });
        });
      });
      await cdp.send('Fetch.enable', {
        patterns: [{ urlPattern: `${base}/api/v1/auth/oidc/${PROVIDER_ID}/callback?*` }],
      });
      await signInWithProvider(attacker, base, idp.issuer, 'mallory');
      const captured = await kept;
      await attacker.getByText('kept').waitFor();
      check(captured.includes('code=') && captured.includes('state='), `captured ${captured}`);
      // …and has a victim's browser open it.
      const victim = await newPage('victim');
      await victim.goto(captured);
      await victim.waitForURL((url) => url.pathname === '/login');
      const alert = victim.getByRole('alert');
      await alert.getByText(NOT_THIS_BROWSER).waitFor();
      check(
        (await sessionCookies(victim, base)).length === 0,
        `the victim got cookies: ${(await sessionCookies(victim, base)).join(' ')}`,
      );
      const me = await apiAs(victim, base, 'GET', '/api/v1/me');
      check(me.status === 401, `the victim's GET /api/v1/me answered ${me.status}`);
      await victim.getByRole('link', { name: `Sign in with ${PROVIDER_NAME}` }).waitFor();
      // No user was made of mallory's identity.
      const admin = await (
        await fetch(`${base}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ login: 'admin', password: ADMIN_PASSWORD }),
        })
      ).json();
      const users = await (
        await fetch(`${base}/api/v1/users`, {
          headers: { Authorization: `Bearer ${admin.token}` },
        })
      ).json();
      const names = users.users.map((u) => u.username);
      check(names.includes('ada') && !names.includes('mallory'), `users: ${names.join(' ')}`);
      await attacker.context().close();
      await victim.context().close();
    });

    await step('4a. a password user links the provider on the Account page', async () => {
      const page = await newPage('grace');
      await page.goto(`${base}/register`);
      await page.getByLabel('Username').fill('grace');
      await page.getByLabel('Email').fill('grace@example.org');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('heading', { name: 'Projects' }).waitFor();
      await page.getByTestId('current-user').click();
      await page.getByRole('link', { name: 'Account', exact: true }).click();
      await page.waitForURL(`${base}/account`);
      const card = linkedCard(page);
      await card.getByText('No identity is linked to this account.').waitFor();
      await card.getByRole('button', { name: `Link ${PROVIDER_NAME}` }).click();
      await atProvider(page, idp.issuer, 'grace');
      await page.waitForURL(`${base}/account`);
      const row = identityRow(card, 'grace@idp.example');
      await row.getByRole('cell', { name: PROVIDER_NAME, exact: true }).waitFor();
      await row.getByRole('cell', { name: 'grace', exact: true }).waitFor();
      const ids = await identitiesOf(page, base);
      check(
        ids.length === 1 && ids[0].subject === 'grace' && ids[0].provider_name === PROVIDER_NAME,
        `grace's identities: ${JSON.stringify(ids)}`,
      );
      await shot(page, 'oidc-account');
      await page.context().close();
    });

    await step('4b. the linked identity signs grace in; unlinking it works', async () => {
      const page = await newPage('grace-oidc');
      await signInWithProvider(page, base, idp.issuer, 'grace');
      await page.waitForURL(`${base}/`);
      // The password user, not a new one named after preferred_username.
      await expectSignedIn(page, base, 'grace', 'developer');
      await page.goto(`${base}/account`);
      const card = linkedCard(page);
      await identityRow(card, 'grace@idp.example')
        .getByRole('button', { name: `Unlink ${PROVIDER_NAME} grace@idp.example` })
        .click();
      await page.getByText(`${PROVIDER_NAME} identity unlinked.`).waitFor();
      await card.getByText('No identity is linked to this account.').waitFor();
      const ids = await identitiesOf(page, base);
      check(ids.length === 0, `grace's identities after unlinking: ${JSON.stringify(ids)}`);
      // The password still signs grace in (this browser's session remains).
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ login: 'grace', password: PASSWORD }),
      });
      check(login.status === 200, `grace's password login answered ${login.status}`);
      await page.context().close();
    });

    await step('4c. a provider-only user cannot unlink their last identity', async () => {
      const page = await newPage('ada-unlink');
      await signInWithProvider(page, base, idp.issuer, 'ada');
      await page.waitForURL(`${base}/`);
      await expectSignedIn(page, base, 'ada', DEFAULT_ROLE);
      await page.goto(`${base}/account`);
      const card = linkedCard(page);
      const row = identityRow(card, 'ada@idp.example');
      await row.getByRole('button', { name: `Unlink ${PROVIDER_NAME} ada@idp.example` }).click();
      await card.getByRole('alert').getByText(ONLY_METHOD).waitFor();
      await row.waitFor();
      const ids = await identitiesOf(page, base);
      check(ids.length === 1, `ada's identities after the refusal: ${JSON.stringify(ids)}`);
      const refused = await apiAs(page, base, 'DELETE', `/api/v1/me/identities/${ids[0].id}`, {
        csrf: true,
      });
      check(
        refused.status === 409 && refused.body.error.message === ONLY_METHOD,
        `DELETE of ada's last identity answered ${refused.status} ${JSON.stringify(refused.body)}`,
      );
      await page.context().close();
    });

    await step('3. the provider rotates its key; the next sign-in still works', async () => {
      const firstFetch = requests('jwks')[0].at;
      const wait = firstFetch + (JWKS_REFETCH_SECONDS + 1) * 1000 - Date.now();
      if (wait > 0) {
        log(
          `  waiting ${(wait / 1000).toFixed(1)} s: orsa-deployer refetches a JWKS once a minute`,
        );
        await new Promise((r) => setTimeout(r, wait));
      }
      const { old, now } = idp.rotateKeys();
      const jwks = await (await fetch(`${idp.issuer}/jwks`)).json();
      check(
        jwks.keys.length === 1 && jwks.keys[0].kid === now,
        `JWKS after rotation: ${jwks.keys.map((k) => k.kid).join(' ')}`,
      );
      const fetchesBefore = requests('jwks').length;
      const page = await newPage('ada-rotated');
      await signInWithProvider(page, base, idp.issuer, 'ada');
      await page.waitForURL(`${base}/`);
      await expectSignedIn(page, base, 'ada', DEFAULT_ROLE);
      const token = requests('token').at(-1);
      check(
        token.kid === now && token.kid !== old,
        `the last ID token was signed by ${token.kid} (old ${old}, new ${now})`,
      );
      const fetches = requests('jwks').slice(fetchesBefore);
      check(
        fetches.length === 1 && fetches[0].kids.join() === now,
        `JWKS fetches after rotation: ${JSON.stringify(fetches)}`,
      );
      await page.context().close();
    });
  } catch (e) {
    failed = e;
  }

  if (failed) {
    mkdirSync(artifacts, { recursive: true });
    for (const { page, who } of pages) {
      if (page.isClosed()) continue;
      await page
        .screenshot({ path: path.join(artifacts, `failure-${who}.png`), fullPage: true })
        .catch(() => {});
      writeFileSync(
        path.join(artifacts, `failure-${who}.html`),
        await page.content().catch(() => ''),
      );
    }
    writeFileSync(path.join(artifacts, 'console.log'), consoleLines.join('\n') + '\n');
    if (deployer)
      writeFileSync(path.join(artifacts, 'deployer.log'), readFileSync(deployer.logFile));
  }
  const problems = consoleLines.filter((l) => / (error|warning|pageerror):/.test(l));
  const unexpected = problems.filter((l) => !expectedProblems.some((re) => re.test(l)));
  if (!failed && unexpected.length) {
    failed = new Error(`console errors or warnings:\n  ${unexpected.join('\n  ')}`);
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(path.join(artifacts, 'console.log'), consoleLines.join('\n') + '\n');
  }
  await browser?.close();
  await stopDeployer();
  await idp.close();
  if (!process.env.ORSA_E2E_KEEP) rmSync(work, { recursive: true, force: true });
  // The provider's pages' own (a web font, a favicon) are only counted.
  const ours = problems.filter((l) => !/^\[[\w-]+@idp\] /.test(l));
  if (ours.length) log(`browser console problems:\n  ${ours.join('\n  ')}`);
  if (problems.length > ours.length)
    log(`${problems.length - ours.length} console errors on the provider's pages (not ORSA's)`);
  log(`last step passed: ${journey.lastPassed}`);
  if (failed) {
    console.error(`FAIL: ${failed.stack ?? failed}`);
    console.error(`artifacts in ${artifacts}`);
    process.exit(1);
  }
  log('OIDC e2e ok');
}

process.on('SIGINT', () => {
  void stopDeployer().finally(() => process.exit(130));
});

main().catch(async (e) => {
  console.error(e);
  await stopDeployer();
  process.exit(1);
});
