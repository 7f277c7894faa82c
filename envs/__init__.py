"""The environment side of gato-agent: task registry, suites, the families' builders, reference scores.

Never imports ``gato_agent`` or ``rollouts``.
"""

from envs.registry import (
    SUITES,
    EnvFactory,
    TaskSpec,
    UnknownTaskError,
    known_task_ids,
    make,
    make_vector,
    factory_name,
    parse_make_kwargs,
    task_family,
    suite,
    suites,
)
from envs import toy  # registers the project's own toy tasks
from envs.scores import REFERENCE_SCORES, ReferenceScore, human_normalize, normalize, reference_for

__all__ = [
    "toy",
    "SUITES",
    "EnvFactory",
    "factory_name",
    "parse_make_kwargs",
    "TaskSpec",
    "UnknownTaskError",
    "known_task_ids",
    "make",
    "make_vector",
    "task_family",
    "suite",
    "suites",
    "REFERENCE_SCORES",
    "ReferenceScore",
    "human_normalize",
    "normalize",
    "reference_for",
]
