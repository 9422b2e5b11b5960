"""``lrlab schedule``: evaluate learning-rate schedules given as specs; plot, table, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import sys
import textwrap

from lrlab.cli._common import add_json_argument, add_out_argument, check_out, out_dir, print_json, print_table

FIGURE = "schedules.png"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "schedule",
        help="evaluate and plot learning-rate schedules given as specs",
        description='Evaluate each SPEC, e.g. "warmup_cosine(base_lr=0.1, warmup=10, total=100)", at steps '
        "0 .. N-1 (step k is the LR of the k-th update). Prints a table and writes all schedules on one "
        f"figure ({FIGURE} in --out); --json or --csv print the values instead. --list shows every "
        "schedule and its parameters.",
    )
    p.add_argument("specs", nargs="*", metavar="SPEC", help='a schedule, e.g. "cosine(base_lr=0.1, total=100)"')
    p.add_argument(
        "--steps", type=int, default=100, metavar="N", help="evaluate steps 0 .. N-1 (default 100, at most 1,000,000)"
    )
    p.add_argument("--log", action="store_true", help="log-scale learning-rate axis on the figure")
    p.add_argument("--list", action="store_true", help="list every schedule and its parameters")
    add_out_argument(p)
    fmt = p.add_mutually_exclusive_group()
    add_json_argument(fmt)
    fmt.add_argument("--csv", action="store_true", help="print step,lr columns (one lr column per SPEC)")
    p.set_defaults(func=run)


def _list(as_json: bool) -> int:
    from lrlab.schedules import describe

    infos = describe()
    if as_json:
        rows = [{"name": i.name, "parameters": list(i.parameters), "summary": i.summary} for i in infos]
        print_json({"schedules": rows})
        return 0
    print("SPEC = name(param=value, ...): numbers, words (mode=triangular2), lists ([30, 60]) and,")
    print("for with_warmup, join and product, nested schedules. Parameters without a default are required.")
    for i in infos:
        print(f"\n{i.name}({', '.join(i.parameters)})")
        print(textwrap.fill(i.summary, width=88, initial_indent="    ", subsequent_indent="    "))
    return 0


def run(args: argparse.Namespace) -> int:
    if args.list:
        if args.specs:
            raise ValueError(f"--list takes no SPEC (it lists every schedule), got {len(args.specs)}")
        if args.csv:
            raise ValueError("--list prints a list or, with --json, one JSON object; got --csv")
        return _list(args.json)
    if not args.specs:
        raise ValueError('give at least one SPEC, e.g. "cosine(base_lr=0.1, total=100)", or --list')
    from lrlab.schedules import parse, sample
    from lrlab.schedules.sample import MAX_SAMPLES

    if args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    if args.steps > MAX_SAMPLES:
        raise ValueError(f"--steps must be <= {MAX_SAMPLES:,} (the steps evaluated and drawn), got {args.steps:,}")
    if not (args.json or args.csv):
        check_out(args.out)
    schedules = [parse(spec) for spec in args.specs]
    samples = sample(schedules, args.steps, labels=args.specs)
    if args.json:
        rows = [{"spec": spec, "lrs": lrs} for spec, lrs in zip(args.specs, samples.lrs)]
        print_json({"steps": args.steps, "schedules": rows})
        return 0
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["step", "lr"] if len(args.specs) == 1 else ["step", *args.specs])
        for k, column in zip(samples.steps, samples.lrs.T):
            writer.writerow([int(k), *(repr(float(v)) for v in column)])
        return 0
    out = out_dir(args.out)
    from lrlab.plots._figure import save
    from lrlab.plots.schedules import plot_schedules

    ax = plot_schedules(samples, log=args.log)
    path = save(ax.figure, out / FIGURE)
    # print_table escapes every cell: a spec's lists ("[30, 60]") show as typed.
    print_table(
        f"Learning rates over steps 0..{args.steps - 1}",
        ["spec", "first", "last", "min", "max"],
        [(str(st["label"]), st["first"], st["last"], st["min"], st["max"]) for st in samples.stats()],
    )
    print(f"Figure: {path}")
    return 0
