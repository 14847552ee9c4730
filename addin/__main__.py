"""``python -m addin`` runs the ``kpi`` command."""
import sys

from .cli import main

sys.exit(main())
