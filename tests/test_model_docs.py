"""Field descriptions come from the docstring under each field (``_model._attribute_docs``),
exactly as pydantic's ``use_attribute_docstrings`` would find them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import pytest
from pydantic import Field
from pydantic._internal._docs_extraction import extract_docstrings_from_cls

import promptforge
from promptforge._model import Model


def _models(cls: type[Model]) -> Iterator[type[Model]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _models(sub)


def _home(model: type[Model], modules: list[ModuleType]) -> str:
    """The module that defines ``model`` (public ones show ``promptforge`` instead)."""
    return next(
        module.__name__
        for module in modules
        if vars(module).get(model.__name__) is model
        and f"class {model.__name__}(" in inspect.getsource(module)
    )


def test_every_model_describes_its_fields_as_pydantic_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    modules = [
        importlib.import_module(module.name)
        for module in pkgutil.walk_packages(promptforge.__path__, "promptforge.")
        if not module.name.endswith("__main__") and ".legacy" not in module.name
    ]
    models = [m for m in set(_models(Model)) if m.__module__.startswith("promptforge")]
    assert len(models) > 30
    described = 0
    for model in models:
        monkeypatch.setattr(model, "__module__", _home(model, modules))
        expected = extract_docstrings_from_cls(model, use_inspect=True)
        for name in vars(model).get("__annotations__", {}):
            if name in expected and name in model.model_fields:
                assert model.model_fields[name].description == expected[name], (model, name)
                described += 1
    assert described > 200


def test_class_in_a_function_and_an_explicit_description() -> None:
    class Local(Model):
        """Not a field's."""

        plain: int = 0
        """Plain docs."""
        explicit: int = Field(default=0, description="given")
        """Ignored: the explicit description wins."""
        bare: int = 0
        spread: str = ""
        """First line.

        More, indented."""

    fields = Local.model_fields
    assert fields["plain"].description == "Plain docs."
    assert fields["explicit"].description == "given"
    assert fields["bare"].description is None
    assert fields["spread"].description == "First line.\n\nMore, indented."
    assert Local.model_json_schema()["properties"]["plain"]["description"] == "Plain docs."


def test_lines_indentation_cannot_delimit_fall_back_to_pydantic() -> None:
    class Odd(Model):
        text: str = ""
        """Starts here,
ends at the margin."""
        after: int = 0
        """Still found."""

    assert Odd.model_fields["text"].description == "Starts here,\nends at the margin."
    assert Odd.model_fields["after"].description == "Still found."


def test_subclass_keeps_inherited_descriptions_and_adds_its_own() -> None:
    class Base(Model):
        a: int = 0
        """From the base."""

    class Child(Base):
        b: int = 0
        """From the child."""

    assert Child.model_fields["a"].description == "From the base."
    assert Child.model_fields["b"].description == "From the child."
