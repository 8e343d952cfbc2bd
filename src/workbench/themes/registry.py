"""The curated theme registry (``config/themes.yaml``) and ``workbench themes review``.

Why a registry: leadership trusts "onboarding friction up 40%" only if onboarding friction is the
same theme every quarter. Clusters are re-discovered on every fit, so the registry is what gives a
theme its identity: a stable id, a label an analyst chose, a description, seed phrases that say
what belongs in it, ``merges`` (ids folded into it, e.g. an accepted candidate's ``new-...`` id),
``splits`` (the ids a theme was split into; a split theme is retired and no longer assigned) and
a ``hidden`` flag for noise. The theme engine maps every fit's clusters onto it; clusters that
match nothing become emerging candidates, which ``review`` proposes as new entries.

``review`` never rewrites what an analyst curated (labels, descriptions, kinds, seed phrases,
merges, splits, hidden). It only adds candidates and refreshes the machine-maintained
``keywords`` list, and shows the change as a unified diff first.
"""

from __future__ import annotations

import difflib
import logging
import re
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from workbench.core.config import ConfigError, Settings
from workbench.core.store import atomic
from workbench.themes.labels import slugify

logger = logging.getLogger(__name__)

CANDIDATE_PREFIX = "new-"
MAX_KEYWORDS = 8
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DEFAULT_HEADER = (
    "# Curated theme registry. Ids are stable across quarters: never reuse one for another theme.\n"
    "# `workbench themes review` proposes new candidate themes and refreshes `keywords`; it never\n"
    "# changes a label, description, kind, seed phrases, merges, splits or hidden flag.\n"
)


class RegistryTheme(BaseModel):
    """One registered theme."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="stable id: lower-case letters, digits and dashes")
    label: str = Field(min_length=1, description="the label readers see")
    description: str = ""
    kind: Literal["goal", "blocker", "value", "unknown"] = "unknown"
    seed_phrases: list[str] = Field(
        default_factory=list, description="short phrases that belong in the theme"
    )
    keywords: list[str] = Field(default_factory=list, description="top terms, refreshed by `themes review`")
    merges: list[str] = Field(default_factory=list, description="ids folded into this theme")
    splits: list[str] = Field(default_factory=list, description="ids this theme was split into (retires it)")
    hidden: bool = Field(False, description="noise: assigned, but left out of metrics and reports")

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be lower-case letters, digits and dashes, e.g. onboarding-friction")
        if value.startswith(CANDIDATE_PREFIX):
            raise ValueError(f"ids starting with {CANDIDATE_PREFIX!r} are reserved for emerging candidates")
        return value

    @property
    def live(self) -> bool:
        """Assigned directly: not retired by a split."""
        return not self.splits


class RegistryParent(BaseModel):
    """A parent group of themes (the hierarchy's top level; see :mod:`workbench.themes.hierarchy`)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="stable parent id, e.g. grp-reporting-gaps")
    label: str = Field(min_length=1, description="the label readers see")
    themes: list[str] = Field(default_factory=list, description="ids of the themes in the group")

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be lower-case letters, digits and dashes, e.g. grp-reporting")
        return value


class Registry(BaseModel):
    """``themes.yaml``: ``version``, the list of themes and (optionally) their parent groups."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    themes: list[RegistryTheme] = Field(default_factory=list)
    parents: list[RegistryParent] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Registry:
        ids = [t.id for t in self.themes]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"theme ids must be unique, repeated: {dupes}")
        parent_ids = [p.id for p in self.parents]
        clash = sorted({i for i in parent_ids if parent_ids.count(i) > 1 or i in ids})
        if clash:
            raise ValueError(f"parent ids must be unique and differ from theme ids: {clash}")
        children = [c for p in self.parents for c in p.themes]
        twice = sorted({c for c in children if children.count(c) > 1})
        if twice:
            raise ValueError(f"a theme can have one parent only: {twice}")
        known = set(ids)
        owner: dict[str, str] = {}
        for theme in self.themes:
            for merged in theme.merges:
                if merged == theme.id or merged in known:
                    raise ValueError(
                        f"{theme.id}: merges {merged!r}, which is still a registered theme; "
                        "remove that entry (its id lives on through merges)"
                    )
                if merged in owner:
                    raise ValueError(f"{merged!r} is merged into both {owner[merged]!r} and {theme.id!r}")
                owner[merged] = theme.id
            for child in theme.splits:
                if child not in known or child == theme.id:
                    raise ValueError(
                        f"{theme.id}: splits into {child!r}, which is not another registered theme"
                    )
        return self

    def get(self, theme_id: str) -> RegistryTheme | None:
        return next((t for t in self.themes if t.id == theme_id), None)

    def live_themes(self) -> list[RegistryTheme]:
        return [t for t in self.themes if t.live]

    def resolve(self, theme_id: str) -> str:
        """The registered id an old or merged id now counts under (unchanged when unknown)."""
        for theme in self.themes:
            if theme_id == theme.id or theme_id in theme.merges:
                return theme.id
        return theme_id


def parse_registry(text: str, name: str = "themes.yaml") -> Registry:
    """Validate registry YAML text; a mistake raises :class:`ConfigError` naming the key."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"{name}: not valid YAML{f' at line {mark.line + 1}' if mark else ''}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: expected a mapping with 'themes' at the top level")
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        if len(loc) >= 2 and loc[0] == "themes" and isinstance(loc[1], int):
            raw = data.get("themes") or []
            theme = raw[loc[1]] if loc[1] < len(raw) and isinstance(raw[loc[1]], dict) else {}
            loc[1] = theme.get("id", loc[1])
        key = ".".join(str(p) for p in loc) or "(top level)"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"{name}: {key}: {err['msg']}{more}") from None


def registry_path(settings: Settings) -> Path:
    return settings.resolve(settings.themes.registry)


def load_registry(settings: Settings) -> Registry:
    """The configured registry; a missing file is an empty registry (pure discovery)."""
    path = registry_path(settings)
    if not path.is_file():
        logger.info("no theme registry at %s: every theme will be an emerging candidate", path)
        return Registry()
    return parse_registry(path.read_text(encoding="utf-8"), path.name)


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


class _FlowList(list):
    """A list written on one line (``keywords: [a, b]``): machine-maintained lists stay compact."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _FlowList, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)
)
FLOW_FIELDS = ("keywords", "merges", "splits")


def dump_registry(registry: Registry, header: str = DEFAULT_HEADER) -> str:
    """Canonical YAML for a registry: the header comment, then fields in a fixed order.

    Seed phrases, which analysts edit, are one per line; keywords, merges and splits are compact.
    """
    data = registry.model_dump(mode="json")
    for theme in data["themes"]:
        for key in FLOW_FIELDS:
            theme[key] = _FlowList(theme[key])
    if data.get("parents"):
        for parent in data["parents"]:
            parent["themes"] = _FlowList(parent["themes"])
    else:
        data.pop("parents", None)  # a registry without a hierarchy keeps its old shape
    body = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False
    )
    return (header if header.endswith("\n") or not header else header + "\n") + body


# --------------------------------------------------------------------------- review


def _keywords(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    return [k.strip() for k in value.split(",") if k.strip()][:MAX_KEYWORDS]


def propose(registry: Registry, themes: pd.DataFrame) -> Registry:
    """The registry with the theme engine's proposals applied (a new object; the input is untouched).

    Args:
        registry: the current registry.
        themes: the engine's theme table (:data:`workbench.core.schemas.THEME_COLUMNS`).

    Proposals: every emerging candidate becomes an entry whose id is its label slug (the ``new-``
    id is kept in ``merges`` so earlier assignments still count), with the auto-label, kind
    ``unknown`` and its label as a seed phrase; every existing theme gets fresh ``keywords``.
    """
    proposed = registry.model_copy(deep=True)
    rows = themes.sort_values("theme_id", kind="stable")
    for row in rows.itertuples(index=False):
        theme_id = str(row.theme_id)
        existing = proposed.get(registry.resolve(theme_id))
        if existing is not None:
            fresh = _keywords(row.keywords)
            if fresh:
                existing.keywords = fresh
            continue
        if row.status != "emerging":
            continue
        taken = {t.id for t in proposed.themes} | {m for t in proposed.themes for m in t.merges}
        base = (
            slugify(theme_id.removeprefix(CANDIDATE_PREFIX))
            if theme_id.startswith(CANDIDATE_PREFIX)
            else slugify(str(row.label))
        )
        new_id, n = base, 2
        while new_id in taken:
            new_id, n = f"{base}-{n}", n + 1
        label = str(row.label)
        proposed.themes.append(
            RegistryTheme(
                id=new_id,
                label=label,
                description=(
                    f"Emerging candidate proposed by the theme engine ({int(row.n_docs)} documents). "
                    "Check the label, then set kind and description."
                ),
                kind="unknown",
                seed_phrases=[label.lower()],
                keywords=_keywords(row.keywords),
                merges=[theme_id] if theme_id != new_id else [],
            )
        )
    return Registry.model_validate(proposed.model_dump())


def _with_parents(settings: Settings, registry: Registry) -> Registry:
    """The registry with parent groups proposed from the latest theme model (unchanged without one)."""
    from workbench.themes import hierarchy
    from workbench.themes.model import ModelError, ThemeModel, models_root

    root = models_root(settings.paths.models)
    folders = (
        sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if root.is_dir()
        else []
    )
    for folder in reversed(folders):
        try:
            model = ThemeModel.load(folder)
        except ModelError:
            continue
        ids, centroids = hierarchy.theme_centroids(model)
        # Candidate ids ("new-...") count under the entry `propose` made for them.
        resolved = [registry.resolve(t) for t in ids]
        live = {t.id for t in registry.live_themes()}
        keep = [i for i, t in enumerate(resolved) if t in live and t not in resolved[:i]]
        return hierarchy.propose_parents(registry, [resolved[i] for i in keep], centroids[keep])
    return registry


def review(settings: Settings, accept: bool = False) -> str:
    """The proposed registry changes as a unified diff; with ``accept`` they are written to themes.yaml.

    Reads the theme table of the last ``workbench themes`` run. Returns an empty string when
    nothing would change.
    """
    from workbench.core.store import load_output

    path = registry_path(settings)
    current_text = path.read_text(encoding="utf-8") if path.is_file() else ""
    registry = parse_registry(current_text, path.name) if current_text else Registry()
    themes = load_output("themes", settings)
    proposed = propose(registry, themes)
    proposed = _with_parents(settings, proposed)
    proposed_text = dump_registry(proposed, _header(current_text) or DEFAULT_HEADER)
    if proposed == registry and current_text:
        return ""
    diff = "".join(
        difflib.unified_diff(
            current_text.splitlines(keepends=True),
            proposed_text.splitlines(keepends=True),
            fromfile=f"{path.name} (current)",
            tofile=f"{path.name} (proposed)",
        )
    )
    if accept and diff:
        atomic(path, lambda tmp: tmp.write_text(proposed_text, encoding="utf-8"))
        logger.info("wrote %s: %d themes", path, len(proposed.themes))
    return diff
