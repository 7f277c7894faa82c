"""Where agents meet environments: evaluation (``gato-eval``), videos, dataset collection."""

from rollouts.evaluate import (
    Aggregate,
    EvalResults,
    Policy,
    PolicyFactory,
    RandomPolicy,
    TaskResult,
    evaluate,
)

__all__ = [
    "Aggregate",
    "EvalResults",
    "Policy",
    "PolicyFactory",
    "RandomPolicy",
    "TaskResult",
    "evaluate",
]
