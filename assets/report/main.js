/* difyrun report, part 5: the page: summary cards, charts and the table, for one run or a compare of two. */
/* global h, fmt, preview, delta, pill, card, COLORS, histogramPanel, doughnutPanel, barsPanel, PagedTable, toolbar, singleDetail, pairDetail */

const meta = JSON.parse(document.getElementById('difyrun-meta').textContent);
/** The first page of rows; every row (#difyrun-data, after this script) is read once the page is parsed. */
const firstRows = JSON.parse(document.getElementById('difyrun-first').textContent);
const app = document.getElementById('app');
const runs = meta.runs;

function latencyMarkers(stats) {
  const l = stats.latencyMs;
  return l
    ? [
        { label: 'p50', value: l.p50 },
        { label: 'p90', value: l.p90 },
        { label: 'p99', value: l.p99 },
      ]
    : [];
}

function checksRate(stats) {
  return stats.checks.rows.total ? `${fmt.rate(stats.checks.rows)}` : null;
}

function errorsPanel(stats) {
  const list = h(
    'ul',
    { className: 'errors' },
    stats.errors.map((group) =>
      h(
        'li',
        {},
        h('span', { className: 'code' }, group.code),
        ` ×${fmt.int(group.count)}`,
        group.messages.map((m) => h('span', { className: 'msg' }, `${fmt.int(m.count)} × ${m.message}`)),
      ),
    ),
  );
  const slices = [
    { label: 'succeeded', value: stats.succeeded, color: COLORS.success },
    { label: 'failed', value: stats.failed, color: COLORS.failed },
    { label: 'not run', value: stats.notRun, color: COLORS.not_run },
  ];
  return doughnutPanel('Status and errors', slices, stats.errors.length ? list : h('div', { className: 'empty' }, 'No errors'));
}

/** The first few names of `key` (i = inputs, o = outputs) across the first rows, for table columns. */
function namesOf(rows, key, limit) {
  const names = new Set();
  for (const row of rows.slice(0, 2000)) for (const name of Object.keys((row && row[key]) || {})) if (!name.startsWith('expect')) names.add(name);
  return [...names].slice(0, limit);
}

function singleReport() {
  const run = runs[0];
  const s = run.stats;
  const rows = firstRows;
  const hasChecks = s.checks.rows.total > 0;
  document.title = `difyrun report — ${run.label}`;
  const cards = h(
    'div',
    { className: 'cards' },
    card('Rows', fmt.int(s.rows)),
    card('Succeeded', fmt.int(s.succeeded), fmt.pct(s.successRate) + ' of rows run', 'ok'),
    card('Failed', fmt.int(s.failed), null, s.failed ? 'bad' : ''),
    s.notRun ? card('Not run', fmt.int(s.notRun)) : null,
    hasChecks
      ? card(
          'Checks passed',
          checksRate(s),
          `${fmt.int(s.checks.rows.passed)} of ${fmt.int(s.checks.rows.total)} rows · ${fmt.rate(s.checks.assertions)} of assertions`,
          s.checks.rows.passed === s.checks.rows.total ? 'ok' : 'bad',
        )
      : null,
    card('Wall time', fmt.seconds(s.wallTimeS), 'first start → last finish'),
    card('Throughput', `${fmt.num(s.rowsPerS, 1)} rows/s`),
    card('Latency p50', fmt.ms(s.latencyMs && s.latencyMs.p50), s.latencyMs ? `p90 ${fmt.ms(s.latencyMs.p90)} · p99 ${fmt.ms(s.latencyMs.p99)}` : null),
    card('Tokens', fmt.int(s.tokens && s.tokens.total), s.tokens ? `${fmt.num(s.tokens.mean, 1)} per row` : null),
    card('Cost', fmt.price(s.price && s.price.total, s.currency), s.price ? `${fmt.price(s.price.mean)} per row` : null),
  );
  const charts = h(
    'div',
    { className: 'grid' },
    histogramPanel('Latency per row', meta.bins.latency, [{ label: run.label, counts: run.histograms.latency, color: COLORS.a }], {
      format: fmt.ms,
      unit: 'latency',
      markers: latencyMarkers(s),
    }),
    errorsPanel(s),
    histogramPanel('Tokens per row', meta.bins.tokens, [{ label: run.label, counts: run.histograms.tokens, color: '#7c3aed' }], {
      format: fmt.int,
      unit: 'tokens',
      total: s.tokens && s.tokens.total,
    }),
    histogramPanel('Cost per row', meta.bins.price, [{ label: run.label, counts: run.histograms.price, color: '#0d9488' }], {
      format: (v) => fmt.num(v, 6),
      unit: 'cost',
      total: s.price && s.price.total,
    }),
    hasChecks
      ? barsPanel(
          'Checks passed, by expectation',
          s.checks.byColumn.map(([column]) => column),
          [{ label: 'passed', values: s.checks.byColumn.map(([, r]) => (100 * r.passed) / r.total), color: COLORS.success }],
          { max: 100, format: (v) => `${fmt.num(v, 1)}%` },
        )
      : null,
  );
  const inputs = namesOf(rows, 'i', 2);
  const outputs = namesOf(rows, 'o', 3);
  const columns = [
    { title: 'id', value: (r) => r.id, cell: (r) => r.id, width: '110px' },
    { title: 'status', value: (r) => r.s, cell: (r) => pill(r.s), width: '90px' },
    ...inputs.map((name) => ({ title: name, value: (r) => preview(r.i[name], 400), cell: (r) => preview(r.i[name]) })),
    ...outputs.map((name) => ({
      title: name,
      value: (r) => preview(r.o && r.o[name], 400),
      cell: (r) => (r.o ? preview(r.o[name]) : r.e ? `${r.e.code}: ${preview(r.e.message)}` : ''),
    })),
    ...(hasChecks
      ? [
          {
            title: 'checks',
            value: (r) => (r.k.length ? r.k.filter((c) => c[1]).length / r.k.length : null),
            cell: (r) => (r.k.length ? pill(r.k.every((c) => c[1]) ? 'pass' : 'fail', `${r.k.filter((c) => c[1]).length}/${r.k.length}`) : ''),
            width: '80px',
          },
        ]
      : []),
    { title: 'latency', value: (r) => r.l, cell: (r) => fmt.ms(r.l), num: true, width: '90px' },
    { title: 'tokens', value: (r) => r.t, cell: (r) => fmt.int(r.t), num: true, width: '80px' },
    { title: 'cost', value: (r) => r.c, cell: (r) => fmt.price(r.c), num: true, width: '90px' },
  ];
  const table = new PagedTable({
    columns,
    rows,
    total: s.rows,
    detail: singleDetail,
    searchText: (r) => [r.id, JSON.stringify(r.i), JSON.stringify(r.o), r.e ? `${r.e.code} ${r.e.message}` : ''].join('\n'),
  });
  const filters = [
    ['all', 'All statuses', () => true],
    ['success', 'Succeeded', (r) => r.s === 'success'],
    ['failed', 'Failed', (r) => r.s === 'failed'],
    ...(s.notRun ? [['not_run', 'Not run', (r) => r.s === 'not_run']] : []),
    ...(hasChecks
      ? [
          ['checks_failed', 'Checks failed', (r) => r.k.some((c) => !c[1])],
          ['checks_passed', 'Checks passed', (r) => r.k.length > 0 && r.k.every((c) => c[1])],
        ]
      : []),
  ];
  app.replaceChildren(
    h('h1', {}, 'difyrun report'),
    h(
      'div',
      { className: 'sub' },
      h('b', {}, run.label),
      ` · ${fmt.int(s.rows)} rows · written ${meta.generatedAt}`,
      s.workflowIds.length ? ` · workflow ${s.workflowIds.map((w) => `${w.id} (${fmt.int(w.rows)} rows)`).join(', ')}` : '',
    ),
    cards,
    charts,
    h('section', { className: 'panel' }, h('h2', {}, 'Rows'), toolbar(table, filters), table.element),
  );
  table.setFilter(() => true, '');
  return table;
}

function compareReport() {
  const [a, b] = runs;
  const sa = a.stats;
  const sb = b.stats;
  const c = meta.counts;
  const rows = firstRows;
  const hasChecks = sa.checks.rows.total > 0 || sb.checks.rows.total > 0;
  const pick = (stats, key, field) => stats[key] && stats[key][field];
  document.title = `difyrun compare — ${a.label} vs ${b.label}`;
  /** B's value large; A's value and the change underneath. */
  const versus = (label, x, y, format, options = {}) => card(label, format(y), [`A ${format(x)} · `, delta(x, y, { format, ...options })]);
  const passRate = (stats) => (stats.checks.rows.total ? stats.checks.rows.passed / stats.checks.rows.total : null);
  const cards = h(
    'div',
    { className: 'cards' },
    card('Changed', fmt.int(c.changed), 'outputs, status or error differ', c.changed ? 'bad' : 'ok'),
    card('Unchanged', fmt.int(c.unchanged)),
    card('Only in A', fmt.int(c.only_a)),
    card('Only in B', fmt.int(c.only_b)),
    hasChecks
      ? card(
          'Checks passed (B)',
          fmt.pct(passRate(sb)),
          [`A ${fmt.pct(passRate(sa))} · ${fmt.int(c.regressed)} regressed · ${fmt.int(c.improved)} improved`],
          c.regressed ? 'bad' : 'ok',
        )
      : null,
    versus('Success rate (B)', sa.successRate, sb.successRate, fmt.pct, { goodWhenUp: true }),
    versus('Latency p50 (B)', pick(sa, 'latencyMs', 'p50'), pick(sb, 'latencyMs', 'p50'), fmt.ms),
    versus('Latency p90 (B)', pick(sa, 'latencyMs', 'p90'), pick(sb, 'latencyMs', 'p90'), fmt.ms),
    versus('Tokens (B)', pick(sa, 'tokens', 'total'), pick(sb, 'tokens', 'total'), fmt.int),
    sa.price || sb.price ? versus('Cost (B)', pick(sa, 'price', 'total'), pick(sb, 'price', 'total'), (v) => fmt.num(v, 6)) : null,
  );
  const series = (key) => [
    { label: 'A', counts: a.histograms[key], color: COLORS.a },
    { label: 'B', counts: b.histograms[key], color: COLORS.b },
  ];
  const charts = h(
    'div',
    { className: 'grid' },
    histogramPanel('Latency per row, A and B', meta.bins.latency, series('latency'), { format: fmt.ms, unit: 'latency', markers: [] }),
    doughnutPanel('Rows by change', [
      { label: 'changed', value: c.changed, color: COLORS.changed },
      { label: 'unchanged', value: c.unchanged, color: COLORS.unchanged },
      { label: 'only in A', value: c.only_a, color: COLORS.a },
      { label: 'only in B', value: c.only_b, color: COLORS.b },
    ]),
    histogramPanel('Tokens per row, A and B', meta.bins.tokens, series('tokens'), {
      format: fmt.int,
      unit: 'tokens',
      total: (pick(sa, 'tokens', 'total') || 0) + (pick(sb, 'tokens', 'total') || 0),
    }),
    hasChecks
      ? barsPanel(
          'Checks passed, by expectation',
          [...new Set([...sa.checks.byColumn, ...sb.checks.byColumn].map(([column]) => column))],
          [sa, sb].map((stats, i) => {
            const by = new Map(stats.checks.byColumn);
            return {
              label: i ? 'B' : 'A',
              color: i ? COLORS.b : COLORS.a,
              values: [...new Set([...sa.checks.byColumn, ...sb.checks.byColumn].map(([column]) => column))].map((column) =>
                by.get(column) ? (100 * by.get(column).passed) / by.get(column).total : 0,
              ),
            };
          }),
          { max: 100, format: (v) => `${fmt.num(v, 1)}%` },
        )
      : null,
  );
  const checkCell = (row) => (row && row.k.length ? `${row.k.filter((x) => x[1]).length}/${row.k.length}` : '–');
  const columns = [
    { title: 'id', value: (p) => p.id, cell: (p) => p.id, width: '110px' },
    { title: 'change', value: (p) => p.ch, cell: (p) => pill(p.ch), width: '100px' },
    {
      title: 'status A → B',
      value: (p) => `${p.a ? p.a.s : ''}>${p.b ? p.b.s : ''}`,
      cell: (p) => `${p.a ? p.a.s : '–'} → ${p.b ? p.b.s : '–'}`,
      width: '150px',
    },
    { title: 'changed outputs', value: (p) => p.co.join(', '), cell: (p) => p.co.join(', ') },
    ...(hasChecks
      ? [{ title: 'checks A → B', value: (p) => p.cc || '', cell: (p) => [`${checkCell(p.a)} → ${checkCell(p.b)} `, p.cc ? pill(p.cc) : null], width: '170px' }]
      : []),
    { title: 'latency A', value: (p) => p.a && p.a.l, cell: (p) => fmt.ms(p.a && p.a.l), num: true, width: '90px' },
    { title: 'latency B', value: (p) => p.b && p.b.l, cell: (p) => fmt.ms(p.b && p.b.l), num: true, width: '90px' },
    {
      title: 'tokens A → B',
      value: (p) => (p.b && p.b.t) - (p.a && p.a.t),
      cell: (p) => `${fmt.int(p.a && p.a.t)} → ${fmt.int(p.b && p.b.t)}`,
      num: true,
      width: '120px',
    },
  ];
  const table = new PagedTable({
    columns,
    rows,
    total: c.changed + c.unchanged + c.only_a + c.only_b,
    detail: pairDetail,
    searchText: (p) => [p.id, p.a && JSON.stringify([p.a.i, p.a.o, p.a.e]), p.b && JSON.stringify([p.b.o, p.b.e])].join('\n'),
  });
  const filters = [
    ['all', 'All rows', () => true],
    ['changed', 'Changed', (p) => p.ch === 'changed'],
    ['unchanged', 'Unchanged', (p) => p.ch === 'unchanged'],
    ['only_a', 'Only in A', (p) => p.ch === 'only_a'],
    ['only_b', 'Only in B', (p) => p.ch === 'only_b'],
    ...(hasChecks
      ? [
          ['regressed', 'Regressed', (p) => p.cc === 'regressed'],
          ['improved', 'Improved', (p) => p.cc === 'improved'],
        ]
      : []),
    ['failed_b', 'Failed in B', (p) => p.b && p.b.s === 'failed'],
  ];
  app.replaceChildren(
    h('h1', {}, 'difyrun compare'),
    h('div', { className: 'sub' }, 'A ', h('b', {}, a.label), ' · B ', h('b', {}, b.label), ` · written ${meta.generatedAt}`),
    cards,
    charts,
    h('section', { className: 'panel' }, h('h2', {}, 'Rows by id'), toolbar(table, filters), table.element),
  );
  table.setFilter(() => true, '');
  return table;
}

const table = meta.kind === 'compare' ? compareReport() : singleReport();
/** Every row, once the parser has reached them; after a paint, so the first page shows first. */
function readAllRows() {
  setTimeout(() => table.setRows(JSON.parse(document.getElementById('difyrun-data').textContent)), 0);
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', readAllRows);
else readAllRows();
