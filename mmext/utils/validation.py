"""Argument checks whose error messages name the argument, the value and what is accepted.

Use them for user-facing arguments (config values) instead of bare asserts or the raw ``TypeError`` that a failed
comparison such as ``None < 1`` would raise.
"""
from typing import Any, Collection, Tuple, Type, Union

Types = Union[Type, Tuple[Type, ...]]


def check_choice(name: str, value: Any, choices: Collection) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``.

    Args:
        name (str): argument name, as the user writes it.
        value: the given value.
        choices (Collection): accepted values.
    """
    if value not in choices:
        raise ValueError(f'{name} must be one of {tuple(choices)}, got {value!r}.')


def check_type(name: str, value: Any, types: Types, description: str) -> None:
    """Raise ``TypeError`` unless ``value`` is an instance of ``types``.

    ``bool`` is rejected unless it is listed in ``types`` explicitly: it subclasses ``int``, so ``True`` would
    otherwise pass as the integer 1 (or as a real number).

    Args:
        name (str): argument name, as the user writes it.
        value: the given value.
        types (type | tuple[type, ...]): accepted types, e.g. ``numbers.Integral`` or ``(numbers.Real, type(None))``.
        description (str): what is accepted, in words (e.g. ``'an int'``, ``'a real number in (0, 1]'``).
    """
    listed = types if isinstance(types, tuple) else (types, )
    is_bool = isinstance(value, bool) and bool not in listed
    if is_bool or not isinstance(value, types):
        raise TypeError(f'{name} must be {description}, got {value!r} ({type(value).__name__}).')
