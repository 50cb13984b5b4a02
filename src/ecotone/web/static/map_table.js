// The map's data table: every actor (or hub) on the map as a row, sortable, filterable and paged, its selection
// shared with the map (a row's button selects on the map; a selection on the map shows its row).
"use strict";
window.EcotoneMapTable = (function () {
  const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

  // columns: [{key, label, numeric}]; rows: objects with `key` (the map's node key) and one value per column.
  function create(root, { columns, onSelect, pageSize = 100, caption = "Actors on the map", sortBy = null }) {
    const esc = Ecotone.escape;
    let rows = [], shown = [], haystacks = new Map(), page = 0, selected = null;
    let descending = Boolean(sortBy && (columns.find((c) => c.key === sortBy) || {}).numeric);
    let filterTimer = null;
    root.innerHTML = `<div class="map-table-tools">
        <label>Filter the table <input type="search" class="map-table-filter" placeholder="name, type, hub, country…" autocomplete="off"></label>
        <p class="map-table-count" aria-live="polite"></p></div>
      <div class="table-wrap map-table-wrap"><table class="map-table"><caption></caption><thead><tr></tr></thead><tbody></tbody></table></div>
      <nav class="pager map-table-pager" aria-label="Pages of the table">
        <button type="button" class="secondary small" data-step="-1">Previous page</button>
        <span class="map-table-page"></span>
        <button type="button" class="secondary small" data-step="1">Next page</button></nav>`;
    const filter = root.querySelector(".map-table-filter"), wrap = root.querySelector(".map-table-wrap");
    const body = root.querySelector("tbody"), headRow = root.querySelector("thead tr");
    const count = root.querySelector(".map-table-count"), pageLabel = root.querySelector(".map-table-page");
    const [prev, next] = root.querySelectorAll(".map-table-pager button");

    function setColumns(cols, newCaption) {
      columns = cols;
      if (newCaption) caption = newCaption;
      root.querySelector("caption").textContent = caption;
      if (!columns.some((c) => c.key === sortBy)) { sortBy = columns.find((c) => c.numeric) ? columns.find((c) => c.numeric).key : null; descending = true; }
      headRow.innerHTML = columns.map((c) => `<th scope="col" data-key="${esc(c.key)}"${c.numeric ? ' class="num"' : ""}>
        <button type="button" class="sort">${esc(c.label)}</button></th>`).join("");
      headRow.querySelectorAll("th").forEach((th) => th.querySelector("button").addEventListener("click", () => sort(th.dataset.key)));
      markSort();
    }

    function markSort() {
      headRow.querySelectorAll("th").forEach((th) => {
        if (th.dataset.key === sortBy) th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        else th.removeAttribute("aria-sort");
      });
    }

    function compare(key, numeric) {
      const sign = descending ? -1 : 1;
      if (numeric) return (a, b) => sign * ((a[key] ?? -Infinity) - (b[key] ?? -Infinity)) || collator.compare(a.name ?? "", b.name ?? "");
      return (a, b) => {
        const x = a[key], y = b[key];
        if (x === y) return 0;
        if (x === null || x === undefined || x === "") return 1;  // blanks last, whichever the direction
        if (y === null || y === undefined || y === "") return -1;
        return sign * collator.compare(String(x), String(y));
      };
    }

    // The rows the filter keeps, in the chosen order
    function recompute() {
      const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      shown = words.length ? rows.filter((r) => { const text = haystacks.get(r.key); return words.every((w) => text.includes(w)); }) : rows.slice();
      if (sortBy) {
        const col = columns.find((c) => c.key === sortBy);
        shown.sort(compare(sortBy, col && col.numeric));
      }
    }

    function cell(row, col) {
      const value = row[col.key];
      if (col.key === "name") {
        const current = row.key === selected ? ' aria-current="true"' : "";
        return `<td><button type="button" class="row-pick" data-key="${esc(row.key)}"${current}>${esc(value ?? "")}</button></td>`;
      }
      const text = col.format ? col.format(value) : Ecotone.format(value);
      return `<td${col.numeric ? ' class="num"' : ""}>${esc(text)}</td>`;
    }

    function render() {
      const pages = Math.max(1, Math.ceil(shown.length / pageSize));
      page = Math.min(Math.max(0, page), pages - 1);
      const slice = shown.slice(page * pageSize, (page + 1) * pageSize);
      body.innerHTML = slice.length ? slice.map((r) => `<tr data-key="${esc(r.key)}"${r.key === selected ? ' class="selected"' : ""}>${columns.map((c) => cell(r, c)).join("")}</tr>`).join("")
        : `<tr><td colspan="${columns.length}" class="empty">${rows.length ? "No row matches the filter: clear it to see every row." : "Nothing on the map."}</td></tr>`;
      count.textContent = shown.length === rows.length ? `${rows.length.toLocaleString()} rows` : `${shown.length.toLocaleString()} of ${rows.length.toLocaleString()} rows`;
      pageLabel.textContent = `page ${page + 1} of ${pages}`;
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
    }

    // Filter again and open the page that holds the selected row (the first page when it is filtered out)
    function refilter() {
      clearTimeout(filterTimer);
      filterTimer = null;
      recompute();
      const at = selected === null ? -1 : shown.findIndex((r) => r.key === selected);
      page = at >= 0 ? Math.floor(at / pageSize) : 0;
    }

    function sort(key) {
      if (sortBy === key) descending = !descending;
      else { sortBy = key; const col = columns.find((c) => c.key === key); descending = Boolean(col && col.numeric); }
      markSort();
      recompute();
      page = 0;
      render();
    }

    function setRows(newRows) {
      rows = newRows;
      haystacks = new Map(rows.map((r) => [r.key, columns.filter((c) => !c.numeric).map((c) => c.format ? c.format(r[c.key]) : r[c.key] ?? "").join(" ").toLowerCase()]));
      if (selected !== null && !haystacks.has(selected)) selected = null;
      refilter();
      render();
    }

    // Show `key`'s row (its page, scrolled to inside the table's own box, not the page); null clears the mark
    function select(key) {
      selected = key === null || key === undefined ? null : String(key);
      if (filterTimer !== null) refilter();  // a filter still being typed applies now, not over this selection later
      const at = selected === null ? -1 : shown.findIndex((r) => r.key === selected);
      if (at >= 0) page = Math.floor(at / pageSize);
      render();
      const tr = selected === null ? null : body.querySelector(`tr[data-key="${CSS.escape(selected)}"]`);
      if (tr) wrap.scrollTop = Math.max(0, tr.offsetTop - wrap.clientHeight / 2);
      return Boolean(tr);
    }

    body.addEventListener("click", (ev) => {
      const button = ev.target.closest("button.row-pick");
      if (button) onSelect(button.dataset.key);
    });
    filter.addEventListener("input", () => {
      clearTimeout(filterTimer);
      filterTimer = setTimeout(() => { refilter(); render(); }, 150);
    });
    filter.addEventListener("keydown", (ev) => { if (ev.key === "Enter") ev.preventDefault(); });
    prev.addEventListener("click", () => { page -= 1; render(); });
    next.addEventListener("click", () => { page += 1; render(); });
    setColumns(columns, caption);

    return {
      setRows, select, setColumns,
      get rows() { return shown; },
      get page() { return page; },
      filter(text) { filter.value = text; refilter(); render(); },
    };
  }

  return { create };
})();
