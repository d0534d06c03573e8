// Browser tests of the Tidings web UI: real Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// accessibility by axe-core, against a live `tidings demo`.
//
//   node tests/browser/run.mjs [--screenshots DIR] [--bin PATH] [--chromium PATH] [--keep]
//
// For every page type (home, stories, a story, a syndicated copy and a plain article, topics, a topic, sources,
// an outlet, the names in the news, a name, an Ask answer, a 404, and, when they exist, search, the admin
// sign-in, the signed-in admin page and a source's settings, and the readers' pages below) at desktop (1280x800) and phone
// (360x740):
//   - axe-core finds no violation of impact serious or critical (every default rule in the light colour
//     scheme, the colour rules again in the dark one);
//   - with the site's Content-Security-Policy enforced, no console error, no page error, no request to any
//     origin but the site's own (articles' images come through the site's image proxy), and every image loads;
//   - nothing scrolls sideways at 360 and at 320 px wide;
//   - Tab from the top reaches the skip link (or the first nav link) first, every element reached by the
//     first few Tabs shows a visible focus style, and following the skip link moves on into the content.
// Readers' accounts, through the site's own forms in real Chromium (the demo's accounts, see
// crates/tidings/src/demo_community.rs), every page watched for console errors, CSP violations and requests to
// other origins:
//   - a conversation: a new reader signs up and comments on a story, a second reader replies (the same comment
//     twice is refused with a message), the author edits the comment on its edit page, the second reader
//     reports it, the moderator finds it in /moderation and hides it; the author and the moderator see it
//     marked hidden, an anonymous reader sees the reply and not the hidden comment;
//   - hostile comments (script, event handlers, javascript: and data: links, quote-breaking URLs, a raw
//     </textarea>, HTML in code and emphasis), read by another reader with the CSP in force and anonymously
//     with it bypassed, on the author's edit page and in the moderator's queue: no payload runs, .comment-body
//     holds only the Markdown subset's tags, every link is http(s) with rel nofollow ugc;
//   - following a topic with its follow button shows on For you;
//   - then the sign-up and sign-in pages, and signed in: the account page, a story with its reply and report
//     forms open, For you, a followed topic, Saved, the moderation queue, accounts and log, and a comment's
//     edit page, get the page checks above.
// The demo's default limits hold (5 comments a minute per account, 60 comment/sign-in/sign-up posts a minute
// per address): the comments are spread over four accounts.
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
  // The demo's outlets have leans (outlets.opml), and the tram vote is a blindspot for the right.
  pages.push({ name: 'blindspots', path: '/blindspots' });

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
  const probes = [
    ['search', `/search?q=${encodeURIComponent(word.toLowerCase())}`],
    ['admin-login', '/admin'],
    ['signup', '/signup'],
    ['login', '/login'],
  ];
  for (const [name, pathname] of probes) {
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
    if (spec.openDetails) await openDetails(page);
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
    if (spec.openDetails) await openDetails(page);

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

// Opens every <details> (a comment's reply and report forms), so the checks see the forms inside too.
async function openDetails(page) {
  await page.evaluate(() => {
    for (const details of document.querySelectorAll('details')) details.open = true;
  });
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

// ---------------------------------------------------------------------------------------------------------
// Readers' accounts, comments and moderation, driven through the site's own forms

// The demo's accounts as `tidings demo` prints them ("… moderator NAME / PASSWORD; readers A, B, C / PASSWORD"),
// or the demo's known ones when the line is not in its log.
function demoAccounts(demo) {
  let text = '';
  try {
    text = fs.readFileSync(demo.logPath, 'utf8');
  } catch {
    // No log yet: the defaults below.
  }
  const line = text.match(/moderator (\S+) \/ (\S+); readers (.+?) \/ (\S+)\s*$/m);
  const moderator = line ? { username: line[1], password: line[2] } : { username: 'demo-moderator', password: 'moderate-the-demo-1' };
  const names = line ? line[3].split(/,\s*/) : ['margot', 'olu', 'kenji'];
  const password = line ? line[4] : 'read-the-demo-news-1';
  const readers = names.map((username) => ({ username, password }));
  if (readers.length < 3) throw new Error(`the demo has ${readers.length} reader account(s); these tests need 3`);
  return { moderator, readers };
}

// What must not happen in any page of a scenario's browser context: a console error, a page error, a
// Content-Security-Policy violation (seen through the securitypolicyviolation event as well as the console), a
// request to another origin. `expect` allows the console error Chromium logs for a page deliberately answered
// with an error status.
class Watch {
  constructor(origin, label) {
    this.origin = origin;
    this.label = label;
    this.problems = [];
    this.allowed = [];
    this.external = [];
  }

  async attach(context, { routeExternal = false } = {}) {
    await context.exposeBinding('__tidingsCspViolation', (_source, text) => this.problems.push(['CSP violation', text]));
    await context.addInitScript(() => {
      window.addEventListener('securitypolicyviolation', (e) => {
        const what = `${e.effectiveDirective || e.violatedDirective} refused ${e.blockedURI || 'inline code'} in ${e.documentURI}`;
        // eslint-disable-next-line no-undef
        __tidingsCspViolation(e.sample ? `${what} (${e.sample})` : what);
      });
    });
    context.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = message.text();
      const at = message.location().url || '';
      const status = Number((text.match(/status of (\d{3})/) || [])[1]);
      if (this.allowed.some((a) => a.url === at.split('#')[0] && a.statuses(status))) return;
      this.problems.push(['console error', `${text} (${at || 'no location'})`]);
    });
    context.on('weberror', (error) => this.problems.push(['page error', error.error().message]));
    if (routeExternal) {
      // Following a comment's link must not leave the page: any other origin answers 204 No Content, which
      // a browser does not navigate to, and the address is kept to be checked.
      await context.route(
        (url) => url.origin !== this.origin,
        (route) => {
          this.external.push({ url: route.request().url(), type: route.request().resourceType() });
          return route.fulfill({ status: 204, body: '' });
        },
      );
    } else {
      context.on('request', (request) => {
        const url = request.url();
        if (url.startsWith('data:') || url.startsWith('blob:')) return;
        let requestOrigin;
        try {
          requestOrigin = new URL(url).origin;
        } catch {
          requestOrigin = url;
        }
        if (requestOrigin !== this.origin) this.problems.push(['third-party request', `${request.method()} ${url}`]);
      });
    }
  }

  // The page at `url` is meant to answer a status that `statuses` accepts (a refusal: any 4xx).
  expect(url, statuses = (status) => status >= 400 && status < 500) {
    this.allowed.push({ url: url.split('#')[0], statuses });
  }
}

// A scenario's browser contexts and their watches; `failures` gets each watch's findings when it closes.
class Session {
  constructor(browser, origin, name, failures) {
    this.browser = browser;
    this.origin = origin;
    this.name = name;
    this.failures = failures;
    this.contexts = [];
  }

  async open(label, { storageState, bypassCSP = false, routeExternal = false } = {}) {
    const context = await this.browser.newContext({ viewport: VIEWPORTS.desktop, colorScheme: 'light', storageState, bypassCSP });
    const watch = new Watch(this.origin, label);
    await watch.attach(context, { routeExternal });
    this.contexts.push({ context, watch });
    const page = await context.newPage();
    return { context, page, watch };
  }

  async close() {
    for (const { context, watch } of this.contexts) {
      await context.close().catch(() => {});
      for (const [kind, detail] of watch.problems) this.failures.add(this.name, watch.label, kind, detail);
      // Only following a link may reach another origin, and only over http(s).
      for (const { url, type } of watch.external) {
        if (type !== 'document') this.failures.add(this.name, watch.label, 'third-party request', `${url} (${type})`);
        else if (!/^https?:\/\//.test(url)) this.failures.add(this.name, watch.label, 'link', `following a comment's link requested ${url}`);
      }
    }
    this.contexts = [];
  }
}

class StepFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new StepFailed(message);
}

// Submits `form` (a locator) with its submit button and waits for the page it leads to; returns the status
// of that page.
async function submitForm(page, form) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: 15000 }),
    form.locator('button[type=submit], button:not([type])').first().click(),
  ]);
  return response ? response.status() : 0;
}

// What a page says when it refuses something: its heading and first paragraphs, for failure messages.
async function pageGist(page) {
  return page.evaluate(() => {
    const main = document.querySelector('main') || document.body;
    const bits = [...main.querySelectorAll('h1, .flash, p')].slice(0, 3).map((el) => el.textContent.trim().replace(/\s+/g, ' '));
    return `${location.pathname}${location.hash}: ${bits.join(' | ').slice(0, 300)}`;
  });
}

// Signs in through /login on `page` and checks that it worked (landed on `next`, with a session cookie).
async function signIn(page, origin, account, next = '/') {
  await page.goto(`${origin}/login?next=${encodeURIComponent(next)}`, { waitUntil: 'load' });
  const form = page.locator('form[action="/login"]');
  check((await form.count()) === 1, `/login has no sign-in form (${await pageGist(page)})`);
  await form.locator('input[name=username]').fill(account.username);
  await form.locator('input[name=password]').fill(account.password);
  const status = await submitForm(page, form);
  const landed = new URL(page.url());
  check(status === 200 && landed.pathname === next.split('?')[0], `signing in as ${account.username} landed on HTTP ${status} ${await pageGist(page)}, not ${next}`);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'tidings_session');
  check(
    session && session.httpOnly && session.sameSite === 'Lax',
    `signing in as ${account.username} set no HttpOnly, SameSite=Lax session cookie (cookies: ${cookies.map((c) => c.name).join(', ') || 'none'})`,
  );
}

// A signed-in session (cookies) for the page checks, from a throwaway context.
async function sessionOf(browser, origin, account) {
  const context = await browser.newContext();
  try {
    await signIn(await context.newPage(), origin, account);
    return await context.storageState();
  } finally {
    await context.close();
  }
}

// Posts `body` with the thread's top-level comment form of the page `page` shows; returns the new comment's id
// (from the #comment-N the form leads to), or null with the status and what the page said.
async function postComment(page, body) {
  const form = page.locator('section#comments > form.comment-form');
  check((await form.count()) === 1, `${new URL(page.url()).pathname} has no comment form for a signed-in reader`);
  await form.locator('textarea[name=body]').fill(body);
  check((await form.locator('input[type=hidden][name=csrf]').getAttribute('value'))?.length > 0, 'the comment form carries no CSRF token');
  const status = await submitForm(page, form);
  const id = page.url().match(/#comment-(\d+)$/);
  return { status, id: id ? Number(id[1]) : null, gist: id ? null : await pageGist(page) };
}

// The comment `id` as the page shows it, or null.
async function commentOnPage(page, id) {
  return page.evaluate((id) => {
    const li = document.getElementById(`comment-${id}`);
    if (!li) return null;
    const body = li.querySelector('.comment-body');
    const meta = li.querySelector('.meta');
    return {
      classes: li.className,
      depth: Number((li.className.match(/depth-(\d+)/) || [])[1]),
      status: (li.className.match(/status-(\w+)/) || [])[1],
      meta: meta ? meta.textContent.replace(/\s+/g, ' ').trim() : '',
      parentLink: li.querySelector('.meta a[href^="#comment-"]')?.getAttribute('href') || null,
      note: li.querySelector(':scope > article > .note')?.textContent.trim() || null,
      body: body ? body.textContent.trim() : null,
      html: body ? body.innerHTML : null,
    };
  }, id);
}

// Waits for an anonymous reader's copy of a page to show what it should: public pages are cached for a few
// seconds (web.page_cache_secs, and an expired copy may be served once more while it is rendered again).
async function settle(page, url, seconds, ok) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    await page.goto(url, { waitUntil: 'load' });
    if ((await ok()) || Date.now() > deadline) return;
    await sleep(1000);
  }
}

const PAGE_CACHE_WAIT_SECONDS = 12;

// The conversation: a new reader signs up and comments, another replies and reports, the author edits, the
// moderator hides the comment from the queue; an anonymous reader then sees the reply and not the hidden
// comment. Also: the same comment twice is refused, with a message. Returns what later checks can reuse.
async function conversation(browser, demo, accounts, storyId, failures) {
  const origin = demo.origin;
  const session = new Session(browser, origin, 'conversation', failures);
  const storyUrl = `${origin}/stories/${storyId}`;
  const token = crypto.randomBytes(4).toString('hex');
  const reader = { username: `reader-${token}`, password: `pw-${crypto.randomBytes(9).toString('hex')}` };
  const [, replier] = accounts.readers;
  const result = { reader: null, hiddenId: null, storyId };
  let step = 'start';
  const steps = [];
  const done = (what) => {
    steps.push(what);
    step = `after "${what}"`;
  };
  const t0 = Date.now();
  try {
    step = 'sign up';
    const author = await session.open('new reader');
    await author.page.goto(`${origin}/signup`, { waitUntil: 'load' });
    const signup = author.page.locator('form[action="/signup"]');
    check((await signup.count()) === 1, `/signup has no sign-up form (${await pageGist(author.page)})`);
    await signup.locator('input[name=username]').fill(reader.username);
    await signup.locator('input[name=email]').fill(`${reader.username}@example.org`);
    await signup.locator('input[name=password]').fill(reader.password);
    await signup.locator('input[name=confirm]').fill(reader.password);
    let status = await submitForm(author.page, signup);
    check(status === 200 && new URL(author.page.url()).pathname === '/', `signing up landed on HTTP ${status} ${await pageGist(author.page)}`);
    await author.page.goto(`${origin}/account`, { waitUntil: 'load' });
    check(new URL(author.page.url()).pathname === '/account', `after signing up, /account sent the reader to ${author.page.url()}`);
    check((await author.page.locator('main').innerText()).includes(reader.username), `the account page does not name ${reader.username}`);
    check((await author.page.locator('form[action="/logout"] input[name=csrf]').count()) === 1, 'the account page has no sign-out form with a CSRF token');
    result.reader = { ...reader, storageState: await author.context.storageState() };
    done('sign up');

    step = 'post a comment';
    const firstText = `First impressions ${token}: the timeline shows who had it first.`;
    await author.page.goto(storyUrl, { waitUntil: 'load' });
    const first = await postComment(author.page, firstText);
    check(first.status === 200 && first.id, `posting a comment: HTTP ${first.status} ${first.gist}`);
    let shown = await commentOnPage(author.page, first.id);
    check(shown, `the new comment #comment-${first.id} is not on the story page it led to`);
    check(shown.body.includes(firstText), `#comment-${first.id} shows "${shown.body}", not what was posted`);
    check(shown.status === 'visible' && !shown.note, `a plain comment from a new account should be published at once; it is ${shown.status} (${shown.note})`);
    check(shown.meta.includes(reader.username), `#comment-${first.id} does not name its author (${shown.meta})`);
    done('post a comment');

    step = `reply as ${replier.username}`;
    const other = await session.open(replier.username);
    await signIn(other.page, origin, replier, `/stories/${storyId}`);
    const replyText = `A reply ${token}: the wire copies are marked, which helps.`;
    const replyForm = other.page.locator(`li#comment-${first.id} details.reply`);
    check((await replyForm.count()) === 1, `#comment-${first.id} offers ${replier.username} no reply form`);
    await replyForm.locator('summary').click();
    const form = replyForm.locator('form.comment-form');
    check((await form.locator('input[name=parent]').getAttribute('value')) === String(first.id), 'the reply form does not name its parent');
    await form.locator('textarea[name=body]').fill(replyText);
    status = await submitForm(other.page, form);
    const replyId = Number((other.page.url().match(/#comment-(\d+)$/) || [])[1]);
    check(status === 200 && replyId, `replying: HTTP ${status} ${await pageGist(other.page)}`);
    const reply = await commentOnPage(other.page, replyId);
    check(reply && reply.body.includes(replyText), `the reply #comment-${replyId} is not shown with its text`);
    check(reply.parentLink === `#comment-${first.id}`, `the reply links to ${reply.parentLink}, not to its parent #comment-${first.id}`);
    check(reply.depth === shown.depth + 1, `the reply is at depth ${reply.depth}, its parent at ${shown.depth}`);
    done('reply');

    step = 'refuse a repeated comment';
    const repeated = `Same words twice ${token}: the second time is refused.`;
    const once = await postComment(other.page, repeated);
    check(once.status === 200 && once.id, `posting the comment to repeat: HTTP ${once.status} ${once.gist}`);
    other.watch.expect(`${storyUrl}/comments`);
    await other.page.goto(storyUrl, { waitUntil: 'load' });
    const twice = await postComment(other.page, repeated);
    const made = twice.id ? ` and made #comment-${twice.id}` : '';
    check(twice.status >= 400 && twice.status < 500 && !twice.id, `posting the same comment again answered HTTP ${twice.status}${made}, not a refusal (4xx)`);
    const refusal = await pageGist(other.page);
    check(/same comment/i.test(refusal), `the refusal of a repeated comment does not say why: ${refusal}`);
    await other.page.goto(storyUrl, { waitUntil: 'load' });
    const copies = await other.page.locator('.comment-body').filter({ hasText: repeated }).count();
    check(copies === 1, `the thread shows the repeated comment ${copies} times`);
    Object.assign(result, { editPath: `/comments/${once.id}/edit`, editState: await other.context.storageState(), editor: replier.username });
    done('refuse a repeat');

    step = 'edit the first comment';
    await author.page.goto(storyUrl, { waitUntil: 'load' });
    const editLink = author.page.locator(`li#comment-${first.id} a[href="/comments/${first.id}/edit"]`);
    check((await editLink.count()) === 1, `#comment-${first.id} offers its author no edit link`);
    await Promise.all([author.page.waitForNavigation({ waitUntil: 'load' }), editLink.click()]);
    const editForm = author.page.locator(`form[action="/comments/${first.id}/edit"]`);
    const textarea = editForm.locator('textarea[name=body]');
    check((await textarea.count()) === 1, `the edit page has no edit form (${await pageGist(author.page)})`);
    check((await textarea.inputValue()) === firstText, `the edit form holds "${await textarea.inputValue()}", not the comment's text`);
    const editedText = `Edited ${token}: the timeline shows **who** had it first.`;
    await textarea.fill(editedText);
    status = await submitForm(author.page, editForm);
    const backAt = `/stories/${storyId}#comment-${first.id}`;
    check(status === 200 && author.page.url().endsWith(backAt), `saving the edit landed on HTTP ${status} ${await pageGist(author.page)}`);
    shown = await commentOnPage(author.page, first.id);
    const replaced = shown && shown.body.includes(`Edited ${token}`) && !shown.body.includes('First impressions');
    check(replaced, `after the edit #comment-${first.id} shows "${shown?.body}"`);
    check(/<strong>who<\/strong>/.test(shown.html), `the edited comment's Markdown is not rendered: ${shown.html}`);
    check(/edited/i.test(shown.meta), `the edited comment is not marked as edited (${shown.meta})`);
    done('edit');

    step = `report as ${replier.username}`;
    const reason = `Off topic ${token}`;
    await other.page.goto(storyUrl, { waitUntil: 'load' });
    const report = other.page.locator(`li#comment-${first.id} details.report`);
    check((await report.count()) === 1, `#comment-${first.id} offers ${replier.username} no report form`);
    check((await other.page.locator(`li#comment-${replyId} details.report`).count()) === 0, `${replier.username} is offered to report their own reply`);
    await report.locator('summary').click();
    await report.locator('input[name=reason]').fill(reason);
    status = await submitForm(other.page, report.locator('form'));
    const reported = new URL(other.page.url()).pathname === `/comments/${first.id}/report`;
    check(status === 200 && reported, `reporting landed on HTTP ${status} ${await pageGist(other.page)}`);
    done('report');

    step = 'hide from the moderation queue';
    const moderator = await session.open(accounts.moderator.username);
    await signIn(moderator.page, origin, accounts.moderator, '/moderation');
    result.moderatorState = await moderator.context.storageState();
    const item = moderator.page.locator(`section[aria-labelledby="reported-heading"] #queue-${first.id}`);
    check((await item.count()) === 1, `the reported comment #${first.id} is not in the queue's reported section`);
    const itemText = await item.innerText();
    check(itemText.includes(`${replier.username}: ${reason}`), `the queue item does not give the report's reason: ${itemText}`);
    check(itemText.includes(`Edited ${token}`), `the queue item does not show the comment as edited: ${itemText}`);
    status = await submitForm(moderator.page, item.locator(`form[action="/moderation/comments/${first.id}/hide"]`));
    check(status === 200, `hiding answered HTTP ${status} ${await pageGist(moderator.page)}`);
    await moderator.page.goto(`${origin}/moderation`, { waitUntil: 'load' });
    const stillReported = await moderator.page.locator(`section[aria-labelledby="reported-heading"] #queue-${first.id}`).count();
    check(stillReported === 0, 'the hidden comment is still in the reported section of the queue');
    await moderator.page.goto(storyUrl, { waitUntil: 'load' });
    shown = await commentOnPage(moderator.page, first.id);
    const how = (c) => (c ? `${c.status}, note ${c.note}` : 'missing');
    check(shown && shown.status === 'hidden' && shown.note, `the moderator sees #comment-${first.id} as ${how(shown)}, not hidden with a note`);
    const approve = moderator.page.locator(`li#comment-${first.id} form[action="/moderation/comments/${first.id}/approve"]`);
    check((await approve.count()) === 1, 'a hidden comment offers the moderator no Approve button');
    result.hiddenId = first.id;
    done('hide');

    step = 'the author sees the hidden comment marked';
    await author.page.goto(storyUrl, { waitUntil: 'load' });
    shown = await commentOnPage(author.page, first.id);
    check(shown && shown.status === 'hidden' && shown.note, `its author sees #comment-${first.id} as ${how(shown)}, not hidden with a note`);
    done('author sees it hidden');

    step = 'an anonymous reader';
    const anonymous = await session.open('anonymous reader');
    const state = async () => ({
      hidden: await commentOnPage(anonymous.page, first.id),
      reply: await commentOnPage(anonymous.page, replyId),
      text: await anonymous.page.locator('main').innerText(),
    });
    const gone = (s) => !s.text.includes(`Edited ${token}`) && !s.text.includes(`First impressions ${token}`);
    let seen;
    await settle(anonymous.page, storyUrl, PAGE_CACHE_WAIT_SECONDS, async () => {
      seen = await state();
      return gone(seen) && seen.reply;
    });
    check(seen.reply && seen.reply.body.includes(replyText), `an anonymous reader does not see the reply #comment-${replyId}`);
    const where = seen.hidden
      ? `shown (class "${seen.hidden.classes}", note "${seen.hidden.note}", body "${seen.hidden.body}")`
      : 'absent, but its text is elsewhere on the page';
    const after = `after ${PAGE_CACHE_WAIT_SECONDS}s`;
    check(gone(seen), `an anonymous reader still sees the hidden comment's text on /stories/${storyId} ${after}: #comment-${first.id} is ${where}`);
    // At most a placeholder that keeps the reply in its place: no text, no author.
    const placeholder = !seen.hidden || (!seen.hidden.body && !seen.hidden.meta.includes(reader.username));
    check(placeholder, `an anonymous reader sees the hidden comment #comment-${first.id} (class "${seen.hidden?.classes}", "${seen.hidden?.meta}")`);
    done('anonymous view');
  } catch (error) {
    failures.add('conversation', step, 'scenario', error instanceof StepFailed ? error.message : error.message.split('\n')[0]);
  } finally {
    await session.close();
  }
  log(`${failures.list.some((f) => f.page === 'conversation') ? 'FAIL' : 'ok  '} conversation  /stories/${storyId}  (${steps.join(', ')})  ${Date.now() - t0} ms`);
  return result;
}

// Markdown the comment renderer must make harmless. `by` is the index of the posting reader (the accounts are a
// week old, so links do not hold the comments); `expect` checks the rendered body (an element's text, as typed).
// At most 3 links each, so none is held for having many.
const HOSTILE = [
  { by: 0, body: '<script>window.__pwned=1</script> script tags are text', expect: [['p', '<script>window.__pwned=1</script> script tags are text']] },
  {
    by: 0,
    body:
      '<img src=x onerror="window.__pwned=1"> <svg onload=window.__pwned=1> <iframe srcdoc="<script>parent.__pwned=1</script>"></iframe> ' +
      '<a href="javascript:window.__pwned=1" onmouseover="window.__pwned=1">raw link</a>',
  },
  {
    by: 0,
    body:
      '[click](javascript:window.__pwned=1) [upper](JaVaScRiPt:window.__pwned=1) [spaced]( javascript:window.__pwned=1) ' +
      '[entity](&#106;avascript:window.__pwned=1) [data](data:text/html,<script>window.__pwned=1</script>) [vb](vbscript:msgbox)',
  },
  { by: 0, body: '[x](https://a.example/"onmouseover="window.__pwned=1) and [y](https://b.example/\'onfocus=\'window.__pwned=1\'autofocus=\')' },
  {
    by: 1,
    body: '`<b>code</b>` and **<i>bold</i>** and _<u>under</u>_',
    expect: [
      ['code', '<b>code</b>'],
      ['strong', '<i>bold</i>'],
      ['em', '<u>under</u>'],
    ],
  },
  {
    by: 1,
    body: '</textarea><script>window.__pwned=1</script><textarea>\n\n```\n</code></pre><script>window.__pwned=1</script>\n```',
    edit: true,
    expect: [
      ['p', '</textarea><script>window.__pwned=1</script><textarea>'],
      ['pre code', '</code></pre><script>window.__pwned=1</script>'],
    ],
  },
  {
    by: 1,
    body:
      '<javascript:window.__pwned=1> javascript:window.__pwned=1 JAVASCRIPT://%0awindow.__pwned=1 ' +
      '<https://c.example/x"onmouseover="window.__pwned=1> https://d.example/?q=<script>window.__pwned=1</script>',
  },
  {
    by: 1,
    body:
      '> quoted <style>*{display:none}</style>\n\n- item <form action=https://e.example><button>go</button></form>\n' +
      '- [![img](https://f.example/x.png)](https://g.example) \\<script\\>window.__pwned=1\\</script\\>',
  },
];
// Held for the moderator (links from a new account), so its body is checked in the queue too.
const HOSTILE_HELD = '[held](https://h.example/"onclick="window.__pwned=1) <img src=x onerror=window.__pwned=1> <details open ontoggle=window.__pwned=1>';
const HOSTILE_REASON = '<img src=x onerror="window.__pwned=1"> spam</textarea><script>window.__pwned=1</script>';
// The only tags and attributes the Markdown subset writes (crates/community/src/markdown.rs).
const COMMENT_TAGS = ['p', 'br', 'em', 'strong', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a'];

// Checks every .comment-body of the page: only the subset's tags, no attribute but an anchor's href and rel,
// every href http(s) with rel nofollow and ugc; then hovers and clicks every link in them and checks that no
// payload ran. Returns problems.
async function inspectComments(page, expectIds) {
  const problems = await page.evaluate(
    ({ tags, expectIds }) => {
      const out = [];
      const bodies = [...document.querySelectorAll('.comment-body')];
      for (const id of expectIds) {
        const li = document.getElementById(`comment-${id}`) || document.getElementById(`queue-${id}`);
        if (!li) out.push(`comment ${id} is not on the page`);
        else if (!li.querySelector('.comment-body')?.textContent.trim()) out.push(`comment ${id} is shown with an empty body`);
      }
      for (const body of bodies) {
        const where = body.closest('li[id], article[id]')?.id || 'a .comment-body';
        for (const el of body.querySelectorAll('*')) {
          const tag = el.tagName.toLowerCase();
          // <script>, <img>, <svg>, <iframe> and every other tag the subset does not write.
          if (!tags.includes(tag)) {
            out.push(`${where}: a <${tag}> element inside .comment-body: ${el.outerHTML.slice(0, 120)}`);
          }
          for (const attr of el.attributes) {
            if (/^on/i.test(attr.name)) out.push(`${where}: an event handler attribute ${attr.name}="${attr.value}" on <${tag}>`);
            else if (!(tag === 'a' && (attr.name === 'href' || attr.name === 'rel'))) out.push(`${where}: attribute ${attr.name}="${attr.value}" on <${tag}>`);
          }
          if (tag === 'a') {
            const href = el.getAttribute('href');
            if (href === null || !/^https?:\/\//.test(href)) out.push(`${where}: a link to ${JSON.stringify(href)} (only http:// and https:// may be linked)`);
            else if (!['http:', 'https:'].includes(el.protocol)) out.push(`${where}: a link whose protocol is ${el.protocol} (${href})`);
            const rel = (el.getAttribute('rel') || '').split(/\s+/);
            if (!rel.includes('nofollow') || !rel.includes('ugc')) out.push(`${where}: a link without rel nofollow ugc (rel="${el.getAttribute('rel')}")`);
          }
        }
      }
      const inline = [...document.scripts].filter((s) => !s.src || new URL(s.src).origin !== location.origin);
      for (const s of inline) out.push(`a script not served by the site: ${s.outerHTML.slice(0, 120)}`);
      return out;
    },
    { tags: COMMENT_TAGS, expectIds },
  );
  const url = page.url();
  const links = page.locator('.comment-body a[href]');
  const count = await links.count();
  for (let i = 0; i < count; i++) {
    const link = links.nth(i);
    const href = await link.getAttribute('href');
    await link.hover({ timeout: 3000 }).catch((e) => problems.push(`hovering ${href}: ${e.message.split('\n')[0]}`));
    await link.focus().catch(() => {});
    await link.click({ timeout: 3000, noWaitAfter: true }).catch((e) => problems.push(`clicking ${href}: ${e.message.split('\n')[0]}`));
    await sleep(150);
    if (page.url() !== url) {
      // The click left the page (it should have been answered 204): check what it ran before, then come back.
      problems.push(`clicking ${href} left the page for ${page.url()}`);
      await page.goto(url, { waitUntil: 'load' });
    }
  }
  for (const body of await page.locator('.comment-body').all()) await body.hover({ timeout: 3000 }).catch(() => {});
  await sleep(300);
  const pwned = await page.evaluate(() => (typeof window.__pwned === 'undefined' ? null : String(window.__pwned)));
  if (pwned !== null) problems.push(`a payload ran: window.__pwned is ${pwned}`);
  return problems;
}

// Hostile comments: posted by two week-old demo readers (and one held from the new reader), reported with a
// hostile reason, then read by another reader with the CSP in force, by an anonymous reader with the CSP
// bypassed (the markup alone must be harmless), by the author on the edit page and by the moderator in the
// queue.
async function hostileComments(browser, demo, accounts, storyId, newReader, moderatorState, failures) {
  const origin = demo.origin;
  const name = 'hostile comments';
  const session = new Session(browser, origin, name, failures);
  const storyUrl = `${origin}/stories/${storyId}`;
  const posted = [];
  let heldId = null;
  let step = 'start';
  const t0 = Date.now();
  const fail = (where, detail) => failures.add(name, where, 'hostile', detail);
  try {
    const posters = [accounts.readers[0], accounts.readers[2]];
    const pages = [];
    for (const [i, account] of posters.entries()) {
      step = `sign in as ${account.username}`;
      const opened = await session.open(account.username);
      await signIn(opened.page, origin, account, `/stories/${storyId}`);
      pages[i] = opened;
    }
    for (const [i, hostile] of HOSTILE.entries()) {
      step = `post hostile comment ${i + 1} as ${posters[hostile.by].username}`;
      const { page } = pages[hostile.by];
      const result = await postComment(page, hostile.body);
      if (result.status !== 200 || !result.id) {
        fail(step, `HTTP ${result.status} ${result.gist}`);
        await page.goto(storyUrl, { waitUntil: 'load' });
        continue;
      }
      const shown = await commentOnPage(page, result.id);
      if (!shown || shown.status !== 'visible') {
        fail(step, `#comment-${result.id} is ${shown ? `${shown.status} (${shown.note})` : 'not shown to its author'}, not published`);
      }
      posted.push({ ...hostile, id: result.id, poster: pages[hostile.by] });
    }
    if (newReader) {
      step = 'post a hostile comment from a new account';
      const young = await session.open('new reader', { storageState: newReader.storageState });
      await young.page.goto(storyUrl, { waitUntil: 'load' });
      const result = await postComment(young.page, HOSTILE_HELD);
      const shown = result.id ? await commentOnPage(young.page, result.id) : null;
      if (!shown) {
        fail(step, `HTTP ${result.status} ${result.gist}`);
      } else if (shown.status !== 'pending' || !shown.note) {
        fail(step, `a comment with a link from an account made minutes ago is ${shown.status} (note ${shown.note}), not held for a moderator`);
      } else {
        heldId = result.id;
      }
    }

    step = `read as ${accounts.readers[1].username}, CSP in force`;
    const viewer = await session.open(`${accounts.readers[1].username} reading`, { routeExternal: true });
    await signIn(viewer.page, origin, accounts.readers[1], `/stories/${storyId}`);
    await viewer.page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
    const visibleIds = posted.map((p) => p.id);
    for (const problem of await inspectComments(viewer.page, visibleIds)) fail(step, problem);
    for (const hostile of posted.filter((p) => p.expect)) {
      for (const [tag, text] of hostile.expect) {
        const found = (await viewer.page.locator(`#comment-${hostile.id} .comment-body ${tag}`).allTextContents()).map((t) => t.trim());
        if (!found.includes(text)) fail(step, `#comment-${hostile.id}: expected <${tag}> showing ${JSON.stringify(text)} as text, found ${JSON.stringify(found)}`);
      }
    }
    if (heldId && (await viewer.page.locator(`#comment-${heldId}`).count()) > 0) fail(step, `the held comment #comment-${heldId} is shown to another reader`);

    step = 'report with a hostile reason';
    const reportOn = posted[1] || posted[0];
    if (reportOn) {
      await viewer.page.goto(storyUrl, { waitUntil: 'load' });
      const report = viewer.page.locator(`li#comment-${reportOn.id} details.report`);
      await report.locator('summary').click();
      await report.locator('input[name=reason]').fill(HOSTILE_REASON);
      const status = await submitForm(viewer.page, report.locator('form'));
      if (status !== 200) fail(step, `HTTP ${status} ${await pageGist(viewer.page)}`);
    }

    step = 'read anonymously, CSP bypassed';
    const anonymous = await session.open('anonymous, CSP bypassed', { bypassCSP: true, routeExternal: true });
    await anonymous.page.goto(storyUrl, { waitUntil: 'load' });
    await anonymous.page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
    for (const problem of await inspectComments(anonymous.page, visibleIds)) fail(step, problem);

    step = 'the author edits a hostile comment';
    const edited = posted.find((p) => p.edit);
    if (edited) {
      const { page } = edited.poster;
      await page.goto(`${origin}/comments/${edited.id}/edit`, { waitUntil: 'load' });
      const value = await page.locator(`form[action="/comments/${edited.id}/edit"] textarea[name=body]`).inputValue().catch(() => null);
      if (value !== edited.body.trim()) fail(step, `the edit form of #comment-${edited.id} holds ${JSON.stringify(value)}, not the comment as typed`);
      const extra = await page.evaluate(() => ({
        textareas: document.querySelectorAll('textarea').length,
        scripts: [...document.scripts].filter((s) => !s.src).length,
        pwned: typeof window.__pwned,
      }));
      if (extra.textareas !== 1 || extra.scripts || extra.pwned !== 'undefined') {
        fail(step, `the edit page has ${extra.textareas} textareas, ${extra.scripts} inline scripts, window.__pwned ${extra.pwned}`);
      }
    }

    step = 'the moderation queue';
    if (moderatorState) {
      const moderator = await session.open('moderator', { storageState: moderatorState, routeExternal: true });
      await moderator.page.goto(`${origin}/moderation`, { waitUntil: 'load' });
      const ids = [reportOn?.id, heldId].filter(Boolean);
      for (const problem of await inspectComments(moderator.page, ids)) fail(step, problem);
      if (reportOn) {
        const reasons = await moderator.page.locator(`#queue-${reportOn.id} .reasons`).innerText().catch(() => '');
        if (!reasons.includes('<img src=x onerror=') || !reasons.includes('</textarea><script>')) {
          fail(step, `the report's reason is not shown as typed: ${JSON.stringify(reasons)}`);
        }
      }
      if (heldId && (await moderator.page.locator(`section[aria-labelledby="held-heading"] #queue-${heldId}`).count()) !== 1) {
        fail(step, `the held comment #${heldId} is not in the queue's held section`);
      }
    }
  } catch (error) {
    fail(step, error instanceof StepFailed ? error.message : error.message.split('\n')[0]);
  } finally {
    await session.close();
  }
  const found = failures.list.filter((f) => f.page === name).length;
  log(`${found ? 'FAIL' : 'ok  '} hostile       /stories/${storyId}  (${posted.length} comments${heldId ? ' and 1 held' : ''})  ${Date.now() - t0} ms`);
}

// Stories for the community checks: one with the demo's comments for the signed-in story page, another for the
// conversation, a third for the hostile comments (the anonymous story page check keeps its own).
async function communityStories(demo, pageStoryId) {
  const stories = (await demo.json('/api/v1/stories')).stories.map((s) => s.id);
  const commented = [];
  for (const id of stories.slice(0, 10)) {
    const thread = await demo.json(`/api/v1/stories/${id}/comments`);
    if (thread.comments.length) commented.push(id);
  }
  const withComments = commented.includes(pageStoryId) ? pageStoryId : commented[0] ?? pageStoryId;
  const others = stories.filter((id) => id !== pageStoryId && id !== withComments);
  const conversationStory = commented.find((id) => id !== withComments && id !== pageStoryId) ?? others[0] ?? withComments;
  const hostileStory = others.find((id) => id !== conversationStory && !commented.includes(id)) ?? others.find((id) => id !== conversationStory) ?? withComments;
  return { withComments, conversationStory, hostileStory };
}

// A reader follows a topic with the topic page's follow button; the button then says so, and For you lists
// the topic.
async function followTopic(browser, demo, storageState, topicPath, failures) {
  const origin = demo.origin;
  const session = new Session(browser, origin, 'follow', failures);
  let step = `follow ${topicPath}`;
  try {
    const { page } = await session.open('reader', { storageState });
    await page.goto(origin + topicPath, { waitUntil: 'load' });
    const form = page.locator('main form.follow');
    check((await form.count()) === 1, `${topicPath} has no follow form for a signed-in reader`);
    const state = async (f) => `${await f.getAttribute('action')}, aria-pressed ${await f.locator('button').getAttribute('aria-pressed')}`;
    check((await state(form)) === '/follow, aria-pressed false', `before following, the follow form is ${await state(form)}`);
    const status = await submitForm(page, form);
    check(status === 200 && new URL(page.url()).pathname === topicPath, `following landed on HTTP ${status} ${await pageGist(page)}`);
    const after = page.locator('main form.follow');
    check((await state(after)) === '/unfollow, aria-pressed true', `after following, the follow form is ${await state(after)}`);
    step = 'For you lists the topic';
    await page.goto(`${origin}/for-you`, { waitUntil: 'load' });
    check((await page.locator(`main a[href="${topicPath}"]`).count()) > 0, `/for-you does not link to the followed ${topicPath} (${await pageGist(page)})`);
  } catch (error) {
    failures.add('follow', step, 'scenario', error instanceof StepFailed ? error.message : error.message.split('\n')[0]);
  } finally {
    await session.close();
  }
}

// The conversation, the hostile comments and following a topic, then the signed-in pages to check like the
// others: the account page, a story with its comment forms, For you, a topic with its follow button, Saved,
// the moderation queue, accounts and log, and the comment edit page.
async function communityChecks(browser, demo, pages, failures) {
  const accounts = demoAccounts(demo);
  const pageStory = pages.find((p) => p.name === 'story');
  const stories = await communityStories(demo, Number(pageStory.path.split('/').pop()));
  const before = failures.list.length;
  const talk = await conversation(browser, demo, accounts, stories.conversationStory, failures);
  await hostileComments(browser, demo, accounts, stories.hostileStory, talk.reader, talk.moderatorState, failures);
  let reader = null;
  let moderator = null;
  try {
    reader = await sessionOf(browser, demo.origin, accounts.readers[0]);
    moderator = talk.moderatorState || (await sessionOf(browser, demo.origin, accounts.moderator));
  } catch (error) {
    failures.add('signed-in pages', 'sign in', 'session', error.message.split('\n')[0]);
  }
  const topic = pages.find((p) => p.name === 'topic');
  if (reader && topic) await followTopic(browser, demo, reader, topic.path, failures);
  for (const f of failures.list.slice(before)) console.log(`    ${f.page} [${f.where}] ${f.kind}: ${f.detail.replaceAll('\n', '\n    ')}`);

  const as = (account) => `signed in as ${account.username}`;
  if (reader) {
    pages.push({ name: 'account', path: '/account', note: as(accounts.readers[0]), storageState: reader });
    pages.push({
      name: 'story-signed-in',
      path: `/stories/${stories.withComments}`,
      note: `${as(accounts.readers[0])}, reply and report forms open`,
      storageState: reader,
      openDetails: true,
    });
    pages.push({ name: 'for-you', path: '/for-you', note: as(accounts.readers[0]), storageState: reader });
    if (topic) pages.push({ name: 'topic-signed-in', path: topic.path, note: `${as(accounts.readers[0])}, following`, storageState: reader });
  }
  if (reader) pages.push({ name: 'saved', path: '/saved', note: as(accounts.readers[0]), storageState: reader });
  if (moderator) {
    pages.push({ name: 'moderation', path: '/moderation', note: as(accounts.moderator), storageState: moderator });
    pages.push({ name: 'moderation-users', path: '/moderation/users', note: as(accounts.moderator), storageState: moderator });
    pages.push({ name: 'moderation-log', path: '/moderation/log', note: as(accounts.moderator), storageState: moderator });
  }
  if (talk.editPath) pages.push({ name: 'comment-edit', path: talk.editPath, note: `signed in as ${talk.editor}`, storageState: talk.editState });
}

// ---------------------------------------------------------------------------------------------------------

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
      if (storageState) {
        pages.push({ name: 'admin', path: '/admin', note: 'signed in', storageState });
        // A source's settings form (the demo's first source).
        pages.push({ name: 'admin-source-settings', path: '/admin/sources/1/settings', note: 'signed in', storageState });
      }
      else log('NOTE: could not sign in to /admin; the signed-in admin page is not checked');
    }
    if (pages.some((p) => p.name === 'signup') && pages.some((p) => p.name === 'login')) {
      await communityChecks(browser, demo, pages, failures);
    } else {
      log('NOTE: no /signup or /login; accounts, comments and moderation are not checked');
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
    // The server stopped on its own (a crash): say how, with its last words, before its directory goes.
    if (demo.exitStatus) {
      console.log(`\nTHE DEMO SERVER STOPPED DURING THE TESTS (${demo.exitStatus})\n${demo.logTail(60)}`);
      failures.add('demo server', 'process', 'exit', `tidings demo stopped during the tests (${demo.exitStatus})`);
      process.exitCode = 1;
    }
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
