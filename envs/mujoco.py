"""The 11 standard MuJoCo v5 tasks, with fast headless offscreen rendering for videos.

Headless rendering goes through EGL (``MUJOCO_GL=egl``; Debian packages ``libegl1 libopengl0
libgl1-mesa-dri``) or OSMesa (``MUJOCO_GL=osmesa``; ``libosmesa6``). PyOpenGL fixes its platform
the first time it is imported, so the backend must be chosen before any rendering context exists
and cannot be switched in-process afterwards: when ``MUJOCO_GL`` is unset, :func:`select_gl_backend`
tries EGL in a short subprocess, falls back to OSMesa, and sets ``MUJOCO_GL`` (and
``PYOPENGL_PLATFORM``) for this process. An explicit ``MUJOCO_GL`` is always respected.
Importing ``mujoco`` or building envs without rendering does not import PyOpenGL, so the choice can
wait until the first env built with ``render=True``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import gymnasium as gym

__all__ = [
    "MUJOCO_TASKS",
    "TRACKING_TASKS",
    "RENDER_WIDTH",
    "RENDER_HEIGHT",
    "GL_BACKENDS",
    "is_mujoco_id",
    "mujoco_ids",
    "mujoco_warnings_as_python",
    "select_gl_backend",
    "FastOffscreenRender",
    "make_mujoco",
]

# The standard Gymnasium MuJoCo tasks this module builds, each as ``<name>-v5``.
MUJOCO_TASKS: tuple[str, ...] = (
    "Ant",
    "HalfCheetah",
    "Hopper",
    "Humanoid",
    "HumanoidStandup",
    "InvertedDoublePendulum",
    "InvertedPendulum",
    "Pusher",
    "Reacher",
    "Swimmer",
    "Walker2d",
)
# Robots that walk (or swim) out of a fixed camera's view: render them from the model's
# ``track`` camera, which follows the centre of mass.
TRACKING_TASKS: frozenset[str] = frozenset(
    {"Ant", "HalfCheetah", "Hopper", "Humanoid", "Swimmer", "Walker2d"}
)
RENDER_WIDTH = 320  # pixels of offscreen frames (software rendering: keep it small)
RENDER_HEIGHT = 240
GL_BACKENDS = ("egl", "osmesa")  # headless backends, in the order they are tried

_PROBE = (
    "import sys; backend = sys.argv[1]\n"
    "if backend == 'egl':\n    from mujoco.egl import GLContext\n"
    "else:\n    from mujoco.osmesa import GLContext\n"
    "ctx = GLContext(8, 8); ctx.make_current(); ctx.free()\n"
)


def _probe(backend: str, timeout: float = 60.0) -> bool:
    """Whether an offscreen context of ``backend`` can be created (in a throwaway process)."""
    env = {**os.environ, "MUJOCO_GL": backend, "PYOPENGL_PLATFORM": backend}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, backend],
            env=env,
            capture_output=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def select_gl_backend() -> str:
    """Choose the headless OpenGL backend for MuJoCo rendering and export it; return its name.

    ``MUJOCO_GL`` wins when set. Otherwise EGL is tried, then OSMesa; the first that creates a
    context is written to ``MUJOCO_GL`` and ``PYOPENGL_PLATFORM``. Call it before the first
    rendering context is made (``make_mujoco(render=True)`` does). Raises RuntimeError when neither
    works, naming the packages to install.
    """
    chosen = os.environ.get("MUJOCO_GL")
    if chosen:
        return chosen
    platform = os.environ.get("PYOPENGL_PLATFORM")
    if "OpenGL" in sys.modules and platform in GL_BACKENDS:  # PyOpenGL's platform is fixed now
        os.environ["MUJOCO_GL"] = platform
        return platform
    for backend in GL_BACKENDS:
        if _probe(backend):
            os.environ["MUJOCO_GL"] = backend
            os.environ.setdefault("PYOPENGL_PLATFORM", backend)
            return backend
    raise RuntimeError(
        "no headless OpenGL backend works for MuJoCo rendering: install libegl1 libopengl0 "
        "libgl1-mesa-dri (MUJOCO_GL=egl) or libosmesa6 (MUJOCO_GL=osmesa), or run with --no-video"
    )


def is_mujoco_id(task_id: str) -> bool:
    """True for ``<name>-v5`` with ``name`` one of :data:`MUJOCO_TASKS`."""
    name, _, version = task_id.rpartition("-")
    return version == "v5" and name in MUJOCO_TASKS


def mujoco_ids() -> list[str]:
    """The 11 standard MuJoCo v5 ids."""
    return [f"{name}-v5" for name in MUJOCO_TASKS]


class FastOffscreenRender(gym.Wrapper):
    """Turns shadows and reflections off in the offscreen scene (about 10x faster in software).

    Changes nothing but ``render()``: observations, rewards and dynamics are untouched.
    """

    def render(self) -> Any:
        import mujoco  # only imported once a frame is wanted; the GL backend is chosen by then

        renderer = self.env.unwrapped.mujoco_renderer
        viewer = renderer._get_viewer(render_mode=self.env.unwrapped.render_mode)
        viewer.scn.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
        viewer.scn.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
        return self.env.render()


def make_mujoco(
    task_id: str,
    render: bool = False,
    max_episode_steps: int | None = None,
    **overrides: Any,
) -> tuple[gym.Env, dict[str, Any]]:
    """Build one of the 11 MuJoCo v5 tasks with Gymnasium's defaults.

    Args:
        task_id: ``<name>-v5`` with ``name`` in :data:`MUJOCO_TASKS`.
        render: build for offscreen ``rgb_array`` frames (:data:`RENDER_WIDTH` x
            :data:`RENDER_HEIGHT`, shadows and reflections off, a tracking camera for walkers);
            picks the GL backend first (see :func:`select_gl_backend`).
        max_episode_steps: optional cap in steps, below the task's own (1000 for most).
        **overrides: Gymnasium MuJoCo keyword arguments (e.g. ``reset_noise_scale``).

    Returns:
        The env and the keyword arguments that change the task (rendering ones are left out).
    """
    if not is_mujoco_id(task_id):
        raise ValueError(f"{task_id!r} is not one of {mujoco_ids()}")
    render_kwargs: dict[str, Any] = {}
    if render:
        select_gl_backend()
        render_kwargs = {"render_mode": "rgb_array", "width": RENDER_WIDTH, "height": RENDER_HEIGHT}
        if task_id.rpartition("-")[0] in TRACKING_TASKS:
            render_kwargs["camera_name"] = "track"
    with mujoco_warnings_as_python():
        env = gym.make(task_id, max_episode_steps=max_episode_steps, **render_kwargs, **overrides)
    if render:
        env = FastOffscreenRender(env)
    return env, dict(overrides)


@contextlib.contextmanager
def mujoco_warnings_as_python() -> Iterator[None]:
    """Within the block, MuJoCo's own warnings are Python RuntimeWarnings (shown once a process by
    Python's default filter), unless the user installed a handler of their own. MuJoCo's default
    prints each and appends it to MUJOCO_LOG.TXT in the working directory: Gymnasium's
    half_cheetah.xml sets the compiler attribute settotalmass, which MuJoCo 4 deprecates, so every
    HalfCheetah env built would write a line into the folder a user runs gato-eval in."""
    import mujoco

    previous = mujoco.get_mju_user_warning()
    if previous is not None:
        yield
        return
    mujoco.set_mju_user_warning(lambda message: warnings.warn(f"MuJoCo: {message}", RuntimeWarning, stacklevel=2))
    try:
        yield
    finally:
        mujoco.set_mju_user_warning(None)
