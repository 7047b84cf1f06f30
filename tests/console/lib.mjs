// lib.mjs: what the console's browser tests share. A gateway (`baraza
// serve` on 127.0.0.1:0) with the fake provider and a prepared database,
// headless Debian Chromium driven by playwright-core (never a downloaded
// browser), axe-core, screenshots and page weights.
//
// Environment (set by tests/integration/console.sh, or by hand):
//   BARAZA         the built baraza program
//   FAKE_PROVIDER  the built tests/fake_provider
//   SRCDIR         the source tree (default: two folders up)
//   CONSOLE_OUT    where screenshots and figures go (default:
//                  $BUILDDIR/tests/console-out, else tests/console/out)
//   CHROMIUM       the browser (default /usr/bin/chromium)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SRCDIR = process.env.SRCDIR || path.resolve(here, '../..');
export const BARAZA = process.env.BARAZA || path.join(SRCDIR, 'build/baraza');
export const FAKE_PROVIDER = process.env.FAKE_PROVIDER || path.join(path.dirname(BARAZA), 'tests/fake_provider');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const OUT = process.env.CONSOLE_OUT ||
  (process.env.BUILDDIR ? path.join(process.env.BUILDDIR, 'tests/console-out') : path.join(here, 'out'));
export const TOKEN = 'test-token';
export const PASSWORD = 'correct-horse-battery';

// The flags the machine notes ask for: no sandbox (root), no GPU, and no
// connections of Chromium's own to the outside.
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Retries fn every 100 ms until it returns a true value; at most ms.
export async function waitFor(fn, ms = 10000, what = 'a condition') {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${last}`);
    await sleep(100);
  }
}

// The gateway and the fake provider, in their own temporary folder.
export class Gateway {
  // extra: more [gateway] lines of the config; channel: more lines of its
  // [channel web].
  constructor(extra = '', channel = '') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baraza-console-'));
    this.procs = [];
    this.extra = extra;
    this.channel = channel;
  }

  async start() {
    fs.mkdirSync(path.join(this.dir, 'flows'));
    const examples = path.join(SRCDIR, 'flows/examples');
    for (const f of fs.readdirSync(examples).filter((x) => x.endsWith('.flow'))) {
      fs.copyFileSync(path.join(examples, f), path.join(this.dir, 'flows', f));
    }
    const portFile = path.join(this.dir, 'fake.port');
    this.fakeLog = path.join(this.dir, 'fake.log');
    this.spawn(FAKE_PROVIDER, ['--port-file', portFile, '--log', this.fakeLog], 'fake.err');
    this.fakePort = Number(await waitFor(() => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim(), 10000, 'the fake provider'));
    this.conf = path.join(this.dir, 'baraza.conf');
    fs.writeFileSync(this.conf, `[gateway]
listen = 127.0.0.1:0
database = baraza.db
flows = flows
admin_token = ${TOKEN}
log_level = debug
country_code = 254
default_channel = web
languages = en sw
currency = KES
${this.extra}
[channel web]
type = http
api_url = http://127.0.0.1:${this.fakePort}/send
allow_unsigned = yes
cost_per_segment = 1.50
${this.channel}
`);
    this.log = path.join(this.dir, 'serve.log');
    this.server = this.spawn(BARAZA, ['-c', this.conf, 'serve'], 'serve.log');
    this.port = Number(await waitFor(() => {
      const m = /listening addr=127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(this.log, 'utf8'));
      if (!m && this.server.exitCode !== null) throw new Error('the gateway stopped:\n' + fs.readFileSync(this.log, 'utf8'));
      return m && m[1];
    }, 10000, 'the gateway to listen'));
    this.base = `http://127.0.0.1:${this.port}`;
    return this;
  }

  spawn(cmd, args, logName) {
    const fd = fs.openSync(path.join(this.dir, logName), 'a');
    const p = spawn(cmd, args, { cwd: this.dir, stdio: ['ignore', 'ignore', fd] });
    fs.closeSync(fd);
    this.procs.push(p);
    return p;
  }

  // `baraza ARGS` on this gateway's config; input goes to its stdin.
  cli(args, input) {
    const r = spawnSync(BARAZA, ['-c', this.conf, ...args], { cwd: this.dir, input: input ?? '', encoding: 'utf8', timeout: 20000 });
    if (r.status !== 0) throw new Error(`baraza ${args.join(' ')}: ${r.status}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  addUser(name, role) {
    this.cli(['user', 'add', name, '--role', role], PASSWORD + '\n');
  }

  // A request to the gateway with the admin token (unless headers say else).
  async api(method, p, body, headers = {}) {
    const h = { Authorization: `Bearer ${TOKEN}`, ...headers };
    for (const k of Object.keys(h)) if (h[k] === null) delete h[k];
    if (body !== undefined && typeof body !== 'string') {
      h['Content-Type'] = 'application/json';
      body = JSON.stringify(body);
    }
    const res = await fetch(this.base + p, { method, headers: h, body, redirect: 'manual' });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
    return { status: res.status, headers: res.headers, text, json };
  }

  // One inbound SMS from phone through the http channel's webhook.
  async sms(from, text) {
    this.n = (this.n || 0) + 1;
    const r = await fetch(`${this.base}/hooks/web/sms`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: `in-${this.n}`, from, to: '40404', text }),
    });
    if (r.status !== 200) throw new Error(`webhook answered ${r.status}: ${await r.text()}`);
  }

  // One USSD step from phone in session through the http channel's
  // webhook: the screen answered, { text, end }.
  async ussd(session, from, code, input) {
    const r = await fetch(`${this.base}/hooks/web/ussd`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ session, from, code, input }),
    });
    if (r.status !== 200) throw new Error(`USSD webhook answered ${r.status}: ${await r.text()}`);
    return r.json();
  }

  // The fake provider's requests, one object each.
  sent() {
    if (!fs.existsSync(this.fakeLog)) return [];
    return fs.readFileSync(this.fakeLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }

  // The texts the fake provider got for phone.
  textsTo(phone) {
    return this.sent().filter((r) => r.path === '/send' && r.params && r.params.to === phone).map((r) => r.params.text);
  }

  async stop() {
    for (const p of this.procs.reverse()) {
      if (p.exitCode === null) {
        p.kill('SIGTERM');
        await Promise.race([new Promise((r) => p.once('exit', r)), sleep(5000)]);
        if (p.exitCode === null) p.kill('SIGKILL');
      }
    }
  }

  cleanup(keep) {
    if (!keep) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// Headless Debian Chromium; a fresh profile folder per launch.
export async function launch() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

// A new browser context (its own cookies and cache) that records what goes
// wrong in its pages: errors, failed CSP checks, console errors.
export async function context(browser, opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...opts });
  ctx.problems = [];
  ctx.on('page', (p) => watch(p, ctx.problems));
  return ctx;
}

function watch(page, problems) {
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (4\d\d)/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
}

// Signs in through the sign-in page; returns the page.
export async function signIn(ctx, base, name, next) {
  const page = await ctx.newPage();
  await page.goto(`${base}/console/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/console/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.locator('#nav a').first().waitFor();
  return page;
}

// Waits for a console page to have drawn itself (the header's user line
// and the main heading).
export async function ready(page) {
  await page.locator('.header__user').waitFor();
  await page.locator('main h1').first().waitFor();
  await page.waitForLoadState('networkidle');
}

let axeSource = null;
// axe-core on the page (run through the DevTools protocol, so the page's
// CSP does not stop it); returns the violations.
export async function axe(page) {
  if (!axeSource) {
    const req = (await import('node:module')).createRequire(import.meta.url);
    axeSource = fs.readFileSync(req.resolve('axe-core/axe.min.js'), 'utf8');
  }
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

// A full-page screenshot 360 px wide, kept in OUT. The page must fit that
// width: only a table may scroll sideways, inside its own box.
export async function screenshot(page, name) {
  fs.mkdirSync(OUT, { recursive: true });
  const size = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 780 });
  await page.waitForFunction(() => window.innerWidth === 360);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await page.setViewportSize(size);
  if (width > 360) throw new Error(`${name}: the page is ${width} px wide at 360`);
  return file;
}
