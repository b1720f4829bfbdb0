"""Plots of LPU outputs: spike rasters, graded-potential waveforms and an animation (Neurokernel's visualizer)."""

from __future__ import annotations

import numpy as np

from ..io.atomic import atomic_path


def lpu_raster(ax, spikes: np.ndarray, dt: float, title: str = "") -> None:
    """Raster of a (steps, neurons) 0/1 array; times in seconds."""
    steps, idx = np.nonzero(spikes)
    ax.plot(steps * dt, idx, "|", ms=3, color="k", rasterized=True)
    ax.set_xlim(0, spikes.shape[0] * dt if spikes.shape[0] else 1)
    ax.set_ylim(-0.5, max(spikes.shape[1], 1) - 0.5)
    ax.set_ylabel("neuron")
    ax.set_title(title, fontsize=9)


def lpu_waveforms(ax, gpot: np.ndarray, dt: float, columns, title: str = "") -> None:
    """Graded potentials (V, shown in mV) of some columns of a (steps, neurons) array."""
    t = np.arange(gpot.shape[0]) * dt
    for c in columns:
        ax.plot(t, gpot[:, c] * 1e3, lw=0.8, label=str(c))
    ax.set_xlim(0, gpot.shape[0] * dt if t.size else 1)  # the end of the last step, as the raster: never empty
    ax.set_ylabel("V (mV)")
    ax.set_title(title, fontsize=9)


def demo_figures(outputs: dict, dt: float, out_dir, frames: int = 20, fps: int = 5) -> list[str]:
    """Write ``raster.png``, ``waveforms.png`` and ``animation.gif`` for ``{run: [(spike, gpot) per LPU]}``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    runs = list(outputs)
    n_lpus = len(outputs[runs[0]])
    written = []
    fig, axes = plt.subplots(n_lpus, len(runs), figsize=(5 * len(runs), 2.6 * n_lpus), squeeze=False, sharex=True)
    for j, run in enumerate(runs):
        for i, (spk, _) in enumerate(outputs[run]):
            lpu_raster(axes[i, j], spk, dt, f"{run}: LPU {i} spikes")
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    fig.tight_layout()
    with atomic_path(f"{out_dir}/raster.png") as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    written.append("raster.png")

    fig, axes = plt.subplots(n_lpus, len(runs), figsize=(5 * len(runs), 2.6 * n_lpus), squeeze=False, sharex=True)
    for j, run in enumerate(runs):
        for i, (_, gpot) in enumerate(outputs[run]):
            lpu_waveforms(axes[i, j], gpot, dt, range(min(4, gpot.shape[1])), f"{run}: LPU {i} graded potentials")
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    fig.tight_layout()
    with atomic_path(f"{out_dir}/waveforms.png") as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    written.append("waveforms.png")

    # the animation: every run's rasters, revealed up to the current time (as Neurokernel's visualizer does)
    fig, axes = plt.subplots(n_lpus, len(runs), figsize=(3.2 * len(runs), 1.8 * n_lpus), squeeze=False,
                             sharex=True)
    n_steps = outputs[runs[0]][0][0].shape[0]
    dots = []
    for j, run in enumerate(runs):
        for i, (spk, _) in enumerate(outputs[run]):
            lpu_raster(axes[i, j], np.zeros_like(spk), dt, f"{run}: LPU {i}")
            dots.append((axes[i, j].plot([], [], "|", ms=2, color="k")[0], np.nonzero(spk)))
    cursor = [ax.axvline(0, color="r", lw=0.8) for ax in axes.ravel()]

    def draw(k):
        upto = (k + 1) * n_steps // frames
        for line, (steps, idx) in dots:
            keep = steps < upto
            line.set_data(steps[keep] * dt, idx[keep])
        for c in cursor:
            c.set_xdata([upto * dt])
        return [d[0] for d in dots] + cursor

    fig.tight_layout()
    with atomic_path(f"{out_dir}/animation.gif") as tmp:
        FuncAnimation(fig, draw, frames=frames, blit=False).save(tmp, writer=PillowWriter(fps=fps), dpi=60)
    plt.close(fig)
    written.append("animation.gif")
    return written
