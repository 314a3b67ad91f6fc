"""The linopy model PyPSA builds from a network, kept in the process for the next build of
the same network.

``n.optimize.create_model()`` takes 1-3 s (the 24-hour Korean network: about 2.5 s); a
pickled copy of the network and its model loads in tens of milliseconds. A siting run with
flexibility offers solves the same network again without them (``_site``), a flexibility
curve solves it once per offer, a sweep's worker process runs variants whose network is the
same (a block size, a flexibility share), and a notebook calls ``site()`` again: each of
those built the same model anew. (The dashboard runs each job as its own process.)

The key is the SHA-256 of the freshly built network pickled whole (every component table
and time series, snapshots and weightings; pickling the 24-hour Korean network takes about
40 ms), the ``create_model`` arguments, the PyPSA and linopy versions and the options of
both that shape a model. A hit gives back a copy of the network as ``create_model`` left it
(it sets a few of the network's own attributes) and of the model, unpickled: the same
objects a build would give, so the same LP to the bit (tests/grid/test_modelcache.py).
The copies are new objects on every call: a caller may add to its model. At most ``KEEP``
entries of at most ``MAX_BYTES`` each are kept (least recently used first out; threads
share them under a lock); ``AIFAB_CACHE_DIR=off`` turns this cache off as it does the disk
caches.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from typing import Any

from aifab.grid._netcache import cache_dir

KEEP = 2
MAX_BYTES = 48 << 20
"""A larger model (a long horizon) is built each time rather than held in memory (the
24-hour Korean network and its model: about 5 MB pickled; six representative days: about
30 MB)."""
_PYPSA_OPTIONS = ("optimization.model_snapshot_index", "params.optimize.model_kwargs",
                  "params.optimize.include_objective_constant", "api.legacy_string_dtype",
                  "api.new_components_api")
_kept: OrderedDict[str, bytes] = OrderedDict()
_lock = threading.Lock()


def _key(n: Any, kwargs: dict[str, Any]) -> str | None:
    import linopy
    import pypsa

    opts = [(o, pypsa.options.get_option(o)) for o in _PYPSA_OPTIONS]
    try:
        blob = pickle.dumps((pypsa.__version__, linopy.__version__, repr(linopy.options),
                             opts, sorted(kwargs.items()), n), protocol=5)
    except Exception:  # something in the network that does not pickle: build it
        return None
    return hashlib.sha256(blob).hexdigest()


def network_and_model(n: Any, **kwargs: Any) -> tuple[Any, Any]:
    """``(network, n.optimize.create_model(**kwargs))``: ``n`` itself and its new model,
    or copies of both from an earlier build of an identical network (module doc)."""
    key = None if cache_dir() is None else _key(n, kwargs)  # (None: AIFAB_CACHE_DIR=off)
    blob: bytes | None = None
    if key is not None:
        with _lock:
            blob = _kept.get(key)
            if blob is not None:
                _kept.move_to_end(key)
    if blob is not None:
        net, m = pickle.loads(blob)
        return net, m
    m = n.optimize.create_model(**kwargs)
    # (a model pickles to about 190 bytes a variable, rows included: one far over the bound,
    # the full network's, is not pickled only to be dropped)
    if key is not None and int(m.nvars) * 150 <= MAX_BYTES:
        blob = pickle.dumps((n, m), protocol=5)
        if len(blob) <= MAX_BYTES:  # (a larger one is built each time)
            with _lock:
                _kept[key] = blob
                while len(_kept) > KEEP:
                    _kept.popitem(last=False)
    return n, m


def clear() -> None:
    """Forget every kept model."""
    with _lock:
        _kept.clear()
