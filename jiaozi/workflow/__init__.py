"""The workflow engine: a transition table type, the ordered check plan, compare-and-set
for one row and for many, the batch runner and the page predicates.

A domain app declares its table (``table.TransitionTable``) and a thin vocabulary module
(a ``engine.Workflow`` subclass filling in the hooks: who acts at which level, windows,
what an action writes, the step, the audit row and the notification). See
docs/architecture.md (Workflows) and docs/decisions/0130-0134.

This package imports only ``jiaozi.core`` and Django; audit and notification writes
happen in the domain's hooks, inside the engine's transaction.
"""
