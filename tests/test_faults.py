"""Faults are survived: a damaged or unusable compile cache, a process killed while it writes results, Ctrl-C
during a run. Each case runs small scripts in fresh processes with a compile cache of their own."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import spikeloom as sl

# a small network whose spikes depend on the seed and on every neuron's input; prints its spikes as JSON
RUN_SCRIPT = textwrap.dedent("""
    import json, sys, warnings
    import numpy as np
    import spikeloom as sl

    warnings.simplefilter("always")
    net = sl.Network(E=sl.LIF(40, init={"V": sl.Uniform(-65.0, -50.0)}))
    runner = sl.Runner(net, dt=0.1, seed=3, monitors=["E.spike"], inputs={"E": np.linspace(250.0, 450.0, 40)})
    res = runner.run(30.0)
    print(json.dumps({"t": res.spikes["E"].times.tolist(), "i": res.spikes["E"].indices.tolist()}))
""")


def _env(cache) -> dict:
    env = dict(os.environ, SPIKELOOM_CACHE_DIR=str(cache))
    env.pop("XLA_FLAGS", None)
    return env


def _run(script: str, cache, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True,
                          env=_env(cache), timeout=timeout)


def _spikes(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    """A compile cache filled by one run, and that run's spikes."""
    cache = tmp_path_factory.mktemp("cache")
    spikes = _spikes(_run(RUN_SCRIPT, cache))
    assert spikes["t"], "the reference run must spike"
    return cache, spikes


def _entry(cache, ext: str):
    """The one cached file with suffix ``ext`` of the warm cache (source or Numba index/data)."""
    folder = cache / "numba"
    found = sorted(folder.glob(f"spikeloom_gen_*{ext}")) + sorted((folder / "__pycache__").glob(f"*{ext}"))
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("ext", [".py", ".nbi", ".nbc"])
@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_damaged_cache_entry_is_removed_and_recompiled(warm_cache, tmp_path, ext, damage):
    cache = tmp_path / "cache"
    shutil.copytree(warm_cache[0], cache)
    path = _entry(cache, ext)
    data = path.read_bytes()
    path.write_bytes(b"" if damage == "empty" else data[: len(data) // 3])
    proc = _run(RUN_SCRIPT, cache)
    assert _spikes(proc) == warm_cache[1]
    warned = [line for line in proc.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warned) == 1 and ("compile cache entry" in warned[0] or "cached source" in warned[0]), proc.stderr
    assert (ext if ext != ".nbc" else ".nbi") in warned[0]  # the entry named by its source or index file
    assert _spikes(_run(RUN_SCRIPT, cache)) == warm_cache[1]  # and the healed entry serves the next run


def test_cache_folder_that_is_a_file_means_no_cache(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    proc = _run(RUN_SCRIPT, blocker)
    assert _spikes(proc)["t"]
    assert "is not a folder" in proc.stderr and "without a persistent cache" in proc.stderr


def test_read_only_cache_compiles_without_it(warm_cache, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "numba").mkdir()
    for folder in (cache / "numba", cache):
        folder.chmod(0o555)
    try:
        probe = cache / "numba" / "probe"
        try:
            probe.write_text("x")  # privileged users write anyway: nothing to test then
            pytest.skip("this user can write into read-only folders")
        except PermissionError:
            pass
        proc = _run(RUN_SCRIPT, cache)
        assert _spikes(proc) == warm_cache[1]
        assert "without a persistent cache" in proc.stderr
    finally:
        for folder in (cache, cache / "numba"):
            folder.chmod(0o755)


def test_concurrent_processes_share_an_empty_cache(warm_cache, tmp_path):
    cache = tmp_path / "cache"
    procs = [subprocess.Popen([sys.executable, "-c", RUN_SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=_env(cache)) for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        assert json.loads(out.strip().splitlines()[-1]) == warm_cache[1]
        assert "RuntimeWarning" not in err


WRITE_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from spikeloom import Result

    rng = np.random.default_rng(0)
    big = Result(dt=0.1, t_start=0.0, n_steps=12345)
    big.traces["E.V"] = rng.normal(size=(3000, 1000)).astype(np.float32)
    big.trace_times["E.V"], big.trace_indices["E.V"] = np.arange(3000.0), np.arange(1000)
    print("writing", flush=True)
    while True:
        big.to_hdf5(sys.argv[1])
""")


def test_result_file_survives_sigkill_during_write(tmp_path):
    pytest.importorskip("h5py")
    path = tmp_path / "results.h5"
    old = sl.Result(dt=0.1, t_start=0.0, n_steps=7)
    old.spike_counts["E"], old.sizes["E"] = np.arange(7), 3
    old.to_hdf5(path)
    for delay in (0.05, 0.3, 0.9):
        proc = subprocess.Popen([sys.executable, "-c", WRITE_SCRIPT, str(path)], stdout=subprocess.PIPE, text=True,
                                env=_env(tmp_path / "cache"))
        assert proc.stdout.readline().strip() == "writing"
        time.sleep(delay)
        proc.kill()
        proc.wait(timeout=30)
        back = sl.Result.from_hdf5(path)  # the old file or a complete new one, never a damaged one
        assert back.n_steps in (7, 12345)
        if back.n_steps == 7:
            np.testing.assert_array_equal(back.spike_counts["E"], np.arange(7))
        else:
            assert back.traces["E.V"].shape == (3000, 1000)


INTERRUPT_SCRIPT = textwrap.dedent("""
    import json, signal
    import numpy as np
    import spikeloom as sl

    signal.signal(signal.SIGINT, signal.default_int_handler)  # whatever the parent process did


    def runner():
        net = sl.Network(E=sl.LIF(3000, init={"V": sl.Uniform(-65.0, -50.0)}))
        return sl.Runner(net, dt=0.1, seed=5, monitors=["E.spike", ("E.V", [0, 7], 3)], progress=False,
                         inputs={"E": np.linspace(250.0, 450.0, 3000)})


    first = runner()
    first.run(1.0)  # compiles
    print("ready", flush=True)
    res = first.run(200000.0)
    handler_restored = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    step_after = first.step
    more = first.run(2.0)
    ref = runner()
    ref.run(1.0)
    whole = ref.run(res.duration)
    ref_more = ref.run(2.0)
    print(json.dumps({
        "interrupted": res.interrupted, "n_steps": res.n_steps, "step_after": step_after,
        "handler_restored": handler_restored, "more_interrupted": more.interrupted,
        "same_spikes": bool(np.array_equal(res.spikes["E"].times, whole.spikes["E"].times)
                            and np.array_equal(res.spikes["E"].indices, whole.spikes["E"].indices)),
        "n_spikes": len(res.spikes["E"]), "same_counts": bool(np.array_equal(res.spike_counts["E"],
                                                                             whole.spike_counts["E"])),
        "same_trace": bool(np.array_equal(res["E.V"], whole["E.V"])), "trace_rows": len(res["E.V"]),
        "same_after": bool(np.array_equal(more.spikes["E"].times, ref_more.spikes["E"].times)),
    }))
""")


def test_ctrl_c_stops_the_run_and_keeps_what_was_simulated(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPT_SCRIPT], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(tmp_path / "cache"))
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    info = json.loads(out.strip().splitlines()[-1])
    assert info["interrupted"] and 0 < info["n_steps"] < 2_000_000
    assert info["step_after"] == 10 + info["n_steps"]
    assert info["handler_restored"] and not info["more_interrupted"]
    assert info["n_spikes"] > 0 and info["same_spikes"] and info["same_counts"]
    assert info["trace_rows"] == info["n_steps"] // 3 and info["same_trace"]
    assert info["same_after"]  # the next run continues exactly where the interrupted one stopped


def test_result_file_keeps_the_interrupted_flag_and_replaces_the_old_file(tmp_path):
    path = tmp_path / "r.h5"
    for n_steps, interrupted in ((3, True), (5, False)):
        res = sl.Result(dt=0.1, t_start=0.0, n_steps=n_steps, interrupted=interrupted)
        res.spike_counts["E"], res.sizes["E"] = np.arange(n_steps), 2
        res.to_hdf5(path)
        back = sl.Result.from_hdf5(path)
        assert (back.n_steps, back.interrupted) == (n_steps, interrupted)
    assert [p.name for p in tmp_path.iterdir()] == ["r.h5"]  # no temporary file left behind


def test_quantities_and_empty_sections_are_accepted_where_numbers_are(tmp_path, monkeypatch):
    u = pytest.importorskip("brainunit")
    monkeypatch.setenv("SPIKELOOM_CACHE_DIR", str(tmp_path))

    def run(dt, duration, first, second):
        net = sl.Network(E=sl.LIF(6, init={"V": sl.Uniform(-65.0, -50.0)}))
        inputs = {"E": sl.Sections([(first, 0.0), (second, 5.0), (np.full(6, 250.0), 5.0)])}
        return sl.Runner(net, dt=dt, seed=2, monitors=["E.spike"], inputs=inputs).run(duration).spikes["E"]

    plain = run(0.1, 20.0, 0.0, 450.0)
    with_units = run(0.1 * u.ms, 20 * u.ms, 0 * u.pA, 0.45 * u.nA)
    assert len(plain) > 0
    np.testing.assert_array_equal(plain.times, with_units.times)
    np.testing.assert_array_equal(plain.indices, with_units.indices)


NO_LOCATOR_SCRIPT = textwrap.dedent("""
    import os
    import numba.core.caching as caching

    cache = os.environ["SPIKELOOM_CACHE_DIR"]
    in_tree = getattr(caching, "InTreeCacheLocator", None) or caching._InTreeCacheLocator  # names differ between Numba versions
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl


    class NotInTheCache(in_tree):
        # as if the cache folder and every fallback folder of Numba were read-only
        @classmethod
        def from_function(cls, py_func, py_file):
            return None if py_file.startswith(cache) else super().from_function(py_func, py_file)


    impl._locator_classes = [NotInTheCache]
""") + RUN_SCRIPT


def test_no_writable_place_for_numba_cache_compiles_without_it(warm_cache, tmp_path):
    proc = _run(NO_LOCATOR_SCRIPT, tmp_path / "cache")
    assert _spikes(proc) == warm_cache[1]
    assert "no writable place for the compiled code" in proc.stderr
