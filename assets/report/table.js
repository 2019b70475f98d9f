/* difyrun report, part 3: a paged table over every row (100,000 rows stay fast: only one page is in the DOM). */
/* global h, fmt */

class PagedTable {
  /**
   * columns: [{ title, value(row) for sorting, cell(row) → text or node, num }]; detail(row) → node
   * shown when a row is clicked; searchText(row) → text the search looks in.
   */
  constructor({ columns, rows, total = rows.length, detail, searchText, pageSize = 100 }) {
    this.columns = columns;
    this.rows = rows;
    /** Until setRows: only the first rows are here (the page shows them while it reads the rest). */
    this.total = total;
    this.loading = rows.length < total;
    this.whenLoaded = [];
    this.detail = detail;
    this.searchText = searchText;
    this.pageSize = pageSize;
    this.page = 0;
    this.sort = null;
    this.open = new Set();
    this.filter = () => true;
    this.query = '';
    this.haystacks = null;
    this.view = rows;
    this.head = h(
      'tr',
      {},
      columns.map((column, index) =>
        h(
          'th',
          {
            className: column.num ? 'num' : '',
            style: column.width ? `width:${column.width}` : null,
            title: `Sort by ${column.title}`,
            onclick: () => this.sortBy(index),
          },
          column.title,
        ),
      ),
    );
    this.body = h('tbody');
    this.count = h('span', { className: 'count', id: 'row-count' });
    this.position = h('span', { id: 'page-position' });
    this.previous = h('button', { type: 'button', onclick: () => this.go(this.page - 1) }, '‹ Prev');
    this.next = h('button', { type: 'button', onclick: () => this.go(this.page + 1) }, 'Next ›');
    const sizes = h(
      'select',
      {
        'aria-label': 'Rows per page',
        onchange: (event) => {
          this.pageSize = Number(event.target.value);
          this.go(0);
        },
      },
      [50, 100, 250, 1000].map((size) => h('option', { value: size, selected: size === pageSize }, `${size} / page`)),
    );
    this.pager = h('div', { className: 'pager' }, this.position, this.previous, this.next, sizes);
    // Text columns keep at least 100px: on a narrow screen the table scrolls sideways rather than squeezing them to nothing.
    const minWidth = columns.reduce((sum, column) => sum + (column.width ? parseInt(column.width, 10) : 100), 0);
    this.element = h(
      'div',
      { className: 'table-scroll' },
      h('table', { className: 'rows', style: `min-width:${minWidth}px` }, h('thead', {}, this.head), this.body),
    );
  }

  /** Every row, once the page has read them all: search, filters, sorting and paging then cover them. */
  setRows(rows) {
    this.rows = rows;
    this.total = rows.length;
    this.haystacks = null;
    this.loading = false;
    this.setFilter(this.filter, this.query);
    for (const callback of this.whenLoaded) callback();
  }

  /** Keeps the rows for which `predicate` holds and whose text contains `query` (case-insensitive). */
  setFilter(predicate, query) {
    this.filter = predicate;
    this.query = (query || '').trim().toLowerCase();
    if (this.query && !this.haystacks) this.haystacks = this.rows.map((row) => this.searchText(row).toLowerCase());
    const view = [];
    for (let i = 0; i < this.rows.length; i++) {
      if (predicate(this.rows[i]) && (!this.query || this.haystacks[i].includes(this.query))) view.push(this.rows[i]);
    }
    this.view = view;
    this.applySort();
    this.go(0);
  }

  sortBy(index) {
    this.sort = this.sort && this.sort.index === index ? { index, desc: !this.sort.desc } : { index, desc: false };
    [...this.head.children].forEach((th, i) => {
      th.classList.toggle('sorted', i === index);
      th.classList.toggle('desc', i === index && this.sort.desc);
    });
    this.applySort();
    this.go(0);
  }

  applySort() {
    if (!this.sort) return;
    const value = this.columns[this.sort.index].value;
    const sign = this.sort.desc ? -1 : 1;
    const keyed = this.view.map((row) => [value(row), row]);
    // Empty values sort last either way; numbers by value, text naturally ("r2" before "r10").
    keyed.sort(([a], [b]) => {
      const emptyA = a === null || a === undefined || a === '';
      const emptyB = b === null || b === undefined || b === '';
      if (emptyA || emptyB) return emptyA === emptyB ? 0 : emptyA ? 1 : -1;
      if (typeof a === 'number' && typeof b === 'number') return sign * (a - b);
      return sign * collator.compare(String(a), String(b));
    });
    this.view = keyed.map(([, row]) => row);
  }

  go(page) {
    const pages = Math.max(1, Math.ceil(this.view.length / this.pageSize));
    this.page = Math.max(0, Math.min(pages - 1, page));
    const from = this.page * this.pageSize;
    const shown = this.view.slice(from, from + this.pageSize);
    const filtered = this.view.length !== this.rows.length;
    this.count.textContent = this.loading
      ? `${fmt.int(this.total)} rows (reading them; the first ${fmt.int(this.rows.length)} are shown)`
      : `${fmt.int(this.view.length)} ${this.view.length === 1 ? 'row' : 'rows'}${filtered ? ` (filtered from ${fmt.int(this.rows.length)})` : ''}`;
    this.position.textContent = this.view.length
      ? `${fmt.int(from + 1)}–${fmt.int(from + shown.length)} · page ${fmt.int(this.page + 1)} of ${fmt.int(pages)}`
      : '';
    this.previous.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
    const fragment = document.createDocumentFragment();
    for (const row of shown) {
      const tr = h(
        'tr',
        { className: 'row', tabindex: 0 },
        this.columns.map((column) => h('td', { className: column.num ? 'num' : '' }, column.cell(row))),
      );
      const toggle = () => this.toggle(row, tr);
      tr.addEventListener('click', toggle);
      tr.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') toggle();
      });
      fragment.append(tr);
      if (this.open.has(row)) this.addDetail(row, tr, fragment);
    }
    if (!shown.length) fragment.append(h('tr', {}, h('td', { colspan: this.columns.length, className: 'empty' }, 'No rows match')));
    this.body.replaceChildren(fragment);
  }

  toggle(row, tr) {
    if (this.open.delete(row)) {
      tr.classList.remove('open');
      tr.nextSibling.remove();
    } else {
      this.open.add(row);
      const after = document.createDocumentFragment();
      this.addDetail(row, tr, after);
      tr.after(after);
    }
  }

  addDetail(row, tr, parent) {
    tr.classList.add('open');
    parent.append(h('tr', { className: 'detail' }, h('td', { colspan: this.columns.length }, this.detail(row))));
  }
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Search box, filter menu, row count and pager over `table`; options: [value, label, predicate]. */
function toolbar(table, options) {
  const search = h('input', { type: 'search', id: 'search', placeholder: 'Search ids, inputs, outputs, errors…', 'aria-label': 'Search' });
  const filter = h(
    'select',
    { id: 'status-filter', 'aria-label': 'Filter' },
    options.map(([value, label]) => h('option', { value }, label)),
  );
  let timer;
  const apply = () => table.setFilter(options.find(([value]) => value === filter.value)[2], search.value);
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(apply, 150);
  });
  // A filter change applies the search box as it stands: the search's pending timer would only
  // redraw the same rows a moment later, closing a row the reader has just opened.
  filter.addEventListener('change', () => {
    clearTimeout(timer);
    apply();
  });
  // Search, filter and sort wait for every row (a search over the first page alone would mislead).
  search.disabled = filter.disabled = table.loading;
  table.whenLoaded.push(() => {
    search.disabled = filter.disabled = false;
  });
  return h('div', { className: 'toolbar' }, search, filter, table.count, table.pager);
}
