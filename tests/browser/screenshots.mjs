// Takes the screenshots in docs/img from pages that swabsim wrote:
//   node tests/browser/screenshots.mjs RUN_DIR COMPARE_DIR SWEEP_DIR OUT_DIR
// run.png: the top of the run page (tiles, targets, inputs); replay.png: the replay at the
// moment with the most people waiting; compare.png and sweep.png: the top of those pages.
import path from 'node:path';
import { chromium } from 'playwright-core';

const [run, compare, sweep, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node screenshots.mjs RUN_DIR COMPARE_DIR SWEEP_DIR OUT_DIR');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
const open = async (dir, height) => {
  const page = await browser.newPage({ viewport: { width: 1200, height } });
  await page.goto('file://' + path.resolve(dir, 'index.html'), { waitUntil: 'load' });
  return page;
};
let page = await open(run, 1100);
await page.screenshot({ path: path.join(out, 'run.png') });
await page.evaluate(() => {
  const d = JSON.parse(document.getElementById('replay-data').textContent);
  const sums = d.queue.map((f) => f.reduce((a, b) => a + b, 0));
  const s = document.getElementById('replay-slider');
  s.value = String(sums.indexOf(Math.max(...sums)));
  s.dispatchEvent(new Event('input'));
});
await (await page.$('#replay')).screenshot({ path: path.join(out, 'replay.png') });
await page.close();
for (const [dir, name] of [[compare, 'compare.png'], [sweep, 'sweep.png']]) {
  page = await open(dir, 1100);
  await page.screenshot({ path: path.join(out, name) });
  await page.close();
}
await browser.close();
console.log(`screenshots written to ${out}`);
