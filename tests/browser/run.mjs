// Browser tests of the Tidings web UI: real Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// accessibility by axe-core, against a live `tidings demo`.
//
//   node tests/browser/run.mjs [--screenshots DIR] [--bin PATH] [--chromium PATH] [--keep]
//
// For every page type (home, stories, a story, a syndicated copy and a plain article, topics, a topic, sources,
// an outlet, the names in the news, a name, an Ask answer, a 404, and, when they exist, search, the admin
// sign-in and the signed-in admin page) at desktop (1280x800) and phone (360x740):
//   - axe-core finds no violation of impact serious or critical (every default rule in the light colour
//     scheme, the colour rules again in the dark one);
//   - with the site's Content-Security-Policy enforced, no console error, no page error, no request to any
//     origin but the site's own (articles' images come through the site's image proxy), and every image loads;
//   - nothing scrolls sideways at 360 and at 320 px wide;
//   - Tab from the top reaches the skip link (or the first nav link) first, every element reached by the
//     first few Tabs shows a visible focus style, and following the skip link moves on into the content.
// Exits 1 with a summary of every failure. With --screenshots DIR, also saves a PNG of each page type at both
// widths (and the home page in the dark scheme).
//
// Needs target/debug/tidings (`cargo build -p tidings`), `npm ci` in tests/browser, and Chromium.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import crypto from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const axePath = require.resolve('axe-core/axe.min.js');

const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 360, height: 740 },
};
const NARROWEST = { width: 320, height: 740 };
// Screenshots are cut at these heights to keep docs/screenshots small.
const SCREENSHOT_MAX_HEIGHT = { desktop: 900, phone: 1400 };
const TABS_CHECKED = 6;

function parseArgs(argv) {
  const options = {
    screenshots: null,
    bin: process.env.TIDINGS_BIN || path.join(repo, 'target', 'debug', 'tidings'),
    chromium: process.env.CHROMIUM || '/usr/bin/chromium',
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--screenshots') options.screenshots = path.resolve(value());
    else if (arg === '--bin') options.bin = path.resolve(value());
    else if (arg === '--chromium') options.chromium = value();
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  return options;
}

function usage(problem) {
  if (problem) console.error(`run.mjs: ${problem}`);
  console.error('usage: node tests/browser/run.mjs [--screenshots DIR] [--bin PATH] [--chromium PATH] [--keep]');
  process.exit(problem ? 2 : 0);
}

const log = (...args) => console.log('[browser]', ...args);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// The demo server

class Demo {
  constructor(bin, keep) {
    this.bin = bin;
    this.keep = keep;
    this.child = null;
    this.exited = null;
  }

  async start() {
    if (!fs.existsSync(this.bin)) {
      throw new Error(`${this.bin} does not exist: build it first with \`cargo build -p tidings\``);
    }
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidings-browser-'));
    this.logPath = path.join(this.dir, 'demo.log');
    const port = await freePort();
    this.origin = `http://127.0.0.1:${port}`;
    const env = { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info' };
    // The admin pages are on only with an admin token. A binary that does not know the setting refuses it, so
    // ask `tidings config` first.
    const token = crypto.randomBytes(16).toString('hex');
    const withToken = { ...env, TIDINGS_WEB__ADMIN_TOKEN: token };
    if (spawnSync(this.bin, ['config'], { cwd: this.dir, env: withToken, stdio: 'ignore' }).status === 0) {
      Object.assign(env, withToken);
      this.adminToken = token;
    }
    const out = fs.openSync(this.logPath, 'a');
    this.child = spawn(this.bin, ['demo', '--listen', `127.0.0.1:${port}`], {
      cwd: this.dir,
      stdio: ['ignore', out, out],
      env,
    });
    fs.closeSync(out);
    this.startedAt = Date.now();
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.exited.then(({ code, signal }) => {
      this.child = null;
      this.exitStatus = signal ? `signal ${signal}` : `exit code ${code}`;
    });
    log(`demo: ${this.bin} demo --listen 127.0.0.1:${port} (in ${this.dir})`);
  }

  async get(pathname) {
    if (!this.child) throw new Error(`the demo server stopped (${this.exitStatus})\n${this.logTail()}`);
    return fetch(this.origin + pathname, { signal: AbortSignal.timeout(5000) });
  }

  async json(pathname) {
    const response = await this.get(pathname);
    if (!response.ok) throw new Error(`GET ${pathname}: HTTP ${response.status}`);
    return response.json();
  }

  async waitUntil(what, seconds, probe) {
    const deadline = Date.now() + seconds * 1000;
    let last = null;
    while (Date.now() < deadline) {
      try {
        const result = await probe();
        if (result) return result;
      } catch (error) {
        if (!this.child) throw error;
        last = error;
      }
      await sleep(250);
    }
    throw new Error(`timed out after ${seconds}s waiting for ${what}${last ? ` (last error: ${last.message})` : ''}\n${this.logTail()}`);
  }

  logTail(lines = 30) {
    try {
      const text = fs.readFileSync(this.logPath, 'utf8').trimEnd().split('\n');
      return `--- last lines of ${this.logPath} ---\n${text.slice(-lines).join('\n')}`;
    } catch {
      return '';
    }
  }

  async stop() {
    if (this.child) {
      this.child.kill('SIGTERM');
      let timer;
      const grace = new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), 10000);
      });
      const stopped = await Promise.race([this.exited, grace]);
      clearTimeout(timer);
      if (!stopped && this.child) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    if (this.dir && !this.keep) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // Synchronous last resort for process exit paths (an uncaught error, Ctrl-C).
  killNow() {
    if (this.child) this.child.kill('SIGKILL');
    if (this.dir && !this.keep) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Which pages to visit

async function choosePages(demo) {
  // Polling fills the database within a few seconds; the story stage clusters on its next tick. Wait for a
  // story covered by several outlets, then for the number of stories to stay put for 3 seconds.
  let previous = -1;
  let stableSince = 0;
  const stories = await demo.waitUntil('multi-outlet stories from the demo', 90, async () => {
    const list = await demo.json('/api/v1/stories');
    const count = list.stories.length;
    if (count !== previous) {
      previous = count;
      stableSince = Date.now();
      return null;
    }
    const multi = list.stories.some((s) => s.outlet_count >= 2);
    return multi && Date.now() - stableSince >= 3000 ? list.stories : null;
  });
  log(`demo ready: ${stories.length} stories after ${((Date.now() - demo.startedAt) / 1000).toFixed(1)}s`);

  const pages = [
    { name: 'home', path: '/' },
    { name: 'stories', path: '/stories' },
  ];

  const byOutlets = [...stories].sort((a, b) => b.outlet_count - a.outlet_count || b.article_count - a.article_count);
  const story = byOutlets[0];
  pages.push({ name: 'story', path: `/stories/${story.id}`, note: `${story.outlet_count} outlets: ${story.headline}` });

  // A syndicated copy (an article whose original is another outlet's), and a plain article that is neither a
  // copy nor copied, preferably one in a story with several outlets.
  let copy = null;
  let plain = null;
  const originals = new Set();
  const details = [];
  for (const s of byOutlets.slice(0, 30)) {
    const detail = await demo.json(`/api/v1/stories/${s.id}`);
    details.push(detail);
    for (const a of detail.articles) {
      if (a.original_article_id != null) {
        originals.add(a.original_article_id);
        if (!copy) copy = a;
      }
    }
  }
  for (const detail of details) {
    plain = detail.articles.find((a) => a.original_article_id == null && !originals.has(a.id));
    if (plain) break;
  }
  if (copy) {
    pages.push({ name: 'article-copy', path: `/articles/${copy.id}`, note: `copy: ${copy.title}` });
  } else {
    log('NOTE: no syndicated copy found in the demo; only a plain article is checked');
  }
  if (!plain) plain = (await demo.json('/api/v1/articles')).articles[0];
  pages.push({ name: 'article', path: `/articles/${plain.id}`, note: plain.title });

  pages.push({ name: 'topics', path: '/topics' });
  const topicHref = await firstLink(demo, '/topics', /href="(\/topics\/[^"/?#]+)"/);
  if (topicHref) pages.push({ name: 'topic', path: topicHref });
  else log('NOTE: /topics links to no topic; no topic page checked');

  pages.push({ name: 'sources', path: '/sources' });
  const outlets = (await demo.json('/api/v1/outlets')).outlets;
  pages.push({ name: 'source', path: `/sources/${outlets[0].id}`, note: outlets[0].name });

  // Reading aids: the enrichment stage names entities a little after polling; wait for the first ones.
  pages.push({ name: 'entities', path: '/entities' });
  const entityHref = await demo
    .waitUntil('named entities from the enrichment stage', 60, async () => firstLink(demo, '/entities', /href="(\/entities\/[^"?#]+\/[^"?#]+)"/))
    .catch((error) => {
      log(`NOTE: ${error.message.split('\n')[0]}; no entity page checked`);
      return null;
    });
  if (entityHref) pages.push({ name: 'entity', path: entityHref });
  pages.push({ name: 'ask', path: '/ask?q=Who+scored+the+winner+in+the+cup+final', note: 'an answer' });

  pages.push({ name: 'not-found', path: '/no-such-page', status: 404 });

  // Pages that are being built at the same time as these tests: checked once they exist. /admin shows the
  // sign-in form; the signed-in admin page is added in main() once the browser has signed in.
  const word = story.headline.split(/[^\p{L}\p{N}]+/u).find((w) => w.length >= 5) || 'news';
  for (const [name, pathname] of [['search', `/search?q=${encodeURIComponent(word.toLowerCase())}`], ['admin-login', '/admin']]) {
    const response = await demo.get(pathname);
    await response.arrayBuffer();
    if (response.status === 200) {
      const landed = new URL(response.url).pathname;
      pages.push({ name, path: pathname, note: landed !== pathname.split('?')[0] ? `redirected to ${landed}` : undefined });
    } else {
      log(`NOTE: ${pathname} answers HTTP ${response.status}; the ${name} page is not checked`);
    }
  }
  return pages;
}

async function firstLink(demo, pathname, pattern) {
  const html = await (await demo.get(pathname)).text();
  const match = html.match(pattern);
  return match ? match[1].replaceAll('&amp;', '&') : null;
}

// ---------------------------------------------------------------------------------------------------------
// The checks

class Failures {
  constructor() {
    this.list = [];
  }
  add(page, where, kind, detail) {
    this.list.push({ page, where, kind, detail });
  }
}

// Every rule axe-core runs by default, or only `rules`.
async function runAxe(page, rules) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: axePath });
  return page.evaluate(async (rules) => {
    const options = { resultTypes: ['violations'] };
    if (rules) options.runOnly = { type: 'rule', values: rules };
    // eslint-disable-next-line no-undef
    const results = await axe.run(document, options);
    if (results.passes.length + results.violations.length + results.incomplete.length === 0) {
      throw new Error('axe-core checked nothing (no rule passed, failed or was left incomplete)');
    }
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  }, rules);
}

// What changes between the light and the dark scheme is colour: the dark pass runs the colour rules only.
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

function reportAxe(failures, warnings, spec, where, violations) {
  for (const v of violations) {
    const nodes = v.nodes.slice(0, 5).map((n) => `\n      ${n.target}${n.summary ? `\n        ${n.summary.replaceAll('\n', '\n        ')}` : ''}`).join('');
    const more = v.nodes.length > 5 ? `\n      … and ${v.nodes.length - 5} more` : '';
    const text = `${v.id} (${v.impact}): ${v.help} <${v.helpUrl}>${nodes}${more}`;
    if (v.impact === 'serious' || v.impact === 'critical') failures.add(spec.name, where, 'axe', text);
    else warnings.push(`${spec.name} [${where}] axe ${text}`);
  }
}

// The accessibility pass. axe-core is a script injected into the page, and the site's CSP (`script-src 'self'`)
// rightly refuses any script the site did not serve; so this context bypasses CSP, only to let axe in. CSP is
// enforced for real in the strict pass below, which injects nothing.
async function auditPage(browser, origin, spec, viewportName, failures, warnings) {
  const context = await browser.newContext({
    viewport: VIEWPORTS[viewportName],
    bypassCSP: true,
    serviceWorkers: 'block',
    colorScheme: 'light',
    storageState: spec.storageState,
  });
  try {
    const page = await context.newPage();
    await page.goto(origin + spec.path, { waitUntil: 'load' });
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      const violations = await runAxe(page, scheme === 'light' ? null : COLOUR_RULES);
      reportAxe(failures, warnings, spec, `${viewportName}, ${scheme}`, violations);
    }
  } finally {
    await context.close();
  }
}

// The strict pass: the site's CSP in force, service worker allowed, every request, console message and page
// error recorded.
// No exception: articles' images come through the site's image proxy, from its own origin, and must load.
async function strictPage(browser, origin, spec, viewportName, failures, notes, screenshots) {
  const viewport = VIEWPORTS[viewportName];
  const context = await browser.newContext({ viewport, colorScheme: 'light', storageState: spec.storageState });
  const where = viewportName;
  const problems = [];
  context.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    let requestOrigin;
    try {
      requestOrigin = new URL(url).origin;
    } catch {
      requestOrigin = url;
    }
    if (requestOrigin === origin) return;
    problems.push(['third-party request', `${request.method()} ${url} (${request.resourceType()})`]);
  });
  try {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = message.text();
      // The 404 page is meant to answer 404, and Chromium logs every 4xx document as a console error.
      if (spec.status === 404 && /status of 404/.test(text) && message.location().url === origin + spec.path) return;
      problems.push(['console error', `${text} (${message.location().url || 'no location'})`]);
    });
    page.on('pageerror', (error) => problems.push(['page error', error.message]));

    const response = await page.goto(origin + spec.path, { waitUntil: 'load' });
    const expected = spec.status || 200;
    if (!response || response.status() !== expected) {
      problems.push(['status', `HTTP ${response ? response.status() : 'no response'}, expected ${expected}`]);
    }
    // Let the service worker register and anything late (images, the worker's own fetches) show up.
    await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
    const broken = await page.evaluate(() =>
      [...document.images].filter((img) => img.getAttribute('src') && !(img.complete && img.naturalWidth > 0)).map((img) => img.getAttribute('src')),
    );
    for (const src of broken) problems.push(['image did not load', src]);

    if (viewportName !== 'desktop') {
      for (const width of [viewport.width, NARROWEST.width]) {
        await page.setViewportSize({ width, height: viewport.height });
        const overflow = await horizontalOverflow(page);
        if (overflow) problems.push([`horizontal scroll at ${width} px`, overflow]);
      }
      await page.setViewportSize(viewport);
    }

    if (viewportName === 'desktop') await checkKeyboard(page, problems);

    if (screenshots) {
      await screenshot(page, viewportName, spec, screenshots);
      if (spec.name === 'home') {
        await page.emulateMedia({ colorScheme: 'dark' });
        await screenshot(page, viewportName, spec, screenshots, '-dark');
      }
    }
  } finally {
    await context.close();
  }
  for (const [kind, detail] of problems) failures.add(spec.name, where, kind, detail);
}

async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const root = document.documentElement;
    if (root.scrollWidth <= root.clientWidth) return null;
    // Name the widest offenders so the fix is easy to find.
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
      const rect = el.getBoundingClientRect();
      if (rect.right > root.clientWidth + 0.5 && rect.width > 0) {
        const id = el.id ? `#${el.id}` : '';
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        wide.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(rect.right)} px)`);
      }
      if (wide.length >= 5) break;
    }
    return `scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}: ${wide.join(', ')}`;
  });
}

async function checkKeyboard(page, problems) {
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  });
  for (let i = 0; i < TABS_CHECKED; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
      const shadow = style.boxShadow && style.boxShadow !== 'none';
      return {
        text: (el.textContent || '').trim().slice(0, 40),
        tag: el.tagName.toLowerCase(),
        href: el.getAttribute('href'),
        isSkip: el.matches('a[href^="#"]') && /skip/i.test(el.textContent || ''),
        inNav: !!el.closest('nav'),
        visibleFocus: outline || shadow,
        onScreen: rect.width > 0 && rect.height > 0 && rect.right > 0 && rect.bottom > 0 && rect.left < innerWidth && rect.top < innerHeight,
      };
    });
    if (!focused) {
      problems.push(['keyboard', `Tab #${i + 1} focuses nothing`]);
      return;
    }
    const name = `<${focused.tag}${focused.href ? ` href="${focused.href}"` : ''}> "${focused.text}"`;
    if (i === 0 && !focused.isSkip && !focused.inNav) {
      problems.push(['keyboard', `the first Tab reaches ${name}, not a skip link or the site navigation`]);
    }
    if (!focused.visibleFocus) problems.push(['keyboard', `Tab #${i + 1}: ${name} has no visible focus style (outline and box-shadow are none)`]);
    if (!focused.onScreen) problems.push(['keyboard', `Tab #${i + 1}: ${name} is focused but off screen`]);
  }
  // The skip link must lead somewhere: Enter on it moves focus into <main>.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.press('Tab');
  const isSkip = await page.evaluate(() => /skip/i.test(document.activeElement?.textContent || ''));
  if (isSkip) {
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    // The next Tab lands in <main>, or after it when <main> holds nothing focusable; never back in the header.
    const problem = await page.evaluate(() => {
      const main = document.querySelector('main');
      if (!main) return 'the page has no <main>';
      if (location.hash && !document.getElementById(location.hash.slice(1))) return `the skip link's target ${location.hash} does not exist`;
      const el = document.activeElement;
      const after = el && el !== document.body && (main.contains(el) || main.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
      // Nothing focusable in or after <main> (a bare error page): focus may wrap around; that is fine.
      const selector = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';
      const later = [...document.querySelectorAll(selector)].some((f) => main.contains(f) || main.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING);
      if (after || !later) return null;
      return `after following the skip link, Tab reaches <${el?.tagName.toLowerCase()}> "${(el?.textContent || '').trim().slice(0, 40)}" instead of the content`;
    });
    if (problem) problems.push(['keyboard', problem]);
  }
}

// pngquant (Debian package pngquant), when installed, shrinks each screenshot about threefold, still a PNG.
const pngquant = spawnSync('pngquant', ['--version']).status === 0;

async function screenshot(page, viewportName, spec, dir, suffix = '') {
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    if (document.activeElement) document.activeElement.blur();
  });
  const { width } = VIEWPORTS[viewportName];
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const file = path.join(dir, `${spec.name}-${viewportName}${suffix}.png`);
  await page.screenshot({
    path: file,
    fullPage: true,
    clip: { x: 0, y: 0, width, height: Math.min(height, SCREENSHOT_MAX_HEIGHT[viewportName]) },
    animations: 'disabled',
    caret: 'hide',
  });
  if (pngquant) spawnSync('pngquant', ['--force', '--skip-if-larger', '--strip', '--speed', '1', '--quality', '60-90', '--ext', '.png', '64', file]);
}

// Signs in to /admin with the demo's token in a throwaway context and returns the session (cookies) for the
// contexts that check the signed-in admin page, or null when there is no sign-in form.
async function adminSession(browser, demo) {
  if (!demo.adminToken) return null;
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const response = await page.goto(`${demo.origin}/admin`);
    const field = page.locator('form input[type=password]').first();
    if (!response || response.status() !== 200 || (await field.count()) === 0) return null;
    await field.fill(demo.adminToken);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), field.press('Enter')]);
    if ((await page.locator('form input[type=password]').count()) > 0) {
      throw new Error(`signing in to /admin with the demo's admin token failed (landed on ${page.url()})`);
    }
    return await context.storageState();
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------------------------

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  if (!fs.existsSync(options.chromium)) {
    throw new Error(`no Chromium at ${options.chromium}: install Debian's (apt-get install -y chromium) or pass --chromium PATH`);
  }
  if (options.screenshots) fs.mkdirSync(options.screenshots, { recursive: true });

  const demo = new Demo(options.bin, options.keep);
  const killOnExit = () => demo.killNow();
  process.on('exit', killOnExit);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      demo.killNow();
      process.exit(130);
    });
  }

  let browser = null;
  const failures = new Failures();
  const warnings = [];
  const notes = new Set();
  let pages = [];
  try {
    await demo.start();
    await demo.waitUntil('/readyz', 60, async () => (await demo.get('/readyz')).ok);
    pages = await choosePages(demo);

    browser = await chromium.launch({ executablePath: options.chromium, headless: true, args: ['--no-sandbox'] });
    if (pages.some((p) => p.name === 'admin-login')) {
      const storageState = await adminSession(browser, demo);
      if (storageState) pages.push({ name: 'admin', path: '/admin', note: 'signed in', storageState });
      else log('NOTE: could not sign in to /admin; the signed-in admin page is not checked');
    }
    log(`Chromium ${browser.version()}, axe-core ${JSON.parse(fs.readFileSync(path.join(path.dirname(axePath), 'package.json'), 'utf8')).version}`);

    for (const spec of pages) {
      const t0 = Date.now();
      const before = failures.list.length;
      // The two viewports side by side: two pages at a time keep both cores busy.
      await Promise.all(
        Object.keys(VIEWPORTS).map(async (viewportName) => {
          await strictPage(browser, demo.origin, spec, viewportName, failures, notes, options.screenshots);
          await auditPage(browser, demo.origin, spec, viewportName, failures, warnings);
        }),
      );
      const found = failures.list.slice(before);
      log(`${found.length ? 'FAIL' : 'ok  '} ${spec.name.padEnd(13)} ${spec.path}${spec.note ? `  (${spec.note})` : ''}  ${Date.now() - t0} ms`);
      for (const f of found) console.log(`    [${f.where}] ${f.kind}: ${f.detail.replaceAll('\n', '\n    ')}`);
    }
  } finally {
    if (browser) await browser.close().catch(() => {});
    await demo.stop();
    process.off('exit', killOnExit);
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (notes.size) {
    console.log(`\nNotes (not failures):`);
    for (const n of notes) console.log(`  ${n}`);
  }
  if (warnings.length) {
    console.log(`\n${warnings.length} minor/moderate axe finding(s) (reported, not failing):`);
    for (const w of warnings) console.log(`  ${w}`);
  }
  if (options.screenshots) log(`screenshots in ${options.screenshots}`);
  if (failures.list.length) {
    console.log(`\nBROWSER TESTS FAILED: ${failures.list.length} problem(s) on ${new Set(failures.list.map((f) => f.page)).size} page type(s), ${seconds}s:`);
    for (const f of failures.list) console.log(`  - ${f.page} [${f.where}] ${f.kind}: ${f.detail.split('\n')[0]}`);
    process.exitCode = 1;
  } else {
    console.log(`\nbrowser tests passed: ${pages.length} page types × ${Object.keys(VIEWPORTS).length} viewports (axe light+dark, CSP, network, console, 320 px, keyboard) in ${seconds}s`);
  }
}

main().catch((error) => {
  console.error(`\nBROWSER TESTS FAILED: ${error.stack || error}`);
  process.exitCode = 1;
});
