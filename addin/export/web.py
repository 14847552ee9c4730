"""HTML for the municipal website (JIS X 8341-3 / WCAG 2.1 AA for tables).

One self-contained page: inline CSS, an inline SVG chart, no scripts, no external assets.

* The KPI list is the page's only data table: one ``<caption>``, column headers ``<th scope="col">``, each goal
  a ``<tbody>`` whose first row is a ``<th scope="rowgroup">`` heading carrying that goal's tally, each KPI
  name a ``<th scope="row">``.
* The tally per goal is not a second table: it is the chart's text alternative, a definition list
  (``<dl>``: goal → "目標達成 10件、改善↑ 5件…") right under the chart, referenced by the figure's caption,
  and each goal's counts are repeated in the goal's heading row of the table.  A screen reader reads the
  same figures linearly, the page keeps a single table with a single caption, and no layout table is used.
* Status is always text (目標達成, 未達成↓ ...); the colour is decoration only.
* Every text from the workbook goes through ``html.escape``.
"""
from __future__ import annotations

import html
from pathlib import Path

from ..core.evaluate import Evaluation
from .public import PublicReport, public_report
from .xlsx import chart_palette

CSS = """
*{box-sizing:border-box}
body{font-family:"BIZ UDPGothic","BIZ UDPゴシック","Yu Gothic","游ゴシック","Hiragino Sans","IPAexGothic",sans-serif;
 color:#1a1a1a;background:#fff;line-height:1.6;margin:0 auto;padding:1.5rem;max-width:72rem;overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%}
.scroll:focus{outline:3px solid #1a5fb4;outline-offset:2px}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:2px solid #2f5597}
.sub{margin:0 0 1rem}
figure{margin:0 0 1rem}figcaption{font-size:.95rem}
svg text{font-family:inherit}
dl.tally{display:grid;grid-template-columns:minmax(12rem,28rem) 1fr;gap:.25rem 1rem;margin:.5rem 0}
dl.tally dt{font-weight:bold}dl.tally dd{margin:0}
dl.classes dt{font-weight:bold;display:inline}dl.classes dd{display:inline;margin:0 1.5rem 0 .25rem}
table{border-collapse:collapse;min-width:100%;font-size:.95rem}
th[scope=row]{min-width:12rem}
caption{text-align:left;font-weight:bold;padding:.25rem 0}
th,td{border:1px solid #767676;padding:.3rem .5rem;vertical-align:top}
thead th{background:#d9e1f2}
th[scope=rowgroup]{background:#f2f2f2;text-align:left}
th[scope=row]{font-weight:normal;text-align:left}
td.num{text-align:right;white-space:nowrap}td.c{text-align:center;white-space:nowrap}
.notes{font-size:.9rem}
@media print{body{margin:0}thead{display:table-header-group}tr{break-inside:avoid}}
@media (max-width:40rem){body{padding:.75rem}dl.tally{grid-template-columns:1fr}dl.tally dd{margin-bottom:.5rem}}
"""


def _e(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def chart_svg(rep: PublicReport, labelled_by: str = "") -> str:
    """Horizontal stacked bars, one per goal, with counts printed in the segments and a legend."""
    classes = rep.classes
    palette = chart_palette(classes)
    goals = rep.goals
    totals = [sum(rep.tallies.get(code, {}).get(c, 0) for c in classes) for code, _ in goals]
    biggest = max(totals + [1])
    left, bar_w, bar_h, gap, top = 150, 560, 26, 14, 40
    height = top + len(goals) * (bar_h + gap) + 60
    width = left + bar_w + 60
    title = "重点戦略ごとの評価の件数（横棒グラフ）"
    desc = "。".join(f"{rep.goal_label(code)}: {rep.count_text(code)}" for code, _ in goals)
    # named by its title, described by its desc: each read once (not the desc as name and description both);
    # drawn at its own size (min-width) inside a scroll region, so its text never shrinks below 11 px on a phone
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" style="min-width:{width}px" aria-labelledby="chart-title" '
           f'aria-describedby="{_e(labelled_by) if labelled_by else "chart-desc"}">',
           f'<title id="chart-title">{_e(title)}</title>', f'<desc id="chart-desc">{_e(desc)}</desc>']
    scale = bar_w / biggest
    # axis ticks
    step = max(1, round(biggest / 5))
    for v in range(0, biggest + 1, step):
        x = left + v * scale
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{top + len(goals) * (bar_h + gap) - gap}" '
                   'stroke="#d0d0d0" stroke-width="1"/>')
        out.append(f'<text x="{x:.1f}" y="{top - 10}" font-size="11" text-anchor="middle" fill="#1a1a1a">{v}</text>')
    for i, (code, name) in enumerate(goals):
        y = top + i * (bar_h + gap)
        t = rep.tallies.get(code, {})
        label = f"重点戦略{code}"
        out.append(f'<text x="{left - 8}" y="{y + bar_h / 2 + 4}" font-size="13" text-anchor="end" '
                   f'fill="#1a1a1a">{_e(label)}</text>')
        x = left
        for c in classes:
            n = t.get(c, 0)
            if not n:
                continue
            w = n * scale
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                       f'fill="#{palette[c][0]}" stroke="#fff" stroke-width="1">'
                       f'<title>{_e(f"{rep.goal_label(code)}　{c} {n}件")}</title></rect>')
            if w >= 16:
                out.append(f'<text x="{x + w / 2:.1f}" y="{y + bar_h / 2 + 4}" font-size="12" font-weight="bold" '
                           f'text-anchor="middle" fill="#{palette[c][1]}">{n}</text>')
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + bar_h / 2 + 4}" font-size="12" fill="#1a1a1a">'
                   f'計{sum(t.get(c, 0) for c in classes)}</text>')
    # legend: swatch + label text (status never told by colour alone)
    ly = top + len(goals) * (bar_h + gap) + 20
    lx = left
    for c in classes:
        out.append(f'<rect x="{lx}" y="{ly - 11}" width="14" height="14" '
                   f'fill="#{palette[c][0]}" stroke="#595959" stroke-width="1"/>')
        out.append(f'<text x="{lx + 20}" y="{ly}" font-size="13" fill="#1a1a1a">{_e(c)}</text>')
        lx += 40 + 14 * len(c)
    out.append("</svg>")
    return "\n".join(out)


def build_html(rep: PublicReport, series=None) -> str:
    """The page; ``series`` (years, {row index: chapter.SeriesRow}) adds the years side by side."""
    classes = rep.classes
    p: list[str] = []
    a = p.append
    a("<!DOCTYPE html>")
    a('<html lang="ja">')
    a("<head>")
    a('<meta charset="utf-8">')
    a('<meta name="viewport" content="width=device-width, initial-scale=1">')
    a(f"<title>{_e(rep.title)}</title>")
    a(f"<style>{CSS}</style>")
    a("</head>")
    a("<body>")
    a("<main>")
    a("<h1>KPI達成状況</h1>")
    a(f'<p class="sub">{_e(rep.subtitle)}</p>')

    # the tally: chart + its text alternative (a definition list with the same figures)
    total = rep.tallies.get("total", {})
    n_total = sum(total.get(c, 0) for c in classes)
    a('<section aria-labelledby="tally-heading">')
    a('<h2 id="tally-heading">重点戦略ごとのKPI達成状況</h2>')
    a('<figure aria-labelledby="chart-caption">')
    a('<div class="scroll" role="region" aria-labelledby="chart-caption" tabindex="0">')
    a(chart_svg(rep))
    a("</div>")
    a('<figcaption id="chart-caption">図　重点戦略ごとの評価の件数（横棒グラフ）。'
      'グラフの数値は、下の一覧「評価の件数」と表「KPI一覧」の各重点戦略の見出し行に文字で示しています。</figcaption>')
    a("</figure>")
    a('<h3 id="tally-list-heading">評価の件数</h3>')
    a('<dl class="tally" id="tally-list" aria-labelledby="tally-list-heading">')
    for code, _ in rep.goals:
        n = sum(rep.tallies.get(code, {}).get(c, 0) for c in classes)
        a(f"<dt>{_e(rep.goal_label(code))}</dt><dd>{_e(rep.count_text(code))}（計 {n}件）</dd>")
    shares = "、".join(f"{c} {total.get(c, 0)}件（{_share(total.get(c, 0), n_total)}）" for c in classes)
    a(f"<dt>合計</dt><dd>{_e(shares)}（計 {n_total}件）</dd>")
    a("</dl>")
    a('<dl class="classes" aria-label="評価の区分">')
    for c in classes:
        d = rep.descriptions.get(c, "")
        a(f"<dt>{_e(c)}</dt><dd>{_e(d)}</dd>")
    a("</dl>")
    a("</section>")

    # the KPI list: the page's one data table
    a('<section aria-labelledby="list-heading">')
    a('<h2 id="list-heading">KPI一覧</h2>')
    # a labelled, focusable scroll region: on a 375 px phone the table scrolls inside it, the page does not
    a('<div class="scroll" role="region" aria-labelledby="list-caption" tabindex="0">')
    a("<table>")
    caption = "　".join(x for x in (rep.municipality, rep.plan_name, "KPI一覧",
                                    f"評価年度 {rep.year_label}" if rep.year_label else "") if x)
    a(f'<caption id="list-caption">{_e(caption)}</caption>')
    a("<thead><tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in rep.headers) + "</tr></thead>")
    ncols = len(rep.headers)
    for code, _ in rep.goals:
        a("<tbody>")
        head = f"{rep.goal_label(code)}（{rep.count_text(code, '・')}）"
        a(f'<tr><th scope="rowgroup" colspan="{ncols}">{_e(head)}</th></tr>')
        for r in (x for x in rep.rows if x.goal_code == code):
            cells = [f'<th scope="row">{_e(r.label)}</th>', f'<td class="c">{_e(r.unit)}</td>']
            cells += [f'<td class="num">{_e(v)}</td>' for v in r.cells]
            cells.append(f'<td class="num">{_e(r.progress_text)}</td>')
            colour = rep.colors.get(r.status)
            style = f' style="background:#{_e(colour)}"' if colour else ""
            cells.append(f'<td class="c"{style}>{_e(r.status_text)}</td>')
            a("<tr>" + "".join(cells) + "</tr>")
        a("</tbody>")
    a("</table>")
    a("</div>")
    a('<div class="notes">')
    for n in rep.notes:
        a(f"<p>{_e(n)}</p>")
    a("</div>")
    a("</section>")
    if series:
        p.extend(_series_section(rep, *series))
    a("</main>")
    a("</body>")
    a("</html>")
    return "\n".join(p) + "\n"


def _share(n: int, total: int) -> str:
    from ..core.evaluate import round_half_up
    return f"{round_half_up(100 * n / total, 1):.1f}%" if total else "－"


def _series_section(rep: PublicReport, years, rows) -> list[str]:
    """Years side by side: each KPI's actuals per year, a small chart, the status change from the previous
    evaluation year (the engine's, with the evaluation year moved back)."""
    from ..core.values import era_label
    from .chapter_html import _sparkline
    year = rep.evaluation_year
    labels = [era_label(y) for y in years]
    heads = ["KPI名"] + labels + ["推移", f"評価（{era_label(year - 1)} → {era_label(year)}）" if year else "評価"]
    out = ['<section aria-labelledby="series-heading">', '<h2 id="series-heading">年度別の実績と評価の推移</h2>',
           '<div class="scroll" role="region" aria-labelledby="series-caption" tabindex="0">', "<table>",
           '<caption id="series-caption">KPIごとの年度別の実績と、前年度の評価からの変化</caption>',
           "<thead><tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in heads) + "</tr></thead>"]
    for code, _ in rep.goals:
        out.append("<tbody>")
        out.append(f'<tr><th scope="rowgroup" colspan="{len(heads)}">{_e(rep.goal_label(code))}</th></tr>')
        for i, r in enumerate(rep.rows):
            if r.goal_code != code or i not in rows:
                continue
            sr = rows[i]
            label = f"{r.label}の推移: " + "、".join(f"{y} {t}" for y, t in zip(labels, sr.texts))
            out.append("<tr>" + f'<th scope="row">{_e(r.label)}</th>'
                       + "".join(f'<td class="num">{_e(t)}</td>' for t in sr.texts)
                       + f'<td class="c">{_sparkline(sr.numbers, label)}</td><td class="c">{_e(sr.change)}</td></tr>')
        out.append("</tbody>")
    out += ["</table>", "</div>", "</section>"]
    return out


def export_html(ev: Evaluation, path: Path) -> Path:
    from .chapter import series_years, year_series
    years = series_years(ev)
    series = (years, year_series(ev, years)) if years else None
    path.write_text(build_html(public_report(ev), series), encoding="utf-8", newline="\n")
    return path
