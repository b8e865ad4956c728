// /static/style.css, compiled in (see assets.h). Edit here; it is served as written.
#include "server/assets/assets.h"

namespace mimicit::server {

const std::string_view kStyleCss = R"CSS(/* mimicit serve */
:root {
  --fg: #1d2330; --muted: #5f6b7a; --bg: #f6f7f9; --card: #fff; --line: #d9dde3;
  --accent: #2b5797; --bar: #4a78c2; --error: #b3261e; --ok: #1e7b34;
}
* { box-sizing: border-box; }
html { overflow-y: scroll; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
header { background: var(--accent); }
header nav { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 18px; padding: 8px 20px; }
header nav a { color: #fff; text-decoration: none; }
header nav a.brand { font-weight: 700; letter-spacing: .02em; margin-right: 12px; }
header form.search { margin-left: auto; display: flex; gap: 4px; }
header form.search input { width: 300px; max-width: 60vw; padding: 4px 8px; border: 0; border-radius: 3px; }
header form.search button { border: 0; border-radius: 3px; padding: 4px 10px; cursor: pointer; }
main { max-width: 1200px; margin: 0 auto; padding: 12px 20px 40px; }
footer { text-align: center; color: var(--muted); font-size: 12px; padding: 16px; }
h1 { font-size: 24px; margin: 12px 0; }
h1.sample-id { word-break: break-all; }
h2 { font-size: 18px; margin: 18px 0 8px; }
h2 .count { font-weight: 400; color: var(--muted); font-size: 15px; }
.muted { color: var(--muted); }
.error { color: var(--error); white-space: pre-wrap; }
.ok { color: var(--ok); }
section.group, .sample-card, figure.chart, section.images, section.record, section.prompt, section.turns,
section.findings, section.raw { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; margin: 12px 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; word-break: break-word; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
a.button { display: inline-block; padding: 4px 12px; border-radius: 4px; background: var(--accent); color: #fff; text-decoration: none; }
pre.text, pre.prompt { white-space: pre-wrap; word-break: break-word; margin: 4px 0; padding: 8px; background: #f1f3f6; border-radius: 4px; font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
pre.prompt { background: #eef3fb; }
pre.answer { background: #f3f8f1; }
.field .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.thumbs { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-end; margin: 6px 0; }
a.thumb { display: inline-block; border: 1px solid var(--line); border-radius: 4px; background: #fff; padding: 2px; line-height: 0; }
a.thumb img { max-height: 140px; max-width: 220px; }
.controls { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; margin: 8px 0; }
.controls .status { color: var(--muted); }
input.jump { width: 110px; }
.card-head { display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
.card-head .index { color: var(--muted); font-variant-numeric: tabular-nums; }
.card-head a.sample-link { font-weight: 600; word-break: break-all; }
details { margin: 6px 0; }
summary { cursor: pointer; color: var(--accent); }
p.formats a.format { margin-right: 6px; }
p.formats a.current { font-weight: 700; text-decoration: none; color: var(--fg); }
ol.turns li { margin-bottom: 8px; }
ul.findings .kind, td.kind { font-family: ui-monospace, monospace; font-size: 13px; }
ul.kinds { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 14px; }
ul.kinds a.current { font-weight: 700; color: var(--fg); text-decoration: none; }
mark { background: #ffe28a; }
figure.chart { margin: 12px 0; }
figure.chart figcaption { font-weight: 600; margin-bottom: 6px; }
svg.histogram, svg.bars { width: 100%; max-width: 760px; height: auto; display: block; }
svg .bar { fill: var(--bar); }
svg .bar:hover { fill: var(--accent); }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg text { font: 11px system-ui, sans-serif; fill: var(--fg); }
svg text.end { text-anchor: end; }
svg text.middle { text-anchor: middle; }
svg text.axis-label { fill: var(--muted); }
p.note { background: #fff8e1; border: 1px solid #f0dca0; border-radius: 4px; padding: 8px 12px; }
.lightbox { position: fixed; inset: 0; background: rgba(10, 14, 20, .82); display: flex; align-items: center; justify-content: center; z-index: 10; }
.lightbox .frame { background: #fff; padding: 10px; border-radius: 6px; max-width: 94vw; max-height: 94vh; display: flex; flex-direction: column; gap: 6px; }
.lightbox img.full { max-width: 90vw; max-height: 82vh; object-fit: contain; }
.lightbox .caption { font-size: 13px; word-break: break-all; }
.lightbox .caption .size { color: var(--muted); }
)CSS";

}  // namespace mimicit::server
