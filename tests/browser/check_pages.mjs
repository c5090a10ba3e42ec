// Opens each page given on the command line in headless Chromium (Debian's package) and checks
// that every image loads and that the page logs no errors. Exit code 1 if any page fails.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

// The legend frames of a plotters SVG and every drawn vertex that falls inside one, apart from
// the legend's swatches (a short horizontal line, a dot or a block wholly inside the frame).
function legendOverlaps(svg) {
  const attr = (tag, name) => { const m = tag.match(new RegExp(`\\b${name}="([^"]*)"`)); return m ? m[1] : null; };
  const tags = svg.match(/<(polyline|polygon|circle|rect)\b[^>]*>/g) || [];
  const frames = tags.filter((t) => t.startsWith('<rect') && attr(t, 'stroke') === '#505050').map((t) => {
    const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((n) => Number(attr(t, n)));
    return { x0: x, y0: y, x1: x + w, y1: y + h };
  });
  const inside = (f, [x, y]) => x > f.x0 && x < f.x1 && y > f.y0 && y < f.y1;
  const found = [];
  for (const t of tags) {
    if (attr(t, 'stroke') === '#505050') continue;
    let pts;
    if (t.startsWith('<circle')) pts = [[Number(attr(t, 'cx')), Number(attr(t, 'cy'))]];
    else if (t.startsWith('<rect')) {
      const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((n) => Number(attr(t, n)));
      pts = [[x, y], [x + w, y], [x, y + h], [x + w, y + h]];
    } else pts = (attr(t, 'points') || '').trim().split(/\s+/).filter(Boolean).map((p) => p.split(',').map(Number));
    for (const f of frames) {
      const inn = pts.filter((p) => inside(f, p));
      if (inn.length === 0) continue;
      const swatch = inn.length === pts.length && (t.startsWith('<circle') || t.startsWith('<rect') ||
        (pts.length === 2 && pts[0][1] === pts[1][1] && Math.abs(pts[0][0] - pts[1][0]) <= 30));
      if (!swatch) found.push(`legend box at ${f.x0},${f.y0} covers ${t.slice(0, 60)}…`);
    }
  }
  return found;
}

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
  // No legend box covers a data point: in every chart's SVG, the legend frame (drawn in
  // #505050 and nowhere else) holds only its own swatches.
  for (const img of images.filter((i) => i.src.endsWith('.svg'))) {
    const svg = fs.readFileSync(path.join(path.dirname(path.resolve(file)), img.src), 'utf8');
    for (const p of legendOverlaps(svg)) problems.push(`${img.src}: ${p}`);
  }
  // The replay: moving the slider shows each site's queue of timeseries.csv at that time.
  if (await page.$('#replay-slider')) {
    const dir = path.dirname(path.resolve(file));
    const rows = fs.readFileSync(path.join(dir, 'timeseries.csv'), 'utf8').trim().split('\n')
      .map((l) => l.split(','));
    const h = rows[0];
    const [rep, clock, site, queue] = ['replication', 'clock', 'site', 'queue'].map((c) => h.indexOf(c));
    const want = new Map(rows.slice(1).filter((r) => r[rep] === '0').map((r) => [`${r[clock]}|${r[site]}`, r[queue]]));
    const max = Number(await page.$eval('#replay-slider', (s) => s.max));
    let compared = 0;
    let changed = false;
    let before = null;
    // The first and last frames, the frame with the most people waiting, and two near it.
    const busiest = await page.evaluate(() => {
      const d = JSON.parse(document.getElementById('replay-data').textContent);
      const sums = d.queue.map((f) => f.reduce((a, b) => a + b, 0));
      return sums.indexOf(Math.max(...sums));
    });
    const frames = [0, busiest, Math.max(0, busiest - 3), Math.min(max, busiest + 2), max];
    for (const f of frames) {
      const shown = await page.evaluate((frame) => {
        const s = document.getElementById('replay-slider');
        s.value = String(frame);
        s.dispatchEvent(new Event('input', { bubbles: true }));
        return {
          clock: document.getElementById('replay-clock').textContent,
          rows: [...document.querySelectorAll('#replay-table tbody tr')]
            .map((tr) => [tr.dataset.site, tr.querySelector('td.queue').textContent]),
        };
      }, f);
      for (const [name, q] of shown.rows) {
        const expected = want.get(`${shown.clock}|${name}`);
        compared += 1;
        if (expected !== q) problems.push(`replay at ${shown.clock}: ${name} shows ${q} waiting, timeseries.csv has ${expected}`);
      }
      const key = JSON.stringify(shown.rows);
      if (before !== null && key !== before) changed = true;
      before = key;
    }
    if (compared === 0) problems.push('the replay shows no site');
    if (!changed) problems.push('moving the replay slider changed nothing');
    if (problems.length === 0) console.log(`     replay: ${compared} queues match timeseries.csv at slider positions ${frames.join(', ')}`);
  }
  if (process.env.SCREENSHOTS) {
    const name = path.basename(path.dirname(path.resolve(file)));
    fs.mkdirSync(process.env.SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(process.env.SCREENSHOTS, `${name}.png`), fullPage: true });
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
