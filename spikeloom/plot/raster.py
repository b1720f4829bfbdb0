"""Raster and population-rate plots of a :class:`~spikeloom.run.Result`.

Every run that has a result can be plotted, however short: the smoothing window shrinks to the record and an
empty record (a run interrupted before its first step) still gets a time axis one step wide.
"""

from __future__ import annotations


def _time_span(result) -> tuple[float, float]:
    """x limits: the run, at least one step wide (matplotlib refuses equal limits)."""
    return result.t_start, result.t_start + max(result.duration, result.dt)


def raster_plot(result, pops=None, ax=None, max_neurons: int | None = None, markersize: float = 1.0):
    """Spikes of ``pops`` (default: every monitored population) stacked one above the other."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    pops = list(result.spikes) if pops is None else list(pops)
    offset, ticks = 0, []
    for k, pop in enumerate(pops):
        st = result.spikes[pop]
        n = st.n if max_neurons is None else min(st.n, max_neurons)
        keep = st.indices < n
        ax.plot(st.times[keep], st.indices[keep] + offset, ".", ms=markersize, color=f"C{k}", rasterized=True)
        ticks.append((offset + n / 2, pop))
        offset += n
    ax.set_yticks([t for t, _ in ticks], [name for _, name in ticks])
    ax.set_xlim(*_time_span(result))
    ax.set_ylim(0, max(offset, 1))
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    return ax


def rate_plot(result, pops=None, ax=None, window_ms: float = 5.0):
    """Population rates (Hz), smoothed over ``window_ms`` (at most the run's length: a wider centred window
    would return more points than the run has steps)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    window_ms = min(window_ms, result.duration)
    for k, pop in enumerate(result.spike_counts if pops is None else pops):
        ax.plot(result.t, result.rate(pop, window_ms), color=f"C{k}", lw=0.8, label=pop)
    ax.set_xlim(*_time_span(result))
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    ax.legend(loc="upper right", frameon=False)
    return ax


def summary_figure(result, path=None, title: str = "", max_neurons: int | None = 500):
    """Raster above population rates; saved to ``path`` if given, atomically (a crash while saving leaves the
    previous file). Returns the figure."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    raster_plot(result, ax=ax1, max_neurons=max_neurons)
    ax1.set_xlabel("")
    if title:
        ax1.set_title(title)
    rate_plot(result, pops=list(result.spikes) or None, ax=ax2)
    fig.tight_layout()
    if path is not None:
        from ..io.atomic import atomic_path

        try:
            with atomic_path(path) as tmp:
                fig.savefig(tmp, dpi=120)
        finally:
            plt.close(fig)
    return fig
