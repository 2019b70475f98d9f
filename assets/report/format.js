/* difyrun report, part 1: DOM building (text nodes only: every value is untrusted text) and number formats. */

/** An element; string children become text nodes, never HTML. */
function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key === 'className') element.className = value;
    else element.setAttribute(key, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const numberFormat = new Intl.NumberFormat('en-US');

const fmt = {
  int: (n) => (n === null || n === undefined ? '–' : numberFormat.format(Math.round(n))),
  num: (n, digits = 2) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits })),
  pct: (x) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`),
  ms: (n) => {
    if (n === null || n === undefined) return '–';
    if (Math.abs(n) >= 60000) return `${(n / 60000).toFixed(1)} min`;
    if (Math.abs(n) >= 10000) return `${(n / 1000).toFixed(1)} s`;
    if (Math.abs(n) >= 1000) return `${(n / 1000).toFixed(2)} s`;
    return `${Math.round(n)} ms`;
  },
  seconds: (s) => (s === null || s === undefined ? '–' : fmt.ms(s * 1000)),
  price: (n, currency) =>
    n === null || n === undefined ? '–' : `${Number(n).toLocaleString('en-US', { maximumFractionDigits: 6 })}${currency ? ` ${currency}` : ''}`,
  rate: (rate) => (rate.total === 0 ? '–' : `${fmt.pct(rate.passed / rate.total)}`),
};

/** A value as text: strings as they are, anything else as pretty JSON. */
function asText(value) {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** A one-line preview of a value for a table cell. */
function preview(value, limit = 160) {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
  const line = text.replace(/\s+/g, ' ');
  return line.length > limit ? `${line.slice(0, limit - 1)}…` : line;
}

/** "+12%" style change from a to b, with a class saying whether it went up or down. */
function delta(a, b, { goodWhenUp = false, format = fmt.num } = {}) {
  if (a === null || b === null || a === undefined || b === undefined) return h('span', { className: 'delta' }, '');
  const diff = b - a;
  if (diff === 0) return h('span', { className: 'delta' }, 'no change');
  const relative = a !== 0 ? ` (${diff >= 0 ? '+' : ''}${((100 * diff) / Math.abs(a)).toFixed(1)}%)` : '';
  const direction = diff > 0 ? 'up' : diff < 0 ? 'down' : '';
  return h('span', { className: `delta ${direction} ${goodWhenUp ? 'good' : ''}` }, `${diff >= 0 ? '+' : '−'}${format(Math.abs(diff))}${relative}`);
}

function pill(kind, label) {
  return h('span', { className: `pill ${kind}` }, label || kind.replace('_', ' '));
}

function card(label, value, note, kind) {
  return h(
    'div',
    { className: `card ${kind || ''}` },
    h('div', { className: 'label' }, label),
    h('div', { className: 'value', title: value }, value),
    note ? h('div', { className: 'note' }, note) : null,
  );
}
