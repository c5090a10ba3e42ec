// Opens each page given on the command line in headless Chromium (Debian's package) and checks
// that every image loads and that the page logs no errors. Exit code 1 if any page fails.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const pages = process.argv.slice(2);
if (pages.length === 0) {
  console.error('usage: node check_pages.mjs PAGE.html...');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
let failed = 0;
for (const file of pages) {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`page error: ${e}`));
  page.on('requestfailed', (r) => errors.push(`failed to load ${r.url()}`));
  await page.goto('file://' + path.resolve(file), { waitUntil: 'load' });
  const images = await page.evaluate(() => [...document.images].map((i) => ({
    src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0,
  })));
  const broken = images.filter((i) => !i.ok).map((i) => `broken image ${i.src}`);
  const problems = [...errors, ...broken];
  // A run page's headline tiles must show the values of its summary.csv (the mean row with
  // several replications).
  const tiles = await page.evaluate(() => [...document.querySelectorAll('.tile[data-figure]')]
    .map((t) => [t.dataset.figure, t.dataset.value]));
  if (tiles.length > 0) {
    const lines = fs.readFileSync(path.join(path.dirname(path.resolve(file)), 'summary.csv'), 'utf8')
      .trim().split('\n').map((l) => l.split(','));
    const header = lines[0];
    const row = lines.find((r) => r[0] === 'mean') || lines[1];
    for (const [figure, value] of tiles) {
      const i = header.indexOf(figure);
      if (i < 0 || row[i] !== value) problems.push(`tile ${figure} shows ${value}, summary.csv has ${row[i]}`);
    }
  }
  if (images.length === 0) problems.push('no images on the page');
  if (problems.length > 0) {
    failed += 1;
    console.log(`FAIL ${file}`);
    for (const p of problems) console.log(`  ${p}`);
  } else {
    console.log(`ok   ${file}: ${images.length} images loaded, no console errors`);
  }
  await page.close();
}
await browser.close();
console.log(`page check: ${pages.length - failed} of ${pages.length} pages ok`);
process.exit(failed > 0 ? 1 : 0);
