"""``aifab serve``: a local web dashboard (Dash) over one results folder.

``create_app(results_dir)`` builds the app; it reads and writes only inside that folder
and refuses any path outside it.
"""

from aifab.serve._app import allowed_hosts, create_app
from aifab.serve._jobs import JobManager, JobRequest
from aifab.serve._paths import PathRefused, ResultsDir, Run

__all__ = ["JobManager", "JobRequest", "PathRefused", "ResultsDir", "Run", "allowed_hosts",
           "create_app"]
