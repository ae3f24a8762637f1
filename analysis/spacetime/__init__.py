"""Is it growing, does it repeat, what comes next: space-time analyses of incidents.

``near_repeat`` (the Knox test: do incidents come in runs nearby, soon after each other?).
"""
