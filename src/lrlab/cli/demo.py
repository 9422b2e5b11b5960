"""``lrlab demo``: every part of the tutorial, figures and a summary in one folder."""

from __future__ import annotations

import argparse

from lrlab._checks import check_choice
from lrlab.cli._common import add_out_argument, out_dir, print_table, progress_bar
from lrlab.cli.report import add_report_argument, check_report, command_line, write_report


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run every part of the tutorial; figures and summary.json in --out")
    add_out_argument(p)
    p.add_argument("--part", action="append", metavar="KEY", help="run only this part (repeatable)")
    add_report_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lrlab.tutorial import demo

    known = [k for k, _, _ in demo.PARTS]
    keys = args.part or known
    for k in keys:
        check_choice("--part", k, known)
    if args.report is not None:
        check_report(args.report)
    out = out_dir(args.out)  # checked here, before any part runs; the parts write their figures as they go
    results = []
    for key in keys:
        title = next(t for k, t, _ in demo.PARTS if k == key)
        with progress_bar(title) as cb:
            results.append(demo.run_part(key, out, progress=cb))
    summary = demo.write_summary(results, out)
    for r in results:
        rows = [*r.rows, ("figures", ", ".join(p.name for p in r.figures))]
        print_table(r.title, ["", "value"], rows)
    print(f"Figures and {summary.name} written to {out}/")
    if args.report is not None:
        from lrlab.report import demo_page

        page = write_report(check_report(args.report), demo_page(results, command=command_line(args)))
        print(f"Report written to {page}")
    return 0
