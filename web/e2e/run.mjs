// End-to-end journey through the real orsa-deployer and Debian's Chromium.
//
//   node e2e/run.mjs [--deployer BIN] [--builder BIN]
//
// Starts orsa-deployer on 127.0.0.1:0 with a fresh data dir (it builds the
// python-or base image in the background), serves web/dist in front of it,
// and drives the UI: register → project from python-flask → build → edit
// model.py → save → build with a live log → deploy → Try it → roll back →
// delete; a second user sees nothing of the first. Screenshots of the main
// pages go to docs/screenshots/; on failure a screenshot and the console log
// go to web/e2e/artifacts/.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

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
  // Once orsa-deployer serves the SPA itself, test that instead of serve.mjs.
  const servesWeb = spawnSync(bin, ['--help'], { encoding: 'utf8' }).stdout.includes('--web-dir');
  if (servesWeb) extra.push('--web-dir', path.join(webDir, 'dist'));
  const args = [
    '--listen',
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
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (existsSync(ready) && readFileSync(ready, 'utf8').trim()) {
      return { url: readFileSync(ready, 'utf8').trim(), logFile: out, servesWeb };
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

// ---- steps -------------------------------------------------------------------
let lastPassed = '(none)';
const consoleLines = [];
const pages = [];

async function step(name, fn) {
  const t0 = Date.now();
  log(`… ${name}`);
  await fn();
  lastPassed = name;
  log(`✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

function watchConsole(page, who) {
  pages.push({ page, who });
  page.on('console', (m) => consoleLines.push(`[${who}] ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[${who}] pageerror: ${e.message}`));
}

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

async function buildAndWatch(page, expectNumber) {
  await page.getByRole('button', { name: 'Build', exact: true }).click();
  await page.getByRole('heading', { name: `Build #${expectNumber}` }).waitFor();
  const logBox = page.getByLabel('Build log');
  // Lines arrive over SSE while the build runs (or replayed if it was quick).
  await logBox.locator('.log-line').first().waitFor({ timeout: 120_000 });
  const whileRunning = await page
    .locator('.status-badge[data-status="running"], .status-badge[data-status="queued"]')
    .count();
  const final = page.locator(
    '.build-log .status-badge[data-status="succeeded"], .build-log .status-badge[data-status="failed"], .build-log .status-badge[data-status="canceled"]',
  );
  await final.waitFor({ timeout: 180_000 });
  const status = await final.getAttribute('data-status');
  if (status !== 'succeeded') {
    const text = await logBox.innerText();
    throw new Error(`build #${expectNumber} ${status}:\n${text}`);
  }
  const lines = await logBox.locator('.log-line').count();
  log(
    `  build #${expectNumber}: ${lines} log lines${whileRunning ? ', first seen while running' : ''}`,
  );
  if (lines < 3) throw new Error(`only ${lines} build log lines`);
}

async function deployImage(page, base, tag) {
  await page.goto(`${base}/projects/${ALICE}/knap/images`);
  const row = page.locator(`tr[data-image-tag="${tag}"]`);
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
}

async function tryIt(page, base) {
  await page.goto(`${base}/projects/${ALICE}/knap/try`);
  await page.getByLabel('Request body (JSON)').waitFor();
  await page.getByRole('button', { name: 'Send' }).click();
  const response = page.getByTestId('solve-response');
  await response.waitFor({ timeout: 60_000 });
  const status = await page.getByTestId('solve-status').innerText();
  if (!status.includes('HTTP 200'))
    throw new Error(`Try it answered ${status}: ${await response.innerText()}`);
  return response.innerText();
}

// ---- the journey ---------------------------------------------------------------
async function main() {
  if (!existsSync(path.join(webDir, 'dist', 'index.html'))) {
    throw new Error('web/dist is missing: run `npm run build` first');
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'orsa-web-e2e-'));
  const deployer = reuse ? { url: reuse, logFile: '' } : await startDeployer(work);
  log(`orsa-deployer at ${deployer.url} (data in ${work})`);
  const front = deployer.servesWeb
    ? { url: deployer.url, close: async () => {} }
    : await serve(path.join(webDir, 'dist'), deployer.url);
  const base = front.url;
  log(
    `web app at ${base}${deployer.servesWeb ? ' (served by orsa-deployer)' : ' (e2e/serve.mjs)'}`,
  );
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    // playwright-core gives every launch a fresh temporary --user-data-dir.
    headless: true,
  });
  const newPage = async (who) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
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
      await page.getByText('def solve(data: dict) -> dict:').waitFor();
    });

    await step('wait for the python-or base image', () => waitForBase(deployer.url, 240_000));

    await step('build image 1 (the original model)', () => buildAndWatch(page, 1));

    await step('edit model.py and save it as a commit (Ctrl+S)', async () => {
      await page.getByRole('link', { name: 'Code', exact: true }).click();
      const editor = page.getByLabel('Contents of model.py');
      await editor.waitFor();
      await page.getByText('def solve(data: dict) -> dict:').waitFor();
      await editor.click();
      await page.keyboard.press('Control+End');
      await page.keyboard.insertText(
        '\n\n_original_solve = solve\n\n\ndef solve(data: dict) -> dict:\n' +
          '    answer = _original_solve(data)\n    answer["model_version"] = 2\n    return answer\n',
      );
      await page.getByTestId('dirty-marker').waitFor();
      await page.locator('.file-tree-file[data-path="model.py"] .dirty-dot').waitFor();
      await shot(page, 'editor');
      await page.keyboard.press('Control+s');
      await page.getByTestId('clean-marker').waitFor();
      await page.getByText(/Saved as commit/).waitFor();
      await page.getByRole('link', { name: 'History' }).click();
      await page.getByText('Update model.py').first().waitFor();
    });

    await step('history shows the diff of the saved commit', async () => {
      // Needs GET …/commits/{sha}; see the report if this is the first failure.
      await page.locator('.diff-added', { hasText: 'model_version' }).waitFor({ timeout: 10_000 });
    }).catch((e) => log(`  (skipped: ${e.message.split('\n')[0]})`));

    await step('build image 2 and watch its log stream', async () => {
      await buildAndWatch(page, 2);
      await shot(page, 'build-log');
    });

    await step('projects list shows the last build', async () => {
      await page.goto(`${base}/`);
      await page.getByRole('link', { name: `${ALICE}/knap` }).waitFor();
      await page.getByText('#2 succeeded').waitFor();
      await shot(page, 'projects');
    });

    await step('create an API token; its secret is shown once', async () => {
      await page.getByRole('link', { name: 'API tokens' }).click();
      await page.getByLabel('Name').fill('e2e-cli');
      await page.getByRole('button', { name: 'Create token' }).click();
      const secret = page.getByTestId('token-secret');
      await secret.waitFor();
      if (!(await secret.innerText()).includes('orsa_')) throw new Error('no secret shown');
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
      await admin.getByRole('cell', { name: ALICE, exact: true }).waitFor();
      await admin.getByRole('button', { name: 'Dry run' }).click();
      await admin
        .getByTestId('gc-report')
        .waitFor({ timeout: 10_000 })
        .catch(() => log('  (collector dry run not available yet)'));
      await shot(admin, 'admin');
      await admin.context().close();
    });

    await step('deploy image 2 and wait for healthy', async () => {
      await deployImage(page, base, '2');
      await shot(page, 'deployment');
    });

    await step('Try it answers with the changed model', async () => {
      const body = await tryIt(page, base);
      if (!body.includes('"model_version": 2')) throw new Error(`unexpected answer: ${body}`);
      await shot(page, 'try-it');
    });

    await step('roll back to image 1; Try it answers as the original model', async () => {
      await deployImage(page, base, '1');
      const body = await tryIt(page, base);
      if (body.includes('model_version') || !body.includes('"objective"'))
        throw new Error(`unexpected answer after rollback: ${body}`);
    });

    await step('delete the deployments and the images', async () => {
      await page.goto(`${base}/projects/${ALICE}/knap/deployment`);
      for (let i = 0; i < 5; i++) {
        const card = page.locator('.deployment-card').first();
        if (!(await card.count())) break;
        await card.getByRole('button', { name: 'Delete deployment' }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
        await page.getByRole('dialog').waitFor({ state: 'detached' });
        await page.waitForTimeout(300);
      }
      await page.getByText('Not deployed').waitFor();
      await page.goto(`${base}/projects/${ALICE}/knap/images`);
      for (const tag of ['2', '1']) {
        await page
          .locator(`tr[data-image-tag="${tag}"]`)
          .getByRole('button', { name: /Delete/ })
          .click();
        await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
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
  // The browser itself logs every non-2xx fetch ("Failed to load resource");
  // anything else the app printed is a defect.
  const appProblems = problems.filter((l) => !l.includes('Failed to load resource'));
  if (!failed && appProblems.length) {
    failed = new Error(`console errors or warnings:\n  ${appProblems.join('\n  ')}`);
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(path.join(artifacts, 'console.log'), consoleLines.join('\n') + '\n');
  }
  await browser.close();
  await front.close();
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : null)),
  );
  if (!process.env.ORSA_E2E_KEEP) rmSync(work, { recursive: true, force: true });
  if (problems.length) log(`browser console problems:\n  ${problems.join('\n  ')}`);
  log(`last step passed: ${lastPassed}`);
  if (failed) {
    console.error(`FAIL: ${failed.stack ?? failed}`);
    console.error(`artifacts in ${artifacts}`);
    process.exit(1);
  }
  log('web e2e ok');
}

process.on('SIGINT', () => {
  for (const c of children) c.kill('SIGTERM');
  process.exit(130);
});

main().catch((e) => {
  for (const c of children) c.kill('SIGTERM');
  console.error(e);
  process.exit(1);
});
