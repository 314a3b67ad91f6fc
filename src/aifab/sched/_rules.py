"""The engine's exact speed rules that can be switched off, each by a module flag (rule ->
(module, flag); docs/sched.md): ``benchmarks/sched_replay.py`` replays recordings with
some off, and tests check that switching them off changes no event."""

SPEED = {
    "A30": ("aifab.sched._bound", "LEVELS"), "A32": ("aifab.sched._bound", "NODES"),
    "A33": ("aifab.sched._index", "FOUND"), "A34": ("aifab.sched._preempt", "WHOLE"),
    "A35": ("aifab.sched._usage", "SIDE_MEMO"), "A36": ("aifab.sched._quota", "HOLDING"),
    "A37": ("aifab.sched._idle", "FIRST"), "A38": ("aifab.sched._preempt", "BORROWERS"),
    "A39": ("aifab.sched._cert", "CERT"),  # (A40 and A42 with it)
    "A43": ("aifab.sched._cert", "OWN"),
    "A41": ("aifab.sched._shares", "KEPT"), "A44": ("aifab.sched._moves", "ON"),
    "A45": ("aifab.sched._fairorder", "KEEP"), "A46": ("aifab.sched._fairorder", "ALONE"),
    "A47": ("aifab.sched._bound", "F9CAP"), "A48": ("aifab.sched._index", "BOUND_CERT"),
    "A49": ("aifab.sched._repeat", "LAST"), "A50": ("aifab.sched._repeat", "HINT"),
    "A51": ("aifab.sched._repeat", "ABOVE"), "A53": ("aifab.sched._equal", "EQUAL"),
    "A54": ("aifab.sched._cert", "COUNTED"), "A55": ("aifab.sched._idle", "SETTLED"),
    "A56": ("aifab.sched._usage", "BIG"), "A57": ("aifab.sched._index", "HELD"),
    "A58": ("aifab.sched._equal", "EXACT"), "A59": ("aifab.sched._cycle", "QUIET"),
    "A60": ("aifab.sched._fairorder", "HEAP"), "A61": ("aifab.sched._idle", "PASSED"),
    "A62": ("aifab.sched._index", "RENEW"), "A63": ("aifab.sched._repeat", "EARLY"),
    "A64": ("aifab.sched._cert", "UP"), "A65": ("aifab.sched._cert", "SYNC"),
    "A67": ("aifab.sched._again", "ON"), "A68": ("aifab.sched._fairorder", "DEAD"),
    "A69": ("aifab.sched._units", "ON"), "A70": ("aifab.sched._live", "ON"),
    "A71": ("aifab.sched._classes", "ON"), "A72": ("aifab.sched._usage", "PARTS"),
    "A73": ("aifab.sched._cert", "MEMO"), "A75": ("aifab.sched._period", "EARLY"),
    "A76": ("aifab.sched._period", "NEWER"), "A77": ("aifab.sched._vers", "ON"),
    "A78": ("aifab.sched._vers", "DOOM"), "A79": ("aifab.sched._index", "SEARCH_COUNT"),
}
