"""What the SDK returns: the server's JSON, as dicts that also allow attribute access."""

from __future__ import annotations

import json
from typing import Any, Dict

__all__ = ["OpenClawObject", "loads"]


class OpenClawObject(Dict[str, Any]):
    """A JSON object from the server: a plain ``dict`` (``obj["session_id"]``, ``json.dumps(obj)``,
    ``dict(obj)`` all work) whose keys can also be read as attributes (``obj.session_id``).

    Nested objects are ``OpenClawObject`` too. Where a key has the name of a ``dict`` method
    (``items``, ``keys``, ``values``, ``get``, ``copy``, ``update``, ``pop``, …) the method wins:
    use ``obj["items"]`` for such keys. A missing key raises ``AttributeError`` for attribute
    access and ``KeyError`` for item access, as usual.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                "%r object has no attribute or key %r" % (type(self).__name__, name)
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self) -> Any:
        return list(super().__dir__()) + [k for k in self.keys() if isinstance(k, str)]

    def __repr__(self) -> str:
        return "%s(%s)" % (type(self).__name__, dict.__repr__(self))

    def __reduce__(self) -> Any:
        return (type(self), (dict(self),))


def loads(text: str) -> Any:
    """Parses JSON, turning every object into an ``OpenClawObject``."""
    return json.loads(text, object_hook=OpenClawObject)
