#!/usr/bin/env python3
"""Regenerates the measured sections of benches/RESULTS.md and ratios.png.

Input: the stdout of `cargo bench -p fapi-benches --bench verify` (its
`paired-json` lines) and criterion's `estimates.json` files under
target/criterion. Usage:

    cargo bench -p fapi-benches --bench verify -- --warm-up-time 1 \
        --measurement-time 2 | tee /tmp/verify.log
    python3 benches/report.py /tmp/verify.log

The chart is drawn with matplotlib (`pip install matplotlib`).
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
RESULTS = ROOT / "benches" / "RESULTS.md"
CHART = ROOT / "benches" / "ratios.png"
BEGIN = "<!-- report.py: begin -->"
END = "<!-- report.py: end -->"


def tagged(log, tag):
    rows = []
    for line in pathlib.Path(log).read_text().splitlines():
        if line.startswith(tag + " "):
            rows.append(json.loads(line[len(tag) + 1:]))
    return rows


def paired(log):
    return tagged(log, "paired-json")


# The criterion groups of the verify bench (target/criterion also holds
# those of the other benches).
GROUPS = ("overhead", "parts", "access_token_", "dpop_", "client_assertion_", "small_ops")


def criterion_medians():
    out = {}
    for est in sorted(CRITERION.glob("*/*/new/estimates.json")):
        group, bench = est.parts[-4], est.parts[-3]
        if group == "report" or bench == "report" or not group.startswith(GROUPS):
            continue
        data = json.loads(est.read_text())
        out[(group, bench)] = data["median"]["point_estimate"]
    for est in sorted(CRITERION.glob("*/new/estimates.json")):
        group = est.parts[-3]
        if not group.startswith(GROUPS):
            continue
        data = json.loads(est.read_text())
        out[(group, "")] = data["median"]["point_estimate"]
    return out


def us(ns):
    return f"{ns / 1000:.2f}"


def tables(rows, medians, throughput, loads):
    lines = ["Load average (1, 5, 15 min) during the run: " + "; ".join(
        f"{l['when']}: {l['loadavg']}" for l in loads) + ".", ""]
    lines += [
        "### Paired (alternating blocks of 3 to 200 calls, about 0.5 ms each, 161 rounds, one process)",
        "",
        "| op | raw µs | fapi µs | jsonwebtoken µs | fapi/raw | jsonwebtoken/fapi |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        jwt = "—" if r["jwt_ns"] is None else us(r["jwt_ns"])
        jf = "—" if r["jwt_fapi"] is None else f"**{r['jwt_fapi']:.2f}**"
        lines.append(
            f"| {r['op']} | {us(r['raw_ns'])} | {us(r['fapi_ns'])} | {jwt} "
            f"| {r['fapi_raw']:.3f} | {jf} |"
        )
    if throughput:
        lines += [
            "",
            "### Throughput, 1 and 2 threads (alternating runs, median of 7 rounds)",
            "",
            "| op | 1 thread /s | 2 threads /s | 2 threads / 1 thread |",
            "|---|---:|---:|---:|",
        ]
        for t in throughput:
            lines.append(f"| {t['op']} | {t['t1']:.0f} | {t['t2']:.0f} | **{t['ratio']:.2f}** |")
    lines += [
        "",
        "### Criterion medians (absolute, µs)",
        "",
        "| group | bench | median µs |",
        "|---|---|---:|",
    ]
    for (group, bench), ns in sorted(medians.items()):
        lines.append(f"| {group} | {bench} | {us(ns)} |")
    return "\n".join(lines)


def chart(rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ops = [r["op"] for r in rows]
    fr = [r["fapi_raw"] for r in rows]
    jf = [0 if r["jwt_fapi"] is None else r["jwt_fapi"] for r in rows]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(ops) + 1.5))
    y = range(len(ops))
    limit = 3.0
    ax.barh([i - 0.2 for i in y], [min(v, limit) for v in fr], height=0.4,
            label="fapi / raw (lower is better)")
    ax.barh([i + 0.2 for i in y], [min(v, limit) for v in jf], height=0.4,
            label="jsonwebtoken / fapi (>1: fapi faster)")
    # Ratios past the axis (an op whose raw side is a bare hash) are cut
    # and labelled.
    for i, v in enumerate(fr):
        if v > limit:
            ax.text(limit - 0.05, i - 0.2, f"{v:.1f}", va="center", ha="right",
                    color="white", fontsize=8)
    ax.set_xlim(0, limit)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(list(y))
    ax.set_yticklabels(ops)
    ax.invert_yaxis()
    ax.set_xlabel("median of per-round ratios (no bar: no jsonwebtoken peer)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(CHART, dpi=110)


def main():
    rows = paired(sys.argv[1])
    body = tables(rows, criterion_medians(), tagged(sys.argv[1], "throughput-json"),
                  tagged(sys.argv[1], "load-json"))
    text = RESULTS.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = f"{head}{BEGIN}\n{body}\n{END}{tail}"
    else:
        text += f"\n{BEGIN}\n{body}\n{END}\n"
    RESULTS.write_text(text)
    chart(rows)


if __name__ == "__main__":
    main()
