"""Neural style transfer by pixel optimisation (Gatys et al., CVPR 2016).

    from . import Settings, stylize
    for progress in stylize("photo.jpg", "painting.jpg", Settings(size=512)):
        print(progress.step, progress.losses["total"])
    progress.to_pil().save("result.png")
"""

from .errors import ImageInputError, NSTError, RunFailedError, SettingsError, WeightsUnavailableError
from .io.images import load_image
from .presets import PRESETS, preset
from .recipe import RecipeError, make_recipe, read_recipe, save_png, save_result, settings_from_recipe
from .settings import Settings
from .stylize import Progress, stylize
from .version import __version__ as __version__

__all__ = [
    "PRESETS",
    "ImageInputError",
    "NSTError",
    "Progress",
    "RecipeError",
    "RunFailedError",
    "Settings",
    "SettingsError",
    "WeightsUnavailableError",
    "load_image",
    "make_recipe",
    "preset",
    "read_recipe",
    "save_png",
    "save_result",
    "settings_from_recipe",
    "stylize",
]
