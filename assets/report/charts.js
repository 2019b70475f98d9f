/* difyrun report, part 2: charts (Chart.js, inlined), drawn from bins computed when the report was written. */
/* global h, fmt */

const COLORS = {
  success: '#16a34a',
  failed: '#dc2626',
  not_run: '#9ca3af',
  a: '#2563eb',
  b: '#d97706',
  changed: '#f59e0b',
  unchanged: '#16a34a',
  only: '#9ca3af',
};

Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

/** Dashed vertical lines at values (p50/p90/p99) on a histogram's bin axis. */
const markerPlugin = {
  id: 'difyrunMarkers',
  afterDatasetsDraw(chart, _args, options) {
    const { ctx, chartArea, scales } = chart;
    const bins = options.bins;
    if (!bins || !options.markers) return;
    const step = scales.x.getPixelForValue(1) - scales.x.getPixelForValue(0) || chartArea.width / bins.count;
    // Markers closer than 28 px share one line and one label ("p90 p99").
    const placed = [];
    for (const marker of options.markers) {
      const position = Math.min(bins.count, (marker.value - bins.low) / bins.width);
      const x = scales.x.getPixelForValue(0) - step / 2 + position * step;
      const near = placed.find((p) => Math.abs(p.x - x) < 28);
      if (near) near.label += ` ${marker.label}`;
      else placed.push({ x, label: marker.label });
    }
    ctx.save();
    for (const { x, label } of placed) {
      ctx.strokeStyle = '#111827';
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#111827';
      ctx.font = '11px sans-serif';
      ctx.textAlign = x > chartArea.right - 30 ? 'right' : x < chartArea.left + 30 ? 'left' : 'center';
      ctx.fillText(label, x, chartArea.top - 5);
    }
    ctx.restore();
  },
};

function binLabels(bins, format) {
  return Array.from({ length: bins.count }, (_, i) => {
    const from = bins.low + i * bins.width;
    return bins.overflow && i === bins.count - 1 ? `≥ ${format(from)}` : `${format(from)}–${format(from + bins.width)}`;
  });
}

/** A panel with a histogram, or a note when nothing was recorded. */
function histogramPanel(title, bins, series, { format, unit, markers, total }) {
  const canvas = h('canvas', { role: 'img', 'aria-label': title });
  // Rows that all recorded 0 (no LLM node) say so instead of drawing one bar.
  const allZero = bins && bins.count === 1 && bins.low === 0 && total === 0;
  const body =
    bins && !allZero && series.some((s) => s.counts)
      ? h('div', { className: 'chart' }, canvas)
      : h('div', { className: 'empty' }, allZero ? `Every row recorded 0 ${unit}` : `No ${unit} recorded`);
  const panel = h('section', { className: 'panel' }, h('h2', {}, title), body);
  if (body.className === 'chart') {
    queueMicrotask(
      () =>
        new Chart(canvas, {
          type: 'bar',
          data: {
            labels: binLabels(bins, format),
            datasets: series.map((s) => ({
              label: s.label,
              data: s.counts || [],
              backgroundColor: s.color,
              borderRadius: 2,
              barPercentage: series.length > 1 ? 0.9 : 1,
              categoryPercentage: series.length > 1 ? 0.8 : 0.98,
            })),
          },
          options: {
            layout: { padding: { top: markers && markers.length ? 14 : 0 } },
            plugins: {
              legend: { display: series.length > 1 },
              difyrunMarkers: { bins, markers },
              tooltip: { callbacks: { title: (items) => `${unit}: ${items[0].label}` } },
            },
            scales: {
              x: { ticks: { maxRotation: 0, autoSkipPadding: 12 }, grid: { display: false } },
              y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'rows' } },
            },
          },
          plugins: [markerPlugin],
        }),
    );
  }
  return panel;
}

/** A doughnut of labelled counts (zero slices left out). */
function doughnutPanel(title, slices, extra) {
  const shown = slices.filter((slice) => slice.value > 0);
  const canvas = h('canvas', { role: 'img', 'aria-label': title });
  const panel = h(
    'section',
    { className: 'panel' },
    h('h2', {}, title),
    shown.length ? h('div', { className: 'chart' }, canvas) : h('div', { className: 'empty' }, 'No rows'),
    extra,
  );
  if (shown.length) {
    queueMicrotask(
      () =>
        new Chart(canvas, {
          type: 'doughnut',
          data: {
            labels: shown.map((s) => `${s.label} (${fmt.int(s.value)})`),
            datasets: [{ data: shown.map((s) => s.value), backgroundColor: shown.map((s) => s.color), borderWidth: 1 }],
          },
          options: { cutout: '58%', plugins: { legend: { position: 'right' } } },
        }),
    );
  }
  return panel;
}

/** Horizontal bars, one per label, with one dataset per run. */
function barsPanel(title, labels, series, { max, format } = {}) {
  const canvas = h('canvas', { role: 'img', 'aria-label': title });
  const height = Math.min(320, 40 + labels.length * (18 + 10 * series.length));
  const panel = h('section', { className: 'panel' }, h('h2', {}, title), h('div', { className: 'chart', style: `height:${height}px` }, canvas));
  queueMicrotask(
    () =>
      new Chart(canvas, {
        type: 'bar',
        data: { labels, datasets: series.map((s) => ({ label: s.label, data: s.values, backgroundColor: s.color, borderRadius: 2 })) },
        options: {
          indexAxis: 'y',
          plugins: {
            legend: { display: series.length > 1 },
            tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format ? format(item.raw) : item.raw}` } },
          },
          scales: { x: { beginAtZero: true, max, ticks: { callback: (value) => (format ? format(value) : value) } }, y: { ticks: { autoSkip: false } } },
        },
      }),
  );
  return panel;
}
