// Drives `swabsim serve` in headless Chromium (Debian's package): the page runs the scenario as
// written, then a desk count is changed in its form and the page must show the wait p95 that
// `swabsim run --set` gives for the same change (passed on the command line), with the change
// listed as a --set line and the run page of that rerun in the frame. Exit code 1 on a mismatch.
//
// usage: node check_serve.mjs URL SET_PATH NEW_VALUE EXPECTED_WAIT_P95
import { chromium } from 'playwright-core';

const [url, setPath, newValue, expected] = process.argv.slice(2);
if (!expected) {
  console.error('usage: node check_serve.mjs URL SET_PATH NEW_VALUE EXPECTED_WAIT_P95');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const failures = [];
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') failures.push(`console: ${m.text()}`); });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-state="done"]', { timeout: 60000 });
  const before = await page.textContent('#wait_p95_min');
  const input = page.locator(`input[data-path="${setPath}"]`);
  if ((await input.count()) !== 1) throw new Error(`no lever ${setPath} on the page`);
  await input.fill(newValue);
  const line = `${setPath}=${newValue}`;
  await page.waitForFunction((l) => document.body.dataset.state === 'done' &&
    JSON.parse(document.body.dataset.sets || '[]').includes(l), line, { timeout: 60000 });
  const after = (await page.textContent('#wait_p95_min')).trim();
  const sets = await page.textContent('#sets');
  const frame = await page.getAttribute('#run', 'src');
  console.log(`wait p95: ${before} as written, ${after} with ${line} (swabsim run --set: ${expected}); frame ${frame}`);
  if (after !== expected) failures.push(`the page shows a wait p95 of ${after}, swabsim run --set gives ${expected}`);
  if (!sets.includes(`--set '${line}'`)) failures.push(`the --set lines do not show ${line}: ${sets}`);
  const frameBody = await page.frameLocator('#run').locator('body').textContent({ timeout: 30000 });
  if (!frameBody || frameBody.length < 100) failures.push('the run page in the frame is empty');
} catch (e) {
  failures.push(String(e));
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log('serve page: ok');
