"""What an object keeps alive: every object reachable from it, its bytes, and the tensors among them.

`gc.get_referents` is followed everywhere except into what every session and
run shares (modules, classes, code, a function's globals, the feature
networks, Gradio's components): what is left is what holding the object
costs. A tensor's bytes are its storage's, counted once however many views
share it; an array that owns its data counts it in its own size, and a view
counts what it views (numpy does not show its base to the garbage collector).
A picture made from a tensor is an array viewing a uint8 tensor: that tensor
counts as the array's data, not as a tensor held.
"""

from __future__ import annotations

import gc
import sys
import types
from dataclasses import dataclass, field

import gradio as gr
import numpy as np
import torch

# Reached from anything, owned by no one in particular: not walked into, not counted.
SHARED = (types.ModuleType, type, types.CodeType, types.FrameType, torch.nn.Module, gr.blocks.Block)


@dataclass
class Footprint:
    """The objects reachable from a root: how many, their bytes, the tensors among them."""

    objects: int = 0
    bytes: int = 0
    tensors: list[torch.Tensor] = field(default_factory=list)

    @property
    def megabytes(self) -> float:
        return self.bytes / 1e6


def referents(obj: object) -> list[object]:
    """What `obj` refers to; of a function only its closure and defaults, not the module it lives in."""
    if isinstance(obj, types.FunctionType):
        return [*(obj.__closure__ or ()), *(obj.__defaults__ or ()), obj.__kwdefaults__]
    return gc.get_referents(obj)


def footprint(*roots: object) -> Footprint:
    """Everything `roots` keep alive, walked breadth first."""
    result, seen, storages = Footprint(), set(), set()
    pending = list(roots)
    while pending:
        obj = pending.pop()
        if id(obj) in seen or isinstance(obj, SHARED):
            continue
        seen.add(id(obj))
        result.objects += 1
        result.bytes += sys.getsizeof(obj)
        if isinstance(obj, np.ndarray) and isinstance(obj.base, torch.Tensor):
            result.bytes += storage_bytes(obj.base, storages)
        elif isinstance(obj, np.ndarray) and obj.base is not None:
            pending.append(obj.base)
        if isinstance(obj, torch.Tensor):
            result.tensors.append(obj)
            result.bytes += storage_bytes(obj, storages)
        pending.extend(referents(obj))
    return result


def storage_bytes(tensor: torch.Tensor, counted: set[int]) -> int:
    """The bytes of `tensor`'s storage, unless a storage at the same address is `counted` already."""
    storage = tensor.untyped_storage()
    if storage.data_ptr() in counted:
        return 0
    counted.add(storage.data_ptr())
    return storage.nbytes()
