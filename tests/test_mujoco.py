"""MuJoCo v5 tasks and headless rendering (real GL contexts, in subprocesses where the backend matters)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import envs
from envs import mujoco as mj


def test_the_eleven_tasks():
    assert len(mj.MUJOCO_TASKS) == 11
    assert all(envs.task_family(i) == "mujoco" for i in mj.mujoco_ids())
    assert mj.TRACKING_TASKS <= set(mj.MUJOCO_TASKS)
    with pytest.raises(ValueError, match="is not one of"):
        mj.make_mujoco("Hopper-v4")


@pytest.fixture
def no_gl_choice(monkeypatch):
    """MUJOCO_GL and PYOPENGL_PLATFORM unset, and restored whatever select_gl_backend writes."""
    for name in ("MUJOCO_GL", "PYOPENGL_PLATFORM"):
        monkeypatch.setenv(name, "")  # registers the original value (or absence) for restoring
        monkeypatch.delenv(name)
    monkeypatch.delitem(sys.modules, "OpenGL", raising=False)
    return monkeypatch


def test_explicit_mujoco_gl_is_respected(monkeypatch):
    monkeypatch.setenv("MUJOCO_GL", "osmesa")
    monkeypatch.setattr(mj, "_probe", lambda backend: pytest.fail("must not probe"))
    assert mj.select_gl_backend() == "osmesa"


def test_falls_back_to_osmesa_when_egl_fails(no_gl_choice):
    monkeypatch = no_gl_choice
    tried = []
    monkeypatch.setattr(mj, "_probe", lambda backend: tried.append(backend) or backend == "osmesa")
    assert mj.select_gl_backend() == "osmesa"
    assert tried == ["egl", "osmesa"]
    assert os.environ["MUJOCO_GL"] == "osmesa" and os.environ["PYOPENGL_PLATFORM"] == "osmesa"


def test_an_imported_pyopengl_keeps_its_platform(no_gl_choice):
    monkeypatch = no_gl_choice
    monkeypatch.setenv("PYOPENGL_PLATFORM", "osmesa")
    monkeypatch.setitem(sys.modules, "OpenGL", sys.modules.get("OpenGL", object()))
    monkeypatch.setattr(mj, "_probe", lambda backend: pytest.fail("must not probe"))
    assert mj.select_gl_backend() == "osmesa"


def test_no_backend_is_a_clear_error(no_gl_choice):
    monkeypatch = no_gl_choice
    monkeypatch.setattr(mj, "_probe", lambda backend: False)
    with pytest.raises(RuntimeError, match="libosmesa6.*--no-video"):
        mj.select_gl_backend()


_RENDER = """
import os, sys
import mujoco  # imported and used before the backend is chosen: that must not matter
import envs
envs.make(sys.argv[1]).reset(seed=0)
env = envs.make(sys.argv[1], seed=0, render=True, max_episode_steps=5)
env.reset(seed=0)
first = env.render()
for _ in range(5):
    env.step(env.action_space.sample())
last = env.render()
env.close()
print(os.environ["MUJOCO_GL"], first.shape, int(first.std() > 0), int((first != last).any()))
"""


@pytest.mark.parametrize("backend", [None, "egl", "osmesa"])
def test_offscreen_rendering_works_headless(backend, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MUJOCO_GL", "PYOPENGL_PLATFORM")}
    if backend:
        env["MUJOCO_GL"] = backend
    done = subprocess.run(
        [sys.executable, "-c", _RENDER, "HalfCheetah-v5"], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    chosen, *rest = done.stdout.split()
    assert chosen == (backend or chosen) and chosen in mj.GL_BACKENDS
    # a non-blank 240x320 frame that changes as the cheetah moves
    assert " ".join(rest) == f"({mj.RENDER_HEIGHT}, {mj.RENDER_WIDTH}, 3) 1 1"


def test_walkers_use_the_tracking_camera_without_shadows():
    import mujoco

    env = envs.make("Hopper-v5", seed=0, render=True)
    env.reset(seed=0)
    frame = env.render()
    renderer = env.unwrapped.mujoco_renderer
    track = mujoco.mj_name2id(env.unwrapped.model, mujoco.mjtObj.mjOBJ_CAMERA, "track")
    assert track >= 0 and renderer.camera_id == track
    scene = renderer._get_viewer("rgb_array").scn
    assert scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] == 0
    assert scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] == 0
    assert frame.shape == (mj.RENDER_HEIGHT, mj.RENDER_WIDTH, 3) and frame.dtype == np.uint8
    env.close()
    pendulum = envs.make("InvertedPendulum-v5", render=True)
    assert pendulum.unwrapped.mujoco_renderer.camera_id == -1  # free camera: it stays in view
    pendulum.close()


@pytest.mark.parametrize("name", mj.MUJOCO_TASKS)
def test_every_task_renders(name):
    import mujoco

    env = envs.make(f"{name}-v5", seed=0, render=True)
    frame = env.render()
    assert frame.shape == (mj.RENDER_HEIGHT, mj.RENDER_WIDTH, 3) and frame.std() > 0
    if name in mj.TRACKING_TASKS:
        model = env.unwrapped.model
        assert env.unwrapped.mujoco_renderer.camera_id == mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, "track")
    env.close()


def test_mujocos_warnings_become_python_warnings_and_no_log_file(tmp_path, monkeypatch):
    import mujoco

    monkeypatch.chdir(tmp_path)
    with pytest.warns(RuntimeWarning, match="MuJoCo: compiler attribute 'settotalmass' is deprecated"):
        env, _ = mj.make_mujoco("HalfCheetah-v5")  # Gymnasium's half_cheetah.xml sets settotalmass
    env.close()
    assert not (tmp_path / "MUJOCO_LOG.TXT").exists() and mujoco.get_mju_user_warning() is None
    heard = []
    mujoco.set_mju_user_warning(heard.append)  # a user's own handler is kept, and hears them
    try:
        mj.make_mujoco("HalfCheetah-v5")[0].close()
        assert mujoco.get_mju_user_warning() == heard.append
    finally:
        mujoco.set_mju_user_warning(None)
    assert len(heard) == 1 and "settotalmass" in heard[0]
