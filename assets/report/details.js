/* difyrun report, part 4: a row's details (inputs, outputs, checks) and, in a compare, both runs side by side with differences marked. */
/* global h, fmt, asText, preview, pill */

function valueBlock(value) {
  return h('pre', { className: 'value' }, asText(value));
}

/** Expectation columns (expect:…) are shown with the checks, not as inputs. */
const isExpectation = (name) => /^expect(_[a-z]+)?:/.test(name);

function keyValues(title, object) {
  const entries = Object.entries(object || {}).filter(([key]) => !isExpectation(key));
  return h(
    'div',
    {},
    h('h2', {}, title),
    entries.length
      ? h(
          'dl',
          { className: 'kv' },
          entries.map(([key, value]) => [h('dt', {}, key), h('dd', {}, valueBlock(value))]),
        )
      : h('div', { className: 'empty' }, object ? 'none' : 'no outputs'),
  );
}

function checksList(checks, inputs) {
  if (!checks.length) return null;
  return h(
    'div',
    {},
    h('h2', {}, 'Checks'),
    checks.map(([column, pass, message]) =>
      h(
        'div',
        { className: 'check' },
        pill(pass ? 'pass' : 'fail', pass ? 'pass' : 'fail'),
        ' ',
        h('code', {}, column),
        ' ',
        h('span', { className: 'expected' }, preview(inputs[column], 200)),
        message ? h('div', { className: 'msg' }, message) : null,
      ),
    ),
  );
}

function rowMeta(row) {
  const parts = [
    row.r && `run ${row.r}`,
    row.w && `workflow ${row.w}`,
    row.x && `finished ${row.x}`,
    row.l !== null && `latency ${fmt.ms(row.l)}`,
    row.t !== null && `tokens ${fmt.int(row.t)}`,
    row.c !== null && `cost ${fmt.price(row.c)}`,
  ].filter(Boolean);
  return h('div', { className: 'meta' }, parts.join(' · '));
}

function errorBlock(row) {
  return row.e ? h('div', { className: 'check' }, pill('failed', row.e.code), ' ', row.e.message) : null;
}

function singleDetail(row) {
  return h(
    'div',
    {},
    errorBlock(row),
    h('div', { className: 'detail-grid' }, keyValues('Inputs', row.i), keyValues('Outputs', row.o), checksList(row.k, row.i)),
    rowMeta(row),
  );
}

/** Marks what differs between two values: `side` "a" shows removals, "b" additions. */
function diffBlock(a, b, side) {
  const textA = asText(a);
  const textB = asText(b);
  if (a === undefined || b === undefined || textA === textB) return valueBlock(side === 'a' ? a : b);
  const long = textA.length + textB.length > 20000;
  const parts = long || typeof a !== 'string' || typeof b !== 'string' ? Diff.diffLines(textA, textB) : Diff.diffWordsWithSpace(textA, textB);
  const pre = h('pre', { className: 'value' });
  for (const part of parts) {
    if (part.added) {
      if (side === 'b') pre.append(h('ins', {}, part.value));
    } else if (part.removed) {
      if (side === 'a') pre.append(h('del', {}, part.value));
    } else pre.append(part.value);
  }
  return pre;
}

function sideBySide(title, a, b, names) {
  return h(
    'div',
    {},
    h('h2', {}, title),
    names.map((name) =>
      h(
        'div',
        {},
        h(
          'div',
          { className: 'side' },
          h(
            'div',
            {},
            h('h3', { className: 'a' }, `${name} — A`),
            a && name in a ? diffBlock(a[name], b ? b[name] : undefined, 'a') : h('div', { className: 'empty' }, 'absent'),
          ),
          h(
            'div',
            {},
            h('h3', { className: 'b' }, `${name} — B`),
            b && name in b ? diffBlock(a ? a[name] : undefined, b[name], 'b') : h('div', { className: 'empty' }, 'absent'),
          ),
        ),
      ),
    ),
  );
}

function pairDetail(pair) {
  const a = pair.a;
  const b = pair.b;
  const outputs = [...new Set([...Object.keys((a && a.o) || {}), ...Object.keys((b && b.o) || {})])];
  const sent = (row) => JSON.stringify(Object.entries(row.i).filter(([key]) => !isExpectation(key)));
  const inputsDiffer = a && b && sent(a) !== sent(b);
  return h(
    'div',
    {},
    h(
      'div',
      { className: 'side' },
      h('div', {}, h('h3', { className: 'a' }, 'A'), a ? [pill(a.s), ' ', errorBlock(a), rowMeta(a)] : h('div', { className: 'empty' }, 'not in A')),
      h('div', {}, h('h3', { className: 'b' }, 'B'), b ? [pill(b.s), ' ', errorBlock(b), rowMeta(b)] : h('div', { className: 'empty' }, 'not in B')),
    ),
    outputs.length ? sideBySide('Outputs', a && a.o, b && b.o, outputs) : null,
    inputsDiffer
      ? sideBySide(
          'Inputs (they differ)',
          a.i,
          b.i,
          [...new Set([...Object.keys(a.i), ...Object.keys(b.i)])].filter((key) => !isExpectation(key)),
        )
      : keyValues('Inputs', (a || b).i),
    h('div', { className: 'side' }, h('div', {}, a ? checksList(a.k, a.i) : null), h('div', {}, b ? checksList(b.k, b.i) : null)),
  );
}
