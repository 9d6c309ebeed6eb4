"""A str enum that users may name in any case, shared by the public enums."""

from __future__ import annotations

from enum import Enum
from typing import Optional


class CaseInsensitiveStrEnum(str, Enum):
    """A str enum whose lookup by value ignores case and whose ``str()`` is its value."""

    @classmethod
    def _missing_(cls, value: object) -> Optional[CaseInsensitiveStrEnum]:
        if isinstance(value, str):
            folded = value.casefold()
            for member in cls:
                if member.value.casefold() == folded or member.name.casefold() == folded:
                    return member
        return None

    def __str__(self) -> str:
        # str-mixin enums print differently across Python versions; pin it to the wire value.
        return str(self.value)
