"""Where agents meet environments: evaluation (``gato-eval``), videos, dataset collection."""

from rollouts.aggregates import Aggregate
from rollouts.evaluate import EvalResults, TaskResult, evaluate
from rollouts.policies import Policy, PolicyFactory, RandomPolicy, parse_policy, policy_factory

__all__ = [
    "Aggregate",
    "EvalResults",
    "Policy",
    "PolicyFactory",
    "RandomPolicy",
    "TaskResult",
    "evaluate",
    "parse_policy",
    "policy_factory",
]
