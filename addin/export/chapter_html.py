"""The evaluation report's chapter as one accessible web page (JIS X 8341-3 / WCAG 2.1 AA).

Same structure as the Word document (``chapter.Chapter``): h2 重点戦略 with its tally table, h3 戦略方針,
h4 具体的施策 with its KPI table and the four texts as a definition list (label → paragraphs), never a
layout table.  Each data table has a caption and header cells with scope, and sits in a labelled, focusable
scroll region so that on a 375 px phone the table scrolls inside the page instead of pushing it sideways.
Self-contained: inline CSS, no scripts; every text from the workbook is escaped.
"""
from __future__ import annotations

import html
from pathlib import Path

from .chapter import Chapter, GoalSection, MeasureSection

CSS = """
*{box-sizing:border-box}
body{font-family:"BIZ UDPGothic","BIZ UDPゴシック","Yu Gothic","游ゴシック","Hiragino Sans","IPAexGothic",sans-serif;
 color:#1a1a1a;background:#fff;line-height:1.7;margin:0 auto;padding:1rem;max-width:60rem;overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:0 0 .25rem}
h2{font-size:1.3rem;margin:2.5rem 0 .75rem;padding:.25rem .5rem;border-left:6px solid #2f5597;background:#f2f5fb}
h3{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:2px solid #2f5597}
h4{font-size:1.05rem;margin:1.5rem 0 .5rem}
p{margin:.4rem 0}
.scroll{overflow-x:auto;max-width:100%;margin:.5rem 0}
.scroll:focus{outline:3px solid #1a5fb4;outline-offset:2px}
table{border-collapse:collapse;font-size:.95rem;min-width:100%}
caption{text-align:left;font-weight:bold;padding:.25rem 0}
th,td{border:1px solid #767676;padding:.3rem .5rem;vertical-align:top}
thead th{background:#d9e1f2;white-space:nowrap}
th[scope=row]{font-weight:normal;text-align:left;min-width:12rem}
th[scope=rowgroup]{background:#f2f2f2;text-align:left}
td.num{text-align:right;white-space:nowrap}td.c{text-align:center;white-space:nowrap}
.note{font-size:.9rem;margin:.25rem 0 1rem}
dl.texts{margin:.75rem 0 1.5rem;border:1px solid #767676}
dl.texts dt{font-weight:bold;background:#f2f2f2;padding:.25rem .5rem;border-top:1px solid #767676}
dl.texts dt:first-child{border-top:0}
dl.texts dd{margin:0;padding:.25rem .75rem .5rem}
.missing{color:#595959}
@media (max-width:40rem){body{padding:.75rem}h1{font-size:1.3rem}table{font-size:.9rem}}
@media print{.scroll{overflow:visible}thead{display:table-header-group}tr{break-inside:avoid}h2,h3,h4{break-after:avoid}}
"""


def _e(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


class _Ids:
    def __init__(self):
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"


def _tally(chapter: Chapter, goal: GoalSection, ids: _Ids) -> list[str]:
    cap = ids("tally")
    classes = chapter.classes
    total = sum(goal.tally.get(c, 0) for c in classes)
    out = [f'<div class="scroll" role="region" aria-labelledby="{cap}" tabindex="0">', "<table>",
           f'<caption id="{cap}">{_e(goal.tally_label)}（KPIの件数）</caption>',
           "<thead><tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in classes)
           + '<th scope="col">計</th></tr></thead>',
           "<tbody><tr>" + "".join(f'<td class="c">{goal.tally.get(c, 0)}</td>' for c in classes)
           + f'<td class="c">{total}</td></tr></tbody>', "</table>", "</div>"]
    return out


def _kpi_table(chapter: Chapter, m: MeasureSection, ids: _Ids) -> list[str]:
    cap = ids("kpi")
    heads = chapter.headers
    out = [f'<div class="scroll" role="region" aria-labelledby="{cap}" tabindex="0">', "<table>",
           f'<caption id="{cap}">{_e(m.heading)}のKPI</caption>',
           "<thead><tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in heads) + "</tr></thead>", "<tbody>"]
    for r in m.rows:
        cells = [f'<th scope="row">{_e(r.label)}</th>', f'<td class="c">{_e(r.unit)}</td>']
        cells += [f'<td class="num">{_e(v)}</td>' for v in r.cells]
        cells.append(f'<td class="num">{_e(r.progress_text)}</td>')
        if len(heads) > 6:
            cells.append(f'<td class="c">{_e(r.status_text)}</td>')
        out.append("<tr>" + "".join(cells[:len(heads)]) + "</tr>")
    out += ["</tbody>", "</table>", "</div>"]
    if m.note:
        out.append(f'<p class="note">{_e(m.note)}</p>')
    return out


def _sparkline(values, label: str) -> str:
    """A small line chart of the yearly actuals (an image whose name states the figures)."""
    pts = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(pts) < 2:
        return ""
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    w, h, pad = 96, 28, 4
    step = (w - 2 * pad) / max(len(values) - 1, 1)
    xy = [(pad + i * step, h - pad - (0 if hi == lo else (v - lo) / (hi - lo)) * (h - 2 * pad)) for i, v in pts]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#005AFF"/>' for x, y in xy)
    return (f'<svg role="img" aria-label="{_e(label)}" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
            f'<polyline points="{line}" fill="none" stroke="#005AFF" stroke-width="2"/>{dots}</svg>')


def _series(chapter: Chapter, m: MeasureSection, ids: _Ids) -> list[str]:
    cap = ids("series")
    heads = chapter.series_headers
    years = [h for h in heads[1:-2]]
    out = [f'<div class="scroll" role="region" aria-labelledby="{cap}" tabindex="0">', "<table>",
           f'<caption id="{cap}">{_e(m.heading)}　年度別の実績と評価の推移</caption>',
           "<thead><tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in heads) + "</tr></thead>", "<tbody>"]
    for r, sr in zip(m.rows, m.series):
        label = f"{r.label}の推移: " + "、".join(f"{y} {t}" for y, t in zip(years, sr.texts))
        cells = [f'<th scope="row">{_e(r.label)}</th>'] + [f'<td class="num">{_e(t)}</td>' for t in sr.texts]
        cells += [f'<td class="c">{_sparkline(sr.numbers, label)}</td>', f'<td class="c">{_e(sr.change)}</td>']
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>", "</div>"]
    return out


def _summary(chapter: Chapter, ids: _Ids) -> list[str]:
    """【KPI達成状況】 at the end: the tallies with the total, then every KPI under its goal (the same rows)."""
    rep = chapter.report
    classes = chapter.classes
    heads = chapter.headers
    cap1, cap2 = ids("summary-tally"), ids("summary-list")
    out = ['<section aria-labelledby="summary-heading">', '<h2 id="summary-heading">【KPI達成状況】</h2>',
           f'<div class="scroll" role="region" aria-labelledby="{cap1}" tabindex="0">', "<table>",
           f'<caption id="{cap1}">重点戦略ごとのKPI達成状況（件数）</caption>',
           '<thead><tr><th scope="col">重点戦略</th>' + "".join(f'<th scope="col">{_e(c)}</th>' for c in classes)
           + '<th scope="col">計</th></tr></thead>', "<tbody>"]
    lines = [(g.heading, g.tally) for g in chapter.goals] + [("合計", rep.tallies.get("total", {}))]
    for label, tally in lines:
        out.append(f'<tr><th scope="row">{_e(label)}</th>'
                   + "".join(f'<td class="c">{tally.get(c, 0)}</td>' for c in classes)
                   + f'<td class="c">{sum(tally.get(c, 0) for c in classes)}</td></tr>')
    out += ["</tbody>", "</table>", "</div>",
            f'<div class="scroll" role="region" aria-labelledby="{cap2}" tabindex="0">', "<table>",
            f'<caption id="{cap2}">KPI一覧</caption>',
            "<thead><tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in heads) + "</tr></thead>"]
    for g in chapter.goals:
        out.append("<tbody>")
        counts = "・".join(f"{c} {g.tally.get(c, 0)}件" for c in classes)
        out.append(f'<tr><th scope="rowgroup" colspan="{len(heads)}">{_e(g.heading)}（{_e(counts)}）</th></tr>')
        for r in (x for m in g.measures for x in m.rows):
            cells = [f'<th scope="row">{_e(r.label)}</th>', f'<td class="c">{_e(r.unit)}</td>']
            cells += [f'<td class="num">{_e(v)}</td>' for v in r.cells]
            cells += [f'<td class="num">{_e(r.progress_text)}</td>', f'<td class="c">{_e(r.status_text)}</td>']
            out.append("<tr>" + "".join(cells[:len(heads)]) + "</tr>")
        out.append("</tbody>")
    out += ["</table>", "</div>"]
    out += [f'<p class="note">{_e(n)}</p>' for n in rep.notes if n]
    out.append("</section>")
    return out


def _texts(m: MeasureSection) -> list[str]:
    out = ['<dl class="texts">']
    for label, paras in m.texts:
        out.append(f"<dt>{_e(label)}</dt>")
        body = "".join(f"<p>{_e(p)}</p>" for p in paras) or '<p class="missing">（未記入）</p>'
        out.append(f"<dd>{body}</dd>")
    out.append("</dl>")
    return out


def build_chapter_html(chapter: Chapter) -> str:
    ids = _Ids()
    p: list[str] = ["<!DOCTYPE html>", '<html lang="ja">', "<head>", '<meta charset="utf-8">',
                    '<meta name="viewport" content="width=device-width, initial-scale=1">',
                    f"<title>{_e(chapter.title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>", "<main>",
                    f"<h1>{_e(chapter.title)}</h1>", f"<p>{_e(chapter.subtitle)}</p>",
                    f"<p>各表の数値は【KPI達成状況】と同じ計算結果です（評価方式: {_e(chapter.report.scheme_title)}）。</p>"]
    for goal in chapter.goals:
        gid = ids("goal")
        p.append(f'<section aria-labelledby="{gid}">')
        p.append(f'<h2 id="{gid}">{_e(goal.heading)}</h2>')
        p.extend(_tally(chapter, goal, ids))
        for policy in goal.policies:
            if policy.heading:
                p.append(f"<h3>{_e(policy.heading)}</h3>")
            p.extend(f"<p>{_e(t)}</p>" for t in policy.paragraphs)
            for m in policy.measures:
                h = "h4" if policy.heading else "h3"       # no heading level skipped
                p.append(f"<{h}>{_e(m.heading)}</{h}>")
                p.extend(f"<p>{_e(t)}</p>" for t in m.description)
                p.extend(_kpi_table(chapter, m, ids))
                if m.series:
                    p.extend(_series(chapter, m, ids))
                if m.texts:
                    p.extend(_texts(m))
        p.append("</section>")
    p.extend(_summary(chapter, ids))
    p += ["</main>", "</body>", "</html>"]
    return "\n".join(p) + "\n"


def write_chapter_html(chapter: Chapter, path: Path) -> Path:
    path.write_text(build_chapter_html(chapter), encoding="utf-8", newline="\n")
    return path
