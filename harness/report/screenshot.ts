/**
 * `npm run docs:screenshot -- <page.html> <out.png> [max height]`: a full-page PNG of a report.html
 * or a runs index as Debian's Chromium draws it, or its top part (the docs' screenshots are made
 * this way from real runs).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PageBrowser } from './browser.ts';

const [page, out, height] = process.argv.slice(2);
const maxHeight = height === undefined ? undefined : Number(height);
if (!page || !out || !existsSync(page) || (maxHeight !== undefined && !(Number.isInteger(maxHeight) && maxHeight >= 200))) {
  process.stderr.write('usage: npm run docs:screenshot -- <report.html or index.html> <out.png> [max height in pixels, at least 200]\n');
  process.exit(2);
}
await using browser = await PageBrowser.launch();
const { consoleErrors, pageErrors, externalRequests } = await browser.read(page, () => true);
if (consoleErrors.length || pageErrors.length || externalRequests.length) {
  process.stderr.write(`the page has trouble: ${JSON.stringify({ consoleErrors, pageErrors, externalRequests })}\n`);
  process.exit(1);
}
await browser.screenshot(page, out, maxHeight === undefined ? {} : { maxHeight });
process.stdout.write(`written: ${path.relative(process.cwd(), out)}\n`);
