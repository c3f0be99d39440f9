// End-to-end journey through the real orsa-deployer and Debian's Chromium.
//
//   node e2e/run.mjs [--deployer BIN] [--builder BIN]
//
// Starts orsa-deployer on 127.0.0.1:0 with a fresh data dir (it builds the
// python-or base image in the background and serves web/dist itself with
// --web-dir), and drives the UI: register → project from python-flask →
// build → edit model.py → save → build with a live log → deploy → Try it →
// a consumer key (issued, used by a customer, counted on Usage) →
// a run (submit, queued, cancel, history) → roll back → delete; a second
// user sees nothing of the first. Screenshots of the main pages go to
// docs/screenshots/; on failure a screenshot and the console log go to
// web/e2e/artifacts/. Any console error or warning fails the run, except
// the failed loads the journey provokes on purpose.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, newPersonPage } from './chromium.mjs';
import { Journey } from './journey.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(here, '..');
const repoDir = path.resolve(webDir, '..');
const artifacts = path.join(here, 'artifacts');
const shots = path.join(repoDir, 'docs', 'screenshots');
const ADMIN_PASSWORD = process.env.ORSA_E2E_ADMIN_PASSWORD ?? 'admin-password-for-web-e2e';
const PASSWORD = 'password-1234-e2e';
const started = Date.now();
// ORSA_E2E_BACKEND=http://127.0.0.1:PORT reuses a running deployer (fast local
// iteration; its admin password must be ORSA_E2E_ADMIN_PASSWORD): user names
// get a suffix so that runs do not collide.
const reuse = process.env.ORSA_E2E_BACKEND;
const suffix = reuse ? `-${Math.random().toString(36).slice(2, 7)}` : '';
const ALICE = `alice${suffix}`;
const BOB = `bob${suffix}`;

function arg(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function findBinary(name, flag, envName) {
  const explicit = arg(flag) ?? process.env[envName];
  if (explicit) return explicit;
  for (const preset of ['release', 'debug']) {
    const p = path.join(repoDir, 'build', preset, 'apps', name, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${name} not found: pass ${flag} or set ${envName}`);
}

const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const log = (msg) => console.log(`[${elapsed()}] ${msg}`);

// ---- processes ---------------------------------------------------------------
const children = [];

async function startDeployer(work) {
  const bin = findBinary('orsa-deployer', '--deployer', 'ORSA_DEPLOYER_BIN');
  const builder = findBinary('orsa-builder', '--builder', 'ORSA_BUILDER_BIN');
  const ready = path.join(work, 'ready');
  // podman as ENVIRONMENT.md describes: runc, cgroupfs, small rlimits.
  const podmanDir = path.join(work, 'podman');
  mkdirSync(podmanDir, { recursive: true });
  writeFileSync(
    path.join(podmanDir, 'containers.conf'),
    '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' +
      '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n',
  );
  const extra = (process.env.ORSA_E2E_DEPLOYER_ARGS ?? '').split(/\s+/).filter(Boolean);
  const args = [
    '--listen',
    '127.0.0.1:0',
    '--services-listen',
    '127.0.0.1:0',
    '--data-dir',
    path.join(work, 'data'),
    '--ready-file',
    ready,
    '--builder-bin',
    builder,
    '--ensure-base',
    'python-or',
    '--log-level',
    'info',
    '--web-dir',
    path.join(webDir, 'dist'),
    ...extra,
  ];
  const out = path.join(work, 'deployer.log');
  const { openSync } = await import('node:fs');
  const fd = openSync(out, 'a');
  const child = spawn(bin, args, {
    env: {
      ...process.env,
      ORSA_ADMIN_PASSWORD: ADMIN_PASSWORD,
      CONTAINERS_CONF: path.join(podmanDir, 'containers.conf'),
    },
    stdio: ['ignore', fd, fd],
  });
  children.push(child);
  // Longer than the deployer's own 30 s limit on starting its podman
  // service, which a loaded machine needs: a failed start is reported below.
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (existsSync(ready) && readFileSync(ready, 'utf8').trim()) {
      // Announced before the ready file is written.
      const services = /^ORSA services serving at (\S+)$/m.exec(readFileSync(out, 'utf8'))?.[1];
      if (!services) throw new Error('orsa-deployer announced no services URL');
      return { url: readFileSync(ready, 'utf8').trim(), servicesUrl: services, logFile: out };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`orsa-deployer did not start:\n${readFileSync(out, 'utf8')}`);
}

async function waitForBase(url, timeoutMs) {
  const auth = 'Basic ' + Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/v2/orsa/base-python-or/tags/list`, {
      headers: { Authorization: auth },
    }).catch(() => null);
    if (res?.ok) {
      const body = await res.json();
      if (body.tags?.includes('latest')) return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('the python-or base image was not built in time');
}

/**
 * Stops orsa-deployer (which stops its podman service) and removes the
 * containers it left: deployments' containers outlive the deployer by
 * design, and a failed run leaves some.
 */
async function stopDeployer(work) {
  const t0 = Date.now();
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : null)),
  );
  if (children.length) log(`orsa-deployer stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const dir = work && path.join(work, 'data', 'podman');
  if (!dir || !existsSync(path.join(dir, 'storage.conf'))) return;
  // The same store and state the deployer's podman service used.
  const runroot = /runroot = "(.*)"/.exec(
    readFileSync(path.join(dir, 'storage.conf'), 'utf8'),
  )?.[1];
  const env = {
    ...process.env,
    CONTAINERS_CONF: path.join(dir, 'containers.conf'),
    CONTAINERS_REGISTRIES_CONF: path.join(dir, 'registries.conf'),
    CONTAINERS_STORAGE_CONF: path.join(dir, 'storage.conf'),
  };
  const args = runroot ? ['--tmpdir', path.join(runroot, 'libpod-tmp')] : [];
  const rm = spawnSync('podman', [...args, 'rm', '-f', '-a', '-t', '0'], { env, encoding: 'utf8' });
  const removed = rm.stdout?.trim();
  if (removed) log(`removed containers left behind: ${removed.split('\n').join(' ')}`);
  if (rm.status !== 0) log(`podman rm failed: ${rm.stderr}`);
}

// ---- steps -------------------------------------------------------------------
const journey = new Journey(log);
const { consoleLines, pages } = journey;
const step = (name, fn) => journey.step(name, fn);
const watchConsole = (page, who) => journey.watchConsole(page, who);

// Failed loads the journey provokes on purpose (Chrome logs every non-2xx
// fetch as a console error): bob opening alice's project. Anything else in
// the console that is an error or a warning fails the run.
const expectedProblems = [
  // The attack page's attempts, refused by the browser (CORS, sandbox).
  /^\[victim\] (error|warning): .*(CORS|Access-Control|sandbox|ServiceWorker|service worker|SecurityError|Failed to load resource|Failed to fetch|opaque origin)/i,
  new RegExp(
    `^\\[bob\\] error: Failed to load resource: the server responded with a status of 404 .*` +
      `/api/v1/projects/${ALICE}/knap\\)$`,
  ),
];

async function shot(page, name) {
  mkdirSync(shots, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

async function register(page, base, username) {
  await page.goto(`${base}/`);
  await page.waitForURL(/\/login/);
  await page.getByRole('link', { name: 'Create one' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.org`);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
}

/** Builds head; returns how many log lines were on screen while it ran. */
// A build of the starter takes well under a second, too fast to watch its
// log arrive. Incompressible data files (committed through the files API, as
// a user uploading model data would) make the next build run for a few
// seconds, so the test can see lines arrive while it runs.
async function addBulkData(page, base, files = 12) {
  const cookies = await page.context().cookies();
  const csrf = cookies.find((c) => c.name === 'orsa_csrf')?.value ?? '';
  for (let i = 0; i < files; i++) {
    const res = await page.request.put(
      `${base}/api/v1/projects/${ALICE}/knap/files/data/bulk-${i}.bin?message=Add+data+${i}`,
      {
        data: randomBytes(2 * 1024 * 1024 - 4096),
        headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/octet-stream' },
      },
    );
    if (!res.ok()) throw new Error(`adding data file ${i}: ${res.status()} ${await res.text()}`);
  }
}

async function buildAndWatch(page, expectNumber) {
  await page.getByRole('button', { name: 'Build', exact: true }).click();
  await page.getByRole('heading', { name: `Build #${expectNumber}` }).waitFor();
  const logBox = page.getByLabel('Build log');
  const badge = page.locator('.build-log .status-badge').first();
  // Lines arrive over SSE while the build runs: sample the page until the
  // build is over and note the most lines seen with the status "running".
  let whileRunning = 0;
  const deadline = Date.now() + 180_000;
  let status = 'queued';
  while (Date.now() < deadline) {
    const [now, lines] = await Promise.all([
      badge.getAttribute('data-status').catch(() => null),
      logBox.locator('.log-line').count(),
    ]);
    if (now) status = now;
    if (status === 'running') whileRunning = Math.max(whileRunning, lines);
    if (['succeeded', 'failed', 'canceled'].includes(status)) break;
    await page.waitForTimeout(50);
  }
  if (status !== 'succeeded') {
    const text = await logBox.innerText();
    throw new Error(`build #${expectNumber} ${status}:\n${text}`);
  }
  const lines = await logBox.locator('.log-line').count();
  log(`  build #${expectNumber}: ${lines} log lines, ${whileRunning} of them seen while running`);
  if (lines < 3) throw new Error(`only ${lines} build log lines`);
  return whileRunning;
}

async function deployImage(page, base, tag, { screenshot } = {}) {
  await page.goto(`${base}/projects/${ALICE}/knap/images`);
  const row = page.locator(`tr[data-image-tag="${tag}"]`);
  await row.waitFor();
  if (screenshot) await shot(page, screenshot);
  await row.getByRole('button', { name: /Deploy/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Memory (MB)').fill('256');
  await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
  await page.waitForURL(/\/deployment$/);
  const card = page.locator('.deployment-card').first();
  await card.getByText(`Image ${tag}`, { exact: true }).waitFor({ timeout: 30_000 });
  await card
    .locator('.status-badge[data-status="healthy"]')
    .waitFor({ timeout: 120_000 })
    .catch(async (e) => {
      const reason = await card.locator('.alert').allInnerTexts();
      throw new Error(`deployment of image ${tag} not healthy: ${reason.join(' ')} (${e.message})`);
    });
  // Healthy, then live: the gateway routes to it (blue/green switch done).
  await card.getByText('live', { exact: true }).waitFor({ timeout: 30_000 });
  return card;
}

/** A tab of the project page. */
const tab = (page, name) =>
  page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name, exact: true });

/** On the Try it tab: sends input.json, expects 200, returns the answer. */
async function tryIt(page) {
  await page.getByLabel('Request body (JSON)').waitFor();
  await page.getByTestId('live-note').getByText('healthy').waitFor();
  // A private service takes a bearer token: the login cookies never reach it.
  await page.getByLabel('API token').fill(apiToken);
  await page.getByRole('button', { name: 'Send' }).click();
  const response = page.getByTestId('solve-response');
  await response.waitFor({ timeout: 60_000 });
  const status = await page.getByTestId('solve-status').innerText();
  if (!status.includes('HTTP 200'))
    throw new Error(`Try it answered ${status}: ${await response.innerText()}`);
  return response.innerText();
}

/** Sends input.json `n` times to the service from the page, as Try it does. */
async function solveInPage(page, n) {
  const codes = await page.evaluate(
    async ({ owner, n, services, token }) => {
      const input = await (await fetch(`/api/v1/projects/${owner}/knap/files/input.json`)).text();
      const codes = [];
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${services}/${owner}/knap/solve`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
          credentials: 'omit',
          body: input,
        });
        codes.push(res.status);
      }
      return codes;
    },
    { owner: ALICE, n, services: servicesUrl, token: apiToken },
  );
  if (codes.some((c) => c !== 200)) throw new Error(`solve answered ${codes.join(' ')}`);
}

/**
 * A customer's calls from Node (no ORSA account, no cookies): input.json
 * sent to the service `n` times with the consumer key in X-Api-Key.
 */
async function customerCalls(base, key, n) {
  const input = await (
    await fetch(`${base}/api/v1/projects/${ALICE}/knap/files/input.json`, {
      headers: { Authorization: `Bearer ${apiToken}` },
    })
  ).text();
  const codes = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${servicesUrl}/${ALICE}/knap/solve`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Api-Key': key },
      body: input,
    });
    await res.arrayBuffer();
    codes.push(res.status);
  }
  return codes;
}

// ---- the attack of a tenant's service page on ORSA's origin -------------------

/** JSON API call from Node with a bearer token; throws unless the status is `want`. */
async function api(base, method, path, token, body, want) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': typeof body === 'string' ? 'application/octet-stream' : 'application/json',
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (want && res.status !== want) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function until(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// bob's model registers extra routes on the service's Flask app when it is
// imported: /pwn answers a page whose script tries what a page on ORSA's own
// origin could do (read orsa_csrf, mint an admin API token with the
// admin's cookies, install a service worker over ORSA's pages), and reports.
const evilModel = (orsa) => `
import gc
import json

import flask


def solve(data):
    return {"objective": 0}


PAGE = """<!doctype html><html><body><pre id="result">running</pre><script>
(async () => {
  const orsa = ${JSON.stringify(orsa)};
  const out = { server_saw_cookie: SERVER_COOKIE };
  try { out.cookie = String(document.cookie); } catch (e) { out.cookie = 'blocked: ' + e.name; }
  const csrf = (/(?:^|; )orsa_csrf=([^;]*)/.exec(out.cookie) || [])[1] || '';
  try {
    const r = await fetch(orsa + '/api/v1/tokens', { method: 'POST', credentials: 'include',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ name: 'pwned' }) });
    out.token = 'status ' + r.status + ' ' + (await r.text());
  } catch (e) { out.token = 'failed: ' + e.name; }
  try {
    await fetch(orsa + '/api/v1/tokens', { method: 'POST', mode: 'no-cors', credentials: 'include',
      headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ name: 'pwned-simple' }) });
    out.simple = 'sent';
  } catch (e) { out.simple = 'failed: ' + e.name; }
  try {
    await navigator.serviceWorker.register('sw.js', { scope: './' });
    out.sw = 'registered';
  } catch (e) { out.sw = 'failed: ' + e.name; }
  document.getElementById('result').textContent = JSON.stringify(out);
})();
</script></body></html>"""


def _pwn():
    cookie = json.dumps(flask.request.headers.get("Cookie", ""))
    return flask.Response(PAGE.replace("SERVER_COOKIE", cookie), mimetype="text/html",
                          headers={"Service-Worker-Allowed": "/",
                                   "Set-Cookie": "orsa_csrf=forged; Path=/"})


def _sw():
    return flask.Response("self.addEventListener('fetch', () => {});",
                          mimetype="text/javascript", headers={"Service-Worker-Allowed": "/"})


for _app in [o for o in gc.get_objects() if isinstance(o, flask.Flask)]:
    _app.add_url_rule("/pwn", "pwn", _pwn)
    _app.add_url_rule("/sw.js", "sw", _sw)
`;

async function attackFromServicePage(newPage, base) {
  const bob = (
    await api(base, 'POST', '/api/v1/auth/login', '', { login: BOB, password: PASSWORD }, 200)
  ).token;
  await api(base, 'POST', '/api/v1/projects', bob, { name: 'evil', template: 'python-flask' }, 201);
  await api(base, 'PUT', `/api/v1/projects/${BOB}/evil/files/model.py`, bob, evilModel(base));
  const build = await api(base, 'POST', `/api/v1/projects/${BOB}/evil/builds`, bob, {}, 202);
  const built = await until(
    "bob's build",
    async () => {
      const b = await api(base, 'GET', `/api/v1/builds/${build.id}`, bob);
      if (b.status === 'failed' || b.status === 'canceled') throw new Error(`build ${b.status}`);
      return b.status === 'succeeded' ? b : null;
    },
    180_000,
  );
  const dep = await api(
    base,
    'POST',
    '/api/v1/deployments',
    bob,
    { image_id: built.image_id, visibility: 'public', memory_mb: 256 },
    202,
  );
  const pageUrl = `${servicesUrl}/${BOB}/evil/pwn`;
  if (dep.url !== `${servicesUrl}/${BOB}/evil/`) throw new Error(`service url ${dep.url}`);
  await until(
    "bob's deployment",
    async () => (await api(base, 'GET', `/api/v1/deployments/${dep.id}`, bob)).live,
    120_000,
  );

  // The admin, signed in, opens bob's page.
  const victim = await newPage('victim');
  await victim.goto(`${base}/login`);
  await victim.getByLabel('Username or email').fill('admin');
  await victim.getByLabel('Password').fill(ADMIN_PASSWORD);
  await victim.getByRole('button', { name: 'Log in' }).click();
  await victim.getByRole('link', { name: 'Admin' }).waitFor();
  const jar = await victim.context().cookies(base);
  if (!jar.some((c) => c.name === 'orsa_csrf')) throw new Error('the admin has no CSRF cookie');
  // The old address on ORSA's origin only redirects to the service's own origin.
  await victim.goto(`${base}/s/${BOB}/evil/pwn`);
  if (!victim.url().startsWith(servicesUrl)) throw new Error(`/s/ stayed at ${victim.url()}`);
  await victim.goto(pageUrl);
  const result = victim.locator('#result');
  await until('the attack page', async () => (await result.innerText()) !== 'running', 30_000);
  const out = JSON.parse(await result.innerText());
  log(`  attack page reported: ${JSON.stringify(out)}`);
  if (out.cookie.includes('orsa_')) throw new Error(`the page read ORSA's cookies: ${out.cookie}`);
  if (out.server_saw_cookie.includes('orsa_'))
    throw new Error(`ORSA's cookies reached the service: ${out.server_saw_cookie}`);
  if (!out.token.startsWith('failed')) throw new Error(`token request got through: ${out.token}`);
  if (out.sw === 'registered') throw new Error('the page registered a service worker');
  // Whatever the browser sent, ORSA minted nothing, and the admin is still signed in.
  await victim.goto(`${base}/account/tokens`);
  await victim.getByRole('link', { name: 'Admin' }).waitFor();
  const tokens = await victim.evaluate(async () => (await fetch('/api/v1/tokens')).json());
  if (tokens.tokens.some((t) => t.name.startsWith('pwned')))
    throw new Error(`a token was minted: ${JSON.stringify(tokens)}`);
  const after = await victim.context().cookies(base);
  if (after.find((c) => c.name === 'orsa_csrf')?.value === 'forged')
    throw new Error('the service overwrote the CSRF cookie');
  await victim.context().close();
  await api(base, 'DELETE', `/api/v1/deployments/${dep.id}`, bob, undefined, 204);
}

// ---- the journey ---------------------------------------------------------------
// Confirms the delete dialog. Deleting does not wait for a task in flight
// (the retirement a rollback starts), so one click is enough.
async function confirmDeploymentDelete(page) {
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await dialog.waitFor({ state: 'detached' });
}

async function main() {
  if (!existsSync(path.join(webDir, 'dist', 'index.html'))) {
    throw new Error('web/dist is missing: run `npm run build` first');
  }
  rmSync(artifacts, { recursive: true, force: true });
  const work = mkdtempSync(path.join(os.tmpdir(), 'orsa-web-e2e-'));
  workDir = work;
  const deployer = reuse
    ? { url: reuse, servicesUrl: process.env.ORSA_E2E_SERVICES, logFile: '' }
    : await startDeployer(work);
  servicesUrl = deployer.servicesUrl;
  log(`orsa-deployer at ${deployer.url}, services at ${servicesUrl} (data in ${work})`);
  const base = deployer.url;
  log(`web app at ${base} (served by orsa-deployer --web-dir)`);
  const browser = await launchChromium();
  const newPage = async (who) => {
    const page = await newPersonPage(browser);
    watchConsole(page, who);
    return page;
  };
  let failed = null;
  try {
    const page = await newPage('alice');

    await step('register alice', () => register(page, base, ALICE));

    await step('create a project from the python-flask template', async () => {
      await page.getByRole('button', { name: 'New project' }).click();
      await page.getByLabel('Name').fill('knap');
      await page.getByLabel('Template').selectOption('python-flask');
      await page.getByRole('button', { name: 'Create project' }).click();
      await page.waitForURL(new RegExp(`/projects/${ALICE}/knap/code$`));
      await page.getByLabel('Contents of model.py').waitFor();
      await page.getByText('0/1 knapsack: choose items').waitFor();
    });

    await step('wait for the python-or base image', () => waitForBase(deployer.url, 240_000));

    await step('build image 1 (the original model)', () => buildAndWatch(page, 1));

    await step('edit model.py and save it as a commit (Ctrl+S)', async () => {
      await tab(page, 'Code').click();
      const editor = page.getByLabel('Contents of model.py');
      await editor.waitFor();
      await page.getByText('0/1 knapsack: choose items').waitFor();
      await editor.click();
      await page.keyboard.press('Control+End');
      await page.keyboard.insertText(
        '\n\n_original_solve = solve\n\n\ndef solve(data: dict, options: dict | None = None) -> dict:\n' +
          // A run may ask for a pause: long enough to watch its log and cancel it.
          '    pause = float((options or {}).get("pause_s", 0))\n' +
          '    if pause:\n        print("pausing", pause, flush=True)\n' +
          '        __import__("time").sleep(pause)\n' +
          '    answer = _original_solve(data, options)\n    answer["model_version"] = 2\n    return answer\n',
      );
      await page.getByTestId('dirty-marker').waitFor();
      await page.locator('.file-tree-file[data-path="model.py"] .dirty-dot').waitFor();
      await shot(page, 'editor');
      await page.keyboard.press('Control+s');
      await page.getByTestId('clean-marker').waitFor();
      await page.getByText(/Saved as commit/).waitFor();
    });

    await step('history shows the diff of the saved commit', async () => {
      await tab(page, 'History').click();
      await page.getByText('Update model.py').first().waitFor();
      await page.locator('.diff-added', { hasText: 'model_version' }).waitFor();
    });

    await step('add data files to the project (a build long enough to watch)', () =>
      addBulkData(page, base),
    );

    await step('build image 2 and watch its log stream', async () => {
      const whileRunning = await buildAndWatch(page, 2);
      if (whileRunning < 1) throw new Error('no log line arrived while the build ran');
      await shot(page, 'build-log');
    });

    await step('projects list shows the last build', async () => {
      await page.goto(`${base}/`);
      await page.getByRole('link', { name: `${ALICE}/knap` }).waitFor();
      await page.getByText('#2 succeeded').waitFor();
    });

    await step('create an API token; its secret is shown once', async () => {
      await page.getByRole('link', { name: 'API tokens' }).click();
      await page.getByLabel('Name').fill('e2e-cli');
      await page.getByRole('button', { name: 'Create token' }).click();
      const secret = page.getByTestId('token-secret');
      await secret.waitFor();
      const shown = await secret.innerText();
      apiToken = /orsa_[A-Za-z0-9_-]+/.exec(shown)?.[0] ?? '';
      if (!apiToken) throw new Error(`no secret shown: ${shown}`);
      await shot(page, 'tokens');
      await page.getByRole('button', { name: 'Done' }).click();
      await secret.waitFor({ state: 'detached' });
      await page.reload();
      await page.getByRole('cell', { name: 'e2e-cli', exact: true }).waitFor();
      if (await page.getByTestId('token-secret').count()) throw new Error('secret shown again');
    });

    await step('a second user sees none of alice’s projects', async () => {
      const bob = await newPage('bob');
      await register(bob, base, BOB);
      await bob.getByText('No projects yet').waitFor();
      await bob.goto(`${base}/projects/${ALICE}/knap/code`);
      await bob.getByTestId('not-found').waitFor();
      await bob.context().close();
    });

    await step('admin page: users and collector dry run', async () => {
      const admin = await newPage('admin');
      await admin.goto(`${base}/login`);
      await admin.getByLabel('Username or email').fill('admin');
      await admin.getByLabel('Password').fill(ADMIN_PASSWORD);
      await admin.getByRole('button', { name: 'Log in' }).click();
      await admin.getByRole('link', { name: 'Admin' }).click();
      await admin
        .getByRole('table', { name: 'Users' })
        .getByRole('cell', { name: ALICE, exact: true })
        .waitFor();
      await admin.getByRole('button', { name: 'Dry run' }).click();
      await admin.getByTestId('gc-report').getByText('Dry run: would remove').waitFor();
      await shot(admin, 'admin');
      await admin.context().close();
    });

    await step('deploy image 2 and wait for healthy', () => deployImage(page, base, '2'));

    await step('a service page cannot act as the admin who opens it', () =>
      attackFromServicePage(newPage, base),
    );

    await step('Try it answers with the changed model', async () => {
      await tab(page, 'Try it').click();
      const body = await tryIt(page);
      if (!body.includes('"model_version": 2')) throw new Error(`unexpected answer: ${body}`);
      await shot(page, 'try-it');
    });

    // alice issues a key for a customer, who calls the service with it from
    // outside (no ORSA account); the calls are counted against the key.
    await step(
      'Keys: issue a consumer key; a customer calls with it; Usage counts it',
      async () => {
        await tab(page, 'Keys').click();
        await page
          .getByTestId('customer-snippet')
          .getByText(`${servicesUrl}/${ALICE}/knap/solve`)
          .waitFor();
        await page.getByLabel('Name', { exact: true }).fill('acme');
        await page.getByLabel('Monthly quota of requests').fill('1000');
        await page.getByRole('button', { name: 'Issue key' }).click();
        const secret = page.getByTestId('key-secret');
        const shown = await secret.locator('code').innerText();
        const key = /^orsa_ck_[A-Za-z0-9_-]+$/.exec(shown.trim())?.[0];
        if (!key) throw new Error(`no key shown: ${shown}`);
        const codes = await customerCalls(base, key, 3);
        if (codes.some((c) => c !== 200)) throw new Error(`calls with the key answered ${codes}`);
        // A key the project does not know: as if the private service did not exist.
        const unknown = await customerCalls(base, 'orsa_ck_not-a-key', 1);
        if (unknown[0] !== 404) throw new Error(`an unknown key answered ${unknown[0]}`);
        await page.getByRole('button', { name: 'Done' }).click();
        await secret.waitFor({ state: 'detached' });
        const row = page
          .getByRole('table', { name: 'Consumer keys' })
          .locator('tr', { hasText: 'acme' });
        await until(
          'the calls counted on the Keys tab',
          async () => {
            await page.reload();
            await row
              .getByText('3 requests of 1,000')
              .or(row.getByText(/^[0-2] requests of/))
              .first()
              .waitFor();
            return (await row.getByText('3 requests of 1,000').count()) > 0;
          },
          30_000,
        );
        if (await page.getByText(key).count()) throw new Error('the key is shown again');
        await shot(page, 'keys');
        await tab(page, 'Usage').click();
        await page.waitForURL(/\/usage$/);
        // The link is re-rendered after the URL changes: wait for the mark.
        await tab(page, 'Usage')
          .and(page.locator('[aria-current="page"]'))
          .waitFor({ timeout: 5_000 })
          .catch(() => {
            throw new Error('the Usage tab is not marked current');
          });
        const usage = page
          .getByRole('table', { name: 'Usage per key' })
          .getByRole('row', { name: /^acme/ });
        await usage
          .getByRole('cell', { name: '3', exact: true })
          .first()
          .waitFor({ timeout: 30_000 });
        await page.getByRole('img', { name: /^acme: 3 requests over \d+ days$/ }).waitFor();
        const csv = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
        if (!csv?.includes('format=csv')) throw new Error(`CSV link: ${csv}`);
        const file = await page.request.get(`${base}${csv}`);
        const text = await file.text();
        if (!file.ok() || !text.includes('acme')) throw new Error(`CSV ${file.status()}: ${text}`);
        await shot(page, 'usage');
        // Revoked on the Keys tab: the customer's next call is refused.
        await tab(page, 'Keys').click();
        await page.getByRole('button', { name: 'Revoke acme' }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
        await row.locator('.status-badge[data-status="revoked"]').waitFor();
        const after = await customerCalls(base, key, 1);
        if (after[0] !== 401) throw new Error(`a revoked key answered ${after[0]}`);
      },
    );

    // A run of the changed model from the Runs tab: its live log, its result
    // and its trace; then a long run, canceled while its log streams.
    await step('run the model from the Runs tab: live log, result, trace', async () => {
      await tab(page, 'Runs').click();
      await page.getByLabel('input.json', { exact: true }).getByText('capacity').waitFor();
      await page.getByLabel('Time limit (seconds)').fill('60');
      await page.getByLabel('Options', { exact: true }).fill('seed=7');
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await page.waitForURL(/\/runs\/run_[^/]+$/);
      const id = decodeURIComponent(page.url().split('/').pop());
      const detail = page.locator(`.run-detail[data-run-id="${id}"]`);
      await detail.locator('.status-badge[data-status="succeeded"]').waitFor({ timeout: 90_000 });
      await detail.getByText('seed', { exact: true }).waitFor();
      await detail
        .getByLabel('Solver log')
        .getByText(/Optimal solution found/)
        .waitFor();
      await detail.getByText('model_version').waitFor(); // the result tree
      // Traced to the live deployment's image.
      await detail.getByRole('link', { name: /^dep_/ }).waitFor();
    });

    let runId = '';
    await step('a long run streams its log live and is canceled', async () => {
      await tab(page, 'Runs').click();
      await page.getByLabel('input.json', { exact: true }).getByText('capacity').waitFor();
      await page.getByLabel('Time limit (seconds)').fill('120');
      await page.getByLabel('Options', { exact: true }).fill('pause_s=90');
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await page.waitForURL(/\/runs\/run_[^/]+$/);
      runId = decodeURIComponent(page.url().split('/').pop());
      const detail = page.locator(`.run-detail[data-run-id="${runId}"]`);
      await detail.locator('.status-badge[data-status="running"]').waitFor({ timeout: 60_000 });
      await detail
        .getByLabel('Solver log')
        .getByText(/^pausing 90/)
        .waitFor({ timeout: 30_000 });
    });

    await step('cancel the running run; the history and My runs show it canceled', async () => {
      await page.getByRole('button', { name: 'Cancel run' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel run' }).click();
      await page.locator('.run-detail .status-badge[data-status="canceled"]').waitFor();
      await tab(page, 'Runs').click();
      const row = page.locator(`tr[data-run-id="${runId}"]`);
      await row.locator('.status-badge[data-status="canceled"]').waitFor();
      await row.getByText(ALICE, { exact: true }).waitFor();
      await shot(page, 'runs');
      // The commit link opens that commit in History.
      const commit = row.getByRole('link', { name: /^[0-9a-f]{7}$/ });
      const sha = await commit.innerText();
      await commit.click();
      await page.waitForURL(/\/history\?commit=[0-9a-f]+$/);
      await page.getByRole('heading', { name: new RegExp(`^${sha} `) }).waitFor();
      await page.getByRole('link', { name: 'My runs', exact: true }).click();
      const mine = page.locator(`tr[data-run-id="${runId}"]`);
      await mine.locator('.status-badge[data-status="canceled"]').waitFor();
      // Back to the project through the row's project link.
      await mine.getByRole('link', { name: `${ALICE}/knap`, exact: true }).click();
      await page.waitForURL(new RegExp(`/projects/${ALICE}/knap/runs$`));
      await page.getByRole('form', { name: 'New run' }).waitFor();
    });

    await step('deployment page: status, logs and traffic charts', async () => {
      await tab(page, 'Deployment').click();
      const card = page.locator('.deployment-card').first();
      await card.locator('.status-badge[data-status="healthy"]').waitFor();
      await card.getByLabel('Deployment log').locator('.log-line').first().waitFor();
      // Some traffic through the gateway (as Try it sends it) between two
      // polls of the counters, so that the charts draw rates.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && (await card.getByText(/Rates appear/).count())) {
        await solveInPage(page, 3);
        await page.waitForTimeout(500);
      }
      await solveInPage(page, 5);
      await card.getByText(/^[1-9]\d* requests in all/).waitFor();
      // One more poll of the counters, so that the rate chart draws a line, not a dot.
      await card
        .locator(
          '[aria-label="Requests per second chart"]:not([data-points="0"]):not([data-points="1"])',
        )
        .waitFor({ timeout: 30_000 });
      await shot(page, 'deployment');
      await page.getByRole('link', { name: 'Projects', exact: true }).click();
      await page.getByText('healthy (image 2)').waitFor();
      await shot(page, 'projects');
    });

    await step('deployments page lists the deployment and links to it', async () => {
      await page.getByRole('link', { name: 'Deployments', exact: true }).click();
      const row = page
        .getByRole('table', { name: 'Deployments' })
        .locator('tr', { hasText: 'knap' })
        .first();
      await row.locator('.status-badge[data-status="healthy"]').waitFor();
      await row.getByRole('link', { name: /View/ }).click();
      await page.locator('.deployment-card').first().waitFor();
    });

    await step('roll back to image 1; Try it answers as the original model', async () => {
      await deployImage(page, base, '1', { screenshot: 'images' });
      await page
        .locator('tr', { hasText: 'Image 2' })
        .getByText(/replaced by dep_/)
        .waitFor({ timeout: 30_000 });
      await tab(page, 'Try it').click();
      const body = await tryIt(page);
      if (body.includes('model_version') || !body.includes('"objective"'))
        throw new Error(`unexpected answer after rollback: ${body}`);
    });

    await step('delete the deployments, then the images', async () => {
      await page.goto(`${base}/projects/${ALICE}/knap/deployment`);
      const notDeployed = page.getByText('Not deployed');
      for (let i = 0; ; i++) {
        // Loaded: a deployment card, or nothing left.
        await page.locator('.deployment-card').or(notDeployed).first().waitFor();
        if (await notDeployed.count()) break;
        if (i === 5) throw new Error('deployments are left after 5 deletions');
        const card = page.locator('.deployment-card');
        const id = await card.getAttribute('data-deployment-id');
        await card.getByRole('button', { name: /^Delete deployment/ }).click();
        await confirmDeploymentDelete(page);
        await page.locator(`[data-deployment-id="${id}"]`).waitFor({ state: 'detached' });
      }
      await page.goto(`${base}/projects/${ALICE}/knap/images`);
      for (const tag of ['2', '1']) {
        await page
          .locator(`tr[data-image-tag="${tag}"]`)
          .getByRole('button', { name: /Delete/ })
          .click();
        const dialog = page.getByRole('dialog');
        if (await dialog.getByTestId('image-in-use').count())
          throw new Error(`image ${tag} is still used by a deployment`);
        await dialog.getByRole('button', { name: 'Delete' }).click();
        await page.locator(`tr[data-image-tag="${tag}"]`).waitFor({ state: 'detached' });
      }
      await page.getByText('No images yet').waitFor();
    });
  } catch (e) {
    failed = e;
  }

  if (failed) {
    mkdirSync(artifacts, { recursive: true });
    for (const { page, who } of pages) {
      if (!page.isClosed()) {
        await page
          .screenshot({ path: path.join(artifacts, `failure-${who}.png`), fullPage: true })
          .catch(() => {});
        writeFileSync(
          path.join(artifacts, `failure-${who}.html`),
          await page.content().catch(() => ''),
        );
      }
    }
    writeFileSync(path.join(artifacts, 'console.log'), consoleLines.join('\n') + '\n');
    try {
      writeFileSync(path.join(artifacts, 'deployer.log'), readFileSync(deployer.logFile));
    } catch {
      // no log
    }
  }
  const problems = consoleLines.filter((l) => / (error|warning|pageerror):/.test(l));
  const unexpected = problems.filter((l) => !expectedProblems.some((re) => re.test(l)));
  if (!failed && unexpected.length) {
    failed = new Error(`console errors or warnings:\n  ${unexpected.join('\n  ')}`);
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(path.join(artifacts, 'console.log'), consoleLines.join('\n') + '\n');
  }
  const t0 = Date.now();
  await browser.close();
  log(`browser closed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await stopDeployer(work);
  if (!process.env.ORSA_E2E_KEEP) {
    const t1 = Date.now();
    rmSync(work, { recursive: true, force: true });
    log(`data dir removed in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  }
  if (problems.length) log(`browser console problems:\n  ${problems.join('\n  ')}`);
  log(`last step passed: ${journey.lastPassed}`);
  if (failed) {
    console.error(`FAIL: ${failed.stack ?? failed}`);
    console.error(`artifacts in ${artifacts}`);
    process.exit(1);
  }
  log('web e2e ok');
}

let workDir = null;
let servicesUrl = '';
let apiToken = '';

process.on('SIGINT', () => {
  void stopDeployer(workDir).finally(() => process.exit(130));
});

main().catch(async (e) => {
  console.error(e);
  await stopDeployer(workDir);
  if (workDir && !process.env.ORSA_E2E_KEEP) rmSync(workDir, { recursive: true, force: true });
  process.exit(1);
});
