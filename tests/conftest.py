"""Shared fixtures: tiny model configs that run in milliseconds."""

import os

import numpy as np
import pytest
import torch

os.environ.setdefault("MUJOCO_GL", "egl")
torch.set_num_threads(1)  # tiny models: one thread is faster and immune to a busy machine


@pytest.fixture
def micro_config():
    """A 2-layer, 32-wide control-only Gato with small images (2x2 patches per frame)."""
    from gato_agent import GatoConfig

    return GatoConfig(
        num_layers=2, embed_dim=32, num_heads=4, ff_dim=64, context_length=256, text_vocab_size=1024,
        image_height=32, image_width=32, patch_hidden_channels=8, patch_norm_groups=4, max_observation_tokens=64,
    )


@pytest.fixture
def make_dataset(tmp_path, monkeypatch):
    """Record episodes of a real env under a policy as a Minari dataset; returns its folder.

    make_dataset(env_id, policy, episodes, max_steps, seed=0) -> Path; policy(obs) -> action.
    With `executed=f`, f(obs) is the action stepped and `policy`'s the one recorded as the label
    (both kept, the executed ones in infos["executed_action"], as gato-collect --label does).
    """
    import warnings

    import gymnasium as gym
    import minari
    from minari.data_collector import EpisodeBuffer

    root = tmp_path / "minari"
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(root))

    def make(env_id, policy, episodes, max_steps, seed=0, name=None, executed=None):
        env = gym.make(env_id, max_episode_steps=max_steps)
        buffers = []
        for i in range(episodes):
            obs, _ = env.reset(seed=seed + i)
            b = dict(observations=[obs], actions=[], rewards=[], terminations=[], truncations=[])
            stepped = []
            while True:
                action = policy(obs)
                stepped.append(action if executed is None else executed(obs))
                obs, reward, terminated, truncated, _ = env.step(stepped[-1])
                for key, value in zip(b, (obs, action, reward, terminated, truncated)):
                    b[key].append(value)
                if terminated or truncated:
                    break
            infos = None if executed is None else {"executed_action": np.asarray(stepped)}
            buffers.append(EpisodeBuffer(id=i, seed=seed + i, infos=infos, **b))
        dataset_id = name or f"{env_id.split('/')[-1].lower()}-s{seed}-v0"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            minari.create_dataset_from_buffers(dataset_id, buffers, env=env)
        return root / dataset_id

    return make


@pytest.fixture
def tmpfs(tmp_path):
    """A real small disk: mount(size) -> a folder on a fresh tmpfs of `size` bytes ("3m"), which
    read_only(folder) remounts read-only. Skips the test where mounting is not allowed (not root,
    no CAP_SYS_ADMIN in a container); everything mounted is unmounted afterwards."""
    import subprocess
    from types import SimpleNamespace

    mounted = []

    def mount(size: str, name: str = "disk"):
        folder = tmp_path / name
        folder.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})")
        mounted.append(folder)
        return folder

    def read_only(folder):
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)

    yield SimpleNamespace(mount=mount, read_only=read_only)
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
