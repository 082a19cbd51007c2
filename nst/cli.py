"""Command line: `python -m nst CONTENT STYLE [STYLE ...] -o OUT.png` (STYLE optional with a painting's preset).

A video as CONTENT (MP4, WebM, MOV) is restyled frame by frame, steadily
(`nst.clips.clip`), into `-o OUT.mp4` (or .gif, .webp): the frame rate kept,
the clip's own size unless --size says otherwise (up to the picture default,
never enlarged), the sound kept in MP4, the recipe in the MP4's tag and in the
first frame's PNG beside it (OUT.png; its "photo" is that first frame).
Ctrl-C keeps the frames made so far as a playable clip. An animated GIF or
WebP is restyled as a clip when OUTPUT is a clip, and as a picture made from
its first frame (as the page does) when OUTPUT is a picture.

Options mirror the settings; only the ones given override the chosen preset,
or the recipe read with --recipe (from a PNG nst wrote, or a JSON file), so a
picture can be remade exactly and then varied one option at a time. Every PNG
written carries the run's recipe.
Bad input ends with a one-line message on stderr and a non-zero exit code,
never a traceback. Whatever happens after the first frame, an image is saved:
a diverged run, a deadline or Ctrl-C still writes the last good image.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from PIL import Image

from .clips.clip import stylize_clip
from .errors import NSTError, RunFailedError
from .interrupt import ctrl_c_requests_stop
from .io.animation import FORMATS, save_animation
from .io.clip_reader import open_clip
from .io.clip_writer import OUTPUT_FORMATS, ClipWriter
from .networks.registry import BACKBONES
from .presets import DEFAULT_PRESET, PRESETS, preset, preset_painting
from .recipe import differences, make_recipe, read_recipe, save_png, settings_from_recipe
from .settings import (
    COLOR_MODES,
    DEVICES,
    FIELDS,
    INITS,
    MULTISCALE_FROM,
    OPTIMIZERS,
    PRECISIONS,
    TILE_GRAMS,
    WEIGHTINGS,
    Settings,
)
from .stylize import Progress, stylize

EXIT_BAD_INPUT = 1
EXIT_RUN_FAILED = 3
EXIT_INTERRUPTED = 130
# What is read as a clip rather than a picture: video containers always, GIF and WebP when animated.
VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi"}


def floats(text: str) -> tuple[float, ...]:
    """Parse "1,0.5,2" into a tuple of floats."""
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from error


def memory(text: str) -> float:
    """Bytes from "6G", "6GB", "512M" or a plain number of bytes."""
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    cleaned = text.strip().upper().removesuffix("B").removesuffix("I")
    try:
        if cleaned and cleaned[-1] in units:
            return float(cleaned[:-1]) * units[cleaned[-1]]
        return float(cleaned)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a memory size such as 6G or 512M, got {text!r}") from error


def names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def build_parser() -> argparse.ArgumentParser:
    defaults = Settings()  # the help states the library's own defaults, so it cannot drift from them
    parser = argparse.ArgumentParser(
        prog="python -m nst",
        description="Neural style transfer (Gatys et al. 2016): repaint CONTENT in the style of STYLE.",
    )
    parser.add_argument("content", help="photo to repaint (an animated GIF or WebP: its first frame, or the whole "
                        "animation when OUTPUT is a clip); or a clip to restyle into a clip")
    parser.add_argument("styles", nargs="*", metavar="style",
                        help="one or more style images (default: the painting a painting's preset was tuned on)")
    parser.add_argument("-o", "--output", required=True, help="where to write the result (.png recommended)")
    parser.add_argument("--preset", choices=list(PRESETS), help=f"starting settings (default {DEFAULT_PRESET})")
    parser.add_argument("--recipe", metavar="FILE",
                        help="settings of a PNG nst wrote, or of a JSON recipe; options given override them")
    parser.add_argument("--backbone", choices=BACKBONES, help=f"feature network (default {defaults.backbone}, "
                        "embedded; vgg19-lite: VGG-19 distilled to a quarter of its channels, several times "
                        "faster, softer strokes)")
    parser.add_argument("--size", type=int, help=f"long side of the output in pixels (default {defaults.size}, up to "
                        f"8192; a clip keeps its own size up to {defaults.size})")
    parser.add_argument("--max-memory", type=memory, metavar="SIZE",
                        help="memory the run may use, e.g. 6G (default: half the machine's); "
                        "large pictures run in tiles to fit")
    parser.add_argument("--tile", type=int, metavar="N", help="expert: force tiles of N pixels a side")
    parser.add_argument("--tile-grams", choices=TILE_GRAMS,
                        help="expert: tiles sum the style statistics each step (exact, default) "
                        "or reuse the previous step's (previous: one pass fewer)")
    parser.add_argument("--large-size-steps", type=int, metavar="N",
                        help="steps at each size above 1024 px (default 4)")
    parser.add_argument("--free-large-sizes", dest="keep_viewing", action="store_false", default=None,
                        help="expert: let the sizes above 1024 px repaint the picture as a viewer sees it "
                        "whole, not only add detail finer than 1024 px shows")
    parser.add_argument("--steps", type=int, help="optimisation steps in total")
    parser.add_argument("--strength", "--style-weight", dest="style_strength", type=float,
                        help="style strength; 1 is the preset's balance, same look at every size")
    parser.add_argument("--style-layer-weights", type=floats, help="expert: weight per style layer, comma-separated")
    parser.add_argument("--style-layers", type=names, help="expert: style layer names, comma-separated")
    parser.add_argument("--content-layers", type=names, help="expert: content layer names, comma-separated")
    parser.add_argument("--content-layer-weights", type=floats,
                        help="expert: weight per content layer, comma-separated")
    parser.add_argument("--content-weight", type=float, help="expert: content weight")
    parser.add_argument("--weighting", choices=WEIGHTINGS,
                        help="expert: relative (each layer's error relative to its target, default) or absolute sums")
    parser.add_argument("--tv-weight", type=float, help="expert: total-variation (smoothness) weight")
    parser.add_argument("--style-scale", type=float, help="style image size relative to the output (default 1)")
    parser.add_argument("--blend", type=floats, dest="style_blend", help="blend weights of several styles, e.g. 2,1")
    parser.add_argument("--preserve-color", choices=COLOR_MODES, help="keep the photo's colours")
    parser.add_argument("--mask", help="where the style goes: white = styled, black = kept as the photo, grey = partly")
    parser.add_argument("--mask-style", action="append", metavar="PAINTING",
                        help="painting for the mask's black region instead of the photo (repeat to blend)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS)
    parser.add_argument("--lr", type=float, dest="learning_rate", help="learning rate")
    parser.add_argument("--init", choices=INITS, help="start from the content, noise, or --init-image")
    parser.add_argument("--init-image", help="image to start from (implies --init image)")
    parser.add_argument("--seed", type=int)
    multiscale = parser.add_mutually_exclusive_group()
    multiscale.add_argument("--multiscale", dest="multiscale", action="store_true", default=None,
                            help=f"coarse to fine (default from {MULTISCALE_FROM * defaults.min_scale} px)")
    multiscale.add_argument("--no-multiscale", dest="multiscale", action="store_false")
    parser.add_argument("--device", choices=DEVICES)
    parser.add_argument("--precision", choices=PRECISIONS)
    parser.add_argument("--deadline", type=float,
                        help="stop after this many seconds, keeping the image (or the clip's frames) so far")
    parser.add_argument("--later-steps", type=int,
                        help=f"clips: steps of each frame after the first (default {defaults.later_steps})")
    parser.add_argument("--later-rate", type=float, help="clips: learning rate of the later frames, as a share of "
                        f"the first's (default {defaults.later_rate:g})")
    parser.add_argument("--temporal-weight", type=float,
                        help="clips: how strongly each frame holds to the one before, carried along the motion")
    parser.add_argument("--later-hold", type=float,
                        help=f"clips: how much harder later frames hold the palette (default {defaults.later_hold:g})")
    parser.add_argument("--save-every", nargs=2, metavar=("N", "DIR"), help="save every N-th step's image into DIR")
    parser.add_argument("--animation", help="write the run's progress as an animation (.gif or .webp)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


class ProgressBar:
    """A one-line progress bar on stderr, redrawn in place on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.last_line = 0.0

    def show(self, p: Progress, frame: str = "", seconds_left: float | None = None) -> None:
        """`p`'s bar; a clip's frames each have theirs, prefixed with `frame`, with the clip's `seconds_left`."""
        if not self.enabled:
            return
        width = 24
        filled = round(width * p.step / p.total_steps)
        left = p.seconds_left if seconds_left is None else seconds_left
        line = (
            f"{frame}[{'#' * filled}{'.' * (width - filled)}] {p.step}/{p.total_steps} "
            f"scale {p.scale}/{p.scales} {p.size[0]}x{p.size[1]}  {p.iterations_per_second:.1f} it/s  "
            f"{left:.0f}s left  loss {p.losses.get('total', float('nan')):.3g}"
        )
        if self.tty:
            sys.stderr.write("\r" + line + "\x1b[K")
            if p.done:
                sys.stderr.write("\n")
        elif p.done or time.monotonic() - self.last_line > 2.0:
            sys.stderr.write(line + "\n")
            self.last_line = time.monotonic()
        sys.stderr.flush()


def check_writable(path: Path) -> None:
    if path.is_dir():
        raise NSTError(f"{path} is a folder; give a file name such as result.png.")
    if not path.parent.exists():
        raise NSTError(f"The folder {path.parent} does not exist.")


def save(image: Image.Image, path: Path, recipe: dict) -> None:
    """PNG outputs carry the recipe; other formats have no place for it and are saved plainly."""
    if path.suffix.lower() == ".png":
        save_png(image, path, recipe)
    else:
        image.save(path)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except NSTError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def run(args: argparse.Namespace) -> int:
    # Every option whose destination is a setting's name sets it: the settings are listed once, in Settings.
    overrides = {name: value for name, value in vars(args).items() if name in FIELDS and value is not None}
    if args.init_image:
        overrides["init"] = "image"
    save_every, save_dir = None, None
    if args.save_every:
        try:
            save_every = int(args.save_every[0])
        except ValueError:
            raise NSTError(f"--save-every takes a number of steps first, got {args.save_every[0]!r}.") from None
        if save_every < 1:
            raise NSTError("--save-every needs a positive number of steps.")
        save_dir = Path(args.save_every[1])
        save_dir.mkdir(parents=True, exist_ok=True)
    if args.recipe and args.preset:
        raise NSTError("--preset and --recipe both choose the starting settings: give one of them.")
    wanted = read_recipe(args.recipe) if args.recipe else None
    # Options left out are None, so only what the user typed overrides the recipe or the preset.
    chosen = args.preset or DEFAULT_PRESET
    settings = settings_from_recipe(wanted).replace(**overrides) if wanted else preset(chosen, **overrides)
    styles = args.styles or [preset_painting(chosen)]
    if styles == [None]:
        raise NSTError(
            "Give a style image after the photo (only a painting's preset, such as starry-night, brings its own)."
        )
    if save_every:
        settings = settings.replace(yield_every=math.gcd(save_every, settings.yield_every))
    output = Path(args.output)
    check_writable(output)
    if is_clip(Path(args.content)) and (is_video(Path(args.content)) or output.suffix.lower() in OUTPUT_FORMATS):
        return run_clip(args, settings, styles, output, wanted)
    if args.animation:
        animation = Path(args.animation)
        check_writable(animation)
        if animation.suffix.lower() not in FORMATS:
            raise NSTError(f"--animation must end in .gif or .webp, not {animation.suffix or 'nothing'!r}.")
    recipe = make_recipe(
        settings, args.content, styles, init_image=args.init_image, mask=args.mask, mask_paintings=args.mask_style
    )
    for note in differences(wanted, recipe) if wanted else ():
        print(f"note: {note}", file=sys.stderr)

    bar = ProgressBar(not args.quiet)
    frames: list[Image.Image] = []
    last: Progress | None = None
    progresses = stylize(
        args.content, styles, settings, init_image=args.init_image, mask=args.mask, mask_styles=args.mask_style
    )
    try:
        with ctrl_c_requests_stop() as ctrl_c:
            for progress in progresses:
                last = progress
                bar.show(progress)
                # A record makes its picture when asked; only ask when it is kept.
                if args.animation:
                    frames.append(progress.to_pil())
                if save_dir is not None and (progress.step % save_every == 0 or progress.done):
                    save_png(progress.to_pil(), save_dir / f"step_{progress.step:05d}.png", recipe)
                if ctrl_c.requested and not progress.done:
                    raise KeyboardInterrupt
    except RunFailedError as error:
        print(f"\nerror: {error}", file=sys.stderr)
        if error.last_image is not None:
            save(Image.fromarray(error.last_image), output, recipe)
            print(f"The last good image was saved to {output}.", file=sys.stderr)
        return EXIT_RUN_FAILED
    except KeyboardInterrupt:
        if last is not None:
            save(last.to_pil(), output, recipe)
            print(f"\nInterrupted; the image at step {last.step} was saved to {output}.", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        # Closing the generator here, not from a finaliser at shutdown, runs its clean-up
        # (settling the records it handed out) while the interpreter is whole.
        progresses.close()
    assert last is not None and last.done
    save(last.to_pil(), output, recipe)
    if args.animation:
        save_animation(frames, args.animation)
    if not args.quiet:
        note = " (deadline reached)" if last.stop_reason == "deadline" else ""
        print(
            f"Saved {output} ({last.size[0]}x{last.size[1]}) after {last.step} steps in {last.elapsed:.1f}s{note}.",
            file=sys.stderr,
        )
    return 0


def is_video(path: Path) -> bool:
    """Whether CONTENT is a video container: always a clip (an animated GIF or WebP may also be a picture)."""
    return path.suffix.lower() in VIDEO_SUFFIXES


def is_clip(path: Path) -> bool:
    """Whether CONTENT is a clip: a video container, or a GIF or WebP with more than one frame."""
    if is_video(path):
        return True
    if path.suffix.lower() not in (".gif", ".webp") or not path.is_file():
        return False
    try:
        with Image.open(path) as image:
            return bool(getattr(image, "is_animated", False))
    except OSError:
        return False  # not a picture either: reading it as one says what is wrong


def run_clip(args: argparse.Namespace, settings: Settings, styles: list[str], output: Path, wanted: dict | None) -> int:
    """CONTENT is a clip: restyle it into OUTPUT, the first frame's PNG beside it; Ctrl-C keeps the frames so far."""
    for option, given in (("--init-image", args.init_image), ("--save-every", args.save_every),
                          ("--animation", args.animation)):
        if given:
            raise NSTError(f"{option} is for pictures; a clip's frames each start from the one before.")
    if output.suffix.lower() not in OUTPUT_FORMATS:
        raise NSTError(
            f"{Path(args.content).name} is a video: restyle it into a clip (-o OUT.mp4, .gif or .webp), "
            f"not {output.suffix or 'a file without a suffix'!r}."
        )
    clip = open_clip(args.content)
    if args.size is None and wanted is None:
        # A clip is never enlarged past its own size: that costs time and adds no detail.
        settings = settings.replace(size=min(settings.size, max(clip.width, clip.height)))
    recipe = make_recipe(settings, clip.first_picture(), styles, mask=args.mask, mask_paintings=args.mask_style)
    for note in differences(wanted, recipe) if wanted else ():
        print(f"note: {note}", file=sys.stderr)
    poster = output.with_suffix(".png")
    bar = ProgressBar(not args.quiet)
    with ClipWriter(output, clip.fps, audio_from=clip, recipe=json.dumps(recipe, separators=(",", ":"))) as writer:
        records = stylize_clip(clip, styles, settings, writer=writer, mask=args.mask, mask_styles=args.mask_style)
        try:
            with ctrl_c_requests_stop() as ctrl_c:
                for record in records:
                    bar.show(record.run, f"frame {record.frame + 1}/{record.frames} ", record.seconds_left)
                    if record.frame == 0 and record.run.done:
                        save_png(record.run.to_pil(), poster, recipe)
                    if ctrl_c.requested and not record.done:
                        raise KeyboardInterrupt
        except RunFailedError as error:
            print(f"\nerror: {error}", file=sys.stderr)
            print(f"The {writer.frames_written} frames made before it were saved to {output}.", file=sys.stderr)
            return EXIT_RUN_FAILED
        except KeyboardInterrupt:
            kept = f"the {writer.frames_written} frames made were saved to {output}" if writer.frames_written else (
                "no frame was finished, so nothing was saved")
            print(f"\nInterrupted; {kept}.", file=sys.stderr)
            return EXIT_INTERRUPTED
        finally:
            records.close()
    if not args.quiet:
        note = " (deadline reached)" if record.stop_reason == "deadline" else ""
        print(f"Saved {output} ({writer.frames_written} frames at {float(clip.fps):g} fps) and its first frame "
              f"{poster}{note}.", file=sys.stderr)
    return 0
