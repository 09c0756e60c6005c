"""Fault plan: what the sandbox breaks on purpose, set at start (`--faults`) or at run time.

Spec string (comma-separated, for `appliance sandbox --faults`):
    latency=200          every request waits 200 ms first
    http500=3            the next 3 matching requests answer HTTP 500 with an empty body
    http500_rate=0.1     each matching request answers HTTP 500 with probability 0.1
    html                 HTTP 500 answers carry an HTML error page instead of nothing
    drop=2               the next 2 matching writes are committed, then the socket is closed
                         without an answer (the client cannot know the write happened)
    ops=create+revise    which operations http500/drop apply to (default: all)
    idle=5               sessions die after 5 s without a call (default 1440 s, like PHP's GC)
    refuse_login         every login answers INVALID_USER_CREDENTIALS

At run time: `POST /_sandbox/faults` (loopback only) with a JSON object of the same names
(`latency_ms`, `http500`, `http500_rate`, `html`, `drop_after_commit`, `ops`, `session_idle_s`,
`refuse_login`) replaces the plan; `"expire_sessions": true` also ends every open session now.
`GET /_sandbox/faults` shows the current plan.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import Any

WRITE_OPS = frozenset({"create", "update", "revise", "delete"})
DEFAULT_IDLE_S = 1440.0


class FaultSpecError(ValueError):
    """A fault spec or JSON plan that cannot be understood."""


@dataclass
class FaultPlan:
    latency_ms: int = 0
    http500: int = 0
    http500_rate: float = 0.0
    html: bool = False
    drop_after_commit: int = 0
    ops: frozenset[str] = field(default_factory=frozenset)
    session_idle_s: float = DEFAULT_IDLE_S
    refuse_login: bool = False

    def matches(self, operation: str) -> bool:
        return not self.ops or operation in self.ops

    def take_http500(self, operation: str, rng: random.Random) -> bool:
        """Whether this request fails with HTTP 500 (consumes one of the counted failures)."""
        if not self.matches(operation):
            return False
        if self.http500 > 0:
            self.http500 -= 1
            return True
        return self.http500_rate > 0 and rng.random() < self.http500_rate

    def take_drop(self, operation: str) -> bool:
        if operation in WRITE_OPS and self.drop_after_commit > 0 and self.matches(operation):
            self.drop_after_commit -= 1
            return True
        return False

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["ops"] = sorted(self.ops)
        return data


_SPEC_KEYS = {
    "latency": "latency_ms",
    "http500": "http500",
    "http500_rate": "http500_rate",
    "drop": "drop_after_commit",
    "idle": "session_idle_s",
}
_FLAGS = {"html": "html", "refuse_login": "refuse_login"}


def parse_spec(spec: str) -> FaultPlan:
    """Read the `--faults` string described in the module docstring."""
    values: dict[str, Any] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        if not sep and name in _FLAGS:
            values[_FLAGS[name]] = True
        elif name == "ops" and value:
            values["ops"] = [v for v in value.split("+") if v]
        elif name in _SPEC_KEYS and value:
            values[_SPEC_KEYS[name]] = value
        else:
            raise FaultSpecError(f"panne inconnue {item!r}")
    return plan_from_json(values)


def _convert(name: str, value: Any) -> Any:
    if name == "ops":
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise FaultSpecError("ops doit être une liste de noms d'opérations")
        return frozenset(v.lower() for v in value)
    if name in ("html", "refuse_login"):
        if not isinstance(value, bool):
            raise FaultSpecError(f"{name} doit valoir true ou false")
        return value
    number = int(value) if name in ("latency_ms", "http500", "drop_after_commit") else float(value)
    if number < 0:
        raise FaultSpecError(f"{name} ne peut pas être négatif")
    return number


def _value(name: str, value: Any) -> Any:
    try:
        return _convert(name, value)
    except FaultSpecError:
        raise
    except (TypeError, ValueError):
        raise FaultSpecError(f"valeur illisible pour {name} : {value!r}") from None


def plan_from_json(data: dict[str, Any]) -> FaultPlan:
    """A plan from JSON-like values (strings accepted for numbers), validated."""
    known = {f.name for f in dataclasses.fields(FaultPlan)}
    unknown = set(data) - known
    if unknown:
        raise FaultSpecError(f"réglage de panne inconnu {sorted(unknown)[0]!r}")
    kwargs = {name: _value(name, value) for name, value in data.items()}
    if kwargs.get("http500_rate", 0.0) > 1:
        raise FaultSpecError("http500_rate doit être entre 0 et 1")
    return FaultPlan(**kwargs)
