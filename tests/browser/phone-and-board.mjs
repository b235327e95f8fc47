// A real browser on keizoku's pages (issue 13): Debian's chromium over
// the DevTools protocol, at a phone's size. Opens the personal link from a
// received mail, answers the safety check and the call-out, finishes a
// step; signs in to the
// board, and sees it change without a reload when the CLI changes a step.
// Prints "ok N - ..." / "not ok N - ..." lines; exits 1 on any failure.
//
// Environment: KZ_LINK (the mailed personal link), KZ_URL (the daemon),
// KZ_TOKEN (an API token), KZ_CLI (the keizoku binary, with
// KEIZOKU_SOCKET set), KZ_SHOTS (where screenshots go), KZ_PROFILE (a
// fresh --user-data-dir), KZ_INCIDENT.
import { execFileSync } from 'node:child_process';
import puppeteer from 'puppeteer-core';

const env = process.env;
let n = 0, failed = 0;
const shots = [];
function ok(cond, what) {
  n++;
  if (cond) console.log(`ok ${n} - ${what}`);
  else { failed++; console.log(`not ok ${n} - ${what}`); }
}
function cli(...args) {
  return execFileSync(env.KZ_CLI, args, { encoding: 'utf8' });
}
async function shot(page, name) {
  const path = `${env.KZ_SHOTS}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  shots.push(path);
}
// Nothing wider than the screen: the document, and every element's box.
async function overflow(page) {
  return page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const bad = [];
    if (document.documentElement.scrollWidth > w) bad.push(`document ${document.documentElement.scrollWidth}`);
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > w + 0.5) bad.push(`${el.tagName}.${el.className} ${Math.round(r.right)}`);
    }
    return bad.slice(0, 5);
  });
}
async function submit(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

const browser = await puppeteer.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  userDataDir: env.KZ_PROFILE,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 360, height: 740, deviceScaleFactor: 2, isMobile: true, hasTouch: true });

  // --- the personal page, from the mailed link ---
  const resp = await page.goto(env.KZ_LINK, { waitUntil: 'load' });
  ok(resp.status() === 200, 'the mailed link opens the personal page');
  const text = await page.evaluate(() => document.body.innerText);
  ok(text.includes('参集の依頼') && text.includes('あなたの手順'), 'the Japanese text is in the DOM');
  ok(await page.evaluate(() => document.documentElement.lang) === 'ja', 'the page says it is Japanese');
  ok(await page.evaluate(() => document.scripts.length) === 0, 'the personal page needs no script');
  let bad = await overflow(page);
  ok(bad.length === 0, `nothing overflows 360 px on the personal page ${bad.join(', ')}`);
  await shot(page, '1-personal-page');

  // --- the safety check on the same page (SPEC §18) ---
  ok(await page.$('#safety') !== null, 'the safety check is on the personal page');
  await page.click('#safety input[name=status][value=injured]');
  await page.click('#safety input[name=come][value=yes]');
  await page.select('#safety select[name=eta]', '1h');
  await page.type('#safety textarea[name=note]', '軽傷 / minor');
  await submit(page, '#safety button');
  ok((await page.evaluate(() => document.body.innerText)).includes('受け付けました'), 'the safety answer is recorded');
  const rows = JSON.parse(cli('--json', 'safety', env.KZ_INCIDENT, '--list'));
  const me = rows.find((r) => r.member === 'sato');
  ok(me && me.status === 'injured' && me.can_come === true && me.eta_s === 3600,
    `the daemon has it: injured, can come in 1h (${JSON.stringify(me)})`);
  ok((await page.$eval('#safety', (e) => e.innerText)).includes('負傷'), 'the page shows the answer');
  bad = await overflow(page);
  ok(bad.length === 0, `nothing overflows 360 px with the safety form ${bad.join(', ')}`);
  await shot(page, '1b-safety');

  await page.select('#callout select[name=eta]', '30m');
  await submit(page, 'form:has(input[name=answer][value=available]) button');
  ok((await page.evaluate(() => document.body.innerText)).includes('受け付けました'), 'answering available is recorded');
  let show = JSON.parse(cli('--json', 'show', env.KZ_INCIDENT));
  ok(show.assembly.operator.available === 1, 'the daemon has the answer');
  await shot(page, '2-available');

  await submit(page, 'form:has(input[name=answer][value=arrived]) button');
  show = JSON.parse(cli('--json', 'show', env.KZ_INCIDENT));
  ok(show.assembly.operator.arrived === 1, 'arrived replaces available');
  ok(await page.$('#step-verify') !== null, "the member's step appears once assembled");
  bad = await overflow(page);
  ok(bad.length === 0, `nothing overflows with the step's forms ${bad.join(', ')}`);
  await shot(page, '3-step');

  await submit(page, '#step-verify form:has(input[name=do][value=done]) button');
  show = JSON.parse(cli('--json', 'show', env.KZ_INCIDENT));
  const verify = show.steps.find((s) => s.id === 'verify');
  ok(verify.state === 'done' && verify.done_by === 'sato', 'the step is done by its member');
  const log = JSON.parse(cli('--json', 'log', env.KZ_INCIDENT));
  ok(log.some((e) => e.type === 'step.done' && e.actor === 'sato (web)'), 'the log says sato (web)');
  await shot(page, '4-step-done');

  // --- the board, signed in with an API token ---
  const board = await browser.newPage();
  board.on('console', (m) => console.log(`# console: ${m.text()}`));
  board.on('requestfailed', (r) => console.log(`# request failed: ${r.url()} ${r.failure()?.errorText}`));
  await board.setViewport({ width: 360, height: 740, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const first = await board.goto(`${env.KZ_URL}/board`, { waitUntil: 'load' });
  ok(first.status() === 401, 'the board without a session answers 401');
  // The 401 page steps once on this site (a SameSite=Strict cookie would
  // come along now), then on to the sign-in page.
  await board.waitForSelector('input[name=token]', { timeout: 10000 });
  ok(board.url().includes('/login?next=/board'), 'the board asks for sign-in');
  await board.type('input[name=token]', env.KZ_TOKEN);
  await submit(board, 'form:has(input[name=do][value=token]) button');
  ok(board.url().endsWith('/board'), 'signed in, the board opens');
  const btext = await board.evaluate(() => document.body.innerText);
  ok(btext.includes('状況ボード') && btext.includes('対応方針の決定'), 'the board is in Japanese with the steps');
  ok(btext.includes('佐藤 次郎'), 'names, not ids');
  bad = await overflow(board);
  ok(bad.length === 0, `nothing overflows 360 px on the board ${bad.join(', ')}`);
  await board.waitForFunction(() => document.getElementById('live').textContent.includes('live'), { timeout: 10000 });
  ok(true, 'the board listens for changes');
  await shot(board, '5-board');
  await board.evaluate(() => { window.__kzSameDocument = true; });
  const before = Date.now();
  cli('done', env.KZ_INCIDENT, 'decide', '--note', 'CLI で完了');
  await board.waitForFunction(() => !document.querySelector('#board').innerText.includes('未着手'),
    { timeout: 10000 }).catch(() => {});
  const after = Date.now() - before;
  const changed = await board.evaluate(() => !document.querySelector('#board').innerText.includes('未着手'));
  ok(changed, `the board shows the CLI's change without a reload (${after} ms)`);
  ok(after <= 2000, `within 2 s (${after} ms)`);
  ok(await board.evaluate(() => window.__kzSameDocument === true), 'the same document: no reload');
  await shot(board, '6-board-updated');
  await board.emulateMediaType('print');
  await shot(board, '7-board-print');
} catch (e) {
  failed++;
  console.log(`not ok ${++n} - the browser run threw: ${e.stack}`);
} finally {
  await browser.close();
}
for (const s of shots) console.log(`# screenshot: ${s}`);
process.exit(failed ? 1 : 0);
