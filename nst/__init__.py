"""Neural style transfer by pixel optimisation (Gatys et al., CVPR 2016).

    from nst import Settings, stylize
    for progress in stylize("photo.jpg", "painting.jpg", Settings(size=512)):
        print(progress.step, progress.losses["total"])
    progress.to_pil().save("result.png")
"""

from .errors import ImageInputError, NSTError, RunFailedError, SettingsError, WeightsUnavailableError
from .images import load_image
from .presets import PRESETS, preset
from .settings import Settings
from .stylize import Progress, stylize

__all__ = [
    "PRESETS",
    "ImageInputError",
    "NSTError",
    "Progress",
    "RunFailedError",
    "Settings",
    "SettingsError",
    "WeightsUnavailableError",
    "load_image",
    "preset",
    "stylize",
]
