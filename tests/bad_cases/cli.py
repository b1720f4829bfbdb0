"""Bad command lines: every ``spikeloom`` command and the top level. Each is refused before anything is
simulated, with exit code 2 and one line naming the option (or file and array) and what would be valid."""

from __future__ import annotations

import io
import zipfile

import numpy as np

from bad_cases import CliCase

CASES: list[CliCase] = []


def case(id: str, argv: str | list, match: str, code: int = 2, files: dict | None = None) -> None:
    CASES.append(CliCase(id, argv.split() if isinstance(argv, str) else argv, match, code, files or {}))


# ---- top level --------------------------------------------------------------------------------------------
case("no-command", "", r"required: command")
case("unknown-top-option", "--frob", r"required: command|unrecognized arguments: --frob")
case("run-abbreviated", "ru coba", r"invalid choice: 'ru'")
case("no-model", "run", r"required: model")
case("unknown-model", "run nonesuch", r"unknown model 'nonesuch'.*coba")
case("model-case", "run COBA", r"unknown model 'COBA'")
case("unknown-option", "run coba --frob 1", r"unrecognized arguments: --frob")
case("extra-positional", "run coba extra", r"unrecognized arguments: extra")
case("option-without-value", "run coba --duration", r"argument --duration: expected one argument")
for model, option in [("coba", "--dur"), ("coba", "--du"), ("coba", "--see"), ("coba", "--fan"), ("coba", "--no-p"),
                      ("cobahh", "--prec"), ("joglekar2018", "--reg"), ("joglekar2018", "--sca"),
                      ("izhikevich-poisson", "--n-e"), ("izhikevich-poisson", "--dur"), ("dynapse", "--dt"),
                      ("dynapse", "--dt-u"), ("dynapse", "--input"), ("lpu-demo", "--dur"), ("lpu-demo", "--no")]:
    case(f"abbrev-{model}{option}", f"run {model} {option} 1", rf"unrecognized arguments: {option}\b")
for model, option, value in [("coba", "--engine", "gpu"), ("coba", "--precision", "float16"),
                             ("coba", "--device", "tpu"), ("joglekar2018", "--regime", "chaos"),
                             ("joglekar2018", "--delays", "random"), ("izhikevich-poisson", "--engine", "numba"),
                             ("lpu-demo", "--engine", "gpu")]:
    case(f"choice-{model}{option}", f"run {model} {option} {value}", rf"argument {option}: invalid choice: '{value}'")

# ---- numbers that are not numbers, on every command -----------------------------------------------------------
NUMERIC = {"coba": ["--duration", "--dt", "--seed", "--n", "--fan-in"], "cobahh": ["--duration", "--n"],
           "joglekar2018": ["--scale", "--dt", "--duration", "--seed"],
           "izhikevich-poisson": ["--n-exc", "--n-inh", "--n-unconn", "--duration", "--seed"],
           "dynapse": ["--dt-us", "--duration", "--seed"], "lpu-demo": ["--duration", "--dt", "--seed"]}
for model, options in NUMERIC.items():
    for option in options:
        case(f"text-{model}{option}", ["run", model, option, "ten"], rf"argument {option}: expected a number, got 'ten'")
        case(f"nan-{model}{option}", ["run", model, option, "nan"], rf"{option} must be .*got (float )?nan")
        case(f"neg-inf-{model}{option}", ["run", model, option, "-inf"], rf"{option} must be .*got (float )?-inf")
case("empty-number", ["run", "coba", "--dt", ""], r"argument --dt: expected a number, got ''")
case("hex-number", "run coba --n 0x10", r"argument --n: expected a number, got '0x10'")

# ---- coba / cobahh ------------------------------------------------------------------------------------------------
for model in ("coba", "cobahh"):
    for value in ("inf", "0", "-1", "-0.5"):
        case(f"{model}-duration-{value}", f"run {model} --duration {value}", rf"--duration must be finite and > 0 ms, got {value}")
    for value in ("1e-300", "-0.01", "-1e-3", "0", "11", "1e6"):
        case(f"{model}-dt-{value}", f"run {model} --dt {value}", r"--dt must be finite and in \[1e-06, 10\] ms")
    for value in ("0", "1", "2", "-4"):
        case(f"{model}-n-{value}", f"run {model} --n {value}", rf"--n must be an integer >= 3 .*got {value}")
case("coba-n-fraction", "run coba --n 2.5", r"--n must be a whole number, got float 2.5")
case("coba-fan-in-negative", "run coba --n 100 --fan-in -5", r"--fan-in must be finite and >= 0, got -5")
case("coba-fan-in-above-n", "run coba --n 100 --fan-in 101", r"--fan-in must be in \[0, --n = 100\].*got 101")
case("coba-fan-in-above-default-n", "run coba --fan-in 5000", r"--fan-in must be in \[0, --n = 4000\]")
case("coba-fan-in-inf", "run coba --fan-in inf", r"--fan-in must be finite")
case("coba-duration-not-whole", "run coba --duration 1.05", r"--duration 1.05 ms is not a whole number of steps of --dt 0.1 ms")
case("coba-duration-below-step", "run coba --duration 0.05", r"--duration 0.05 ms is not a whole number of steps")
case("coba-duration-tiny", "run coba --duration 1e-12", r"--duration 1e-12 ms is shorter than one step of --dt 0.1 ms")
case("coba-dt-not-dividing", "run coba --duration 10 --dt 0.3", r"not a whole number of steps of --dt 0.3 ms")
for value in ("-1", "4294967296", "99999999999999999999999", "-99999999999999999999"):
    case(f"coba-seed-{value}", f"run coba --seed {value}", rf"--seed must be an integer in \[0, 4294967295\].*got {value}")
case("coba-seed-fraction", "run coba --seed 1.5", r"--seed must be a whole number, got float 1.5")
case("cobahh-seed-huge", "run cobahh --seed 1e30", r"--seed must be an integer in \[0, 4294967295\]")
case("coba-device-without-jax", "run coba --device gpu", r"--device gpu applies to --engine jax only")
case("coba-duration-memory", "run coba --duration 1e9", r"coba with --n 4000.* needs .* memory is available; lower")
case("coba-n-memory", "run coba --n 100000000000", r"--n 100000000000.* needs .* memory is available")
case("cobahh-n-memory", "run cobahh --n 1e12 --fan-in 0", r"cobahh with --n 1e\+12, --fan-in 0 .* needs .*memory")
case("coba-fan-in-memory", "run coba --n 2000000000 --fan-in 2000000000", r"needs .* memory is available")
case("coba-out-is-a-file", "run coba --duration 1 --out {tmp}/afile", r"--out '.*afile' is a file, not a folder",
     files={"afile": b"x"})
case("coba-out-under-a-file", "run coba --duration 1 --out {tmp}/afile/sub", r"--out '.*afile/sub': cannot create",
     files={"afile": b"x"})
case("cobahh-out-unwritable", "run cobahh --duration 1 --out /proc/spikeloom-out", r"--out '/proc/spikeloom-out': cannot")

# ---- joglekar2018 -------------------------------------------------------------------------------------------------
for value in ("0", "-1", "-100"):
    case(f"joglekar-scale-{value}", f"run joglekar2018 --scale {value}", rf"--scale must be an integer >= 1 .*got {value}")
case("joglekar-scale-fraction", "run joglekar2018 --scale 1.5", r"--scale must be a whole number, got float 1.5")
case("joglekar-scale-inf", "run joglekar2018 --scale inf", r"--scale must be a whole number, got float inf")
case("joglekar-scale-memory", "run joglekar2018 --scale 1000000", r"joglekar2018 at --scale 1000000 .* needs .*memory")
for value in ("0", "-0.1", "1.5", "2", "1e-300"):
    case(f"joglekar-dt-{value}", f"run joglekar2018 --dt {value}", r"--dt must be finite and in \[1e-06, 1\] ms")
for value in ("0.3", "0.15", "0.7"):
    case(f"joglekar-dt-not-dividing-1ms-{value}", f"run joglekar2018 --dt {value}", rf"--dt must divide 1 ms.*got {value}")
for value in ("0", "10", "13.9", "-950", "inf"):
    case(f"joglekar-duration-{value}", f"run joglekar2018 --duration {value}", r"--duration must be finite and >= 14 ms")
case("joglekar-duration-not-whole", "run joglekar2018 --duration 100.05", r"--duration 100.05 ms is not a whole number")
case("joglekar-duration-memory", "run joglekar2018 --duration 1e9", r"joglekar2018 at --scale 1 .* needs .*memory")
case("joglekar-seed", "run joglekar2018 --seed 4294967296", r"--seed must be an integer in \[0, 4294967295\]")
case("joglekar-out-is-a-file", "run joglekar2018 --duration 20 --out {tmp}/f", r"--out '.*f' is a file", files={"f": b""})

# ---- izhikevich-poisson ------------------------------------------------------------------------------------------
IZH = "run izhikevich-poisson"
for option in ("--n-exc", "--n-inh", "--n-unconn"):
    case(f"izh{option}-negative", f"{IZH} {option} -1", rf"{option} must be an integer >= 0, got -1")
    case(f"izh{option}-fraction", f"{IZH} {option} 2.5", rf"{option} must be a whole number, got float 2.5")
    case(f"izh{option}-inf", f"{IZH} {option} inf", rf"{option} must be a whole number, got float inf")
case("izh-no-inputs", f"{IZH} --n-exc 0 --n-inh 0 --n-unconn 0", r"--n-exc, --n-inh and --n-unconn are all 0")
case("izh-no-inputs-default-inh", f"{IZH} --n-exc 0 --n-unconn 0", r"are all 0; the experiment needs at least one")
for value in ("0", "-1", "inf", "-1e-3"):
    case(f"izh-duration-{value}", f"{IZH} --duration {value}", r"--duration must be finite and > 0 ms")
case("izh-duration-memory", f"{IZH} --duration 1e9", r"izhikevich-poisson with 1100 inputs .* needs .*memory")
case("izh-inputs-memory", f"{IZH} --n-exc 1e13", r"izhikevich-poisson with 1.25e\+13 inputs for 1200 ms needs .*memory")
case("izh-seed-negative", f"{IZH} --seed -3", r"--seed must be an integer in \[0, 4294967295\]")
case("izh-seed-huge", f"{IZH} --seed 18446744073709551616", r"--seed must be an integer in \[0, 4294967295\]")
case("izh-out-is-a-file", f"{IZH} --duration 10 --out {{tmp}}/f", r"--out '.*f' is a file", files={"f": b"1"})

# ---- dynapse ------------------------------------------------------------------------------------------------------
for value in ("0", "-100", "1e-300", "1e-4", "1001", "1e9"):
    case(f"dynapse-dt-us-{value}", f"run dynapse --dt-us {value}", r"--dt-us must be finite and in \[0.001, 1000\] us")
for value in ("0", "-5", "inf"):
    case(f"dynapse-duration-{value}", f"run dynapse --duration {value}", r"--duration must be finite and > 0 ms")
case("dynapse-dt-not-dividing", "run dynapse --dt-us 300", r"--duration 100 ms is not a whole number of steps of --dt-us 300 \(0.3 ms\)")
case("dynapse-duration-not-whole", "run dynapse --duration 0.15", r"--duration 0.15 ms is not a whole number of steps of --dt-us 100")
case("dynapse-duration-memory", "run dynapse --duration 1e9", r"dynapse for \d+ steps needs .*memory")
case("dynapse-seed-negative", "run dynapse --seed -1", r"--seed must be an integer in \[0, 4294967295\]")
case("dynapse-seed-huge", "run dynapse --seed 4294967296", r"--seed must be an integer in \[0, 4294967295\]")
WEIGHTS = {
    "missing": ("nmda=1", r"--weights: missing \['ampa', 'gaba_a', 'gaba_b'\]"),
    "unknown-type": ("nmda=1,ampa=1,gaba_a=1,gaba_c=1", r"--weights: expected type=value .*got 'gaba_c=1'"),
    "no-equals": ("nmda1,ampa=1,gaba_a=1,gaba_b=1", r"--weights: expected type=value .*got 'nmda1'"),
    "twice": ("nmda=1,nmda=2,ampa=1,gaba_a=1,gaba_b=1", r"--weights: nmda is given twice"),
    "text": ("nmda=x,ampa=1,gaba_a=1,gaba_b=1", r"--weights: nmda needs a number, got 'x'"),
    "empty-value": ("nmda=,ampa=1,gaba_a=1,gaba_b=1", r"--weights: nmda needs a number, got ''"),
    "nan": ("nmda=nan,ampa=1,gaba_a=1,gaba_b=1", r"--weights nmda must be finite and >= 0, got nan"),
    "inf": ("nmda=1,ampa=inf,gaba_a=1,gaba_b=1", r"--weights ampa must be finite and >= 0, got inf"),
    "negative": ("nmda=1,ampa=1,gaba_a=-1,gaba_b=1", r"--weights gaba_a must be finite and >= 0, got -1"),
    "cam-slots": ("nmda=60,ampa=5,gaba_a=1,gaba_b=2", r"--weights: the neuron would use 68 CAM slots.* has 64"),
    "empty": ("", r"--weights: expected type=value .*got ''"),
    "trailing-comma": ("nmda=1,ampa=1,gaba_a=1,gaba_b=1,", r"--weights: expected type=value .*got ''"),
}
for name, (text, match) in WEIGHTS.items():
    case(f"dynapse-weights-{name}", ["run", "dynapse", "--weights", text], match)
case("dynapse-weights-cam-slots-rounded-up", ["run", "dynapse", "--weights", "nmda=16.5,ampa=16,gaba_a=16,gaba_b=16"],
     r"--weights: the neuron would use 65 CAM slots")


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _inputs(**override) -> bytes:
    arrays = {"nmda": np.array([0.002, 0.004]), "ampa": np.array([0.003]), "gaba_a": np.zeros(0),
              "gaba_b": np.array([0.01])}
    arrays.update(override)
    return _npz(**{k: v for k, v in arrays.items() if v is not None})


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _raw_member() -> bytes:
    """A zip whose ``nmda`` member is not a .npy array."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("nmda", b"0.1 0.2")
        for k in ("ampa", "gaba_a", "gaba_b"):
            z.writestr(f"{k}.npy", _npy(np.zeros(0)))
    return buf.getvalue()


def _corrupt_member() -> bytes:
    """A valid archive with one byte of the ``nmda`` array's data changed: its CRC no longer matches."""
    data = bytearray(_inputs(nmda=np.full(64, 0.001)))
    at = data.find(np.full(64, 0.001).tobytes())
    data[at + 3] ^= 0xFF
    return bytes(data)


SPIKE_FILES = {
    "strings": (_inputs(nmda=np.array(["0.1", "0.2"])), r"array 'nmda' must hold real numbers, got strings"),
    "objects": (_inputs(ampa=np.array([0.1, None], dtype=object)), r"array 'ampa' cannot be read \(Object arrays"),
    "truncated": (_inputs()[:300], r"cannot read it as a \.npz archive"),
    "npy": (_npy(np.array([0.1, 0.2])), r"is a \.npy file \(one array\); expected a \.npz archive"),
    "text": (b"0.002 0.004\n0.003\n", r"is not a \.npz archive"),
    "empty": (b"", r"the file is empty; expected a \.npz archive"),
    "two-d": (_inputs(nmda=np.array([[0.001, 0.002]])), r"array 'nmda' must have shape \(any,\), got shape \(1, 2\)"),
    "scalar": (_inputs(gaba_b=np.float64(0.01)), r"array 'gaba_b' must have shape \(any,\), got shape \(\)"),
    "complex": (_inputs(ampa=np.array([0.001 + 1j])), r"array 'ampa' must hold real numbers, got complex numbers"),
    "nan": (_inputs(nmda=np.array([0.001, np.nan])), r"array 'nmda' must be finite, got nan at flat index 1"),
    "inf": (_inputs(gaba_a=np.array([np.inf])), r"array 'gaba_a' must be finite, got inf"),
    "negative": (_inputs(nmda=np.array([-0.001])), r"array 'nmda' must be >= 0 s, got -0.001 at flat index 0"),
    "beyond-run": (_inputs(ampa=np.array([0.05, 0.2])), r"array 'ampa' has 1 spike time\(s\) at or after the end of the run"),
    "at-run-end": (_inputs(gaba_b=np.array([0.1])), r"array 'gaba_b' has 1 spike time\(s\) at or after the end"),
    "booleans": (_inputs(nmda=np.array([True, False])), r"array 'nmda' must hold spike times in s, got booleans"),
    "missing-array": (_inputs(gaba_b=None), r"missing arrays \['gaba_b'\]"),
    "raw-member": (_raw_member(), r"array 'nmda' must hold spike times in s, got not a \.npy member"),
    "corrupt-member": (_corrupt_member(), r"array 'nmda' cannot be read"),
    "pickle": (b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00]\x94.", r"is not a \.npz archive"),
}
for name, (data, match) in SPIKE_FILES.items():
    case(f"dynapse-input-spikes-{name}", "run dynapse --input-spikes {tmp}/in.npz", rf"--input-spikes '.*in\.npz': {match}",
         files={"in.npz": data})
case("dynapse-input-spikes-missing-file", "run dynapse --input-spikes {tmp}/none.npz", r"'.*none\.npz': no such file")
case("dynapse-input-spikes-folder", "run dynapse --input-spikes {tmp}", r"--input-spikes '.*': is a folder")
case("dynapse-input-spikes-short-run", "run dynapse --duration 5 --input-spikes {tmp}/in.npz",
     r"array 'nmda' has 0 spike|array 'gaba_b' has 1 spike time\(s\) at or after the end of the run \(0.01 s >= --duration 5 ms\)",
     files={"in.npz": _inputs()})
case("dynapse-out-is-a-file", "run dynapse --duration 1 --out {tmp}/f", r"--out '.*f' is a file", files={"f": b"1"})

# ---- lpu-demo -----------------------------------------------------------------------------------------------------
for value in ("1", "0.01", "0", "-1e-4", "1e-9", "inf"):
    case(f"lpu-dt-{value}", f"run lpu-demo --dt {value}", r"--dt must be finite and in \[1e-06, 0.001\] s")
for value in ("0", "-1", "inf"):
    case(f"lpu-duration-{value}", f"run lpu-demo --duration {value}", r"--duration must be finite and > 0 s")
case("lpu-duration-not-whole", "run lpu-demo --duration 0.00015", r"--duration 0.00015 s is not a whole number of steps of --dt 0.0001 s")
case("lpu-dt-not-dividing", "run lpu-demo --dt 3e-5", r"--duration 1 s is not a whole number of steps of --dt 3e-05 s")
case("lpu-duration-memory", "run lpu-demo --duration 1e9", r"lpu-demo for 1e\+13 steps needs .*memory")
case("lpu-seed-last", "run lpu-demo --seed 4294967295", r"--seed must be an integer in \[0, 4294967294\] \(LPU 1 uses seed \+ 1")
case("lpu-seed-negative", "run lpu-demo --seed -1", r"--seed must be an integer in \[0, 4294967294\]")
case("lpu-engine-unknown", "run lpu-demo --engine gpu", r"argument --engine: invalid choice: 'gpu'")
case("lpu-out-is-a-file", "run lpu-demo --duration 0.001 --out {tmp}/f", r"--out '.*f' is a file", files={"f": b"1"})
