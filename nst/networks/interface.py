"""The one interface every feature network implements.

A feature extractor takes an RGB image in [0, 1], shaped (N, 3, H, W), applies
its own network's preprocessing and returns the requested layers by name. It
runs only as far as the deepest layer asked for, and its parameters never need
gradients: only the image is optimised.

It lives apart from the registry (`registry.py`) so that the network modules
can build on it while the registry imports them: no module imports another
that imports it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from torch import Tensor, nn

from ..errors import SettingsError


class FeatureExtractor(nn.Module):
    """A frozen stack of modules whose outputs are addressed by layer name.

    Subclasses build `self.body` (an `nn.Sequential`), fill `self.layer_names`
    with one name per module of it, and override `preprocess`.
    """

    body: nn.Sequential
    layer_names: tuple[str, ...]

    def preprocess(self, image: Tensor) -> Tensor:
        """Map an RGB image in [0, 1] to what this network was trained on."""
        raise NotImplementedError

    def freeze(self) -> FeatureExtractor:
        """Switch to inference mode and stop parameters from collecting gradients."""
        self.eval()
        for parameter in self.parameters():
            parameter.requires_grad_(False)
        return self

    def check_layers(self, layers: Iterable[str]) -> None:
        """Raise a `SettingsError` naming the valid layers if any name is unknown."""
        unknown = [name for name in layers if name not in self.layer_names]
        if unknown:
            raise SettingsError(
                f"Unknown layer(s) {', '.join(unknown)} for {type(self).__name__}; "
                f"choose from {', '.join(self.layer_names)}."
            )

    def forward(self, image: Tensor, layers: Sequence[str]) -> dict[str, Tensor]:
        """Return `{name: output}` for `layers`, stopping after the deepest one."""
        self.check_layers(layers)
        wanted = set(layers)
        deepest = max(self.layer_names.index(name) for name in wanted)
        outputs: dict[str, Tensor] = {}
        x = self.preprocess(image)
        for index in range(deepest + 1):
            x = self.body[index](x)
            name = self.layer_names[index]
            if name in wanted:
                outputs[name] = x
        return outputs


def conv_relu_pool_stack(
    plan: Iterable[tuple[str, str]], conv: Callable[[str, int], tuple[nn.Module, int]]
) -> tuple[nn.Sequential, tuple[str, ...]]:
    """A VGG-style body from `plan`'s (kind, name) pairs: "conv", "relu" or "pool" (2x2 max), and its names.

    `conv(name, in_channels)` makes each convolution (the weights and padding
    are the network's own) and says how many channels it gives.
    """
    modules: list[nn.Module] = []
    names: list[str] = []
    channels = 3
    for kind, name in plan:
        if kind == "conv":
            module, channels = conv(name, channels)
            modules.append(module)
        elif kind == "relu":
            modules.append(nn.ReLU(inplace=False))
        else:
            modules.append(nn.MaxPool2d(2, 2))
        names.append(name)
    return nn.Sequential(*modules), tuple(names)
