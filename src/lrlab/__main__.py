"""``python -m lrlab`` (also what ``torchrun -m lrlab`` runs)."""

from lrlab.cli import main

raise SystemExit(main())
