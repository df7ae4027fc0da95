// The browser tests: a person in headless Chromium going through the pages, as issue 14's
// "Done when" asks. Run by crates/cli/tests/it/browser.rs, which starts the application, makes
// the admin user and some books to look at, and passes everything in the environment:
//
//   BROWSER_BASE_URL     http://127.0.0.1:PORT (the application)
//   BROWSER_EMAIL, BROWSER_PASSWORD, BROWSER_API_TOKEN   an admin user (the token reads the API)
//   BROWSER_CHROMIUM     the Chromium program (Debian's /usr/bin/chromium)
//   BROWSER_OUT          where the screenshots (NN-step.png) and receipt.pdf go
//   BROWSER_SEED         JSON: ids of what the test recorded beforehand (campaign, donor, …)
//   DONATION_PLATFORM_NODE_TOOLS   the directory `cargo xtask` installed package-lock.json in
//
// The run fails (exit 1, every problem listed) on any console error, page error, failed request
// or error status the step did not expect, on any serious or critical axe-core violation on any
// page visited, and on any step whose check fails. A step that needs a page that does not exist
// yet says so; the steps after it that need its result say which step they wait for.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`flow.mjs: ${name} is not set (crates/cli/tests/it/browser.rs sets it)`);
    process.exit(2);
  }
  return value;
};

const BASE = env('BROWSER_BASE_URL').replace(/\/$/, '');
const EMAIL = env('BROWSER_EMAIL');
const PASSWORD = env('BROWSER_PASSWORD');
const API_TOKEN = env('BROWSER_API_TOKEN');
const CHROMIUM = env('BROWSER_CHROMIUM');
const OUT = env('BROWSER_OUT');
const SEED = JSON.parse(env('BROWSER_SEED'));
const TOOLS = env('DONATION_PLATFORM_NODE_TOOLS');

// The pinned packages live outside the repository (installed from package-lock.json by xtask).
const require = createRequire(path.join(TOOLS, 'package.json'));
const { chromium } = require('playwright-core');
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// Today as the books date it: in Jakarta (WIB, UTC+7), where the donation form's received
// date defaults to (from 17:00 UTC that is already tomorrow).
const TODAY = new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);
const PERIOD = `from=${TODAY.slice(0, 4)}-01-01&to=${TODAY}`;

// What a problem on a page looks like in the report, and every problem seen so far.
const problems = [];
const failedSteps = [];
// Requests a step expects the browser may abort (`POST /path`): a double submission's first.
let mayAbort = [];
let stepNumber = 0;

const url = (pathAndQuery) => (pathAndQuery.startsWith('http') ? pathAndQuery : BASE + pathAndQuery);
const local = (href) => href.replace(BASE, '');

class Missing extends Error {
  constructor(pathAndQuery, message) {
    super(message);
    this.path = pathAndQuery;
  }
}

/// Opens `pathAndQuery`; a 404 there means the page has not landed yet: say so.
async function open(page, pathAndQuery) {
  const response = await page.goto(url(pathAndQuery), { waitUntil: 'load' });
  if (!response) throw new Error(`${pathAndQuery}: no response`);
  if (response.status() === 404) {
    throw new Missing(pathAndQuery, `${pathAndQuery} answers 404: the page does not exist (yet)`);
  }
  if (response.status() !== 200) {
    throw new Error(`${pathAndQuery} answers ${response.status()}, not 200`);
  }
  return response;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function watch(page, name) {
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const source = message.location()?.url;
      const from = source && source !== page.url() ? ` (${local(source)})` : '';
      problems.push(`[${name}] console error on ${local(page.url())}: ${message.text()}${from}`);
    }
  });
  page.on('pageerror', (error) => {
    problems.push(`[${name}] page error on ${local(page.url())}: ${error.message}`);
  });
  page.on('requestfailed', (request) => {
    const aborted = request.failure()?.errorText === 'net::ERR_ABORTED';
    if (!(aborted && mayAbort.includes(`${request.method()} ${local(request.url())}`))) {
      problems.push(
        `[${name}] request failed: ${request.method()} ${local(request.url())}: ${request.failure()?.errorText}`,
      );
    }
  });
  page.on('response', (response) => {
    if (response.status() >= 400) {
      problems.push(`[${name}] ${response.status()} for ${response.request().method()} ${local(response.url())}`);
    }
  });
}

/// axe-core on the page as it is; serious and critical violations are problems.
/// page.evaluate runs outside the page's CSP (script-src 'self' forbids an injected tag).
async function axe(page, what) {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ['violations'] }),
  );
  for (const violation of results.violations) {
    if (violation.impact === 'serious' || violation.impact === 'critical') {
      const nodes = violation.nodes
        .slice(0, 5)
        .map((node) => `      ${node.target.join(' ')}: ${node.failureSummary?.replace(/\n/g, ' ')}`)
        .join('\n');
      problems.push(
        `axe (${violation.impact}) on ${what}: ${violation.id}: ${violation.help} (${violation.helpUrl})\n${nodes}`,
      );
    }
  }
}

// `page /staff/donations/<uuid>` -> `page-staff-donations-id`.
const slug = (text) =>
  text
    .toLowerCase()
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'id')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);

async function screenshot(page, name, suffix = '') {
  stepNumber += 1;
  const file = path.join(OUT, `${String(stepNumber).padStart(2, '0')}-${slug(name)}${suffix}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/// Runs one step: its checks, then a screenshot and the axe check of the page it ends on.
/// A failed step is recorded (with a screenshot of where it stopped) and the flow goes on.
async function step(page, name, body, { axeCheck = true } = {}) {
  const started = Date.now();
  try {
    const result = await body();
    const shot = Date.now();
    const file = await screenshot(page, name);
    const checked = Date.now();
    if (axeCheck) await axe(page, `${name} (${local(page.url())})`);
    const done = Date.now();
    console.log(
      `ok   ${name} (${done - started} ms: step ${shot - started}, screenshot ${checked - shot}, axe ${done - checked}) -> ${path.basename(file)}`,
    );
    return result;
  } catch (error) {
    const kind = error instanceof Missing ? 'MISSING' : 'FAIL';
    if (error instanceof Missing) {
      // The 404 and its console line say the same as the step: once is enough.
      for (let i = problems.length - 1; i >= 0; i -= 1) {
        if (problems[i].includes(error.path)) problems.splice(i, 1);
      }
    }
    failedSteps.push(`${name}: ${error.message}`);
    console.log(`${kind} ${name}: ${error.message}`);
    await screenshot(page, name, '-failed').catch(() => {});
    return undefined;
  } finally {
    mayAbort = [];
  }
}

/// A step that cannot run because an earlier one failed.
function skipped(name, needs) {
  failedSteps.push(`${name}: skipped, it needs ${needs}`);
  console.log(`SKIP ${name}: needs ${needs}`);
}

/// Sets a form field by its name, whatever control it is (select, radio, checkbox, input).
async function setField(form, name, value) {
  const field = form.locator(`[name="${name}"]`);
  const count = await field.count();
  if (count === 0) throw new Error(`the form has no field named "${name}"`);
  const first = field.first();
  // A field in a closed <details> (the calculator's prices, say): open it, as a person would.
  if (!(await first.isVisible())) {
    const closed = first.locator('xpath=ancestor::details[not(@open)]');
    const count = await closed.count();
    for (let i = 0; i < count; i += 1) {
      await closed.nth(0).locator(':scope > summary').click();
    }
  }
  const tag = await first.evaluate((element) => element.tagName.toLowerCase());
  const type = await first.getAttribute('type');
  if (tag === 'select') {
    await first.selectOption(value);
  } else if (type === 'radio') {
    await form.locator(`[name="${name}"][value="${value}"]`).check();
  } else if (type === 'checkbox') {
    if (value) await first.check();
    else await first.uncheck();
  } else {
    await first.fill(value);
  }
}

async function apiGet(pathAndQuery) {
  const response = await fetch(url(pathAndQuery), {
    headers: { authorization: `Bearer ${API_TOKEN}` },
  });
  if (!response.ok) throw new Error(`GET ${pathAndQuery}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function donationCount() {
  const page = await apiGet('/api/v1/donations?limit=100');
  return page.donations.length;
}

async function signIn(page) {
  // In Indonesian (remembered in the lang cookie from here on), whatever the last page was.
  await open(page, '/login?lang=id');
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  await Promise.all([
    page.waitForURL((where) => !where.pathname.startsWith('/login')),
    page.locator('form[action="/login"] [type="submit"]').click(),
  ]);
  check(new URL(page.url()).pathname === '/staff', `signing in lands on ${local(page.url())}, not /staff`);
}

async function signOut(page) {
  // From a staff page: the staff menu is in every one.
  if ((await page.locator('details.account').count()) === 0) await open(page, '/staff');
  const account = page.locator('details.account');
  check((await account.count()) === 1, 'no details.account (the staff menu) on the page');
  await account.locator('summary').click();
  const button = page.locator('details.account #sign-out');
  check(await button.isVisible(), '#sign-out is not visible once details.account is open');
  await Promise.all([page.waitForURL((where) => where.pathname === '/'), button.click()]);
  const after = await page.request.get(url('/staff'), { maxRedirects: 0 });
  check(after.status() === 303, `after signing out, /staff answers ${after.status()} and not 303 to /login`);
}

/// The zakat calculator's form on /zakat/maal: the numbers, submitted; the amount due shown.
async function calculate(page, lang, amountText) {
  await open(page, `/zakat/maal?lang=${lang}`);
  check((await page.locator('html').getAttribute('lang')) === lang, `the page is not in ${lang}`);
  const form = page.locator('main form').filter({ has: page.locator('[name="cash"]') });
  check((await form.count()) >= 1, 'no form with a field named "cash" on /zakat/maal');
  await setField(form.first(), 'cash', '150000000');
  await setField(form.first(), 'gold_price_per_gram', '1500000');
  await Promise.all([
    page.waitForURL((where) => where.searchParams.get('cash') === '150000000'),
    form.first().locator('[type="submit"]').first().click(),
  ]);
  // The amount itself, not the cited trace (whose steps are in English, with English numbers).
  const amount = page.locator('#amount-payable');
  check((await amount.count()) === 1, 'the result has no #amount-payable (the amount due)');
  const shown = (await amount.innerText()).trim();
  check(shown === amountText, `the amount due reads "${shown}", not "${amountText}" in ${lang}`);
}

const state = {};

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'id-ID' });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const page = await context.newPage();
  watch(page, 'main');
  context.on('page', (other) => {
    if (other !== page) watch(other, 'popup');
  });

  await step(page, 'landing', async () => {
    await open(page, '/');
    check((await page.locator('h1').count()) === 1, 'the landing page has not exactly one h1');
  });

  const signedIn = await step(page, 'sign in', async () => {
    await signIn(page);
    return true;
  });

  // Record a donation, then submit the same form again: one donation, both answers the same.
  if (signedIn) {
    state.donation = await step(page, 'record a donation and submit it twice', async () => {
      const before = await donationCount();
      await open(page, '/staff/donations/new');
      const form = page.locator('form').filter({ has: page.locator('#record-donation') });
      check((await form.count()) === 1, 'no form with the button #record-donation');
      const key = await form.locator('[name="idempotency_key"]').getAttribute('value');
      check(/^[0-9a-f-]{36}$/i.test(key ?? ''), `the form's idempotency_key is not a UUID: ${key}`);
      await setField(form, 'type', 'infak');
      await setField(form, 'amount', '1234567');
      await setField(form, 'method', 'cash');
      await setField(form, 'donor_name', 'Hamba Allah Peramban');
      const fields = await form.evaluate((element) => [...new FormData(element)]);
      await screenshot(page, 'the donation form filled in');
      // Two clicks in a row, as an impatient person does (app.js disables the button after
      // the first; without it, the browser may abort the first POST when the second starts).
      mayAbort = ['POST /staff/donations'];
      await Promise.all([
        page.waitForURL(/\/staff\/donations\/[0-9a-f-]{36}$/),
        form.locator('#record-donation').click({ clickCount: 2, delay: 30 }),
      ]);
      mayAbort = [];
      const location = local(page.url());
      // The same form twice more at once, as a reload of the POST or a second tab sends it:
      // the server's idempotency store, not the button, makes them the same donation.
      const resubmit = (pairs) =>
        page.request.post(url('/staff/donations'), {
          data: new URLSearchParams(pairs).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          maxRedirects: 0,
        });
      for (const again of await Promise.all([resubmit(fields), resubmit(fields)])) {
        check(again.status() === 303, `the same form again answers ${again.status()}, not 303`);
        check(
          local(again.headers().location ?? '') === location,
          `the same form again goes to ${again.headers().location}, not to ${location}`,
        );
      }
      // The same key with another amount is another donation under a used key: refused.
      const altered = fields.map(([name, value]) => [name, name === 'amount' ? '7654321' : value]);
      const refused = await resubmit(altered);
      check(refused.status() === 422, `the same key with another amount answers ${refused.status()}, not 422`);
      const after = await donationCount();
      check(after === before + 1, `${after - before} donations were recorded, not exactly one`);
      const shown = await page.locator('main').innerText();
      check(shown.includes('Rp 1.234.567'), `the donation page does not show Rp 1.234.567:\n${shown.slice(0, 800)}`);
      return { path: location, id: location.split('/').pop() };
    });
  } else {
    skipped('record a donation and submit it twice', 'signing in');
  }

  if (state.donation) {
    state.verification = await step(page, 'open and print the receipt', async () => {
      await open(page, state.donation.path);
      const link = page.locator('#receipt-link');
      check((await link.count()) === 1, 'no #receipt-link on the donation page');
      const opensTab = (await link.getAttribute('target')) === '_blank';
      let receipt = page;
      if (opensTab) {
        [receipt] = await Promise.all([context.waitForEvent('page'), link.click()]);
        await receipt.waitForLoadState('load');
      } else {
        await Promise.all([page.waitForURL(/\/receipt$/), link.click()]);
      }
      const pdf = path.join(OUT, 'receipt.pdf');
      await receipt.pdf({ path: pdf, format: 'A4', printBackground: true });
      const bytes = fs.readFileSync(pdf);
      check(bytes.subarray(0, 5).toString() === '%PDF-' && bytes.length > 1000, 'receipt.pdf is not a PDF');
      const verify = await receipt.locator('p.url a').getAttribute('href');
      check(/\/verify\/[^/]+$/.test(verify ?? ''), `the receipt's p.url a is not a /verify/ link: ${verify}`);
      if (receipt !== page) {
        await screenshot(receipt, 'the receipt');
        await axe(receipt, `the receipt (${local(receipt.url())})`);
        await receipt.close();
      }
      return verify;
    });
  } else {
    skipped('open and print the receipt', 'the donation');
  }

  const signedOut = signedIn
    ? await step(page, 'sign out', async () => {
        await signOut(page);
        return true;
      })
    : undefined;

  if (state.verification && signedOut) {
    await step(page, 'open the verification URL signed out', async () => {
      await open(page, local(state.verification));
      const main = await page.locator('main').innerText();
      check(main.includes('Rp 1.234.567'), `the verification page does not show the amount Rp 1.234.567:\n${main}`);
      const tampered = `${local(state.verification).slice(0, -2)}xx`;
      const forged = await page.request.get(url(tampered));
      check(forged.status() !== 200, `a tampered code (${tampered}) answers 200`);
      const forgedText = await forged.text();
      check(!forgedText.includes('Rp 1.234.567'), `a tampered code (${tampered}) still shows the donation`);
    });
  } else {
    skipped('open the verification URL signed out', 'the receipt and signing out');
  }

  await step(page, 'the zakat calculator in Indonesian', () => calculate(page, 'id', 'Rp 3.750.000'));
  await step(page, 'the zakat calculator in English', () => calculate(page, 'en', 'Rp 3,750,000'));

  const again = await step(page, 'sign in again', async () => {
    await signIn(page);
    return true;
  });

  if (again) {
    await step(page, 'the dashboard', async () => {
      await open(page, '/staff');
      const charts = await page.locator('main svg').count();
      check(charts >= 1, 'the dashboard shows no SVG chart');
    });
    await step(page, 'a PSAK 109 statement: changes in funds', async () => {
      await open(page, `/staff/reports/changes-in-funds?${PERIOD}`);
      check((await page.locator('main table').count()) >= 1, 'the statement has no table');
      const text = await page.locator('main').innerText();
      // The seeded zakat maal, and the infak this flow recorded (when it could).
      const amounts = ['Rp 2.500.000', ...(state.donation ? ['Rp 1.234.567'] : [])];
      for (const amount of amounts) {
        check(text.includes(amount), `the statement does not show ${amount} received:\n${text.slice(0, 800)}`);
      }
    });

    // Every route of the contract once, for the axe check (and a screenshot to look at).
    const donation = state.donation?.id ?? SEED.donation_id;
    const routes = [
      '/',
      '/zakat',
      '/zakat/maal',
      '/zakat/maal?cash=150000000&gold_price_per_gram=1500000',
      '/zakat/fidyah',
      '/verify',
      `/verify/${SEED.code}`,
      '/campaigns',
      `/campaigns/${SEED.campaign_id}`,
      '/staff',
      '/staff/donations',
      '/staff/donations/new',
      `/staff/donations/${donation}`,
      `/staff/donations/${donation}/receipt`,
      '/staff/distributions',
      '/staff/distributions/new',
      `/staff/distributions/${SEED.distribution_id}`,
      '/staff/muzakki',
      '/staff/muzakki/new',
      `/staff/muzakki/${SEED.donor_id}`,
      '/staff/mustahik',
      '/staff/mustahik/new',
      `/staff/mustahik/${SEED.recipient_id}`,
      '/staff/campaigns',
      '/staff/campaigns/new',
      '/staff/reports',
      `/staff/reports/changes-in-funds?${PERIOD}`,
      `/staff/reports/financial-position?at=${TODAY}`,
      `/staff/reports/collections?${PERIOD}`,
      `/staff/reports/distributions?${PERIOD}`,
      '/staff/audit',
      '/staff/audit/verify',
      '/staff/settings',
      '/staff/users',
    ];
    for (const route of routes) {
      await step(page, `page ${route.split('?')[0]}`, async () => {
        await open(page, route);
        check((await page.locator('h1').count()) === 1, `${route} has not exactly one h1`);
        if (!route.startsWith('/staff') && !route.startsWith('/verify/')) {
          // Public pages: no donor's or mustahik's name (SEED.names are the test's people; a
          // receipt's check may show what the receipt shows).
          const text = await page.locator('body').innerText();
          const named = SEED.names.filter((name) => text.includes(name));
          check(named.length === 0, `${route}, a public page, shows personal data: ${named.join(', ')}`);
        }
      });
    }

    // The pages people use most, on a phone's width: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const route of [
      '/',
      '/zakat/maal?cash=150000000&gold_price_per_gram=1500000',
      '/staff',
      '/staff/donations/new',
      `/staff/donations/${donation}`,
      `/staff/reports/changes-in-funds?${PERIOD}`,
    ]) {
      await step(page, `narrow ${route.split('?')[0]}`, async () => {
        await open(page, route);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        check(width <= 390, `${route} is ${width}px wide on a 390px screen: it scrolls sideways`);
      });
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    await step(page, 'sign out at the end', () => signOut(page));
  } else {
    skipped('the dashboard, the statement, every page and signing out', 'signing in again');
  }

  await browser.close();

  if (problems.length > 0) {
    console.log(`\n${problems.length} problem(s) in the pages:`);
    for (const problem of problems) console.log(`  - ${problem}`);
  }
  if (failedSteps.length > 0) {
    console.log(`\n${failedSteps.length} step(s) failed:`);
    for (const failed of failedSteps) console.log(`  - ${failed}`);
  }
  console.log(`\nscreenshots: ${OUT}`);
  process.exit(problems.length === 0 && failedSteps.length === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(`flow.mjs: ${error.stack ?? error}`);
  process.exit(1);
});
