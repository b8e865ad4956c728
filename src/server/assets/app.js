// mimicit serve: the viewer's one script. Dataset text only ever reaches the
// page through textContent (el() and Element.append of strings), never as
// HTML; pages pass parameters in data-* attributes and the URL.
'use strict';

(function () {
  // -------------------------------------------------------------------------
  // Helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child !== undefined && child !== null) node.append(child);
    }
    return node;
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: 'application/json' } });
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!response.ok) throw new Error((body && body.error) || response.status + ' ' + response.statusText);
    return body;
  }

  function errorBox(error) {
    return el('p', { class: 'error', text: String((error && error.message) || error) });
  }

  function query() {
    return new URLSearchParams(window.location.search);
  }

  function sampleHref(id, group, format) {
    const params = new URLSearchParams();
    if (group) params.set('group', group);
    if (format) params.set('format', format);
    return '/sample/' + encodeURIComponent(id) + (params.toString() ? '?' + params.toString() : '');
  }

  function thumb(imageId) {
    const id = encodeURIComponent(imageId);
    return el('a', { class: 'thumb', href: '/image/' + id, title: imageId },
      el('img', { src: '/thumb/' + id, alt: imageId, loading: 'lazy' }));
  }

  function number(n) {
    return Number(n).toLocaleString('en-US');
  }

  function textBlock(label, text, cls) {
    return el('div', { class: 'field' }, el('div', { class: 'label', text: label }),
      el('pre', { class: 'text ' + (cls || ''), text: text }));
  }

  const FORMATS = ['simple', 'llama2', 'idefics', 'fuyu'];

  function select(name, options, current, label) {
    const node = el('select', { name: name, 'aria-label': label });
    for (const option of options) {
      const value = typeof option === 'string' ? option : option.value;
      const text = typeof option === 'string' ? option : option.text;
      node.append(el('option', { value: value, selected: value === current ? 'selected' : null, text: text }));
    }
    return node;
  }

  // -------------------------------------------------------------------------
  // Full-size images: a click on a thumbnail opens the image in an overlay
  // (the link still works without the script, and with a modifier key).

  function installLightbox() {
    document.addEventListener('click', (event) => {
      const link = event.target.closest && event.target.closest('a.thumb');
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      openLightbox(link.getAttribute('href'), link.getAttribute('title') || '');
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeLightbox();
    });
  }

  function openLightbox(href, caption) {
    closeLightbox();
    const image = el('img', { class: 'full', src: href, alt: caption });
    const info = el('span', { class: 'size' });
    image.addEventListener('load', () => {
      info.textContent = image.naturalWidth + ' x ' + image.naturalHeight;
    });
    image.addEventListener('error', () => {
      info.textContent = 'cannot be shown by the browser';
    });
    const box = el('div', { id: 'lightbox', class: 'lightbox', role: 'dialog', 'aria-label': caption },
      el('div', { class: 'frame' }, image,
        el('div', { class: 'caption' }, el('span', { class: 'image-id', text: caption }), ' ', info, ' ',
          el('a', { href: href, text: 'open' }), ' ',
          el('button', { type: 'button', class: 'close', text: 'Close' }))));
    box.addEventListener('click', (event) => {
      if (event.target === box || event.target.classList.contains('close')) closeLightbox();
    });
    document.body.append(box);
  }

  function closeLightbox() {
    const box = document.getElementById('lightbox');
    if (box) box.remove();
  }

  // -------------------------------------------------------------------------
  // Browse: a page of a group's training list.

  async function browsePage(app) {
    const params = query();
    const summary = await getJson('/api/summary');
    const groups = summary.groups.filter((g) => !g.error).map((g) => g.group);
    if (groups.length === 0) {
      app.replaceChildren(el('p', { text: 'No group could be opened; see the datasets page.' }));
      return;
    }
    const state = {
      group: groups.includes(params.get('group')) ? params.get('group') : groups[0],
      format: FORMATS.includes(params.get('format')) ? params.get('format') : document.body.dataset.format || 'simple',
      limit: Math.min(Math.max(parseInt(params.get('limit') || '20', 10) || 20, 1), 100),
      offset: Math.max(parseInt(params.get('offset') || '0', 10) || 0, 0),
    };
    const groupSelect = select('group', groups, state.group, 'Group');
    const formatSelect = select('format', FORMATS, state.format, 'Instruction format');
    const limitSelect = select('limit', ['10', '20', '50', '100'], String(state.limit), 'Samples per page');
    const prev = el('button', { type: 'button', class: 'prev', text: 'Previous' });
    const next = el('button', { type: 'button', class: 'next', text: 'Next' });
    const jump = el('input', { type: 'number', min: '0', name: 'offset', 'aria-label': 'First sample', class: 'jump' });
    const status = el('span', { class: 'status' });
    const list = el('div', { class: 'samples' });
    app.replaceChildren(
      el('div', { class: 'controls' },
        el('label', {}, 'Group ', groupSelect), el('label', {}, 'Format ', formatSelect),
        el('label', {}, 'Per page ', limitSelect), prev, next, el('label', {}, 'From ', jump), status),
      list);

    async function load() {
      const url = '/api/samples?' + new URLSearchParams({
        group: state.group, offset: state.offset, limit: state.limit, format: state.format,
      }).toString();
      history.replaceState(null, '', '/browse?' + new URLSearchParams({
        group: state.group, offset: state.offset, limit: state.limit, format: state.format,
      }).toString());
      status.textContent = 'Loading...';
      try {
        const page = await getJson(url);
        const last = page.offset + page.samples.length;
        status.textContent = page.total === 0 ? 'No samples'
          : 'Samples ' + number(page.offset + 1) + '-' + number(last) + ' of ' + number(page.total);
        prev.disabled = page.offset === 0;
        next.disabled = last >= page.total;
        jump.value = String(page.offset);
        jump.max = String(Math.max(page.total - 1, 0));
        list.replaceChildren(...page.samples.map((s) => sampleCard(s, state.format)));
      } catch (error) {
        status.textContent = '';
        list.replaceChildren(errorBox(error));
      }
    }

    groupSelect.addEventListener('change', () => { state.group = groupSelect.value; state.offset = 0; load(); });
    formatSelect.addEventListener('change', () => { state.format = formatSelect.value; load(); });
    limitSelect.addEventListener('change', () => { state.limit = parseInt(limitSelect.value, 10); load(); });
    prev.addEventListener('click', () => { state.offset = Math.max(0, state.offset - state.limit); load(); });
    next.addEventListener('click', () => { state.offset += state.limit; load(); });
    jump.addEventListener('change', () => { state.offset = Math.max(0, parseInt(jump.value, 10) || 0); load(); });
    await load();
  }

  function sampleCard(sample, format) {
    const head = el('div', { class: 'card-head' },
      el('span', { class: 'index', text: '#' + sample.index }), ' ',
      el('a', { class: 'sample-link', href: sampleHref(sample.id, sample.group, format), text: sample.id }), ' ',
      el('span', { class: 'muted', text: sample.dataset }));
    const card = el('article', { class: 'sample-card' }, head);
    if (sample.images.length > 0) {
      const thumbs = el('div', { class: 'thumbs' }, ...sample.images.slice(0, 8).map(thumb));
      if (sample.images_total > 8) thumbs.append(el('span', { class: 'muted more', text: '+' + (sample.images_total - 8) + ' more' }));
      card.append(thumbs);
    }
    if (!sample.found) card.append(el('p', { class: 'error', text: 'No instruction record with this id.' }));
    card.append(textBlock('Instruction', sample.instruction, 'instruction'));
    card.append(textBlock('Answer', sample.answer, 'answer'));
    const prompt = el('details', { class: 'prompt' }, el('summary', { text: 'Prompt (' + format + ')' }));
    if (sample.prompt_error) prompt.append(errorBox(sample.prompt_error));
    else prompt.append(el('pre', { class: 'prompt', text: sample.prompt }));
    card.append(prompt);
    if (sample.turns.length > 0) {
      const turns = el('details', { class: 'turns' }, el('summary', { text: 'In-context turns (' + sample.turns.length + ')' }));
      const list = el('ol', {});
      for (const turn of sample.turns) {
        const item = el('li', {}, el('a', { href: sampleHref(turn.id, sample.group, format), text: turn.id }));
        if (!turn.found) item.append(' ', el('span', { class: 'error', text: 'no record' }));
        else item.append(el('pre', { class: 'text', text: turn.instruction }), el('pre', { class: 'text answer', text: turn.answer }));
        list.append(item);
      }
      turns.append(list);
      card.append(turns);
    }
    if (sample.truncated) card.append(el('p', { class: 'muted', text: 'Long texts are cut here; the sample page shows them in full.' }));
    return card;
  }

  // -------------------------------------------------------------------------
  // Search

  // `text` with the UTF-8 byte range [start, start + length) marked.
  function highlighted(text, start, length) {
    const bytes = new TextEncoder().encode(text);
    const decode = (a, b) => new TextDecoder().decode(bytes.slice(a, b));
    return el('span', { class: 'snippet' }, decode(0, start), el('mark', { text: decode(start, start + length) }),
      decode(start + length, bytes.length));
  }

  async function searchPage(app) {
    const q = query().get('q') || '';
    const input = document.querySelector('form.search input[name=q]');
    if (input) input.value = q;
    if (!q) {
      app.replaceChildren(el('p', { text: 'Type an instruction id, an image id or some text in the search box.' }));
      return;
    }
    const exact = el('div', { class: 'exact' });
    const table = el('table', { class: 'results' },
      el('thead', {}, el('tr', {}, ...['Instruction', 'Group', 'Dataset', 'Field', 'Match'].map((h) => el('th', { text: h })))));
    const body = el('tbody', {});
    table.append(body);
    const status = el('p', { class: 'status' });
    const more = el('button', { type: 'button', class: 'more', text: 'Continue searching' });
    more.hidden = true;
    app.replaceChildren(el('p', {}, 'Results for ', el('q', { class: 'query', text: q })), exact, table, status, more);
    let scanned = 0;
    let found = 0;

    async function load(cursor) {
      more.disabled = true;
      status.textContent = 'Searching...';
      try {
        const page = await getJson('/api/search?' + new URLSearchParams({ q: q, cursor: cursor }).toString());
        for (const hit of page.exact) {
          if (hit.kind === 'instruction') {
            exact.append(el('p', { class: 'hit' }, 'Instruction ', el('a', { href: sampleHref(hit.id, hit.group), text: hit.id }),
              ' in ' + hit.group));
          } else {
            exact.append(el('p', { class: 'hit' }, 'Image ', el('a', { href: '/image/' + encodeURIComponent(hit.id), text: hit.id }),
              ' in the ' + hit.group + ' store ', thumb(hit.id)));
          }
        }
        for (const r of page.results) {
          body.append(el('tr', {},
            el('td', {}, el('a', { href: sampleHref(r.id, r.group), text: r.id })),
            el('td', { text: r.group }), el('td', { text: r.dataset }),
            el('td', {}, r.field === 'image_ids' ? thumb(r.value) : null, ' ', r.field),
            el('td', {}, highlighted(r.snippet, r.match_start, r.match_length))));
        }
        found += page.results.length;
        scanned = page.next_cursor === null ? page.records_total : page.next_cursor;
        status.textContent = found + ' matching records; searched ' + number(scanned) + ' of ' + number(page.records_total) + ' records.';
        more.hidden = page.next_cursor === null;
        more.disabled = false;
        more.onclick = () => load(page.next_cursor);
      } catch (error) {
        status.replaceChildren(errorBox(error));
      }
    }
    await load(0);
  }

  // -------------------------------------------------------------------------
  // Statistics: charts drawn as inline SVG.

  const CHART_WIDTH = 640;

  function histogramChart(title, unit, h) {
    const figure = el('figure', { class: 'chart' }, el('figcaption', { text: title }));
    if (!h || h.n === 0) {
      figure.append(el('p', { class: 'muted', text: 'No values.' }));
      return figure;
    }
    const bins = h.bins;
    const height = 180;
    const left = 48;
    const bottom = 36;
    const plotWidth = CHART_WIDTH - left - 8;
    const max = Math.max(...bins.map((b) => b.count), 1);
    const barWidth = plotWidth / bins.length;
    const chart = svg('svg', { viewBox: '0 0 ' + CHART_WIDTH + ' ' + (height + bottom), class: 'histogram', role: 'img' });
    chart.append(svg('title', {}, title));
    chart.append(svg('line', { x1: left, y1: height, x2: left + plotWidth, y2: height, class: 'axis' }));
    chart.append(svg('text', { x: left - 6, y: 12, class: 'tick end' }, number(max)));
    chart.append(svg('text', { x: left - 6, y: height, class: 'tick end' }, '0'));
    bins.forEach((bin, i) => {
      const barHeight = (bin.count / max) * (height - 16);
      const label = bin.hi === null ? '>= ' + number(bin.lo) : bin.lo === bin.hi ? number(bin.lo) : number(bin.lo) + '-' + number(bin.hi);
      const rect = svg('rect', {
        x: left + i * barWidth + 1, y: height - barHeight, width: Math.max(barWidth - 2, 1), height: barHeight, class: 'bar',
      });
      rect.append(svg('title', {}, label + ' ' + unit + ': ' + number(bin.count)));
      chart.append(rect);
      const every = Math.ceil(bins.length / 8);
      if (i % every === 0 || i === bins.length - 1) {
        chart.append(svg('text', { x: left + i * barWidth + barWidth / 2, y: height + 16, class: 'tick middle' },
          bin.hi === null ? '>=' + number(bin.lo) : number(bin.lo)));
      }
    });
    chart.append(svg('text', { x: left + plotWidth / 2, y: height + 32, class: 'axis-label middle' }, unit));
    figure.append(chart);
    figure.append(el('p', { class: 'muted summary-line',
      text: 'n = ' + number(h.n) + ', min ' + number(h.min) + ', median ' + number(h.median) + ', p90 ' + number(h.p90) +
        ', p99 ' + number(h.p99) + ', max ' + number(h.max) }));
    return figure;
  }

  function datasetChart(datasets) {
    const figure = el('figure', { class: 'chart' }, el('figcaption', { text: 'Training samples per dataset (exact)' }));
    if (datasets.length === 0) {
      figure.append(el('p', { class: 'muted', text: 'No datasets.' }));
      return figure;
    }
    const row = 22;
    const labelWidth = 260;
    const plotWidth = CHART_WIDTH - labelWidth - 90;
    const max = Math.max(...datasets.map((d) => d.training), 1);
    const chart = svg('svg', { viewBox: '0 0 ' + CHART_WIDTH + ' ' + (datasets.length * row + 4), class: 'bars', role: 'img' });
    chart.append(svg('title', {}, 'Training samples per dataset'));
    datasets.forEach((d, i) => {
      const y = i * row + 2;
      const name = d.group + ' / ' + d.dataset;
      chart.append(svg('text', { x: labelWidth - 8, y: y + 15, class: 'label end' }, name.length > 40 ? name.slice(0, 39) + '...' : name));
      const width = (d.training / max) * plotWidth;
      const rect = svg('rect', { x: labelWidth, y: y + 3, width: Math.max(width, 1), height: row - 6, class: 'bar' });
      rect.append(svg('title', {}, name + ': ' + number(d.training) + ' training samples, ' + number(d.records) + ' records'));
      chart.append(rect);
      chart.append(svg('text', { x: labelWidth + width + 6, y: y + 15, class: 'label' }, number(d.training)));
    });
    figure.append(chart);
    return figure;
  }

  async function statsPage(app) {
    let timer = null;
    async function load() {
      try {
        const s = await getJson('/api/stats');
        const note = el('p', { class: 'note' },
          'Counts per dataset are exact. Lengths and image sizes are computed in the background on an evenly spaced sample of ' +
          number(s.records_sampled) + ' of ' + number(s.records_total) + ' records (at most ' + number(s.records_target) +
          ') and ' + number(s.images_probed) + ' of their images (at most ' + number(s.images_target) +
          ', sizes read from the image headers), so that start-up stays fast on millions of records.');
        const progress = el('p', { class: 'state' });
        if (s.state !== 'done') {
          progress.append('Computing... ', el('progress', { max: String(Math.max(s.records_target, 1)), value: String(s.records_sampled) }));
        } else {
          progress.textContent = 'Done in ' + s.seconds.toFixed(2) + ' s.';
        }
        const formats = Object.entries(s.formats).map(([k, v]) => k + ' ' + number(v)).join(', ');
        const images = el('p', { class: 'muted',
          text: 'Image formats: ' + (formats || 'none') + '. Missing from the store: ' + number(s.images_missing) +
            '. Unreadable headers: ' + number(s.images_unreadable) + '.' });
        app.replaceChildren(note, progress,
          datasetChart(s.datasets),
          histogramChart('Instruction length', 'characters', s.charts.instruction_chars),
          histogramChart('Answer length', 'characters', s.charts.answer_chars),
          histogramChart('Images per record', 'images', s.charts.images_per_record),
          histogramChart('Image width', 'pixels', s.charts.image_width),
          histogramChart('Image height', 'pixels', s.charts.image_height),
          images);
        document.body.dataset.state = s.state;
        if (s.state !== 'done') timer = setTimeout(load, 1000);
      } catch (error) {
        app.replaceChildren(errorBox(error));
        if (timer) clearTimeout(timer);
      }
    }
    await load();
  }

  // -------------------------------------------------------------------------
  // Validation findings, linked to the samples and images.

  async function validationPage(app) {
    const params = query();
    const kind = params.get('kind') || '';
    const offset = Math.max(parseInt(params.get('offset') || '0', 10) || 0, 0);
    const limit = 100;
    async function load() {
      let v;
      try {
        v = await getJson('/api/validation?' + new URLSearchParams({ kind: kind, offset: offset, limit: limit }).toString());
      } catch (error) {
        app.replaceChildren(errorBox(error));
        return;
      }
      document.body.dataset.state = v.state;
      if (v.state === 'disabled') {
        app.replaceChildren(el('p', { text: 'Validation is off (mimicit serve --no-validate). Run mimicit validate DATA.yaml instead.' }));
        return;
      }
      if (v.state === 'running' || v.state === 'idle') {
        app.replaceChildren(el('p', { class: 'state', text: 'Validation is running in the background...' }));
        setTimeout(load, 1000);
        return;
      }
      if (v.state === 'failed') {
        app.replaceChildren(errorBox(v.error));
        return;
      }
      const summary = v.summary;
      const kinds = el('ul', { class: 'kinds' });
      kinds.append(el('li', {}, el('a', { href: '/validation', class: kind ? '' : 'current', text: 'all (' + number(summary.problems) + ')' })));
      for (const [name, count] of Object.entries(summary.counts)) {
        if (count === 0) continue;
        kinds.append(el('li', {}, el('a', { href: '/validation?kind=' + encodeURIComponent(name), class: name === kind ? 'current' : '',
          text: name + ' (' + number(count) + ')' })));
      }
      const head = el('p', { class: 'summary' },
        (summary.problems === 0 ? 'No problems found' : number(summary.problems) + (summary.problems === 1 ? ' problem' : ' problems')) +
        ' in ' + number(summary.records) +
        ' records, ' + number(summary.image_refs) + ' image references, ' + number(summary.images) + ' stored images' +
        (summary.decoded ? ' (every image decoded)' : ' (images not decoded)') + '; ' + summary.seconds.toFixed(2) + ' s.');
      const notes = el('ul', { class: 'notes' }, ...summary.notes.map((n) => el('li', { text: n })));
      const table = el('table', { class: 'problems' },
        el('thead', {}, el('tr', {}, ...['Kind', 'Group', 'Dataset', 'Instruction', 'Image', 'Detail'].map((h) => el('th', { text: h })))));
      const body = el('tbody', {});
      for (const p of v.problems) {
        body.append(el('tr', {},
          el('td', { class: 'kind', text: p.kind }), el('td', { text: p.group }), el('td', { text: p.dataset }),
          el('td', {}, p.id && p.linked ? el('a', { class: 'sample-link', href: sampleHref(p.id, p.group), text: p.id }) : p.id),
          el('td', {}, p.image_id && p.image_stored ? el('a', { class: 'image-link', href: '/image/' + encodeURIComponent(p.image_id), text: p.image_id }) : p.image_id),
          el('td', { class: 'detail' }, el('span', { text: p.detail }), p.file ? el('div', { class: 'muted', text: p.file }) : null)));
      }
      table.append(body);
      const pager = el('p', { class: 'pager' });
      if (v.total > limit) {
        const link = (o, text) => el('a', { href: '/validation?' + new URLSearchParams({ kind: kind, offset: o }).toString(), text: text });
        if (offset > 0) pager.append(link(Math.max(0, offset - limit), 'Previous'), ' ');
        pager.append('Problems ' + number(offset + 1) + '-' + number(Math.min(offset + limit, v.total)) + ' of ' + number(v.total) + ' listed ');
        if (offset + limit < v.total) pager.append(link(offset + limit, 'Next'));
      }
      const omitted = summary.omitted > 0
        ? el('p', { class: 'muted', text: number(summary.omitted) + ' more problems are counted but not listed (at most ' + 'a fixed number per kind and dataset).' })
        : null;
      app.replaceChildren(head, kinds, notes, v.problems.length ? table : el('p', { class: 'ok', text: 'Nothing to list.' }), pager);
      if (omitted) app.append(omitted);
    }
    await load();
  }

  // -------------------------------------------------------------------------

  const pages = { browse: browsePage, search: searchPage, stats: statsPage, validation: validationPage };

  installLightbox();
  const run = pages[document.body.dataset.page];
  const app = document.getElementById('app');
  if (run && app) {
    run(app).catch((error) => app.replaceChildren(errorBox(error)));
  }
})();
