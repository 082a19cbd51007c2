"""Quality of the default settings, judged by `judge.py`: bf16 against fp32, and cheaper variants.

    python bench/default_quality.py [--quick]

The default settings on the example pairs in the default precision, in
fp32, in fp32 with the other memory format (only the rounding differs: how
much the optimisation amplifies rounding), the previous default, half the
steps and a single scale; each result judged, and a contact sheet to look at.
A speed change that moves the judge's numbers by more than a few percent
changes the picture.
"""

from __future__ import annotations

from common import ROOT, Profile, Report, default_settings, pair_name, pair_paths, run_alone, table, timed_run
from contact_sheet import make_sheet
from judge import STYLE_LAYERS, Judge

from nst import load_image
from nst.device import resolve_compute


def section(report: Report, profile: Profile, result: dict | None = None) -> dict:
    """Judge the default settings in the default precision and in fp32, and half the steps; save a sheet.

    `result` is what `time_to_result.section` returned, if it ran: its warm run
    is then the first pair's default run, instead of running it again.
    """
    settings = default_settings(profile)
    default_precision = resolve_compute(settings.device).precision
    variants = {default_precision: settings}
    if default_precision != "fp32":
        variants["fp32"] = settings.replace(precision="fp32")
    # The same fp32 arithmetic in the other memory format: only the rounding differs, so
    # its distance from fp32 is how far the optimisation itself amplifies rounding.
    fp32_format = resolve_compute(settings.device, "fp32").channels_last
    rounding = f"fp32, {'contiguous' if fp32_format else 'channels-last'}"
    variants[rounding] = settings.replace(precision="fp32", channels_last=not fp32_format)
    # The default before this benchmark's study: a quarter more steps, the shown image a running average.
    averaged = f"{round(settings.steps * 1.25)} steps, averaged"
    variants[averaged] = settings.replace(steps=round(settings.steps * 1.25), average=True)
    half = f"{settings.steps // 2} steps"
    single = f"single scale, {settings.steps // 4} steps"
    rows, sheet, changes, noise, walls, columns = [], [], [], [], [], ""
    for index in range(profile.pairs):
        content, style = pair_paths(index)
        judge = Judge(content, style)
        runs = {name: timed_run(content, style, v) for name, v in variants.items() if name != default_precision}
        if result and index == 0:
            runs[default_precision] = result["final"]
        else:
            runs[default_precision] = timed_run(content, style, settings)
        if index == 0:
            runs[half] = timed_run(content, style, settings.replace(steps=settings.steps // 2))
            runs[single] = timed_run(content, style, settings.replace(multiscale=False, steps=settings.steps // 4))
            layers = {name: judge.parts(runs[name].final) for name in variants}
        runs = {name: runs[name] for name in [*variants, half, single] if name in runs}
        columns = columns if index else " | ".join(runs)
        scores = {name: judge(run.final) for name, run in runs.items()}
        reference = scores[default_precision]
        for name, run in runs.items():
            change = [100 * (scores[name][key] / reference[key] - 1) for key in ("style_distance", "content_distance")]
            if name == "fp32":
                changes += [(abs(c), pair_name(index), change) for c in change]
            if name == rounding and "fp32" in scores:
                keys = ("style_distance", "content_distance")
                spread = [100 * (scores[name][key] / scores["fp32"][key] - 1) for key in keys]
                noise += [(abs(c), pair_name(index), spread) for c in spread]
            if name == default_precision:
                walls.append((pair_name(index), "x".join(map(str, run.final.size)), run.total))
            rows.append(
                [
                    pair_name(index),
                    "default" if name == default_precision else name,
                    run.precision,
                    f"{scores[name]['style_distance']:.4g}",
                    f"{scores[name]['content_distance']:.4g}",
                    "" if name == default_precision else " / ".join(f"{c:+.1f}%" for c in change),
                    f"{run.total:.1f}",
                ]
            )
        caption = f"{pair_name(index)}: " + "; ".join(
            f"{name} style {v['style_distance']:.3g} content {v['content_distance']:.3g}" for name, v in scores.items()
        )
        sheet.append(([load_image(content), load_image(style), *(run.final for run in runs.values())], caption))
    profile.out.mkdir(parents=True, exist_ok=True)
    path = profile.out / "quality.png"
    make_sheet(sheet).save(path, optimize=True)
    worst = max(changes, default=None)
    worst_noise = max(noise, default=None)
    report.add(
        f"## 4. Quality of the default settings at {profile.result_size} px\n\n"
        + table(
            [
                "pair",
                "run",
                "precision",
                "style distance",
                "content distance",
                "change from default (style / content)",
                "wall s",
            ],
            rows,
        )
        + "\n\nThe judge (`bench/judge.py`): our VGG-19 in fp32 at 256 px; style distance = sum over "
        "relu1_1 ... relu5_1 of the mean squared difference of normalised Gram matrices, content distance "
        "= mean squared difference at relu4_2; lower is better. A speed change that moves these numbers "
        "by more than a few percent changes the picture.\n\n"
        + (
            f"{default_precision} against fp32: the largest difference of either distance is {worst[0]:.1f}% "
            f"({worst[1]}). "
            if worst is not None
            else ""
        )
        + (
            f"fp32 against fp32 in the other memory format (same arithmetic, different rounding): up to "
            f"{worst_noise[0]:.1f}% ({worst_noise[1]}): after a few hundred steps the optimisation has amplified "
            "rounding differences by that much, so a precision change cannot be held to less. "
            if worst_noise is not None
            else ""
        )
        + f"Style distance by layer, {pair_name(0)}: "
        + "; ".join(
            f"{name} " + ", ".join(f"{layer} {value:.3g}" for layer, value in parts.items() if layer in STYLE_LAYERS)
            for name, parts in layers.items()
        )
        + f". {averaged.capitalize()} is the previous default (until 2026-11-28): a quarter more steps and "
        "the result a running average of the iterates (decay 0.9), which lags behind at the finest scale's few "
        "steps. Half the steps is the cheapest speed lever, and a single scale at about the default's cost tests "
        "coarse to fine; the table shows what each costs in quality. "
        f"Contact sheet (content | style | {columns}): `{path.relative_to(ROOT)}`; "
        "only the first row has the last two runs."
    )
    return {"worst_change": worst, "worst_noise": worst_noise, "walls": walls, "sheet": path}


def target_rows(found: dict | None) -> list[list[object]]:
    """The verdict for the report's targets: bf16 within a few percent of fp32 by the judge."""
    if not found or found["worst_change"] is None:
        return []
    worst, pair, change = found["worst_change"]
    direction = "bf16 lower on both" if min(change) > 0 else "bf16 higher on both" if max(change) < 0 else "mixed"
    measured = (
        f"{worst:.1f}% worst ({pair}: fp32 {' / '.join(f'{c:+.1f}%' for c in change)} style / content, {direction})"
    )
    status = "met" if worst <= 5 else "not met"
    noise = found.get("worst_noise")
    if noise:
        measured += f"; fp32 vs fp32 with only the rounding changed: {noise[0]:.1f}% worst ({noise[1]})"
        if worst > 5 and worst <= noise[0]:
            status = "not met as worded; within fp32's own rounding spread"
    return [["bf16 leaves the judge's numbers within a few percent of fp32's", measured, status]]

if __name__ == "__main__":
    run_alone(__doc__.splitlines()[0], lambda report, profile, device: section(report, profile))
