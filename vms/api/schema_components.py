"""Postprocessing of the OpenAPI schema's components so that the types generated from it (the frontend's
src/api/schema.d.ts, by openapi-typescript) say what the API really sends and takes.

Request and response components are split (COMPONENT_SPLIT_REQUEST): a response always carries every field of
its serializer, so each response component lists them all as required, while a request component keeps the
serializer's own required fields. A serializer named for a request (ExportRequestSerializer) keeps one "Request"
in its request component's name, not two."""

from __future__ import annotations

DOUBLED = "RequestRequest"


def _renamed_refs(node, renames: dict[str, str]):
    if isinstance(node, dict):
        return {key: (renames.get(value, value) if key == "$ref" else _renamed_refs(value, renames))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_renamed_refs(item, renames) for item in node]
    return node


def complete_components(result: dict, generator, request, public) -> dict:
    """A drf-spectacular postprocessing hook: response fields all required; no doubled "Request" in names."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, component in schemas.items():
        if not name.endswith("Request") and component.get("type") == "object" and "properties" in component:
            component["required"] = [field for field, spec in component["properties"].items()
                                     if not spec.get("writeOnly")]
    renames = {name: name[: -len("Request")] for name in schemas
               if name.endswith(DOUBLED) and name[: -len("Request")] not in schemas}
    if not renames:
        return result
    result["components"]["schemas"] = {renames.get(name, name): component for name, component in schemas.items()}
    prefix = "#/components/schemas/"
    return _renamed_refs(result, {prefix + old: prefix + new for old, new in renames.items()})
