import path from 'node:path';
import { writeFileSafely } from '../../../cluster/lib/safe-write.ts';
import type { Aggregate } from '../report.ts';
import { html } from './markup.ts';
import { duration } from './format.ts';
import { page } from './page.ts';

/**
 * A --repeat run's own page, at the top of its folder: the verdict of the whole run, its figures,
 * and one row per iteration linking to that iteration's report.html. Pure: the same input gives
 * the same page.
 */
export function renderRepeatHtmlReport(aggregate: Aggregate, runId: string, runDir: string): string {
  const failed = aggregate.iterations.filter((i) => i.verdict !== 'PASS');
  return page(
    `flipdrill ${aggregate.verdict}: ${aggregate.scenario} × ${aggregate.iterations.length} (${runId})`,
    html`
  <header class="run ${aggregate.verdict}">
    <div class="verdict" data-testid="verdict" data-verdict="${aggregate.verdict}">${aggregate.verdict}</div>
    <div>
      <h1 data-testid="scenario">${aggregate.scenario} × ${aggregate.iterations.length}</h1>
      <p class="meta">run <code data-testid="run-id">${runId}</code> · one cluster, ${aggregate.iterations.length} iterations</p>
      <p class="gist" data-testid="gist">${aggregate.passed} of ${aggregate.iterations.length} passed · writes down ${duration(aggregate.writeDownMs.median)} median, ${duration(aggregate.writeDownMs.worst)} worst · ${aggregate.totalLost} acknowledged writes lost</p>
      ${failed.length > 0 && html`<ul class="failed-checks">${failed.map((i) => html`<li>iteration ${i.iteration} (${i.scenario}) failed</li>`)}</ul>`}
    </div>
  </header>
  <section data-testid="iterations"><h2>Iterations</h2>
    <table class="checks"><thead><tr><th>iteration</th><th>verdict</th><th>scenario</th><th>fault on</th><th>new primary</th><th>writes down</th><th>lost</th><th>report</th></tr></thead><tbody>
      ${aggregate.iterations.map((i) => {
        const link = `${path.relative(runDir, i.dir).split(path.sep).join('/')}/report.html`;
        return html`<tr class="${i.verdict === 'PASS' ? 'pass' : 'fail'}" data-iteration="${i.iteration}" data-verdict="${i.verdict}"><td>${i.iteration}</td><td class="status">${i.verdict}</td><td>${i.scenario}</td><td>${i.faultNode ?? 'n/a'}</td><td>${i.newPrimary ?? 'none'}</td><td>${duration(i.writeDownMs)}</td><td>${i.lost}</td><td><a href="${link}">${link}</a></td></tr>`;
      })}
    </tbody></table>
  </section>
  <footer>flipdrill report of a --repeat run (${aggregate.schema}). aggregate.json and junit.xml in this folder, and each iteration's own folder, hold everything shown here.</footer>`,
  );
}

/** Write the --repeat run's report.html at the top of its folder. */
export function writeRepeatHtmlReport(runDir: string, runId: string, aggregate: Aggregate): string {
  const out = path.join(runDir, 'report.html');
  writeFileSafely(out, renderRepeatHtmlReport(aggregate, runId, runDir));
  return out;
}
