"""Named points in the forward pass where activations can be read or replaced.

The names and the hook signature ``fn(activation, hook) -> activation | None``
are TransformerLens's, so that hooks written here work there unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

import torch
from torch import nn

HookFn = Callable[[torch.Tensor, "HookPoint"], torch.Tensor | None]
#: A hook target: an exact hook name, or a predicate on names.
NameFilter = str | Callable[[str], bool]


class HookPoint(nn.Module):
    """The identity, unless hooks are attached; a hook's return value replaces the
    activation, and ``None`` leaves it as it is."""

    def __init__(self) -> None:
        super().__init__()
        self.name: str = ""
        self._fns: list[HookFn] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for fn in self._fns:
            out = fn(x, self)
            if out is not None:
                if out.shape != x.shape:
                    raise ValueError(
                        f"hook on {self.name} returned shape {tuple(out.shape)}, expected {tuple(x.shape)}"
                    )
                x = out
        return x

    def __repr__(self) -> str:
        return f"HookPoint({self.name!r})"


class ActivationCache(dict):
    """Activations by hook name. ``cache["pattern", 1]`` is short for
    ``cache["blocks.1.attn.hook_pattern"]``, as in TransformerLens."""

    _ATTN = {"q", "k", "v", "z", "attn_scores", "pattern", "result"}

    def __getitem__(self, key):
        if isinstance(key, tuple):
            name, layer = key
            key = f"blocks.{layer}.attn.hook_{name}" if name in self._ATTN else f"blocks.{layer}.hook_{name}"
        return super().__getitem__(key)


class HookedModule(nn.Module):
    """Adds TransformerLens's hook API to a module that contains HookPoints."""

    def setup_hooks(self) -> None:
        """Call at the end of ``__init__``: names each HookPoint by its module path."""
        self.hook_dict: dict[str, HookPoint] = {}
        for name, module in self.named_modules():
            if isinstance(module, HookPoint):
                module.name = name
                self.hook_dict[name] = module

    def _select(self, target: NameFilter) -> list[HookPoint]:
        if callable(target):
            return [h for n, h in self.hook_dict.items() if target(n)]
        if target not in self.hook_dict:
            raise KeyError(f"no hook named {target!r}; see model.hook_dict for the names")
        return [self.hook_dict[target]]

    @contextlib.contextmanager
    def hooks(self, fwd_hooks: Iterable[tuple[NameFilter, HookFn]]) -> Iterator[None]:
        """Attach hooks for the duration of a ``with`` block; they are removed on exit,
        even after an exception."""
        attached: list[tuple[HookPoint, HookFn]] = []
        try:
            for target, fn in fwd_hooks:
                for hp in self._select(target):
                    hp._fns.append(fn)
                    attached.append((hp, fn))
            yield
        finally:
            for hp, fn in reversed(attached):
                hp._fns.remove(fn)

    def run_with_hooks(self, *args, fwd_hooks=(), **kwargs):
        with self.hooks(fwd_hooks):
            return self(*args, **kwargs)

    def run_with_cache(self, *args, names_filter: NameFilter | None = None, **kwargs):
        """Run forward and return ``(output, cache)``; the cache holds every activation
        (or those that ``names_filter`` selects), detached."""
        cache = ActivationCache()

        def save(x: torch.Tensor, hook: HookPoint) -> None:
            cache[hook.name] = x.detach()

        target = names_filter if names_filter is not None else (lambda name: True)
        with self.hooks([(target, save)]):
            out = self(*args, **kwargs)
        return out, cache
