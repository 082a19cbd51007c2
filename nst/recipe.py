"""The recipe: what made a picture, stored inside the picture.

A recipe is a small JSON object holding every field of `Settings` (the seed
among them), the versions of nst and torch that ran, and a digest of each
input image by role ("photo", "paintings" in order, and whatever else the
caller names, such as "mask" or "mask_paintings"). Every PNG that nst writes
carries it in a text chunk named `nst-recipe`, so a picture can be remade
(`python -m nst PHOTO PAINTING --recipe result.png -o again.png`) or its
settings reused on the page. A restyled clip carries it too, in its MP4's
metadata tag of the same name (`nst.io.clip_writer.ClipWriter`).

Input digests are taken over the decoded RGB pixels, not the file's bytes:
the picture depends only on those pixels, so the same photo saved again
without its metadata, recompressed losslessly, or handed over as a PIL image
with no file at all is recognised as the same input, while anything that
would change the result (a different crop, a lossy re-save, a JPEG decoder
that rounds differently) changes the digest too.

Settings travel generically (every dataclass field, converted by its type
hint), so a field added to `Settings` is recorded without touching this
module. A recipe naming a setting this version does not know (made by a newer
nst) is refused with a message naming it, because silently dropping a setting
would produce a different picture while claiming to reproduce one. A setting
a recipe made by nst lacks (an older nst, before the setting existed) takes the
value that does what that nst did (`BEFORE_IT_EXISTED`), else today's default;
a hand-written recipe's missing settings take today's defaults.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import types
import typing
from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image, PngImagePlugin

from .errors import NSTError
from .io.images import ImageSource, as_image, as_list
from .plan.progress import Progress
from .settings import Settings
from .version import __version__

CHUNK = "nst-recipe"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# An MP4 (ISO media) file opens with the size of its first box, then the box's type, "ftyp".
MP4_SIGNATURE = b"ftyp"
# A recipe is a few kilobytes; anything far larger is not one, and is not read.
MAX_RECIPE_BYTES = 1_000_000


class RecipeError(NSTError):
    """A file that should hold a recipe does not, or holds one we cannot use."""


def image_digest(source: ImageSource) -> str:
    """`sha256:` digest of the image's size and decoded RGB pixels, as the loop sees them."""
    image = as_image(source)
    digest = hashlib.sha256(f"{image.width}x{image.height}\n".encode())
    digest.update(image.tobytes())
    return "sha256:" + digest.hexdigest()


def digests(source: ImageSource | Sequence[ImageSource]) -> str | list[str]:
    """One digest for one image, a list of digests (in order) for several."""
    if isinstance(source, (list, tuple)):
        return [image_digest(item) for item in source]
    return image_digest(source)


def make_recipe(
    settings: Settings,
    photo: ImageSource,
    paintings: ImageSource | Sequence[ImageSource],
    **extra_inputs: ImageSource | Sequence[ImageSource] | None,
) -> dict:
    """The recipe of a run of `settings` on these inputs, as plain JSON-ready data.

    `extra_inputs` name further input images by role (e.g. `mask=`,
    `mask_paintings=[...]`, `init_image=`); those given as None are left out.
    """
    inputs: dict[str, str | list[str]] = {
        "photo": image_digest(photo),
        "paintings": [image_digest(painting) for painting in as_list(paintings)],
    }
    for role, source in extra_inputs.items():
        if source is not None:
            inputs[role] = digests(source)
    return {
        "nst_version": __version__,
        "torch_version": torch.__version__,
        "settings": {
            field.name: to_json(getattr(settings, field.name)) for field in dataclasses.fields(Settings)
        },
        "inputs": inputs,
    }


def to_json(value: object) -> object:
    """Tuples become lists, as JSON will make them anyway, so a recipe equals its saved copy."""
    return list(value) if isinstance(value, tuple) else value


def save_png(image: Image.Image, path: str | os.PathLike, recipe: dict) -> None:
    """Write `image` as a PNG at `path` with `recipe` in its `nst-recipe` text chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text(CHUNK, json.dumps(recipe, separators=(",", ":")))
    image.save(path, format="PNG", pnginfo=info)


def save_result(
    result: Image.Image | Progress,
    path: str | os.PathLike,
    settings: Settings,
    photo: ImageSource,
    paintings: ImageSource | Sequence[ImageSource],
    **extra_inputs: ImageSource | Sequence[ImageSource] | None,
) -> None:
    """Save a result (an image, or `stylize`'s last `Progress`) as a PNG carrying its recipe."""
    image = result.to_pil() if isinstance(result, Progress) else result
    save_png(image, path, make_recipe(settings, photo, paintings, **extra_inputs))


def read_recipe(path: str | os.PathLike) -> dict:
    """The recipe in a PNG or an MP4 written by nst, or in a JSON file."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_RECIPE_BYTES + 1)
    except OSError as error:
        raise RecipeError(f"Cannot read the recipe {path}: {error.strerror or error}.") from error
    if data.startswith(PNG_SIGNATURE):
        text = png_recipe_text(path)
    elif data[4:8] == MP4_SIGNATURE:
        text = mp4_recipe_text(path)
    elif len(data) > MAX_RECIPE_BYTES:
        raise RecipeError(f"{path.name} is neither a PNG nor a recipe: recipes are JSON files of a few kilobytes.")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise RecipeError(
                f"{path.name} is neither a PNG made by nst nor a JSON recipe file."
            ) from None
    try:
        recipe = json.loads(text)
    except json.JSONDecodeError as error:
        raise RecipeError(f"{path.name} does not hold a readable recipe: {error}.") from None
    if not isinstance(recipe, dict) or not isinstance(recipe.get("settings"), dict):
        raise RecipeError(f"{path.name} is JSON but not an nst recipe: it has no \"settings\" object.")
    return recipe


def png_recipe_text(path: Path) -> str:
    """The text of the recipe chunk, read from the PNG's header without decoding its pixels."""
    try:
        with Image.open(path, formats=["PNG"]) as image:
            text = image.info.get(CHUNK)
    except (OSError, ValueError, SyntaxError) as error:
        raise RecipeError(f"{path.name} looks like a PNG but cannot be read ({error}).") from error
    if not isinstance(text, str):
        raise RecipeError(
            f"{path.name} carries no recipe: only PNGs saved by nst (command line, library or page) have one, "
            "and some programs and sites strip it when they save or upload a picture."
        )
    return text


def mp4_recipe_text(path: Path) -> str:
    """The text of the recipe tag, read from the MP4's header without decoding its frames."""
    # Imported here: PyAV costs every start of the library, the command line and the page
    # about 50 ms and 40 MB, and only clips need it.
    from .io.clip_reader import ClipInputError, read_recipe_tag

    try:
        text = read_recipe_tag(path)
    except ClipInputError as error:
        raise RecipeError(f"{path.name} looks like an MP4 but cannot be read ({error}).") from error
    if text is None:
        raise RecipeError(f"{path.name} carries no recipe: only clips restyled by nst have one.")
    return text


# Settings whose default is not what nst did before they existed: a recipe without one was
# made the old way. Before large_size_steps the steps were shared over every size (0 does
# that); before later_hold a clip's later frames held the palette as the first (1); before
# keep_viewing the sizes above 1024 px were free to repaint the picture (False).
BEFORE_IT_EXISTED = {"large_size_steps": 0, "later_hold": 1.0, "keep_viewing": False}


def settings_from_recipe(recipe: dict) -> Settings:
    """The `Settings` a recipe records, validated; a missing field as nst did before it existed, else the default."""
    values = recipe.get("settings")
    if not isinstance(values, dict):
        raise RecipeError('This is not an nst recipe: it has no "settings" object.')
    if "nst_version" in recipe:  # made by nst: a field it lacks did not exist yet (a hand-written one: defaults)
        values = {**BEFORE_IT_EXISTED, **values}
    hints = typing.get_type_hints(Settings)
    unknown = sorted(set(values) - set(hints))
    if unknown:
        made_by = recipe.get("nst_version", "another version")
        raise RecipeError(
            f"The recipe was made by nst {made_by} and has settings this nst ({__version__}) does not know: "
            f"{', '.join(unknown)}. Update nst to reproduce it."
        )
    return Settings(**{name: from_json(name, value, hints[name]) for name, value in values.items()})


def from_json(name: str, value: object, hint: object) -> object:
    """`value` read from JSON as the type `hint` names, or a `RecipeError` saying what is wrong."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (hint,) = (arg for arg in args if arg is not type(None))
        return from_json(name, value, hint)
    if origin is tuple:
        if not isinstance(value, list):
            raise RecipeError(f"The recipe's {name} should be a list, got {value!r}.")
        return tuple(from_json(name, item, args[0]) for item in value)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint in (int, str, bool) and type(value) is hint:
        return value
    raise RecipeError(f"The recipe's {name} should be {getattr(hint, '__name__', hint)}, got {value!r}.")


def differences(wanted: dict, made: dict) -> list[str]:
    """One line for each way the run `made` differs from the recipe `wanted`, apart from its settings.

    Versions of nst or torch (the picture may differ even with equal
    settings) and input images that are not the recipe's (by digest).
    """
    notes = []
    for key, name in (("nst_version", "nst"), ("torch_version", "torch")):
        if wanted.get(key) not in (None, made[key]):
            notes.append(
                f"The recipe was made with {name} {wanted[key]}, this is {made[key]}: the picture may differ."
            )
    wanted_inputs = wanted.get("inputs")
    if isinstance(wanted_inputs, dict):
        roles = [*made["inputs"], *(role for role in wanted_inputs if role not in made["inputs"])]
        changed = [role for role in roles if wanted_inputs.get(role) != made["inputs"].get(role)]
        if changed:
            notes.append(
                f"Not the recipe's {', '.join(role.replace('_', ' ') for role in changed)} (compared by pixels): "
                "its settings are used with these inputs."
            )
    return notes
